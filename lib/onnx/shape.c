/* shape.c - the shape-inference driver and the op table.
 *
 * Seeds a name -> sp_value_info table from graph inputs, initializers and
 * declared value_info, walks the nodes in topological order calling one
 * function per op, infers subgraphs (If/Loop/Scan bodies) in place, and
 * merges results with what the model declares. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shape_ops.h"
#include "sp/hashmap.h"

/* Opset assumed for the default domain when a model imports none. */
#define SP_SHAPE_DEFAULT_OPSET 21

/* ---- the op table: one function per op, sorted by op_type (strcmp) ---- */

typedef struct op_entry {
  const char *op_type;
  sp_shape_fn fn;
} op_entry;

static const op_entry ops[] = {
    {"Abs", sp_shape_unary_values},
    {"Acos", sp_shape_unary},
    {"Acosh", sp_shape_unary},
    {"Add", sp_shape_binary},
    {"And", sp_shape_compare},
    {"ArgMax", sp_shape_argmax},
    {"ArgMin", sp_shape_argmax},
    {"Asin", sp_shape_unary},
    {"Asinh", sp_shape_unary},
    {"Atan", sp_shape_unary},
    {"Atanh", sp_shape_unary},
    {"AveragePool", sp_shape_pool},
    {"BatchNormalization", sp_shape_batch_norm},
    {"Bernoulli", sp_shape_like_dtype},
    {"BitShift", sp_shape_binary},
    {"BitwiseAnd", sp_shape_binary},
    {"BitwiseNot", sp_shape_unary},
    {"BitwiseOr", sp_shape_binary},
    {"BitwiseXor", sp_shape_binary},
    {"BlackmanWindow", sp_shape_window},
    {"Cast", sp_shape_cast},
    {"CastLike", sp_shape_cast_like},
    {"Ceil", sp_shape_unary_values},
    {"Celu", sp_shape_unary},
    {"CenterCropPad", sp_shape_center_crop_pad},
    {"Clip", sp_shape_clip},
    {"Compress", sp_shape_compress},
    {"Concat", sp_shape_concat},
    {"ConcatFromSequence", sp_shape_concat_from_sequence},
    {"Constant", sp_shape_constant},
    {"ConstantOfShape", sp_shape_constant_of_shape},
    {"Conv", sp_shape_conv},
    {"ConvInteger", sp_shape_conv_integer},
    {"ConvTranspose", sp_shape_conv_transpose},
    {"Cos", sp_shape_unary},
    {"Cosh", sp_shape_unary},
    {"CumSum", sp_shape_cumsum},
    {"DFT", sp_shape_dft},
    {"DepthToSpace", sp_shape_depth_to_space},
    {"DequantizeLinear", sp_shape_dequantize},
    {"Det", sp_shape_det},
    {"Div", sp_shape_binary},
    {"Dropout", sp_shape_dropout},
    {"DynamicQuantizeLinear", sp_shape_dynamic_quantize},
    {"Einsum", sp_shape_einsum},
    {"Elu", sp_shape_unary},
    {"Equal", sp_shape_compare},
    {"Erf", sp_shape_unary},
    {"Exp", sp_shape_unary_values},
    {"Expand", sp_shape_expand},
    {"EyeLike", sp_shape_like_dtype},
    {"Flatten", sp_shape_flatten},
    {"Floor", sp_shape_unary_values},
    {"GRU", sp_shape_rnn},
    {"Gather", sp_shape_gather},
    {"GatherElements", sp_shape_gather_elements},
    {"GatherND", sp_shape_gather_nd},
    {"Gelu", sp_shape_unary},
    {"Gemm", sp_shape_gemm},
    {"GlobalAveragePool", sp_shape_global_pool},
    {"GlobalLpPool", sp_shape_global_pool},
    {"GlobalMaxPool", sp_shape_global_pool},
    {"Greater", sp_shape_compare},
    {"GreaterOrEqual", sp_shape_compare},
    {"GridSample", sp_shape_grid_sample},
    {"GroupNormalization", sp_shape_group_norm},
    {"HammingWindow", sp_shape_window},
    {"HannWindow", sp_shape_window},
    {"HardSigmoid", sp_shape_unary},
    {"HardSwish", sp_shape_unary},
    {"Hardmax", sp_shape_softmax},
    {"Identity", sp_shape_identity},
    {"InstanceNormalization", sp_shape_instance_norm},
    {"IsInf", sp_shape_to_bool},
    {"IsNaN", sp_shape_to_bool},
    {"LRN", sp_shape_unary},
    {"LSTM", sp_shape_rnn},
    {"LayerNormalization", sp_shape_layer_norm},
    {"LeakyRelu", sp_shape_unary},
    {"Less", sp_shape_compare},
    {"LessOrEqual", sp_shape_compare},
    {"Log", sp_shape_unary_values},
    {"LogSoftmax", sp_shape_softmax},
    {"LpNormalization", sp_shape_unary},
    {"LpPool", sp_shape_pool},
    {"MatMul", sp_shape_matmul},
    {"MatMulInteger", sp_shape_matmul_integer},
    {"Max", sp_shape_variadic},
    {"MaxPool", sp_shape_pool},
    {"MaxRoiPool", sp_shape_max_roi_pool},
    {"MaxUnpool", sp_shape_max_unpool},
    {"Mean", sp_shape_variadic},
    {"MeanVarianceNormalization", sp_shape_unary},
    {"MelWeightMatrix", sp_shape_mel_weight_matrix},
    {"Min", sp_shape_variadic},
    {"Mish", sp_shape_unary},
    {"Mod", sp_shape_binary},
    {"Mul", sp_shape_binary},
    {"Multinomial", sp_shape_multinomial},
    {"Neg", sp_shape_unary_values},
    {"NegativeLogLikelihoodLoss", sp_shape_nll_loss},
    {"NonMaxSuppression", sp_shape_nms},
    {"NonZero", sp_shape_nonzero},
    {"Not", sp_shape_not},
    {"OneHot", sp_shape_onehot},
    {"Optional", sp_shape_optional},
    {"OptionalGetElement", sp_shape_optional_get_element},
    {"OptionalHasElement", sp_shape_optional_has_element},
    {"Or", sp_shape_compare},
    {"PRelu", sp_shape_prelu},
    {"Pad", sp_shape_pad},
    {"Pow", sp_shape_binary},
    {"QLinearConv", sp_shape_qlinear_conv},
    {"QLinearMatMul", sp_shape_qlinear_matmul},
    {"QuantizeLinear", sp_shape_quantize},
    {"RNN", sp_shape_rnn},
    {"RandomNormal", sp_shape_random},
    {"RandomNormalLike", sp_shape_like_dtype},
    {"RandomUniform", sp_shape_random},
    {"RandomUniformLike", sp_shape_like_dtype},
    {"Range", sp_shape_range},
    {"Reciprocal", sp_shape_unary_values},
    {"ReduceL1", sp_shape_reduce},
    {"ReduceL2", sp_shape_reduce},
    {"ReduceLogSum", sp_shape_reduce},
    {"ReduceLogSumExp", sp_shape_reduce},
    {"ReduceMax", sp_shape_reduce},
    {"ReduceMean", sp_shape_reduce},
    {"ReduceMin", sp_shape_reduce},
    {"ReduceProd", sp_shape_reduce},
    {"ReduceSum", sp_shape_reduce},
    {"ReduceSumSquare", sp_shape_reduce},
    {"Relu", sp_shape_unary_values},
    {"Reshape", sp_shape_reshape},
    {"Resize", sp_shape_resize},
    {"ReverseSequence", sp_shape_same_as_data},
    {"RoiAlign", sp_shape_roi_align},
    {"Round", sp_shape_unary_values},
    {"STFT", sp_shape_stft},
    {"Scatter", sp_shape_same_as_data},
    {"ScatterElements", sp_shape_same_as_data},
    {"ScatterND", sp_shape_same_as_data},
    {"Selu", sp_shape_unary},
    {"SequenceAt", sp_shape_sequence_at},
    {"SequenceConstruct", sp_shape_sequence_construct},
    {"SequenceEmpty", sp_shape_sequence_empty},
    {"SequenceErase", sp_shape_sequence_erase},
    {"SequenceInsert", sp_shape_sequence_insert},
    {"SequenceLength", sp_shape_sequence_length},
    {"Shape", sp_shape_shape},
    {"Shrink", sp_shape_unary},
    {"Sigmoid", sp_shape_unary},
    {"Sign", sp_shape_unary_values},
    {"Sin", sp_shape_unary},
    {"Sinh", sp_shape_unary},
    {"Size", sp_shape_size},
    {"Slice", sp_shape_slice},
    {"Softmax", sp_shape_softmax},
    {"SoftmaxCrossEntropyLoss", sp_shape_softmax_ce_loss},
    {"Softplus", sp_shape_unary},
    {"Softsign", sp_shape_unary},
    {"SpaceToDepth", sp_shape_space_to_depth},
    {"Split", sp_shape_split},
    {"SplitToSequence", sp_shape_split_to_sequence},
    {"Sqrt", sp_shape_unary_values},
    {"Squeeze", sp_shape_squeeze},
    {"StringNormalizer", sp_shape_string_normalizer},
    {"Sub", sp_shape_binary},
    {"Sum", sp_shape_variadic},
    {"Tan", sp_shape_unary},
    {"Tanh", sp_shape_unary},
    {"TfIdfVectorizer", sp_shape_tfidf},
    {"ThresholdedRelu", sp_shape_unary},
    {"Tile", sp_shape_tile},
    {"TopK", sp_shape_topk},
    {"Transpose", sp_shape_transpose},
    {"Trilu", sp_shape_trilu},
    {"Unique", sp_shape_unique},
    {"Unsqueeze", sp_shape_unsqueeze},
    {"Upsample", sp_shape_upsample},
    {"Where", sp_shape_where},
    {"Xor", sp_shape_compare},
};

static int is_default_domain(const char *domain) {
  return !domain || !domain[0] || !strcmp(domain, "ai.onnx");
}

/* Optimizer updates of the preview training domain. */
static const op_entry training_ops[] = {
    {"Adagrad", sp_shape_optimizer},
    {"Adam", sp_shape_optimizer},
    {"Gradient", sp_shape_gradient},
    {"Momentum", sp_shape_optimizer},
};

sp_shape_fn sp_shape_fn_for(const char *domain, const char *op_type) {
  if (!op_type)
    return NULL;
  if (domain && !strcmp(domain, "ai.onnx.preview.training")) {
    for (size_t i = 0; i < sizeof training_ops / sizeof *training_ops; ++i)
      if (!strcmp(op_type, training_ops[i].op_type))
        return training_ops[i].fn;
    return NULL;
  }
  if (!is_default_domain(domain))
    return NULL;
  size_t lo = 0, hi = sizeof ops / sizeof ops[0];
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(op_type, ops[mid].op_type);
    if (c == 0)
      return ops[mid].fn;
    if (c < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  return NULL;
}

/* Ops whose outputs come from a subgraph: the driver infers them. */
static int is_control_flow(const char *op_type) {
  return !strcmp(op_type, "If") || !strcmp(op_type, "Loop") ||
         !strcmp(op_type, "Scan") || !strcmp(op_type, "SequenceMap");
}

int sp_shape_op_supported(const char *domain, const char *op_type) {
  return sp_shape_fn_for(domain, op_type) != NULL ||
         (is_default_domain(domain) && op_type && is_control_flow(op_type));
}

const char *sp_shape_op_at(size_t i) {
  return i < sizeof ops / sizeof ops[0] ? ops[i].op_type : NULL;
}

/* ---- name -> info table: one array of entries, indexed by an sp_map ---- */

typedef struct entry {
  sp_value_info info;
  const Onnx__TypeProto *declared; /* value_info / graph output, or NULL */
  int defined;                     /* produced by a node, input or initializer */
} entry;

struct sp_shape_table {
  entry *entries; /* never reallocated: lookups hand out pointers into it */
  size_t count, capacity;
  sp_map index; /* name -> entry index + 1 */
};

static sp_shape_table *table_new(size_t capacity) {
  sp_shape_table *t = calloc(1, sizeof *t);
  if (!t)
    return NULL;
  sp_map_init(&t->index);
  t->capacity = capacity + 1;
  t->entries = malloc(t->capacity * sizeof *t->entries);
  if (!t->entries) {
    free(t);
    return NULL;
  }
  return t;
}

void sp_shape_table_free(sp_shape_table *table) {
  if (!table)
    return;
  sp_map_free(&table->index);
  free(table->entries);
  free(table);
}

static entry *table_find(const sp_shape_table *t, const char *name) {
  uintptr_t i = (uintptr_t)sp_map_get_str(&t->index, name, NULL);
  return i ? &t->entries[i - 1] : NULL;
}

/* The entry for name, created (unknown) if new; NULL on OOM or if the
 * capacity from count_names is exceeded (it cannot be). */
static entry *table_add(sp_shape_table *t, const char *name) {
  entry *e = table_find(t, name);
  if (e)
    return e;
  if (t->count == t->capacity ||
      sp_map_put_str(&t->index, name, (void *)(uintptr_t)(t->count + 1)))
    return NULL;
  e = &t->entries[t->count++];
  memset(e, 0, sizeof *e);
  e->info.name = name;
  e->info.rank = -1;
  return e;
}

const sp_value_info *sp_shape_lookup(const sp_shape_table *table,
                                     const char *name) {
  const entry *e = table && name ? table_find(table, name) : NULL;
  return e ? &e->info : NULL;
}

/* Upper bound on the names a graph and its subgraphs define or declare. */
static size_t count_names(const Onnx__GraphProto *g) {
  size_t n = g->n_input + g->n_initializer + g->n_sparse_initializer +
             g->n_value_info + g->n_output;
  for (size_t i = 0; i < g->n_node; ++i) {
    const Onnx__NodeProto *node = g->node[i];
    n += node->n_output;
    for (size_t a = 0; a < node->n_attribute; ++a) {
      const Onnx__AttributeProto *attr = node->attribute[a];
      if (attr->g)
        n += count_names(attr->g);
      for (size_t k = 0; k < attr->n_graphs; ++k)
        n += count_names(attr->graphs[k]);
    }
  }
  return n;
}

/* ---- inference context ---- */

typedef struct infer_ctx {
  sp_onnx_model *model;
  const sp_shape_options *options;
  sp_shape_table *table;
  int64_t opset; /* of the default domain */
  sp_value_info *outputs; /* scratch: one node's outputs */
  size_t outputs_cap;
  const sp_value_info **inputs; /* scratch: one node's inputs */
  size_t inputs_cap;
  const char **warned_ops; /* unsupported op types already reported */
  size_t n_warned, warned_cap;
  sp_value_info unknown; /* input defined nowhere (outer scope, typo) */
  sp_error *err;
} infer_ctx;

static void warn(infer_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void warn(infer_ctx *c, const char *fmt, ...) {
  if (!c->options || !c->options->warn)
    return;
  char msg[SP_ERROR_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  c->options->warn(c->options->warn_user, msg);
}

static const char *type_name(int32_t t) {
  static const char *const names[] = {
      "undefined", "float", "uint8",  "int8",    "uint16",    "int16",
      "int32",     "int64", "string", "bool",    "float16",   "double",
      "uint32",    "uint64", "complex64", "complex128", "bfloat16"};
  return t >= 0 && t <= 16 ? names[t] : "type?";
}

/* Reports a node of an op sp cannot infer, once per op type. */
static void warn_unsupported(infer_ctx *c, const Onnx__NodeProto *node) {
  for (size_t i = 0; i < c->n_warned; ++i)
    if (!strcmp(c->warned_ops[i], node->op_type))
      return;
  if (c->n_warned == c->warned_cap) {
    size_t cap = c->warned_cap ? 2 * c->warned_cap : 16;
    const char **grown = realloc(c->warned_ops, cap * sizeof *grown);
    if (!grown)
      return;
    c->warned_ops = grown;
    c->warned_cap = cap;
  }
  c->warned_ops[c->n_warned++] = node->op_type;
  warn(c, "node '%s' (%s%s%s): no shape inference for this op; its outputs "
          "stay unknown", sp_node_label(node), node->domain && node->domain[0] ? node->domain : "",
       node->domain && node->domain[0] ? "." : "", node->op_type);
}

/* ---- declared types ---- */

static void shape_to_info(const Onnx__TensorShapeProto *shape, sp_value_info *v) {
  v->rank = -1;
  if (!shape || shape->n_dim > SP_MAX_RANK)
    return;
  v->rank = (int)shape->n_dim;
  for (int i = 0; i < v->rank; ++i) {
    const Onnx__TensorShapeProto__Dimension *d = shape->dim[i];
    sp_set_dim(v, i, -1);
    if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE)
      sp_set_dim(v, i, d->dim_value);
    else if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM &&
             d->dim_param && d->dim_param[0])
      v->dim_params[i] = d->dim_param;
  }
}

/* What a TypeProto says about a value (kind, element type, shape). */
static void type_to_info(const Onnx__TypeProto *tp, sp_value_info *v) {
  sp_set_unknown(v, 0);
  if (!tp)
    return;
  switch (tp->value_case) {
  case ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE:
    v->elem_type = tp->tensor_type->elem_type;
    shape_to_info(tp->tensor_type->shape, v);
    break;
  case ONNX__TYPE_PROTO__VALUE_SPARSE_TENSOR_TYPE:
    v->elem_type = tp->sparse_tensor_type->elem_type;
    shape_to_info(tp->sparse_tensor_type->shape, v);
    break;
  case ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE:
    type_to_info(tp->sequence_type->elem_type, v);
    v->kind = SP_VALUE_SEQUENCE;
    break;
  case ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE:
    type_to_info(tp->optional_type->elem_type, v);
    v->kind = SP_VALUE_OPTIONAL;
    break;
  default:
    v->kind = SP_VALUE_OTHER;
    break;
  }
}

/* Fills what inference left unknown in v from declared type tp; warns
 * where the two contradict (the inferred side is kept). */
static void merge_declared(infer_ctx *c, const Onnx__NodeProto *node,
                           const Onnx__TypeProto *tp, sp_value_info *v) {
  sp_value_info d;
  type_to_info(tp, &d);
  if (d.kind != v->kind) {
    if (v->rank < 0 && !v->elem_type) { // e.g. an unsupported op's sequence
      const char *name = v->name;
      *v = d;
      v->name = name;
    }
    return;
  }
  if (!v->elem_type)
    v->elem_type = d.elem_type;
  else if (d.elem_type && d.elem_type != v->elem_type)
    warn(c, "node '%s' (%s): value '%s': declared type %s but inferred %s",
         sp_node_label(node), node->op_type, v->name, type_name(d.elem_type),
         type_name(v->elem_type));
  if (d.rank < 0)
    return;
  if (v->rank < 0) {
    sp_copy_shape(v, &d);
    return;
  }
  int conflict = d.rank != v->rank;
  for (int i = 0; !conflict && i < v->rank; ++i)
    conflict = v->dims[i] >= 0 && d.dims[i] >= 0 && v->dims[i] != d.dims[i];
  if (conflict) {
    char a[128], b[128];
    warn(c, "node '%s' (%s): value '%s': declared %s but inferred %s",
         sp_node_label(node), node->op_type, v->name, sp_dims_str(&d, a, sizeof a),
         sp_dims_str(v, b, sizeof b));
  }
  for (int i = 0; d.rank == v->rank && i < v->rank; ++i) {
    if (v->dims[i] < 0 && d.dims[i] >= 0)
      sp_copy_dim(v, i, &d, i);
    else if (v->dims[i] < 0 && !v->dim_params[i])
      v->dim_params[i] = d.dim_params[i];
  }
}

/* ---- seeding a graph ---- */

static int table_full(infer_ctx *c) {
  return sp_error_set(c->err, "out of memory (shape table)");
}

/* Declared value_info and outputs: known before anything is inferred. */
static int seed_declared(infer_ctx *c, Onnx__ValueInfoProto *const *vis,
                         size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (!vis[i]->name || !vis[i]->name[0])
      continue;
    entry *e = table_add(c->table, vis[i]->name);
    if (!e)
      return table_full(c);
    if (e->defined)
      continue;
    e->declared = vis[i]->type;
    type_to_info(vis[i]->type, &e->info);
    e->info.name = vis[i]->name;
  }
  return 0;
}

static int seed_initializers(infer_ctx *c, const Onnx__GraphProto *g) {
  for (size_t i = 0; i < g->n_initializer; ++i) {
    const Onnx__TensorProto *t = g->initializer[i];
    entry *e = table_add(c->table, t->name);
    if (!e)
      return table_full(c);
    sp_tensor_info(t, &e->info);
    e->info.name = t->name;
    e->defined = 1;
    int64_t n = sp_numel(&e->info);
    const void *data;
    size_t size;
    sp_error ignored; // a tensor whose bytes cannot be read just has no values
    if (n >= 0 && n <= SP_MAX_KNOWN_VALUES &&
        (sp_is_int_type(t->data_type) || sp_is_float_type(t->data_type)) &&
        sp_onnx_tensor_bytes(c->model, t, &data, &size, &ignored) == 0)
      sp_tensor_values(t, data, size, &e->info);
  }
  for (size_t i = 0; i < g->n_sparse_initializer; ++i) {
    const Onnx__SparseTensorProto *sp = g->sparse_initializer[i];
    if (!sp->values || !sp->values->name)
      continue;
    entry *e = table_add(c->table, sp->values->name);
    if (!e)
      return table_full(c);
    sp_set_rank(&e->info, sp->values->data_type,
                sp->n_dims <= SP_MAX_RANK ? (int)sp->n_dims : -1);
    for (int d = 0; d < e->info.rank; ++d)
      sp_set_dim(&e->info, d, sp->dims[d]);
    e->defined = 1;
  }
  return 0;
}

static const sp_value_info *find_override(const infer_ctx *c, const char *name) {
  if (!c->options)
    return NULL;
  for (int i = 0; i < c->options->num_input_overrides; ++i) {
    const sp_value_info *o = &c->options->input_overrides[i];
    if (o->name && !strcmp(o->name, name))
      return o;
  }
  return NULL;
}

/* Graph inputs: declared types, or the caller's overrides (main graph).
 * A body's inputs take what seeds[i] says where their declaration is silent
 * (Loop-carried values, SequenceMap elements). */
static int seed_inputs(infer_ctx *c, const Onnx__GraphProto *g, int is_main,
                       const sp_value_info *seeds) {
  for (size_t i = 0; i < g->n_input; ++i) {
    const Onnx__ValueInfoProto *vi = g->input[i];
    if (!vi->name || !vi->name[0])
      continue;
    entry *e = table_add(c->table, vi->name);
    if (!e)
      return table_full(c);
    const sp_value_info *o = is_main ? find_override(c, vi->name) : NULL;
    if (o)
      e->info = *o;
    else if (!e->defined || !is_main) // an initializer listed as input keeps its data
      type_to_info(vi->type, &e->info);
    if (seeds && !e->info.elem_type)
      e->info.elem_type = seeds[i].elem_type;
    if (seeds && e->info.rank < 0 && seeds[i].kind == e->info.kind)
      sp_copy_shape(&e->info, &seeds[i]);
    e->info.name = vi->name;
    e->defined = 1;
  }
  return 0;
}

/* ---- nodes ---- */

static int infer_graph(infer_ctx *c, const Onnx__GraphProto *g, int is_main,
                       const sp_value_info *seeds);

static int64_t opset_of(const infer_ctx *c, const char *domain) {
  const Onnx__ModelProto *m = c->model->proto;
  if (is_default_domain(domain))
    return c->opset;
  for (size_t i = 0; i < m->n_opset_import; ++i)
    if (m->opset_import[i]->domain && !strcmp(m->opset_import[i]->domain, domain))
      return m->opset_import[i]->version;
  return 1;
}

/* Grows the per-node scratch arrays (amortized: no per-node allocation). */
static int reserve(infer_ctx *c, size_t n_in, size_t n_out) {
  if (n_in > c->inputs_cap) {
    size_t cap = n_in > 2 * c->inputs_cap ? n_in : 2 * c->inputs_cap;
    const sp_value_info **p = realloc(c->inputs, cap * sizeof *p);
    if (!p)
      return sp_error_set(c->err, "out of memory");
    c->inputs = p;
    c->inputs_cap = cap;
  }
  if (n_out > c->outputs_cap) {
    size_t cap = n_out > 2 * c->outputs_cap ? n_out : 2 * c->outputs_cap;
    sp_value_info *p = realloc(c->outputs, cap * sizeof *p);
    if (!p)
      return sp_error_set(c->err, "out of memory");
    c->outputs = p;
    c->outputs_cap = cap;
  }
  return 0;
}

static const sp_value_info *lookup_info(const infer_ctx *c, const char *name) {
  const entry *e = name && name[0] ? table_find(c->table, name) : NULL;
  return e ? &e->info : NULL;
}

static const Onnx__GraphProto *graph_attr(const Onnx__NodeProto *node,
                                          const char *name) {
  const Onnx__AttributeProto *a = sp_attr(node, name);
  return a ? a->g : NULL;
}

/* Output i of a subgraph, as inferred. */
static const sp_value_info *body_output(const infer_ctx *c,
                                        const Onnx__GraphProto *g, size_t i) {
  return g && i < g->n_output ? lookup_info(c, g->output[i]->name) : NULL;
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
    if (!strcmp(n->op_type, "Identity") && n->n_input == 1 && n->n_output == 1 &&
        !strcmp(n->output[0], cond_out) && !strcmp(n->input[0], cond_in))
      return 1;
  }
  return 0;
}

/* Iterations of a Loop when they are static: M with no cond (or a cond that
 * is true and passed through unchanged), 0 when cond starts false. */
static int64_t loop_trips(const Onnx__NodeProto *node,
                          const Onnx__GraphProto *body,
                          const sp_value_info *m, const sp_value_info *cond) {
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
  s->n_scan = (int)sp_attr_int(node, "num_scan_inputs", 0);
  s->batched = opset < 9;
  s->first_state = s->batched ? 1 : 0;
  s->states = n_in - s->first_state - s->n_scan;
  sp_attr_ints(node, "scan_input_axes", s->in_axes, SP_MAX_RANK);
  sp_attr_ints(node, "scan_output_axes", s->out_axes, SP_MAX_RANK);
  int at = s->first_state + s->states;
  const sp_value_info *first = at < n_in ? lookup_info(c, node->input[at]) : NULL;
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
      at < node->n_input ? lookup_info(c, node->input[at]) : NULL;
  if (!src)
    return;
  *seed = *src;
  seed->has_value = seed->has_float_value = seed->partial_value = 0;
  seed->kind = loop ? src->kind : SP_VALUE_TENSOR;
  int drop = -1; // the dim a scan input (or opset 8 batch) loses in the body
  if (scan && (int)i >= s.states) {
    int64_t a = s.batched ? 1 : s.in_axes[(i - (size_t)s.states) % SP_MAX_RANK];
    drop = (int)(a < 0 ? a + src->rank : a);
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
    rc = infer_graph(c, body, 0, seeds);
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

/* Infers every subgraph attribute of node (bodies see outer names). */
static int infer_subgraphs(infer_ctx *c, const Onnx__NodeProto *node,
                           int64_t opset) {
  const char *op = node->op_type;
  int seeded = is_default_domain(node->domain) &&
               (!strcmp(op, "Loop") || !strcmp(op, "Scan") ||
                !strcmp(op, "SequenceMap"));
  for (size_t a = 0; a < node->n_attribute; ++a) {
    const Onnx__AttributeProto *attr = node->attribute[a];
    if (attr->g && (seeded ? infer_body(c, node, opset, attr->g)
                           : infer_graph(c, attr->g, 0, NULL)))
      return -1;
    for (size_t k = 0; k < attr->n_graphs; ++k)
      if (infer_graph(c, attr->graphs[k], 0, NULL))
        return -1;
  }
  return 0;
}

/* Stores output i, filled in from (and checked against) its declared type. */
static int store_output(infer_ctx *c, const Onnx__NodeProto *node, size_t i) {
  const char *name = node->output[i];
  if (!name[0])
    return 0;
  sp_value_info *v = &c->outputs[i];
  v->name = name;
  entry *e = table_add(c->table, name);
  if (!e)
    return table_full(c);
  if (e->declared)
    merge_declared(c, node, e->declared, v);
  e->info = *v;
  e->defined = 1;
  return 0;
}

static int infer_node(infer_ctx *c, const Onnx__NodeProto *node) {
  int64_t opset = opset_of(c, node->domain);
  if (infer_subgraphs(c, node, opset) ||
      reserve(c, node->n_input, node->n_output))
    return -1;
  int n_in = (int)node->n_input, n_out = (int)node->n_output;
  for (int i = 0; i < n_in; ++i) {
    const char *name = node->input[i];
    const sp_value_info *v = name[0] ? lookup_info(c, name) : NULL;
    c->inputs[i] = name[0] && !v ? &c->unknown : v;
  }
  for (int i = 0; i < n_out; ++i) {
    memset(&c->outputs[i], 0, sizeof c->outputs[i]);
    c->outputs[i].rank = -1;
  }
  const char *op = node->op_type;
  sp_shape_fn fn = sp_shape_fn_for(node->domain, op);
  if (fn) {
    if (fn(node, c->inputs, n_in, c->outputs, n_out, opset, c->err))
      return -1;
  } else if (is_default_domain(node->domain) && !strcmp(op, "If")) {
    infer_if(c, node, n_out);
  } else if (is_default_domain(node->domain) && !strcmp(op, "Loop")) {
    infer_loop(c, node, n_in, n_out);
  } else if (is_default_domain(node->domain) && !strcmp(op, "Scan")) {
    infer_scan(c, node, n_in, n_out, opset);
  } else if (is_default_domain(node->domain) && !strcmp(op, "SequenceMap")) {
    infer_sequence_map(c, node, n_out);
  } else {
    warn_unsupported(c, node);
  }
  for (int i = 0; i < n_out; ++i)
    if (store_output(c, node, (size_t)i))
      return -1;
  return 0;
}

/* Seeds g's names, then infers its nodes in topological order. seeds (one
 * per input, or NULL) describe what a body's owner feeds it. */
static int infer_graph(infer_ctx *c, const Onnx__GraphProto *g, int is_main,
                       const sp_value_info *seeds) {
  if (seed_declared(c, g->value_info, g->n_value_info) ||
      seed_declared(c, g->output, g->n_output) || seed_initializers(c, g) ||
      seed_inputs(c, g, is_main, seeds))
    return -1;
  size_t *order = NULL;
  if (sp_onnx_topo_order(g, &order, c->err))
    return -1;
  int rc = 0;
  for (size_t i = 0; i < g->n_node && rc == 0; ++i)
    rc = infer_node(c, g->node[order[i]]);
  free(order);
  return rc;
}

static int64_t default_opset(const Onnx__ModelProto *m) {
  for (size_t i = 0; i < m->n_opset_import; ++i)
    if (is_default_domain(m->opset_import[i]->domain))
      return m->opset_import[i]->version;
  return SP_SHAPE_DEFAULT_OPSET;
}

int sp_infer_shapes(sp_onnx_model *model, const sp_shape_options *options,
                    sp_shape_table **out, sp_error *err) {
  *out = NULL;
  const char *path = model && model->path ? model->path : "<model>";
  if (!model || !model->proto || !model->proto->graph)
    return sp_error_set(err, "%s: model has no graph", path);
  const Onnx__GraphProto *g = model->proto->graph;
  infer_ctx c;
  memset(&c, 0, sizeof c);
  c.model = model;
  c.options = options;
  c.opset = default_opset(model->proto);
  c.err = err;
  c.unknown.rank = -1;
  c.table = table_new(count_names(g));
  if (!c.table)
    return sp_error_set(err, "%s: out of memory", path);
  int rc = infer_graph(&c, g, 1, NULL);
  free(c.inputs);
  free(c.outputs);
  free(c.warned_ops);
  if (rc) {
    sp_shape_table_free(c.table);
    return sp_error_prefix(err, path);
  }
  *out = c.table;
  return 0;
}
