/* common.h - what the kernels share with the interpreter, without ISA
 * renames (both sides use these names): the activations a conv/GEMM
 * epilogue applies, and the thread helpers of dispatch.c. */
#ifndef SP_RUNTIME_KERNELS_COMMON_H
#define SP_RUNTIME_KERNELS_COMMON_H

/* Fused epilogues applied by conv/gemm after the bias. */
typedef enum rt_act {
  RT_ACT_NONE = 0,
  RT_ACT_RELU,
  RT_ACT_CLIP, /* min(max(x, a), b) */
  RT_ACT_GELU, /* x/2 (1 + erf(x/sqrt 2)); MatMul only */
  RT_ACT_SILU, /* x sigmoid(x); Conv only, a pass after the epilogue */
  RT_ACT_HSWISH, /* x min(max(a x + b, 0), 1); as SiLU */
} rt_act;

/* Threads of the kernels (OpenMP), 1 without OpenMP. */
int rt_threads(void);
/* This thread's number in the current parallel region (0 outside one or
 * without OpenMP): which slice of per-thread scratch is its own. */
int rt_thread_num(void);
/* Once per process, before the first GEMM: OpenBLAS single-threaded
 * (it runs inside the OpenMP workers) and, when OpenBLAS picked a weaker
 * core than this CPU runs at full speed, its core table swapped for the
 * right one (dispatch.c). */
void rt_blas_setup(void);
/* The OpenBLAS core this CPU wants ("SkylakeX", "Haswell"; NULL without
 * AVX2), whether core is at least as good, and OpenBLAS's own choice when
 * rt_blas_setup replaced it (NULL when it did not). */
const char *rt_blas_wanted_core(void);
int rt_blas_core_suffices(const char *core);
const char *rt_blas_core_replaced(void);
/* Whether the user chose the core: OPENBLAS_CORETYPE set, or SP_BLAS_CORE=keep. */
int rt_blas_core_user_chosen(void);
/* Whether this CPU runs the kernel set named isa ("generic", "avx2",
 * "avx512") and this build has it. */
int rt_kernel_isa_supported(const char *isa);

#endif
