#include "tool_common.h"

#include "cli.h"

#include <errno.h>
#include <libgen.h>
#include <mlir-c/Diagnostics.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sp/dialect.h"
#include "sp/output.h"
#include "sp/translate.h"

char *tool_read_file(const char *path, size_t *size, sp_error *err) {
  FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
  if (!f) {
    sp_error_set(err, "%s: cannot open: %s", path, strerror(errno));
    return NULL;
  }
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap);
  for (;;) {
    if (n + 1 >= cap) {
      cap *= 2;
      char *grown = realloc(buf, cap);
      if (!grown) {
        free(buf);
        sp_error_set(err, "%s: out of memory", path);
        return NULL;
      }
      buf = grown;
    }
    size_t got = fread(buf + n, 1, cap - n - 1, f);
    n += got;
    if (got == 0)
      break;
  }
  int failed = ferror(f);
  if (f != stdin)
    fclose(f);
  if (failed) {
    free(buf);
    sp_error_set(err, "%s: read error", path);
    return NULL;
  }
  buf[n] = 0;
  if (size)
    *size = n;
  return buf;
}

int tool_is_onnx_path(const char *path) {
  size_t n = strlen(path);
  return n >= 5 && strcmp(path + n - 5, ".onnx") == 0;
}

typedef struct diag_state {
  const char *input_name;
  long errors; /* error diagnostics printed so far */
} diag_state;

static diag_state diagnostics = {"-", 0};

static void print_to_file(MlirStringRef s, void *user) {
  fwrite(s.data, 1, s.length, (FILE *)user);
}

static const char *severity_name(MlirDiagnosticSeverity s) {
  switch (s) {
  case MlirDiagnosticError: return "error";
  case MlirDiagnosticWarning: return "warning";
  case MlirDiagnosticNote: return "note";
  default: return "remark";
  }
}

static MlirLogicalResult print_diagnostic(MlirDiagnostic d, void *user) {
  diag_state *st = user;
  st->errors += mlirDiagnosticGetSeverity(d) == MlirDiagnosticError;
  int is_node = 0;
  char *where = sp_location_name(mlirDiagnosticGetLocation(d), &is_node);
  if (where && is_node)
    fprintf(stderr, "%s: node '%s': %s: ", st->input_name, where,
            severity_name(mlirDiagnosticGetSeverity(d)));
  else if (where)
    fprintf(stderr, "%s: %s: ", where, severity_name(mlirDiagnosticGetSeverity(d)));
  else
    fprintf(stderr, "%s: %s: ", st->input_name, severity_name(mlirDiagnosticGetSeverity(d)));
  free(where);
  mlirDiagnosticPrint(d, print_to_file, stderr);
  fputc('\n', stderr);
  return mlirLogicalResultSuccess();
}

long tool_errors_printed(void) { return diagnostics.errors; }

void tool_install_diagnostics(MlirContext ctx, const char *input_name) {
  diagnostics.input_name = input_name;
  mlirContextAttachDiagnosticHandler(ctx, print_diagnostic, &diagnostics, NULL);
}

// Offset of the first line that is not blank, a comment, or an attribute or
// type alias definition (#alias = ..., !alias = ...): where ops begin.
static size_t first_op_offset(const char *text) {
  const char *p = text;
  for (;;) {
    const char *line = p;
    while (*p == ' ' || *p == '\t' || *p == '\r')
      p++;
    if (*p == '\n') {
      p++;
      continue;
    }
    if ((p[0] == '/' && p[1] == '/') || *p == '#' || *p == '!') {
      while (*p && *p != '\n')
        p++;
      if (*p)
        p++;
      continue;
    }
    return (size_t)(line - text);
  }
}

MlirModule tool_parse_mlir(MlirContext ctx, const char *text, const char *input_name,
                           int first_line) {
  size_t n = strlen(text);
  size_t ops = first_op_offset(text);
  const char *t = text + ops;
  while (*t == ' ' || *t == '\t')
    t++;
  // Bare ops get an implicit module, as mlir-opt does.
  int wrap = strncmp(t, "module", 6) != 0 && strncmp(t, "\"builtin.module\"", 16) != 0;
  // Padding with newlines keeps diagnostics' line numbers those of the file.
  size_t pad = first_line > 1 ? (size_t)(first_line - 1) : 0;
  char *src = malloc(n + pad + 32);
  size_t k = 0;
  memset(src, '\n', pad);
  k += pad;
  // Aliases stay in front of the module; "module {" shares the first op line.
  memcpy(src + k, text, ops);
  k += ops;
  if (wrap) {
    memcpy(src + k, "module {", 8);
    k += 8;
  }
  // A trailing {-# dialect_resources #-} block belongs after the module.
  const char *resources = wrap ? strstr(text + ops, "\n{-#") : NULL;
  size_t body_end = resources ? (size_t)(resources - text) : n;
  memcpy(src + k, text + ops, body_end - ops);
  k += body_end - ops;
  if (wrap) {
    memcpy(src + k, "\n}", 2);
    k += 2;
  }
  memcpy(src + k, text + body_end, n - body_end);
  k += n - body_end;
  src[k] = 0;
  MlirOperation op = mlirOperationCreateParse(ctx, mlirStringRefCreate(src, k), sp_str(input_name));
  free(src);
  if (mlirOperationIsNull(op))
    return (MlirModule){NULL};
  MlirModule m = mlirModuleFromOperation(op);
  if (mlirModuleIsNull(m)) {
    mlirOperationDestroy(op);
    fprintf(stderr, "%s: error: top-level operation is not a builtin.module\n", input_name);
  }
  return m;
}

static void print_import_warning(void *user, const char *message) {
  fprintf(stderr, "%s: warning: %s\n", (const char *)user, message);
}

int tool_parse_dim(tool_dims *dims, const char *text, sp_error *err) {
  size_t len;
  int64_t value;
  if (cli_parse_dim(text, &len, &value, err))
    return -1;
  if (dims->count == (int)(sizeof dims->items / sizeof dims->items[0]))
    return sp_error_set(err, "--dim: more than %d dims",
                        (int)(sizeof dims->items / sizeof dims->items[0]));
  if (len >= sizeof dims->names[0])
    return sp_error_set(err, "--dim: name longer than %zu bytes in '%s'",
                        sizeof dims->names[0] - 1, text);
  snprintf(dims->names[dims->count], sizeof dims->names[0], "%.*s", (int)len, text);
  dims->items[dims->count].name = dims->names[dims->count];
  dims->items[dims->count].value = value;
  dims->count++;
  return 0;
}

int tool_import_onnx(MlirContext ctx, const char *path, const tool_dims *dims,
                     sp_onnx_model **model, MlirModule *out, sp_error *err) {
  if (sp_onnx_load(path, model, err))
    return -1;
  sp_import_options options = {print_import_warning, (void *)path, dims ? dims->items : NULL,
                               dims ? dims->count : 0};
  return sp_import_onnx(ctx, *model, &options, out, err);
}

int tool_write_mlir(MlirModule module, const char *path, long elide_limit, sp_error *err) {
  sp_output out;
  if (sp_output_open(&out, path, err) < 0)
    return -1;
  MlirOpPrintingFlags flags = mlirOpPrintingFlagsCreate();
  // Locations carry ONNX node names, so text round-trips keep them.
  mlirOpPrintingFlagsEnableDebugInfo(flags, true, false);
  if (elide_limit > 0)
    mlirOpPrintingFlagsElideLargeResourceString(flags, elide_limit);
  mlirOperationPrintWithFlags(mlirModuleGetOperation(module), flags, print_to_file, out.file);
  fputc('\n', out.file);
  mlirOpPrintingFlagsDestroy(flags);
  return sp_output_close(&out, err);
}

int tool_check_output(const char *input, const char *output, sp_error *err) {
  struct stat in, out;
  if (!strcmp(input, "-") || !strcmp(output, "-") || stat(input, &in) < 0 ||
      stat(output, &out) < 0 || !S_ISREG(out.st_mode))
    return 0;
  if (in.st_dev == out.st_dev && in.st_ino == out.st_ino)
    return sp_error_set(err, "output '%s' is the input file; write to another path", output);
  return 0;
}

double tool_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
