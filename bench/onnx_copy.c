/* onnx_copy.c - load a model with sp's ONNX reader and save it again.
 *
 *   onnx_copy IN OUT [EXTERNAL_THRESHOLD]
 *
 * Used by bench/onnx_io.sh to compare sp_onnx_load + sp_onnx_save with cp. */
#include <stdio.h>
#include <stdlib.h>

#include "sp/onnx.h"

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s IN OUT [EXTERNAL_THRESHOLD]\n", argv[0]);
    return 2;
  }
  sp_onnx_save_options options = {0};
  if (argc > 3)
    options.external_threshold = strtoull(argv[3], NULL, 10);
  sp_onnx_model *model;
  sp_error err;
  if (sp_onnx_load(argv[1], &model, &err) != 0 ||
      sp_onnx_inline_external(model, &err) != 0 ||
      sp_onnx_save(argv[2], model->proto, &options, &err) != 0) {
    fprintf(stderr, "%s\n", err.message);
    sp_onnx_free(model);
    return 1;
  }
  sp_onnx_free(model);
  return 0;
}
