/* shape_control.c - control flow: If, Loop, Scan and SequenceMap. Bodies
 * are inferred in place (they see the outer names), seeded with what their
 * owner feeds them; the owner's outputs come from the bodies' outputs. */
#include <stdlib.h>
#include <string.h>

#include "shape_driver.h"

static const Onnx__GraphProto *graph_attr(const Onnx__NodeProto *node,
                                          const char *name) {
  const Onnx__AttributeProto *a = sp_attr(node, name);
  return a ? a->g : NULL;
}

/* Output i of a subgraph, as inferred. */
static const sp_value_info *body_output(const infer_ctx *c,
                                        const Onnx__GraphProto *g, size_t i) {
  return g && i < g->n_output ? sp_infer_lookup(c, g->output[i]->name) : NULL;
}

/* If: the taken branch when cond is known, else what both branches agree on. */
static void infer_if(infer_ctx *c, const Onnx__NodeProto *node, int n_out) {
  const Onnx__GraphProto *then_g = graph_attr(node, "then_branch");
  const Onnx__GraphProto *else_g = graph_attr(node, "else_branch");
  const sp_value_info *cond = c->inputs[0];
  for (int i = 0; i < n_out; ++i) {
    const sp_value_info *a = body_output(c, then_g, (size_t)i);
    const sp_value_info *b = body_output(c, else_g, (size_t)i);
    if (cond && cond->has_value)
      a = b = cond->value[0] ? a : b;
    if (!a || !b)
      continue;
    c->outputs[i] = *a;
    sp_merge_info(&c->outputs[i], b);
  }
}

/* 1 if the Loop body hands its cond input straight back (a for-loop). */
static int body_keeps_cond(const Onnx__GraphProto *body) {
  if (body->n_input < 2 || body->n_output < 1)
    return 0;
  const char *cond_in = body->input[1]->name, *cond_out = body->output[0]->name;
  if (!strcmp(cond_in, cond_out))
    return 1;
  for (size_t i = 0; i < body->n_node; ++i) {
    const Onnx__NodeProto *n = body->node[i];
    if (!strcmp(n->op_type, "Identity") && n->n_input == 1 &&
        n->n_output == 1 && !strcmp(n->output[0], cond_out) &&
        !strcmp(n->input[0], cond_in))
      return 1;
  }
  return 0;
}

/* Iterations of a Loop when they are static: M with no cond (or a cond that
 * is true and passed through unchanged), 0 when cond starts false. */
static int64_t loop_trips(const Onnx__NodeProto *node,
                          const Onnx__GraphProto *body, const sp_value_info *m,
                          const sp_value_info *cond) {
  if (cond && cond->has_value && !cond->value[0])
    return 0;
  if (!m || !m->has_value || m->value[0] < 0)
    return -1;
  if (!cond || (cond->has_value && body && body_keeps_cond(body)))
    return m->value[0];
  (void)node;
  return -1;
}

/* Loop: carried values as the body leaves them (merged with their initial
 * values), scan outputs stacked over the trip count. */
static void infer_loop(infer_ctx *c, const Onnx__NodeProto *node, int n_in,
                       int n_out) {
  const Onnx__GraphProto *body = graph_attr(node, "body");
  int carried = n_in - 2;
  const sp_value_info *cond = n_in > 1 ? c->inputs[1] : NULL;
  int64_t trips = loop_trips(node, body, c->inputs[0], cond);
  for (int i = 0; i < n_out; ++i) {
    const sp_value_info *b = body_output(c, body, (size_t)i + 1);
    if (!b)
      continue;
    sp_value_info *y = &c->outputs[i];
    *y = *b;
    if (i < carried && c->inputs[2 + i]) {
      sp_merge_info(y, c->inputs[2 + i]);
      continue;
    }
    y->has_value = y->has_float_value = y->partial_value = 0;
    if (b->rank < 0 || b->rank >= SP_MAX_RANK || b->kind != SP_VALUE_TENSOR) {
      y->rank = -1;
      continue;
    }
    y->rank = b->rank + 1;
    sp_set_dim(y, 0, trips);
    for (int d = 0; d < b->rank; ++d)
      sp_copy_dim(y, d + 1, b, d);
  }
}

/* Scan's layout: opset 8 has a sequence_lens input and a batch dim on
 * everything; from 9 the scan axes are attributes. */
typedef struct scan_layout {
  int first_state, states, n_scan;
  int batched;    /* opset 8 */
  int64_t length; /* iterations, -1 if unknown */
  int64_t batch;  /* opset 8 batch size */
  const char *batch_param;
  int64_t in_axes[SP_MAX_RANK], out_axes[SP_MAX_RANK];
} scan_layout;

static void scan_layout_of(const infer_ctx *c, const Onnx__NodeProto *node,
                           int n_in, int64_t opset, scan_layout *s) {
  memset(s, 0, sizeof *s);
  s->batched = opset < 9;
  s->first_state = s->batched ? 1 : 0;
  int64_t n_scan = sp_attr_int(node, "num_scan_inputs", 0);
  s->n_scan = n_scan >= 0 && n_scan <= n_in - s->first_state ? (int)n_scan : 0;
  s->states = n_in - s->first_state - s->n_scan;
  sp_attr_ints(node, "scan_input_axes", s->in_axes, SP_MAX_RANK);
  sp_attr_ints(node, "scan_output_axes", s->out_axes, SP_MAX_RANK);
  int at = s->first_state + s->states;
  const sp_value_info *first =
      at >= 0 && at < n_in ? sp_infer_lookup(c, node->input[at]) : NULL;
  s->length = s->batch = -1;
  if (!sp_rank_known(first))
    return;
  int64_t a = s->batched ? 1 : s->in_axes[0];
  a = a < 0 ? a + first->rank : a;
  s->length = a >= 0 && a < first->rank ? first->dims[a] : -1;
  if (s->batched && first->rank > 0) {
    s->batch = first->dims[0];
    s->batch_param = first->dim_params[0];
  }
}

/* y = b with a dim inserted at axis (size, name). */
static void insert_dim(sp_value_info *y, const sp_value_info *b, int64_t axis,
                       int64_t size, const char *param) {
  axis = axis < 0 ? axis + b->rank + 1 : axis;
  if (b->rank < 0 || b->rank >= SP_MAX_RANK || axis < 0 || axis > b->rank) {
    y->rank = -1;
    return;
  }
  y->rank = b->rank + 1;
  for (int d = 0, s = 0; d < y->rank; ++d) {
    if (d == axis) {
      sp_set_dim(y, d, size);
      y->dim_params[d] = param;
    } else {
      sp_copy_dim(y, d, b, s++);
    }
  }
}

/* Scan: final states from the body, scan outputs with the iteration count
 * inserted at scan_output_axes (after the batch dim in opset 8). */
static void infer_scan(infer_ctx *c, const Onnx__NodeProto *node, int n_in,
                       int n_out, int64_t opset) {
  const Onnx__GraphProto *body = graph_attr(node, "body");
  scan_layout s;
  scan_layout_of(c, node, n_in, opset, &s);
  for (int i = 0; i < n_out; ++i) {
    const sp_value_info *b = body_output(c, body, (size_t)i);
    if (!b)
      continue;
    sp_value_info *y = &c->outputs[i], tmp;
    *y = *b;
    y->has_value = y->has_float_value = y->partial_value = 0;
    if (i >= s.states)
      insert_dim(y, b, s.batched ? 0 : s.out_axes[(i - s.states) % SP_MAX_RANK],
                 s.length, NULL);
    if (s.batched) {
      tmp = *y;
      insert_dim(y, &tmp, 0, s.batch, s.batch_param);
    }
  }
}

/* SequenceMap: each output is a sequence of the body's output. */
static void infer_sequence_map(infer_ctx *c, const Onnx__NodeProto *node,
                               int n_out) {
  const Onnx__GraphProto *body = graph_attr(node, "body");
  const sp_value_info *seq = c->inputs[0];
  for (int i = 0; i < n_out; ++i) {
    const sp_value_info *b = body_output(c, body, (size_t)i);
    if (b) {
      sp_value_info *y = &c->outputs[i];
      sp_same_as(y, b);
      y->kind = SP_VALUE_SEQUENCE;
      y->has_seq_length = seq && seq->has_seq_length;
      y->seq_length = seq ? seq->seq_length : -1;
    }
  }
}

/* What the owner feeds body input i: Loop's iteration number, cond and
 * carried values; Scan's states and slices; SequenceMap's elements. */
static void body_seed(infer_ctx *c, const Onnx__NodeProto *node, int64_t opset,
                      size_t i, sp_value_info *seed) {
  memset(seed, 0, sizeof *seed);
  seed->rank = -1;
  const char *op = node->op_type;
  int loop = !strcmp(op, "Loop"), scan = !strcmp(op, "Scan");
  if (loop && i < 2) {
    sp_set_rank(seed, i == 0 ? SP_T_INT64 : SP_T_BOOL, 0);
    return;
  }
  scan_layout s;
  size_t at = i;
  if (scan) {
    scan_layout_of(c, node, (int)node->n_input, opset, &s);
    at = i + (size_t)s.first_state;
  }
  const sp_value_info *src =
      at < node->n_input ? sp_infer_lookup(c, node->input[at]) : NULL;
  if (!src)
    return;
  *seed = *src;
  seed->has_value = seed->has_float_value = seed->partial_value = 0;
  seed->kind = loop ? src->kind : SP_VALUE_TENSOR;
  int drop = -1; // the dim a scan input (or opset 8 batch) loses in the body
  if (scan && (int)i >= s.states) {
    int64_t a = s.batched ? 1 : s.in_axes[(i - (size_t)s.states) % SP_MAX_RANK];
    a = a < 0 ? a + src->rank : a;
    drop = a >= 0 && a < src->rank ? (int)a : -1;
  }
  for (int pass = 0; pass < 1 + (scan && s.batched); ++pass) {
    int d0 = pass ? 0 : drop; // opset 8 also drops the batch dim
    if (d0 < 0 || seed->rank <= d0)
      continue;
    for (int d = d0; d + 1 < seed->rank; ++d)
      sp_copy_dim(seed, d, seed, d + 1);
    seed->rank--;
  }
}

/* 1 if a and b describe the same shape (names included). */
static int same_shape(const sp_value_info *a, const sp_value_info *b) {
  if (a->rank != b->rank || a->elem_type != b->elem_type ||
      a->has_seq_length != b->has_seq_length ||
      (a->has_seq_length && a->seq_length != b->seq_length))
    return 0;
  for (int d = 0; d < a->rank; ++d)
    if (a->dims[d] != b->dims[d] || a->dim_params[d] != b->dim_params[d])
      return 0;
  return 1;
}

/* Infers a body seeded from its owner; a Loop body is re-inferred until its
 * carried values keep their shapes (dims that change become dynamic). */
static int infer_body(infer_ctx *c, const Onnx__NodeProto *node, int64_t opset,
                      const Onnx__GraphProto *body) {
  sp_value_info *seeds = malloc((body->n_input + 1) * sizeof *seeds);
  if (!seeds)
    return sp_error_set(c->err, "out of memory");
  for (size_t i = 0; i < body->n_input; ++i)
    body_seed(c, node, opset, i, &seeds[i]);
  int loop = !strcmp(node->op_type, "Loop"), rc = 0;
  for (int pass = 0; pass < 4 && rc == 0; ++pass) {
    rc = sp_infer_graph(c, body, 0, seeds);
    int changed = 0;
    for (size_t i = 2; loop && rc == 0 && i < body->n_input; ++i) {
      const sp_value_info *out = body_output(c, body, i - 1);
      sp_value_info merged = seeds[i];
      if (!out || seeds[i].rank < 0)
        continue;
      sp_merge_info(&merged, out);
      if (!same_shape(&merged, &seeds[i])) {
        seeds[i] = merged;
        changed = 1;
      }
    }
    if (!changed)
      break;
  }
  free(seeds);
  return rc;
}

int sp_infer_subgraphs(infer_ctx *c, const Onnx__NodeProto *node,
                       int64_t opset) {
  const char *op = node->op_type;
  int seeded = sp_shape_is_default_domain(node->domain) &&
               (!strcmp(op, "Loop") || !strcmp(op, "Scan") ||
                !strcmp(op, "SequenceMap"));
  for (size_t a = 0; a < node->n_attribute; ++a) {
    const Onnx__AttributeProto *attr = node->attribute[a];
    if (attr->g && (seeded ? infer_body(c, node, opset, attr->g)
                           : sp_infer_graph(c, attr->g, 0, NULL)))
      return -1;
    for (size_t k = 0; k < attr->n_graphs; ++k)
      if (sp_infer_graph(c, attr->graphs[k], 0, NULL))
        return -1;
  }
  return 0;
}

int sp_infer_control_flow(infer_ctx *c, const Onnx__NodeProto *node, int n_in,
                          int n_out, int64_t opset) {
  const char *op = node->op_type;
  if (!sp_shape_is_default_domain(node->domain) ||
      !sp_shape_is_control_flow(op))
    return 0;
  if (n_in == 0)
    return 1; // malformed (If, Loop, SequenceMap read input 0): outputs unknown
  if (!strcmp(op, "If"))
    infer_if(c, node, n_out);
  else if (!strcmp(op, "Loop"))
    infer_loop(c, node, n_in, n_out);
  else if (!strcmp(op, "Scan"))
    infer_scan(c, node, n_in, n_out, opset);
  else if (!strcmp(op, "SequenceMap"))
    infer_sequence_map(c, node, n_out);
  else
    return 0;
  return 1;
}
