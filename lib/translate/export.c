/* `nn` dialect (func.func @main) -> ONNX ModelProto, written atomically. */
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp/arena.h"
#include "sp/dialect.h"
#include "sp/hashmap.h"
#include "sp/masks.h"
#include "sp/translate.h"
#include "sp/weights.h"

typedef struct exporter {
  MlirContext ctx;
  sp_arena arena;
  sp_map names;      /* MlirValue.ptr -> const char * ONNX name */
  sp_map used_names; /* ONNX name -> (void *)1 */
  sp_map value_info_wanted; /* names that had value_info on import */
  Onnx__GraphProto *graph;
  /* growable node / initializer / value_info lists */
  Onnx__NodeProto **nodes;
  size_t n_nodes, cap_nodes;
  Onnx__TensorProto **inits;
  size_t n_inits, cap_inits;
  Onnx__ValueInfoProto **vinfos;
  size_t n_vinfos, cap_vinfos;
  size_t next_generated;
  sp_masks masks; /* the sp.mask of every initializer, for "sp.masks" */
  sp_error *err;
} exporter;

static void *arena_alloc_cb(void *data, size_t size) {
  return sp_arena_alloc(data, size);
}
static void arena_free_cb(void *data, void *p) {
  (void)data;
  (void)p;
}

#define NEW(ex, T, init) \
  ({ T *p_ = sp_arena_alloc(&(ex)->arena, sizeof(T)); init(p_); p_; })

static int push(exporter *ex, void ***list, size_t *n, size_t *cap, void *item) {
  if (*n == *cap) {
    size_t c = *cap ? *cap * 2 : 64;
    void **grown = sp_arena_alloc(&ex->arena, c * sizeof *grown);
    if (!grown)
      return sp_error_set(ex->err, "out of memory");
    if (*n)
      memcpy(grown, *list, *n * sizeof *grown);
    *list = grown;
    *cap = c;
  }
  (*list)[(*n)++] = item;
  return 0;
}

static char *copy_ref(exporter *ex, MlirStringRef s) {
  return sp_arena_strndup(&ex->arena, s.data, s.length);
}

static int op_error(exporter *ex, MlirOperation op, const char *fmt, const char *detail) {
  char *where = sp_location_name(mlirOperationGetLocation(op), NULL);
  MlirStringRef name = mlirIdentifierStr(mlirOperationGetName(op));
  sp_error_set(ex->err, "op '%.*s' at '%s': %s%s", (int)name.length, name.data,
               where ? where : "?", fmt, detail ? detail : "");
  free(where);
  return -1;
}

/* --- names ------------------------------------------------------------- */

static int name_taken(exporter *ex, const char *name) {
  return sp_map_get_str(&ex->used_names, name, NULL) != NULL;
}

static const char *claim_name(exporter *ex, const char *wanted) {
  const char *name = wanted;
  if (!*wanted || name_taken(ex, wanted)) {
    // Generated names keep the wanted one as a prefix so users recognise it.
    char buf[512];
    do {
      snprintf(buf, sizeof buf, "%s%ssp_%zu", wanted, *wanted ? "_" : "",
               ex->next_generated++);
    } while (name_taken(ex, buf));
    name = sp_arena_strdup(&ex->arena, buf);
  } else {
    name = sp_arena_strdup(&ex->arena, wanted);
  }
  sp_map_put_str(&ex->used_names, name, (void *)1);
  return name;
}

static const char *value_name(exporter *ex, MlirValue v) {
  return sp_map_get_ptr(&ex->names, v.ptr, NULL);
}

/* --- types ------------------------------------------------------------- */

// The single type parameter text of "!nn.sequence<...>" as an MLIR type.
static MlirType type_parameter(MlirContext ctx, const char *printed, int which) {
  const char *open = strchr(printed, '<');
  if (!open)
    return (MlirType){NULL};
  size_t n = strlen(open + 1);
  char *inner = strndup(open + 1, n ? n - 1 : 0);
  // Split "a, b" at the top-level comma for map types.
  int depth = 0;
  char *split = NULL;
  for (char *p = inner; *p; ++p) {
    if (*p == '<' || *p == '(' || *p == '[') depth++;
    else if (*p == '>' || *p == ')' || *p == ']') depth--;
    else if (*p == ',' && depth == 0) { split = p; break; }
  }
  const char *text = inner;
  if (split) {
    *split = 0;
    if (which == 1) {
      text = split + 1;
      while (*text == ' ') text++;
    }
  }
  MlirType t = mlirTypeParseGet(ctx, sp_str(text));
  free(inner);
  return t;
}

static Onnx__TypeProto *type_proto(exporter *ex, MlirType t, MlirAttribute dim_params) {
  Onnx__TypeProto *tp = NEW(ex, Onnx__TypeProto, onnx__type_proto__init);
  if (mlirTypeIsATensor(t)) {
    Onnx__TypeProto__Tensor *tt = NEW(ex, Onnx__TypeProto__Tensor, onnx__type_proto__tensor__init);
    tt->has_elem_type = 1;
    tt->elem_type = sp_elem_type_to_onnx(mlirShapedTypeGetElementType(t));
    if (mlirShapedTypeHasRank(t)) {
      intptr_t rank = mlirShapedTypeGetRank(t);
      Onnx__TensorShapeProto *sh = NEW(ex, Onnx__TensorShapeProto, onnx__tensor_shape_proto__init);
      sh->n_dim = (size_t)rank;
      sh->dim = sp_arena_alloc(&ex->arena, (size_t)(rank + 1) * sizeof *sh->dim);
      for (intptr_t i = 0; i < rank; ++i) {
        Onnx__TensorShapeProto__Dimension *d =
            NEW(ex, Onnx__TensorShapeProto__Dimension, onnx__tensor_shape_proto__dimension__init);
        int64_t size = mlirShapedTypeGetDimSize(t, i);
        const char *param = NULL;
        if (!mlirAttributeIsNull(dim_params) && mlirAttributeIsAArray(dim_params) &&
            i < mlirArrayAttrGetNumElements(dim_params)) {
          MlirStringRef s = mlirStringAttrGetValue(mlirArrayAttrGetElement(dim_params, i));
          if (s.length)
            param = copy_ref(ex, s);
        }
        if (!mlirShapedTypeIsDynamicSize(size)) {
          d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
          d->dim_value = size;
        } else if (param) {
          d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
          d->dim_param = (char *)param;
        }
        sh->dim[i] = d;
      }
      tt->shape = sh;
    }
    tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    tp->tensor_type = tt;
    return tp;
  }
  char *printed = sp_print_type(t);
  Onnx__TypeProto *result = tp;
  if (strncmp(printed, "!nn.sequence<", 13) == 0) {
    Onnx__TypeProto__Sequence *s = NEW(ex, Onnx__TypeProto__Sequence, onnx__type_proto__sequence__init);
    s->elem_type = type_proto(ex, type_parameter(ex->ctx, printed, 0), mlirAttributeGetNull());
    tp->value_case = ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE;
    tp->sequence_type = s;
  } else if (strncmp(printed, "!nn.optional<", 13) == 0) {
    Onnx__TypeProto__Optional *o = NEW(ex, Onnx__TypeProto__Optional, onnx__type_proto__optional__init);
    o->elem_type = type_proto(ex, type_parameter(ex->ctx, printed, 0), mlirAttributeGetNull());
    tp->value_case = ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE;
    tp->optional_type = o;
  } else if (strncmp(printed, "!nn.map<", 8) == 0) {
    Onnx__TypeProto__Map *m = NEW(ex, Onnx__TypeProto__Map, onnx__type_proto__map__init);
    m->has_key_type = 1;
    m->key_type = sp_elem_type_to_onnx(type_parameter(ex->ctx, printed, 0));
    m->value_type = type_proto(ex, type_parameter(ex->ctx, printed, 1), mlirAttributeGetNull());
    tp->value_case = ONNX__TYPE_PROTO__VALUE_MAP_TYPE;
    tp->map_type = m;
  } else {
    result = NULL; // !nn.unknown or anything else: no type information
  }
  free(printed);
  return result;
}

static Onnx__ValueInfoProto *value_info(exporter *ex, const char *name, MlirType t,
                                        MlirAttribute io_attrs) {
  Onnx__ValueInfoProto *vi = NEW(ex, Onnx__ValueInfoProto, onnx__value_info_proto__init);
  vi->name = (char *)name;
  MlirAttribute dims = mlirAttributeIsNull(io_attrs)
                           ? mlirAttributeGetNull()
                           : mlirDictionaryAttrGetElementByName(io_attrs, sp_str("onnx.dim_params"));
  vi->type = type_proto(ex, t, dims);
  if (!mlirAttributeIsNull(io_attrs)) {
    MlirAttribute doc = mlirDictionaryAttrGetElementByName(io_attrs, sp_str("onnx.doc_string"));
    if (!mlirAttributeIsNull(doc))
      vi->doc_string = copy_ref(ex, mlirStringAttrGetValue(doc));
  }
  return vi;
}

/* --- tensors ----------------------------------------------------------- */

static Onnx__TensorProto *tensor_proto(exporter *ex, MlirAttribute value, const char *name) {
  MlirType t = mlirAttributeGetType(value);
  Onnx__TensorProto *tp = NEW(ex, Onnx__TensorProto, onnx__tensor_proto__init);
  tp->name = (char *)name;
  tp->has_data_type = 1;
  tp->data_type = sp_elem_type_to_onnx(mlirShapedTypeGetElementType(t));
  intptr_t rank = mlirShapedTypeGetRank(t);
  tp->n_dims = (size_t)rank;
  tp->dims = sp_arena_alloc(&ex->arena, (size_t)(rank + 1) * sizeof(int64_t));
  for (intptr_t i = 0; i < rank; ++i)
    tp->dims[i] = mlirShapedTypeGetDimSize(t, i);
  const void *data;
  size_t size;
  if (sp_weight_data(value, &data, &size, ex->err))
    return NULL;
  // Borrowed: the bytes live in the context (or the loaded model).
  tp->has_raw_data = 1;
  tp->raw_data.data = (uint8_t *)data;
  tp->raw_data.len = size;
  return tp;
}

static Onnx__TensorProto *opaque_tensor(exporter *ex, MlirAttribute bytes, const char *name) {
  MlirStringRef s = mlirStringAttrGetValue(bytes);
  ProtobufCAllocator alloc = {arena_alloc_cb, arena_free_cb, &ex->arena};
  Onnx__TensorProto *tp = onnx__tensor_proto__unpack(&alloc, s.length, (const uint8_t *)s.data);
  if (!tp) {
    sp_error_set(ex->err, "corrupt onnx.tensor attribute of '%s'", name);
    return NULL;
  }
  tp->name = (char *)name;
  return tp;
}

/* --- attributes -------------------------------------------------------- */

static Onnx__AttributeProto *attribute_proto(exporter *ex, MlirOperation op,
                                             const char *name, MlirAttribute a) {
  Onnx__AttributeProto *ap = NEW(ex, Onnx__AttributeProto, onnx__attribute_proto__init);
  ap->name = (char *)name;
  ap->has_type = 1;
  if (mlirAttributeIsAInteger(a)) {
    ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
    ap->has_i = 1;
    ap->i = mlirIntegerAttrGetValueInt(a);
  } else if (mlirAttributeIsAFloat(a)) {
    ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
    ap->has_f = 1;
    ap->f = (float)mlirFloatAttrGetValueDouble(a);
  } else if (mlirAttributeIsAString(a)) {
    MlirStringRef s = mlirStringAttrGetValue(a);
    ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
    ap->has_s = 1;
    ap->s.data = (uint8_t *)copy_ref(ex, s);
    ap->s.len = s.length;
  } else if (mlirAttributeIsADenseI64Array(a)) {
    intptr_t n = mlirDenseArrayGetNumElements(a);
    ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
    ap->n_ints = (size_t)n;
    ap->ints = sp_arena_alloc(&ex->arena, (size_t)(n + 1) * sizeof(int64_t));
    for (intptr_t i = 0; i < n; ++i)
      ap->ints[i] = mlirDenseI64ArrayGetElement(a, i);
  } else if (mlirAttributeIsADenseF32Array(a)) {
    intptr_t n = mlirDenseArrayGetNumElements(a);
    ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS;
    ap->n_floats = (size_t)n;
    ap->floats = sp_arena_alloc(&ex->arena, (size_t)(n + 1) * sizeof(float));
    for (intptr_t i = 0; i < n; ++i)
      ap->floats[i] = mlirDenseF32ArrayGetElement(a, i);
  } else if (mlirAttributeIsAArray(a)) {
    intptr_t n = mlirArrayAttrGetNumElements(a);
    ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS;
    ap->n_strings = (size_t)n;
    ap->strings = sp_arena_alloc(&ex->arena, (size_t)(n + 1) * sizeof *ap->strings);
    for (intptr_t i = 0; i < n; ++i) {
      MlirAttribute e = mlirArrayAttrGetElement(a, i);
      if (!mlirAttributeIsAString(e)) {
        op_error(ex, op, "attribute is an array of non-strings: ", name);
        return NULL;
      }
      MlirStringRef s = mlirStringAttrGetValue(e);
      ap->strings[i].data = (uint8_t *)copy_ref(ex, s);
      ap->strings[i].len = s.length;
    }
  } else if (mlirAttributeIsAElements(a)) {
    ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
    ap->t = tensor_proto(ex, a, NULL);
    if (!ap->t) {
      char detail[SP_ERROR_MAX];
      snprintf(detail, sizeof detail, "%s", ex->err->message);
      op_error(ex, op, "cannot read tensor attribute: ", detail);
      return NULL;
    }
  } else if (mlirAttributeIsADictionary(a)) {
    ProtobufCAllocator alloc = {arena_alloc_cb, arena_free_cb, &ex->arena};
    MlirAttribute g = mlirDictionaryAttrGetElementByName(a, sp_str("onnx.graph"));
    MlirAttribute raw = mlirDictionaryAttrGetElementByName(a, sp_str("onnx.attribute"));
    if (!mlirAttributeIsNull(g)) {
      MlirStringRef s = mlirStringAttrGetValue(g);
      ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH;
      ap->g = onnx__graph_proto__unpack(&alloc, s.length, (const uint8_t *)s.data);
      if (!ap->g) {
        op_error(ex, op, "corrupt subgraph attribute: ", name);
        return NULL;
      }
    } else if (!mlirAttributeIsNull(raw)) {
      MlirStringRef s = mlirStringAttrGetValue(raw);
      ap = onnx__attribute_proto__unpack(&alloc, s.length, (const uint8_t *)s.data);
      if (!ap) {
        op_error(ex, op, "corrupt opaque attribute: ", name);
        return NULL;
      }
      ap->name = (char *)name;
    } else {
      op_error(ex, op, "dictionary attribute has no ONNX meaning: ", name);
      return NULL;
    }
  } else {
    op_error(ex, op, "attribute kind has no ONNX equivalent: ", name);
    return NULL;
  }
  return ap;
}

// sp.* (pruning facts) and onnx.* (round-trip bookkeeping) are not ONNX attributes.
static int is_bookkeeping(MlirStringRef name) {
  if ((name.length == 21 && strncmp(name.data, "operand_segment_sizes", 21) == 0) ||
      (name.length == 20 && strncmp(name.data, "result_segment_sizes", 20) == 0))
    return 1;
  return (name.length > 3 && strncmp(name.data, "sp.", 3) == 0) ||
         (name.length > 5 && strncmp(name.data, "onnx.", 5) == 0);
}

/* --- ops --------------------------------------------------------------- */

static MlirStringRef string_attr_of(MlirOperation op, const char *name) {
  MlirAttribute a = mlirOperationGetAttributeByName(op, sp_str(name));
  if (mlirAttributeIsNull(a) || !mlirAttributeIsAString(a))
    return (MlirStringRef){NULL, 0};
  return mlirStringAttrGetValue(a);
}

static int name_results(exporter *ex, MlirOperation op) {
  intptr_t n = mlirOperationGetNumResults(op);
  for (intptr_t i = 0; i < n; ++i) {
    MlirValue r = mlirOperationGetResult(op, i);
    if (value_name(ex, r))
      continue; // already named after a graph output
    size_t len = 0;
    const char *wanted = sp_op_result_name(op, i, &len);
    const char *name;
    if (wanted && !len)
      name = ""; // an ONNX optional output that was left out
    else if (!wanted && mlirOpOperandIsNull(mlirValueGetFirstUse(r)))
      name = ""; // a new op's unused result needs no name
    else {
      char buf[512];
      snprintf(buf, sizeof buf, "%.*s", (int)len, wanted ? wanted : "");
      name = claim_name(ex, buf);
    }
    sp_map_put_ptr(&ex->names, r.ptr, (void *)name);
  }
  return 0;
}

/* The initializer's sp.mask rows, checked against its shape, as entries
 * of the "sp.masks" metadata. */
static int collect_mask(exporter *ex, MlirOperation op, const Onnx__TensorProto *tp) {
  MlirAttribute a = mlirOperationGetDiscardableAttributeByName(op, sp_str(SP_MASK_ATTR));
  if (mlirAttributeIsNull(a))
    return 0;
  intptr_t rows = mlirAttributeIsAArray(a) ? mlirArrayAttrGetNumElements(a) : -1;
  for (intptr_t i = 0; i < rows; ++i) {
    MlirAttribute row = mlirArrayAttrGetElement(a, i);
    intptr_t len = mlirAttributeIsADenseI64Array(row) ? mlirDenseArrayGetNumElements(row) : 0;
    int64_t axis = len ? mlirDenseI64ArrayGetElement(row, 0) : -1;
    if (len % 2 != 1 || axis < 0 || (size_t)axis >= tp->n_dims)
      return op_error(ex, op, SP_MASK_ATTR " names no axis of the initializer", NULL);
    int64_t *ranges = sp_arena_alloc(&ex->arena, (size_t)len * sizeof *ranges);
    for (intptr_t k = 1; k < len; ++k)
      ranges[k - 1] = mlirDenseI64ArrayGetElement(row, k);
    for (intptr_t k = 0; k + 1 < len; k += 2)
      if (ranges[k] < (k ? ranges[k - 1] : 0) || ranges[k] >= ranges[k + 1] ||
          ranges[k + 1] > tp->dims[axis])
        return op_error(ex, op, SP_MASK_ATTR " ranges do not fit the initializer's shape",
                        NULL);
    if (sp_masks_add(&ex->masks, tp->name, (int)axis, ranges, (size_t)(len - 1) / 2))
      return sp_error_set(ex->err, "out of memory");
  }
  if (rows < 0)
    return op_error(ex, op, SP_MASK_ATTR " is not an array", NULL);
  return 0;
}

static int export_initializer(exporter *ex, MlirOperation op) {
  MlirValue r = mlirOperationGetResult(op, 0);
  const char *name = value_name(ex, r);
  MlirAttribute value = mlirOperationGetAttributeByName(op, sp_str("value"));
  MlirAttribute raw = mlirOperationGetAttributeByName(op, sp_str("onnx.tensor"));
  Onnx__TensorProto *tp = NULL;
  if (!mlirAttributeIsNull(value) && mlirAttributeIsAElements(value)) {
    tp = tensor_proto(ex, value, name);
    if (!tp) {
      char detail[SP_ERROR_MAX];
      snprintf(detail, sizeof detail, "%s", ex->err->message);
      return op_error(ex, op, "cannot read weights: ", detail);
    }
  } else if (!mlirAttributeIsNull(raw)) {
    if (!(tp = opaque_tensor(ex, raw, name)))
      return -1;
  } else {
    return op_error(ex, op, "initializer has no 'value' elements attribute", NULL);
  }
  if (collect_mask(ex, op, tp))
    return -1;
  return push(ex, (void ***)&ex->inits, &ex->n_inits, &ex->cap_inits, tp);
}

// ONNX input (or output) names of op: one position per segment of its
// signature, "" for an empty optional segment, trailing "" dropped.
static int expand_segments(exporter *ex, MlirOperation op, const sp_segment_kind *kinds,
                           int num_kinds, const char *attr_name, intptr_t n_values,
                           int operands, char **names, size_t *n_names) {
  int32_t sizes[SP_MAX_SEGMENTS];
  int n_segments = 0;
  MlirAttribute attr = mlirOperationGetAttributeByName(op, sp_str(attr_name));
  if (!kinds) {
    // onnx.* ops: positions are the values themselves (nn.None marks holes).
    n_segments = (int)n_values;
    for (int i = 0; i < n_segments && i < SP_MAX_SEGMENTS; ++i)
      sizes[i] = 1;
    if (n_values > SP_MAX_SEGMENTS) {
      for (intptr_t i = 0; i < n_values; ++i) {
        MlirValue v = operands ? mlirOperationGetOperand(op, i) : mlirOperationGetResult(op, i);
        names[i] = (char *)value_name(ex, v);
        if (!names[i])
          return op_error(ex, op, "operand has no ONNX name", NULL);
      }
      *n_names = (size_t)n_values;
      goto trim;
    }
  } else if (!mlirAttributeIsNull(attr) && mlirAttributeIsADenseI32Array(attr)) {
    n_segments = (int)mlirDenseArrayGetNumElements(attr);
    for (int i = 0; i < n_segments && i < SP_MAX_SEGMENTS; ++i)
      sizes[i] = mlirDenseI32ArrayGetElement(attr, i);
  } else {
    // At most one non-single segment: it holds whatever the singles leave.
    n_segments = num_kinds;
    intptr_t singles = 0;
    for (int i = 0; i < num_kinds; ++i)
      singles += kinds[i] == SP_SEGMENT_SINGLE;
    for (int i = 0; i < num_kinds; ++i)
      sizes[i] = kinds[i] == SP_SEGMENT_SINGLE ? 1 : (int32_t)(n_values - singles);
  }
  {
    intptr_t v = 0;
    size_t n = 0;
    for (int s = 0; s < n_segments; ++s) {
      if (sizes[s] == 0) {
        names[n++] = "";
        continue;
      }
      for (int32_t k = 0; k < sizes[s]; ++k, ++v) {
        if (v >= n_values)
          return op_error(ex, op, "segment sizes do not match the number of values", NULL);
        MlirValue val = operands ? mlirOperationGetOperand(op, v) : mlirOperationGetResult(op, v);
        const char *name = value_name(ex, val);
        if (!name)
          return op_error(ex, op, "operand has no ONNX name (defined outside @main?)", NULL);
        names[n++] = (char *)name;
      }
    }
    *n_names = n;
  }
trim:
  while (*n_names > 0 && !*names[*n_names - 1])
    (*n_names)--;
  return 0;
}

static int export_node(exporter *ex, MlirOperation op, const char *op_type, int is_nn) {
  Onnx__NodeProto *node = NEW(ex, Onnx__NodeProto, onnx__node_proto__init);
  // Only NameLocs carry ONNX node names; file:line:col marks an unnamed node.
  int is_node_name = 0;
  char *loc_name = sp_location_name(mlirOperationGetLocation(op), &is_node_name);
  if (loc_name && !is_node_name) {
    free(loc_name);
    loc_name = NULL;
  }
  if (loc_name) {
    node->name = sp_arena_strdup(&ex->arena, loc_name);
    free(loc_name);
  }
  node->op_type = sp_arena_strdup(&ex->arena, op_type);
  MlirStringRef domain = string_attr_of(op, "onnx.domain");
  if (domain.data)
    node->domain = copy_ref(ex, domain);
  MlirStringRef doc = string_attr_of(op, "onnx.doc_string");
  if (doc.data)
    node->doc_string = copy_ref(ex, doc);

  const sp_op_signature *sig = is_nn ? sp_dialect_signature(op_type) : NULL;
  intptr_t n_in = mlirOperationGetNumOperands(op);
  // Trailing operands that subgraphs capture by name are not ONNX inputs.
  MlirAttribute captures = mlirOperationGetAttributeByName(op, sp_str("onnx.captures"));
  if (!mlirAttributeIsNull(captures) && mlirAttributeIsAInteger(captures))
    n_in -= mlirIntegerAttrGetValueInt(captures);
  if (n_in < 0)
    return op_error(ex, op, "onnx.captures exceeds the operand count", NULL);
  node->input = sp_arena_alloc(&ex->arena, (size_t)(n_in + SP_MAX_SEGMENTS + 1) * sizeof(char *));
  if (expand_segments(ex, op, sig ? sig->operands : NULL, sig ? sig->num_operands : 0,
                      "operand_segment_sizes", n_in, 1, node->input, &node->n_input))
    return -1;
  intptr_t n_out = mlirOperationGetNumResults(op);
  node->output = sp_arena_alloc(&ex->arena, (size_t)(n_out + SP_MAX_SEGMENTS + 1) * sizeof(char *));
  if (expand_segments(ex, op, sig ? sig->results : NULL, sig ? sig->num_results : 0,
                      "result_segment_sizes", n_out, 0, node->output, &node->n_output))
    return -1;

  intptr_t n_attr = mlirOperationGetNumAttributes(op);
  node->attribute = sp_arena_alloc(&ex->arena, (size_t)(n_attr + 1) * sizeof *node->attribute);
  for (intptr_t i = 0; i < n_attr; ++i) {
    MlirNamedAttribute na = mlirOperationGetAttribute(op, i);
    MlirStringRef name = mlirIdentifierStr(na.name);
    if (is_bookkeeping(name))
      continue;
    Onnx__AttributeProto *ap = attribute_proto(ex, op, copy_ref(ex, name), na.attribute);
    if (!ap)
      return -1;
    node->attribute[node->n_attribute++] = ap;
  }
  return push(ex, (void ***)&ex->nodes, &ex->n_nodes, &ex->cap_nodes, node);
}

static int export_op(exporter *ex, MlirOperation op) {
  MlirStringRef full = mlirIdentifierStr(mlirOperationGetName(op));
  int is_nn = full.length > 3 && strncmp(full.data, "nn.", 3) == 0;
  int is_onnx = full.length > 5 && strncmp(full.data, "onnx.", 5) == 0;
  if (!is_nn && !is_onnx) {
    char what[256];
    snprintf(what, sizeof what, "%.*s", (int)full.length, full.data);
    return op_error(ex, op, "op outside the nn dialect cannot be exported: ", what);
  }
  size_t skip = is_nn ? 3 : 5;
  char op_type[256];
  snprintf(op_type, sizeof op_type, "%.*s", (int)(full.length - skip), full.data + skip);
  if (is_nn && strcmp(op_type, "None") == 0) {
    sp_map_put_ptr(&ex->names, mlirOperationGetResult(op, 0).ptr, (void *)"");
    return 0;
  }
  if (name_results(ex, op))
    return -1;
  if (is_nn && strcmp(op_type, "Initializer") == 0)
    return export_initializer(ex, op);
  return export_node(ex, op, op_type, is_nn);
}

/* --- module ------------------------------------------------------------ */

static MlirAttribute module_attr(MlirOperation module_op, const char *name) {
  return mlirOperationGetAttributeByName(module_op, sp_str(name));
}

static char *module_string(exporter *ex, MlirOperation module_op, const char *name) {
  MlirAttribute a = module_attr(module_op, name);
  if (mlirAttributeIsNull(a) || !mlirAttributeIsAString(a))
    return NULL;
  return copy_ref(ex, mlirStringAttrGetValue(a));
}

// The messages serialized in an array-of-strings module attribute (the
// parts import keeps as protobuf bytes), unpacked into the arena.
static int unpack_messages(exporter *ex, MlirOperation module_op, const char *name,
                           const ProtobufCMessageDescriptor *descriptor, void ***out,
                           size_t *count) {
  MlirAttribute list = module_attr(module_op, name);
  if (mlirAttributeIsNull(list))
    return 0;
  if (!mlirAttributeIsAArray(list))
    return sp_error_set(ex->err, "module attribute %s is not an array", name);
  ProtobufCAllocator alloc = {arena_alloc_cb, arena_free_cb, &ex->arena};
  intptr_t n = mlirArrayAttrGetNumElements(list);
  void **items = sp_arena_alloc(&ex->arena, (size_t)(n + 1) * sizeof *items);
  for (intptr_t i = 0; i < n; ++i) {
    MlirStringRef s = mlirStringAttrGetValue(mlirArrayAttrGetElement(list, i));
    items[i] = protobuf_c_message_unpack(descriptor, &alloc, s.length, (const uint8_t *)s.data);
    if (!items[i])
      return sp_error_set(ex->err, "corrupt %s module attribute", name);
  }
  *out = items;
  *count = (size_t)n;
  return 0;
}

static int fill_model(exporter *ex, MlirOperation module_op, Onnx__ModelProto *m) {
  MlirAttribute ir = module_attr(module_op, "onnx.ir_version");
  m->has_ir_version = 1;
  m->ir_version = mlirAttributeIsNull(ir) ? 8 : mlirIntegerAttrGetValueInt(ir);
  MlirAttribute opsets = module_attr(module_op, "onnx.opset_import");
  if (!mlirAttributeIsNull(opsets) && mlirAttributeIsAArray(opsets)) {
    intptr_t n = mlirArrayAttrGetNumElements(opsets);
    m->n_opset_import = (size_t)n;
    m->opset_import = sp_arena_alloc(&ex->arena, (size_t)(n + 1) * sizeof *m->opset_import);
    for (intptr_t i = 0; i < n; ++i) {
      MlirAttribute pair = mlirArrayAttrGetElement(opsets, i);
      Onnx__OperatorSetIdProto *o = NEW(ex, Onnx__OperatorSetIdProto, onnx__operator_set_id_proto__init);
      o->domain = copy_ref(ex, mlirStringAttrGetValue(mlirArrayAttrGetElement(pair, 0)));
      o->has_version = 1;
      o->version = mlirIntegerAttrGetValueInt(mlirArrayAttrGetElement(pair, 1));
      m->opset_import[i] = o;
    }
  } else {
    // A model written by hand in MLIR: default to the opset sp was built for.
    Onnx__OperatorSetIdProto *o = NEW(ex, Onnx__OperatorSetIdProto, onnx__operator_set_id_proto__init);
    o->domain = "";
    o->has_version = 1;
    o->version = 17;
    m->n_opset_import = 1;
    m->opset_import = sp_arena_alloc(&ex->arena, sizeof *m->opset_import);
    m->opset_import[0] = o;
  }
  m->producer_name = module_string(ex, module_op, "onnx.producer_name");
  m->producer_version = module_string(ex, module_op, "onnx.producer_version");
  m->domain = module_string(ex, module_op, "onnx.domain");
  m->doc_string = module_string(ex, module_op, "onnx.doc_string");
  MlirAttribute mv = module_attr(module_op, "onnx.model_version");
  if (!mlirAttributeIsNull(mv)) {
    m->has_model_version = 1;
    m->model_version = mlirIntegerAttrGetValueInt(mv);
  }
  MlirAttribute props = module_attr(module_op, "onnx.metadata_props");
  if (!mlirAttributeIsNull(props) && mlirAttributeIsAArray(props)) {
    intptr_t n = mlirArrayAttrGetNumElements(props);
    // One more slot: build_graph may add "sp.masks".
    m->metadata_props = sp_arena_alloc(&ex->arena, (size_t)(n + 2) * sizeof *m->metadata_props);
    for (intptr_t i = 0; i < n; ++i) {
      MlirAttribute pair = mlirArrayAttrGetElement(props, i);
      Onnx__StringStringEntryProto *e = NEW(ex, Onnx__StringStringEntryProto, onnx__string_string_entry_proto__init);
      e->key = copy_ref(ex, mlirStringAttrGetValue(mlirArrayAttrGetElement(pair, 0)));
      e->value = copy_ref(ex, mlirStringAttrGetValue(mlirArrayAttrGetElement(pair, 1)));
      if (strcmp(e->key, SP_MASKS_KEY)) // the initializers' sp.mask are the truth
        m->metadata_props[m->n_metadata_props++] = e;
    }
  } else {
    m->metadata_props = sp_arena_alloc(&ex->arena, 2 * sizeof *m->metadata_props);
  }
  if (unpack_messages(ex, module_op, "onnx.functions", &onnx__function_proto__descriptor,
                      (void ***)&m->functions, &m->n_functions) ||
      unpack_messages(ex, module_op, "onnx.training_info", &onnx__training_info_proto__descriptor,
                      (void ***)&m->training_info, &m->n_training_info))
    return -1;
  return 0;
}

static MlirAttribute array_entry_dict(MlirAttribute array, intptr_t i) {
  if (mlirAttributeIsNull(array) || !mlirAttributeIsAArray(array) ||
      i >= mlirArrayAttrGetNumElements(array))
    return mlirAttributeGetNull();
  MlirAttribute d = mlirArrayAttrGetElement(array, i);
  return mlirAttributeIsADictionary(d) ? d : mlirAttributeGetNull();
}

static const char *io_name(exporter *ex, MlirAttribute dict, const char *fallback) {
  if (!mlirAttributeIsNull(dict)) {
    MlirAttribute n = mlirDictionaryAttrGetElementByName(dict, sp_str("onnx.name"));
    if (!mlirAttributeIsNull(n) && mlirAttributeIsAString(n))
      return copy_ref(ex, mlirStringAttrGetValue(n));
  }
  return fallback;
}

static int build_graph(exporter *ex, MlirModule module, Onnx__GraphProto *g) {
  MlirOperation module_op = mlirModuleGetOperation(module);
  MlirOperation fn = sp_find_main(module_op);
  if (mlirOperationIsNull(fn))
    return sp_error_set(ex->err, "module has no func.func to export");
  g->name = module_string(ex, module_op, "onnx.graph_name");
  if (!g->name)
    g->name = "main";
  g->doc_string = module_string(ex, module_op, "onnx.graph_doc_string");
  MlirAttribute arg_attrs = mlirOperationGetAttributeByName(fn, sp_str("arg_attrs"));
  MlirAttribute res_attrs = mlirOperationGetAttributeByName(fn, sp_str("res_attrs"));
  MlirBlock body = mlirRegionGetFirstBlock(mlirOperationGetRegion(fn, 0));

  // Graph inputs keep their names.
  intptr_t n_args = mlirBlockGetNumArguments(body);
  Onnx__ValueInfoProto **inputs = sp_arena_alloc(&ex->arena, (size_t)(n_args + 1) * sizeof *inputs);
  for (intptr_t i = 0; i < n_args; ++i) {
    MlirValue arg = mlirBlockGetArgument(body, i);
    char fallback[32];
    snprintf(fallback, sizeof fallback, "input_%ld", (long)i);
    MlirAttribute attrs = array_entry_dict(arg_attrs, i);
    const char *name = claim_name(ex, io_name(ex, attrs, fallback));
    sp_map_put_ptr(&ex->names, arg.ptr, (void *)name);
    inputs[i] = value_info(ex, name, mlirValueGetType(arg), attrs);
  }

  // Graph outputs name their producers, so no Identity is needed in the
  // common case; nor for an argument or a value returned again under the name
  // it already has (ONNX allows both, and callers bind outputs by name). A
  // value returned under a second name gets an Identity.
  MlirOperation ret = mlirBlockGetTerminator(body);
  MlirStringRef ret_name =
      mlirOperationIsNull(ret) ? sp_str("") : mlirIdentifierStr(mlirOperationGetName(ret));
  if (ret_name.length != 11 || memcmp(ret_name.data, "func.return", 11))
    return sp_error_set(ex->err, "the graph function does not end in func.return");
  intptr_t n_out = mlirOperationGetNumOperands(ret);
  const char **out_names = sp_arena_alloc(&ex->arena, (size_t)(n_out + 1) * sizeof *out_names);
  int *needs_identity = sp_arena_alloc(&ex->arena, (size_t)(n_out + 1) * sizeof *needs_identity);
  for (intptr_t i = 0; i < n_out; ++i) {
    MlirValue v = mlirOperationGetOperand(ret, i);
    char fallback[32];
    snprintf(fallback, sizeof fallback, "output_%ld", (long)i);
    const char *wanted = io_name(ex, array_entry_dict(res_attrs, i), fallback);
    const char *has = value_name(ex, v);
    if (has && !strcmp(has, wanted)) {
      out_names[i] = has;
    } else if (!has && !name_taken(ex, wanted)) {
      out_names[i] = claim_name(ex, wanted);
      sp_map_put_ptr(&ex->names, v.ptr, (void *)out_names[i]);
    } else {
      needs_identity[i] = 1;
    }
  }
  // Output names are claimed first; identities for the rest come last.
  for (intptr_t i = 0; i < n_out; ++i)
    if (needs_identity[i]) {
      char fallback[32];
      snprintf(fallback, sizeof fallback, "output_%ld", (long)i);
      out_names[i] = claim_name(ex, io_name(ex, array_entry_dict(res_attrs, i), fallback));
    }

  for (MlirOperation op = mlirBlockGetFirstOperation(body);
       !mlirOperationIsNull(op) && !mlirOperationEqual(op, ret);
       op = mlirOperationGetNextInBlock(op))
    if (export_op(ex, op))
      return -1;

  for (intptr_t i = 0; i < n_out; ++i) {
    if (!needs_identity[i])
      continue;
    Onnx__NodeProto *node = NEW(ex, Onnx__NodeProto, onnx__node_proto__init);
    node->op_type = "Identity";
    node->n_input = 1;
    node->input = sp_arena_alloc(&ex->arena, sizeof(char *));
    node->input[0] = (char *)value_name(ex, mlirOperationGetOperand(ret, i));
    node->n_output = 1;
    node->output = sp_arena_alloc(&ex->arena, sizeof(char *));
    node->output[0] = (char *)out_names[i];
    if (push(ex, (void ***)&ex->nodes, &ex->n_nodes, &ex->cap_nodes, node))
      return -1;
  }

  Onnx__ValueInfoProto **outputs = sp_arena_alloc(&ex->arena, (size_t)(n_out + 1) * sizeof *outputs);
  for (intptr_t i = 0; i < n_out; ++i)
    outputs[i] = value_info(ex, out_names[i], mlirValueGetType(mlirOperationGetOperand(ret, i)),
                            array_entry_dict(res_attrs, i));

  // Initializers that old models also list as graph inputs.
  MlirAttribute init_inputs = module_attr(module_op, "onnx.initializer_inputs");
  size_t n_extra = mlirAttributeIsNull(init_inputs) ? 0 : (size_t)mlirArrayAttrGetNumElements(init_inputs);
  if (n_extra) {
    Onnx__ValueInfoProto **all = sp_arena_alloc(&ex->arena, ((size_t)n_args + n_extra + 1) * sizeof *all);
    memcpy(all, inputs, (size_t)n_args * sizeof *all);
    size_t k = (size_t)n_args;
    for (size_t j = 0; j < n_extra; ++j) {
      char *name = copy_ref(ex, mlirStringAttrGetValue(mlirArrayAttrGetElement(init_inputs, (intptr_t)j)));
      for (size_t t = 0; t < ex->n_inits; ++t)
        if (strcmp(ex->inits[t]->name, name) == 0) {
          Onnx__ValueInfoProto *vi = NEW(ex, Onnx__ValueInfoProto, onnx__value_info_proto__init);
          vi->name = name;
          Onnx__TypeProto *tp = NEW(ex, Onnx__TypeProto, onnx__type_proto__init);
          Onnx__TypeProto__Tensor *tt = NEW(ex, Onnx__TypeProto__Tensor, onnx__type_proto__tensor__init);
          tt->has_elem_type = 1;
          tt->elem_type = ex->inits[t]->data_type;
          Onnx__TensorShapeProto *sh = NEW(ex, Onnx__TensorShapeProto, onnx__tensor_shape_proto__init);
          sh->n_dim = ex->inits[t]->n_dims;
          sh->dim = sp_arena_alloc(&ex->arena, (sh->n_dim + 1) * sizeof *sh->dim);
          for (size_t d = 0; d < sh->n_dim; ++d) {
            sh->dim[d] = NEW(ex, Onnx__TensorShapeProto__Dimension, onnx__tensor_shape_proto__dimension__init);
            sh->dim[d]->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            sh->dim[d]->dim_value = ex->inits[t]->dims[d];
          }
          tt->shape = sh;
          tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
          tp->tensor_type = tt;
          vi->type = tp;
          all[k++] = vi;
          break;
        }
    }
    inputs = all;
    n_args = (intptr_t)k;
  }

  // value_info only for the names the source model described.
  MlirAttribute wanted_vi = module_attr(module_op, "onnx.value_info");
  if (!mlirAttributeIsNull(wanted_vi)) {
    intptr_t n = mlirArrayAttrGetNumElements(wanted_vi);
    for (intptr_t i = 0; i < n; ++i)
      sp_map_put_str(&ex->value_info_wanted,
                     copy_ref(ex, mlirStringAttrGetValue(mlirArrayAttrGetElement(wanted_vi, i))),
                     (void *)1);
    for (size_t i = 0; i < ex->names.capacity; ++i) {
      sp_map_entry *e = &ex->names.slots[i];
      if (!e->key || !*(const char *)e->value)
        continue;
      if (!sp_map_get_str(&ex->value_info_wanted, e->value, NULL))
        continue;
      MlirValue v = {(void *)e->key};
      if (mlirValueIsABlockArgument(v))
        continue;
      MlirOperation owner = mlirOpResultGetOwner(v);
      MlirStringRef on = mlirIdentifierStr(mlirOperationGetName(owner));
      if (on.length == 14 && strncmp(on.data, "nn.Initializer", 14) == 0)
        continue;
      Onnx__ValueInfoProto *vi = value_info(ex, e->value, mlirValueGetType(v), mlirAttributeGetNull());
      if (vi->type && push(ex, (void ***)&ex->vinfos, &ex->n_vinfos, &ex->cap_vinfos, vi))
        return -1;
    }
  }

  g->n_input = (size_t)n_args;
  g->input = inputs;
  g->n_output = (size_t)n_out;
  g->output = outputs;
  g->n_node = ex->n_nodes;
  g->node = ex->nodes;
  g->n_initializer = ex->n_inits;
  g->initializer = ex->inits;
  g->n_value_info = ex->n_vinfos;
  g->value_info = ex->vinfos;

  if (unpack_messages(ex, module_op, "onnx.sparse_initializers",
                      &onnx__sparse_tensor_proto__descriptor, (void ***)&g->sparse_initializer,
                      &g->n_sparse_initializer))
    return -1;
  return 0;
}

/* The masks of the initializers as the "sp.masks" metadata entry. */
static int add_masks_metadata(exporter *ex, Onnx__ModelProto *m) {
  char *text = sp_masks_format(&ex->masks);
  if (!text)
    return sp_error_set(ex->err, "out of memory");
  Onnx__StringStringEntryProto *e =
      NEW(ex, Onnx__StringStringEntryProto, onnx__string_string_entry_proto__init);
  e->key = SP_MASKS_KEY;
  e->value = sp_arena_alloc(&ex->arena, strlen(text) + 1);
  strcpy(e->value, text);
  free(text);
  m->metadata_props[m->n_metadata_props++] = e;
  return 0;
}

int sp_export_onnx(MlirModule module, const char *path,
                   const sp_onnx_save_options *options, sp_error *err) {
  exporter ex = {.ctx = mlirModuleGetContext(module), .err = err};
  sp_map_init(&ex.names);
  sp_map_init(&ex.used_names);
  sp_map_init(&ex.value_info_wanted);
  Onnx__ModelProto model = ONNX__MODEL_PROTO__INIT;
  Onnx__GraphProto graph = ONNX__GRAPH_PROTO__INIT;
  model.graph = &graph;
  int rc = fill_model(&ex, mlirModuleGetOperation(module), &model);
  if (rc == 0)
    rc = build_graph(&ex, module, &graph);
  if (rc == 0 && ex.masks.n)
    rc = add_masks_metadata(&ex, &model);
  if (rc == 0)
    rc = sp_onnx_save(path, &model, options, err);
  sp_masks_free(&ex.masks);
  sp_map_free(&ex.names);
  sp_map_free(&ex.used_names);
  sp_map_free(&ex.value_info_wanted);
  sp_arena_free(&ex.arena);
  return rc;
}
