/* test_training_bridge.c - passes/training_bridge.c on the shipped
 * Fashion-MNIST ResNet imported into MLIR: every trainer parameter maps to
 * the nn.Initializer op of its name and size; the gradients a pass gets
 * through the bridge are those of a trainer on the ONNX file itself (bit for
 * bit: the bridge adds nothing to the numbers, and the trainer's gradients
 * are checked against PyTorch by train.torch); write-back rewrites exactly
 * the ops whose values the trainer changed, BatchNormalization statistics
 * included, and no others. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>

#include "../../passes/training_bridge.h"
#include "sp/dialect.h"
#include "sp/runtime.h"
#include "sp/translate.h"
#include "sp/weights.h"

#define MODEL SP_SOURCE_DIR "/examples/fashion_resnet.onnx"
enum { BATCH = 8 };

typedef struct fixture {
  MlirContext ctx;
  sp_onnx_model *model;
  MlirModule module;
  MlirOperation module_op;
  float x[BATCH * 28 * 28];
  int64_t labels[BATCH];
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  sp_error err = {{0}};
  f->ctx = sp_context_create(&err);
  if (mlirContextIsNull(f->ctx) || sp_onnx_load(MODEL, &f->model, &err) ||
      sp_import_onnx(f->ctx, f->model, NULL, &f->module, &err)) {
    fprintf(stderr, "setup: %s\n", err.message);
    return -1;
  }
  f->module_op = mlirModuleGetOperation(f->module);
  uint32_t s = 7;
  for (size_t i = 0; i < sizeof f->x / sizeof *f->x; ++i) {
    s ^= s << 13, s ^= s >> 17, s ^= s << 5;
    f->x[i] = (float)(s / 4294967296.0) * 4 - 1;
  }
  for (int b = 0; b < BATCH; ++b)
    f->labels[b] = (b * 3) % 10;
  sp_runtime_set_threads(1); /* the same summation order in both trainers */
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  mlirModuleDestroy(f->module);
  sp_context_destroy(f->ctx);
  sp_onnx_free(f->model);
  free(f);
  return 0;
}

static int64_t numel_of(MlirOperation op) {
  MlirType t = mlirValueGetType(mlirOperationGetResult(op, 0));
  int64_t n = 1;
  for (intptr_t d = 0; d < mlirShapedTypeGetRank(t); ++d)
    n *= mlirShapedTypeGetDimSize(t, d);
  return n;
}

static int is_op(MlirOperation op, const char *name) {
  MlirStringRef s = mlirIdentifierStr(mlirOperationGetName(op));
  return s.length == strlen(name) && memcmp(s.data, name, s.length) == 0;
}

static const float *values_of(MlirOperation op) {
  const void *data;
  size_t size;
  sp_error err = {{0}};
  MlirAttribute v = mlirOperationGetAttributeByName(op, sp_str("value"));
  assert_int_equal(sp_weight_data(v, &data, &size, &err), 0);
  assert_int_equal(size, (size_t)numel_of(op) * sizeof(float));
  return data;
}

static void test_params_map_to_their_ops(void **state) {
  fixture *f = *state;
  sp_train_bridge *b;
  assert_int_equal(sp_train_bridge_create(f->module_op, "test", NULL, &b), 0);
  sp_trainer *t = sp_train_bridge_trainer(b);
  size_t n = sp_trainer_num_params(t);
  assert_true(n >= 20); /* convs, BN scales and biases, the classifier */
  for (size_t i = 0; i < n; ++i) {
    int64_t numel;
    float *value;
    const char *name = sp_trainer_param(t, i, &value, NULL, &numel);
    MlirOperation op = sp_train_bridge_param_op(b, i);
    assert_false(mlirOperationIsNull(op));
    assert_true(is_op(op, "nn.Initializer"));
    size_t len = 0;
    const char *op_name = sp_op_result_name(op, 0, &len);
    assert_non_null(op_name);
    assert_int_equal(len, strlen(name));
    assert_memory_equal(op_name, name, len);
    assert_int_equal(numel_of(op), numel);
    assert_memory_equal(values_of(op), value, (size_t)numel * sizeof(float));
  }
  assert_true(mlirOperationIsNull(sp_train_bridge_param_op(b, n)));
  sp_train_bridge_free(b);
}

static void test_gradients_equal_the_onnx_trainers(void **state) {
  fixture *f = *state;
  sp_train_bridge *b;
  sp_trainer *direct;
  sp_error err = {{0}};
  assert_int_equal(sp_train_bridge_create(f->module_op, "test", NULL, &b), 0);
  assert_int_equal(sp_trainer_create(f->model, NULL, &direct, &err), 0);
  sp_trainer *t = sp_train_bridge_trainer(b);
  const int64_t dims[4] = {BATCH, 1, 28, 28};
  float loss_bridge, loss_direct;
  assert_int_equal(sp_trainer_backward(t, f->x, dims, 4, f->labels, &loss_bridge, &err), 0);
  assert_int_equal(sp_trainer_backward(direct, f->x, dims, 4, f->labels, &loss_direct, &err), 0);
  assert_true(loss_bridge == loss_direct);
  assert_int_equal(sp_trainer_num_params(t), sp_trainer_num_params(direct));
  double norm = 0;
  for (size_t i = 0; i < sp_trainer_num_params(t); ++i) {
    float *g_bridge, *g_direct;
    int64_t n_bridge, n_direct;
    const char *name = sp_trainer_param(t, i, NULL, &g_bridge, &n_bridge);
    assert_string_equal(name, sp_trainer_param(direct, i, NULL, &g_direct, &n_direct));
    assert_int_equal(n_bridge, n_direct);
    assert_memory_equal(g_bridge, g_direct, (size_t)n_bridge * sizeof(float));
    for (int64_t k = 0; k < n_bridge; ++k)
      norm += (double)g_bridge[k] * g_bridge[k];
  }
  assert_true(norm > 0); /* there were gradients to compare */
  sp_trainer_free(direct);
  sp_train_bridge_free(b);
}

static size_t count_ops(MlirOperation module, const char *name) {
  MlirOperation fn = sp_find_main(module);
  MlirBlock body = mlirRegionGetFirstBlock(mlirOperationGetRegion(fn, 0));
  size_t n = 0;
  for (MlirOperation op = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op))
    n += is_op(op, name);
  return n;
}

/* Runs last: it changes the module. */
static void test_write_back_rewrites_what_changed(void **state) {
  fixture *f = *state;
  sp_train_bridge *b;
  sp_error err = {{0}};
  assert_int_equal(sp_train_bridge_create(f->module_op, "test", NULL, &b), 0);
  sp_trainer *t = sp_train_bridge_trainer(b);
  size_t written = 99;
  assert_int_equal(sp_train_bridge_write_back(b, &written), 0);
  assert_int_equal(written, 0); /* nothing trained yet */

  /* one element of one parameter: exactly its op changes */
  float *value;
  int64_t numel;
  size_t last = sp_trainer_num_params(t) - 1;
  sp_trainer_param(t, last, &value, NULL, &numel);
  MlirOperation op = sp_train_bridge_param_op(b, last);
  MlirAttribute before = mlirOperationGetAttributeByName(op, sp_str("value"));
  float *expected = malloc((size_t)numel * sizeof *expected);
  memcpy(expected, value, (size_t)numel * sizeof *expected);
  expected[numel - 1] += 1.0f;
  value[numel - 1] += 1.0f;
  assert_int_equal(sp_train_bridge_write_back(b, &written), 0);
  assert_int_equal(written, 1);
  assert_false(mlirAttributeEqual(before, mlirOperationGetAttributeByName(op, sp_str("value"))));
  assert_memory_equal(values_of(op), expected, (size_t)numel * sizeof *expected);
  free(expected);

  /* a training-mode forward moves every BN's running mean and variance */
  const int64_t dims[4] = {BATCH, 1, 28, 28};
  float loss;
  assert_int_equal(sp_trainer_backward(t, f->x, dims, 4, f->labels, &loss, &err), 0);
  assert_int_equal(sp_train_bridge_write_back(b, &written), 0);
  size_t n_bn = count_ops(f->module_op, "nn.BatchNormalization");
  assert_true(n_bn > 0);
  assert_int_equal(written, 2 * n_bn);
  sp_train_bridge_free(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_params_map_to_their_ops),
      cmocka_unit_test(test_gradients_equal_the_onnx_trainers),
      cmocka_unit_test(test_write_back_rewrites_what_changed),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
