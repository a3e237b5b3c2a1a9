/* Small IR helpers shared by the sp-canonicalize rule files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canon_internal.h"
#include "sp/dialect.h"
#include "sp/weights.h"

int canon_is(MlirOperation op, const char *name) {
  if (mlirOperationIsNull(op))
    return 0;
  MlirStringRef s = mlirIdentifierStr(mlirOperationGetName(op));
  size_t n = strlen(name);
  return s.length == n && memcmp(s.data, name, n) == 0;
}

MlirOperation canon_def(MlirValue v) {
  return mlirValueIsAOpResult(v) ? mlirOpResultGetOwner(v) : (MlirOperation){NULL};
}

int canon_unused(MlirValue v) { return mlirOpOperandIsNull(mlirValueGetFirstUse(v)); }

long canon_num_uses(MlirValue v) {
  long n = 0;
  for (MlirOpOperand u = mlirValueGetFirstUse(v); !mlirOpOperandIsNull(u);
       u = mlirOpOperandGetNextUse(u))
    n++;
  return n;
}

int64_t canon_int_attr(MlirOperation op, const char *name, int64_t dflt) {
  MlirAttribute a = mlirOperationGetAttributeByName(op, sp_str(name));
  return mlirAttributeIsNull(a) || !mlirAttributeIsAInteger(a) ? dflt
                                                                : mlirIntegerAttrGetValueInt(a);
}

int canon_ranked(MlirType t) { return mlirTypeIsARankedTensor(t); }

int canon_static(MlirType t) {
  return mlirTypeIsARankedTensor(t) && mlirShapedTypeHasStaticShape(t);
}

int64_t canon_numel(MlirType t) {
  if (!canon_static(t))
    return -1;
  int64_t n = 1;
  for (intptr_t i = 0; i < mlirShapedTypeGetRank(t); ++i)
    n *= mlirShapedTypeGetDimSize(t, i);
  return n;
}

MlirAttribute canon_const_attr(MlirValue v) {
  MlirOperation def = canon_def(v);
  if (!canon_is(def, "nn.Constant") && !canon_is(def, "nn.Initializer"))
    return (MlirAttribute){NULL};
  MlirAttribute a = mlirOperationGetAttributeByName(def, sp_str("value"));
  if (mlirAttributeIsNull(a) || !mlirAttributeIsAElements(a))
    return (MlirAttribute){NULL};
  return a;
}

long canon_const_ints(MlirValue v, int64_t *out, long max) {
  MlirAttribute a = canon_const_attr(v);
  return mlirAttributeIsNull(a) ? -1 : canon_attr_ints(a, out, max);
}

long canon_attr_ints(MlirAttribute a, int64_t *out, long max) {
  if (mlirAttributeIsNull(a) || !mlirAttributeIsAElements(a))
    return -1;
  MlirType t = mlirAttributeGetType(a);
  MlirType elem = mlirShapedTypeGetElementType(t);
  int64_t n = canon_numel(t);
  if (n < 0 || n > max || !mlirTypeIsAInteger(elem))
    return -1;
  unsigned width = mlirIntegerTypeGetWidth(elem);
  int is_unsigned = mlirIntegerTypeIsUnsigned(elem);
  const void *data;
  size_t size;
  sp_error err = {{0}};
  if (sp_weight_data(a, &data, &size, &err))
    return -1;
  size_t bytes = width == 1 ? 1 : width / 8;
  if (size < (size_t)n * bytes)
    return -1;
  const unsigned char *p = data;
  for (int64_t i = 0; i < n; ++i) {
    const unsigned char *e = p + (size_t)i * bytes;
    switch (width) {
    case 1: out[i] = e[0] != 0; break;
    case 8: out[i] = is_unsigned ? (int64_t)e[0] : (int64_t)(int8_t)e[0]; break;
    case 16: {
      int16_t s;
      memcpy(&s, e, 2);
      out[i] = is_unsigned ? (int64_t)(uint16_t)s : s;
      break;
    }
    case 32: {
      int32_t s;
      memcpy(&s, e, 4);
      out[i] = is_unsigned ? (int64_t)(uint32_t)s : s;
      break;
    }
    case 64: memcpy(&out[i], e, 8); break;
    default: return -1;
    }
  }
  return (long)n;
}

double *canon_const_floats(MlirValue v, long *count) {
  MlirAttribute a = canon_const_attr(v);
  if (mlirAttributeIsNull(a))
    return NULL;
  MlirType t = mlirAttributeGetType(a);
  int64_t n = canon_numel(t);
  if (n < 0 || !mlirTypeIsAF32(mlirShapedTypeGetElementType(t)))
    return NULL;
  const void *data;
  size_t size;
  sp_error err = {{0}};
  if (sp_weight_data(a, &data, &size, &err) || size < (size_t)n * 4)
    return NULL;
  double *out = malloc(((size_t)n + 1) * sizeof *out);
  const float *f = data;
  for (int64_t i = 0; i < n; ++i) {
    float x;
    memcpy(&x, f + i, 4);
    out[i] = x;
  }
  *count = (long)n;
  return out;
}

int canon_replace(MlirValue from, MlirValue to) {
  if (!mlirTypeEqual(mlirValueGetType(from), mlirValueGetType(to)))
    return -1;
  mlirValueReplaceAllUsesOfWith(from, to);
  return 0;
}

static void set_name(canon_ctx *c, MlirOperation op, const char *name) {
  if (!name)
    return;
  MlirAttribute s = mlirStringAttrGet(c->mlir, sp_str(name));
  mlirOperationSetAttributeByName(op, sp_str("onnx.names"), mlirArrayAttrGet(c->mlir, 1, &s));
}

MlirValue canon_make_constant(canon_ctx *c, MlirOperation before, MlirLocation loc,
                              MlirAttribute value, const char *name) {
  MlirOperationState st = mlirOperationStateGet(sp_str("nn.Constant"), loc);
  MlirType t = mlirAttributeGetType(value);
  mlirOperationStateAddResults(&st, 1, &t);
  MlirNamedAttribute attr = sp_named(c->mlir, "value", value);
  mlirOperationStateAddAttributes(&st, 1, &attr);
  MlirOperation op = mlirOperationCreate(&st);
  set_name(c, op, name);
  mlirBlockInsertOwnedOperationBefore(mlirOperationGetBlock(before), before, op);
  return mlirOperationGetResult(op, 0);
}

MlirValue canon_make_f32_initializer(canon_ctx *c, MlirType type, const float *data,
                                     const char *name) {
  char key[256];
  snprintf(key, sizeof key, "%s", name ? name : "sp_canon");
  for (char *k = key; *k; ++k) // resource keys are identifiers
    if (!(*k == '_' || *k == '.' || (*k >= '0' && *k <= '9') || (*k >= 'a' && *k <= 'z') ||
          (*k >= 'A' && *k <= 'Z')))
      *k = '_';
  size_t len = strlen(key);
  snprintf(key + len, sizeof key - len, "_%ld", c->weight_counter++);
  int64_t n = canon_numel(type);
  MlirAttribute value = sp_weight_create_copy(type, key, data, (size_t)n * sizeof(float));
  MlirOperationState st =
      mlirOperationStateGet(sp_str("nn.Initializer"), mlirLocationNameGet(c->mlir, sp_str(key),
                                                                          mlirLocationUnknownGet(c->mlir)));
  mlirOperationStateAddResults(&st, 1, &type);
  MlirNamedAttribute attr = sp_named(c->mlir, "value", value);
  mlirOperationStateAddAttributes(&st, 1, &attr);
  MlirOperation op = mlirOperationCreate(&st);
  set_name(c, op, key);
  mlirBlockInsertOwnedOperationBefore(c->body, mlirBlockGetFirstOperation(c->body), op);
  return mlirOperationGetResult(op, 0);
}

MlirAttribute canon_int_elements(MlirType elem, const int64_t *shape, intptr_t rank,
                                 const int64_t *values, long n) {
  MlirType t = mlirRankedTensorTypeGet(rank, shape, elem, mlirAttributeGetNull());
  if (mlirTypeIsAInteger(elem) && mlirIntegerTypeGetWidth(elem) == 1) {
    int *b = malloc(((size_t)n + 1) * sizeof *b);
    for (long i = 0; i < n; ++i)
      b[i] = values[i] != 0;
    MlirAttribute a = mlirDenseElementsAttrBoolGet(t, n, b);
    free(b);
    return a;
  }
  if (mlirTypeIsAInteger(elem) && mlirIntegerTypeGetWidth(elem) == 32) {
    int32_t *v = malloc(((size_t)n + 1) * sizeof *v);
    for (long i = 0; i < n; ++i)
      v[i] = (int32_t)values[i];
    MlirAttribute a = mlirDenseElementsAttrInt32Get(t, n, v);
    free(v);
    return a;
  }
  return mlirDenseElementsAttrInt64Get(t, n, values);
}

int64_t canon_axis(int64_t axis, int64_t rank) {
  if (axis < 0)
    axis += rank;
  return axis < 0 || axis >= rank ? -1 : axis;
}

char *canon_result_name(MlirOperation op) {
  size_t len = 0;
  const char *n = sp_op_result_name(op, 0, &len);
  return n && len ? strndup(n, len) : NULL;
}
