/* fuzz_mlir_input.c - libFuzzer target: arbitrary text as an MLIR input file
 * (what sp-opt and sp-translate --export-onnx read), including dense_resource
 * blobs that are missing, elided, short or malformed. The text is parsed with
 * the nn dialect loaded, verified, and exported to ONNX (written to
 * /dev/null), which reads every weight. Nothing may crash; errors are one
 * line. */
#include <mlir-c/Diagnostics.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/tool_common.h"
#include "sp/dialect.h"
#include "sp/translate.h"

static MlirContext ctx;
static long inputs_in_context;

static MlirLogicalResult swallow(MlirDiagnostic d, void *user) {
  (void)d, (void)user;
  return mlirLogicalResultSuccess();
}

static void fresh_context(void) {
  sp_error err = {{0}};
  if (!mlirContextIsNull(ctx))
    sp_context_destroy(ctx);
  ctx = sp_context_create(&err);
  if (mlirContextIsNull(ctx))
    abort();
  mlirContextAttachDiagnosticHandler(ctx, swallow, NULL, NULL);
  inputs_in_context = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // uniqued attributes live as long as the context: start over now and then
  if (mlirContextIsNull(ctx) || ++inputs_in_context > 2000)
    fresh_context();
  char *text = malloc(size + 1);
  if (!text)
    return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  MlirModule module = tool_parse_mlir(ctx, text, "fuzz.mlir", 1);
  free(text);
  if (mlirModuleIsNull(module))
    return 0;
  if (mlirOperationVerify(mlirModuleGetOperation(module))) {
    sp_error err = {{0}};
    sp_onnx_save_options save = {0};
    if (sp_export_onnx(module, "/dev/null", &save, &err) != 0 && strchr(err.message, '\n'))
      abort(); // errors are one line
  }
  mlirModuleDestroy(module);
  return 0;
}
