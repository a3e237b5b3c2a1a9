/* isa.c - the op table of the kernel set kernels/dispatch.c chose. kernels/
 * and ops/ are compiled once per ISA level (CMakeLists.txt), each set with
 * its own op table; every node of every runtime in the process points into
 * the chosen set's table. This file itself is compiled for the baseline, so
 * it runs on any CPU. */
#include <pthread.h>
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

static const rt_kernels *const SETS[] = {
#ifdef SP_HAVE_ISA_AVX512
    &rt_kernel_set_avx512,
#endif
#ifdef SP_HAVE_ISA_AVX2
    &rt_kernel_set_avx2,
#endif
    &rt_kernel_set_generic,
};
#define N_SETS (sizeof SETS / sizeof SETS[0])

/* The op table of the set sp_kernels() chose (kernels/dispatch.c). */
static const rt_kernels *choose(void) {
  const sp_kernel_api *api = sp_kernels();
  for (size_t i = 0; i < N_SETS; ++i)
    if (SETS[i]->api == api)
      return SETS[i];
  return &rt_kernel_set_generic;
}

static const rt_kernels *active;
static void choose_once(void) { active = choose(); }

const rt_kernels *rt_kernels_active(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, choose_once);
  return active;
}

const char *sp_runtime_isa(void) { return rt_kernels_active()->isa; }

int sp_runtime_isa_supported(const char *isa) { return rt_kernel_isa_supported(isa); }

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
