/* isa.c - the one place that picks a kernel set. kernels/ and ops.c are
 * compiled once per ISA level (CMakeLists.txt), each set with its own op
 * table; at the first use the best set this CPU runs is chosen (or the one
 * SP_ISA names), and every node of every runtime in the process points into
 * that set's table. This file itself is compiled for the baseline, so it
 * runs on any CPU. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime_internal.h"
#include "sp/kernels.h"

extern const rt_kernels rt_kernel_set_generic;
#ifdef SP_HAVE_ISA_AVX2
extern const rt_kernels rt_kernel_set_avx2;
#endif
#ifdef SP_HAVE_ISA_AVX512
extern const rt_kernels rt_kernel_set_avx512;
#endif

/* Best first; each set needs what its -march level assumes. */
static const struct {
  const rt_kernels *set;
  const char *level; /* __builtin_cpu_supports name, NULL: always */
} SETS[] = {
#ifdef SP_HAVE_ISA_AVX512
    {&rt_kernel_set_avx512, "x86-64-v4"},
#endif
#ifdef SP_HAVE_ISA_AVX2
    {&rt_kernel_set_avx2, "x86-64-v3"},
#endif
    {&rt_kernel_set_generic, NULL},
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

static const rt_kernels *choose(void) {
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

static const rt_kernels *active;
static void choose_once(void) { active = choose(); }

const rt_kernels *rt_kernels_active(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, choose_once);
  return active;
}

const char *sp_runtime_isa(void) { return rt_kernels_active()->isa; }

const sp_kernel_api *sp_kernels(void) { return rt_kernels_active()->api; }

int sp_runtime_isa_supported(const char *isa) {
  for (size_t i = 0; i < N_SETS; ++i)
    if (isa && !strcmp(isa, SETS[i].set->isa))
      return cpu_runs(i);
  return 0;
}

static int cmp_op(const void *key, const void *elem) {
  return strcmp(key, ((const rt_op *)elem)->name);
}

const rt_op *rt_op_find(const char *domain, const char *op_type) {
  if (domain && domain[0] && strcmp(domain, "ai.onnx"))
    return NULL;
  const rt_kernels *k = rt_kernels_active();
  return bsearch(op_type, k->ops, k->n_ops, sizeof k->ops[0], cmp_op);
}

const char *rt_op_at(size_t i) {
  const rt_kernels *k = rt_kernels_active();
  return i < k->n_ops ? k->ops[i].name : NULL;
}
