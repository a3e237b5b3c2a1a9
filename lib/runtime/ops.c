/* ops.c - the op table: ONNX op type -> prepare/forward (ggml style). Adding
 * an op: a kernel in kernels/<family>.c, its declaration in kernels.h, one
 * row here (kept sorted by name for bsearch). */
#include <stdlib.h>
#include <string.h>

#include "kernels/kernels.h"

static RT_KERNEL(rt_nop) {
  (void)rt;
  (void)n;
  (void)err;
  return 0;
}

#define VIEW 1
static const rt_op OPS[] = {
    {"Abs", rt_unary_prepare, rt_unary, 0},
    {"Acos", rt_unary_prepare, rt_unary, 0},
    {"Acosh", rt_unary_prepare, rt_unary, 0},
    {"Add", rt_binary_prepare, rt_binary, 0},
    {"And", rt_binary_prepare, rt_binary, 0},
    {"ArgMax", NULL, rt_argmax, 0},
    {"ArgMin", NULL, rt_argmax, 0},
    {"Asin", rt_unary_prepare, rt_unary, 0},
    {"Asinh", rt_unary_prepare, rt_unary, 0},
    {"Atan", rt_unary_prepare, rt_unary, 0},
    {"Atanh", rt_unary_prepare, rt_unary, 0},
    {"AveragePool", NULL, rt_avgpool, 0},
    {"BatchNormalization", NULL, rt_batchnorm, 0},
    {"BitShift", rt_binary_prepare, rt_binary, 0},
    {"Cast", NULL, rt_cast, 0},
    {"CastLike", NULL, rt_cast, 0},
    {"Ceil", rt_unary_prepare, rt_unary, 0},
    {"Celu", rt_unary_prepare, rt_unary, 0},
    {"Clip", NULL, rt_clip, 0},
    {"Concat", NULL, rt_concat, 0},
    {"Constant", NULL, rt_nop, 0},
    {"ConstantOfShape", NULL, rt_constant_of_shape, 0},
    {"Conv", rt_conv_prepare, rt_conv, 0},
    {"ConvTranspose", NULL, rt_conv_transpose, 0},
    {"Cos", rt_unary_prepare, rt_unary, 0},
    {"Cosh", rt_unary_prepare, rt_unary, 0},
    {"CumSum", NULL, rt_cumsum, 0},
    {"DepthToSpace", NULL, rt_depth_to_space, 0},
    {"Div", rt_binary_prepare, rt_binary, 0},
    {"Dropout", NULL, rt_view, VIEW},
    {"Einsum", NULL, rt_einsum, 0},
    {"Elu", rt_unary_prepare, rt_unary, 0},
    {"Equal", rt_binary_prepare, rt_binary, 0},
    {"Erf", rt_unary_prepare, rt_unary, 0},
    {"Exp", rt_unary_prepare, rt_unary, 0},
    {"Expand", NULL, rt_expand, 0},
    {"EyeLike", NULL, rt_eyelike, 0},
    {"Flatten", NULL, rt_view, VIEW},
    {"Floor", rt_unary_prepare, rt_unary, 0},
    {"Gather", NULL, rt_gather, 0},
    {"GatherElements", NULL, rt_gather_elements, 0},
    {"Gelu", rt_unary_prepare, rt_unary, 0},
    {"Gemm", NULL, rt_gemm, 0},
    {"GlobalAveragePool", NULL, rt_global_avgpool, 0},
    {"GlobalMaxPool", NULL, rt_global_maxpool, 0},
    {"Greater", rt_binary_prepare, rt_binary, 0},
    {"GreaterOrEqual", rt_binary_prepare, rt_binary, 0},
    {"GroupNormalization", NULL, rt_groupnorm, 0},
    {"HardSigmoid", rt_unary_prepare, rt_unary, 0},
    {"HardSwish", rt_unary_prepare, rt_unary, 0},
    {"Hardmax", NULL, rt_hardmax, 0},
    {"Identity", NULL, rt_view, VIEW},
    {"InstanceNormalization", NULL, rt_instancenorm, 0},
    {"IsInf", NULL, rt_unary, 0},
    {"IsNaN", NULL, rt_unary, 0},
    {"LRN", NULL, rt_lrn, 0},
    {"LayerNormalization", NULL, rt_layernorm, 0},
    {"LeakyRelu", rt_unary_prepare, rt_unary, 0},
    {"Less", rt_binary_prepare, rt_binary, 0},
    {"LessOrEqual", rt_binary_prepare, rt_binary, 0},
    {"Log", rt_unary_prepare, rt_unary, 0},
    {"LogSoftmax", NULL, rt_softmax, 0},
    {"LpPool", NULL, rt_lppool, 0},
    {"MatMul", NULL, rt_matmul, 0},
    {"Max", rt_binary_prepare, rt_variadic, 0},
    {"MaxPool", NULL, rt_maxpool, 0},
    {"Mean", rt_binary_prepare, rt_variadic, 0},
    {"Min", rt_binary_prepare, rt_variadic, 0},
    {"Mish", rt_unary_prepare, rt_unary, 0},
    {"Mod", rt_binary_prepare, rt_binary, 0},
    {"Mul", rt_binary_prepare, rt_binary, 0},
    {"Neg", rt_unary_prepare, rt_unary, 0},
    {"Not", NULL, rt_not, 0},
    {"Or", rt_binary_prepare, rt_binary, 0},
    {"PRelu", rt_binary_prepare, rt_binary, 0},
    {"Pad", NULL, rt_pad, 0},
    {"Pow", rt_binary_prepare, rt_binary, 0},
    {"Range", NULL, rt_range, 0},
    {"Reciprocal", rt_unary_prepare, rt_unary, 0},
    {"ReduceL1", NULL, rt_reduce, 0},
    {"ReduceL2", NULL, rt_reduce, 0},
    {"ReduceLogSum", NULL, rt_reduce, 0},
    {"ReduceLogSumExp", NULL, rt_reduce, 0},
    {"ReduceMax", NULL, rt_reduce, 0},
    {"ReduceMean", NULL, rt_reduce, 0},
    {"ReduceMin", NULL, rt_reduce, 0},
    {"ReduceProd", NULL, rt_reduce, 0},
    {"ReduceSum", NULL, rt_reduce, 0},
    {"ReduceSumSquare", NULL, rt_reduce, 0},
    {"Relu", rt_unary_prepare, rt_unary, 0},
    {"Reshape", NULL, rt_view, VIEW},
    {"Resize", NULL, rt_resize, 0},
    {"Round", rt_unary_prepare, rt_unary, 0},
    {"ScatterND", NULL, rt_scatter_nd, 0},
    {"Selu", rt_unary_prepare, rt_unary, 0},
    {"Shape", NULL, rt_shape, 0},
    {"Sigmoid", rt_unary_prepare, rt_unary, 0},
    {"Sign", rt_unary_prepare, rt_unary, 0},
    {"Sin", rt_unary_prepare, rt_unary, 0},
    {"Sinh", rt_unary_prepare, rt_unary, 0},
    {"Size", NULL, rt_size, 0},
    {"Slice", NULL, rt_slice, 0},
    {"Softmax", NULL, rt_softmax, 0},
    {"Softplus", rt_unary_prepare, rt_unary, 0},
    {"Softsign", rt_unary_prepare, rt_unary, 0},
    {"SpaceToDepth", NULL, rt_space_to_depth, 0},
    {"Split", NULL, rt_split, 0},
    {"Sqrt", rt_unary_prepare, rt_unary, 0},
    {"Squeeze", NULL, rt_view, VIEW},
    {"Sub", rt_binary_prepare, rt_binary, 0},
    {"Sum", rt_binary_prepare, rt_variadic, 0},
    {"Tan", rt_unary_prepare, rt_unary, 0},
    {"Tanh", rt_unary_prepare, rt_unary, 0},
    {"ThresholdedRelu", rt_unary_prepare, rt_unary, 0},
    {"Tile", NULL, rt_tile, 0},
    {"Transpose", NULL, rt_transpose, 0},
    {"Trilu", NULL, rt_trilu, 0},
    {"Unsqueeze", NULL, rt_view, VIEW},
    {"Upsample", NULL, rt_resize, 0},
    {"Where", NULL, rt_where, 0},
    {"Xor", rt_binary_prepare, rt_binary, 0},
};

#define N_OPS (sizeof OPS / sizeof OPS[0])

static int cmp_op(const void *key, const void *elem) {
  return strcmp(key, ((const rt_op *)elem)->name);
}

const rt_op *rt_op_find(const char *domain, const char *op_type) {
  if (domain && domain[0] && strcmp(domain, "ai.onnx"))
    return NULL;
  return bsearch(op_type, OPS, N_OPS, sizeof OPS[0], cmp_op);
}

const char *rt_op_at(size_t i) { return i < N_OPS ? OPS[i].name : NULL; }
