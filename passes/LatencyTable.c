/* sp-latency-table{json=FILE ratios=... runs=N batch=B threads=T}: what each
 * prunable group's width costs in time on this machine. For every group and
 * ratio the model is shrunk in that group alone (its first units kept: only
 * the count matters to the kernels) and timed with sp_runtime (median of
 * runs after two warm-ups, zeros as inputs); the table is what
 * sp-prune{cost=latency table=FILE} allocates by (prune_latency.c):
 *
 *   {"base_ms": 1.9, "runs": 20, "batch": 1, "threads": 1,
 *    "ratios": [0.125, ...],
 *    "groups": [{"id": 0, "name": "conv1.weight", "units": 16,
 *                "dropped": [2, ...], "ms": [1.85, ...]}, ...]} */
#include <stdlib.h>
#include <string.h>

#include "latency.h"
#include "prune_internal.h"
#include "sp/passes.h"
#include "sp/progress.h"

#define PASS "sp-latency-table"
#define MAX_RATIOS 64

/* The latency of module with group `id` shrunk to its first units - drop
 * units (a clone: module stays as it is). */
static int time_variant(MlirOperation module, size_t id, int64_t drop, int runs, int64_t batch,
                        int threads, double *ms) {
  MlirOperation clone = mlirOperationClone(module);
  int rc = 0;
  if (drop > 0) {
    sp_groups *g = sp_groups_analyze(clone);
    if (!g || id >= g->num_groups) {
      if (g)
        sp_emit_error(module, PASS ": the clone of the module has other groups");
      rc = -1;
    } else {
      unsigned char **keep = calloc(g->num_groups + 1, sizeof *keep);
      keep[id] = calloc((size_t)g->groups[id].units, 1);
      memset(keep[id], 1, (size_t)(g->groups[id].units - drop));
      rc = sp_prune_rewrite(g, keep, 0);
      free(keep[id]);
      free(keep);
    }
    sp_groups_free(g);
  }
  if (!rc)
    rc = sp_latency_measure(clone, PASS, runs, batch, threads, ms);
  mlirOperationDestroy(clone);
  return rc;
}

int sp_latency_table_run(MlirOperation module, const sp_pass_args *args) {
  const char *json = sp_pass_arg_string(args, "json");
  int runs = (int)sp_pass_arg_int(args, "runs"), threads = (int)sp_pass_arg_int(args, "threads");
  int64_t batch = sp_pass_arg_int(args, "batch");
  double ratios[MAX_RATIOS];
  size_t n_ratios = 0;
  if (!json || !*json) {
    sp_emit_error(module, PASS ": writes nothing without json=FILE");
    return -1;
  }
  if (sp_parse_ratios(module, PASS, sp_pass_arg_string(args, "ratios"), ratios, MAX_RATIOS,
                      &n_ratios))
    return -1;
  sp_groups *g = sp_groups_analyze(module);
  if (!g)
    return -1;
  double **ms = calloc(g->num_groups + 1, sizeof *ms), base = 0;
  size_t total = 0, done = 0;
  for (size_t id = 0; id < g->num_groups; ++id)
    total += sp_group_prunable(&g->groups[id]) ? n_ratios : 0;
  int rc = 0;
  if (!total) {
    sp_emit_error(module, PASS ": nothing is prunable (every group is pinned; see "
                          "sp-dependency-groups{dump=-})");
    rc = -1;
  }
  sp_progress bar;
  sp_progress_start(&bar, PASS ": timings", (int64_t)total, sp_pass_arg_bool(args, "quiet"));
  if (!rc)
    rc = time_variant(module, 0, 0, runs, batch, threads, &base);
  for (size_t id = 0; id < g->num_groups && !rc; ++id) {
    const sp_group_info *gi = &g->groups[id];
    if (!sp_group_prunable(gi))
      continue;
    ms[id] = calloc(n_ratios, sizeof **ms);
    for (size_t r = 0; r < n_ratios && !rc; ++r) {
      rc = time_variant(module, id, sp_units_dropped(gi, ratios[r]), runs, batch, threads,
                        &ms[id][r]);
      char detail[64];
      snprintf(detail, sizeof detail, "group %zu, ratio %.3f", id, ratios[r]);
      sp_progress_update(&bar, (int64_t)++done, detail);
    }
  }
  sp_progress_finish(&bar);
  sp_output out = {0};
  FILE *f = rc ? NULL : sp_pass_output_open(module, PASS, &out, json, stdout);
  if (f) {
    fprintf(f, "{\n  \"base_ms\": %.6g, \"runs\": %d, \"batch\": %lld, \"threads\": %d,\n"
               "  \"ratios\": [",
            base, runs, (long long)batch, threads);
    for (size_t r = 0; r < n_ratios; ++r)
      fprintf(f, "%s%.9g", r ? ", " : "", ratios[r]);
    fprintf(f, "],\n  \"groups\": [");
    int first = 1;
    for (size_t id = 0; id < g->num_groups; ++id) {
      if (!ms[id])
        continue;
      char name[256];
      sp_group_name(&g->groups[id], name, sizeof name);
      fprintf(f, "%s\n    {\"id\": %zu, \"name\": ", first ? "" : ",", id);
      sp_json_string(f, name);
      fprintf(f, ", \"units\": %lld,\n     \"dropped\": [", (long long)g->groups[id].units);
      for (size_t r = 0; r < n_ratios; ++r)
        fprintf(f, "%s%lld", r ? ", " : "",
                (long long)sp_units_dropped(&g->groups[id], ratios[r]));
      fprintf(f, "],\n     \"ms\": [");
      for (size_t r = 0; r < n_ratios; ++r)
        fprintf(f, "%s%.6g", r ? ", " : "", ms[id][r]);
      fprintf(f, "]}");
      first = 0;
    }
    fprintf(f, "\n  ]\n}\n");
    rc = sp_pass_output_close(module, PASS, &out);
  } else if (!rc) {
    rc = -1;
  }
  for (size_t id = 0; id < g->num_groups; ++id)
    free(ms[id]);
  free(ms);
  sp_groups_free(g);
  return rc ? -1 : 0;
}
