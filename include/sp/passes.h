/* sp/passes.h - sp's passes as MLIR external passes, and their registry.
 *
 * Every pass is one file in passes/ and one entry in passes/registry.c; the
 * registry drives option parsing, `sp-opt --help`, and pass creation. */
#ifndef SP_PASSES_H
#define SP_PASSES_H

#include <mlir-c/IR.h>
#include <mlir-c/Pass.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sp/error.h"
#include "sp/output.h"

typedef enum sp_option_kind {
  SP_OPTION_FLOAT,
  SP_OPTION_INT,
  SP_OPTION_BOOL,
  SP_OPTION_STRING,
  SP_OPTION_ENUM, /* one of the '|'-separated choices */
} sp_option_kind;

typedef struct sp_pass_option {
  const char *name;
  sp_option_kind kind;
  const char *default_value; /* text form; NULL = unset */
  const char *choices;       /* SP_OPTION_ENUM: "l1|l2|random" */
  double min, max;           /* numeric range [min, max]; min == max: unbounded */
  int max_exclusive;         /* 1: the range is [min, max) */
  const char *help;
} sp_pass_option;

/* Parsed option values of one pass instance (text, validated). */
typedef struct sp_pass_args {
  const struct sp_pass_info *info;
  char **values; /* one per info->options entry; NULL = unset */
} sp_pass_args;

/* A pass body: runs on the builtin.module; reports problems with
 * mlirEmitError at the op's location and returns -1 to fail the pass. */
typedef int (*sp_pass_run_fn)(MlirOperation module, const sp_pass_args *args);

typedef struct sp_pass_info {
  const char *argument; /* pipeline name, e.g. "sp-model-stats" */
  const char *summary;  /* one line for --help */
  const sp_pass_option *options;
  size_t num_options;
  sp_pass_run_fn run;
} sp_pass_info;

/* All registered passes, terminated by an entry with argument == NULL. */
const sp_pass_info *sp_pass_registry(void);

/* The pass named argument, or NULL. */
const sp_pass_info *sp_pass_lookup(const char *argument, size_t length);

/* Parses "k=v k2=v2" (the text inside a pass's braces) against info's
 * options; unknown names and bad values are errors naming the pass. */
int sp_pass_args_parse(const sp_pass_info *info, const char *text,
                       sp_pass_args *out, sp_error *err);
void sp_pass_args_free(sp_pass_args *args);

/* Typed accessors (defaults applied; the name must be a declared option). */
double sp_pass_arg_float(const sp_pass_args *args, const char *name);
long sp_pass_arg_int(const sp_pass_args *args, const char *name);
int sp_pass_arg_bool(const sp_pass_args *args, const char *name);
const char *sp_pass_arg_string(const sp_pass_args *args, const char *name);

/* An MLIR pass running info->run with args (copied). */
MlirPass sp_pass_create(const sp_pass_info *info, const sp_pass_args *args);

/* Prints every pass with its options (for --help). */
void sp_pass_print_help(FILE *out);

/* Emits an error diagnostic at op's location (printf-style). */
void sp_emit_error(MlirOperation op, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A pass's side output (dump=, dot=, json=, table=, stats=): "-" is the
 * stream dflt, any other path a file written as sp/output.h says (atomic,
 * devices in place, every write checked). Returns the stream to write to,
 * or NULL after emitting "<pass>: cannot write ..." at op. */
FILE *sp_pass_output_open(MlirOperation op, const char *pass, sp_output *out,
                          const char *path, FILE *dflt);
/* Completes it: 0, or -1 after emitting the write error at op. */
int sp_pass_output_close(MlirOperation op, const char *pass, sp_output *out);


/* Size of dim i of v as a MAC count sees it. */
typedef int64_t (*sp_dim_fn)(void *user, MlirValue v, intptr_t i);
/* The dim of v's type, a dynamic dim counting as 1. */
int64_t sp_type_dim(void *user, MlirValue v, intptr_t i);
/* MACs of op (ONNX op type `type`): Conv, ConvTranspose, Gemm, MatMul,
 * Einsum; 0 for other ops, -1 when the count does not fit in int64
 * (passes/macs.c). */
int64_t sp_op_macs(MlirOperation op, const char *type, sp_dim_fn dim, void *user);
/* MACs of the module's main function as sp-model-stats counts them; -1 when
 * there is none or they do not fit. */
int64_t sp_main_macs(MlirOperation module);
/* Parameters op brings as sp-model-stats counts them: elements of the float
 * initializers it is the first to use (counted, keyed by MlirValue.ptr,
 * remembers which), BatchNormalization's running statistics excluded. */
struct sp_map;
int64_t sp_op_params(MlirOperation op, const char *type, struct sp_map *counted);

/* Pass entry points, one per file in passes/. */
int sp_model_stats_run(MlirOperation module, const sp_pass_args *args);
int sp_dependency_groups_run(MlirOperation module, const sp_pass_args *args);
int sp_importance_run(MlirOperation module, const sp_pass_args *args);
int sp_prune_run(MlirOperation module, const sp_pass_args *args);
int sp_canonicalize_run(MlirOperation module, const sp_pass_args *args);
int sp_recalibrate_bn_run(MlirOperation module, const sp_pass_args *args);
int sp_finetune_run(MlirOperation module, const sp_pass_args *args);
int sp_sensitivity_run(MlirOperation module, const sp_pass_args *args);
int sp_latency_table_run(MlirOperation module, const sp_pass_args *args);
int sp_iterative_prune_run(MlirOperation module, const sp_pass_args *args);
int sp_insert_gates_run(MlirOperation module, const sp_pass_args *args);
int sp_sparsify_run(MlirOperation module, const sp_pass_args *args);
int sp_convert_nn_to_tosa_run(MlirOperation module, const sp_pass_args *args);
int sp_convert_tosa_to_nn_run(MlirOperation module, const sp_pass_args *args);

#endif
