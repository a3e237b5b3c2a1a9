/* shape_registry.c - which function infers which op: one table, sorted by
 * op type, looked up by binary search. Adding an op: write its function in
 * a shape_ops_*.c file, declare it in shape_ops.h, list it here. */
#include <string.h>

#include "shape_driver.h"

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
    {"Affine", sp_shape_unary},
    {"AffineGrid", sp_shape_affine_grid},
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
    {"Col2Im", sp_shape_col2im},
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
    {"Crop", sp_shape_crop},
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
    {"ImageScaler", sp_shape_unary},
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
    {"ParametricSoftplus", sp_shape_unary},
    {"Pow", sp_shape_binary},
    {"QLinearConv", sp_shape_qlinear_conv},
    {"QLinearMatMul", sp_shape_qlinear_matmul},
    {"QuantizeLinear", sp_shape_quantize},
    {"RMSNormalization", sp_shape_unary},
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
    {"RegexFullMatch", sp_shape_to_bool},
    {"Relu", sp_shape_unary_values},
    {"Reshape", sp_shape_reshape},
    {"Resize", sp_shape_resize},
    {"ReverseSequence", sp_shape_same_as_data},
    {"RoiAlign", sp_shape_roi_align},
    {"RotaryEmbedding", sp_shape_unary},
    {"Round", sp_shape_unary_values},
    {"STFT", sp_shape_stft},
    {"ScaledTanh", sp_shape_unary},
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
    {"StringConcat", sp_shape_binary},
    {"StringNormalizer", sp_shape_string_normalizer},
    {"StringSplit", sp_shape_string_split},
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

int sp_shape_is_default_domain(const char *domain) {
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
  if (!sp_shape_is_default_domain(domain))
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

int sp_shape_is_control_flow(const char *op_type) {
  return !strcmp(op_type, "If") || !strcmp(op_type, "Loop") ||
         !strcmp(op_type, "Scan") || !strcmp(op_type, "SequenceMap");
}

int sp_shape_op_supported(const char *domain, const char *op_type) {
  return sp_shape_fn_for(domain, op_type) != NULL ||
         (sp_shape_is_default_domain(domain) && op_type &&
          sp_shape_is_control_flow(op_type));
}

const char *sp_shape_op_at(size_t i) {
  return i < sizeof ops / sizeof ops[0] ? ops[i].op_type : NULL;
}
