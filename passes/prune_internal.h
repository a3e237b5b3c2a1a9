/* Internals of sp-prune shared by Prune.c (decisions) and prune_rewrite.c. */
#ifndef SP_PRUNE_INTERNAL_H
#define SP_PRUNE_INTERNAL_H

#include <stdio.h>

#include "calibration.h"
#include "sp/groups.h"

/* Slices (mask = 0) or zeroes (mask = 1) every member of every group with a
 * keep array (keep[id][unit] = 1 to keep; NULL = untouched), and in shrink
 * mode rewrites types, Reshape targets, Slice bounds, Split sizes and the
 * `group` of depthwise convs. Emits errors at ops; 0 or -1. */
int sp_prune_rewrite(sp_groups *g, unsigned char *const *keep, int mask);

/* Removes the `count` least important residual blocks (prune_layers.c),
 * scored on calibration data when `calibration` names a directory, else by
 * weights; records the scores in `sp.block_importance` and the removed Add
 * nodes in `sp.dropped_blocks`. 0 or -1 (error emitted). */
int sp_prune_drop_layers(MlirOperation module, long count, const char *calibration);

/* sp-prune{drop-layers=auto}: the number of blocks to drop, with width cut
 * to meet target-macs, chosen by the outputs on calibration= data; then
 * sp_prune_run with that count. 0 or -1 (error emitted). */
struct sp_pass_args;
int sp_prune_depth_width(MlirOperation module, const struct sp_pass_args *args);

/* sp-prune{cost=latency}: keep[id] for every group the greedy allocation by
 * the sp-latency-table{json=} file `path` prunes, until the predicted time
 * is at most target (<= 1: a fraction of the table's base_ms; else ms);
 * max_drop[id] < 1 leaves a group whole. Records sp.predicted_latency_ms =
 * [predicted, base] on the module. 0 or -1 (error emitted). */
int sp_prune_allocate_latency(sp_groups *g, double **scores, const int64_t *max_drop,
                              const char *path, double target, unsigned char **keep);

/* Scores per group (sp-prune's): sp.importance when it matches the groups,
 * else L2 with mean reduction. Free with sp_importance_free. */
double **sp_prune_load_scores(sp_groups *g);

/* A keep array of gi's units without the `drop` lowest-scored (ties: lower
 * index first); malloc'ed. */
unsigned char *sp_prune_keep_lowest(const sp_group_info *gi, const double *scores,
                                    int64_t drop);

/* Helpers of the per-group tables (Sensitivity.c; sp-latency-table too). */
/* "r1,r2,...": at most max increasing numbers in [0, 1) into ratios[*n]. 0,
 * or -1 with one error (prefixed by pass) emitted at module. */
int sp_parse_ratios(MlirOperation module, const char *pass, const char *text, double *ratios,
                    size_t max, size_t *n);
/* Units the group loses at ratio, as sp-prune (never all). */
int64_t sp_units_dropped(const sp_group_info *gi, double ratio);
/* The group's name in tables: its first weight member's value name. */
void sp_group_name(const sp_group_info *gi, char *buf, size_t n);
/* Writes s as a JSON string (names are ONNX names: escape what JSON needs). */
void sp_json_string(FILE *f, const char *s);

#endif
