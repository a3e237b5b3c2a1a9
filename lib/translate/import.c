/* ONNX graph -> `nn` dialect (one func.func @main). */
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp/dialect.h"
#include "sp/hashmap.h"
#include "sp/masks.h"
#include "sp/shape.h"
#include "sp/translate.h"
#include "sp/weights.h"

/* Elements at or below this count import as readable DenseElements
 * (shape constants, axes); larger tensors become dense_resource blobs. */
#define SMALL_TENSOR_ELEMENTS 16

typedef struct importer {
  MlirContext ctx;
  sp_onnx_model *model;
  const char *file;
  sp_shape_table *shapes;
  sp_map values; /* ONNX value name -> MlirValue.ptr */
  sp_map initializers; /* name -> Onnx__TensorProto */
  MlirBlock body;
  MlirValue none_value; /* nn.None, created on first use */
  MlirLocation unknown_loc;
  sp_map declared; /* name -> Onnx__TypeProto from value_info and outputs */
  int64_t opset;   /* version of the default ONNX domain */
  sp_error *err;
} importer;

static MlirAttribute str_attr(importer *im, const char *s) {
  return mlirStringAttrGet(im->ctx, sp_str(s));
}

static MlirAttribute bytes_attr(importer *im, const void *data, size_t n) {
  return mlirStringAttrGet(im->ctx, mlirStringRefCreate(data, n));
}

static MlirAttribute i64_attr(importer *im, int64_t v) {
  return mlirIntegerAttrGet(mlirIntegerTypeGet(im->ctx, 64), v);
}

static int is_onnx_domain(const char *domain) {
  return !domain || !*domain || strcmp(domain, "ai.onnx") == 0;
}

/* --- types ------------------------------------------------------------- */

static MlirType unknown_type(importer *im) {
  return mlirTypeParseGet(im->ctx, sp_str("!nn.unknown"));
}

// Wraps inner in a parametric nn type by printing and re-parsing it: the C
// API cannot build IRDL types with parameters directly.
static MlirType wrap_type(importer *im, const char *wrapper, MlirType inner,
                          MlirType second) {
  char *a = sp_print_type(inner);
  char *b = mlirTypeIsNull(second) ? NULL : sp_print_type(second);
  size_t n = strlen(a) + (b ? strlen(b) : 0) + strlen(wrapper) + 16;
  char *text = malloc(n);
  if (b)
    snprintf(text, n, "!nn.%s<%s, %s>", wrapper, a, b);
  else
    snprintf(text, n, "!nn.%s<%s>", wrapper, a);
  MlirType t = mlirTypeParseGet(im->ctx, sp_str(text));
  free(text);
  free(a);
  free(b);
  return mlirTypeIsNull(t) ? unknown_type(im) : t;
}

static MlirType tensor_type_from_dims(importer *im, int32_t elem_type,
                                      int rank, const int64_t *dims) {
  MlirType elem = sp_elem_type_from_onnx(im->ctx, elem_type);
  if (mlirTypeIsNull(elem))
    return unknown_type(im);
  if (rank < 0)
    return mlirUnrankedTensorTypeGet(elem);
  int64_t shape[SP_MAX_RANK];
  for (int i = 0; i < rank; ++i)
    shape[i] = dims[i] < 0 ? mlirShapedTypeGetDynamicSize() : dims[i];
  return mlirRankedTensorTypeGet(rank, shape, elem, mlirAttributeGetNull());
}

static MlirType type_from_proto(importer *im, const Onnx__TypeProto *t) {
  if (!t)
    return unknown_type(im);
  switch (t->value_case) {
  case ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE: {
    const Onnx__TypeProto__Tensor *tt = t->tensor_type;
    if (!tt->shape)
      return tensor_type_from_dims(im, tt->elem_type, -1, NULL);
    int64_t dims[SP_MAX_RANK];
    int rank = (int)tt->shape->n_dim;
    if (rank > SP_MAX_RANK)
      return unknown_type(im);
    for (int i = 0; i < rank; ++i) {
      const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
      dims[i] = d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE
                    ? d->dim_value
                    : -1;
    }
    return tensor_type_from_dims(im, tt->elem_type, rank, dims);
  }
  case ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE:
    return wrap_type(im, "sequence",
                     type_from_proto(im, t->sequence_type->elem_type),
                     (MlirType){NULL});
  case ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE:
    return wrap_type(im, "optional",
                     type_from_proto(im, t->optional_type->elem_type),
                     (MlirType){NULL});
  case ONNX__TYPE_PROTO__VALUE_MAP_TYPE: {
    MlirType key = sp_elem_type_from_onnx(im->ctx, t->map_type->key_type);
    if (mlirTypeIsNull(key))
      return unknown_type(im);
    return wrap_type(im, "map", key, type_from_proto(im, t->map_type->value_type));
  }
  default:
    return unknown_type(im);
  }
}

// The type of an ONNX value: inference first, declared type as fallback.
static MlirType value_type(importer *im, const char *name,
                           const Onnx__TypeProto *declared) {
  const sp_value_info *vi = im->shapes ? sp_shape_lookup(im->shapes, name) : NULL;
  if (!declared)
    declared = sp_map_get_str(&im->declared, name, NULL);
  // A declared sequence/optional/map type is authoritative over a tensor guess.
  int declared_non_tensor = declared && declared->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE &&
                            declared->value_case != ONNX__TYPE_PROTO__VALUE__NOT_SET;
  if (vi && vi->kind == SP_VALUE_TENSOR && vi->elem_type && !declared_non_tensor)
    return tensor_type_from_dims(im, vi->elem_type, vi->rank, vi->dims);
  return type_from_proto(im, declared);
}

// Symbolic dim names of a declared type ("batch" etc.), or a null attribute
// when every dim is static or anonymous.
static MlirAttribute dim_params_attr(importer *im, const Onnx__TypeProto *t) {
  if (!t || t->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ||
      !t->tensor_type->shape)
    return mlirAttributeGetNull();
  const Onnx__TensorShapeProto *s = t->tensor_type->shape;
  MlirAttribute names[SP_MAX_RANK];
  int any = 0;
  if (s->n_dim > SP_MAX_RANK)
    return mlirAttributeGetNull();
  for (size_t i = 0; i < s->n_dim; ++i) {
    const Onnx__TensorShapeProto__Dimension *d = s->dim[i];
    int named = d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
    names[i] = str_attr(im, named ? d->dim_param : "");
    any |= named;
  }
  return any ? mlirArrayAttrGet(im->ctx, (intptr_t)s->n_dim, names)
             : mlirAttributeGetNull();
}

/* --- tensors ----------------------------------------------------------- */

static void sanitize_key(const char *name, char *key, size_t n) {
  size_t j = 0;
  for (size_t i = 0; name[i] && j + 1 < n; ++i) {
    char c = name[i];
    int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
             (c >= '0' && c <= '9') || c == '_' || c == '.';
    key[j++] = ok ? c : '_';
  }
  if (j == 0 || (key[0] >= '0' && key[0] <= '9')) {
    memmove(key + 1, key, j < n - 1 ? j : n - 2);
    key[0] = 'w';
    j = j < n - 1 ? j + 1 : n - 1;
  }
  key[j] = 0;
}

// An elements attribute for a TensorProto, or a null attribute when the
// tensor cannot be one (string data): the caller keeps the raw proto then.
static MlirAttribute tensor_attr(importer *im, const Onnx__TensorProto *t,
                                 const char *key_hint) {
  if (t->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__STRING ||
      t->n_dims > SP_MAX_RANK)
    return mlirAttributeGetNull();
  int64_t dims[SP_MAX_RANK];
  for (size_t i = 0; i < t->n_dims; ++i)
    dims[i] = t->dims[i];
  MlirType type = tensor_type_from_dims(im, t->data_type, (int)t->n_dims, dims);
  if (!mlirTypeIsATensor(type))
    return mlirAttributeGetNull();
  const void *data;
  size_t size;
  // Unaligned is fine: weights are handed to MLIR as they lie in the file.
  if (sp_onnx_tensor_bytes_unaligned(im->model, t, &data, &size, im->err))
    return (MlirAttribute){(void *)-1};
  int64_t n = sp_onnx_tensor_numel(t);
  MlirType elem = mlirShapedTypeGetElementType(type);
  int is_bool = mlirTypeIsAInteger(elem) && mlirIntegerTypeGetWidth(elem) == 1;
  if (n <= SMALL_TENSOR_ELEMENTS && !mlirTypeIsAComplex(elem)) {
    if (is_bool) {
      int values[SMALL_TENSOR_ELEMENTS];
      for (int64_t i = 0; i < n; ++i)
        values[i] = ((const unsigned char *)data)[i] != 0;
      return mlirDenseElementsAttrBoolGet(type, (intptr_t)n, values);
    }
    return mlirDenseElementsAttrRawBufferGet(type, size, data);
  }
  char key[128];
  sanitize_key(key_hint && *key_hint ? key_hint : "tensor", key, sizeof key);
  // Weights stay in the loaded model; the module only points at them.
  return sp_weight_create(type, key, data, size, NULL, NULL);
}

/* --- attributes -------------------------------------------------------- */

// Old models leave AttributeProto.type unset; recover it from the fields.
static int attribute_kind(const Onnx__AttributeProto *a) {
  if (a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED)
    return a->type;
  if (a->has_f) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
  if (a->has_i) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
  if (a->has_s) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
  if (a->t) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
  if (a->g) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH;
  if (a->n_floats) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS;
  if (a->n_ints) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
  if (a->n_strings) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS;
  return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED;
}

// A protobuf message (any type) serialized into a string attribute.
static MlirAttribute message_attr(importer *im, const void *message) {
  const ProtobufCMessage *msg = message;
  size_t n = protobuf_c_message_get_packed_size(msg);
  uint8_t *buf = malloc(n ? n : 1);
  protobuf_c_message_pack(msg, buf);
  MlirAttribute a = bytes_attr(im, buf, n);
  free(buf);
  return a;
}

// Serialized messages as an array attribute (parts sp never rewrites).
static MlirAttribute message_array_attr(importer *im, void *const *messages, size_t count) {
  MlirAttribute *items = malloc((count + 1) * sizeof *items);
  for (size_t i = 0; i < count; ++i)
    items[i] = message_attr(im, messages[i]);
  MlirAttribute a = mlirArrayAttrGet(im->ctx, (intptr_t)count, items);
  free(items);
  return a;
}

// {key = serialized message}: how subgraphs and unmodelled attributes travel.
static MlirAttribute wrapped_message(importer *im, const char *key, const void *message) {
  MlirNamedAttribute entry = sp_named(im->ctx, key, message_attr(im, message));
  return mlirDictionaryAttrGet(im->ctx, 1, &entry);
}

// Keeps an attribute sp does not model as its serialized AttributeProto.
static MlirAttribute opaque_attribute(importer *im, const Onnx__AttributeProto *a) {
  return wrapped_message(im, "onnx.attribute", a);
}

static MlirAttribute graph_attribute(importer *im, const Onnx__GraphProto *g) {
  return wrapped_message(im, "onnx.graph", g);
}

static MlirAttribute convert_attribute(importer *im, const Onnx__AttributeProto *a) {
  if (a->ref_attr_name || a->doc_string)
    return opaque_attribute(im, a);
  switch (attribute_kind(a)) {
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT:
    return mlirFloatAttrDoubleGet(im->ctx, mlirF32TypeGet(im->ctx), a->f);
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT:
    return i64_attr(im, a->i);
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING:
    return bytes_attr(im, a->s.data, a->s.len);
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS:
    return mlirDenseF32ArrayGet(im->ctx, (intptr_t)a->n_floats, a->floats);
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS:
    return mlirDenseI64ArrayGet(im->ctx, (intptr_t)a->n_ints, a->ints);
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS: {
    MlirAttribute *items = malloc((a->n_strings + 1) * sizeof *items);
    for (size_t i = 0; i < a->n_strings; ++i)
      items[i] = bytes_attr(im, a->strings[i].data, a->strings[i].len);
    MlirAttribute r = mlirArrayAttrGet(im->ctx, (intptr_t)a->n_strings, items);
    free(items);
    return r;
  }
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR: {
    MlirAttribute t = tensor_attr(im, a->t, a->t->name ? a->t->name : a->name);
    if (t.ptr == (void *)-1)
      return t;
    return mlirAttributeIsNull(t) ? opaque_attribute(im, a) : t;
  }
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH:
    return graph_attribute(im, a->g);
  default:
    return opaque_attribute(im, a);
  }
}

/* --- values ------------------------------------------------------------ */

static int define_value(importer *im, const char *name, MlirValue v) {
  if (!*name)
    return 0;
  return sp_map_put_str(&im->values, name, (void *)v.ptr);
}

static MlirValue none_value(importer *im) {
  if (mlirValueIsNull(im->none_value)) {
    MlirOperationState st = mlirOperationStateGet(sp_str("nn.None"), im->unknown_loc);
    MlirType none = mlirNoneTypeGet(im->ctx);
    mlirOperationStateAddResults(&st, 1, &none);
    MlirOperation op = mlirOperationCreate(&st);
    MlirOperation first = mlirBlockGetFirstOperation(im->body);
    if (mlirOperationIsNull(first))
      mlirBlockAppendOwnedOperation(im->body, op);
    else
      mlirBlockInsertOwnedOperationBefore(im->body, first, op);
    im->none_value = mlirOperationGetResult(op, 0);
  }
  return im->none_value;
}

static MlirLocation node_location(importer *im, const Onnx__NodeProto *node,
                                  size_t index) {
  if (node->name && *node->name)
    return mlirLocationNameGet(im->ctx, sp_str(node->name), mlirLocationUnknownGet(im->ctx));
  // Unnamed nodes: the file and the node's index still point the reader at it.
  return mlirLocationFileLineColGet(im->ctx, sp_str(im->file), (unsigned)index, 0);
}

static int node_error(importer *im, const Onnx__NodeProto *node, size_t index,
                      const char *what) {
  if (node->name && *node->name)
    return sp_error_set(im->err, "%s: node '%s' (%s): %s", im->file, node->name,
                        node->op_type, what);
  return sp_error_set(im->err, "%s: node #%zu (%s): %s", im->file, index,
                      node->op_type, what);
}

/* --- initializers ------------------------------------------------------ */

static int import_initializer(importer *im, const Onnx__TensorProto *t) {
  MlirLocation loc = mlirLocationNameGet(im->ctx, sp_str(t->name), im->unknown_loc);
  MlirAttribute value = tensor_attr(im, t, t->name);
  if (value.ptr == (void *)-1)
    return sp_error_prefix(im->err, im->file);
  MlirNamedAttribute attrs[2];
  int n = 0;
  MlirAttribute name = str_attr(im, t->name);
  attrs[n++] = sp_named(im->ctx, "onnx.names", mlirArrayAttrGet(im->ctx, 1, &name));
  MlirType type;
  if (mlirAttributeIsNull(value)) {
    // String tensors keep their TensorProto bytes.
    attrs[n++] = sp_named(im->ctx, "onnx.tensor", message_attr(im, t));
    int64_t dims[SP_MAX_RANK];
    for (size_t i = 0; i < t->n_dims && i < SP_MAX_RANK; ++i)
      dims[i] = t->dims[i];
    type = tensor_type_from_dims(im, t->data_type, (int)t->n_dims, dims);
  } else {
    attrs[n++] = sp_named(im->ctx, "value", value);
    type = mlirAttributeGetType(value);
  }
  MlirOperationState st = mlirOperationStateGet(sp_str("nn.Initializer"), loc);
  mlirOperationStateAddResults(&st, 1, &type);
  mlirOperationStateAddAttributes(&st, n, attrs);
  MlirOperation op = mlirOperationCreate(&st);
  mlirBlockAppendOwnedOperation(im->body, op);
  return define_value(im, t->name, mlirOperationGetResult(op, 0));
}

/* --- nodes ------------------------------------------------------------- */


// Operand values for an nn op with signature sig: one segment per ONNX input
// position, absent optional inputs as empty segments. Returns 0, or -1 when
// the node does not fit the signature (then it imports as onnx.<OpType>).
static int fit_segments(const sp_segment_kind *kinds, int num_kinds, size_t n_names,
                        char **names, int32_t *sizes, size_t *n_present) {
  size_t p = 0;
  *n_present = 0;
  for (int k = 0; k < num_kinds; ++k) {
    if (kinds[k] == SP_SEGMENT_VARIADIC) {
      int32_t n = 0;
      for (; p < n_names; ++p, ++n) {
        if (!*names[p])
          return -1; // a hole inside a variadic list has no nn form
        (*n_present)++;
      }
      sizes[k] = n;
      continue;
    }
    int present = p < n_names && *names[p];
    if (!present && kinds[k] == SP_SEGMENT_SINGLE)
      return -1;
    sizes[k] = present;
    *n_present += (size_t)present;
    p++;
  }
  return p >= n_names ? 0 : -1;
}

static MlirValue lookup_value(importer *im, const char *name) {
  return (MlirValue){sp_map_get_str(&im->values, name, NULL)};
}

static void collect_graph_captures(importer *im, const Onnx__GraphProto *g, sp_map *local,
                                   sp_map *seen, MlirValue **list, size_t *n, size_t *cap);

// Outer values a subgraph attribute reads by name; they become extra
// operands (after onnx.captures) so MLIR sees the use and nothing drops them.
static void collect_node_captures(importer *im, const Onnx__NodeProto *node, sp_map *local,
                                  sp_map *seen, MlirValue **list, size_t *n, size_t *cap) {
  for (size_t a = 0; a < node->n_attribute; ++a) {
    const Onnx__AttributeProto *attr = node->attribute[a];
    if (attr->g)
      collect_graph_captures(im, attr->g, local, seen, list, n, cap);
    for (size_t k = 0; k < attr->n_graphs; ++k)
      collect_graph_captures(im, attr->graphs[k], local, seen, list, n, cap);
  }
}

static void collect_graph_captures(importer *im, const Onnx__GraphProto *g, sp_map *local,
                                   sp_map *seen, MlirValue **list, size_t *n, size_t *cap) {
  for (size_t i = 0; i < g->n_input; ++i)
    sp_map_put_str(local, g->input[i]->name, (void *)1);
  for (size_t i = 0; i < g->n_initializer; ++i)
    sp_map_put_str(local, g->initializer[i]->name, (void *)1);
  for (size_t k = 0; k < g->n_node; ++k)
    for (size_t o = 0; o < g->node[k]->n_output; ++o)
      sp_map_put_str(local, g->node[k]->output[o], (void *)1);
  for (size_t k = 0; k < g->n_node; ++k) {
    const Onnx__NodeProto *node = g->node[k];
    for (size_t i = 0; i < node->n_input; ++i) {
      const char *name = node->input[i];
      if (!*name || sp_map_get_str(local, name, NULL) || sp_map_get_str(seen, name, NULL))
        continue;
      MlirValue v = lookup_value(im, name);
      if (mlirValueIsNull(v))
        continue;
      sp_map_put_str(seen, name, (void *)1);
      if (*n == *cap)
        *list = realloc(*list, (*cap = *cap * 2 + 8) * sizeof **list);
      (*list)[(*n)++] = v;
    }
    collect_node_captures(im, node, local, seen, list, n, cap);
  }
  for (size_t i = 0; i < g->n_output; ++i) {
    const char *name = g->output[i]->name;
    if (sp_map_get_str(local, name, NULL) || sp_map_get_str(seen, name, NULL))
      continue;
    MlirValue v = lookup_value(im, name);
    if (mlirValueIsNull(v))
      continue;
    sp_map_put_str(seen, name, (void *)1);
    if (*n == *cap)
      *list = realloc(*list, (*cap = *cap * 2 + 8) * sizeof **list);
    (*list)[(*n)++] = v;
  }
}

static int import_node(importer *im, const Onnx__NodeProto *node, size_t index) {
  const sp_op_signature *sig =
      is_onnx_domain(node->domain) ? sp_dialect_signature(node->op_type) : NULL;
  // Resize before opset 11 took (X, scales): its positions differ from nn.Resize.
  if (sig && strcmp(node->op_type, "Resize") == 0 && im->opset < 11)
    sig = NULL;

  size_t n_in = node->n_input;
  while (n_in > 0 && !*node->input[n_in - 1])
    n_in--;
  size_t n_out = node->n_output;
  while (n_out > 0 && !*node->output[n_out - 1])
    n_out--;
  for (size_t i = 0; i < n_in; ++i)
    if (*node->input[i] && mlirValueIsNull(lookup_value(im, node->input[i]))) {
      char what[512];
      snprintf(what, sizeof what, "input '%s' is not defined", node->input[i]);
      return node_error(im, node, index, what);
    }

  int32_t in_sizes[SP_MAX_SEGMENTS], out_sizes[SP_MAX_SEGMENTS];
  size_t n_operands = 0, n_results = 0;
  if (sig && (fit_segments(sig->operands, sig->num_operands, n_in, node->input, in_sizes,
                           &n_operands) ||
              fit_segments(sig->results, sig->num_results, n_out, node->output, out_sizes,
                           &n_results)))
    sig = NULL; // arity of another opset version: keep the node as it is

  // Values read by subgraphs (If/Loop/Scan bodies) from this scope.
  MlirValue *captures = NULL;
  size_t n_captures = 0, cap_captures = 0;
  if (!sig) {
    sp_map local, seen;
    sp_map_init(&local);
    sp_map_init(&seen);
    collect_node_captures(im, node, &local, &seen, &captures, &n_captures, &cap_captures);
    sp_map_free(&local);
    sp_map_free(&seen);
  }
  MlirValue *operands = malloc((n_in + n_captures + 1) * sizeof *operands);
  MlirType *results = malloc((n_out + 1) * sizeof *results);
  MlirAttribute *names = malloc((n_out + 1) * sizeof *names);
  const char **result_names = malloc((n_out + 1) * sizeof *result_names);
  n_operands = n_results = 0;
  for (size_t i = 0; i < n_in; ++i) {
    if (*node->input[i])
      operands[n_operands++] = lookup_value(im, node->input[i]);
    else if (!sig)
      operands[n_operands++] = none_value(im); // keeps positions of onnx.* ops
  }
  for (size_t i = 0; i < n_captures; ++i)
    operands[n_operands++] = captures[i];
  for (size_t i = 0; i < n_out; ++i) {
    if (sig && !*node->output[i])
      continue;
    results[n_results] = value_type(im, node->output[i], NULL);
    result_names[n_results] = node->output[i];
    names[n_results++] = str_attr(im, node->output[i]);
  }

  char op_name[300];
  snprintf(op_name, sizeof op_name, "%s.%s", sig ? "nn" : "onnx", node->op_type);
  size_t cap = node->n_attribute + 8;
  MlirNamedAttribute *attrs = malloc(cap * sizeof *attrs);
  size_t n_attr = 0;
  attrs[n_attr++] = sp_named(im->ctx, "onnx.names",
                             mlirArrayAttrGet(im->ctx, (intptr_t)n_results, names));
  if (node->domain && *node->domain)
    attrs[n_attr++] = sp_named(im->ctx, "onnx.domain", str_attr(im, node->domain));
  if (node->doc_string && *node->doc_string)
    attrs[n_attr++] = sp_named(im->ctx, "onnx.doc_string", str_attr(im, node->doc_string));
  if (n_captures)
    attrs[n_attr++] = sp_named(im->ctx, "onnx.captures", i64_attr(im, (int64_t)n_captures));
  if (sig && sig->operand_segments_attr)
    attrs[n_attr++] = sp_named(im->ctx, "operand_segment_sizes",
                               mlirDenseI32ArrayGet(im->ctx, sig->num_operands, in_sizes));
  if (sig && sig->result_segments_attr)
    attrs[n_attr++] = sp_named(im->ctx, "result_segment_sizes",
                               mlirDenseI32ArrayGet(im->ctx, sig->num_results, out_sizes));
  int failed = 0;
  for (size_t i = 0; i < node->n_attribute; ++i) {
    const Onnx__AttributeProto *a = node->attribute[i];
    MlirAttribute v = convert_attribute(im, a);
    if (v.ptr == (void *)-1) {
      failed = 1;
      break;
    }
    attrs[n_attr++] = sp_named(im->ctx, a->name, v);
  }
  int rc = 0;
  if (failed) {
    char what[SP_ERROR_MAX];
    snprintf(what, sizeof what, "%s", im->err->message);
    rc = node_error(im, node, index, what);
  } else {
    MlirOperationState st = mlirOperationStateGet(sp_str(op_name), node_location(im, node, index));
    mlirOperationStateAddOperands(&st, (intptr_t)n_operands, operands);
    mlirOperationStateAddResults(&st, (intptr_t)n_results, results);
    mlirOperationStateAddAttributes(&st, (intptr_t)n_attr, attrs);
    MlirOperation op = mlirOperationCreate(&st);
    mlirBlockAppendOwnedOperation(im->body, op);
    for (size_t i = 0; i < n_results && rc == 0; ++i)
      rc = define_value(im, result_names[i], mlirOperationGetResult(op, (intptr_t)i));
  }
  free(operands);
  free(captures);
  free(results);
  free(names);
  free(result_names);
  free(attrs);
  return rc;
}

/* The "sp.masks" metadata back onto its initializers as sp.mask. */
static int import_masks(importer *im) {
  const Onnx__ModelProto *m = im->model->proto;
  const char *text = NULL;
  for (size_t i = 0; i < m->n_metadata_props; ++i)
    if (m->metadata_props[i]->key && !strcmp(m->metadata_props[i]->key, SP_MASKS_KEY))
      text = m->metadata_props[i]->value ? m->metadata_props[i]->value : "";
  if (!text)
    return 0;
  sp_masks masks;
  if (sp_masks_parse(text, &masks, im->err))
    return sp_error_prefix(im->err, im->file);
  int rc = 0;
  for (size_t i = 0; i < masks.n && !rc; ++i) {
    const sp_mask *e = &masks.items[i];
    const Onnx__TensorProto *t = sp_map_get_str(&im->initializers, e->tensor, NULL);
    void *v = sp_map_get_str(&im->values, e->tensor, NULL);
    if (!t || !v || !mlirValueIsAOpResult((MlirValue){v}))
      rc = sp_error_set(im->err, "%s: metadata " SP_MASKS_KEY ": '%s' is not an initializer",
                        im->file, e->tensor);
    else if ((size_t)e->axis >= t->n_dims ||
             (e->n_ranges && e->ranges[2 * e->n_ranges - 1] > t->dims[e->axis]))
      rc = sp_error_set(im->err, "%s: metadata " SP_MASKS_KEY ": '%s' axis %d: the ranges do "
                        "not fit its shape", im->file, e->tensor, e->axis);
    else
      sp_mask_attr_set_ranges(mlirOpResultGetOwner((MlirValue){v}), e->axis, e->ranges,
                              e->n_ranges);
  }
  sp_masks_free(&masks);
  return rc;
}

/* --- module ------------------------------------------------------------ */

static void add_module_attrs(importer *im, MlirOperation module_op) {
  const Onnx__ModelProto *m = im->model->proto;
  const Onnx__GraphProto *g = m->graph;
#define SET(name, attr) mlirOperationSetAttributeByName(module_op, sp_str(name), attr)
  SET("onnx.ir_version", i64_attr(im, m->ir_version));
  MlirAttribute *opsets = malloc((m->n_opset_import + 1) * sizeof *opsets);
  for (size_t i = 0; i < m->n_opset_import; ++i) {
    const Onnx__OperatorSetIdProto *o = m->opset_import[i];
    MlirAttribute pair[2] = {str_attr(im, o->domain ? o->domain : ""),
                             i64_attr(im, o->version)};
    opsets[i] = mlirArrayAttrGet(im->ctx, 2, pair);
  }
  SET("onnx.opset_import", mlirArrayAttrGet(im->ctx, (intptr_t)m->n_opset_import, opsets));
  free(opsets);
  if (m->producer_name) SET("onnx.producer_name", str_attr(im, m->producer_name));
  if (m->producer_version) SET("onnx.producer_version", str_attr(im, m->producer_version));
  if (m->domain) SET("onnx.domain", str_attr(im, m->domain));
  if (m->has_model_version) SET("onnx.model_version", i64_attr(im, m->model_version));
  if (m->doc_string) SET("onnx.doc_string", str_attr(im, m->doc_string));
  if (g->name) SET("onnx.graph_name", str_attr(im, g->name));
  if (g->doc_string) SET("onnx.graph_doc_string", str_attr(im, g->doc_string));
  if (m->n_metadata_props) {
    MlirAttribute *props = malloc(m->n_metadata_props * sizeof *props);
    size_t n = 0;
    for (size_t i = 0; i < m->n_metadata_props; ++i) {
      const char *key = m->metadata_props[i]->key ? m->metadata_props[i]->key : "";
      if (!strcmp(key, SP_MASKS_KEY)) // lives on the initializers (import_masks)
        continue;
      MlirAttribute pair[2] = {str_attr(im, key),
                               str_attr(im, m->metadata_props[i]->value ? m->metadata_props[i]->value : "")};
      props[n++] = mlirArrayAttrGet(im->ctx, 2, pair);
    }
    if (n)
      SET("onnx.metadata_props", mlirArrayAttrGet(im->ctx, (intptr_t)n, props));
    free(props);
  }
  if (g->n_value_info) {
    MlirAttribute *names = malloc(g->n_value_info * sizeof *names);
    for (size_t i = 0; i < g->n_value_info; ++i)
      names[i] = str_attr(im, g->value_info[i]->name);
    SET("onnx.value_info", mlirArrayAttrGet(im->ctx, (intptr_t)g->n_value_info, names));
    free(names);
  }
  // Parts sp never rewrites travel as their serialized protobuf.
  if (m->n_functions)
    SET("onnx.functions", message_array_attr(im, (void *const *)m->functions, m->n_functions));
  if (m->n_training_info)
    SET("onnx.training_info",
        message_array_attr(im, (void *const *)m->training_info, m->n_training_info));
  if (g->n_sparse_initializer)
    SET("onnx.sparse_initializers", message_array_attr(im, (void *const *)g->sparse_initializer,
                                                       g->n_sparse_initializer));
#undef SET
}

// Attributes of one graph input or output: its name, symbolic dims, doc.
static MlirAttribute io_attrs(importer *im, const Onnx__ValueInfoProto *vi) {
  MlirNamedAttribute attrs[3];
  int n = 0;
  attrs[n++] = sp_named(im->ctx, "onnx.name", str_attr(im, vi->name));
  MlirAttribute dims = dim_params_attr(im, vi->type);
  if (!mlirAttributeIsNull(dims))
    attrs[n++] = sp_named(im->ctx, "onnx.dim_params", dims);
  if (vi->doc_string && *vi->doc_string)
    attrs[n++] = sp_named(im->ctx, "onnx.doc_string", str_attr(im, vi->doc_string));
  return mlirDictionaryAttrGet(im->ctx, n, attrs);
}

static void shape_warning(void *user, const char *message) {
  importer *im = user;
  (void)im;
  (void)message;
}

// Graph inputs with a dim named in bindings, as shape-inference overrides.
static int dim_overrides(const Onnx__GraphProto *g, const sp_import_options *o,
                         sp_value_info **out) {
  *out = NULL;
  if (!o || !o->num_dims)
    return 0;
  int n = 0;
  sp_value_info *list = calloc(g->n_input + 1, sizeof *list);
  for (size_t i = 0; i < g->n_input; ++i) {
    const Onnx__TypeProto *t = g->input[i]->type;
    if (!t || t->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !t->tensor_type->shape ||
        t->tensor_type->shape->n_dim > SP_MAX_RANK)
      continue;
    const Onnx__TensorShapeProto *shape = t->tensor_type->shape;
    sp_value_info *vi = &list[n];
    int bound = 0;
    vi->name = g->input[i]->name;
    vi->kind = SP_VALUE_TENSOR;
    vi->elem_type = t->tensor_type->elem_type;
    vi->rank = (int)shape->n_dim;
    for (int d = 0; d < vi->rank; ++d) {
      const Onnx__TensorShapeProto__Dimension *dim = shape->dim[d];
      vi->dims[d] = dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE
                        ? dim->dim_value
                        : -1;
      if (dim->value_case != ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM)
        continue;
      vi->dim_params[d] = dim->dim_param;
      for (int b = 0; b < o->num_dims; ++b)
        if (strcmp(o->dims[b].name, dim->dim_param) == 0) {
          vi->dims[d] = o->dims[b].value;
          vi->dim_params[d] = NULL;
          bound = 1;
        }
    }
    n += bound;
  }
  *out = list;
  return n;
}

int sp_import_onnx(MlirContext ctx, sp_onnx_model *model, const sp_import_options *options,
                   MlirModule *out, sp_error *err) {
  sp_import_warn_fn warn = options ? options->warn : NULL;
  void *warn_user = options ? options->warn_user : NULL;
  importer im = {.ctx = ctx, .model = model, .file = model->path, .err = err};
  im.unknown_loc = mlirLocationUnknownGet(ctx);
  sp_map_init(&im.values);
  sp_map_init(&im.initializers);
  sp_map_init(&im.declared);
  const Onnx__GraphProto *g = model->proto->graph;
  int rc = -1;
  size_t *order = NULL;
  MlirAttribute *arg_attrs = NULL, *res_attrs = NULL;
  MlirType *arg_types = NULL, *res_types = NULL;
  MlirLocation *arg_locs = NULL;
  MlirValue *returned = NULL;

  for (size_t i = 0; i < model->proto->n_opset_import && warn; ++i) {
    const Onnx__OperatorSetIdProto *o = model->proto->opset_import[i];
    if (is_onnx_domain(o->domain) && o->version > SP_ONNX_MAX_OPSET) {
      char message[128];
      snprintf(message, sizeof message, "opset %lld is newer than supported (%d)",
               (long long)o->version, SP_ONNX_MAX_OPSET);
      warn(warn_user, message);
    }
  }
  sp_shape_options shape_options = {0};
  shape_options.warn = warn ? warn : shape_warning;
  shape_options.warn_user = warn ? warn_user : &im;
  sp_value_info *overrides = NULL;
  shape_options.num_input_overrides = dim_overrides(g, options, &overrides);
  shape_options.input_overrides = overrides;
  int inferred = sp_infer_shapes(model, &shape_options, &im.shapes, err);
  free(overrides);
  if (inferred)
    return -1;
  if (sp_onnx_topo_order(g, &order, err)) {
    sp_error_prefix(err, im.file);
    goto done;
  }

  for (size_t i = 0; i < g->n_initializer; ++i)
    sp_map_put_str(&im.initializers, g->initializer[i]->name, (void *)g->initializer[i]);
  for (size_t i = 0; i < g->n_value_info; ++i)
    sp_map_put_str(&im.declared, g->value_info[i]->name, (void *)g->value_info[i]->type);
  for (size_t i = 0; i < g->n_output; ++i)
    sp_map_put_str(&im.declared, g->output[i]->name, (void *)g->output[i]->type);
  for (size_t i = 0; i < model->proto->n_opset_import; ++i) {
    const Onnx__OperatorSetIdProto *o = model->proto->opset_import[i];
    if (is_onnx_domain(o->domain))
      im.opset = o->version;
  }

  // Graph inputs that are also initializers (IR < 4 style) stay initializers.
  size_t n_args = 0;
  arg_types = malloc((g->n_input + 1) * sizeof *arg_types);
  arg_attrs = malloc((g->n_input + 1) * sizeof *arg_attrs);
  arg_locs = malloc((g->n_input + 1) * sizeof *arg_locs);
  MlirAttribute *init_inputs = malloc((g->n_input + 1) * sizeof *init_inputs);
  size_t n_init_inputs = 0;
  for (size_t i = 0; i < g->n_input; ++i) {
    const Onnx__ValueInfoProto *vi = g->input[i];
    if (sp_map_get_str(&im.initializers, vi->name, NULL)) {
      init_inputs[n_init_inputs++] = str_attr(&im, vi->name);
      continue;
    }
    arg_types[n_args] = value_type(&im, vi->name, vi->type);
    arg_attrs[n_args] = io_attrs(&im, vi);
    arg_locs[n_args] = mlirLocationNameGet(ctx, sp_str(vi->name), im.unknown_loc);
    n_args++;
  }

  MlirModule module = mlirModuleCreateEmpty(
      mlirLocationFileLineColGet(ctx, sp_str(im.file), 0, 0));
  MlirOperation module_op = mlirModuleGetOperation(module);
  add_module_attrs(&im, module_op);
  if (n_init_inputs)
    mlirOperationSetAttributeByName(module_op, sp_str("onnx.initializer_inputs"),
                                    mlirArrayAttrGet(ctx, (intptr_t)n_init_inputs, init_inputs));
  free(init_inputs);

  MlirRegion region = mlirRegionCreate();
  im.body = mlirBlockCreate((intptr_t)n_args, arg_types, arg_locs);
  mlirRegionAppendOwnedBlock(region, im.body);
  for (size_t i = 0, a = 0; i < g->n_input; ++i) {
    const Onnx__ValueInfoProto *vi = g->input[i];
    if (sp_map_get_str(&im.initializers, vi->name, NULL))
      continue;
    define_value(&im, vi->name, mlirBlockGetArgument(im.body, (intptr_t)a++));
  }

  for (size_t i = 0; i < g->n_initializer; ++i)
    if (import_initializer(&im, g->initializer[i]))
      goto fail_module;
  if (import_masks(&im))
    goto fail_module;
  for (size_t k = 0; k < g->n_node; ++k)
    if (import_node(&im, g->node[order[k]], order[k]))
      goto fail_module;

  res_types = malloc((g->n_output + 1) * sizeof *res_types);
  res_attrs = malloc((g->n_output + 1) * sizeof *res_attrs);
  returned = malloc((g->n_output + 1) * sizeof *returned);
  for (size_t i = 0; i < g->n_output; ++i) {
    const Onnx__ValueInfoProto *vi = g->output[i];
    void *v = sp_map_get_str(&im.values, vi->name, NULL);
    if (!v) {
      sp_error_set(err, "%s: graph output '%s' is not produced by any node", im.file, vi->name);
      goto fail_module;
    }
    returned[i] = (MlirValue){v};
    res_types[i] = mlirValueGetType(returned[i]);
    res_attrs[i] = io_attrs(&im, vi);
  }
  MlirOperationState ret = mlirOperationStateGet(sp_str("func.return"), im.unknown_loc);
  mlirOperationStateAddOperands(&ret, (intptr_t)g->n_output, returned);
  mlirBlockAppendOwnedOperation(im.body, mlirOperationCreate(&ret));

  MlirType fn_type = mlirFunctionTypeGet(ctx, (intptr_t)n_args, arg_types,
                                         (intptr_t)g->n_output, res_types);
  MlirNamedAttribute fn_attrs[4];
  fn_attrs[0] = sp_named(ctx, "sym_name", str_attr(&im, "main"));
  fn_attrs[1] = sp_named(ctx, "function_type", mlirTypeAttrGet(fn_type));
  fn_attrs[2] = sp_named(ctx, "arg_attrs", mlirArrayAttrGet(ctx, (intptr_t)n_args, arg_attrs));
  fn_attrs[3] = sp_named(ctx, "res_attrs", mlirArrayAttrGet(ctx, (intptr_t)g->n_output, res_attrs));
  MlirOperationState fn = mlirOperationStateGet(
      sp_str("func.func"), mlirLocationNameGet(ctx, sp_str(g->name ? g->name : "main"), im.unknown_loc));
  mlirOperationStateAddAttributes(&fn, 4, fn_attrs);
  mlirOperationStateAddOwnedRegions(&fn, 1, &region);
  mlirBlockAppendOwnedOperation(mlirModuleGetBody(module), mlirOperationCreate(&fn));
  region = (MlirRegion){NULL};

  if (!mlirOperationVerify(module_op)) {
    sp_error_set(err, "%s: imported module does not verify (see diagnostics above)", im.file);
    mlirModuleDestroy(module);
    goto done;
  }
  *out = module;
  rc = 0;
  goto done;

fail_module:
  if (!mlirRegionIsNull(region))
    mlirRegionDestroy(region);
  mlirModuleDestroy(module);
done:
  free(order);
  free(arg_types);
  free(arg_attrs);
  free(arg_locs);
  free(res_types);
  free(res_attrs);
  free(returned);
  sp_map_free(&im.values);
  sp_map_free(&im.initializers);
  sp_map_free(&im.declared);
  sp_shape_table_free(im.shapes);
  return rc;
}
