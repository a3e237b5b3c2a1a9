/* sp-dependency-groups: runs the group analysis (groups.c, coupling.c) and
 * writes what it found where FileCheck and people can see it:
 *   - `sp.groups` on every op whose results hold channels of a group:
 *     one array per result of segments `array<i64: dim, group, start, units, block>`;
 *   - `sp.group_table` on the module: one dictionary per group
 *     {id, units, pinned, reason, reduced, head, members};
 *   - dump=FILE: the table as text, one line per member; dot=FILE: Graphviz;
 *   - export=FILE: every group and member slice as JSON (docs/pruning.md). */
#include <cjson/cJSON.h>
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp/dialect.h"
#include "sp/groups.h"
#include "sp/passes.h"

/* A printable name of v: its ONNX name, else its op's location, else %argN. */
void sp_groups_value_name(const sp_value_info *v, char *buf, size_t n) {
  if (mlirValueIsAOpResult(v->value)) {
    MlirOperation op = mlirOpResultGetOwner(v->value);
    size_t len = 0;
    const char *name = sp_op_result_name(op, mlirOpResultGetResultNumber(v->value), &len);
    if (name && len) {
      snprintf(buf, n, "%.*s", (int)len, name);
      return;
    }
    char *loc = sp_location_name(mlirOperationGetLocation(op), NULL);
    snprintf(buf, n, "%s#%ld", loc ? loc : "?", (long)mlirOpResultGetResultNumber(v->value));
    free(loc);
    return;
  }
  snprintf(buf, n, "%%arg%ld", (long)mlirBlockArgumentGetArgNumber(v->value));
}

static MlirAttribute segment_attr(MlirContext ctx, int dim, const sp_group_info *gi, int32_t id,
                                  const sp_segment *s) {
  int64_t vals[5] = {dim, id, s->start, gi->units, s->channels / gi->units};
  return mlirDenseI64ArrayGet(ctx, 5, vals);
}

static void annotate_ops(sp_groups *g) {
  MlirContext ctx = mlirOperationGetContext(g->module);
  MlirBlock body = mlirRegionGetFirstBlock(mlirOperationGetRegion(g->func, 0));
  size_t cap = 64;
  MlirAttribute *segs = malloc(cap * sizeof *segs);
  MlirAttribute per_result[64];
  for (MlirOperation op = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    intptr_t nr = mlirOperationGetNumResults(op);
    if (nr == 0 || nr > 64)
      continue;
    int any = 0;
    for (intptr_t r = 0; r < nr; ++r) {
      sp_value_info *v = sp_groups_value(g, mlirOperationGetResult(op, r));
      size_t n = 0;
      for (int d = 0; v && d < v->rank; ++d)
        for (int32_t s = 0; s < v->dims[d].n; ++s) {
          const sp_group_info *gi = sp_groups_of_segment(g, &v->dims[d].segs[s]);
          if (!gi)
            continue;
          if (n == cap)
            segs = realloc(segs, (cap *= 2) * sizeof *segs);
          segs[n++] = segment_attr(ctx, d, gi, (int32_t)(gi - g->groups), &v->dims[d].segs[s]);
        }
      any |= n > 0;
      per_result[r] = mlirArrayAttrGet(ctx, (intptr_t)n, segs);
    }
    if (any)
      mlirOperationSetDiscardableAttributeByName(op, sp_str("sp.groups"),
                                                 mlirArrayAttrGet(ctx, nr, per_result));
    else
      mlirOperationRemoveDiscardableAttributeByName(op, sp_str("sp.groups"));
  }
  free(segs);
}

static void annotate_module(sp_groups *g) {
  MlirContext ctx = mlirOperationGetContext(g->module);
  MlirAttribute *rows = malloc((g->num_groups + 1) * sizeof *rows);
  MlirType i64 = mlirIntegerTypeGet(ctx, 64);
  for (size_t i = 0; i < g->num_groups; ++i) {
    const sp_group_info *gi = &g->groups[i];
    MlirNamedAttribute f[7] = {
        sp_named(ctx, "id", mlirIntegerAttrGet(i64, (int64_t)i)),
        sp_named(ctx, "units", mlirIntegerAttrGet(i64, gi->units)),
        sp_named(ctx, "pinned", mlirBoolAttrGet(ctx, gi->pinned)),
        sp_named(ctx, "reason", mlirStringAttrGet(ctx, sp_str(gi->pinned && gi->reason ? gi->reason : ""))),
        sp_named(ctx, "reduced", mlirBoolAttrGet(ctx, gi->reduced)),
        sp_named(ctx, "head", mlirBoolAttrGet(ctx, gi->head)),
        sp_named(ctx, "members", mlirIntegerAttrGet(i64, (int64_t)gi->num_members)),
    };
    rows[i] = mlirDictionaryAttrGet(ctx, 7, f);
  }
  mlirOperationSetDiscardableAttributeByName(
      g->module, sp_str("sp.group_table"), mlirArrayAttrGet(ctx, (intptr_t)g->num_groups, rows));
  free(rows);
}

void sp_groups_dump_text(sp_groups *g, FILE *out) {
  size_t prunable = 0;
  for (size_t i = 0; i < g->num_groups; ++i)
    prunable += sp_group_prunable(&g->groups[i]);
  fprintf(out, "%zu groups, %zu prunable\n", g->num_groups, prunable);
  char name[256];
  for (size_t i = 0; i < g->num_groups; ++i) {
    const sp_group_info *gi = &g->groups[i];
    fprintf(out, "group %zu: %lld units%s%s%s%s%s%s\n", i, (long long)gi->units,
            gi->head ? " (heads)" : "", gi->pinned ? ", pinned: " : "",
            gi->pinned && gi->reason ? gi->reason : "", gi->reduced ? ", reduced by " : "",
            gi->reduced && gi->reduced_by ? gi->reduced_by : "",
            sp_group_prunable(gi) ? "" : (gi->pinned ? "" : ", not prunable"));
    for (size_t m = 0; m < gi->num_members; ++m) {
      const sp_member *mb = &gi->members[m];
      sp_groups_value_name(mb->value, name, sizeof name);
      fprintf(out, "  %s dim %d [%lld, %lld) block %lld%s\n", name, mb->dim,
              (long long)mb->start, (long long)(mb->start + mb->channels),
              (long long)(mb->channels / gi->units), mb->value->is_weight ? " weight" : "");
    }
  }
}

static void dump_dot(sp_groups *g, FILE *out) {
  char name[256];
  fprintf(out, "digraph groups {\n  rankdir=LR;\n  node [fontsize=10];\n");
  for (size_t i = 0; i < g->num_groups; ++i) {
    const sp_group_info *gi = &g->groups[i];
    fprintf(out, "  g%zu [shape=box,style=filled,fillcolor=\"%s\",label=\"group %zu\\n%lld units%s\"];\n",
            i, gi->pinned ? "lightgray" : "lightblue", i, (long long)gi->units,
            gi->pinned ? "\\npinned" : "");
    for (size_t m = 0; m < gi->num_members; ++m) {
      const sp_member *mb = &gi->members[m];
      sp_groups_value_name(mb->value, name, sizeof name);
      for (char *c = name; *c; ++c)
        if (*c == '"' || *c == '\\')
          *c = '_';
      fprintf(out, "  g%zu -> \"%s\" [label=\"dim %d [%lld,+%lld)\"];\n", i, name, mb->dim,
              (long long)mb->start, (long long)mb->channels);
    }
  }
  fprintf(out, "}\n");
}

/* What a member tensor is: a weight the model stores (initializer or
 * constant) or an activation. */
static const char *member_kind(const sp_value_info *v) {
  char type[64];
  if (mlirOperationIsNull(v->owner))
    return "value";
  sp_op_type(v->owner, type, sizeof type);
  if (!strcmp(type, "Initializer"))
    return "initializer";
  return !strcmp(type, "Constant") ? "constant" : "value";
}

/* Appends cJSON's one-line text of item (deleted) and then tail to f. */
static int put_json(FILE *f, cJSON *item, const char *tail) {
  char *text = item ? cJSON_PrintUnformatted(item) : NULL;
  cJSON_Delete(item);
  if (!text)
    return -1;
  fputs(text, f);
  fputs(tail, f);
  free(text);
  return 0;
}

/* The groups as JSON, one line per group header and per member: unit u of
 * a member is indices [start + u*block, start + (u+1)*block) along axis
 * (the slices sp-prune removes or zeroes). -1 when out of memory. */
static int export_json(sp_groups *g, FILE *f) {
  char name[256];
  int rc = 0;
  fputs("{\"version\": 1, \"groups\": [\n", f);
  for (size_t i = 0; i < g->num_groups && !rc; ++i) {
    const sp_group_info *gi = &g->groups[i];
    cJSON *row = cJSON_CreateObject();
    cJSON_AddNumberToObject(row, "id", (double)i);
    cJSON_AddNumberToObject(row, "units", (double)gi->units);
    cJSON_AddBoolToObject(row, "prunable", sp_group_prunable(gi));
    cJSON_AddBoolToObject(row, "pinned", gi->pinned);
    cJSON_AddStringToObject(row, "reason", gi->pinned && gi->reason ? gi->reason : "");
    cJSON_AddBoolToObject(row, "head", gi->head);
    cJSON_AddBoolToObject(row, "reduced", gi->reduced);
    char *head = cJSON_PrintUnformatted(row);
    cJSON_Delete(row);
    if (!head)
      return -1;
    head[strlen(head) - 1] = 0; /* reopen the object for "members" */
    fprintf(f, " %s, \"members\": [\n", head);
    free(head);
    for (size_t m = 0; m < gi->num_members && !rc; ++m) {
      const sp_member *mb = &gi->members[m];
      const sp_value_info *v = mb->value;
      cJSON *member = cJSON_CreateObject();
      sp_groups_value_name(v, name, sizeof name);
      cJSON_AddStringToObject(member, "tensor", name);
      cJSON_AddStringToObject(member, "kind", member_kind(v));
      cJSON_AddBoolToObject(member, "stat", v->is_stat);
      cJSON *shape = cJSON_AddArrayToObject(member, "shape");
      MlirType t = mlirValueGetType(v->value);
      for (int d = 0; d < v->rank; ++d) {
        int64_t s = mlirShapedTypeGetDimSize(t, d);
        cJSON_AddItemToArray(shape,
                             cJSON_CreateNumber(mlirShapedTypeIsDynamicSize(s) ? -1 : (double)s));
      }
      cJSON_AddNumberToObject(member, "axis", mb->dim);
      cJSON_AddNumberToObject(member, "start", (double)mb->start);
      cJSON_AddNumberToObject(member, "channels", (double)mb->channels);
      cJSON_AddNumberToObject(member, "block", (double)(mb->channels / gi->units));
      fputs("  ", f);
      rc = put_json(f, member, m + 1 < gi->num_members ? ",\n" : "");
    }
    fputs(i + 1 < g->num_groups ? "]},\n" : "]}\n", f);
  }
  fputs("]}\n", f);
  return rc;
}

int sp_dependency_groups_run(MlirOperation module, const sp_pass_args *args) {
  sp_groups *g = sp_groups_analyze(module);
  if (!g)
    return -1;
  annotate_ops(g);
  annotate_module(g);
  int rc = 0;
  const char *dump = sp_pass_arg_string(args, "dump");
  sp_output out;
  if (dump) {
    FILE *f = sp_pass_output_open(module, "sp-dependency-groups", &out, dump, stdout);
    if (f) {
      sp_groups_dump_text(g, f);
      rc |= sp_pass_output_close(module, "sp-dependency-groups", &out);
    } else {
      rc = -1;
    }
  }
  const char *dot = sp_pass_arg_string(args, "dot");
  if (dot) {
    FILE *f = sp_pass_output_open(module, "sp-dependency-groups", &out, dot, stdout);
    if (f) {
      dump_dot(g, f);
      rc |= sp_pass_output_close(module, "sp-dependency-groups", &out);
    } else {
      rc = -1;
    }
  }
  const char *export_path = sp_pass_arg_string(args, "export");
  if (export_path) {
    FILE *f = sp_pass_output_open(module, "sp-dependency-groups", &out, export_path, stdout);
    if (f && export_json(g, f)) {
      sp_emit_error(module, "sp-dependency-groups: out of memory writing export=");
      sp_output_discard(&out);
      rc = -1;
    } else if (f) {
      rc |= sp_pass_output_close(module, "sp-dependency-groups", &out);
    } else {
      rc = -1;
    }
  }
  sp_groups_free(g);
  return rc;
}
