/* test_train_parallel.c - data-parallel training without MPI: two trainers
 * in two threads, each with half of a batch, joined by a collective over a
 * barrier, must take the steps one trainer takes on the whole batch
 * (losses, parameters, synchronised BatchNormalization statistics). */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sp/runtime.h"
#include "sp/train.h"

#define MODEL SP_SOURCE_DIR "/examples/fashion_resnet.onnx"

enum { RANKS = 2, BATCH = 16, SAMPLE = 28 * 28, STEPS = 3 };

/* ---- a collective between threads ---- */

typedef struct group {
  pthread_barrier_t barrier;
  void *slot[RANKS];
} group;

typedef struct member {
  group *g;
  int rank;
  sp_collective c;
} member;

/* Every rank sums the published buffers in rank order (so all agree bit
 * for bit), then waits until all have read before writing its own. */
#define SUM_OVER_RANKS(T)                                                     \
  member *me = ctx;                                                           \
  T *sum = malloc((n + 1) * sizeof *sum);                                     \
  if (!sum)                                                                   \
    return -1;                                                                \
  me->g->slot[me->rank] = buf;                                                \
  pthread_barrier_wait(&me->g->barrier);                                      \
  for (size_t i = 0; i < n; ++i) {                                            \
    sum[i] = 0;                                                               \
    for (int r = 0; r < RANKS; ++r)                                           \
      sum[i] += ((const T *)me->g->slot[r])[i];                               \
  }                                                                           \
  pthread_barrier_wait(&me->g->barrier);                                      \
  memcpy(buf, sum, n * sizeof *sum);                                          \
  free(sum);                                                                  \
  return 0;

static int sum_f64(void *ctx, double *buf, size_t n) { SUM_OVER_RANKS(double) }
static int sum_f32(void *ctx, float *buf, size_t n) { SUM_OVER_RANKS(float) }

/* ---- data and runs ---- */

static float images[BATCH * SAMPLE];
static int64_t labels[BATCH];

static void make_batch(void) {
  uint32_t s = 11;
  for (int i = 0; i < BATCH * SAMPLE; ++i) {
    s ^= s << 13, s ^= s >> 17, s ^= s << 5;
    /* halves differ in scale, so per-half BN statistics would differ */
    images[i] = (float)(s / 4294967296.0) * (i < BATCH / 2 * SAMPLE ? 1.0f : 3.0f);
  }
  for (int b = 0; b < BATCH; ++b)
    labels[b] = (b * 7) % 10;
}

typedef struct run {
  member *m; /* NULL: alone */
  int64_t first, count;
  float losses[STEPS];
  sp_onnx_model *model;
  sp_trainer *t;
  char error[256];
} run;

static void *train(void *arg) {
  run *r = arg;
  sp_error err = {{0}};
  sp_train_options o;
  sp_train_options_default(&o);
  o.lr = 0.05f, o.weight_decay = 1e-3f;
  if (sp_onnx_load(MODEL, &r->model, &err) || sp_trainer_create(r->model, &o, &r->t, &err))
    goto fail;
  if (r->m)
    sp_trainer_set_collective(r->t, &r->m->c);
  const int64_t dims[4] = {r->count, 1, 28, 28};
  for (int s = 0; s < STEPS; ++s)
    if (sp_trainer_step(r->t, images + r->first * SAMPLE, dims, 4, labels + r->first,
                        &r->losses[s], &err))
      goto fail;
  return NULL;
fail:
  snprintf(r->error, sizeof r->error, "%s", err.message);
  return NULL;
}

static double rel(double a, double b) { return fabs(a - b) / (1e-3 + fabs(b)); }

static void test_two_ranks_equal_one(void **state) {
  (void)state;
  make_batch();
  run whole = {.first = 0, .count = BATCH};
  train(&whole);
  if (whole.error[0])
    fail_msg("%s", whole.error);

  group g;
  pthread_barrier_init(&g.barrier, NULL, RANKS);
  member m[RANKS];
  run part[RANKS];
  pthread_t th[RANKS];
  for (int r = 0; r < RANKS; ++r) {
    m[r] = (member){&g, r, {&m[r], sum_f64, sum_f32}};
    part[r] = (run){.m = &m[r], .first = r * BATCH / RANKS, .count = BATCH / RANKS};
    pthread_create(&th[r], NULL, train, &part[r]);
  }
  for (int r = 0; r < RANKS; ++r)
    pthread_join(th[r], NULL);
  pthread_barrier_destroy(&g.barrier);
  for (int r = 0; r < RANKS; ++r)
    if (part[r].error[0])
      fail_msg("rank %d: %s", r, part[r].error);

  for (int s = 0; s < STEPS; ++s)
    for (int r = 0; r < RANKS; ++r)
      if (rel(part[r].losses[s], whole.losses[s]) > 1e-5)
        fail_msg("step %d rank %d: loss %.9g, one process %.9g", s, r,
                 (double)part[r].losses[s], (double)whole.losses[s]);
  double worst = 0;
  for (size_t i = 0; i < sp_trainer_num_params(whole.t); ++i) {
    float *w, *w0, *w1;
    int64_t numel;
    const char *name = sp_trainer_param(whole.t, i, &w, NULL, &numel);
    sp_trainer_param(part[0].t, i, &w0, NULL, NULL);
    sp_trainer_param(part[1].t, i, &w1, NULL, NULL);
    for (int64_t k = 0; k < numel; ++k) {
      if (w0[k] != w1[k]) /* every rank takes the same step */
        fail_msg("%s[%lld]: ranks differ", name, (long long)k);
      double e = fabs(w0[k] - w[k]) / (1e-2 + fabs(w[k]));
      if (e > worst)
        worst = e;
    }
  }
  print_message("largest relative difference to one process after %d steps: %.2g\n", STEPS,
                worst);
  assert_true(worst < 1e-5);

  /* the running statistics too: both ranks evaluate as one process does */
  sp_error err = {{0}};
  const int64_t dims[4] = {BATCH, 1, 28, 28};
  int64_t correct[RANKS + 1] = {0};
  for (int r = 0; r <= RANKS; ++r)
    if (sp_trainer_eval(r < RANKS ? part[r].t : whole.t, images, dims, 4, labels, &correct[r],
                        &err))
      fail_msg("%s", err.message);
  assert_int_equal(correct[0], correct[RANKS]);
  assert_int_equal(correct[1], correct[RANKS]);
  for (int r = 0; r < RANKS; ++r) {
    sp_trainer_free(part[r].t);
    sp_onnx_free(part[r].model);
  }
  sp_trainer_free(whole.t);
  sp_onnx_free(whole.model);
}

int main(void) {
  sp_runtime_set_threads(1);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_two_ranks_equal_one),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
