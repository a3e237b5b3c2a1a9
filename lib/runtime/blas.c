/* blas.c - threads (OpenMP + OpenBLAS) and the OpenBLAS core report. The
 * core itself is chosen in kernels/dispatch.c (rt_blas_setup), so compiled
 * models get it too; what is left here is the hint when a user-named core
 * (OPENBLAS_CORETYPE, SP_BLAS_CORE=keep) is weaker than the CPU. */
#include <cblas.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "runtime_internal.h"

void sp_runtime_set_threads(int threads) {
  if (threads <= 0) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    threads = n > 0 ? (int)n : 1;
  }
#ifdef _OPENMP
  omp_set_num_threads(threads);
#endif
  /* one pool: sgemm_forward splits GEMMs over the OpenMP threads */
  openblas_set_num_threads(1);
}

const char *sp_runtime_blas_core(void) {
  rt_blas_setup();
  const char *name = openblas_get_corename();
  return name ? name : "unknown";
}

int sp_runtime_blas_check(char *buf, size_t size) {
  const char *core = sp_runtime_blas_core();
  const char *want = rt_blas_wanted_core();
  if (size)
    buf[0] = '\0';
  if (rt_blas_core_suffices(core))
    return 0;
  snprintf(buf, size,
           "sp: hint: OpenBLAS runs the '%s' kernels but this CPU runs %s at full speed; "
           "set OPENBLAS_CORETYPE=%s (or unset it and SP_BLAS_CORE) for much faster GEMM",
           core, strcmp(want, "SkylakeX") ? "AVX2" : "AVX-512", want);
  return 1;
}

const char *sp_runtime_blas_core_replaced(void) { return rt_blas_core_replaced(); }
