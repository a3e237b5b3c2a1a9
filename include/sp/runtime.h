/* sp/runtime.h - execute ONNX models on the CPU (float32 kernels, OpenBLAS).
 *
 * A runtime is created from a model, inputs are bound by name, run() infers
 * shapes (through sp_infer_shapes, so a dynamic batch is fine), plans memory
 * once per set of input shapes (one arena, buffers reused by liveness) and
 * executes the kernels. Every error is one line naming the file and the
 * node; nothing here exits. Never links MLIR. */
#ifndef SP_RUNTIME_H
#define SP_RUNTIME_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sp/error.h"
#include "sp/onnx.h"
#include "sp/shape.h"

/* Returned (instead of -1) when the model needs an op, an attribute value or
 * an element type that has no kernel; the message names the node and op. */
#define SP_RT_UNSUPPORTED (-2)

/* A dense row-major tensor. Outputs and observed tensors are owned by the
 * runtime and valid until the next run or free. */
typedef struct sp_tensor {
  const char *name;
  int32_t elem_type; /* ONNX__TENSOR_PROTO__DATA_TYPE__* */
  int rank;
  int64_t dims[SP_MAX_RANK];
  int64_t numel;
  void *data;
} sp_tensor;

typedef struct sp_runtime sp_runtime;

/* Called after each node with every value it produced (the model's
 * intermediates, in execution order). Setting one disables op fusion so that
 * every ONNX value is observed. */
typedef void (*sp_observer_fn)(void *user, const char *name,
                               const sp_tensor *tensor);

/* Loads path and creates a runtime that owns the model. Returns 0, -1 or
 * SP_RT_UNSUPPORTED (an op type with no kernel, named in err). */
int sp_runtime_load(const char *path, sp_runtime **out, sp_error *err);

/* Creates a runtime over an already loaded model. With take_ownership the
 * runtime frees it; otherwise the model must outlive the runtime. */
int sp_runtime_create(sp_onnx_model *model, int take_ownership,
                      sp_runtime **out, sp_error *err);

void sp_runtime_free(sp_runtime *rt);

/* Graph inputs that are not initializers, in graph order: declared type and
 * shape (dims -1 where dynamic, dim_params naming them). */
int sp_runtime_num_inputs(const sp_runtime *rt);
const sp_value_info *sp_runtime_input_info(const sp_runtime *rt, int index);

/* Copies data (rank/dims/elem_type as given) into the runtime as input name.
 * Checks the name, element type and every static declared dim. */
int sp_runtime_bind(sp_runtime *rt, const char *name, int32_t elem_type,
                    int rank, const int64_t *dims, const void *data,
                    sp_error *err);

/* Same as sp_runtime_bind with a TensorProto (e.g. read from input_0.pb). */
int sp_runtime_bind_proto(sp_runtime *rt, const char *name,
                          const Onnx__TensorProto *tensor, sp_error *err);

/* Runs the model on the bound inputs (every input must be bound). Shapes are
 * inferred and memory planned on the first run and whenever an input shape
 * (or the contents of a small integer input) changes; other runs allocate
 * nothing. Returns 0, -1 or SP_RT_UNSUPPORTED. */
int sp_runtime_run(sp_runtime *rt, sp_error *err);

/* Outputs of the last run, in graph order, or by name (NULL if none). */
int sp_runtime_num_outputs(const sp_runtime *rt);
const sp_tensor *sp_runtime_output(const sp_runtime *rt, int index);
const sp_tensor *sp_runtime_output_by_name(const sp_runtime *rt,
                                           const char *name);

/* Observer for intermediate values (NULL removes it). Takes effect at the
 * next run. */
void sp_runtime_set_observer(sp_runtime *rt, sp_observer_fn fn, void *user);

/* Per-node timing: with SP_PROFILE_OPS every run adds each node's time to
 * its op type, with SP_PROFILE_NODES to the node itself (named by its first
 * output); sp_runtime_profile_print writes one line per entry (total ms,
 * calls, share), slowest first. 0 turns it off. */
enum { SP_PROFILE_OPS = 1, SP_PROFILE_NODES = 2 };
void sp_runtime_set_profile(sp_runtime *rt, int mode);
void sp_runtime_profile_print(const sp_runtime *rt, FILE *out);

/* Training (lib/train builds on these). In training mode a run keeps every
 * value for the backward pass, fuses nothing, runs BatchNormalization on
 * batch statistics (and moves its running statistics, which must then be
 * bound writable), and caches nothing derived from weights. Switching
 * replans at the next run. */
int sp_runtime_set_training(sp_runtime *rt, int on);
/* Seeds Dropout in training mode and restarts its sequence: the k-th
 * training run after this call drops the same elements for the same seed,
 * whatever the thread count (each element's draw depends only on the seed,
 * k, the node and the element). The default seed is 0. */
void sp_runtime_set_seed(sp_runtime *rt, uint64_t seed);
/* Points the float initializer name at data (its values copied there
 * first), which the caller owns and may change between runs; grad, if not
 * NULL, receives d(loss)/d(name) (added to, never cleared) at each
 * sp_runtime_backward. */
int sp_runtime_bind_parameter(sp_runtime *rt, const char *name, float *data,
                              float *grad, sp_error *err);
/* After a training run: propagates output_grads[i] (d(loss)/d(output i),
 * the output's shape, or NULL for none) back through the graph in reverse
 * node order. Returns SP_RT_UNSUPPORTED naming the first node on the way
 * whose op has no backward kernel. */
int sp_runtime_backward(sp_runtime *rt, const float *const *output_grads,
                        sp_error *err);

/* Data-parallel training: element-wise sums over every process of a group
 * (MPI ranks in sp-train), in place; return 0 or non-zero on failure. The
 * runtime never links a transport: the caller supplies one. */
typedef struct sp_collective {
  void *ctx;
  int (*sum_f64)(void *ctx, double *buf, size_t n);
  int (*sum_f32)(void *ctx, float *buf, size_t n);
} sp_collective;
/* With a collective (NULL: none), training-mode BatchNormalization uses the
 * statistics of the whole global batch (synchronised BN), so N processes
 * with B/N samples each compute what one process computes with B. The
 * collective must outlive the runtime. */
void sp_runtime_set_collective(sp_runtime *rt, const sp_collective *c);

/* Threads for the kernels (OpenMP); GEMMs are split over the same threads,
 * each calling single-threaded OpenBLAS. Process-wide. threads <= 0 means the
 * number of online cores. */
void sp_runtime_set_threads(int threads);

/* Bytes of the activation arena of the current plan (0 before a run). */
size_t sp_runtime_arena_bytes(const sp_runtime *rt);

/* OpenBLAS core. At the first load (or first kernel call) sp checks the core
 * OpenBLAS picked against cpuid and, when it is weaker than the CPU runs at
 * full speed (Intel and AMD Zen 5+ with AVX-512 -> SkylakeX; AVX2 and Zen 4
 * -> Haswell), swaps OpenBLAS's core table for the right one, unless
 * OPENBLAS_CORETYPE names a core (kept) or SP_BLAS_CORE=keep
 * (SP_BLAS_CORE=auto swaps even a named core). sp_runtime_blas_check fills
 * buf with a one-line hint and returns 1 when the core in use is still
 * weaker; returns 0 (buf = "") when fine. The runtime prints the hint to
 * stderr once per process, at the first load, only when OpenBLAS picked the
 * core itself and it could not be swapped (a named core is the user's). */
int sp_runtime_blas_check(char *buf, size_t size);

/* OpenBLAS's own choice when sp replaced it, else NULL. */
const char *sp_runtime_blas_core_replaced(void);

/* OpenBLAS's core name in use ("SkylakeX", "Prescott", ...). */
const char *sp_runtime_blas_core(void);

/* The kernel set in use: "generic" (any x86-64 or other CPU), "avx2"
 * (x86-64-v3: AVX2, FMA) or "avx512" (x86-64-v4: AVX-512 F/BW/DQ/VL). Chosen
 * once per process, at the first call or first load: the best set the CPU
 * runs, or the one named by the environment variable SP_ISA (a set the CPU
 * cannot run falls back to the best one, with one line on stderr). */
const char *sp_runtime_isa(void);
/* 1 if this build has the kernel set isa and the CPU runs it, else 0. */
int sp_runtime_isa_supported(const char *isa);

/* Reads a TensorProto file into a malloc'ed tensor (free with
 * sp_tensor_free). name is the proto's name (may be ""). Returns 0, -1,
 * or SP_RT_UNSUPPORTED for an element type the runtime does not handle. */
int sp_tensor_read_pb(const char *path, sp_tensor **out, sp_error *err);
/* Writes t as a TensorProto named t->name. */
int sp_tensor_write_pb(const char *path, const sp_tensor *t, sp_error *err);
void sp_tensor_free(sp_tensor *t);

/* Bytes per element of an element type the runtime handles (0 otherwise). */
size_t sp_tensor_elem_size(int32_t elem_type);

#endif
