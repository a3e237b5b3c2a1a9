/* tools/tool_common.h - what sp-opt and sp-translate share: reading inputs,
 * writing outputs atomically, printing MLIR diagnostics as one line each. */
#ifndef SP_TOOL_COMMON_H
#define SP_TOOL_COMMON_H

#include <mlir-c/IR.h>
#include <stddef.h>

#include "sp/error.h"
#include "sp/onnx.h"
#include "sp/translate.h"

/* Whole file (or stdin for "-") into a NUL-terminated malloc'ed buffer. */
char *tool_read_file(const char *path, size_t *size, sp_error *err);

/* 1 if path names an ONNX file by its extension. */
int tool_is_onnx_path(const char *path);

/* Diagnostics go to stderr as "<file>:<line>:<col>: error: msg" or
 * "<file>: node 'conv1': error: msg". Install once per context. */
void tool_install_diagnostics(MlirContext ctx, const char *input_name);
/* Error diagnostics printed so far: a failure already reported by one need
 * no second line. */
long tool_errors_printed(void);

/* Parses MLIR text whose first line is line first_line of input_name (so
 * diagnostics point into the original file). Null module on failure. */
MlirModule tool_parse_mlir(MlirContext ctx, const char *text,
                           const char *input_name, int first_line);

/* Symbolic dims fixed by repeated --dim NAME=VALUE options. */
typedef struct tool_dims {
  sp_dim_binding items[16];
  char names[16][128]; /* items[i].name points here: nothing to free */
  int count;
} tool_dims;

/* Parses "NAME=VALUE" (cli_parse_dim's rules) into dims; -1 with err set
 * if bad or if there are too many. */
int tool_parse_dim(tool_dims *dims, const char *text, sp_error *err);

/* Loads an ONNX file and imports it (dims may be NULL); *model must be freed
 * after ctx. */
int tool_import_onnx(MlirContext ctx, const char *path, const tool_dims *dims,
                     sp_onnx_model **model, MlirModule *out, sp_error *err);

/* Prints module as MLIR text to path ("-" = stdout), atomically for files.
 * elide_limit > 0 elides resource blobs larger than that many bytes. */
int tool_write_mlir(MlirModule module, const char *path, long elide_limit,
                    sp_error *err);

/* 0, or -1 with err set when output names the same file as input (an
 * input is never overwritten, not even on request). */
int tool_check_output(const char *input, const char *output, sp_error *err);

/* Monotonic seconds. */
double tool_now(void);

#endif
