/* sp-translate: ONNX <-> MLIR `nn` dialect.
 *
 *   sp-translate --import-onnx model.onnx [-o model.mlir]
 *   sp-translate --export-onnx model.mlir -o model.onnx [--external-data[=BYTES]]
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sp/dialect.h"
#include "sp/output.h"
#include "sp/translate.h"
#include "sp/weights.h"
#include "tool_common.h"

static void usage(FILE *out) {
  fprintf(out,
          "usage: sp-translate --import-onnx IN.onnx [-o OUT.mlir]\n"
          "       sp-translate --export-onnx IN.mlir -o OUT.onnx [--external-data[=BYTES]]\n"
          "\n"
          "  --import-onnx          ONNX model -> nn dialect (MLIR text)\n"
          "  --export-onnx          nn dialect (MLIR text) -> ONNX model\n"
          "  -o, --output FILE      output file (default: stdout for MLIR)\n"
          "  --external-data[=N]    store tensors of at least N bytes (default 1024)\n"
          "                         in OUT.onnx.data next to the model\n"
          "  --dim NAME=VALUE       fix a symbolic input dim at import (repeatable)\n"
          "  --mlir-elide-resource-strings-if-larger=N\n"
          "                         print weight blobs larger than N bytes as elided\n"
          "  -h, --help             this text\n"
          "\n"
          "Numbers (N, VALUE) are whole base-10 integers >= 0; anything else is an error.\n"
          "A tensor may have at most 2^59 elements. A model importing an opset newer than\n"
          "sp knows (%d) is imported with a warning, its ops read as that opset defines\n"
          "them. MLIR input with a NUL byte in it is an error.\n",
          SP_ONNX_MAX_OPSET);
}

static int usage_error(const sp_error *err) {
  fprintf(stderr, "sp-translate: error: %s\n", err->message);
  return 2;
}

enum { OPT_IMPORT = 256, OPT_EXPORT, OPT_EXTERNAL, OPT_ELIDE, OPT_DIM };

int main(int argc, char **argv) {
  static const struct option options[] = {
      {"import-onnx", no_argument, NULL, OPT_IMPORT},
      {"export-onnx", no_argument, NULL, OPT_EXPORT},
      {"output", required_argument, NULL, 'o'},
      {"external-data", optional_argument, NULL, OPT_EXTERNAL},
      {"mlir-elide-resource-strings-if-larger", required_argument, NULL, OPT_ELIDE},
      {"dim", required_argument, NULL, OPT_DIM},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  sp_output_remove_on_signal(); // no temp file outlives Ctrl-C
  int mode = 0;
  tool_dims dims = {0};
  const char *output = "-";
  long elide = 0;
  sp_onnx_save_options save = {0};
  sp_error err = {{0}};
  int64_t num;
  int c;
  while ((c = getopt_long(argc, argv, "o:h", options, NULL)) != -1) {
    switch (c) {
    case OPT_IMPORT:
    case OPT_EXPORT:
      mode = c;
      break;
    case 'o':
      output = optarg;
      break;
    case OPT_EXTERNAL:
      num = 1024;
      if (optarg && cli_parse_int("--external-data", optarg, 0, INT64_MAX, &num, &err))
        return usage_error(&err);
      save.external_threshold = num ? (size_t)num : 1;
      break;
    case OPT_ELIDE:
      if (cli_parse_int("--mlir-elide-resource-strings-if-larger", optarg, 0, LONG_MAX, &num,
                        &err))
        return usage_error(&err);
      elide = (long)num;
      break;
    case OPT_DIM:
      if (tool_parse_dim(&dims, optarg, &err))
        return usage_error(&err);
      break;
    case 'h':
      usage(stdout);
      return 0;
    default:
      usage(stderr);
      return 2;
    }
  }
  if (!mode || optind != argc - 1) {
    fprintf(stderr, "sp-translate: expected --import-onnx or --export-onnx and one input file\n");
    usage(stderr);
    return 2;
  }
  const char *input = argv[optind];
  if (mode == OPT_EXPORT && strcmp(output, "-") == 0) {
    fprintf(stderr, "sp-translate: --export-onnx needs -o OUT.onnx\n");
    return 2;
  }
  if (tool_check_output(input, output, &err)) {
    fprintf(stderr, "sp-translate: error: %s\n", err.message);
    return 2;
  }

  MlirContext ctx = sp_context_create(&err);
  if (mlirContextIsNull(ctx)) {
    fprintf(stderr, "sp-translate: %s\n", err.message);
    return 1;
  }
  tool_install_diagnostics(ctx, input);
  sp_onnx_model *model = NULL;
  MlirModule module = {NULL};
  int rc = 1;
  if (mode == OPT_IMPORT) {
    if (tool_import_onnx(ctx, input, &dims, &model, &module, &err) == 0 &&
        tool_write_mlir(module, output, elide, &err) == 0)
      rc = 0;
  } else {
    size_t size = 0;
    char *text = tool_read_file(input, &size, &err);
    if (text && cli_check_text(input, text, size, &err)) {
      free(text);
      text = NULL;
    }
    if (text) {
      module = tool_parse_mlir(ctx, text, input, 1);
      free(text);
      if (mlirModuleIsNull(module))
        snprintf(err.message, sizeof err.message, "%s: cannot parse MLIR input", input);
      else if (!mlirOperationVerify(mlirModuleGetOperation(module)))
        snprintf(err.message, sizeof err.message, "%s: input does not verify", input);
      else if (sp_weights_verify(mlirModuleGetOperation(module)))
        err.message[0] = 0; // emitted at the op whose weight blob is missing or short
      else if (sp_export_onnx(module, output, &save, &err) == 0)
        rc = 0;
    }
  }
  if (rc == 0 && sp_output_check_stdout(&err))
    rc = 1;
  if (rc && err.message[0])
    fprintf(stderr, "sp-translate: error: %s\n", err.message);
  if (!mlirModuleIsNull(module))
    mlirModuleDestroy(module);
  sp_context_destroy(ctx);
  sp_onnx_free(model);
  return rc;
}
