/* embed: sp inside a host program, through the installed package only.
 *
 *   embed MODEL.onnx PRUNED.onnx [IMAGES.idx LABELS.idx] [PIPELINE]
 *
 * Compiles with the host's own MLIR objects (a context and a pass manager
 * made with the MLIR C API), adds sp's passes to that pass manager, prunes
 * MODEL, writes PRUNED, then runs PRUNED with sp's runtime on Fashion-MNIST
 * test images when they are given. Prints lines a test can check. */
#include <mlir-c/IR.h>
#include <mlir-c/Pass.h>
#include <stdio.h>
#include <string.h>

#include "sp/runtime.h"
#include "sp/sp.h"
#include "sp/train.h"

#define DEFAULT_PIPELINE                                                                 \
  "sp-canonicalize,sp-dependency-groups,sp-importance{criterion=l2},"                   \
  "sp-prune{ratio=0.25 round-to=4},sp-canonicalize"

// Compiles model to pruned with the host's context and pass manager.
static int compile(const char *model, const char *pruned, const char *pipeline) {
  sp_error err = {{0}};
  MlirContext ctx = mlirContextCreate();
  MlirModule module = {NULL};
  MlirPassManager pm = mlirPassManagerCreate(ctx);
  MlirOpPassManager opm = mlirPassManagerGetAsOpPassManager(pm);
  int rc = -1;
  if (sp_load_dialect(ctx, &err) || sp_import_onnx_file(ctx, model, &module, &err))
    goto done;
  int64_t macs_before = sp_module_macs(module);
  // A bad option is refused when the pass is added, before anything runs.
  sp_error option_err = {{0}};
  if (sp_add_pass(opm, "sp-prune{ratio=2}", &option_err) == 0)
    goto done;
  printf("refused: %s\n", option_err.message);
  if (sp_add_pass(opm, pipeline, &err))
    goto done;
  if (mlirLogicalResultIsFailure(mlirPassManagerRunOnOp(pm, mlirModuleGetOperation(module)))) {
    snprintf(err.message, sizeof err.message, "%s: the pipeline failed", model);
    goto done;
  }
  int64_t macs_after = sp_module_macs(module);
  printf("macs: %lld -> %lld (%.3fx)\n", (long long)macs_before, (long long)macs_after,
         (double)macs_after / (double)macs_before);
  rc = sp_export_onnx_file(module, pruned, &err);
done:
  if (rc)
    fprintf(stderr, "embed: %s\n", err.message);
  mlirPassManagerDestroy(pm);
  if (!mlirModuleIsNull(module))
    mlirModuleDestroy(module);
  mlirContextDestroy(ctx);
  sp_release_context(ctx);
  return rc;
}

// Top-1 accuracy of model on IDX test images, with the runtime only.
static int evaluate(const char *model, const char *images, const char *labels) {
  enum { BATCH = 100 };
  sp_error err = {{0}};
  sp_runtime *rt = NULL;
  sp_dataset data = {0};
  int rc = sp_runtime_load(model, &rt, &err);
  if (rc == 0)
    rc = sp_dataset_load_idx(images, labels, 0.2860f, 0.3530f, &data, &err);
  int64_t correct = 0;
  for (int64_t start = 0; rc == 0 && start < data.count; start += BATCH) {
    int64_t n = data.count - start < BATCH ? data.count - start : BATCH;
    int64_t dims[4] = {n, 1, data.sample_dims[1], data.sample_dims[2]};
    rc = sp_runtime_bind(rt, sp_runtime_input_info(rt, 0)->name,
                         ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 4, dims,
                         data.x + start * data.sample_size, &err);
    if (rc == 0)
      rc = sp_runtime_run(rt, &err);
    if (rc)
      break;
    const sp_tensor *logits = sp_runtime_output(rt, 0); // (n, classes)
    int64_t classes = logits->numel / n;
    for (int64_t i = 0; i < n; ++i) {
      const float *p = (const float *)logits->data + i * classes;
      int64_t best = 0;
      for (int64_t c = 1; c < classes; ++c)
        best = p[c] > p[best] ? c : best;
      correct += best == data.labels[start + i];
    }
  }
  if (rc == 0)
    printf("accuracy top1=%.4f (%lld/%lld)\n", (double)correct / (double)data.count,
           (long long)correct, (long long)data.count);
  else
    fprintf(stderr, "embed: %s\n", err.message);
  sp_dataset_free(&data);
  sp_runtime_free(rt);
  return rc;
}

int main(int argc, char **argv) {
  if (argc != 3 && argc != 5 && argc != 6) {
    fprintf(stderr, "usage: embed MODEL.onnx PRUNED.onnx [IMAGES LABELS [PIPELINE]]\n");
    return 2;
  }
  const char *pipeline = argc == 6 ? argv[5] : DEFAULT_PIPELINE;
  printf("sp %s\n", sp_version());
  if (compile(argv[1], argv[2], pipeline))
    return 1;
  if (argc >= 5 && evaluate(argv[2], argv[3], argv[4]))
    return 1;
  return 0;
}
