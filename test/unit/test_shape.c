/* test_shape.c - ONNX shape and type inference: per-op cases on hand-built
 * nodes, the driver on small models, and a check of every supported op
 * against the output shapes stored in ONNX's node conformance data. */
#define _GNU_SOURCE
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../lib/onnx/shape_ops.h" /* sp_dims_str, sp_tensor_values */
#include "fixtures/onnx_fixture.h"
#include "sp/shape.h"

#define F32 SP_T_FLOAT
#define I64 SP_T_INT64
#define BIG INT64_MAX

/* ---- per-op harness: one node, inputs IN[], outputs OUT[] ---- */

static fx *F;
static Onnx__NodeProto *N;
static sp_value_info IN[16];
static const sp_value_info *INP[16];
static sp_value_info OUT[8];
static sp_error ERR;

static int setup(void **state) {
  (void)state;
  F = fx_new(8);
  memset(IN, 0, sizeof IN);
  memset(INP, 0, sizeof INP);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  fx_free(F);
  F = NULL;
  return 0;
}

/* The node under test, named "n", inputs x0.., outputs y0... */
static Onnx__NodeProto *node(const char *op) {
  N = fx_node(F, op, "n", "x0", "y0");
  return N;
}

static Onnx__AttributeProto *add_attr(Onnx__NodeProto *n, const char *name,
                                      Onnx__AttributeProto__AttributeType t) {
  Onnx__AttributeProto init = ONNX__ATTRIBUTE_PROTO__INIT;
  Onnx__AttributeProto *a = fx_alloc(F, sizeof *a);
  *a = init;
  a->name = fx_str(F, name);
  a->has_type = 1;
  a->type = t;
  Onnx__AttributeProto **attrs =
      fx_alloc(F, (n->n_attribute + 1) * sizeof *attrs);
  if (n->n_attribute)
    memcpy(attrs, n->attribute, n->n_attribute * sizeof *attrs);
  attrs[n->n_attribute++] = a;
  n->attribute = attrs;
  return a;
}

static void attr_int(Onnx__NodeProto *n, const char *name, int64_t v) {
  add_attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT)->i = v;
}

static void attr_float(Onnx__NodeProto *n, const char *name, float v) {
  add_attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT)->f = v;
}

static void attr_ints(Onnx__NodeProto *n, const char *name, int count,
                      const int64_t *vals) {
  Onnx__AttributeProto *a =
      add_attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
  a->n_ints = (size_t)count;
  a->ints = fx_alloc(F, (size_t)count * sizeof *a->ints + 1);
  memcpy(a->ints, vals, (size_t)count * sizeof *vals);
}

static void attr_floats(Onnx__NodeProto *n, const char *name, int count,
                        const float *vals) {
  Onnx__AttributeProto *a =
      add_attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS);
  a->n_floats = (size_t)count;
  a->floats = fx_alloc(F, (size_t)count * sizeof *a->floats + 1);
  memcpy(a->floats, vals, (size_t)count * sizeof *vals);
}

static void attr_str(Onnx__NodeProto *n, const char *name, const char *s) {
  Onnx__AttributeProto *a =
      add_attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
  a->s.len = strlen(s);
  a->s.data = (uint8_t *)fx_str(F, s);
}

/* A tensor attribute with int64 contents (Constant, ConstantOfShape). */
static void attr_tensor(Onnx__NodeProto *n, const char *name, int32_t type,
                        int ndims, const int64_t *dims, const void *raw,
                        size_t size) {
  Onnx__AttributeProto *a =
      add_attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR);
  a->t = fx_tensor(F, "t", type, ndims, dims);
  fx_raw(F, a->t, raw, size);
}

/* Parses "1x3x?xN" into v: digits static, "?" dynamic, names dynamic with
 * that dim_param; "scalar" is rank 0, "unranked" rank -1. */
static void parse_dims(sp_value_info *v, const char *dims) {
  v->rank = 0;
  if (!strcmp(dims, "unranked")) {
    v->rank = -1;
    return;
  }
  if (!strcmp(dims, "scalar"))
    return;
  for (const char *p = dims; *p;) {
    size_t len = strcspn(p, "x");
    char tok[32];
    snprintf(tok, sizeof tok, "%.*s", (int)len, p);
    int i = v->rank++;
    v->dims[i] = -1;
    v->dim_params[i] = NULL;
    if (tok[0] >= '0' && tok[0] <= '9')
      v->dims[i] = atoll(tok);
    else if (strcmp(tok, "?"))
      v->dim_params[i] = fx_str(F, tok);
    p += len + (p[len] == 'x');
  }
}

/* Input i of the node has type t and dims. */
static sp_value_info *in(int i, int32_t t, const char *dims) {
  memset(&IN[i], 0, sizeof IN[i]);
  IN[i].elem_type = t;
  parse_dims(&IN[i], dims);
  INP[i] = &IN[i];
  return &IN[i];
}

static void ivals(sp_value_info *v, int n, const int64_t *vals) {
  sp_set_int_values(v, vals, NULL, n);
}

static void fvals(sp_value_info *v, int n, const double *vals) {
  sp_set_float_values(v, vals, n);
}

/* A 1-D int64 input holding vals (axes, shapes, pads...). */
static sp_value_info *in_ints(int i, int n, const int64_t *vals) {
  char dims[16];
  snprintf(dims, sizeof dims, "%d", n);
  sp_value_info *v = in(i, I64, dims);
  ivals(v, n, vals);
  return v;
}

static int run(int64_t opset, int n_in, int n_out) {
  sp_shape_fn fn = sp_shape_fn_for("", N->op_type);
  assert_non_null(fn);
  for (int i = 0; i < n_out; ++i) {
    memset(&OUT[i], 0, sizeof OUT[i]);
    OUT[i].rank = -1;
  }
  ERR.message[0] = '\0';
  return fn(N, INP, n_in, OUT, n_out, opset, &ERR);
}

static const char *dims_of(const sp_value_info *v) {
  static char buf[4][256];
  static int next;
  return sp_dims_str(v, buf[next++ % 4], sizeof buf[0]);
}

/* Runs the node and checks output 0's dims. */
#define CHECK(opset, n_in, dims)                                               \
  do {                                                                         \
    if (run(opset, n_in, 1))                                                   \
      fail_msg("unexpected error: %s", ERR.message);                           \
    assert_string_equal(dims_of(&OUT[0]), dims);                               \
  } while (0)

#define CHECK_ERROR(opset, n_in, n_out, msg)                                   \
  do {                                                                         \
    assert_int_equal(run(opset, n_in, n_out), -1);                             \
    assert_string_equal(ERR.message, msg);                                     \
  } while (0)

static void check_values(const sp_value_info *v, int n, const int64_t *want) {
  assert_true(v->has_value);
  assert_int_equal(sp_numel(v), n);
  for (int i = 0; i < n; ++i)
    assert_int_equal(v->value[i], want[i]);
}

/* ---- the table ---- */

static void test_table_sorted_and_complete(void **state) {
  (void)state;
  size_t n = 0;
  for (; sp_shape_op_at(n); ++n)
    if (n > 0)
      assert_true(strcmp(sp_shape_op_at(n - 1), sp_shape_op_at(n)) < 0);
  assert_true(n >= 170);
  static const char *const required[] = {"Conv",
                                         "ConvTranspose",
                                         "BatchNormalization",
                                         "InstanceNormalization",
                                         "LayerNormalization",
                                         "GroupNormalization",
                                         "Relu",
                                         "LeakyRelu",
                                         "PRelu",
                                         "Sigmoid",
                                         "HardSigmoid",
                                         "HardSwish",
                                         "Tanh",
                                         "Erf",
                                         "Gelu",
                                         "Clip",
                                         "Softmax",
                                         "LogSoftmax",
                                         "Add",
                                         "Sub",
                                         "Mul",
                                         "Div",
                                         "Pow",
                                         "Sqrt",
                                         "Neg",
                                         "Exp",
                                         "Log",
                                         "Abs",
                                         "Reciprocal",
                                         "Floor",
                                         "Ceil",
                                         "Not",
                                         "And",
                                         "Or",
                                         "Less",
                                         "Greater",
                                         "LessOrEqual",
                                         "GreaterOrEqual",
                                         "Min",
                                         "Max",
                                         "Sum",
                                         "Mean",
                                         "MatMul",
                                         "Gemm",
                                         "MaxPool",
                                         "AveragePool",
                                         "GlobalAveragePool",
                                         "GlobalMaxPool",
                                         "Flatten",
                                         "Reshape",
                                         "Transpose",
                                         "Concat",
                                         "Split",
                                         "Slice",
                                         "Gather",
                                         "GatherElements",
                                         "Squeeze",
                                         "Unsqueeze",
                                         "Shape",
                                         "Size",
                                         "Constant",
                                         "ConstantOfShape",
                                         "ReduceMean",
                                         "ReduceSum",
                                         "ReduceMax",
                                         "ReduceMin",
                                         "ReduceProd",
                                         "ReduceL2",
                                         "ArgMax",
                                         "ArgMin",
                                         "Dropout",
                                         "Identity",
                                         "Pad",
                                         "Resize",
                                         "Upsample",
                                         "Expand",
                                         "Equal",
                                         "Where",
                                         "Cast",
                                         "CastLike",
                                         "Range",
                                         "Einsum",
                                         "Tile",
                                         "TopK",
                                         "Trilu",
                                         "CumSum",
                                         "OneHot",
                                         "NonZero"};
  for (size_t i = 0; i < sizeof required / sizeof *required; ++i)
    if (!sp_shape_fn_for("", required[i]))
      fail_msg("no shape function for %s", required[i]);
  assert_non_null(sp_shape_fn_for("ai.onnx", "Conv"));
  assert_null(sp_shape_fn_for("com.microsoft", "Conv"));
  assert_null(sp_shape_fn_for("", "NoSuchOp"));
  assert_true(sp_shape_op_supported("", "If"));
  assert_false(sp_shape_op_supported("", "NoSuchOp"));
}

/* ---- elementwise ---- */

static void test_unary_keeps_shape_and_names(void **state) {
  (void)state;
  node("Relu");
  in(0, F32, "Nx3x?x8");
  CHECK(13, 1, "Nx3x?x8");
  assert_int_equal(OUT[0].elem_type, F32);
  node("IsNaN");
  CHECK(13, 1, "Nx3x?x8");
  assert_int_equal(OUT[0].elem_type, SP_T_BOOL);
}

static void test_broadcast(void **state) {
  (void)state;
  node("Add");
  in(0, F32, "2x1x4");
  in(1, F32, "3x1");
  CHECK(13, 2, "2x3x4");
  in(0, F32, "Nx3");
  in(1, F32, "3");
  CHECK(13, 2, "Nx3");
  in(0, F32, "Nx1");
  in(1, F32, "1xM");
  CHECK(13, 2, "NxM");
  in(0, F32, "scalar");
  in(1, F32, "2x3");
  CHECK(13, 2, "2x3");
  in(0, F32, "Nx5");
  in(1, F32, "Mx5");
  CHECK(13, 2, "?x5"); // two different names: unknown which
  in(0, F32, "?x5");
  in(1, F32, "4x1");
  CHECK(13, 2, "4x5"); // the dynamic dim must be 4 (or 1)
  in(0, F32, "2x3");
  in(1, F32, "4");
  CHECK_ERROR(13, 2, 1, "node 'n' (Add): shapes 2x3, 4 cannot be broadcast");
  in(1, F32, "unranked");
  CHECK(13, 2, "unranked");
}

static void test_compare_and_logic_are_bool(void **state) {
  (void)state;
  const char *ops[] = {"Equal",          "Less", "Greater", "LessOrEqual",
                       "GreaterOrEqual", "And",  "Or",      "Xor"};
  for (size_t i = 0; i < sizeof ops / sizeof *ops; ++i) {
    node(ops[i]);
    in(0, F32, "3x1");
    in(1, F32, "4");
    CHECK(16, 2, "3x4");
    assert_int_equal(OUT[0].elem_type, SP_T_BOOL);
  }
  node("Not");
  in(0, SP_T_BOOL, "2");
  ivals(&IN[0], 2, (int64_t[]){0, 1});
  CHECK(13, 1, "2");
  check_values(&OUT[0], 2, (int64_t[]){1, 0});
}

static void test_variadic_and_where(void **state) {
  (void)state;
  node("Max");
  in(0, F32, "3x1");
  in(1, F32, "1x4");
  in(2, F32, "4");
  CHECK(13, 3, "3x4");
  node("Sum");
  in(0, F32, "Bx2");
  CHECK(13, 1, "Bx2");
  node("Where");
  in(0, SP_T_BOOL, "2x1");
  in(1, I64, "1x3");
  in(2, I64, "scalar");
  CHECK(16, 3, "2x3");
  assert_int_equal(OUT[0].elem_type, I64);
  // values: pick by a known condition
  in(0, SP_T_BOOL, "3");
  ivals(&IN[0], 3, (int64_t[]){1, 0, 1});
  in_ints(1, 3, (int64_t[]){1, 2, 3});
  in(2, I64, "scalar");
  ivals(&IN[2], 1, (int64_t[]){-1});
  CHECK(16, 3, "3");
  check_values(&OUT[0], 3, (int64_t[]){1, -1, 3});
}

static void test_integer_value_arithmetic(void **state) {
  (void)state;
  node("Mul");
  in_ints(0, 2, (int64_t[]){3, 4});
  in(1, I64, "scalar");
  ivals(&IN[1], 1, (int64_t[]){5});
  CHECK(13, 2, "2");
  check_values(&OUT[0], 2, (int64_t[]){15, 20});
  node("Div");
  in_ints(0, 2, (int64_t[]){7, -7});
  in_ints(1, 2, (int64_t[]){2, 2});
  CHECK(13, 2, "2");
  check_values(&OUT[0], 2, (int64_t[]){3, -3});
  // a dynamic element keeps its name through * 1, is unknown through * 2
  node("Mul");
  in(0, I64, "2");
  sp_set_int_values(&IN[0], (int64_t[]){SP_UNKNOWN_VALUE, SP_UNKNOWN_VALUE},
                    (const char *[]){"N", "T"}, 2);
  in_ints(1, 2, (int64_t[]){1, 2});
  CHECK(13, 2, "2");
  assert_true(OUT[0].partial_value);
  assert_string_equal(OUT[0].value_params[0], "N");
  assert_null(OUT[0].value_params[1]);
  // a named unknown is a dim (>= 0): torch's expand(n, -1) pattern
  // Where(Equal(shape, -1), ones, shape) keeps it
  node("Equal");
  in(0, I64, "2");
  sp_set_int_values(&IN[0], (int64_t[]){SP_UNKNOWN_VALUE, -1},
                    (const char *[]){"N", NULL}, 2);
  in_ints(1, 2, (int64_t[]){-1, -1});
  CHECK(13, 2, "2");
  check_values(&OUT[0], 2, (int64_t[]){0, 1});
  node("Where");
  in(0, SP_T_BOOL, "2");
  ivals(&IN[0], 2, (int64_t[]){0, 1});
  in_ints(1, 2, (int64_t[]){1, 1});
  in(2, I64, "2");
  sp_set_int_values(&IN[2], (int64_t[]){SP_UNKNOWN_VALUE, -1},
                    (const char *[]){"N", NULL}, 2);
  CHECK(16, 3, "2");
  assert_true(OUT[0].partial_value);
  assert_string_equal(OUT[0].value_params[0], "N");
  assert_int_equal(OUT[0].value[1], 1);
  // overflow drops the values rather than wrapping
  node("Mul");
  in_ints(0, 1, (int64_t[]){BIG});
  in_ints(1, 1, (int64_t[]){2});
  CHECK(13, 2, "1");
  assert_false(OUT[0].has_value);
}

static void test_prelu_clip_dropout_softmax(void **state) {
  (void)state;
  node("PRelu");
  in(0, F32, "Nx3x4x4");
  in(1, F32, "3x1x1");
  CHECK(9, 2, "Nx3x4x4");
  in(1, F32, "5x1x1");
  CHECK_ERROR(9, 2, 1,
              "node 'n' (PRelu): shapes Nx3x4x4, 5x1x1 cannot be broadcast");
  node("Clip");
  in(0, F32, "2x3");
  CHECK(13, 1, "2x3");
  node("Dropout");
  in(0, F32, "2x3");
  assert_int_equal(run(13, 1, 2), 0);
  assert_string_equal(dims_of(&OUT[1]), "2x3");
  assert_int_equal(OUT[1].elem_type, SP_T_BOOL);
  assert_int_equal(run(7, 1, 2), 0);
  assert_int_equal(OUT[1].elem_type, F32);
  attr_int(node("Softmax"), "axis", 2);
  in(0, F32, "2x3");
  CHECK_ERROR(13, 1, 1,
              "node 'n' (Softmax): axis 2 is out of range for rank 2");
}

static void test_cast(void **state) {
  (void)state;
  attr_int(node("Cast"), "to", I64);
  in(0, F32, "2");
  fvals(&IN[0], 2, (double[]){2.7, -1.2});
  CHECK(13, 1, "2");
  assert_int_equal(OUT[0].elem_type, I64);
  check_values(&OUT[0], 2, (int64_t[]){2, -1});
  attr_int(node("Cast"), "to", F32);
  in_ints(0, 1, (int64_t[]){3});
  CHECK(13, 1, "1");
  assert_true(OUT[0].has_float_value);
  assert_true(OUT[0].float_value[0] == 3.0);
  node("CastLike");
  in(0, F32, "Nx2");
  in(1, SP_T_FLOAT16, "scalar");
  CHECK(15, 2, "Nx2");
  assert_int_equal(OUT[0].elem_type, SP_T_FLOAT16);
}

/* ---- nn ---- */

static void test_conv(void **state) {
  (void)state;
  attr_ints(node("Conv"), "pads", 4, (int64_t[]){1, 1, 1, 1});
  attr_ints(N, "strides", 2, (int64_t[]){2, 2});
  in(0, F32, "Nx3x32x32");
  in(1, F32, "16x3x3x3");
  in(2, F32, "16");
  CHECK(11, 3, "Nx16x16x16");
  // depthwise
  attr_int(node("Conv"), "group", 8);
  in(0, F32, "1x8x10x10");
  in(1, F32, "8x1x3x3");
  CHECK(11, 2, "1x8x8x8");
  // dilation 2: effective kernel 5
  attr_ints(node("Conv"), "dilations", 2, (int64_t[]){2, 2});
  in(0, F32, "1x1x10x9");
  in(1, F32, "4x1x3x3");
  CHECK(11, 2, "1x4x6x5");
  // 1-D and 3-D
  node("Conv");
  in(0, F32, "2x4x20");
  in(1, F32, "6x4x5");
  CHECK(11, 2, "2x6x16");
  node("Conv");
  in(0, F32, "1x2x8x8x8");
  in(1, F32, "3x2x3x3x3");
  CHECK(11, 2, "1x3x6x6x6");
  // kernel_shape attribute with an unknown weight
  attr_ints(node("Conv"), "kernel_shape", 2, (int64_t[]){3, 3});
  in(0, F32, "1x3x5x5");
  in(1, F32, "unranked");
  CHECK(11, 2, "1x?x3x3"); // rank from X, channels unknown
}

static void test_conv_auto_pad_and_dynamic(void **state) {
  (void)state;
  attr_str(node("Conv"), "auto_pad", "SAME_UPPER");
  attr_ints(N, "strides", 2, (int64_t[]){2, 2});
  in(0, F32, "1x3x7x8");
  in(1, F32, "5x3x3x3");
  CHECK(11, 2, "1x5x4x4");
  attr_str(node("Conv"), "auto_pad", "VALID");
  attr_ints(N, "strides", 2, (int64_t[]){2, 2});
  CHECK(11, 2, "1x5x3x3");
  attr_str(node("Conv"), "auto_pad", "SAME_LOWER");
  in(0, F32, "Nx3xHxW");
  CHECK(11, 2, "Nx5xHxW"); // stride-1 SAME keeps symbolic spatial dims
  node("Conv");
  in(1, F32, "5x3x1x1");
  CHECK(11, 2, "Nx5xHxW"); // so does a 1x1 conv
  node("Conv");
  in(1, F32, "5x3x3x3");
  CHECK(11, 2, "Nx5x?x?");
}

static void test_conv_errors(void **state) {
  (void)state;
  N = fx_node(F, "Conv", "conv1", "x,w", "y");
  in(0, F32, "1x3x8x8");
  in(1, F32, "16x4x3x3");
  CHECK_ERROR(11, 2, 1,
              "node 'conv1' (Conv): input channels 3 do not match weight "
              "(OIHW) channels 4 * group 1");
  in(1, F32, "16x3x9x9");
  CHECK_ERROR(11, 2, 1,
              "node 'conv1' (Conv): spatial dim 0: kernel 9 (dilation 1) does "
              "not fit padded input 8");
  in(1, F32, "16x3x3x3");
  in(2, F32, "8");
  CHECK_ERROR(11, 3, 1,
              "node 'conv1' (Conv): bias has 8 values for 16 output channels");
  attr_ints(N, "strides", 3, (int64_t[]){1, 1, 1});
  CHECK_ERROR(
      11, 2, 1,
      "node 'conv1' (Conv): attribute 'strides' has 3 values, expected 2");
}

static void test_conv_transpose(void **state) {
  (void)state;
  node("ConvTranspose");
  in(0, F32, "1x1x3x3");
  in(1, F32, "1x2x3x3");
  CHECK(11, 2, "1x2x5x5");
  attr_ints(node("ConvTranspose"), "strides", 2, (int64_t[]){3, 2});
  attr_ints(N, "output_padding", 2, (int64_t[]){1, 1});
  CHECK(11, 2, "1x2x10x8");
  attr_ints(node("ConvTranspose"), "output_shape", 2, (int64_t[]){10, 8});
  attr_ints(N, "strides", 2, (int64_t[]){3, 2});
  CHECK(11, 2, "1x2x10x8");
  attr_str(node("ConvTranspose"), "auto_pad", "SAME_UPPER");
  attr_ints(N, "strides", 2, (int64_t[]){2, 2});
  CHECK(11, 2, "1x2x6x6");
  attr_ints(node("ConvTranspose"), "pads", 4, (int64_t[]){1, 2, 1, 2});
  attr_int(N, "group", 2);
  in(0, F32, "Nx4x5x5");
  in(1, F32, "4x3x3x3");
  CHECK(11, 2, "Nx6x5x3");
  in(1, F32, "2x3x3x3");
  CHECK_ERROR(11, 2, 1,
              "node 'n' (ConvTranspose): input channels 4 do not "
              "match weight (IOHW) channels 2");
}

static void test_pool(void **state) {
  (void)state;
  attr_ints(node("MaxPool"), "kernel_shape", 2, (int64_t[]){2, 2});
  attr_ints(N, "strides", 2, (int64_t[]){2, 2});
  in(0, F32, "Nx3x32x31");
  assert_int_equal(run(12, 1, 2), 0);
  assert_string_equal(dims_of(&OUT[0]), "Nx3x16x15");
  assert_string_equal(dims_of(&OUT[1]), "Nx3x16x15");
  assert_int_equal(OUT[1].elem_type, I64);
  // ceil_mode: 4 with kernel 3 stride 2 gives 2, not 1
  attr_ints(node("MaxPool"), "kernel_shape", 2, (int64_t[]){3, 3});
  attr_ints(N, "strides", 2, (int64_t[]){2, 2});
  attr_int(N, "ceil_mode", 1);
  in(0, F32, "1x1x4x4");
  CHECK(12, 1, "1x1x2x2");
  // ceil_mode never starts a window in the padding only
  attr_ints(node("MaxPool"), "kernel_shape", 1, (int64_t[]){2});
  attr_ints(N, "strides", 1, (int64_t[]){2});
  attr_ints(N, "pads", 2, (int64_t[]){1, 1});
  attr_int(N, "ceil_mode", 1);
  in(0, F32, "1x1x4");
  CHECK(12, 1, "1x1x3");
  attr_ints(node("MaxPool"), "kernel_shape", 2, (int64_t[]){2, 2});
  attr_ints(N, "dilations", 2, (int64_t[]){2, 2});
  in(0, F32, "1x1x4x5");
  CHECK(12, 1, "1x1x2x3");
  const char *pads[] = {"SAME_UPPER", "SAME_LOWER", "VALID"};
  const char *want[] = {"1x3x3x3", "1x3x3x3", "1x3x2x2"};
  for (int i = 0; i < 3; ++i) {
    attr_ints(node("MaxPool"), "kernel_shape", 2, (int64_t[]){3, 3});
    attr_ints(N, "strides", 2, (int64_t[]){2, 2});
    attr_str(N, "auto_pad", pads[i]);
    in(0, F32, "1x3x5x5");
    CHECK(12, 1, want[i]);
  }
  attr_ints(node("AveragePool"), "kernel_shape", 2, (int64_t[]){5, 5});
  attr_ints(N, "pads", 4, (int64_t[]){2, 2, 2, 2});
  in(0, F32, "1x3x32x32");
  CHECK(11, 1, "1x3x32x32");
  node("GlobalAveragePool");
  in(0, F32, "Nx3x7x7");
  CHECK(11, 1, "Nx3x1x1");
  node("GlobalMaxPool");
  in(0, F32, "2x3x7");
  CHECK(11, 1, "2x3x1");
}

static void test_normalization(void **state) {
  (void)state;
  node("BatchNormalization");
  in(0, F32, "Nx3x4x4");
  for (int i = 1; i < 5; ++i)
    in(i, F32, "3");
  CHECK(15, 5, "Nx3x4x4");
  assert_int_equal(run(15, 5, 3), 0);
  assert_string_equal(dims_of(&OUT[2]), "3");
  in(1, F32, "4");
  CHECK_ERROR(15, 5, 1,
              "node 'n' (BatchNormalization): scale has 4 channels "
              "but input has 3");
  node("InstanceNormalization");
  in(0, F32, "2x3x5");
  in(1, F32, "3");
  in(2, F32, "3");
  CHECK(6, 3, "2x3x5");
  attr_int(node("LayerNormalization"), "axis", -1);
  in(0, SP_T_FLOAT16, "2x3x4");
  in(1, SP_T_FLOAT16, "4");
  assert_int_equal(run(17, 2, 3), 0);
  assert_string_equal(dims_of(&OUT[0]), "2x3x4");
  assert_string_equal(dims_of(&OUT[1]), "2x3x1");
  assert_int_equal(OUT[1].elem_type, F32);
  attr_int(node("GroupNormalization"), "num_groups", 4);
  in(0, F32, "Nx6x4");
  CHECK_ERROR(18, 1, 1,
              "node 'n' (GroupNormalization): channels 6 are not "
              "divisible by num_groups 4");
  in(0, F32, "Nx8x4");
  CHECK(18, 1, "Nx8x4");
}

static void test_matmul(void **state) {
  (void)state;
  node("MatMul");
  struct {
    const char *a, *b, *y;
  } cases[] = {
      {"2x3", "3x4", "2x4"},
      {"3", "3x4", "4"},
      {"2x3", "3", "2"},
      {"3", "3", "scalar"},
      {"5x1x2x3", "4x3x6", "5x4x2x6"},
      {"NxTx64", "64x128", "NxTx128"},
      {"Bx2x3", "Bx3x4", "Bx2x4"},
      {"7", "2x7x5", "2x5"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; ++i) {
    in(0, F32, cases[i].a);
    in(1, F32, cases[i].b);
    CHECK(13, 2, cases[i].y);
  }
  in(0, F32, "2x3");
  in(1, F32, "4x5");
  CHECK_ERROR(13, 2, 1,
              "node 'n' (MatMul): inner dimensions do not match: "
              "2x3 and 4x5 (3 vs 4)");
  node("Gemm");
  in(0, F32, "4x3");
  in(1, F32, "5x4");
  in(2, F32, "5");
  attr_int(N, "transA", 1);
  attr_int(N, "transB", 1);
  CHECK(13, 3, "3x5");
  node("Gemm");
  CHECK_ERROR(13, 3, 1,
              "node 'n' (Gemm): inner dimensions 3 (A) and 5 (B) "
              "do not match");
}

static void test_einsum(void **state) {
  (void)state;
  struct {
    const char *eq, *a, *b, *y;
  } cases[] = {
      {"ij,jk->ik", "2x3", "3x4", "2x4"},
      {"bij,bjk->bik", "Bx2x3", "Bx3x4", "Bx2x4"},
      {"ij,jk", "2x3", "3x4", "2x4"},
      {"i,i", "5", "5", "scalar"},
      {"...ij,...jk->...ik", "7x1x2x3", "5x3x4", "7x5x2x4"},
      {"ij->ji", "2x3", NULL, "3x2"},
      {"...ii->...i", "4x3x3", NULL, "4x3"},
      {"ba", "2x3", NULL, "3x2"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; ++i) {
    attr_str(node("Einsum"), "equation", cases[i].eq);
    in(0, F32, cases[i].a);
    if (cases[i].b)
      in(1, F32, cases[i].b);
    CHECK(12, cases[i].b ? 2 : 1, cases[i].y);
  }
  attr_str(node("Einsum"), "equation", "...i...j->ij");
  in(0, F32, "2x3x4");
  CHECK_ERROR(12, 1, 1,
              "node 'n' (Einsum): cannot parse equation '...i...j->ij'");
  attr_str(node("Einsum"), "equation", "ij,jk->ik");
  in(0, F32, "2x3");
  in(1, F32, "4x4");
  CHECK_ERROR(12, 2, 1, "node 'n' (Einsum): subscript 'j' has sizes 3 and 4");
}

static void test_rnn(void **state) {
  (void)state;
  attr_int(node("LSTM"), "hidden_size", 16);
  attr_str(N, "direction", "bidirectional");
  in(0, F32, "Tx4x8");
  in(1, F32, "2x64x8");
  assert_int_equal(run(14, 2, 3), 0);
  assert_string_equal(dims_of(&OUT[0]), "Tx2x4x16");
  assert_string_equal(dims_of(&OUT[1]), "2x4x16");
  assert_string_equal(dims_of(&OUT[2]), "2x4x16");
  node("GRU"); // hidden size from W (3 gates)
  in(1, F32, "1x48x8");
  attr_int(N, "layout", 1);
  in(0, F32, "4xTx8");
  assert_int_equal(run(14, 2, 2), 0);
  assert_string_equal(dims_of(&OUT[0]), "4xTx1x16");
  assert_string_equal(dims_of(&OUT[1]), "4x1x16");
}

/* ---- tensor ---- */

static void test_reshape(void **state) {
  (void)state;
  node("Reshape");
  in(0, F32, "Nx3x4x4");
  in_ints(1, 2, (int64_t[]){0, -1});
  CHECK(13, 2, "Nx48");
  in(0, F32, "2x3x4");
  in_ints(1, 2, (int64_t[]){4, -1});
  CHECK(13, 2, "4x6");
  in_ints(1, 3, (int64_t[]){-1, 3, 0});
  CHECK(13, 2, "2x3x4");
  in_ints(1, 2, (int64_t[]){5, -1});
  CHECK_ERROR(13, 2, 1,
              "node 'n' (Reshape): cannot infer the -1 dim: 2x3x4 "
              "elements are not divisible by 5");
  in_ints(1, 2, (int64_t[]){5, 5});
  CHECK_ERROR(13, 2, 1, "node 'n' (Reshape): cannot reshape 2x3x4 into 5x5");
  in_ints(1, 2, (int64_t[]){-1, -1});
  CHECK_ERROR(13, 2, 1, "node 'n' (Reshape): shape has more than one -1");
  // allowzero: 0 is a real zero
  attr_int(node("Reshape"), "allowzero", 1);
  in(0, F32, "0x3");
  in_ints(1, 2, (int64_t[]){3, 0});
  CHECK(14, 2, "3x0");
  // shape values unknown: only the rank
  node("Reshape");
  in(0, F32, "2x3");
  in(1, I64, "3");
  CHECK(13, 2, "?x?x?");
  // opset 1: shape attribute
  attr_ints(node("Reshape"), "shape", 2, (int64_t[]){3, -1});
  in(0, F32, "2x3");
  CHECK(1, 1, "3x2");
}

static void test_reshape_symbolic(void **state) {
  (void)state;
  node("Reshape");
  in(0, F32, "Nx8x4x4");
  sp_value_info *shape = in(1, I64, "5");
  sp_set_int_values(shape, (int64_t[]){SP_UNKNOWN_VALUE, 2, 4, 4, -1},
                    (const char *[]){"N", NULL, NULL, NULL, NULL}, 5);
  CHECK(13, 2, "Nx2x4x4x4"); // N cancels: -1 = 128 / 32
  sp_set_int_values(shape, (int64_t[]){SP_UNKNOWN_VALUE, 2, 4, 4, -1},
                    (const char *[]){"M", NULL, NULL, NULL, NULL}, 5);
  CHECK(13, 2, "Mx2x4x4x?");
}

static void test_flatten_transpose(void **state) {
  (void)state;
  node("Flatten");
  in(0, F32, "Nx3x4x4");
  CHECK(13, 1, "Nx48");
  attr_int(node("Flatten"), "axis", 0);
  CHECK(13, 1, "1x?");
  attr_int(node("Flatten"), "axis", -1);
  CHECK(13, 1, "?x4");
  attr_int(node("Flatten"), "axis", 5);
  CHECK_ERROR(13, 1, 1,
              "node 'n' (Flatten): axis 5 is out of range for rank 4");
  node("Transpose");
  in(0, F32, "Nx3x5");
  CHECK(13, 1, "5x3xN");
  attr_ints(node("Transpose"), "perm", 3, (int64_t[]){0, 2, 1});
  CHECK(13, 1, "Nx5x3");
  attr_ints(node("Transpose"), "perm", 3, (int64_t[]){0, 0, 1});
  CHECK_ERROR(13, 1, 1, "node 'n' (Transpose): perm repeats axis 0");
}

static void test_concat(void **state) {
  (void)state;
  attr_int(node("Concat"), "axis", 1);
  in(0, F32, "Nx3x5");
  in(1, F32, "?x4x5");
  CHECK(13, 2, "Nx7x5");
  attr_int(node("Concat"), "axis", -1);
  in(0, F32, "2x3");
  in(1, F32, "2x?");
  CHECK(13, 2, "2x?");
  in(1, F32, "4x3");
  CHECK_ERROR(13, 2, 1,
              "node 'n' (Concat): input 1 has shape 4x3, expected "
              "2x3 outside axis 1");
  attr_int(node("Concat"), "axis", 0);
  in_ints(0, 2, (int64_t[]){1, 2});
  in_ints(1, 1, (int64_t[]){3});
  CHECK(13, 2, "3");
  check_values(&OUT[0], 3, (int64_t[]){1, 2, 3});
}

static void test_split(void **state) {
  (void)state;
  attr_ints(node("Split"), "split", 2, (int64_t[]){2, 4});
  attr_int(N, "axis", 1);
  in(0, F32, "Nx6");
  assert_int_equal(run(11, 1, 2), 0);
  assert_string_equal(dims_of(&OUT[0]), "Nx2");
  assert_string_equal(dims_of(&OUT[1]), "Nx4");
  attr_int(node("Split"), "axis", -1);
  in_ints(1, 2, (int64_t[]){1, 5});
  assert_int_equal(run(13, 2, 2), 0);
  assert_string_equal(dims_of(&OUT[1]), "Nx5");
  node("Split");
  in(0, F32, "9x2");
  assert_int_equal(run(13, 1, 3), 0);
  assert_string_equal(dims_of(&OUT[2]), "3x2");
  attr_int(node("Split"), "num_outputs", 3);
  in(0, F32, "10");
  assert_int_equal(run(18, 1, 3), 0);
  assert_string_equal(dims_of(&OUT[0]), "4");
  assert_string_equal(dims_of(&OUT[2]), "2");
  node("Split");
  CHECK_ERROR(13, 1, 3,
              "node 'n' (Split): axis 0 of size 10 does not split "
              "into 3 equal parts");
  attr_ints(node("Split"), "split", 2, (int64_t[]){2, 4});
  CHECK_ERROR(11, 1, 2,
              "node 'n' (Split): split sizes sum to 6, axis 0 has 10");
}

static void test_slice(void **state) {
  (void)state;
  // opset 9: attributes
  attr_ints(node("Slice"), "starts", 2, (int64_t[]){1, 0});
  attr_ints(N, "ends", 2, (int64_t[]){BIG, -1});
  attr_ints(N, "axes", 2, (int64_t[]){0, 2});
  in(0, F32, "5x3x8");
  CHECK(9, 1, "4x3x7");
  // opset 13: inputs, negative start, clamped end, steps
  node("Slice");
  in(0, F32, "Nx10x8");
  in_ints(1, 2, (int64_t[]){-3, 0});
  in_ints(2, 2, (int64_t[]){BIG, 100});
  in_ints(3, 2, (int64_t[]){1, -1});
  in_ints(4, 2, (int64_t[]){1, 3});
  CHECK(13, 5, "Nx3x3");
  // reverse with step -1 and a full slice of a dynamic dim
  in_ints(1, 2, (int64_t[]){-1, 0});
  in_ints(2, 2, (int64_t[]){-BIG, BIG});
  in_ints(3, 2, (int64_t[]){1, 0});
  in_ints(4, 2, (int64_t[]){-1, 1});
  CHECK(13, 5, "Nx10x8");
  // step -2 from the end: 9, 7, 5 (end 3 exclusive)
  in_ints(1, 1, (int64_t[]){BIG});
  in_ints(2, 1, (int64_t[]){3});
  in_ints(3, 1, (int64_t[]){1});
  in_ints(4, 1, (int64_t[]){-2});
  CHECK(13, 5, "Nx3x8");
  in_ints(4, 1, (int64_t[]){0});
  CHECK_ERROR(13, 5, 1, "node 'n' (Slice): step must not be 0");
  // unknown starts: only the sliced axes become dynamic
  in(1, I64, "1");
  in_ints(4, 1, (int64_t[]){1});
  CHECK(13, 5, "Nx?x8");
  // values of a shape vector
  node("Slice");
  in_ints(0, 4, (int64_t[]){2, 3, 4, 5});
  in_ints(1, 1, (int64_t[]){1});
  in_ints(2, 1, (int64_t[]){3});
  CHECK(13, 3, "2");
  check_values(&OUT[0], 2, (int64_t[]){3, 4});
}

static void test_gather(void **state) {
  (void)state;
  attr_int(node("Gather"), "axis", 1);
  in(0, F32, "2x5x3");
  in(1, I64, "4");
  CHECK(13, 2, "2x4x3");
  in(1, I64, "scalar");
  CHECK(13, 2, "2x3");
  attr_int(node("Gather"), "axis", -1);
  in(1, I64, "2x2");
  CHECK(13, 2, "2x5x2x2");
  // Shape -> Gather(0) keeps the batch name as a partial value
  node("Gather");
  sp_value_info *shape = in(0, I64, "3");
  sp_set_int_values(shape, (int64_t[]){SP_UNKNOWN_VALUE, 3, 7},
                    (const char *[]){"N", NULL, NULL}, 3);
  in(1, I64, "scalar");
  ivals(&IN[1], 1, (int64_t[]){0});
  CHECK(13, 2, "scalar");
  assert_true(OUT[0].partial_value);
  assert_string_equal(OUT[0].value_params[0], "N");
  ivals(&IN[1], 1, (int64_t[]){-1});
  CHECK(13, 2, "scalar");
  check_values(&OUT[0], 1, (int64_t[]){7});
  ivals(&IN[1], 1, (int64_t[]){3});
  CHECK_ERROR(13, 2, 1,
              "node 'n' (Gather): index 3 is out of range for axis "
              "0 of size 3");
  attr_int(node("GatherElements"), "axis", 1);
  in(0, F32, "3x4");
  in(1, I64, "3x2");
  CHECK(13, 2, "3x2");
  assert_int_equal(OUT[0].elem_type, F32);
  attr_int(node("GatherND"), "batch_dims", 1);
  in(0, F32, "2x3x4x5");
  in(1, I64, "2x6x2");
  CHECK(13, 2, "2x6x5");
}

static void test_squeeze_unsqueeze(void **state) {
  (void)state;
  attr_ints(node("Squeeze"), "axes", 2, (int64_t[]){0, -1});
  in(0, F32, "1xNx3x1");
  CHECK(11, 1, "Nx3");
  node("Squeeze");
  in_ints(1, 1, (int64_t[]){3});
  CHECK(13, 2, "1xNx3");
  node("Squeeze"); // no axes: all static 1s
  in(0, F32, "1x4x1x3");
  CHECK(13, 1, "4x3");
  in(0, F32, "1x?x3");
  CHECK(13, 1, "unranked");
  attr_ints(node("Squeeze"), "axes", 1, (int64_t[]){1});
  in(0, F32, "1x4x1x3");
  CHECK_ERROR(11, 1, 1, "node 'n' (Squeeze): cannot squeeze axis 1 of size 4");
  attr_ints(node("Unsqueeze"), "axes", 2, (int64_t[]){0, -1});
  in(0, F32, "Nx3");
  CHECK(11, 1, "1xNx3x1");
  node("Unsqueeze");
  in_ints(1, 2, (int64_t[]){1, 3});
  CHECK(13, 2, "Nx1x3x1");
  in(1, I64, "2"); // axes not known: only the rank
  CHECK(13, 2, "?x?x?x?");
  // values pass through: a scalar becomes a 1-element shape vector
  in(0, I64, "scalar");
  ivals(&IN[0], 1, (int64_t[]){7});
  in_ints(1, 1, (int64_t[]){0});
  CHECK(13, 2, "1");
  check_values(&OUT[0], 1, (int64_t[]){7});
}

static void test_expand_tile_pad(void **state) {
  (void)state;
  node("Expand");
  in(0, F32, "3x1");
  in_ints(1, 3, (int64_t[]){2, 1, 4});
  CHECK(13, 2, "2x3x4");
  in(0, F32, "Nx1");
  in_ints(1, 2, (int64_t[]){1, 5});
  CHECK(13, 2, "Nx5");
  in_ints(1, 2, (int64_t[]){3, 5});
  CHECK(13, 2, "3x5");
  node("Tile");
  in(0, F32, "Nx3");
  in_ints(1, 2, (int64_t[]){1, 4});
  CHECK(13, 2, "Nx12");
  attr_ints(node("Pad"), "pads", 4, (int64_t[]){0, 1, 0, 2});
  in(0, F32, "Nx5");
  CHECK(2, 1, "Nx8");
  node("Pad");
  in_ints(1, 4, (int64_t[]){1, -1, 1, 0});
  in(0, F32, "2x5");
  CHECK(13, 2, "4x4");
  in_ints(1, 4, (int64_t[]){0, -3, 0, -3});
  CHECK_ERROR(13, 2, 1,
              "node 'n' (Pad): pads -3,-3 make axis 1 of size 5 negative");
  node("Pad"); // opset 18: axes
  in(0, F32, "2x5x7");
  in_ints(1, 2, (int64_t[]){1, 2});
  in(2, F32, "scalar");
  in_ints(3, 1, (int64_t[]){-1});
  CHECK(18, 4, "2x5x10");
}

static void test_resize_upsample(void **state) {
  (void)state;
  node("Resize");
  in(0, F32, "Nx3x5x4");
  in(1, F32, "0");
  in(2, F32, "4");
  fvals(&IN[2], 4, (double[]){1, 1, 0.6f, 2.5});
  CHECK(13, 3, "Nx3x3x10");
  in(2, F32, "0");
  fvals(&IN[2], 0, NULL);
  in_ints(3, 4, (int64_t[]){1, 3, 7, 9});
  CHECK(13, 4, "1x3x7x9");
  node("Resize"); // opset 10: X, scales
  in(0, F32, "1x1x2x2");
  in(1, F32, "4");
  fvals(&IN[1], 4, (double[]){1, 1, 2, 3});
  CHECK(10, 2, "1x1x4x6");
  attr_ints(node("Resize"), "axes", 2, (int64_t[]){2, 3}); // opset 18
  attr_str(N, "keep_aspect_ratio_policy", "not_larger");
  in(0, F32, "1x3x4x8");
  INP[1] = INP[2] = NULL;
  in_ints(3, 2, (int64_t[]){6, 6});
  CHECK(18, 4, "1x3x3x6");
  attr_floats(node("Upsample"), "scales", 4, (float[]){1, 1, 2, 2});
  in(0, F32, "Nx3x4x4");
  CHECK(7, 1, "Nx3x8x8");
  node("Upsample");
  in(1, F32, "4");
  fvals(&IN[1], 4, (double[]){1, 1, 2, 3});
  CHECK(9, 2, "Nx3x8x12");
}

static void test_rearrange_onehot_compress(void **state) {
  (void)state;
  attr_int(node("DepthToSpace"), "blocksize", 2);
  in(0, F32, "Nx8x3x4");
  CHECK(13, 1, "Nx2x6x8");
  attr_int(node("SpaceToDepth"), "blocksize", 2);
  in(0, F32, "Nx2x6x8");
  CHECK(13, 1, "Nx8x3x4");
  attr_int(node("OneHot"), "axis", 1);
  in(0, I64, "Nx4");
  in(1, F32, "scalar");
  fvals(&IN[1], 1, (double[]){10});
  in(2, F32, "2");
  CHECK(11, 3, "Nx10x4");
  node("OneHot");
  CHECK(11, 3, "Nx4x10");
  attr_int(node("Compress"), "axis", 1);
  in(0, F32, "3x4");
  in(1, SP_T_BOOL, "3");
  ivals(&IN[1], 3, (int64_t[]){1, 0, 1});
  CHECK(11, 2, "3x2");
  node("Compress");
  in(1, SP_T_BOOL, "5");
  CHECK(11, 2, "?");
}

static void test_legacy_and_newer_ops(void **state) {
  (void)state;
  attr_str(node("Cast"), "to", "INT64"); // Cast-1 names the type
  in(0, F32, "2");
  CHECK(1, 1, "2");
  assert_int_equal(OUT[0].elem_type, I64);
  node("Col2Im");
  in(0, F32, "1x12x20");
  in_ints(1, 2, (int64_t[]){5, 6});
  in_ints(2, 2, (int64_t[]){2, 2});
  CHECK(18, 3, "1x3x5x6");
  in(0, F32, "1x10x20");
  CHECK_ERROR(18, 3, 1,
              "node 'n' (Col2Im): channels 10 are not divisible by "
              "the block size 4");
  node("AffineGrid");
  in(0, F32, "2x2x3");
  in_ints(1, 4, (int64_t[]){2, 3, 5, 7});
  CHECK(20, 2, "2x5x7x2");
  attr_ints(node("Crop"), "border", 4, (int64_t[]){1, 2, 3, 4});
  in(0, F32, "Nx3x20x30");
  CHECK(1, 1, "Nx3x14x26");
  node("StringSplit");
  in(0, SP_T_STRING, "2x3");
  assert_int_equal(run(20, 1, 2), 0);
  assert_string_equal(dims_of(&OUT[0]), "2x3x?");
  assert_string_equal(dims_of(&OUT[1]), "2x3");
}

/* ---- reductions ---- */

static void test_reduce(void **state) {
  (void)state;
  attr_ints(node("ReduceMean"), "axes", 2, (int64_t[]){-1, 1});
  in(0, F32, "Nx3x4x5");
  CHECK(13, 1, "Nx1x4x1");
  attr_int(N, "keepdims", 0);
  CHECK(13, 1, "Nx4");
  node("ReduceSum"); // axes as input from 13
  in_ints(1, 1, (int64_t[]){0});
  CHECK(13, 2, "1x3x4x5");
  node("ReduceSum"); // no axes: everything
  CHECK(13, 1, "1x1x1x1");
  attr_int(node("ReduceSum"), "noop_with_empty_axes", 1);
  CHECK(13, 1, "Nx3x4x5");
  node("ReduceMax"); // input form only from 18
  in_ints(1, 2, (int64_t[]){2, 3});
  CHECK(18, 2, "Nx3x1x1");
  node("ReduceL2");
  in(1, I64, "1");
  CHECK(18, 2, "?x?x?x?"); // axes unknown
  attr_int(node("ReduceProd"), "keepdims", 0);
  in_ints(0, 3, (int64_t[]){2, 3, 4});
  CHECK(13, 1, "scalar");
  check_values(&OUT[0], 1, (int64_t[]){24});
  attr_ints(node("ReduceMin"), "axes", 1, (int64_t[]){4});
  in(0, F32, "2x3");
  CHECK_ERROR(13, 1, 1,
              "node 'n' (ReduceMin): axis 4 is out of range for rank 2");
  attr_int(node("ArgMax"), "axis", -1);
  in(0, F32, "Nx3x4");
  CHECK(13, 1, "Nx3x1");
  assert_int_equal(OUT[0].elem_type, I64);
  attr_int(node("ArgMin"), "keepdims", 0);
  CHECK(13, 1, "3x4");
}

static void test_topk(void **state) {
  (void)state;
  node("TopK");
  in(0, F32, "Nx10");
  in_ints(1, 1, (int64_t[]){3});
  assert_int_equal(run(11, 2, 2), 0);
  assert_string_equal(dims_of(&OUT[0]), "Nx3");
  assert_string_equal(dims_of(&OUT[1]), "Nx3");
  assert_int_equal(OUT[1].elem_type, I64);
  attr_int(node("TopK"), "k", 4); // opset 1: attribute
  attr_int(N, "axis", 0);
  in(0, F32, "5x2");
  assert_int_equal(run(1, 1, 2), 0);
  assert_string_equal(dims_of(&OUT[0]), "4x2");
  node("TopK");
  in_ints(1, 1, (int64_t[]){11});
  in(0, F32, "Nx10");
  CHECK_ERROR(11, 2, 2, "node 'n' (TopK): k = 11 exceeds axis 1 of size 10");
  node("Trilu");
  in(0, F32, "Bx4x4");
  CHECK(14, 1, "Bx4x4");
  node("CumSum");
  CHECK(14, 1, "Bx4x4");
}

/* ---- sources of shapes and values ---- */

static void test_constant(void **state) {
  (void)state;
  int64_t raw[3] = {4, 5, 6};
  attr_tensor(node("Constant"), "value", I64, 1, (int64_t[]){3}, raw,
              sizeof raw);
  CHECK(13, 0, "3");
  check_values(&OUT[0], 3, raw);
  attr_float(node("Constant"), "value_float", 1.5f);
  CHECK(13, 0, "scalar");
  assert_true(OUT[0].has_float_value && OUT[0].float_value[0] == 1.5);
  attr_floats(node("Constant"), "value_floats", 2, (float[]){1, 2});
  CHECK(13, 0, "2");
  assert_int_equal(OUT[0].elem_type, F32);
  attr_int(node("Constant"), "value_int", 9);
  CHECK(13, 0, "scalar");
  check_values(&OUT[0], 1, (int64_t[]){9});
  attr_ints(node("Constant"), "value_ints", 2, (int64_t[]){7, 8});
  CHECK(13, 0, "2");
  check_values(&OUT[0], 2, (int64_t[]){7, 8});
  attr_str(node("Constant"), "value_string", "hi");
  CHECK(13, 0, "scalar");
  assert_int_equal(OUT[0].elem_type, SP_T_STRING);
  node("Constant");
  CHECK_ERROR(13, 0, 1, "node 'n' (Constant): has no value attribute");
}

static void test_constant_of_shape_shape_size_range(void **state) {
  (void)state;
  int32_t one = 1;
  attr_tensor(node("ConstantOfShape"), "value", SP_T_INT32, 1, (int64_t[]){1},
              &one, sizeof one);
  in_ints(0, 2, (int64_t[]){2, 3});
  CHECK(13, 1, "2x3");
  assert_int_equal(OUT[0].elem_type, SP_T_INT32);
  check_values(&OUT[0], 6, (int64_t[]){1, 1, 1, 1, 1, 1});
  node("ConstantOfShape");
  in(0, I64, "3");
  CHECK(13, 1, "?x?x?");
  assert_int_equal(OUT[0].elem_type, F32);
  node("Shape");
  in(0, F32, "Nx3x7");
  CHECK(13, 1, "3");
  assert_true(OUT[0].partial_value);
  assert_int_equal(OUT[0].value[1], 3);
  assert_string_equal(OUT[0].value_params[0], "N");
  attr_int(node("Shape"), "start", 1);
  attr_int(N, "end", -1);
  CHECK(15, 1, "1");
  check_values(&OUT[0], 1, (int64_t[]){3});
  node("Size");
  in(0, F32, "2x3x7");
  CHECK(13, 1, "scalar");
  check_values(&OUT[0], 1, (int64_t[]){42});
  node("Range");
  in(0, I64, "scalar");
  ivals(&IN[0], 1, (int64_t[]){10});
  in(1, I64, "scalar");
  ivals(&IN[1], 1, (int64_t[]){1});
  in(2, I64, "scalar");
  ivals(&IN[2], 1, (int64_t[]){-3});
  CHECK(11, 3, "3");
  check_values(&OUT[0], 3, (int64_t[]){10, 7, 4});
  in(0, F32, "scalar");
  fvals(&IN[0], 1, (double[]){0});
  in(1, F32, "scalar");
  fvals(&IN[1], 1, (double[]){1});
  in(2, F32, "scalar");
  fvals(&IN[2], 1, (double[]){0.25});
  CHECK(11, 3, "4");
  node("NonZero");
  in(0, F32, "2x3");
  CHECK(13, 1, "2x?");
}

/* ---- robustness: random nodes for every op ---- */

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint64_t rnd(void) { // xorshift64: fixed seed, reproducible
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static int64_t pick(const int64_t *pool, size_t n) { return pool[rnd() % n]; }

static const int64_t dim_pool[] = {
    -1, 0, 1, 1, 2, 2, 3, 4, 7, 16, (int64_t)1 << 41, INT64_MAX};
static const int64_t int_pool[] = {
    -2, -1, 0, 0, 1, 1, 2, 3, 5, 100, INT64_MIN, INT64_MAX, (int64_t)1 << 40};
#define PICK(pool) pick(pool, sizeof pool / sizeof *pool)

/* Random attributes drawn from the names ops actually read. */
static void random_attrs(Onnx__NodeProto *n) {
  static const char *const ints[] = {"axes",
                                     "perm",
                                     "kernel_shape",
                                     "strides",
                                     "pads",
                                     "dilations",
                                     "split",
                                     "starts",
                                     "ends",
                                     "output_shape",
                                     "output_padding",
                                     "shape",
                                     "border",
                                     "pooled_shape",
                                     "ngram_indexes",
                                     "scan_input_axes",
                                     "scan_output_axes",
                                     "scale"};
  static const char *const one[] = {
      "axis",          "group",           "keepdims", "to",
      "blocksize",     "num_outputs",     "transA",   "transB",
      "allowzero",     "batch_dims",      "k",        "hidden_size",
      "layout",        "start",           "end",      "ceil_mode",
      "new_axis",      "num_scan_inputs", "dtype",    "sample_size",
      "num_groups",    "stash_type",      "onesided", "noop_with_empty_axes",
      "output_height", "output_width",    "fmod"};
  static const char *const strs[][2] = {
      {"auto_pad", "SAME_UPPER"},
      {"auto_pad", "VALID"},
      {"equation", "ij,jk->ik"},
      {"equation", "...ii->...i"},
      {"equation", "a,b,c"},
      {"equation", "->"},
      {"direction", "bidirectional"},
      {"reduction", "none"},
      {"keep_aspect_ratio_policy", "not_smaller"},
      {"to", "FLOAT"}};
  int count = (int)(rnd() % 5);
  for (int i = 0; i < count; ++i) {
    switch (rnd() % 4) {
    case 0: {
      int64_t vals[6];
      int len = (int)(rnd() % 7);
      for (int k = 0; k < len; ++k)
        vals[k] = PICK(int_pool);
      attr_ints(n, ints[rnd() % (sizeof ints / sizeof *ints)], len, vals);
      break;
    }
    case 1:
      attr_int(n, one[rnd() % (sizeof one / sizeof *one)], PICK(int_pool));
      break;
    case 2: {
      int k = (int)(rnd() % (sizeof strs / sizeof *strs));
      attr_str(n, strs[k][0], strs[k][1]);
      break;
    }
    default: {
      float scales[4] = {1, 2, 0.5f, 1e30f};
      attr_floats(n, "scales", (int)(rnd() % 5), scales);
      break;
    }
    }
  }
}

/* Input i: missing, unranked, or a random shape, sometimes with values. */
static void random_input(int i) {
  if (rnd() % 8 == 0) {
    INP[i] = NULL;
    return;
  }
  static const int32_t types[] = {F32, I64, SP_T_BOOL, SP_T_INT32};
  sp_value_info *v = in(i, types[rnd() % 4], "unranked");
  if (rnd() % 8 == 0)
    return;
  v->rank = (int)(rnd() % 6);
  for (int d = 0; d < v->rank; ++d)
    v->dims[d] = PICK(dim_pool) < 0 ? -1 : PICK(dim_pool);
  int64_t numel = sp_numel(v);
  if (numel < 0 || numel > SP_MAX_KNOWN_VALUES || rnd() % 2)
    return;
  int64_t ints[SP_MAX_KNOWN_VALUES];
  double reals[SP_MAX_KNOWN_VALUES];
  const char *params[SP_MAX_KNOWN_VALUES];
  int partial = rnd() % 3 == 0; // some elements are named dynamic dims
  for (int64_t k = 0; k < numel; ++k) {
    ints[k] = partial && rnd() % 2 ? SP_UNKNOWN_VALUE : PICK(int_pool);
    params[k] = ints[k] == SP_UNKNOWN_VALUE ? "N" : NULL;
    reals[k] = (double)PICK(int_pool) / 3;
  }
  if (v->elem_type == F32)
    fvals(v, (int)numel, reals);
  else
    sp_set_int_values(v, ints, params, numel);
}

/* Every op on random attributes and inputs: no crash, no undefined
 * behaviour (run under SP_SANITIZE), errors name the node, outputs sane. */
static void test_random_nodes(void **state) {
  (void)state;
  for (size_t op = 0; sp_shape_op_at(op); ++op) {
    for (int iter = 0; iter < 150; ++iter) {
      fx_free(F);
      F = fx_new(8);
      node(sp_shape_op_at(op));
      random_attrs(N);
      int n_in = (int)(rnd() % 7), n_out = 1 + (int)(rnd() % 4);
      for (int i = 0; i < n_in; ++i)
        random_input(i);
      if (run((int64_t)(1 + rnd() % 21), n_in, n_out)) {
        assert_true(strncmp(ERR.message, "node 'n' (", 10) == 0);
        continue;
      }
      for (int o = 0; o < n_out; ++o) {
        assert_true(OUT[o].rank >= -1 && OUT[o].rank <= SP_MAX_RANK);
        for (int d = 0; d < OUT[o].rank; ++d)
          assert_true(OUT[o].dims[d] >= -1);
      }
    }
  }
}

/* ---- the driver on whole models ---- */

typedef struct warnings {
  int count;
  char last[SP_ERROR_MAX];
} warnings;

static void collect_warning(void *user, const char *message) {
  warnings *w = user;
  w->count++;
  snprintf(w->last, sizeof w->last, "%s", message);
}

/* Names dim i of a graph value's declared shape (dim_value -> dim_param). */
static void name_dim(Onnx__ValueInfoProto *vi, int i, const char *param) {
  Onnx__TensorShapeProto__Dimension *d = vi->type->tensor_type->shape->dim[i];
  d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
  d->dim_param = fx_str(F, param);
}

static void add_int64_initializer(const char *name, int n,
                                  const int64_t *vals) {
  fx_initializer(F, name, I64, 1, (int64_t[]){n}, vals,
                 (size_t)n * sizeof *vals);
}

/* Packs F's model, loads it back and infers shapes. */
static int infer_model(sp_onnx_model **model, sp_shape_table **table,
                       const sp_shape_options *options) {
  size_t size;
  uint8_t *bytes = fx_pack(F, &size);
  int rc = sp_onnx_load_buffer(bytes, size, "test.onnx", NULL, model, &ERR);
  free(bytes);
  if (rc)
    fail_msg("load failed: %s", ERR.message);
  return sp_infer_shapes(*model, options, table, &ERR);
}

static const char *model_dims(const sp_shape_table *t, const char *name) {
  const sp_value_info *v = sp_shape_lookup(t, name);
  assert_non_null(v);
  return dims_of(v);
}

/* torch's channel shuffle with a dynamic batch: Shape -> Gather -> Unsqueeze
 * -> Concat -> Reshape -> Transpose -> Reshape, all static but N. */
static void test_model_channel_shuffle(void **state) {
  (void)state;
  fx_input(F, "x", F32, 4, (int64_t[]){1, 8, 4, 4});
  name_dim(F->inputs[0], 0, "N");
  add_int64_initializer("zero", 1, (int64_t[]){0});
  add_int64_initializer("groups", 4, (int64_t[]){2, 4, 4, 4});
  add_int64_initializer("flat", 3, (int64_t[]){8, 4, 4});
  fx_node(F, "Shape", "shape", "x", "s");
  attr_int(fx_node(F, "Gather", "gather", "s,zero", "n"), "axis", 0);
  fx_node(F, "Concat", "cat", "n,groups", "shape5");
  attr_int(F->nodes[F->graph.n_node - 1], "axis", 0);
  fx_node(F, "Reshape", "r1", "x,shape5", "x5");
  attr_ints(fx_node(F, "Transpose", "t", "x5", "x5t"), "perm", 5,
            (int64_t[]){0, 2, 1, 3, 4});
  fx_node(F, "Concat", "cat2", "n,flat", "shape4");
  attr_int(F->nodes[F->graph.n_node - 1], "axis", 0);
  fx_node(F, "Reshape", "r2", "x5t,shape4", "y");
  fx_output(F, "y", F32, 0, NULL);
  sp_onnx_model *model;
  sp_shape_table *table;
  assert_int_equal(infer_model(&model, &table, NULL), 0);
  assert_string_equal(model_dims(table, "x5"), "Nx2x4x4x4");
  assert_string_equal(model_dims(table, "x5t"), "Nx4x2x4x4");
  assert_string_equal(model_dims(table, "y"), "Nx8x4x4");
  assert_int_equal(sp_shape_lookup(table, "y")->elem_type, F32);
  assert_null(sp_shape_lookup(table, "nope"));
  sp_shape_table_free(table);
  sp_onnx_free(model);
}

static void test_model_declared_disagreement_warns(void **state) {
  (void)state;
  fx_input(F, "x", F32, 4, (int64_t[]){1, 3, 8, 8});
  attr_ints(fx_node(F, "MaxPool", "pool", "x", "p"), "kernel_shape", 2,
            (int64_t[]){2, 2});
  attr_ints(F->nodes[0], "strides", 2, (int64_t[]){2, 2});
  fx_node(F, "Relu", "relu", "p", "y");
  fx_output(F, "y", F32, 4, (int64_t[]){1, 3, 8, 8});
  warnings w = {0};
  sp_shape_options options = {.warn = collect_warning, .warn_user = &w};
  sp_onnx_model *model;
  sp_shape_table *table;
  assert_int_equal(infer_model(&model, &table, &options), 0);
  assert_int_equal(w.count, 1);
  assert_string_equal(w.last, "node 'relu' (Relu): value 'y': declared 1x3x8x8 "
                              "but inferred 1x3x4x4");
  assert_string_equal(model_dims(table, "y"), "1x3x4x4");
  sp_shape_table_free(table);
  sp_onnx_free(model);
}

static void test_model_error_names_node(void **state) {
  (void)state;
  fx_input(F, "x", F32, 4, (int64_t[]){1, 3, 8, 8});
  fx_initializer(F, "w", F32, 4, (int64_t[]){16, 4, 3, 3}, NULL, 0);
  F->initializers[0]->has_raw_data = 1;
  F->initializers[0]->raw_data.len = 16 * 4 * 9 * 4;
  F->initializers[0]->raw_data.data = fx_alloc(F, 16 * 4 * 9 * 4);
  fx_node(F, "Conv", "conv1", "x,w", "y");
  fx_output(F, "y", F32, 0, NULL);
  sp_onnx_model *model;
  sp_shape_table *table = (sp_shape_table *)1;
  assert_int_equal(infer_model(&model, &table, NULL), -1);
  assert_null(table);
  assert_string_equal(ERR.message,
                      "test.onnx: node 'conv1' (Conv): input channels 3 do not "
                      "match weight (OIHW) channels 4 * group 1");
  sp_onnx_free(model);
}

static void test_model_unknown_op_and_overrides(void **state) {
  (void)state;
  fx_input(F, "x", F32, 2, (int64_t[]){1, 4});
  Onnx__NodeProto *custom = fx_node(F, "FancyOp", "fancy", "x", "f");
  custom->domain = fx_str(F, "com.example");
  fx_node(F, "FancyOp", "fancy2", "f", "g")->domain = fx_str(F, "com.example");
  fx_node(F, "Relu", "relu", "g", "y");
  F->graph.value_info = fx_alloc(F, sizeof *F->graph.value_info);
  F->graph.value_info[0] = fx_value(F, "f", SP_T_FLOAT16, 0, NULL);
  F->graph.n_value_info = 1;
  fx_output(F, "y", F32, 0, NULL);
  Onnx__OperatorSetIdProto *opsets[2] = {&F->opset,
                                         fx_alloc(F, sizeof **opsets)};
  Onnx__OperatorSetIdProto o = ONNX__OPERATOR_SET_ID_PROTO__INIT;
  *opsets[1] = o;
  opsets[1]->domain = fx_str(F, "com.example");
  opsets[1]->has_version = 1;
  opsets[1]->version = 1;
  F->model.opset_import = opsets;
  F->model.n_opset_import = 2;
  sp_value_info batch4;
  memset(&batch4, 0, sizeof batch4);
  batch4.name = "x";
  batch4.elem_type = F32;
  batch4.rank = 2;
  batch4.dims[0] = 4;
  batch4.dims[1] = 4;
  warnings w = {0};
  sp_shape_options options = {.input_overrides = &batch4,
                              .num_input_overrides = 1,
                              .warn = collect_warning,
                              .warn_user = &w};
  sp_onnx_model *model;
  sp_shape_table *table;
  assert_int_equal(infer_model(&model, &table, &options), 0);
  assert_string_equal(model_dims(table, "x"), "4x4");
  assert_string_equal(model_dims(table, "f"), "unranked");
  assert_int_equal(sp_shape_lookup(table, "f")->elem_type, SP_T_FLOAT16);
  assert_int_equal(w.count, 1); // once per op type, not per node
  assert_string_equal(w.last,
                      "node 'fancy' (com.example.FancyOp): no shape "
                      "inference for this op; its outputs stay unknown");
  sp_shape_table_free(table);
  sp_onnx_free(model);
}

/* A for-loop (M = 3, no cond) stacks its scan output 3 times; a carried
 * value that grows each iteration becomes dynamic. */
static void test_model_loop(void **state) {
  (void)state;
  fx_input(F, "x", F32, 1, (int64_t[]){2});
  add_int64_initializer("m", 1, (int64_t[]){3});
  F->initializers[0]->n_dims = 0; // scalar trip count
  Onnx__NodeProto *n =
      fx_node(F, "Loop", "loop", "m,,x,x", "carried,grown,scan");
  Onnx__GraphProto *body = fx_graph(F, "body", 8);
  body->input[body->n_input++] = fx_value(F, "i", I64, 0, (int64_t[]){0});
  body->input[body->n_input++] = fx_value(F, "c", SP_T_BOOL, 0, (int64_t[]){0});
  Onnx__ValueInfoProto *carried = fx_value(F, "v", F32, 0, NULL);
  carried->type->tensor_type->has_elem_type = 0;
  carried->type->tensor_type->elem_type = 0; // untyped: seeded from x
  body->input[body->n_input++] = carried;
  body->input[body->n_input++] = fx_value(F, "g", F32, 0, NULL);
  fx_node_in(F, body, "Identity", "keep", "c", "c_out");
  fx_node_in(F, body, "Relu", "relu", "v", "v_out");
  attr_int(fx_node_in(F, body, "Concat", "cat", "g,x", "g_out"), "axis", 0);
  fx_node_in(F, body, "Neg", "neg", "v", "s_out");
  const char *outs[] = {"c_out", "v_out", "g_out", "s_out"};
  for (int i = 0; i < 4; ++i)
    body->output[body->n_output++] = fx_value(F, outs[i], F32, 0, NULL);
  body->output[0]->type->tensor_type->elem_type = SP_T_BOOL;
  fx_graph_attr(F, n, "body", body);
  fx_output(F, "scan", F32, 0, NULL);
  sp_onnx_model *model;
  sp_shape_table *table;
  assert_int_equal(infer_model(&model, &table, NULL), 0);
  assert_string_equal(model_dims(table, "v_out"), "2");
  assert_string_equal(model_dims(table, "carried"), "2");
  assert_string_equal(model_dims(table, "grown"), "?");
  assert_string_equal(model_dims(table, "scan"), "3x2");
  sp_shape_table_free(table);
  sp_onnx_free(model);
}

static void test_model_if_subgraphs(void **state) {
  (void)state;
  fx_input(F, "c", SP_T_BOOL, 0, (int64_t[]){0});
  fx_input(F, "x", F32, 2, (int64_t[]){2, 3});
  Onnx__NodeProto *n = fx_node(F, "If", "if", "c", "y");
  Onnx__GraphProto *then_g = fx_graph(F, "then", 4);
  fx_node_in(F, then_g, "Relu", "r", "x", "t");
  then_g->output[then_g->n_output++] = fx_value(F, "t", F32, 0, NULL);
  Onnx__GraphProto *else_g = fx_graph(F, "else", 4);
  fx_node_in(F, else_g, "Neg", "ng", "x", "e");
  else_g->output[else_g->n_output++] = fx_value(F, "e", F32, 0, NULL);
  fx_graph_attr(F, n, "then_branch", then_g);
  fx_graph_attr(F, n, "else_branch", else_g);
  fx_output(F, "y", F32, 0, NULL);
  sp_onnx_model *model;
  sp_shape_table *table;
  assert_int_equal(infer_model(&model, &table, NULL), 0);
  assert_string_equal(model_dims(table, "t"), "2x3");
  assert_string_equal(model_dims(table, "y"), "2x3");
  sp_shape_table_free(table);
  sp_onnx_free(model);
}

/* A deep model (30k nodes, 60k values): exercises the name table and
 * scratch buffers at the scale of real networks. */
static void test_model_large_graph(void **state) {
  (void)state;
  enum { LAYERS = 10000 };
  F->graph.node =
      fx_alloc(F, 3 * LAYERS * sizeof *F->graph.node); // past FX_MAX
  fx_input(F, "x", F32, 2, (int64_t[]){1, 64});
  name_dim(F->inputs[0], 0, "N");
  add_int64_initializer("shape", 2, (int64_t[]){0, -1});
  char prev[32] = "x", a[32], b[32], c[32], inputs[80];
  for (int i = 0; i < LAYERS; ++i) {
    snprintf(a, sizeof a, "relu%d", i);
    snprintf(b, sizeof b, "add%d", i);
    snprintf(c, sizeof c, "rs%d", i);
    fx_node(F, "Relu", NULL, prev, a);
    snprintf(inputs, sizeof inputs, "%s,%s", a, prev);
    fx_node(F, "Add", NULL, inputs, b);
    snprintf(inputs, sizeof inputs, "%s,shape", b);
    fx_node(F, "Reshape", NULL, inputs, c);
    snprintf(prev, sizeof prev, "%s", c);
  }
  fx_output(F, prev, F32, 0, NULL);
  sp_onnx_model *model;
  sp_shape_table *table;
  assert_int_equal(infer_model(&model, &table, NULL), 0);
  assert_string_equal(model_dims(table, prev), "Nx64");
  sp_shape_table_free(table);
  sp_onnx_free(model);
}

/* ---- ONNX conformance data (node, pytorch-converted/operator, simple) ---- */

#define TEST_DATA "/usr/share/libonnx-testdata/data"

typedef struct op_count {
  char op[64];
  int pass, unknown, mismatch, skipped;
} op_count;

typedef struct conformance {
  op_count ops[256];
  int n_ops, models, load_failures, mismatches, unknowns, unexpected_unknowns;
} conformance;

/* Ops whose output sizes may stay unknown: they depend on data inference
 * does not compute (NMS, strings) or SequenceAt of a sequence whose
 * elements differ in shape (inference merges them). */
static int data_dependent(const char *op) {
  static const char *const ops[] = {"NonMaxSuppression", "StringNormalizer",
                                    "NonZero",           "Unique",
                                    "Compress",          "Loop",
                                    "SequenceAt"};
  for (size_t i = 0; i < sizeof ops / sizeof *ops; ++i)
    if (!strcmp(op, ops[i]))
      return 1;
  return 0;
}

static op_count *count_for(conformance *c, const char *op) {
  for (int i = 0; i < c->n_ops; ++i)
    if (!strcmp(c->ops[i].op, op))
      return &c->ops[i];
  op_count *o = &c->ops[c->n_ops < 255 ? c->n_ops++ : 255];
  snprintf(o->op, sizeof o->op, "%s", op);
  return o;
}

static Onnx__TensorProto *read_tensor(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *bytes = malloc(size > 0 ? (size_t)size : 1);
  size_t got = fread(bytes, 1, (size_t)size, f);
  fclose(f);
  Onnx__TensorProto *t =
      got == (size_t)size ? onnx__tensor_proto__unpack(NULL, got, bytes) : NULL;
  free(bytes);
  return t;
}

static int graph_supported(const Onnx__GraphProto *g) {
  for (size_t i = 0; i < g->n_node; ++i) {
    const Onnx__NodeProto *n = g->node[i];
    if (!sp_shape_op_supported(n->domain, n->op_type))
      return 0;
    for (size_t a = 0; a < n->n_attribute; ++a)
      if (n->attribute[a]->g && !graph_supported(n->attribute[a]->g))
        return 0;
  }
  return 1;
}

static int is_tensor(const Onnx__ValueInfoProto *vi) {
  return vi->type &&
         vi->type->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
}

/* Overrides for the graph inputs from test_data_set_0 (shapes and small
 * values: shape tensors, axes, K... come in as inputs there). */
static int read_inputs(const char *dir, const Onnx__GraphProto *g,
                       sp_value_info *infos, Onnx__TensorProto **tensors) {
  int n = 0;
  for (size_t i = 0, k = 0; i < g->n_input; ++i) {
    int is_init = 0;
    for (size_t j = 0; j < g->n_initializer; ++j)
      is_init |= !strcmp(g->initializer[j]->name, g->input[i]->name);
    if (is_init)
      continue;
    char path[1024];
    snprintf(path, sizeof path, "%s/test_data_set_0/input_%zu.pb", dir, k++);
    Onnx__TensorProto *t = is_tensor(g->input[i]) ? read_tensor(path) : NULL;
    if (!t || t->n_dims > SP_MAX_RANK) {
      if (t)
        onnx__tensor_proto__free_unpacked(t, NULL);
      continue;
    }
    sp_value_info *v = &infos[n];
    memset(v, 0, sizeof *v);
    sp_tensor_info(t, v);
    sp_tensor_values(t, NULL, 0, v);
    if (g->input[i]->type->tensor_type->elem_type) // bfloat16 data says uint16
      v->elem_type = g->input[i]->type->tensor_type->elem_type;
    v->name = g->input[i]->name;
    tensors[n++] = t;
  }
  return n;
}

/* Checks one model's outputs against test_data_set_0, counting per op.
 * with_values feeds the inputs' contents too (shape tensors, K, axes...);
 * without, only their shapes: then sizes may stay unknown, never wrong. */
static void check_model(conformance *c, const char *root, const char *name,
                        int with_values) {
  char dir[512], path[1024];
  snprintf(dir, sizeof dir, "%s/%s", root, name);
  snprintf(path, sizeof path, "%s/model.onnx", dir);
  sp_onnx_model *model;
  sp_error err;
  if (sp_onnx_load(path, &model, &err)) {
    c->load_failures++;
    printf("  load failed: %s\n", err.message);
    return;
  }
  c->models++;
  Onnx__GraphProto *g = model->proto->graph;
  int supported = graph_supported(g);
  // Strip declared output shapes and types: the check is on inference alone.
  size_t n_vi = g->n_value_info;
  g->n_value_info = 0;
  Onnx__TensorShapeProto *shapes[64] = {0};
  int32_t types[64] = {0};
  for (size_t i = 0; i < g->n_output && i < 64; ++i) {
    if (!is_tensor(g->output[i]))
      continue;
    shapes[i] = g->output[i]->type->tensor_type->shape;
    types[i] = g->output[i]->type->tensor_type->elem_type;
    g->output[i]->type->tensor_type->shape = NULL;
    g->output[i]->type->tensor_type->elem_type = 0;
  }
  sp_value_info inputs[32];
  Onnx__TensorProto *tensors[32];
  int n_inputs = g->n_input <= 32 ? read_inputs(dir, g, inputs, tensors) : 0;
  for (int i = 0; !with_values && i < n_inputs; ++i)
    inputs[i].has_value = inputs[i].has_float_value = 0;
  sp_shape_options options = {.input_overrides = inputs,
                              .num_input_overrides = n_inputs};
  sp_shape_table *table = NULL;
  int rc = sp_infer_shapes(model, &options, &table, &err);
  for (size_t i = 0; i < g->n_output && i < 64; ++i) {
    if (!is_tensor(g->output[i]))
      continue;
    const char *out_name = g->output[i]->name;
    const char *op = "?";
    for (size_t j = 0; j < g->n_node; ++j)
      for (size_t k = 0; k < g->node[j]->n_output; ++k)
        if (!strcmp(g->node[j]->output[k], out_name))
          op = g->node[j]->op_type;
    op_count *oc = count_for(c, op);
    snprintf(path, sizeof path, "%s/test_data_set_0/output_%zu.pb", dir, i);
    Onnx__TensorProto *want = read_tensor(path);
    if (!supported || !want) {
      oc->skipped++;
    } else if (rc) {
      oc->mismatch++;
      c->mismatches++;
      printf("  MISMATCH %s: inference failed: %s\n", name, err.message);
    } else {
      const sp_value_info *got = sp_shape_lookup(table, out_name);
      sp_value_info expect;
      memset(&expect, 0, sizeof expect);
      sp_tensor_info(want, &expect);
      // bfloat16 data is stored as uint16 in ONNX 1.12's files: trust the
      // graph's declared output type over the data file's.
      int32_t want_type = types[i] ? types[i] : want->data_type;
      int bad = !got || (got->rank >= 0 && got->rank != expect.rank) ||
                (got->elem_type && got->elem_type != want_type);
      int unknown = !got || got->rank < 0 || !got->elem_type;
      for (int d = 0; !bad && got->rank >= 0 && d < got->rank; ++d) {
        bad |= got->dims[d] >= 0 && got->dims[d] != expect.dims[d];
        unknown |= got->dims[d] < 0;
      }
      if (bad) {
        oc->mismatch++;
        c->mismatches++;
      } else if (unknown) {
        oc->unknown++;
        c->unknowns++;
        c->unexpected_unknowns += with_values && !data_dependent(op);
      } else {
        oc->pass++;
      }
      if (bad || (unknown && (with_values || getenv("SP_TEST_VERBOSE"))))
        printf("  %s %s output '%s' (%s): expected %s type %d, inferred %s "
               "type %d\n",
               bad ? "MISMATCH" : "unknown", name, out_name, op,
               dims_of(&expect), want_type, got ? dims_of(got) : "nothing",
               got ? got->elem_type : 0);
    }
    if (want)
      onnx__tensor_proto__free_unpacked(want, NULL);
  }
  for (size_t i = 0; i < g->n_output && i < 64; ++i) {
    if (!is_tensor(g->output[i]))
      continue;
    g->output[i]->type->tensor_type->shape = shapes[i];
    g->output[i]->type->tensor_type->elem_type = types[i];
  }
  g->n_value_info = n_vi;
  for (int i = 0; i < n_inputs; ++i)
    onnx__tensor_proto__free_unpacked(tensors[i], NULL);
  sp_shape_table_free(table);
  sp_onnx_free(model);
}

static int compare_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int compare_ops(const void *a, const void *b) {
  return strcmp(((const op_count *)a)->op, ((const op_count *)b)->op);
}

/* Runs check_model over every model under TEST_DATA/set, both ways. */
static void check_set(const char *set, conformance *c,
                      conformance *shapes_only) {
  char root[256];
  snprintf(root, sizeof root, "%s/%s", TEST_DATA, set);
  DIR *d = opendir(root);
  if (!d)
    return;
  char *names[2048];
  int n = 0;
  for (struct dirent *e; (e = readdir(d)) && n < 2048;)
    if (e->d_name[0] != '.')
      names[n++] = strdup(e->d_name);
  closedir(d);
  qsort(names, (size_t)n, sizeof *names, compare_names);
  int models = c->models, mismatches = c->mismatches, unknowns = c->unknowns;
  for (int i = 0; i < n; ++i) {
    check_model(c, root, names[i], 1);
    check_model(shapes_only, root, names[i], 0);
    free(names[i]);
  }
  printf("%s: %d models, %d unknown outputs, %d mismatches\n", set,
         c->models - models, c->unknowns - unknowns,
         c->mismatches - mismatches);
}

static void test_conformance_shapes(void **state) {
  (void)state;
  static conformance c, shapes_only;
  memset(&c, 0, sizeof c);
  memset(&shapes_only, 0, sizeof shapes_only);
  const char *sets[] = {"node", "pytorch-converted", "pytorch-operator",
                        "simple"};
  for (size_t i = 0; i < sizeof sets / sizeof *sets; ++i)
    check_set(sets[i], &c, &shapes_only);
  if (!c.models)
    skip();
  qsort(c.ops, (size_t)c.n_ops, sizeof *c.ops, compare_ops);
  int pass = 0, skipped = 0;
  printf("conformance: shapes of outputs per producing op "
         "(pass / unknown / mismatch / skipped)\n");
  for (int i = 0; i < c.n_ops; ++i) {
    op_count *o = &c.ops[i];
    pass += o->pass;
    skipped += o->skipped;
    printf("  %-28s %3d %3d %3d %3d\n", o->op, o->pass, o->unknown, o->mismatch,
           o->skipped);
  }
  printf("conformance: %d models (%d failed to load), %d outputs pass, "
         "%d unknown, %d mismatch, %d skipped (unsupported op or no data)\n",
         c.models, c.load_failures, pass, c.unknowns, c.mismatches, skipped);
  int shapes_pass = 0;
  for (int i = 0; i < shapes_only.n_ops; ++i)
    shapes_pass += shapes_only.ops[i].pass;
  printf("conformance, input shapes only (no input values): %d outputs "
         "pass, %d unknown, %d mismatch\n",
         shapes_pass, shapes_only.unknowns, shapes_only.mismatches);
  fflush(stdout);
  assert_int_equal(c.mismatches + shapes_only.mismatches, 0);
  assert_int_equal(c.unexpected_unknowns, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_table_sorted_and_complete, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_unary_keeps_shape_and_names, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_broadcast, setup, teardown),
      cmocka_unit_test_setup_teardown(test_compare_and_logic_are_bool, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_variadic_and_where, setup, teardown),
      cmocka_unit_test_setup_teardown(test_integer_value_arithmetic, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_prelu_clip_dropout_softmax, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_cast, setup, teardown),
      cmocka_unit_test_setup_teardown(test_conv, setup, teardown),
      cmocka_unit_test_setup_teardown(test_conv_auto_pad_and_dynamic, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_conv_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(test_conv_transpose, setup, teardown),
      cmocka_unit_test_setup_teardown(test_pool, setup, teardown),
      cmocka_unit_test_setup_teardown(test_normalization, setup, teardown),
      cmocka_unit_test_setup_teardown(test_matmul, setup, teardown),
      cmocka_unit_test_setup_teardown(test_einsum, setup, teardown),
      cmocka_unit_test_setup_teardown(test_rnn, setup, teardown),
      cmocka_unit_test_setup_teardown(test_reshape, setup, teardown),
      cmocka_unit_test_setup_teardown(test_reshape_symbolic, setup, teardown),
      cmocka_unit_test_setup_teardown(test_flatten_transpose, setup, teardown),
      cmocka_unit_test_setup_teardown(test_concat, setup, teardown),
      cmocka_unit_test_setup_teardown(test_split, setup, teardown),
      cmocka_unit_test_setup_teardown(test_slice, setup, teardown),
      cmocka_unit_test_setup_teardown(test_gather, setup, teardown),
      cmocka_unit_test_setup_teardown(test_squeeze_unsqueeze, setup, teardown),
      cmocka_unit_test_setup_teardown(test_expand_tile_pad, setup, teardown),
      cmocka_unit_test_setup_teardown(test_resize_upsample, setup, teardown),
      cmocka_unit_test_setup_teardown(test_rearrange_onehot_compress, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_legacy_and_newer_ops, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_reduce, setup, teardown),
      cmocka_unit_test_setup_teardown(test_topk, setup, teardown),
      cmocka_unit_test_setup_teardown(test_constant, setup, teardown),
      cmocka_unit_test_setup_teardown(test_constant_of_shape_shape_size_range,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_random_nodes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_model_channel_shuffle, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_model_declared_disagreement_warns,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_model_error_names_node, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_model_unknown_op_and_overrides,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_model_if_subgraphs, setup, teardown),
      cmocka_unit_test_setup_teardown(test_model_loop, setup, teardown),
      cmocka_unit_test_setup_teardown(test_model_large_graph, setup, teardown),
      cmocka_unit_test_setup_teardown(test_conformance_shapes, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
