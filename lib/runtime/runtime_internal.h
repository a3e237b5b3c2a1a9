/* runtime_internal.h - private to lib/runtime: values, nodes, the op table
 * and helpers shared by the kernels. */
#ifndef SP_RUNTIME_INTERNAL_H
#define SP_RUNTIME_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/common.h" /* rt_act, thread helpers */
#include "sp/hashmap.h"
#include "sp/runtime.h"

#define RT_FLOAT ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT
#define RT_DOUBLE ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE
#define RT_INT64 ONNX__TENSOR_PROTO__DATA_TYPE__INT64
#define RT_INT32 ONNX__TENSOR_PROTO__DATA_TYPE__INT32
#define RT_BOOL ONNX__TENSOR_PROTO__DATA_TYPE__BOOL
#define RT_UINT8 ONNX__TENSOR_PROTO__DATA_TYPE__UINT8
#define RT_INT8 ONNX__TENSOR_PROTO__DATA_TYPE__INT8

typedef enum rt_kind {
  RT_CONST,   /* initializer or Constant node: model memory, read-only */
  RT_INPUT,   /* bound graph input: heap copy */
  RT_ARENA,   /* planned at offset in the arena */
  RT_ALIAS,   /* same bytes as alias_of (Reshape, Flatten, ...) */
  RT_DYNAMIC, /* shape known only at run time: grown heap buffer */
} rt_kind;

typedef struct rt_value {
  sp_tensor t; /* t.data is valid while the value is live */
  rt_kind kind;
  size_t nbytes; /* planned size (RT_ARENA) */
  size_t offset; /* RT_ARENA */
  int def, last_use; /* node indices; -1 = before the first node */
  struct rt_value *alias_of;
  void *heap; /* RT_INPUT / RT_DYNAMIC storage, and owned constants */
  size_t heap_cap;
  int is_output;
  int bound; /* RT_INPUT: bound since creation */
  int has_proto_info; /* value appears in the graph (for diagnostics) */
  float *grad; /* training: d(loss)/d(value), same shape; NULL if none */
} rt_value;

typedef struct rt_node rt_node;

/* One entry of the op table (ggml style: one prepare + forward per op). */
typedef struct rt_op {
  const char *name;
  /* At plan time, shapes inferred: check types/attributes, size scratch,
   * pack weights. May be NULL. */
  int (*prepare)(sp_runtime *rt, rt_node *n, sp_error *err);
  int (*forward)(sp_runtime *rt, rt_node *n, sp_error *err);
  /* output 0 has the bytes of input 0 (a view): RT_VIEW always,
   * RT_VIEW_INFERENCE outside training (Dropout) */
  int alias;
  /* Training (backward.c): adds d(loss)/d(input) into each non-NULL
   * n->in[i]->grad from the outputs' grads and the forward values, which
   * the training plan keeps alive. NULL: the op cannot be trained through. */
  int (*backward)(sp_runtime *rt, rt_node *n, sp_error *err);
} rt_op;

enum { RT_VIEW = 1, RT_VIEW_INFERENCE = 2 };


struct rt_node {
  const Onnx__NodeProto *proto;
  const rt_op *op;
  int64_t opset;
  int index;
  int n_in, n_out;
  rt_value **in; /* NULL for a missing optional input */
  rt_value **out;
  int dynamic; /* an output shape is unknown until run time */
  int skip;    /* fused into another node or constant */
  /* backward: bit i set when in[i]->grad holds garbage, to be written (=)
   * rather than added to (backward.c's backward_writes says which ops) */
  unsigned grad_fresh;
  /* Fusion (plan time, no observer): folded weights and epilogue. */
  /* owned: weights/bias with BatchNorm folded in; a MatMul's bias (N);
   * a fused LayerNorm's scale and bias (N) */
  float *fold_w, *fold_b;
  float norm_eps; /* fused LayerNorm */
  rt_act act;
  float act_a, act_b;
  rt_value *residual; /* conv: added before the activation */
  void *state;        /* op-private, free()d at replan */
  double state_count; /* BatchNormalization training: samples per channel */
};

struct sp_runtime {
  sp_onnx_model *model;
  int owns_model;
  const char *path;
  int64_t opset;
  sp_map values_by_name; /* name -> rt_value* */
  rt_value *values;      /* every named value of the main graph */
  size_t n_values;
  rt_value **inputs; /* non-initializer graph inputs */
  sp_value_info *input_info;
  int n_inputs;
  rt_value **outputs;
  int n_outputs;
  /* Plan. */
  int planned;
  rt_node *nodes;
  size_t n_nodes;
  size_t *order; /* topological node order */
  unsigned char *arena;
  size_t arena_bytes, arena_cap;
  void *scratch; /* per-node workspace, grows, never shrinks */
  size_t scratch_cap;
  sp_shape_table *shapes;
  /* Training (sp_runtime_set_training): no fusion, every value kept for the
   * backward pass, BatchNormalization on batch statistics, no weight
   * caches (weights change every step). */
  int training;
  /* the gradients of the values that are not parameters, by liveness
   * (backward.c); zero lists: head[k] the first value whose gradient node k
   * writes first, next[] the following one, -1 ending */
  unsigned char *grads;
  size_t grads_bytes;
  int grads_planned;
  int *grad_zero_head, *grad_zero_next;
  const sp_collective *collective; /* synchronised BatchNormalization */
  /* Dropout's draws: a function of (seed, training_runs, node, element) */
  uint64_t seed;          /* sp_runtime_set_seed; 0 by default */
  uint64_t training_runs; /* forward runs in training mode since the seed */
  size_t grads_cap;
  sp_observer_fn observer;
  void *observer_user;
  int planned_with_observer;
  int profile;
  sp_map profile_by_op; /* op type -> rt_profile_entry* */
  sp_map profile_backward_by_op; /* the same for backward kernels */
  struct rt_profile_entry *profile_entries;
  size_t n_profile, profile_cap;
  sp_error *err; /* of the current call */
};

/* ---- errors ---- */
const char *rt_node_label(const rt_node *n);
int rt_fail(sp_error *err, const rt_node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Same message, returns SP_RT_UNSUPPORTED. */
int rt_unsupported(sp_error *err, const rt_node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- attributes ---- */
const Onnx__AttributeProto *rt_attr(const rt_node *n, const char *name);
int64_t rt_attr_int(const rt_node *n, const char *name, int64_t fallback);
float rt_attr_float(const rt_node *n, const char *name, float fallback);
/* Copies up to max ints; returns the count, or -1 when absent. */
int rt_attr_ints(const rt_node *n, const char *name, int64_t *vals, int max);
/* 1 if attribute name is the string s (fallback when absent). */
int rt_attr_is(const rt_node *n, const char *name, const char *s,
               const char *fallback);
void rt_attr_str(const rt_node *n, const char *name, char *buf, size_t size,
                 const char *fallback);

/* ---- values ---- */
static inline rt_value *rt_in(const rt_node *n, int i) {
  return i < n->n_in ? n->in[i] : NULL;
}
static inline rt_value *rt_out(const rt_node *n, int i) {
  return i < n->n_out ? n->out[i] : NULL;
}
static inline float *rt_f32(const rt_value *v) { return (float *)v->t.data; }
/* Elements of t: sp_onnx_dims_numel, so -1 when a dim is negative or there
 * are more than SP_ONNX_MAX_NUMEL. Bound inputs, planned values and
 * constants are checked once, so kernels multiply their dims freely. */
int64_t rt_numel(const sp_tensor *t);
/* Product of dims[from..to) of a checked tensor. */
int64_t rt_dims_product(const sp_tensor *t, int from, int to);
/* Reads an integer tensor (int32/int64) into vals (up to max); count or -1. */
int rt_read_ints(const rt_value *v, int64_t *vals, int max);
/* Element k of a numeric tensor as double. */
double rt_get_double(const sp_tensor *t, int64_t k);
/* Checks that input i exists and has one of the element types (0-ended). */
int rt_check_types(sp_error *err, const rt_node *n, int i, ...);
/* Normalises a possibly negative axis against rank; -1 if out of range. */
int rt_axis(int64_t axis, int rank);

/* Workspace for the running node, grown as needed (never freed per run). */
void *rt_scratch(sp_runtime *rt, size_t bytes);

/* ---- ops: one table per kernel set (ops.c, compiled per ISA) ---- */
typedef struct rt_kernels {
  const char *isa;              /* "generic", "avx2", "avx512" */
  const rt_op *ops;             /* sorted by name */
  size_t n_ops;
  const rt_op *fused_layernorm; /* fuse.c's ReduceMean..Add chain */
  const struct sp_kernel_api *api; /* the flat kernels (sp/kernels.h) */
} rt_kernels;
/* The kernel set chosen for this process (isa.c; see sp_runtime_isa). */
const rt_kernels *rt_kernels_active(void);
/* The active set's op for op_type (NULL when unsupported). */
const rt_op *rt_op_find(const char *domain, const char *op_type);
/* The i-th supported op type (sorted), NULL past the end. */
const char *rt_op_at(size_t i);

/* Plan: shape inference, fusion, lifetimes, arena (plan.c). */
int rt_plan(sp_runtime *rt, sp_error *err);
void rt_plan_reset(sp_runtime *rt);
/* sp_infer_shapes over rt's model, its error without the path (the caller
 * prefixes it). */
int rt_infer_shapes(sp_runtime *rt, const sp_shape_options *options,
                    sp_shape_table **out, sp_error *err);
/* A buffer live over node indices [def, last] (inclusive), id the
 * caller's; rt_place_intervals gives each an offset (sharing bytes where
 * spans do not overlap; greedy, largest first, the array reordered) and
 * returns the total bytes, SIZE_MAX when out of memory. */
typedef struct rt_interval {
  size_t size, offset;
  int def, last;
  size_t id;
} rt_interval;
size_t rt_place_intervals(rt_interval *items, size_t n);
/* Fusion pass over the planned nodes (fuse.c). */
int rt_fuse(sp_runtime *rt, sp_error *err);
/* Run-time shape inference for a dynamic node; (re)allocates its outputs. */
int rt_infer_dynamic(sp_runtime *rt, rt_node *n, sp_error *err);

/* Profile (runtime.c): adds ms to n's entry, its forward or backward one;
 * _step adds a time that belongs to no node (e.g. gradient zeroing). */
double rt_now_ms(void);
void rt_profile_add(sp_runtime *rt, const rt_node *n, int backward, double ms);
void rt_profile_add_step(sp_runtime *rt, const char *what, double ms);

/* malloc-compatible (free() it) buffer, on 2 MB pages when it is that big. */
void *rt_alloc_huge(size_t bytes);

#endif
