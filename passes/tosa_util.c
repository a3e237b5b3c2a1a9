/* IR helpers shared by the nn <-> TOSA conversion passes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp/dialect.h"
#include "sp/weights.h"
#include "tosa_internal.h"

MlirOperation tosa_build(tosa_builder *b, const char *name, const MlirValue *operands,
                         intptr_t num_operands, MlirType result,
                         const MlirNamedAttribute *attrs, intptr_t num_attrs) {
  MlirOperationState st = mlirOperationStateGet(sp_str(name), b->loc);
  if (num_operands)
    mlirOperationStateAddOperands(&st, num_operands, operands);
  if (!mlirTypeIsNull(result))
    mlirOperationStateAddResults(&st, 1, &result);
  if (num_attrs)
    mlirOperationStateAddAttributes(&st, num_attrs, attrs);
  MlirOperation op = mlirOperationCreate(&st);
  mlirBlockInsertOwnedOperationBefore(mlirOperationGetBlock(b->before), b->before, op);
  return op;
}

MlirValue tosa_build1(tosa_builder *b, const char *name, const MlirValue *operands,
                      intptr_t num_operands, MlirType result,
                      const MlirNamedAttribute *attrs, intptr_t num_attrs) {
  return mlirOperationGetResult(
      tosa_build(b, name, operands, num_operands, result, attrs, num_attrs), 0);
}

MlirType tosa_tensor(MlirType elem, const int64_t *shape, intptr_t rank) {
  return mlirRankedTensorTypeGet(rank, shape, elem, mlirAttributeGetNull());
}

intptr_t tosa_dims(MlirType t, int64_t *shape) {
  if (!mlirTypeIsARankedTensor(t))
    return -1;
  intptr_t rank = mlirShapedTypeGetRank(t);
  if (rank > TOSA_MAX_RANK)
    return -1;
  for (intptr_t i = 0; i < rank; ++i)
    shape[i] = mlirShapedTypeGetDimSize(t, i);
  return rank;
}

int tosa_static(MlirType t) {
  return mlirTypeIsARankedTensor(t) && mlirShapedTypeHasStaticShape(t);
}

int tosa_is(MlirOperation op, const char *name) {
  if (mlirOperationIsNull(op))
    return 0;
  MlirStringRef s = mlirIdentifierStr(mlirOperationGetName(op));
  size_t n = strlen(name);
  return s.length == n && memcmp(s.data, name, n) == 0;
}

MlirAttribute tosa_const_attr(MlirValue v) {
  if (!mlirValueIsAOpResult(v))
    return (MlirAttribute){NULL};
  MlirOperation def = mlirOpResultGetOwner(v);
  if (!tosa_is(def, "tosa.const") && !tosa_is(def, "nn.Constant") &&
      !tosa_is(def, "nn.Initializer"))
    return (MlirAttribute){NULL};
  MlirAttribute a = mlirOperationGetAttributeByName(def, sp_str("value"));
  return !mlirAttributeIsNull(a) && mlirAttributeIsAElements(a) ? a : (MlirAttribute){NULL};
}

float *tosa_const_f32_copy(MlirValue v, int64_t *count) {
  MlirAttribute a = tosa_const_attr(v);
  if (mlirAttributeIsNull(a))
    return NULL;
  MlirType t = mlirAttributeGetType(a);
  if (!tosa_static(t) || !mlirTypeIsAF32(mlirShapedTypeGetElementType(t)))
    return NULL;
  int64_t n = mlirElementsAttrGetNumElements(a);
  const void *data;
  size_t size;
  sp_error err = {{0}};
  if (sp_weight_data(a, &data, &size, &err) || size < (size_t)n * sizeof(float))
    return NULL;
  float *copy = malloc((size_t)n * sizeof *copy + 1);
  if (!copy)
    return NULL;
  memcpy(copy, data, (size_t)n * sizeof *copy);
  *count = n;
  return copy;
}

int tosa_const_f32_scalar(MlirValue v, float *out) {
  int64_t count;
  float *f = tosa_const_f32_copy(v, &count);
  int ok = f && count == 1;
  if (ok)
    *out = f[0];
  free(f);
  return ok ? 0 : -1;
}

long tosa_const_ints(MlirValue v, int64_t *out, long max) {
  MlirAttribute a = tosa_const_attr(v);
  if (mlirAttributeIsNull(a))
    return -1;
  MlirType t = mlirAttributeGetType(a);
  MlirType elem = mlirShapedTypeGetElementType(t);
  if (!tosa_static(t) || !mlirTypeIsAInteger(elem))
    return -1;
  int64_t n = mlirElementsAttrGetNumElements(a);
  unsigned width = mlirIntegerTypeGetWidth(elem);
  if (n > max || (width != 32 && width != 64))
    return -1;
  const void *data;
  size_t size;
  sp_error err = {{0}};
  if (sp_weight_data(a, &data, &size, &err) || size < (size_t)n * (width / 8))
    return -1;
  for (int64_t i = 0; i < n; ++i) {
    if (width == 32) {
      int32_t x;
      memcpy(&x, (const char *)data + i * 4, 4);
      out[i] = x;
    } else {
      memcpy(&out[i], (const char *)data + i * 8, 8);
    }
  }
  return (long)n;
}

MlirAttribute tosa_weight(tosa_builder *b, MlirType type, const float *data,
                          const char *prefix) {
  char key[64];
  snprintf(key, sizeof key, "%s_%ld", prefix, b->weight_counter++);
  int64_t n = 1;
  for (intptr_t i = 0; i < mlirShapedTypeGetRank(type); ++i)
    n *= mlirShapedTypeGetDimSize(type, i);
  return sp_weight_create_copy(type, key, data, (size_t)n * sizeof(float));
}

MlirAttribute tosa_ints_attr(MlirContext ctx, MlirType elem, const int64_t *v, intptr_t n) {
  (void)ctx;
  int64_t shape[1] = {n};
  MlirType t = tosa_tensor(elem, shape, 1);
  if (mlirIntegerTypeGetWidth(elem) == 32) {
    int32_t v32[TOSA_MAX_RANK * 4];
    for (intptr_t i = 0; i < n && i < TOSA_MAX_RANK * 4; ++i)
      v32[i] = (int32_t)v[i];
    return mlirDenseElementsAttrInt32Get(t, n, v32);
  }
  return mlirDenseElementsAttrInt64Get(t, n, v);
}

void tosa_permute4(const float *in, const int64_t *in_shape, const int64_t *perm, float *out) {
  int64_t in_strides[4] = {in_shape[1] * in_shape[2] * in_shape[3], in_shape[2] * in_shape[3],
                           in_shape[3], 1};
  int64_t out_shape[4], stride[4];
  for (int d = 0; d < 4; ++d) {
    out_shape[d] = in_shape[perm[d]];
    stride[d] = in_strides[perm[d]];
  }
  size_t o = 0;
  for (int64_t a = 0; a < out_shape[0]; ++a)
    for (int64_t b = 0; b < out_shape[1]; ++b)
      for (int64_t c = 0; c < out_shape[2]; ++c)
        for (int64_t d = 0; d < out_shape[3]; ++d)
          out[o++] = in[a * stride[0] + b * stride[1] + c * stride[2] + d * stride[3]];
}

int64_t tosa_int_attr(MlirOperation op, const char *name, int64_t dflt) {
  MlirAttribute a = mlirOperationGetAttributeByName(op, sp_str(name));
  return mlirAttributeIsNull(a) || !mlirAttributeIsAInteger(a) ? dflt
                                                                : mlirIntegerAttrGetValueInt(a);
}

double tosa_float_attr(MlirOperation op, const char *name, double dflt) {
  MlirAttribute a = mlirOperationGetAttributeByName(op, sp_str(name));
  return mlirAttributeIsNull(a) || !mlirAttributeIsAFloat(a) ? dflt
                                                              : mlirFloatAttrGetValueDouble(a);
}

long tosa_i64s_attr(MlirOperation op, const char *name, int64_t *out, long max) {
  MlirAttribute a = mlirOperationGetAttributeByName(op, sp_str(name));
  if (mlirAttributeIsNull(a))
    return -1;
  if (mlirAttributeIsADenseI64Array(a)) {
    intptr_t n = mlirDenseArrayGetNumElements(a);
    if (n > max)
      return -1;
    for (intptr_t i = 0; i < n; ++i)
      out[i] = mlirDenseI64ArrayGetElement(a, i);
    return (long)n;
  }
  if (mlirAttributeIsAArray(a)) {
    intptr_t n = mlirArrayAttrGetNumElements(a);
    if (n > max)
      return -1;
    for (intptr_t i = 0; i < n; ++i) {
      MlirAttribute e = mlirArrayAttrGetElement(a, i);
      if (!mlirAttributeIsAInteger(e))
        return -1;
      out[i] = mlirIntegerAttrGetValueInt(e);
    }
    return (long)n;
  }
  return -1;
}

void tosa_erase_dead(MlirBlock body, const char *prefix) {
  size_t n = 0, cap = 256, plen = strlen(prefix);
  MlirOperation *ops = malloc(cap * sizeof *ops);
  for (MlirOperation op = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    if (n == cap)
      ops = realloc(ops, (cap *= 2) * sizeof *ops);
    ops[n++] = op;
  }
  // Users come after their operands: erasing backwards frees whole chains.
  while (n-- > 0) {
    MlirOperation op = ops[n];
    MlirStringRef s = mlirIdentifierStr(mlirOperationGetName(op));
    int dead = s.length > plen && !memcmp(s.data, prefix, plen) &&
               mlirOperationGetNumRegions(op) == 0;
    for (intptr_t i = 0; dead && i < mlirOperationGetNumResults(op); ++i)
      dead = mlirOpOperandIsNull(mlirValueGetFirstUse(mlirOperationGetResult(op, i)));
    if (dead)
      mlirOperationDestroy(op);
  }
  free(ops);
}

int64_t tosa_module_opset(MlirOperation module) {
  MlirAttribute opsets = mlirOperationGetAttributeByName(module, sp_str("onnx.opset_import"));
  if (mlirAttributeIsNull(opsets) || !mlirAttributeIsAArray(opsets))
    return 17;
  for (intptr_t i = 0; i < mlirArrayAttrGetNumElements(opsets); ++i) {
    MlirAttribute pair = mlirArrayAttrGetElement(opsets, i);
    if (!mlirAttributeIsAArray(pair) || mlirArrayAttrGetNumElements(pair) != 2)
      continue;
    MlirAttribute domain = mlirArrayAttrGetElement(pair, 0);
    MlirAttribute version = mlirArrayAttrGetElement(pair, 1);
    if (mlirAttributeIsAString(domain) && mlirStringAttrGetValue(domain).length == 0 &&
        mlirAttributeIsAInteger(version))
      return mlirIntegerAttrGetValueInt(version);
  }
  return 17;
}
