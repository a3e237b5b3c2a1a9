/* test_sp_api.c - the host C API (sp/sp.h) on a context the "host" made with
 * the plain MLIR C API: nn loads (and only once), sp_add_pass takes sp passes,
 * named pipelines and upstream text and refuses bad ones with sp's message,
 * sp_run_pipeline hands every diagnostic to the callback and the first error
 * to err, ONNX import/export round-trips through the runtime, and
 * sp_release_context frees the imported model (make asan checks the leak). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sp/runtime.h"
#include "sp/sp.h"

#define MODEL SP_SOURCE_DIR "/examples/fashion_resnet.onnx"

// conv (2 -> 4 channels, 1x1), a depthwise 3x3 and a 1x1 conv to 1 channel,
// on a 4x4 image: the 4 channels are one prunable group.
static const char *const NN_IR =
    "func.func @main(%x: tensor<1x2x4x4xf32>) -> tensor<1x1x4x4xf32> {\n"
    "  %w = \"nn.Initializer\"() {value = dense<1.0> : tensor<4x2x1x1xf32>} : () -> "
    "tensor<4x2x1x1xf32> loc(\"w\")\n"
    "  %dw = \"nn.Initializer\"() {value = dense<1.0> : tensor<4x1x3x3xf32>} : () -> "
    "tensor<4x1x3x3xf32> loc(\"dw\")\n"
    "  %w2 = \"nn.Initializer\"() {value = dense<1.0> : tensor<1x4x1x1xf32>} : () -> "
    "tensor<1x4x1x1xf32> loc(\"w2\")\n"
    "  %a = \"nn.Conv\"(%x, %w) : (tensor<1x2x4x4xf32>, tensor<4x2x1x1xf32>) -> "
    "tensor<1x4x4x4xf32> loc(\"conv\")\n"
    "  %d = \"nn.Conv\"(%a, %dw) {group = 4 : i64, pads = array<i64: 1, 1, 1, 1>} : "
    "(tensor<1x4x4x4xf32>, tensor<4x1x3x3xf32>) -> tensor<1x4x4x4xf32> loc(\"dwconv\")\n"
    "  %y = \"nn.Conv\"(%d, %w2) : (tensor<1x4x4x4xf32>, tensor<1x4x1x1xf32>) -> "
    "tensor<1x1x4x4xf32> loc(\"conv2\")\n"
    "  return %y : tensor<1x1x4x4xf32>\n"
    "}\n";

static MlirModule parse(MlirContext ctx) {
  return mlirModuleCreateParse(ctx, mlirStringRefCreateFromCString(NN_IR));
}

static void load_dialect_into_host_context(void **state) {
  (void)state;
  sp_error err = {{0}};
  MlirContext ctx = mlirContextCreate();
  mlirContextSetAllowUnregisteredDialects(ctx, false);
  assert_int_equal(sp_load_dialect(ctx, &err), 0);
  assert_int_equal(sp_load_dialect(ctx, &err), 0); // idempotent: IRDL would redefine ops
  MlirModule module = parse(ctx);
  assert_false(mlirModuleIsNull(module));
  assert_true(mlirOperationVerify(mlirModuleGetOperation(module)));
  // nn is a real dialect: its IRDL verifier rejects a Conv without weight.
  MlirModule bad = mlirModuleCreateParse(
      ctx, mlirStringRefCreateFromCString(
               "func.func @f(%x: tensor<1xf32>) -> tensor<1xf32> {\n"
               "  %a = \"nn.Conv\"(%x) : (tensor<1xf32>) -> tensor<1xf32>\n"
               "  return %a : tensor<1xf32>\n}\n"));
  assert_true(mlirModuleIsNull(bad));
  // conv: 64 outputs x 2 inputs; depthwise: 64 outputs x 9 taps; conv2: 16 x 4
  assert_int_equal(sp_module_macs(module), 64 * 2 + 64 * 9 + 16 * 4);
  mlirModuleDestroy(module);
  mlirContextDestroy(ctx);
  sp_release_context(ctx);
}

typedef struct pm_case {
  const char *text;
  int ok;
  const char *message; // expected in err when !ok
} pm_case;

static void add_pass_checks_text(void **state) {
  (void)state;
  static const pm_case cases[] = {
      {"sp-prune{ratio=0.5 round-to=2}", 1, NULL},
      {"builtin.module(sp-dependency-groups,canonicalize,func.func(cse))", 1, NULL},
      {"sp-prune-cnn", 1, NULL},
      {"sp-prune{ratio=2}", 0, "pass 'sp-prune': ratio must be in [0, 1), got 2"},
      {"sp-prune{ratoi=0.5}", 0, "ratoi"},
      {"sp-nope", 0, "unknown pass 'sp-nope'"},
      {"no-such-upstream-pass", 0, "cannot use 'no-such-upstream-pass'"},
      {"sp-prune{ratio=0.5", 0, "unbalanced"},
  };
  MlirContext ctx = mlirContextCreate();
  for (size_t i = 0; i < sizeof cases / sizeof *cases; ++i) {
    sp_error err = {{0}};
    MlirPassManager pm = mlirPassManagerCreate(ctx);
    int rc = sp_add_pass(mlirPassManagerGetAsOpPassManager(pm), cases[i].text, &err);
    if (cases[i].ok) {
      if (rc)
        fail_msg("%s: %s", cases[i].text, err.message);
    } else {
      assert_int_equal(rc, -1);
      if (!strstr(err.message, cases[i].message))
        fail_msg("%s: got '%s', want '%s'", cases[i].text, err.message, cases[i].message);
    }
    mlirPassManagerDestroy(pm);
  }
  mlirContextDestroy(ctx);
}

typedef struct seen {
  int errors, others;
  char location[256], message[256];
} seen;

static void collect(void *user, MlirDiagnosticSeverity severity, const char *location,
                    const char *message) {
  seen *s = user;
  if (severity != MlirDiagnosticError) {
    s->others++;
    return;
  }
  if (s->errors++ == 0) {
    snprintf(s->location, sizeof s->location, "%s", location);
    snprintf(s->message, sizeof s->message, "%s", message);
  }
}

static void run_pipeline_reports_diagnostics(void **state) {
  (void)state;
  sp_error err = {{0}};
  MlirContext ctx = mlirContextCreate();
  assert_int_equal(sp_load_dialect(ctx, &err), 0);
  MlirModule module = parse(ctx);
  // A side output into a directory that does not exist: the pass emits its
  // error at the module and fails.
  seen s = {0};
  int rc = sp_run_pipeline(module, "sp-model-stats{json=/nonexistent-dir/stats.json table=none}",
                           collect, &s, &err);
  assert_int_equal(rc, -1);
  assert_int_equal(s.errors, 1);
  assert_non_null(strstr(s.message, "/nonexistent-dir/stats.json"));
  assert_non_null(strstr(err.message, s.message)); // "LOCATION: MESSAGE"
  assert_non_null(strstr(err.message, s.location));
  // A pipeline that works changes the module and reports no error.
  memset(&s, 0, sizeof s);
  if (sp_run_pipeline(module, "sp-importance,sp-prune{ratio=0.5}", collect, &s, &err))
    fail_msg("%s", err.message);
  assert_int_equal(s.errors, 0);
  assert_int_equal(sp_module_macs(module), 32 * 2 + 32 * 9 + 16 * 2); // 2 of 4 channels left
  // Bad text fails before running, with the parse error.
  assert_int_equal(sp_run_pipeline(module, "sp-prune{ratio=-1}", NULL, NULL, &err), -1);
  assert_non_null(strstr(err.message, "ratio must be in [0, 1)"));
  mlirModuleDestroy(module);
  mlirContextDestroy(ctx);
  sp_release_context(ctx);
}

static void onnx_round_trip(void **state) {
  (void)state;
  sp_error err = {{0}};
  MlirContext ctx = mlirContextCreate();
  assert_int_equal(sp_load_dialect(ctx, &err), 0);
  MlirModule module = {NULL};
  assert_int_equal(sp_import_onnx_file(ctx, "/nonexistent/model.onnx", &module, &err), -1);
  assert_non_null(strstr(err.message, "/nonexistent/model.onnx"));
  assert_true(mlirModuleIsNull(module));
  assert_int_equal(sp_import_onnx_file(ctx, MODEL, &module, &err), 0);
  assert_int_equal(sp_module_macs(module), 9345920); // docs/c-api.md, examples/README.md
  char path[] = "/tmp/test_sp_api_XXXXXX.onnx";
  int fd = mkstemps(path, 5);
  assert_true(fd >= 0);
  close(fd);
  assert_int_equal(sp_run_pipeline(module, "sp-dependency-groups,sp-importance,"
                                           "sp-prune{ratio=0.5},sp-canonicalize",
                                   NULL, NULL, &err),
                   0);
  assert_int_equal(sp_export_onnx_file(module, path, &err), 0);
  mlirModuleDestroy(module);
  mlirContextDestroy(ctx);
  sp_release_context(ctx);
  // The runtime runs what the C API wrote.
  sp_runtime *rt = NULL;
  if (sp_runtime_load(path, &rt, &err))
    fail_msg("%s", err.message);
  float image[28 * 28] = {0};
  int64_t dims[4] = {1, 1, 28, 28};
  assert_int_equal(sp_runtime_bind(rt, sp_runtime_input_info(rt, 0)->name,
                                   ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 4, dims, image, &err),
                   0);
  assert_int_equal(sp_runtime_run(rt, &err), 0);
  assert_int_equal(sp_runtime_output(rt, 0)->numel, 10);
  sp_runtime_free(rt);
  unlink(path);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(load_dialect_into_host_context),
      cmocka_unit_test(add_pass_checks_text),
      cmocka_unit_test(run_pipeline_reports_diagnostics),
      cmocka_unit_test(onnx_round_trip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
