/* shape_driver.h - private to lib/onnx: the inference context shared by the
 * driver (shape.c), control flow (shape_control.c) and the op registry
 * (shape_registry.c). */
#ifndef SP_SHAPE_DRIVER_H
#define SP_SHAPE_DRIVER_H

#include "shape_ops.h"

typedef struct infer_ctx {
  sp_onnx_model *model;
  const sp_shape_options *options;
  sp_shape_table *table;
  int64_t opset;          /* of the default domain */
  sp_value_info *outputs; /* scratch: one node's outputs */
  size_t outputs_cap;
  const sp_value_info **inputs; /* scratch: one node's inputs */
  size_t inputs_cap;
  const char **warned_ops; /* unsupported op types already reported */
  size_t n_warned, warned_cap;
  sp_value_info unknown; /* input defined nowhere (outer scope, typo) */
  sp_error *err;
} infer_ctx;

/* 1 for "" and "ai.onnx". */
int sp_shape_is_default_domain(const char *domain);
/* If, Loop, Scan, SequenceMap: outputs come from subgraphs. */
int sp_shape_is_control_flow(const char *op_type);

/* Seeds g's names (seeds: one per input, what a body's owner feeds it, or
 * NULL), then infers its nodes in topological order. */
int sp_infer_graph(infer_ctx *c, const Onnx__GraphProto *g, int is_main,
                   const sp_value_info *seeds);
/* The info inferred so far for name, or NULL. */
const sp_value_info *sp_infer_lookup(const infer_ctx *c, const char *name);

/* Infers every subgraph attribute of node (bodies see outer names). */
int sp_infer_subgraphs(infer_ctx *c, const Onnx__NodeProto *node,
                       int64_t opset);
/* Fills c->outputs of a control-flow node from its inferred bodies;
 * 0 if node is not control flow. */
int sp_infer_control_flow(infer_ctx *c, const Onnx__NodeProto *node, int n_in,
                          int n_out, int64_t opset);

#endif
