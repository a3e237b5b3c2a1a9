/* emit_c_bench.c - times a model compiled by `sp-translate --emit-c --name
 * model`: 3 warm-up runs, then N timed runs of model_run on a fixed input;
 * prints 'latency_ms median=X min=Y' like sp-run --bench. Threads come from
 * OMP_NUM_THREADS (the kernels split work over OpenMP).
 *
 *   cc -O2 -I DIR emit_c_bench.c DIR/libmodel.a $(LDLIBS) -o bench && ./bench 20 */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "model.h"

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  int runs = argc > 1 ? atoi(argv[1]) : 20;
  if (runs < 1 || runs > 100000) {
    fprintf(stderr, "usage: %s [RUNS]\n", argv[0]);
    return 2;
  }
  static float in[model_IN0_NUMEL], out[model_OUT0_NUMEL];
  for (long i = 0; i < model_IN0_NUMEL; ++i)
    in[i] = (float)((i * 7919) % 1000) / 1000.0f;
  void *scratch = model_scratch_new(); /* on 2 MB pages, as sp-run's arena */
  double *ms = malloc(sizeof *ms * (size_t)runs);
  if (!scratch || !ms)
    return 1;
  for (int i = 0; i < 3; ++i)
    if (model_run(in, out, scratch))
      return 1;
  for (int i = 0; i < runs; ++i) {
    double t0 = now_ms();
    model_run(in, out, scratch);
    ms[i] = now_ms() - t0;
  }
  qsort(ms, (size_t)runs, sizeof *ms, by_value);
  printf("latency_ms median=%.3f min=%.3f\n", ms[runs / 2], ms[0]);
  free(ms);
  free(scratch);
  return 0;
}
