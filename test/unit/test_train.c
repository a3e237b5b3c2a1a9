/* test_train.c - lib/train: the loss against finite differences, and the
 * trainer on the shipped Fashion-MNIST ResNet (examples/fashion_resnet.onnx):
 * it overfits one batch, moves BatchNormalization's running statistics,
 * steps with SGD and AdamW as their formulas say, and saves a model that
 * loads and predicts what the trainer predicted. (Whole-model gradients are
 * checked against PyTorch autograd by test/train/grad_test.py.) */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../lib/train/train_internal.h"
#include "sp/runtime.h"
#include "sp/train.h"

#define MODEL SP_SOURCE_DIR "/examples/fashion_resnet.onnx"

static float frand(uint32_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 17;
  *s ^= *s << 5;
  return (float)(*s / 4294967296.0) * 2 - 1;
}

/* Softmax cross-entropy with label smoothing in double. */
static double xent(const float *z, const int64_t *labels, int B, int K, double eps) {
  double L = 0;
  for (int b = 0; b < B; ++b) {
    double m = -INFINITY, s = 0;
    for (int k = 0; k < K; ++k)
      m = fmax(m, z[b * K + k]);
    for (int k = 0; k < K; ++k)
      s += exp(z[b * K + k] - m);
    for (int k = 0; k < K; ++k)
      L -= ((k == labels[b] ? 1 - eps : 0) + eps / K) * (z[b * K + k] - m - log(s));
  }
  return L / B;
}

static void test_loss(void **state) {
  (void)state;
  enum { B = 3, K = 5 };
  float z[B * K], dz[B * K];
  uint32_t seed = 51;
  for (int i = 0; i < B * K; ++i)
    z[i] = 4 * frand(&seed);
  const int64_t labels[B] = {0, 4, 2};
  float loss = xent_forward(z, labels, B, K, 0.1f);
  xent_backward(dz, z, labels, B, K, 0.1f);
  assert_true(fabs(loss - xent(z, labels, B, K, 0.1)) < 1e-5);
  for (int i = 0; i < B * K; ++i) {
    float keep = z[i];
    z[i] = keep + 1e-3f;
    double up = xent(z, labels, B, K, 0.1);
    z[i] = keep - 1e-3f;
    double num = (up - xent(z, labels, B, K, 0.1)) / 2e-3;
    z[i] = keep;
    if (!(fabs(num - dz[i]) <= 2e-3 * (1 + fabs(num))))
      fail_msg("dlogits[%d]: %g, finite differences %g", i, (double)dz[i], num);
  }
}

/* Distillation and MSE in double, straight from their definitions. */
static double distill_ref(const float *s, const float *t, const int64_t *labels, int B, int K,
                          double T, double alpha) {
  double kl = 0;
  for (int b = 0; b < B; ++b) {
    double ms = -INFINITY, mt = -INFINITY, ss = 0, st = 0;
    for (int k = 0; k < K; ++k)
      ms = fmax(ms, s[b * K + k] / T), mt = fmax(mt, t[b * K + k] / T);
    for (int k = 0; k < K; ++k)
      ss += exp(s[b * K + k] / T - ms), st += exp(t[b * K + k] / T - mt);
    for (int k = 0; k < K; ++k) {
      double lt = t[b * K + k] / T - mt - log(st), ls = s[b * K + k] / T - ms - log(ss);
      kl += exp(lt) * (lt - ls);
    }
  }
  return alpha * T * T * kl / B + (1 - alpha) * xent(s, labels, B, K, 0.05);
}

static double mse_ref(const float *s, const float *t, const int64_t *labels, int B, int K) {
  double sum = 0;
  for (int b = 0; b < B; ++b)
    for (int k = 0; k < K; ++k) {
      double r = s[b * K + k] - (t ? t[b * K + k] : k == labels[b]);
      sum += r * r;
    }
  return sum / (B * K);
}

static void test_distill_and_mse(void **state) {
  (void)state;
  enum { B = 3, K = 6 };
  float s[B * K], t[B * K], ds[B * K];
  uint32_t seed = 77;
  for (int i = 0; i < B * K; ++i)
    s[i] = 3 * frand(&seed), t[i] = 3 * frand(&seed);
  const int64_t labels[B] = {5, 0, 2};
  for (int which = 0; which < 3; ++which) {
    const float *target = which == 2 ? t : NULL;
    float loss;
    if (which == 0) {
      loss = distill_forward(s, t, labels, B, K, 2.5f, 0.7f, 0.05f);
      distill_backward(ds, s, t, labels, B, K, 2.5f, 0.7f, 0.05f);
    } else {
      loss = mse_forward(s, target, labels, B, K);
      mse_backward(ds, s, target, labels, B, K);
    }
#define REF() (which == 0 ? distill_ref(s, t, labels, B, K, 2.5, 0.7) \
                          : mse_ref(s, target, labels, B, K))
    assert_true(fabs(loss - REF()) < 1e-5 * (1 + fabs(REF())));
    for (int i = 0; i < B * K; ++i) {
      float keep = s[i];
      s[i] = keep + 1e-3f;
      double up = REF();
      s[i] = keep - 1e-3f;
      double num = (up - REF()) / 2e-3;
      s[i] = keep;
      if (!(fabs(num - ds[i]) <= 2e-3 * (1 + fabs(num))))
        fail_msg("loss %d: dlogits[%d] = %g, finite differences %g", which, i, (double)ds[i],
                 num);
    }
#undef REF
  }
}

/* A fixed batch of 32 noise images with labels 0..9. */
enum { BATCH = 32 };
static float images[BATCH * 28 * 28];
static int64_t labels[BATCH];
static const int64_t dims[4] = {BATCH, 1, 28, 28};

static sp_trainer *make(sp_onnx_model **model, const sp_train_options *o) {
  sp_error err = {{0}};
  if (sp_onnx_load(MODEL, model, &err))
    fail_msg("%s", err.message);
  uint32_t seed = 7;
  for (int i = 0; i < BATCH * 28 * 28; ++i)
    images[i] = frand(&seed);
  for (int b = 0; b < BATCH; ++b)
    labels[b] = b % 10;
  sp_trainer *t;
  if (sp_trainer_create(*model, o, &t, &err))
    fail_msg("%s", err.message);
  return t;
}

static const float *param(sp_trainer *t, const char *name, float **grad, int64_t *numel) {
  float *v;
  for (size_t i = 0; i < sp_trainer_num_params(t); ++i)
    if (!strcmp(sp_trainer_param(t, i, &v, grad, numel), name))
      return v;
  fail_msg("no parameter %s", name);
  return NULL;
}

static void test_overfits_one_batch(void **state) {
  (void)state;
  sp_train_options o;
  sp_train_options_default(&o);
  o.lr = 0.05f;
  sp_onnx_model *model;
  sp_trainer *t = make(&model, &o);
  /* 9 convs (weights), 9 BNs (scale, bias), fc weight and bias */
  assert_int_equal(sp_trainer_num_params(t), 9 + 18 + 2);
  sp_error err = {{0}};
  float first = 0, loss = 0;
  for (int s = 0; s < 30; ++s) {
    if (sp_trainer_step(t, images, dims, 4, labels, &loss, &err))
      fail_msg("%s", err.message);
    if (s == 0)
      first = loss;
  }
  /* noise with arbitrary labels: only memorising brings the loss down */
  if (!(loss < 0.25f * first))
    fail_msg("loss %g after 30 steps, %g at the first", (double)loss, (double)first);
  int64_t correct = 0;
  if (sp_trainer_eval(t, images, dims, 4, labels, &correct, &err))
    fail_msg("%s", err.message);
  assert_true(correct >= BATCH * 3 / 4);
  /* the saved model predicts what the trainer did (running statistics) */
  char path[] = "/tmp/sp-test-train-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  if (sp_trainer_save(t, path, &err))
    fail_msg("%s", err.message);
  sp_runtime *rt;
  if (sp_runtime_load(path, &rt, &err) ||
      sp_runtime_bind(rt, "image", 1, 4, dims, images, &err) || sp_runtime_run(rt, &err))
    fail_msg("%s", err.message);
  const sp_tensor *y = sp_runtime_output(rt, 0);
  int64_t again = 0;
  for (int b = 0; b < BATCH; ++b) {
    int best = 0;
    for (int k = 1; k < 10; ++k)
      if (((const float *)y->data)[b * 10 + k] > ((const float *)y->data)[b * 10 + best])
        best = k;
    again += best == labels[b];
  }
  assert_int_equal(again, correct);
  sp_runtime_free(rt);
  unlink(path);
  sp_trainer_free(t);
  sp_onnx_free(model);
}

/* One step of each optimizer against its formula on the fc bias. */
static void test_optimizer_formulas(void **state) {
  (void)state;
  for (int adam = 0; adam < 2; ++adam) {
    sp_train_options o;
    sp_train_options_default(&o);
    o.optimizer = adam ? SP_OPTIM_ADAMW : SP_OPTIM_SGD;
    o.lr = 0.1f, o.weight_decay = 0.01f, o.nesterov = 1;
    sp_onnx_model *model;
    sp_trainer *t = make(&model, &o);
    sp_error err = {{0}};
    float loss, *grad;
    int64_t n;
    const float *w = param(t, "fc.bias", &grad, &n);
    if (sp_trainer_backward(t, images, dims, 4, labels, &loss, &err))
      fail_msg("%s", err.message);
    float before[10], g[10];
    memcpy(before, w, sizeof before);
    memcpy(g, grad, sizeof g);
    /* the fc bias's gradient is the batch mean of softmax - one-hot: it
     * sums to 0 over the classes */
    double sum = 0;
    for (int k = 0; k < 10; ++k)
      sum += g[k];
    assert_true(fabs(sum) < 1e-5);
    /* a step is backward + update: zero the gradient, then step */
    memset(grad, 0, sizeof g);
    if (sp_trainer_step(t, images, dims, 4, labels, &loss, &err))
      fail_msg("%s", err.message);
    for (int k = 0; k < 10; ++k) {
      float want;
      if (adam) /* first step: m/c1 = g, v/c2 = g^2 */
        want = before[k] * (1 - 0.1f * 0.01f) - 0.1f * g[k] / (fabsf(g[k]) + 1e-8f);
      else /* nesterov, first step: buf = d, update d + 0.9 buf */
        want = before[k] - 0.1f * 1.9f * (g[k] + 0.01f * before[k]);
      if (!(fabsf(w[k] - want) <= 1e-5f * (1 + fabsf(want))))
        fail_msg("%s: fc.bias[%d] = %g, want %g", adam ? "adamw" : "sgd", k, (double)w[k],
                 (double)want);
      assert_true(grad[k] == 0); /* zeroed after the update */
    }
    assert_int_equal(sp_trainer_steps(t), 1);
    sp_trainer_free(t);
    sp_onnx_free(model);
  }
}

static void test_schedule(void **state) {
  (void)state;
  sp_train_options o;
  sp_train_options_default(&o);
  o.lr = 1.0f, o.schedule = SP_SCHEDULE_COSINE, o.total_steps = 4, o.warmup_steps = 2;
  sp_onnx_model *model;
  sp_trainer *t = make(&model, &o);
  assert_true(fabsf(sp_trainer_lr(t) - 0.5f) < 1e-6f); /* warm-up 1/2 */
  sp_error err = {{0}};
  float loss;
  static const float want[] = {0.5f, 1.0f, 1.0f, 0.5f}; /* cosine over steps 2-3 */
  for (int s = 0; s < 4; ++s) {
    assert_true(fabsf(sp_trainer_lr(t) - want[s]) < 1e-6f);
    if (sp_trainer_step(t, images, dims, 4, labels, &loss, &err))
      fail_msg("%s", err.message);
  }
  sp_trainer_free(t);
  sp_onnx_free(model);
}

/* Through the API as sp-finetune uses it: frozen parameters are left out,
 * and a state saved after two steps and loaded into a fresh trainer makes
 * the third step give the same weights bit for bit. */
static void test_freeze_and_state(void **state) {
  (void)state;
  static const char *const freeze[] = {"fc.*", "stem.0.weight"};
  sp_train_options o;
  sp_train_options_default(&o);
  o.optimizer = SP_OPTIM_ADAMW, o.lr = 1e-3f, o.freeze = freeze, o.n_freeze = 2;
  sp_onnx_model *m1, *m2;
  sp_trainer *a = make(&m1, &o), *b = make(&m2, &o);
  assert_int_equal(sp_trainer_num_params(a), 9 + 18 + 2 - 3);
  for (size_t i = 0; i < sp_trainer_num_params(a); ++i)
    assert_true(strncmp(sp_trainer_param(a, i, NULL, NULL, NULL), "fc.", 3) &&
                strcmp(sp_trainer_param(a, i, NULL, NULL, NULL), "stem.0.weight"));
  sp_error err = {{0}};
  float loss;
  for (int s = 0; s < 2; ++s) /* backward + update is a step */
    if (sp_trainer_backward(a, images, dims, 4, labels, &loss, &err) ||
        sp_trainer_update(a, &err))
      fail_msg("%s", err.message);
  char path[] = "/tmp/sp-test-state-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  int64_t epoch = 0;
  if (sp_trainer_save_state(a, path, 7, &err) || sp_trainer_load_state(b, path, &epoch, &err))
    fail_msg("%s", err.message);
  assert_int_equal(epoch, 7);
  assert_int_equal(sp_trainer_steps(b), 2);
  if (sp_trainer_step(a, images, dims, 4, labels, &loss, &err) ||
      sp_trainer_step(b, images, dims, 4, labels, &loss, &err))
    fail_msg("%s", err.message);
  for (size_t i = 0; i < sp_trainer_num_params(a); ++i) {
    float *va, *vb;
    int64_t n;
    sp_trainer_param(a, i, &va, NULL, &n);
    sp_trainer_param(b, i, &vb, NULL, NULL);
    assert_memory_equal(va, vb, (size_t)n * sizeof *va);
  }
  /* another optimizer's state is refused, naming the file */
  sp_trainer_free(b);
  sp_onnx_free(m2);
  o.optimizer = SP_OPTIM_SGD;
  b = make(&m2, &o);
  assert_int_not_equal(sp_trainer_load_state(b, path, &epoch, &err), 0);
  assert_non_null(strstr(err.message, "--optimizer adamw"));
  assert_non_null(strstr(err.message, path));
  unlink(path);
  sp_trainer_free(a);
  sp_trainer_free(b);
  sp_onnx_free(m1);
  sp_onnx_free(m2);
}

static void test_bad_labels(void **state) {
  (void)state;
  sp_onnx_model *model;
  sp_trainer *t = make(&model, NULL);
  sp_error err = {{0}};
  float loss;
  labels[3] = 10;
  assert_int_not_equal(sp_trainer_step(t, images, dims, 4, labels, &loss, &err), 0);
  assert_non_null(strstr(err.message, "label 10 of sample 3 is outside [0, 10)"));
  labels[3] = 3;
  sp_trainer_free(t);
  sp_onnx_free(model);
}

int main(void) {
  sp_runtime_set_threads(1); /* bit-for-bit the same on every machine */
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_loss),
      cmocka_unit_test(test_overfits_one_batch),
      cmocka_unit_test(test_optimizer_formulas),
      cmocka_unit_test(test_schedule),
      cmocka_unit_test(test_bad_labels),
      cmocka_unit_test(test_distill_and_mse),
      cmocka_unit_test(test_freeze_and_state),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
