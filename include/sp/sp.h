/* sp/sp.h - sp inside a host compiler: the public C API (libsp.so, SP::sp,
 * pkg-config sp). docs/c-api.md walks through a whole host program.
 *
 * A host that drives MLIR through its C API adds sp to its own objects:
 *   sp_load_dialect(ctx, &err)                nn ops parse, verify and print in ctx
 *   sp_import_onnx_file(ctx, path, &m, &err)  an ONNX model as a module of nn ops
 *   sp_add_pass(pm, "sp-prune{ratio=0.5}", &err)
 *                                             sp passes, named pipelines and upstream
 *                                             pass text into the host's pass manager
 *   sp_run_pipeline(m, text, fn, user, &err)  or run a pipeline, diagnostics to fn
 *   sp_export_onnx_file(m, path, &err)        the result as ONNX (SP::runtime runs it)
 *   mlirContextDestroy(ctx); sp_release_context(ctx);
 *
 * Every function returns 0, or -1 with one line in err ("file: node: what";
 * err may be NULL). The MLIR C API (mlir-c/...) the host calls comes from
 * libsp.so, backed by LLVM 19's shared libMLIR.so: link MLIR only through
 * libsp.so, not MLIR's static libraries as well, or the process holds two
 * MLIRs whose contexts cannot be mixed. */
#ifndef SP_SP_H
#define SP_SP_H

#include <mlir-c/Diagnostics.h>
#include <mlir-c/IR.h>
#include <mlir-c/Pass.h>
#include <stdint.h>

#include "sp/error.h"
#include "sp/version.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Loads the nn dialect (and func, irdl) into ctx and allows unregistered
 * dialects (ops sp has no nn op for import as generic "onnx.<OpType>").
 * Turns ctx's multithreading off: sp's passes share side tables. Idempotent. */
int sp_load_dialect(MlirContext ctx, sp_error *err);

/* Adds pipeline to pm, which must be anchored on builtin.module: a comma list
 * of sp passes with options ("sp-prune{ratio=0.5 round-to=8}"), named
 * pipelines ("sp-prune-cnn"), and upstream passes ("canonicalize",
 * "func.func(cse)"), optionally wrapped in "builtin.module(...)". sp options
 * are checked before anything is added: an unknown sp pass or option, or a
 * value out of range, is an error and pm is unchanged. Upstream elements are
 * checked by MLIR as they are added (a bad one fails after the ones before);
 * the first call registers MLIR's upstream passes (mlirRegisterAllPasses). */
int sp_add_pass(MlirOpPassManager pm, const char *pipeline, sp_error *err);

/* Reads an ONNX model (external data beside it) into a new module in ctx,
 * which must have sp_load_dialect'ed. The module's weights point into the
 * loaded model, which sp keeps until sp_release_context(ctx). */
int sp_import_onnx_file(MlirContext ctx, const char *path, MlirModule *out,
                        sp_error *err);

/* Writes module (nn ops, e.g. after sp passes) as an ONNX model to path,
 * atomically (a temp file renamed; path is never left half-written). */
int sp_export_onnx_file(MlirModule module, const char *path, sp_error *err);

/* One diagnostic: severity, its location as MLIR prints it (an ONNX node
 * name for imported models), and its message. */
typedef void (*sp_diagnostic_fn)(void *user, MlirDiagnosticSeverity severity,
                                 const char *location, const char *message);

/* Runs pipeline (as sp_add_pass reads it) on module in a pass manager of its
 * own. Diagnostics emitted meanwhile go to on_diagnostic (NULL: dropped) and
 * not to the context's other handlers; on failure err holds the first error
 * as "LOCATION: MESSAGE". */
int sp_run_pipeline(MlirModule module, const char *pipeline,
                    sp_diagnostic_fn on_diagnostic, void *user, sp_error *err);

/* Multiply-accumulates of one inference of module's main function (Conv,
 * ConvTranspose, Gemm, MatMul, Einsum; dynamic dims count as 1), or -1 when
 * the count overflows. */
int64_t sp_module_macs(MlirModule module);

/* Frees what sp kept for ctx (imported models, weight side tables). Call
 * after mlirContextDestroy(ctx): MLIR releases weights while it tears down. */
void sp_release_context(MlirContext ctx);

#ifdef __cplusplus
}
#endif

#endif
