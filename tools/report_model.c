/* sp-report: what a model holds, read through the nn dialect: the layers
 * whose output channels pruning narrows, parameters and MACs as
 * sp-model-stats counts them, and (before pruning) the dependency groups. */
#include <mlir-c/BuiltinTypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "sp/dialect.h"
#include "sp/groups.h"
#include "sp/passes.h"
#include "tool_common.h"

static int is_contraction(const char *type) {
  return !strcmp(type, "Conv") || !strcmp(type, "ConvTranspose") || !strcmp(type, "Gemm") ||
         !strcmp(type, "MatMul");
}

static int is_weight(MlirValue v) {
  if (!mlirValueIsAOpResult(v))
    return 0;
  char type[64];
  sp_op_type(mlirOpResultGetOwner(v), type, sizeof type);
  return !strcmp(type, "Initializer") || !strcmp(type, "Constant");
}

/* The dim of a contraction's result that holds its output channels. */
static intptr_t channel_dim(const char *type, MlirValue result) {
  MlirType t = mlirValueGetType(result);
  if (!mlirTypeIsATensor(t) || !mlirShapedTypeHasRank(t) || mlirShapedTypeGetRank(t) < 1)
    return -1;
  return strncmp(type, "Conv", 4) == 0 ? (mlirShapedTypeGetRank(t) > 1 ? 1 : -1)
                                       : mlirShapedTypeGetRank(t) - 1;
}

/* The first prunable group holding the channels of (result, dim), with the
 * channels per unit, or -1. */
static int prunable_group(sp_groups *g, MlirValue result, intptr_t dim, int64_t *block) {
  sp_value_info *v = sp_groups_value(g, result);
  if (!v || dim >= v->rank)
    return -1;
  for (int32_t s = 0; s < v->dims[dim].n; ++s) {
    const sp_group_info *gi = sp_groups_of_segment(g, &v->dims[dim].segs[s]);
    if (gi && sp_group_prunable(gi)) {
      *block = v->dims[dim].segs[s].channels / gi->units;
      return (int)(gi - g->groups);
    }
  }
  return -1;
}

/* Adds "reason (n)" counts of the groups that may not be pruned. */
static void tally_pinned(report_model *m, sp_groups *g) {
  const char *reasons[32];
  size_t counts[32], n = 0;
  for (size_t i = 0; i < g->num_groups; ++i) {
    const sp_group_info *gi = &g->groups[i];
    if (sp_group_prunable(gi))
      continue;
    m->num_pinned++;
    const char *r = gi->pinned && gi->reason && *gi->reason ? gi->reason : "a single unit";
    size_t k = 0;
    while (k < n && strcmp(reasons[k], r))
      ++k;
    if (k == n && n < 32) {
      reasons[n] = r;
      counts[n++] = 0;
    }
    if (k < n)
      counts[k]++;
  }
  size_t used = 0;
  for (size_t k = 0; k < n && used < sizeof m->pinned_reasons; ++k) {
    int w = snprintf(m->pinned_reasons + used, sizeof m->pinned_reasons - used, "%s%s (%zu)",
                     k ? ", " : "", reasons[k], counts[k]);
    used += w > 0 ? (size_t)w : 0;
  }
}

static int collect(MlirOperation module, int with_groups, report_model *m, sp_error *err) {
  MlirOperation fn = sp_find_main(module);
  if (mlirOperationIsNull(fn))
    return sp_error_set(err, "%s: the model has no main function", m->path);
  sp_groups *g = NULL;
  if (with_groups && !(g = sp_groups_analyze(module)))
    return sp_error_set(err, "%s: the dependency-group analysis failed", m->path);
  sp_map counted;
  sp_map_init(&counted);
  size_t cap = 0;
  MlirBlock body = mlirRegionGetFirstBlock(mlirOperationGetRegion(fn, 0));
  for (MlirOperation op = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    char type[64];
    sp_op_type(op, type, sizeof type);
    int64_t params = sp_op_params(op, type, &counted);
    int64_t macs = sp_op_macs(op, type, sp_type_dim, NULL);
    m->params += params;
    m->macs += macs > 0 ? macs : 0;
    if (!is_contraction(type) || mlirOperationGetNumOperands(op) < 2 ||
        mlirOperationGetNumResults(op) < 1 || !is_weight(mlirOperationGetOperand(op, 1)))
      continue;
    MlirValue result = mlirOperationGetResult(op, 0);
    intptr_t dim = channel_dim(type, result);
    if (dim < 0)
      continue;
    if (m->num_layers == cap) {
      cap = cap ? 2 * cap : 32;
      m->layers = realloc(m->layers, cap * sizeof *m->layers);
    }
    report_layer *l = &m->layers[m->num_layers++];
    memset(l, 0, sizeof *l);
    l->name = sp_location_name(mlirOperationGetLocation(op), NULL);
    if (!l->name)
      l->name = strdup("?");
    snprintf(l->type, sizeof l->type, "%s", type);
    l->width = sp_type_dim(NULL, result, dim);
    l->params = params;
    l->macs = macs;
    l->group = g ? prunable_group(g, result, dim, &l->block) : -1;
  }
  sp_map_free(&counted);
  if (g) {
    for (size_t i = 0; i < g->num_groups; ++i)
      if (sp_group_prunable(&g->groups[i]))
        m->num_groups++;
    m->groups = calloc(m->num_groups + 1, sizeof *m->groups);
    size_t k = 0;
    for (size_t i = 0; i < g->num_groups; ++i) {
      const sp_group_info *gi = &g->groups[i];
      if (!sp_group_prunable(gi))
        continue;
      m->groups[k++] = (report_group){(int)i, gi->units, gi->head, gi->num_members};
    }
    tally_pinned(m, g);
    sp_groups_free(g);
  }
  return 0;
}

int report_model_read(const char *path, int with_groups, report_model *m, sp_error *err) {
  memset(m, 0, sizeof *m);
  m->path = path;
  m->latency_ms = m->latency_min_ms = -1;
  MlirContext ctx = sp_context_create(err);
  if (mlirContextIsNull(ctx))
    return -1;
  tool_install_diagnostics(ctx, path);
  sp_onnx_model *model = NULL;
  MlirModule module = {NULL};
  int rc = tool_import_onnx(ctx, path, NULL, &model, &module, err);
  if (!rc)
    rc = collect(mlirModuleGetOperation(module), with_groups, m, err);
  if (!mlirModuleIsNull(module))
    mlirModuleDestroy(module);
  sp_context_destroy(ctx);
  sp_onnx_free(model);
  return rc;
}

void report_model_free(report_model *m) {
  for (size_t i = 0; i < m->num_layers; ++i)
    free(m->layers[i].name);
  free(m->layers);
  free(m->groups);
  memset(m, 0, sizeof *m);
}
