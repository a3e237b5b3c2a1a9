/* dispatch.c - the one place that picks a kernel set, for generated code
 * (sp_kernels()) and the interpreter (isa.c follows its choice). The
 * kernel files are compiled once per ISA level (CMakeLists.txt); at the
 * first use the best set this CPU runs is chosen, or the one SP_ISA names.
 * Compiled once for the baseline, so it runs on any CPU; part of
 * libsp_kernels.a, so it knows nothing of the interpreter. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* RTLD_DEFAULT */
#endif
#include <cblas.h>
#include <cpuid.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
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

/* 2 MB pages for a buffer every run sweeps: with 4 KB pages the arena and
 * the conv workspace miss the TLB (resnet50, one thread: ~9% of the run;
 * sp-run's arena gets the same through rt_alloc_huge). */
#define HUGE_PAGE ((size_t)2 << 20)
void *sp_scratch_alloc(size_t bytes) {
  void *p = NULL;
  size_t align = bytes >= HUGE_PAGE ? HUGE_PAGE : 64;
  if (posix_memalign(&p, align, bytes ? bytes : 1))
    return NULL;
#ifdef MADV_HUGEPAGE
  if (align == HUGE_PAGE) /* before the first touch: the faults then map 2 MB pages */
    madvise(p, (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE, MADV_HUGEPAGE);
#endif
  return p;
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

/* OpenBLAS's core.
 *
 * Debian's OpenBLAS 0.3.21 (built with DYNAMIC_ARCH) picks its kernels from
 * the cpuid family/model tables of its release: a CPU newer than those
 * gets an older core (Haswell on AMD Zen 5, Prescott on some AVX-512
 * Xeons), which halves SGEMM speed or worse (1024^3 on Zen 5, one thread:
 * Haswell 104, SkylakeX 192 GFLOP/s). Its core table is swappable at run
 * time (gotoblas_dynamic_quit/init re-read OPENBLAS_CORETYPE), so at the
 * first use sp moves it to the core this CPU runs at full speed, unless
 * the user named one (OPENBLAS_CORETYPE) or SP_BLAS_CORE=keep. */

static const char *const AVX512_CORES[] = {"SkylakeX", "Cooperlake", "SapphireRapids", NULL};
static const char *const AVX2_CORES[] = {"Haswell", "Zen", "SkylakeX", "Cooperlake",
                                         "SapphireRapids", NULL};

static int core_in(const char *core, const char *const *list) {
  for (; *list; ++list)
    if (!strcasecmp(core, *list))
      return 1;
  return 0;
}

/* AMD family (base + extended), 0 on other vendors. */
static unsigned amd_family(void) {
  unsigned a, b, c, d;
  /* "AuthenticAMD" in ebx, edx, ecx */
  if (!__get_cpuid(0, &a, &b, &c, &d) || b != 0x68747541 || d != 0x69746e65 ||
      c != 0x444d4163 || !__get_cpuid(1, &a, &b, &c, &d))
    return 0;
  unsigned family = (a >> 8) & 0xf;
  return family == 0xf ? family + ((a >> 20) & 0xff) : family;
}

const char *rt_blas_wanted_core(void) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  /* Zen 4 (family 0x19) runs 512-bit FMAs on 256-bit units, where the AVX2
   * kernels are as fast (vit_b_16: Haswell 378 ms, SkylakeX 404); Zen 5
   * (0x1a) and Intel have full-width units */
  unsigned amd = amd_family();
  if (__builtin_cpu_supports("x86-64-v4") && (amd == 0 || amd >= 0x1a))
    return "SkylakeX";
  if (__builtin_cpu_supports("x86-64-v3"))
    return "Haswell";
#endif
  return NULL;
}

int rt_blas_core_suffices(const char *core) {
  const char *want = rt_blas_wanted_core();
  if (!want || !core)
    return 1;
  return core_in(core, strcmp(want, "SkylakeX") ? AVX2_CORES : AVX512_CORES);
}

static char blas_core_before[32]; /* OpenBLAS's own choice, when replaced */

int rt_blas_core_user_chosen(void) {
  const char *mode = getenv("SP_BLAS_CORE");
  return getenv("OPENBLAS_CORETYPE") || (mode && !strcmp(mode, "keep"));
}

static void blas_setup(void) {
  /* OpenBLAS itself runs single-threaded inside the OpenMP workers */
  openblas_set_num_threads(1);
  /* the user's choice is kept, unless SP_BLAS_CORE=auto insists */
  const char *mode = getenv("SP_BLAS_CORE");
  if (rt_blas_core_user_chosen() && !(mode && !strcmp(mode, "auto")))
    return;
  const char *core = openblas_get_corename();
  const char *want = rt_blas_wanted_core();
  if (!core || rt_blas_core_suffices(core))
    return;
  void (*quit)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "gotoblas_dynamic_quit");
  void (*init)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "gotoblas_dynamic_init");
  if (!quit || !init)
    return; /* an OpenBLAS built for one core: nothing to swap */
  char user[64] = "";
  const char *user_core = getenv("OPENBLAS_CORETYPE");
  if (user_core)
    snprintf(user, sizeof user, "%s", user_core);
  snprintf(blas_core_before, sizeof blas_core_before, "%s", core);
  /* init reads the core from the environment only; set for this one call
   * (a host thread reading the environment right now could see it) */
  quit();
  setenv("OPENBLAS_CORETYPE", want, 1);
  init();
  if (*user)
    setenv("OPENBLAS_CORETYPE", user, 1);
  else
    unsetenv("OPENBLAS_CORETYPE");
}

void rt_blas_setup(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, blas_setup);
}

const char *rt_blas_core_replaced(void) {
  rt_blas_setup();
  return blas_core_before[0] ? blas_core_before : NULL;
}
