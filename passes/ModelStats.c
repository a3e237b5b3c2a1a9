/* sp-model-stats: parameters and MACs per op, per op type and in total.
 *
 * MACs count multiply-accumulates of the contractions (Conv, ConvTranspose,
 * Gemm, MatMul, Einsum), as fvcore and thop count conv and linear layers;
 * elementwise ops, norms and pools count 0. A dynamic dimension (batch)
 * counts as 1, and the table says how many contractions had one (import with
 * --dim batch=1 to make every shape static, e.g. attention's batch*heads). Parameters are the elements of floating-point initializers,
 * each counted once at its first user, except BatchNormalization's running
 * mean and variance (buffers, not parameters). */
#include <cjson/cJSON.h>
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp/dialect.h"
#include "sp/hashmap.h"
#include "sp/passes.h"

typedef struct op_stats {
  char *name;    /* ONNX node name or location */
  char type[64]; /* ONNX op type */
  char *shape;   /* first result type */
  int64_t params, macs;
  int dynamic; /* a contraction with a dynamic dim (counted as 1) */
} op_stats;

typedef struct type_stats {
  char type[64];
  int64_t count, params, macs;
} type_stats;

static int64_t dim(MlirType t, intptr_t i) {
  int64_t d = mlirShapedTypeGetDimSize(t, i);
  return mlirShapedTypeIsDynamicSize(d) ? 1 : d;
}

static int ranked(MlirType t) {
  return mlirTypeIsATensor(t) && mlirShapedTypeHasRank(t);
}

static int64_t numel(MlirType t) {
  if (!ranked(t))
    return 0;
  int64_t n = 1;
  for (intptr_t i = 0; i < mlirShapedTypeGetRank(t); ++i)
    n *= dim(t, i);
  return n;
}

static int type_is_dynamic(MlirType t) {
  if (!ranked(t))
    return mlirTypeIsATensor(t);
  for (intptr_t i = 0; i < mlirShapedTypeGetRank(t); ++i)
    if (mlirShapedTypeIsDynamicSize(mlirShapedTypeGetDimSize(t, i)))
      return 1;
  return 0;
}

// True if a dynamic dim (counted as 1) entered op's MAC count.
static int has_dynamic_dim(MlirOperation op) {
  for (intptr_t i = 0; i < mlirOperationGetNumOperands(op); ++i)
    if (type_is_dynamic(mlirValueGetType(mlirOperationGetOperand(op, i))))
      return 1;
  for (intptr_t i = 0; i < mlirOperationGetNumResults(op); ++i)
    if (type_is_dynamic(mlirValueGetType(mlirOperationGetResult(op, i))))
      return 1;
  return 0;
}

static int is_initializer(MlirValue v) {
  if (!mlirValueIsAOpResult(v))
    return 0;
  MlirStringRef n = mlirIdentifierStr(mlirOperationGetName(mlirOpResultGetOwner(v)));
  return n.length == 14 && strncmp(n.data, "nn.Initializer", 14) == 0;
}

int64_t sp_op_params(MlirOperation op, const char *type, sp_map *counted) {
  int64_t params = 0;
  int is_bn = strcmp(type, "BatchNormalization") == 0;
  for (intptr_t i = 0; i < mlirOperationGetNumOperands(op); ++i) {
    MlirValue v = mlirOperationGetOperand(op, i);
    if (!is_initializer(v) || sp_map_get_ptr(counted, v.ptr, NULL))
      continue;
    sp_map_put_ptr(counted, v.ptr, (void *)1);
    if (is_bn && (i == 3 || i == 4))
      continue; // running statistics are buffers
    MlirType t = mlirValueGetType(v);
    if (ranked(t) && mlirTypeIsAFloat(mlirShapedTypeGetElementType(t)))
      params += numel(t);
  }
  return params;
}

// The ONNX op type of an nn.<Type> or onnx.<Type> op.
static void op_type_of(MlirOperation op, char *type, size_t n) {
  MlirStringRef full = mlirIdentifierStr(mlirOperationGetName(op));
  size_t skip = 0;
  if (full.length > 3 && strncmp(full.data, "nn.", 3) == 0)
    skip = 3;
  else if (full.length > 5 && strncmp(full.data, "onnx.", 5) == 0)
    skip = 5;
  snprintf(type, n, "%.*s", (int)(full.length - skip), full.data + skip);
}

static type_stats *type_entry(type_stats *types, size_t *n, const char *type) {
  for (size_t i = 0; i < *n; ++i)
    if (strcmp(types[i].type, type) == 0)
      return &types[i];
  type_stats *t = &types[(*n)++];
  memset(t, 0, sizeof *t);
  snprintf(t->type, sizeof t->type, "%s", type);
  return t;
}

static int compare_types(const void *a, const void *b) {
  return strcmp(((const type_stats *)a)->type, ((const type_stats *)b)->type);
}

static void print_count(FILE *out, int64_t v) {
  if (v >= 1000000000)
    fprintf(out, "%10.3fG", (double)v / 1e9);
  else if (v >= 1000000)
    fprintf(out, "%10.3fM", (double)v / 1e6);
  else if (v >= 1000)
    fprintf(out, "%10.3fK", (double)v / 1e3);
  else
    fprintf(out, "%11lld", (long long)v);
}

static void write_table(FILE *out, const op_stats *ops, size_t n_ops, const type_stats *types,
                        size_t n_types, int per_op, int64_t params, int64_t macs, int n_dynamic) {
  if (per_op) {
    fprintf(out, "%-40s %-20s %11s %11s  %s\n", "node", "op", "params", "MACs", "result");
    for (size_t i = 0; i < n_ops; ++i) {
      fprintf(out, "%-40.40s %-20.20s ", ops[i].name, ops[i].type);
      print_count(out, ops[i].params);
      fputc(' ', out);
      print_count(out, ops[i].macs);
      fprintf(out, "  %s\n", ops[i].shape);
    }
    fputc('\n', out);
  }
  fprintf(out, "%-24s %7s %11s %11s\n", "op type", "count", "params", "MACs");
  for (size_t i = 0; i < n_types; ++i) {
    fprintf(out, "%-24.24s %7lld ", types[i].type, (long long)types[i].count);
    print_count(out, types[i].params);
    fputc(' ', out);
    print_count(out, types[i].macs);
    fputc('\n', out);
  }
  fprintf(out, "%-24s %7zu ", "total", n_ops);
  print_count(out, params);
  fputc(' ', out);
  print_count(out, macs);
  fprintf(out, "\n(exact: %lld parameters, %lld MACs)\n", (long long)params, (long long)macs);
  if (n_dynamic)
    fprintf(out,
            "(%d contractions have dynamic dims, each counted as 1; import with "
            "--dim NAME=VALUE for exact MACs)\n",
            n_dynamic);
}

static char *json_text(const op_stats *ops, size_t n_ops, const type_stats *types,
                       size_t n_types, int64_t params, int64_t macs, int n_dynamic) {
  cJSON *root = cJSON_CreateObject();
  cJSON *total = cJSON_AddObjectToObject(root, "total");
  cJSON_AddNumberToObject(total, "params", (double)params);
  cJSON_AddNumberToObject(total, "macs", (double)macs);
  cJSON_AddNumberToObject(total, "ops", (double)n_ops);
  cJSON_AddNumberToObject(total, "dynamic_contractions", (double)n_dynamic);
  cJSON *by_type = cJSON_AddObjectToObject(root, "by_type");
  for (size_t i = 0; i < n_types; ++i) {
    cJSON *t = cJSON_AddObjectToObject(by_type, types[i].type);
    cJSON_AddNumberToObject(t, "count", (double)types[i].count);
    cJSON_AddNumberToObject(t, "params", (double)types[i].params);
    cJSON_AddNumberToObject(t, "macs", (double)types[i].macs);
  }
  cJSON *list = cJSON_AddArrayToObject(root, "ops");
  for (size_t i = 0; i < n_ops; ++i) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", ops[i].name);
    cJSON_AddStringToObject(o, "type", ops[i].type);
    cJSON_AddStringToObject(o, "result", ops[i].shape);
    cJSON_AddNumberToObject(o, "params", (double)ops[i].params);
    cJSON_AddNumberToObject(o, "macs", (double)ops[i].macs);
    cJSON_AddItemToArray(list, o);
  }
  char *text = cJSON_Print(root);
  cJSON_Delete(root);
  return text;
}

static int write_output(MlirOperation module, const char *path, FILE *dflt, const char *text,
                        const op_stats *ops, size_t n_ops, const type_stats *types,
                        size_t n_types, int per_op, int64_t params, int64_t macs,
                        int n_dynamic) {
  sp_output o;
  FILE *out = sp_pass_output_open(module, "sp-model-stats", &o, path, dflt);
  if (!out)
    return -1;
  if (text)
    fprintf(out, "%s\n", text);
  else
    write_table(out, ops, n_ops, types, n_types, per_op, params, macs, n_dynamic);
  return sp_pass_output_close(module, "sp-model-stats", &o);
}

int sp_model_stats_run(MlirOperation module, const sp_pass_args *args) {
  MlirOperation fn = sp_find_main(module);
  if (mlirOperationIsNull(fn)) {
    sp_emit_error(module, "sp-model-stats: module has no func.func");
    return -1;
  }
  MlirBlock body = mlirRegionGetFirstBlock(mlirOperationGetRegion(fn, 0));
  size_t cap = 256, n_ops = 0, n_types = 0;
  op_stats *ops = malloc(cap * sizeof *ops);
  type_stats types[512];
  sp_map counted;
  sp_map_init(&counted);
  int64_t params = 0, macs = 0;
  int n_dynamic = 0, overflow = 0;
  for (MlirOperation op = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    char type[64];
    op_type_of(op, type, sizeof type);
    if (!strcmp(type, "Initializer") || !strcmp(type, "None") || !strcmp(type, "func.return") ||
        !strcmp(type, "return"))
      continue;
    if (n_ops == cap)
      ops = realloc(ops, (cap *= 2) * sizeof *ops);
    op_stats *s = &ops[n_ops++];
    snprintf(s->type, sizeof s->type, "%s", type);
    s->name = sp_location_name(mlirOperationGetLocation(op), NULL);
    if (!s->name)
      s->name = strdup("?");
    s->shape = mlirOperationGetNumResults(op)
                   ? sp_print_type(mlirValueGetType(mlirOperationGetResult(op, 0)))
                   : strdup("");
    s->params = sp_op_params(op, type, &counted);
    s->macs = sp_op_macs(op, type, sp_type_dim, NULL);
    if (s->macs < 0 || __builtin_add_overflow(macs, s->macs, &macs) ||
        __builtin_add_overflow(params, s->params, &params)) {
      sp_emit_error(op, "sp-model-stats: %s of this %s (result %s) does not fit in int64",
                    s->macs < 0 ? "the MAC count" : "the running total of MACs or parameters",
                    type, s->shape);
      overflow = 1;
      break;
    }
    s->dynamic = s->macs && has_dynamic_dim(op);
    n_dynamic += s->dynamic;
    if (n_types < sizeof types / sizeof types[0]) {
      type_stats *t = type_entry(types, &n_types, type);
      t->count++;
      t->params += s->params;
      t->macs += s->macs;
    }
  }
  // Alphabetical per-type rows: stable output for diffs and tests.
  qsort(types, n_types, sizeof types[0], compare_types);
  int rc = overflow;
  int per_op = sp_pass_arg_bool(args, "per-op");
  const char *table = sp_pass_arg_string(args, "table");
  if (table && strcmp(table, "none") != 0 && !overflow)
    rc |= write_output(module, table, stderr, NULL, ops, n_ops, types, n_types, per_op, params,
                       macs, n_dynamic);
  const char *json = sp_pass_arg_string(args, "json");
  if (json && !overflow) {
    char *text = json_text(ops, n_ops, types, n_types, params, macs, n_dynamic);
    rc |= write_output(module, json, stdout, text, ops, n_ops, types, n_types, per_op, params,
                       macs, n_dynamic);
    free(text);
  }
  for (size_t i = 0; i < n_ops; ++i) {
    free(ops[i].name);
    free(ops[i].shape);
  }
  free(ops);
  sp_map_free(&counted);
  return rc ? -1 : 0;
}
