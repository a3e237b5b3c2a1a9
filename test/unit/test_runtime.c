/* test_runtime.c - the runtime's C API on small hand-built models: outputs,
 * dynamic batch and replanning, the observer, and the errors for bad input
 * (wrong name, shape, element type, unbound input, unsupported op, a node
 * missing an input). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixtures/onnx_fixture.h"
#include "sp/runtime.h"

#define F32 ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT
#define I64 ONNX__TENSOR_PROTO__DATA_TYPE__INT64

static sp_runtime *create(fx *f, sp_error *err, int *rc) {
  size_t size;
  uint8_t *bytes = fx_pack(f, &size);
  sp_onnx_model *m = NULL;
  sp_runtime *rt = NULL;
  *rc = sp_onnx_load_buffer(bytes, size, "test.onnx", NULL, &m, err);
  free(bytes);
  if (*rc == 0)
    *rc = sp_runtime_create(m, 1, &rt, err);
  return rt;
}

/* Makes dim d of graph input i symbolic ("batch"). */
static void symbolic(fx *f, int i, int d) {
  Onnx__TensorShapeProto__Dimension *dim =
      f->inputs[i]->type->tensor_type->shape->dim[d];
  dim->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
  dim->dim_param = fx_str(f, "batch");
}

static void mlp_ref(const float *x, int rows, float *y) {
  static const float w[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  static const float b[3] = {0.5f, -1, 2};
  for (int r = 0; r < rows; ++r)
    for (int j = 0; j < 3; ++j) {
      float acc = b[j];
      for (int k = 0; k < 4; ++k)
        acc += x[r * 4 + k] * w[k * 3 + j];
      y[r * 3 + j] = acc > 0 ? acc : 0;
    }
}

static void test_mlp_and_dynamic_batch(void **state) {
  (void)state;
  fx *f = fx_mlp();
  symbolic(f, 0, 0);
  sp_error err;
  int rc;
  sp_runtime *rt = create(f, &err, &rc);
  assert_int_equal(rc, 0);
  assert_int_equal(sp_runtime_num_inputs(rt), 1);
  assert_string_equal(sp_runtime_input_info(rt, 0)->name, "x");
  float x[12] = {1, -2, 3, 0.5f, -1, -1, -1, -1, 2, 0, 1, 0};
  float ref[9];
  int64_t dims[2] = {1, 4};
  for (int rows = 1; rows <= 3; rows += 2) {
    dims[0] = rows;
    assert_int_equal(sp_runtime_bind(rt, "x", F32, 2, dims, x, &err), 0);
    assert_int_equal(sp_runtime_run(rt, &err), 0);
    const sp_tensor *y = sp_runtime_output(rt, 0);
    assert_non_null(y);
    assert_int_equal(y->dims[0], rows);
    assert_int_equal(y->dims[1], 3);
    mlp_ref(x, rows, ref);
    for (int i = 0; i < rows * 3; ++i)
      assert_true(fabsf(((float *)y->data)[i] - ref[i]) < 1e-5f);
    assert_ptr_equal(sp_runtime_output_by_name(rt, "y"), y);
  }
  /* same shapes again: no replan, same arena */
  size_t arena = sp_runtime_arena_bytes(rt);
  assert_int_equal(sp_runtime_run(rt, &err), 0);
  assert_int_equal(sp_runtime_arena_bytes(rt), arena);
  sp_runtime_free(rt);
  fx_free(f);
}

static int observed;
static int observed_xw;
static void observe(void *user, const char *name, const sp_tensor *t) {
  (void)user;
  ++observed;
  if (!strcmp(name, "xw")) {
    observed_xw = 1;
    assert_int_equal(t->rank, 2);
  }
}

static void test_observer(void **state) {
  (void)state;
  fx *f = fx_mlp();
  sp_error err;
  int rc;
  sp_runtime *rt = create(f, &err, &rc);
  assert_int_equal(rc, 0);
  float x[4] = {1, 2, 3, 4};
  assert_int_equal(sp_runtime_bind(rt, "x", F32, 2, (int64_t[]){1, 4}, x, &err), 0);
  sp_runtime_set_observer(rt, observe, NULL);
  assert_int_equal(sp_runtime_run(rt, &err), 0);
  assert_int_equal(observed, 3); /* xw, z, y */
  assert_true(observed_xw);
  sp_runtime_free(rt);
  fx_free(f);
}

static void test_bad_inputs(void **state) {
  (void)state;
  fx *f = fx_mlp();
  sp_error err;
  int rc;
  sp_runtime *rt = create(f, &err, &rc);
  assert_int_equal(rc, 0);
  float x[8] = {0};
  assert_int_equal(sp_runtime_run(rt, &err), -1);
  assert_non_null(strstr(err.message, "input 'x' is not bound"));
  assert_int_equal(sp_runtime_bind(rt, "nope", F32, 2, (int64_t[]){1, 4}, x, &err), -1);
  assert_non_null(strstr(err.message, "no input named 'nope'"));
  assert_non_null(strstr(err.message, "test.onnx"));
  assert_int_equal(sp_runtime_bind(rt, "x", F32, 2, (int64_t[]){1, 5}, x, &err), -1);
  assert_non_null(strstr(err.message, "dim 1 is 5, expected 4"));
  assert_int_equal(sp_runtime_bind(rt, "x", F32, 1, (int64_t[]){4}, x, &err), -1);
  assert_non_null(strstr(err.message, "rank 1, expected 2"));
  assert_int_equal(sp_runtime_bind(rt, "x", I64, 2, (int64_t[]){1, 4}, x, &err), -1);
  assert_non_null(strstr(err.message, "element type INT64, expected FLOAT"));
  assert_null(strchr(err.message, '\n'));
  sp_runtime_free(rt);
  fx_free(f);
}

static void test_unsupported_op(void **state) {
  (void)state;
  fx *f = fx_new(8);
  fx_input(f, "x", F32, 1, (int64_t[]){4});
  fx_node(f, "Relu", "r", "x", "a");
  fx_node(f, "NoSuchOp", "mystery", "a", "y");
  fx_output(f, "y", F32, 1, (int64_t[]){4});
  sp_error err;
  int rc;
  sp_runtime *rt = create(f, &err, &rc);
  assert_int_equal(rc, SP_RT_UNSUPPORTED);
  assert_null(rt);
  assert_non_null(strstr(err.message, "node 'mystery'"));
  assert_non_null(strstr(err.message, "unsupported op 'NoSuchOp'"));
  fx_free(f);
}

/* Conv with only X: shape inference or the kernel must say what is missing. */
static void test_missing_input(void **state) {
  (void)state;
  fx *f = fx_new(8);
  fx_input(f, "x", F32, 4, (int64_t[]){1, 2, 5, 5});
  fx_node(f, "Conv", "conv1", "x", "y");
  fx_output(f, "y", F32, 0, NULL);
  sp_error err;
  int rc;
  sp_runtime *rt = create(f, &err, &rc);
  if (rc == 0) {
    float x[50] = {0};
    rc = sp_runtime_bind(rt, "x", F32, 4, (int64_t[]){1, 2, 5, 5}, x, &err);
    assert_int_equal(rc, 0);
    rc = sp_runtime_run(rt, &err);
  }
  assert_int_not_equal(rc, 0);
  assert_non_null(strstr(err.message, "conv1"));
  sp_runtime_free(rt);
  fx_free(f);
}

/* Shape arithmetic in int64 (Shape -> Gather -> Unsqueeze -> Concat ->
 * Reshape) with a dynamic batch. */
static void test_shape_chain(void **state) {
  (void)state;
  fx *f = fx_new(8);
  static const int64_t zero = 0, minus1 = -1;
  fx_input(f, "x", F32, 3, (int64_t[]){1, 2, 3});
  symbolic(f, 0, 0);
  fx_initializer(f, "i0", I64, 0, NULL, &zero, 8);
  fx_initializer(f, "m1", I64, 1, (int64_t[]){1}, &minus1, 8);
  fx_node(f, "Shape", "s", "x", "shape");
  fx_node(f, "Gather", "g", "shape,i0", "b");
  Onnx__NodeProto *u = fx_node(f, "Unsqueeze", "u", "b,i0", "b1");
  (void)u;
  fx_node(f, "Concat", "c", "b1,m1", "target");
  fx_node(f, "Reshape", "r", "x,target", "y");
  f->nodes[3]->n_attribute = 0;
  Onnx__AttributeProto init = ONNX__ATTRIBUTE_PROTO__INIT;
  Onnx__AttributeProto *a = fx_alloc(f, sizeof *a);
  *a = init;
  a->name = fx_str(f, "axis");
  a->has_type = 1;
  a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
  a->has_i = 1;
  a->i = 0;
  f->nodes[3]->attribute = fx_alloc(f, sizeof *f->nodes[3]->attribute);
  f->nodes[3]->attribute[0] = a;
  f->nodes[3]->n_attribute = 1;
  fx_output(f, "y", F32, 0, NULL);
  sp_error err;
  int rc;
  sp_runtime *rt = create(f, &err, &rc);
  assert_int_equal(rc, 0);
  float x[12];
  for (int i = 0; i < 12; ++i)
    x[i] = (float)i;
  assert_int_equal(sp_runtime_bind(rt, "x", F32, 3, (int64_t[]){2, 2, 3}, x, &err), 0);
  rc = sp_runtime_run(rt, &err);
  if (rc)
    fail_msg("%s", err.message);
  const sp_tensor *y = sp_runtime_output(rt, 0);
  assert_int_equal(y->rank, 2);
  assert_int_equal(y->dims[0], 2);
  assert_int_equal(y->dims[1], 6);
  assert_true(((float *)y->data)[11] == 11.0f);
  sp_runtime_free(rt);
  fx_free(f);
}

int main(void) {
  sp_runtime_set_threads(2);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_mlp_and_dynamic_batch),
      cmocka_unit_test(test_observer),
      cmocka_unit_test(test_bad_inputs),
      cmocka_unit_test(test_unsupported_op),
      cmocka_unit_test(test_missing_input),
      cmocka_unit_test(test_shape_chain),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
