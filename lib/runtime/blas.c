/* blas.c - threads (OpenMP + OpenBLAS) and the OpenBLAS core check.
 *
 * Debian's OpenBLAS 0.3.21 falls back to "Prescott" kernels on CPUs it does
 * not recognise (e.g. newer AVX-512 Xeons), which makes SGEMM ~5x slower;
 * OPENBLAS_CORETYPE overrides the choice. */
#include <cblas.h>
#include <cpuid.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
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
  const char *name = openblas_get_corename();
  return name ? name : "unknown";
}

static unsigned long long xgetbv0(void) {
  unsigned int lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return ((unsigned long long)hi << 32) | lo;
}

/* 2 = AVX-512F usable, 1 = AVX2 usable, 0 = neither. */
static int cpu_level(void) {
  unsigned int a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE) || !(c & bit_AVX))
    return 0;
  unsigned long long xcr0 = xgetbv0();
  if ((xcr0 & 0x6) != 0x6)
    return 0;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
    return 0;
  if ((b & bit_AVX512F) && (xcr0 & 0xe0) == 0xe0)
    return 2;
  return (b & bit_AVX2) ? 1 : 0;
}

static int cpu_is_intel(void) {
  unsigned int a, b, c, d;
  /* "GenuineIntel" in ebx, edx, ecx */
  return __get_cpuid(0, &a, &b, &c, &d) && b == 0x756e6547 && d == 0x49656e69 &&
         c == 0x6c65746e;
}

static int core_in(const char *core, const char *const *list) {
  for (; *list; ++list)
    if (!strcasecmp(core, *list))
      return 1;
  return 0;
}

int sp_runtime_blas_check(char *buf, size_t size) {
  static const char *const avx512[] = {"SkylakeX", "Cooperlake",
                                       "SapphireRapids", NULL};
  static const char *const avx2[] = {"Haswell", "Zen", "SkylakeX", "Cooperlake",
                                     "SapphireRapids", NULL};
  const char *core = sp_runtime_blas_core();
  int level = cpu_level();
  /* AMD's AVX-512 (Zen 4) runs 512-bit FMAs on 256-bit units: OpenBLAS's
   * AVX2 kernels are as fast there (vit_b_16, one thread: Haswell 378 ms,
   * Zen 399, Cooperlake 394, SkylakeX 404), so only Intel wants an AVX-512
   * core */
  int want_avx512 = level == 2 && cpu_is_intel();
  if (size)
    buf[0] = '\0';
  if (!level || core_in(core, want_avx512 ? avx512 : avx2))
    return 0;
  snprintf(buf, size,
           "sp: hint: OpenBLAS chose the '%s' kernels but this CPU supports %s; "
           "set OPENBLAS_CORETYPE=%s for much faster GEMM",
           core, want_avx512 ? "AVX-512F" : "AVX2",
           want_avx512 ? "SkylakeX" : "Haswell");
  return 1;
}
