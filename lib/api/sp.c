/* sp.c - the host C API (sp/sp.h) over sp's dialect, translate and passes. */
#include "sp/sp.h"

#include <mlir-c/BuiltinTypes.h>
#include <mlir-c/RegisterEverything.h>
#include <stdlib.h>
#include <string.h>

#include "sp/dialect.h"
#include "sp/passes.h"
#include "sp/pipeline.h"
#include "sp/translate.h"
#include "sp/weights.h"

int sp_load_dialect(MlirContext ctx, sp_error *err) {
  // sp's passes share side tables (sp/weights.h) that are not thread-safe.
  mlirContextEnableMultithreading(ctx, false);
  return sp_dialect_load(ctx, err);
}

/* --- models imported for a context, freed by sp_release_context ---------- */

typedef struct imported_model {
  void *context;
  sp_onnx_model *model;
  struct imported_model *next;
} imported_model;

static imported_model *imported_models;

int sp_import_onnx_file(MlirContext ctx, const char *path, MlirModule *out, sp_error *err) {
  *out = (MlirModule){NULL};
  imported_model *entry = calloc(1, sizeof *entry);
  if (!entry)
    return sp_error_set(err, "%s: out of memory", path);
  if (sp_onnx_load(path, &entry->model, err)) {
    free(entry);
    return -1;
  }
  if (sp_import_onnx(ctx, entry->model, NULL, out, err)) {
    sp_onnx_free(entry->model);
    free(entry);
    return -1;
  }
  // The module's weights point into the model: it lives as long as ctx.
  entry->context = ctx.ptr;
  entry->next = imported_models;
  imported_models = entry;
  return 0;
}

void sp_release_context(MlirContext ctx) {
  for (imported_model **link = &imported_models; *link;) {
    imported_model *entry = *link;
    if (entry->context != ctx.ptr) {
      link = &entry->next;
      continue;
    }
    *link = entry->next;
    sp_onnx_free(entry->model);
    free(entry);
  }
  sp_weights_release_context(ctx);
}

int sp_export_onnx_file(MlirModule module, const char *path, sp_error *err) {
  return sp_export_onnx(module, path, NULL, err);
}

/* --- passes -------------------------------------------------------------- */

typedef struct text_buffer {
  char text[SP_ERROR_MAX];
} text_buffer;

static void append_text(MlirStringRef s, void *user) {
  text_buffer *b = user;
  size_t n = strlen(b->text);
  snprintf(b->text + n, sizeof b->text - n, "%.*s", (int)s.length, s.data);
}

// Adds one parsed stage; upstream text goes through MLIR's own parser.
static int add_stage(MlirOpPassManager pm, const sp_stage *stage, sp_error *err) {
  if (stage->sp_pass) {
    mlirOpPassManagerAddOwnedPass(pm, sp_pass_create(stage->sp_pass, &stage->args));
    return 0;
  }
  text_buffer why = {{0}};
  if (mlirLogicalResultIsFailure(
          mlirOpPassManagerAddPipeline(pm, sp_str(stage->text), append_text, &why)))
    return sp_error_set(err, "pass pipeline: cannot use '%s': %s", stage->text,
                        why.text[0] ? why.text : "unknown pass or bad option");
  return 0;
}

int sp_add_pass(MlirOpPassManager pm, const char *pipeline, sp_error *err) {
  // Upstream names in the text resolve through MLIR's global pass registry.
  static int upstream_registered;
  if (!upstream_registered) {
    mlirRegisterAllPasses();
    upstream_registered = 1;
  }
  sp_pipeline stages;
  if (sp_pipeline_parse(sp_pipeline_expand(pipeline), &stages, err))
    return -1;
  int rc = 0;
  for (size_t i = 0; i < stages.count && rc == 0; ++i)
    rc = add_stage(pm, &stages.stages[i], err);
  sp_pipeline_free(&stages);
  return rc;
}

typedef struct diagnostic_sink {
  sp_diagnostic_fn fn;
  void *user;
  sp_error first_error;
  int have_error;
} diagnostic_sink;

static MlirLogicalResult forward_diagnostic(MlirDiagnostic d, void *user) {
  diagnostic_sink *sink = user;
  text_buffer location = {{0}}, message = {{0}};
  mlirLocationPrint(mlirDiagnosticGetLocation(d), append_text, &location);
  mlirDiagnosticPrint(d, append_text, &message);
  MlirDiagnosticSeverity severity = mlirDiagnosticGetSeverity(d);
  if (severity == MlirDiagnosticError && !sink->have_error) {
    snprintf(sink->first_error.message, sizeof sink->first_error.message, "%s: %s",
             location.text, message.text);
    sink->have_error = 1;
  }
  if (sink->fn)
    sink->fn(sink->user, severity, location.text, message.text);
  return mlirLogicalResultSuccess(); // handled: not passed on to other handlers
}

int sp_run_pipeline(MlirModule module, const char *pipeline, sp_diagnostic_fn on_diagnostic,
                    void *user, sp_error *err) {
  MlirContext ctx = mlirModuleGetContext(module);
  MlirPassManager pm = mlirPassManagerCreateOnOperation(ctx, sp_str("builtin.module"));
  if (sp_add_pass(mlirPassManagerGetAsOpPassManager(pm), pipeline, err)) {
    mlirPassManagerDestroy(pm);
    return -1;
  }
  diagnostic_sink sink = {on_diagnostic, user, {{0}}, 0};
  MlirDiagnosticHandlerID handler =
      mlirContextAttachDiagnosticHandler(ctx, forward_diagnostic, &sink, NULL);
  MlirLogicalResult result = mlirPassManagerRunOnOp(pm, mlirModuleGetOperation(module));
  mlirContextDetachDiagnosticHandler(ctx, handler);
  mlirPassManagerDestroy(pm);
  if (mlirLogicalResultIsSuccess(result))
    return 0;
  if (sink.have_error)
    return sp_error_set(err, "%s", sink.first_error.message);
  return sp_error_set(err, "pass pipeline '%s' failed", pipeline);
}

/* --- statistics ---------------------------------------------------------- */

int64_t sp_module_macs(MlirModule module) {
  int64_t macs = sp_main_macs(mlirModuleGetOperation(module));
  return macs == -1 && mlirOperationIsNull(sp_find_main(mlirModuleGetOperation(module))) ? 0
                                                                                        : macs;
}
