#include "sp/translate.h"

#include <mlir-c/BuiltinTypes.h>

#include "onnx/onnx.pb-c.h"
#include "sp/dialect.h"

MlirType sp_elem_type_from_onnx(MlirContext ctx, int32_t onnx_type) {
  switch (onnx_type) {
  case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: return mlirF32TypeGet(ctx);
  case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: return mlirF64TypeGet(ctx);
  case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16: return mlirF16TypeGet(ctx);
  case ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16: return mlirBF16TypeGet(ctx);
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT8: return mlirIntegerTypeGet(ctx, 8);
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT16: return mlirIntegerTypeGet(ctx, 16);
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: return mlirIntegerTypeGet(ctx, 32);
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: return mlirIntegerTypeGet(ctx, 64);
  case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8: return mlirIntegerTypeUnsignedGet(ctx, 8);
  case ONNX__TENSOR_PROTO__DATA_TYPE__UINT16: return mlirIntegerTypeUnsignedGet(ctx, 16);
  case ONNX__TENSOR_PROTO__DATA_TYPE__UINT32: return mlirIntegerTypeUnsignedGet(ctx, 32);
  case ONNX__TENSOR_PROTO__DATA_TYPE__UINT64: return mlirIntegerTypeUnsignedGet(ctx, 64);
  case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL: return mlirIntegerTypeGet(ctx, 1);
  case ONNX__TENSOR_PROTO__DATA_TYPE__COMPLEX64: return mlirComplexTypeGet(mlirF32TypeGet(ctx));
  case ONNX__TENSOR_PROTO__DATA_TYPE__COMPLEX128: return mlirComplexTypeGet(mlirF64TypeGet(ctx));
  case ONNX__TENSOR_PROTO__DATA_TYPE__STRING:
    return mlirTypeParseGet(ctx, sp_str("!nn.string"));
  default: return (MlirType){NULL};
  }
}

int32_t sp_elem_type_to_onnx(MlirType t) {
  if (mlirTypeIsAF32(t)) return ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
  if (mlirTypeIsAF64(t)) return ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE;
  if (mlirTypeIsAF16(t)) return ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16;
  if (mlirTypeIsABF16(t)) return ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16;
  if (mlirTypeIsAInteger(t)) {
    unsigned w = mlirIntegerTypeGetWidth(t);
    int u = mlirIntegerTypeIsUnsigned(t);
    switch (w) {
    case 1: return ONNX__TENSOR_PROTO__DATA_TYPE__BOOL;
    case 8: return u ? ONNX__TENSOR_PROTO__DATA_TYPE__UINT8 : ONNX__TENSOR_PROTO__DATA_TYPE__INT8;
    case 16: return u ? ONNX__TENSOR_PROTO__DATA_TYPE__UINT16 : ONNX__TENSOR_PROTO__DATA_TYPE__INT16;
    case 32: return u ? ONNX__TENSOR_PROTO__DATA_TYPE__UINT32 : ONNX__TENSOR_PROTO__DATA_TYPE__INT32;
    case 64: return u ? ONNX__TENSOR_PROTO__DATA_TYPE__UINT64 : ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
    default: return 0;
    }
  }
  if (mlirTypeIsAComplex(t)) {
    MlirType e = mlirComplexTypeGetElementType(t);
    return mlirTypeIsAF32(e) ? ONNX__TENSOR_PROTO__DATA_TYPE__COMPLEX64
                             : ONNX__TENSOR_PROTO__DATA_TYPE__COMPLEX128;
  }
  MlirType string_type = mlirTypeParseGet(mlirTypeGetContext(t), sp_str("!nn.string"));
  if (mlirTypeEqual(t, string_type)) return ONNX__TENSOR_PROTO__DATA_TYPE__STRING;
  return 0;
}
