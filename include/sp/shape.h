/* sp/shape.h - ONNX shape and type inference, one function per op.
 *
 * Written once over the ONNX graph so the importer and the runtime share it.
 * Small integer tensors (shapes, axes, Slice bounds) carry their values, so
 * Shape -> Gather -> Concat -> Reshape chains resolve to static shapes. */
#ifndef SP_SHAPE_H
#define SP_SHAPE_H

#include <stddef.h>
#include <stdint.h>

#include "sp/onnx.h"

#define SP_MAX_RANK 16
/* Integer tensors up to this many elements keep their values. */
#define SP_MAX_KNOWN_VALUES 64

typedef enum sp_value_kind {
  SP_VALUE_TENSOR = 0,
  SP_VALUE_SEQUENCE,  /* sequence of tensors; elem fields describe one element */
  SP_VALUE_OPTIONAL,  /* optional tensor; elem fields describe the tensor */
  SP_VALUE_OTHER,     /* map or anything else: element fields unknown */
} sp_value_kind;

/* What is known about one ONNX value. */
typedef struct sp_value_info {
  const char *name;        /* borrowed from the proto */
  sp_value_kind kind;
  int32_t elem_type;       /* ONNX__TENSOR_PROTO__DATA_TYPE__*, 0 = unknown */
  int rank;                /* -1 = unknown rank */
  int64_t dims[SP_MAX_RANK];          /* -1 = not static */
  const char *dim_params[SP_MAX_RANK]; /* symbolic name (e.g. "batch") or NULL */
  /* Known contents of a small integer (or bool) tensor, row-major, as int64. */
  int has_value;
  /* Known contents of a small floating-point tensor (Resize scales, Range
   * bounds, shape arithmetic done in float), as double. Never set together
   * with has_value or partial_value: they share storage. */
  int has_float_value;
  /* A shape vector (at most SP_MAX_RANK elements) whose elements are known
   * except the ones equal to SP_UNKNOWN_VALUE (dynamic dims read by Shape,
   * named by value_params[i] or NULL). has_value is 0 then; lets Shape ->
   * Gather -> Concat -> Reshape keep the batch dim symbolic. */
  int partial_value;
  union {
    int64_t value[SP_MAX_KNOWN_VALUES];
    double float_value[SP_MAX_KNOWN_VALUES];
  };
  const char *value_params[SP_MAX_RANK]; /* partial_value only */
  /* SP_VALUE_SEQUENCE: the number of elements, when known (SequenceEmpty,
   * SequenceConstruct, SequenceInsert into a known sequence). */
  int has_seq_length;
  int64_t seq_length;
} sp_value_info;

/* An element of a partial_value that is not known statically. */
#define SP_UNKNOWN_VALUE INT64_MIN

/* Name -> sp_value_info for a whole graph, subgraphs included. */
typedef struct sp_shape_table sp_shape_table;

/* Called once per disagreement or unsupported op, with a one-line message
 * naming the node; inference carries on. */
typedef void (*sp_shape_warn_fn)(void *user, const char *message);

typedef struct sp_shape_options {
  /* Replace the declared types of these graph inputs (e.g. the runtime binds
   * batch = 4). Matched by name. */
  const sp_value_info *input_overrides;
  int num_input_overrides;
  sp_shape_warn_fn warn; /* may be NULL */
  void *warn_user;
} sp_shape_options;

/* Infers every value of model's main graph (and subgraphs). Declared
 * value_info/outputs are merged: inference wins where it knows more; a
 * contradiction (different static dim or type) is reported through warn.
 * Fails only on an inconsistency that makes the model unrunnable (e.g.
 * Conv channels that do not match the weight), naming the node. */
int sp_infer_shapes(sp_onnx_model *model, const sp_shape_options *options,
                    sp_shape_table **out, sp_error *err);

/* The inferred info for name, or NULL if the name is not in the graph. */
const sp_value_info *sp_shape_lookup(const sp_shape_table *table,
                                     const char *name);

void sp_shape_table_free(sp_shape_table *table);

/* One op's inference: reads inputs[i] (NULL for a missing optional input)
 * and the node's attributes, fills outputs[0..num_outputs) (num_outputs >= 1,
 * each initialised to rank -1, elem_type 0). Returns 0, or -1 with err naming
 * the node. Shared by the importer and the runtime. */
typedef int (*sp_shape_fn)(const Onnx__NodeProto *node,
                           const sp_value_info *const *inputs, int num_inputs,
                           sp_value_info *outputs, int num_outputs,
                           int64_t opset, sp_error *err);

/* The inference function for (domain, op_type), or NULL if sp has none. */
sp_shape_fn sp_shape_fn_for(const char *domain, const char *op_type);

/* 1 if sp_infer_shapes infers the op's outputs: it has a shape function, or
 * it is control flow (If, Loop, Scan, SequenceMap) inferred by the driver
 * from its subgraphs. */
int sp_shape_op_supported(const char *domain, const char *op_type);

/* The i-th op type that has a shape function (sorted by strcmp), NULL past
 * the end: lets tools and tests list the coverage. */
const char *sp_shape_op_at(size_t i);

#endif
