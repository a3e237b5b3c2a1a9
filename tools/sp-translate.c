/* sp-translate: ONNX <-> MLIR `nn` dialect.
 *
 *   sp-translate --import-onnx model.onnx [-o model.mlir]
 *   sp-translate --export-onnx model.mlir -o model.onnx [--external-data[=BYTES]]
 *   sp-translate --emit-c model.{onnx,mlir} -o DIR [--name NAME] [--dim N=V]
 *                [--weights=external] [--freestanding] [--tune]
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "sp/codegen.h"
#include "sp/dialect.h"
#include "sp/output.h"
#include "sp/translate.h"
#include "sp/weights.h"
#include "tool_common.h"

static void usage(FILE *out) {
  fprintf(out,
          "usage: sp-translate --import-onnx IN.onnx [-o OUT.mlir]\n"
          "       sp-translate --export-onnx IN.mlir -o OUT.onnx [--external-data[=BYTES]]\n"
          "       sp-translate --emit-c IN.{onnx,mlir} -o DIR [--name NAME] [--dim NAME=VALUE]\n"
          "                    [--weights=external] [--freestanding] [--tune]\n"
          "\n"
          "  --import-onnx          ONNX model -> nn dialect (MLIR text)\n"
          "  --export-onnx          nn dialect (MLIR text) -> ONNX model\n"
          "  --emit-c               model -> C library in DIR: NAME.h, NAME.c,\n"
          "                         NAME.weights, Makefile (docs/emit-c.md)\n"
          "  --name NAME            --emit-c: symbol and file prefix (default: DIR's\n"
          "                         name made a C identifier)\n"
          "  --weights=external     --emit-c: NAME_load(path) reads NAME.weights at\n"
          "                         run time instead of linking it in\n"
          "  --freestanding         --emit-c: plain C99 loops, no BLAS, no libsp_kernels\n"
          "  --tune                 --emit-c: time each conv's algorithms (im2col, packed,\n"
          "                         Winograd) on this machine and keep the fastest\n"
          "  -o, --output FILE      output file (default: stdout for MLIR)\n"
          "  --external-data[=N]    store tensors of at least N bytes (default 1024)\n"
          "                         in OUT.onnx.data next to the model\n"
          "  --dim NAME=VALUE       fix a symbolic input dim at import, or for --emit-c\n"
          "                         (repeatable; other symbolic dims are 1 there)\n"
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

enum {
  OPT_IMPORT = 256,
  OPT_EXPORT,
  OPT_EMIT_C,
  OPT_EXTERNAL,
  OPT_ELIDE,
  OPT_DIM,
  OPT_NAME,
  OPT_WEIGHTS,
  OPT_FREESTANDING,
  OPT_TUNE
};

/* --emit-c's default NAME: the folder's last component as a C identifier. */
static void default_name(const char *dir, char *name, size_t size) {
  size_t len = strlen(dir);
  while (len > 1 && dir[len - 1] == '/')
    --len;
  size_t start = len;
  while (start > 0 && dir[start - 1] != '/')
    --start;
  size_t n = 0;
  if (start < len && isdigit((unsigned char)dir[start]))
    name[n++] = '_';
  for (size_t i = start; i < len && n + 1 < size; ++i)
    name[n++] = isalnum((unsigned char)dir[i]) ? dir[i] : '_';
  if (!n)
    name[n++] = 'm';
  name[n] = 0;
}

static int is_identifier(const char *s) {
  if (!s[0] || isdigit((unsigned char)s[0]) || strlen(s) > 64)
    return 0;
  for (; *s; ++s)
    if (!isalnum((unsigned char)*s) && *s != '_')
      return 0;
  return 1;
}

static int ends_with(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && !strcmp(s + a - b, suffix);
}

/* --emit-c: MLIR input goes through the ONNX exporter into a temp file, then
 * both take the same path (the runtime's plan of the ONNX model). */
static int emit_c(MlirContext ctx, const char *input, const char *dir, const char *name,
                  const tool_dims *dims, int external, int freestanding, int tune,
                  sp_error *err) {
  char cname[80];
  if (name) {
    if (!is_identifier(name))
      return sp_error_set(err, "--name '%s' is not a C identifier (letters, digits, _)",
                          name);
    snprintf(cname, sizeof cname, "%s", name);
  } else {
    default_name(dir, cname, sizeof cname);
  }
  const char *names[16];
  int64_t values[16];
  for (int i = 0; i < dims->count; ++i) {
    names[i] = dims->items[i].name;
    values[i] = dims->items[i].value;
  }
  sp_emit_c_options opt = {dir, cname, names, values, dims->count, external, freestanding,
                           tune, SP_EMITC_INCLUDE_DIR, SP_EMITC_KERNELS_DIR};
  if (!ends_with(input, ".mlir"))
    return sp_emit_c(input, input, &opt, err);
  char tmp[] = "/tmp/sp-emit-c.XXXXXX.onnx";
  int fd = mkstemps(tmp, 5);
  if (fd < 0)
    return sp_error_set(err, "cannot create a temp file: %s", strerror(errno));
  close(fd);
  int rc = -1;
  size_t size = 0;
  char *text = tool_read_file(input, &size, err);
  if (text && !cli_check_text(input, text, size, err)) {
    MlirModule module = tool_parse_mlir(ctx, text, input, 1);
    if (mlirModuleIsNull(module))
      sp_error_set(err, "%s: cannot parse MLIR input", input);
    else if (!mlirOperationVerify(mlirModuleGetOperation(module)))
      sp_error_set(err, "%s: input does not verify", input);
    else if (sp_weights_verify(mlirModuleGetOperation(module)))
      err->message[0] = 0;
    else if (sp_export_onnx(module, tmp, NULL, err) == 0)
      rc = sp_emit_c(tmp, input, &opt, err);
    if (!mlirModuleIsNull(module))
      mlirModuleDestroy(module);
  }
  free(text);
  unlink(tmp);
  return rc;
}

int main(int argc, char **argv) {
  static const struct option options[] = {
      {"import-onnx", no_argument, NULL, OPT_IMPORT},
      {"export-onnx", no_argument, NULL, OPT_EXPORT},
      {"emit-c", no_argument, NULL, OPT_EMIT_C},
      {"name", required_argument, NULL, OPT_NAME},
      {"weights", required_argument, NULL, OPT_WEIGHTS},
      {"freestanding", no_argument, NULL, OPT_FREESTANDING},
      {"tune", no_argument, NULL, OPT_TUNE},
      {"output", required_argument, NULL, 'o'},
      {"external-data", optional_argument, NULL, OPT_EXTERNAL},
      {"mlir-elide-resource-strings-if-larger", required_argument, NULL, OPT_ELIDE},
      {"dim", required_argument, NULL, OPT_DIM},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  sp_output_remove_on_signal(); // no temp file outlives Ctrl-C
  int mode = 0, external = 0, freestanding = 0, tune = 0;
  const char *name = NULL;
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
    case OPT_EMIT_C:
      mode = c;
      break;
    case OPT_NAME:
      name = optarg;
      break;
    case OPT_WEIGHTS:
      if (strcmp(optarg, "external") && strcmp(optarg, "linked")) {
        fprintf(stderr, "sp-translate: error: --weights must be 'external' or 'linked'\n");
        return 2;
      }
      external = !strcmp(optarg, "external");
      break;
    case OPT_FREESTANDING:
      freestanding = 1;
      break;
    case OPT_TUNE:
      tune = 1;
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
    fprintf(stderr,
            "sp-translate: expected --import-onnx, --export-onnx or --emit-c and one input file\n");
    usage(stderr);
    return 2;
  }
  const char *input = argv[optind];
  if (mode == OPT_EXPORT && strcmp(output, "-") == 0) {
    fprintf(stderr, "sp-translate: --export-onnx needs -o OUT.onnx\n");
    return 2;
  }
  if (mode == OPT_EMIT_C && strcmp(output, "-") == 0) {
    fprintf(stderr, "sp-translate: --emit-c needs -o DIR\n");
    return 2;
  }
  if (mode != OPT_EMIT_C && tool_check_output(input, output, &err)) {
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
  if (mode == OPT_EMIT_C) {
    if (emit_c(ctx, input, output, name, &dims, external, freestanding, tune, &err) == 0)
      rc = 0;
  } else if (mode == OPT_IMPORT) {
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
