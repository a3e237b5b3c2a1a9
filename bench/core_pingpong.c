/* core_pingpong.c - how long a cache line takes to go between two threads
 * and back (ns), the cost every 2-thread kernel pays when one thread reads
 * what the other wrote. On a VM it moves with where the vCPUs sit: ~70 ns on
 * nearby cores, ~400 ns on far-apart ones (2-thread runs of sp-run and ONNX
 * Runtime both slow down then). Prints the median of 5 bursts.
 *
 *   cc -O2 -pthread bench/core_pingpong.c -o core_pingpong && ./core_pingpong */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define ROUNDS 100000
#define BURSTS 5

static _Atomic int turn __attribute__((aligned(64)));

static void *responder(void *arg) {
  (void)arg;
  for (long i = 0; i < (long)ROUNDS * BURSTS; ++i) {
    while (atomic_load_explicit(&turn, memory_order_acquire) != 1)
      ;
    atomic_store_explicit(&turn, 0, memory_order_release);
  }
  return NULL;
}

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(void) {
  pthread_t t;
  if (pthread_create(&t, NULL, responder, NULL))
    return 1;
  double burst[BURSTS];
  for (int b = 0; b < BURSTS; ++b) {
    double t0 = now_ns();
    for (long i = 0; i < ROUNDS; ++i) {
      atomic_store_explicit(&turn, 1, memory_order_release);
      while (atomic_load_explicit(&turn, memory_order_acquire) != 0)
        ;
    }
    burst[b] = (now_ns() - t0) / ROUNDS;
  }
  pthread_join(t, NULL);
  qsort(burst, BURSTS, sizeof burst[0], by_value);
  printf("%.0f\n", burst[BURSTS / 2]);
  return 0;
}
