/* dispatch.c - the one place that picks a kernel set, for generated code
 * (sp_kernels()) and the interpreter (isa.c follows its choice). The
 * kernel files are compiled once per ISA level (CMakeLists.txt); at the
 * first use the best set this CPU runs is chosen, or the one SP_ISA names.
 * Compiled once for the baseline, so it runs on any CPU; part of
 * libsp_kernels.a, so it knows nothing of the interpreter. */
#include <cblas.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "common.h"
#include "sp/kernels.h"

extern const sp_kernel_api sp_kernel_api_set_generic;
#ifdef SP_HAVE_ISA_AVX2
extern const sp_kernel_api sp_kernel_api_set_avx2;
#endif
#ifdef SP_HAVE_ISA_AVX512
extern const sp_kernel_api sp_kernel_api_set_avx512;
#endif

/* Best first; each set needs what its -march level assumes. */
static const struct {
  const sp_kernel_api *set;
  const char *level; /* __builtin_cpu_supports name, NULL: always */
} SETS[] = {
#ifdef SP_HAVE_ISA_AVX512
    {&sp_kernel_api_set_avx512, "x86-64-v4"},
#endif
#ifdef SP_HAVE_ISA_AVX2
    {&sp_kernel_api_set_avx2, "x86-64-v3"},
#endif
    {&sp_kernel_api_set_generic, NULL},
};
#define N_SETS (sizeof SETS / sizeof SETS[0])

static int cpu_runs(size_t i) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  if (SETS[i].level) {
    __builtin_cpu_init();
    /* the level names must be literals for the builtin */
    if (!strcmp(SETS[i].level, "x86-64-v4"))
      return __builtin_cpu_supports("x86-64-v4") != 0;
    if (!strcmp(SETS[i].level, "x86-64-v3"))
      return __builtin_cpu_supports("x86-64-v3") != 0;
    return 0;
  }
#endif
  return SETS[i].level == NULL;
}

static const sp_kernel_api *choose(void) {
  size_t best = 0;
  while (!cpu_runs(best))
    ++best; /* the last set, generic, always runs */
  const char *want = getenv("SP_ISA");
  if (!want || !*want || !strcmp(want, "auto"))
    return SETS[best].set;
  for (size_t i = 0; i < N_SETS; ++i)
    if (!strcmp(want, SETS[i].set->isa)) {
      if (cpu_runs(i))
        return SETS[i].set;
      fprintf(stderr, "sp: SP_ISA=%s: this CPU cannot run the %s kernels; using %s\n",
              want, want, SETS[best].set->isa);
      return SETS[best].set;
    }
  fprintf(stderr, "sp: SP_ISA=%s is not a kernel set of this build (", want);
  for (size_t i = 0; i < N_SETS; ++i)
    fprintf(stderr, "%s%s", i ? ", " : "", SETS[i].set->isa);
  fprintf(stderr, "); using %s\n", SETS[best].set->isa);
  return SETS[best].set;
}

static const sp_kernel_api *active;
static void choose_once(void) { active = choose(); }

const sp_kernel_api *sp_kernels(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, choose_once);
  return active;
}

int rt_kernel_isa_supported(const char *isa) {
  for (size_t i = 0; i < N_SETS; ++i)
    if (isa && !strcmp(isa, SETS[i].set->isa))
      return cpu_runs(i);
  return 0;
}

int rt_threads(void) {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

int rt_thread_num(void) {
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

void rt_blas_single_thread(void) { openblas_set_num_threads(1); }
