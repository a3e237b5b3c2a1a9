/* The one list of sp passes: names, options, summaries, entry points. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/Diagnostics.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp/dialect.h"
#include "sp/passes.h"

static const sp_pass_option model_stats_options[] = {
    {"json", SP_OPTION_STRING, NULL, NULL, 0, 0, 0,
     "write the statistics as JSON to this file ('-' = stdout)"},
    {"table", SP_OPTION_STRING, "-", NULL, 0, 0, 0,
     "write the table to this file ('-' = stderr, 'none' = no table)"},
    {"per-op", SP_OPTION_BOOL, "false", NULL, 0, 0, 0,
     "list every op in the table, not only totals per op type"},
};

static const sp_pass_option canonicalize_options[] = {
    {"fold-bn", SP_OPTION_BOOL, "false", NULL, 0, 0, 0,
     "fold inference BatchNormalization into the preceding Conv/Gemm"},
    {"fold-gates", SP_OPTION_BOOL, "true", NULL, 0, 0, 0,
     "fold sp-insert-gates' gates into the Conv/Gemm (or inference BN) before them"},
    {"stats", SP_OPTION_STRING, NULL, NULL, 0, 0, 0,
     "write what changed (one line of counts) to this file ('-' = stderr)"},
};

static const sp_pass_option dependency_groups_options[] = {
    {"dump", SP_OPTION_STRING, NULL, NULL, 0, 0, 0,
     "write the group table as text to this file ('-' = stdout)"},
    {"dot", SP_OPTION_STRING, NULL, NULL, 0, 0, 0,
     "write the groups as a Graphviz graph to this file ('-' = stdout)"},
    {"export", SP_OPTION_STRING, NULL, NULL, 0, 0, 0,
     "write every group with its member tensor slices as JSON to this file ('-' = "
     "stdout; sp-train --group-lasso reads it)"},
};

static const sp_pass_option importance_options[] = {
    {"criterion", SP_OPTION_ENUM, "l2",
     "l1|l2|lp|random|bn-scale|fpgm|taylor-weight|fisher|hessian-diag|activation|apoz|taylor|gate",
     0, 0, 0,
     "score of a unit: p-norm of its weight slices, seeded random, |BN scale|, |gate| "
     "(sp-insert-gates), FPGM distance, from gradients on data (sum |w*dL/dw|, "
     "1/2 sum g^2 w^2 with g per batch or per sample, |sum a*dL/da| of its output), or "
     "from its Relu output on calibration data (mean |a|, 1 - share of zeros)"},
    {"p", SP_OPTION_FLOAT, "2", NULL, 0.0625, 64, 0, "the p of criterion=lp"},
    {"seed", SP_OPTION_INT, "0", NULL, 0, 0, 0, "seed of criterion=random"},
    {"reduce", SP_OPTION_ENUM, "mean", "mean|sum|max", 0, 0, 0,
     "how the slices of one unit across the group's weights combine"},
    {"normalize", SP_OPTION_ENUM, "none", "none|mean|max|sum|lamp", 0, 0, 0,
     "scale of the scores within each group (global pruning compares them)"},
    {"calibration", SP_OPTION_STRING, NULL, NULL, 0, 0, 0,
     "taylor/taylor-weight/fisher: a directory of input_N.pb with label_N.pb (int64) pairs; "
     "activation/apoz: input_N.pb (or test_data_set_*/) as sp-recalibrate-bn reads"},
    {"data", SP_OPTION_STRING, NULL, NULL, 0, 0, 0,
     "taylor/taylor-weight/fisher: fashion-mnist[:DIR], the train-* IDX files in DIR (default "
     "/usr/share/datasets/fashion-mnist)"},
    {"limit", SP_OPTION_INT, "0", NULL, 0, 1e15, 0, "use the first this many samples (0: all)"},
    {"batch", SP_OPTION_INT, "64", NULL, 1, 1 << 20, 0,
     "samples per gradient batch (hessian-diag: always 1, g is per sample)"},
    {"labels", SP_OPTION_ENUM, "data", "data|model", 0, 0, 0,
     "gradient criteria: the data's labels, or the arg-max of the model's own outputs "
     "(inference mode; no label files needed)"},
    {"mean", SP_OPTION_FLOAT, "0", NULL, -1e30, 1e30, 0, "data=: pixels become (p/255 - mean) / std"},
    {"std", SP_OPTION_FLOAT, "1", NULL, 1e-30, 1e30, 0, "data=: pixels become (p/255 - mean) / std"},
};

static const sp_pass_option prune_options[] = {
    {"ratio", SP_OPTION_FLOAT, "0.5", NULL, 0, 1, 1,
     "fraction of the units of every group to remove"},
    {"global", SP_OPTION_BOOL, "false", NULL, 0, 0, 0,
     "one threshold over the scores of all groups instead of the same ratio in each"},
    {"per-mac", SP_OPTION_BOOL, "false", NULL, 0, 0, 0,
     "with global: rank units by score / the MACs one unit of their group costs (least "
     "importance per MAC saved goes first)"},
    {"head-ratio", SP_OPTION_FLOAT, NULL, NULL, 0, 1, 1,
     "fraction of the attention heads to remove (default: ratio)"},
    {"round-to", SP_OPTION_INT, "1", NULL, 1, 4096, 0,
     "keep channel counts multiples of this (rounding up)"},
    {"max-ratio", SP_OPTION_FLOAT, "1", NULL, 0, 1, 0,
     "no group loses more than this fraction of its units"},
    {"protect", SP_OPTION_STRING, NULL, NULL, 0, 0, 0,
     "comma-separated node/value names or glob patterns whose groups are kept whole"},
    {"target-macs", SP_OPTION_FLOAT, "0", NULL, 0, 1e18, 0,
     "prune until MACs <= this (<= 1: fraction of the model's MACs; 0: off)"},
    {"mode", SP_OPTION_ENUM, "shrink", "shrink|mask", 0, 0, 0,
     "shrink: remove the units; mask: zero their weights, keep shapes"},
    {"drop-layers", SP_OPTION_STRING, "0", NULL, 0, 0, 0,
     "first remove this many residual blocks, least important first (by calibration "
     "if given, else by weights); auto: with target-macs and calibration, the count whose "
     "depth + width cut keeps the outputs closest"},
    {"calibration", SP_OPTION_STRING, NULL, NULL, 0, 0, 0,
     "drop-layers scores blocks by 1 - cos(input, output) per sample on these inputs: a "
     "directory of input_0.pb, ... (graph-input order) or of test_data_set_*/ subdirectories"},
    {"skip-reduced", SP_OPTION_BOOL, "false", NULL, 0, 0, 0,
     "leave groups that a reduction reads across (LayerNorm, Softmax, ReduceMean over channels)"},
    {"cost", SP_OPTION_ENUM, "macs", "macs|latency", 0, 0, 0,
     "latency: widths chosen by the measured times of table= down to target-latency=, "
     "least importance lost per ms saved first"},
    {"table", SP_OPTION_STRING, NULL, NULL, 0, 0, 0, "cost=latency: an sp-latency-table{json=} file"},
    {"target-latency", SP_OPTION_FLOAT, "0", NULL, 0, 1e12, 0,
     "cost=latency: predicted time to reach (<= 1: a fraction of the table's base_ms; else ms)"},
    {"ratios-from", SP_OPTION_STRING, NULL, NULL, 0, 0, 0,
     "with target-macs: a ratio per group from this sp-sensitivity{json=} table, the least "
     "predicted loss per MAC saved first (greedy)"},
};

static const sp_pass_option latency_table_options[] = {
    {"json", SP_OPTION_STRING, NULL, NULL, 0, 0, 0, "write the table to this file ('-' = stdout)"},
    {"ratios", SP_OPTION_STRING, "0.125,0.25,0.375,0.5,0.625,0.75,0.875", NULL, 0, 0, 0,
     "increasing ratios in [0, 1): each group is timed shrunk by each"},
    {"runs", SP_OPTION_INT, "20", NULL, 1, 100000, 0, "timed runs per variant (the median)"},
    {"batch", SP_OPTION_INT, "1", NULL, 1, 1 << 20, 0, "the batch dim of the timed inputs"},
    {"threads", SP_OPTION_INT, "1", NULL, 0, 4096, 0, "kernel threads (0: the runtime's default)"},
    {"quiet", SP_OPTION_BOOL, "false", NULL, 0, 0, 0, "no progress bar"},
};

static const sp_pass_option recalibrate_bn_options[] = {
    {"calibration", SP_OPTION_STRING, NULL, NULL, 0, 0, 0,
     "inputs to measure on: a directory of input_0.pb, ... (graph-input order) or of "
     "test_data_set_*/ subdirectories"},
    {"rounds", SP_OPTION_INT, "0", NULL, 0, 100000, 0,
     "at most this many runs; BNs deeper than that are measured in the last one "
     "(0: one run per BN level, each after every BN upstream is updated)"},
};

/* sp-finetune's recipe, shared by the passes that fine-tune (sp-iterative-prune). */
#define FINETUNE_RECIPE_OPTIONS \
    {"batch", SP_OPTION_INT, "64", NULL, 1, 1 << 20, 0, "batch size"}, \
    {"lr", SP_OPTION_FLOAT, "0.01", NULL, 0, 1e6, 0, "learning rate"}, \
    {"optimizer", SP_OPTION_ENUM, "sgd", "sgd|adamw", 0, 0, 0, "the optimizer"}, \
    {"momentum", SP_OPTION_FLOAT, "0.9", NULL, 0, 1, 0, "SGD momentum"}, \
    {"nesterov", SP_OPTION_BOOL, "false", NULL, 0, 0, 0, "SGD with Nesterov momentum"}, \
    {"weight-decay", SP_OPTION_FLOAT, "0", NULL, 0, 1e6, 0, \
     "SGD: L2 added to the gradient; AdamW: decoupled"}, \
    {"schedule", SP_OPTION_ENUM, "constant", "constant|step|cosine|one-cycle", 0, 0, 0, \
     "learning-rate schedule (cosine reaches 0 after the last step; one-cycle as " \
     "torch's OneCycleLR)"}, \
    {"pct-start", SP_OPTION_FLOAT, "0.3", NULL, 0, 1, 0, \
     "schedule=one-cycle: share of the steps that raise the learning rate"}, \
    {"teacher", SP_OPTION_STRING, "", NULL, 0, 0, 0, \
     "distil from this ONNX model (typically the unpruned original), run in inference " \
     "mode on each batch"}, \
    {"kd-temp", SP_OPTION_FLOAT, "4", NULL, 1e-6, 1e6, 0, "teacher=: the temperature T"}, \
    {"kd-alpha", SP_OPTION_FLOAT, "0.5", NULL, 0, 1, 0, \
     "teacher=: the weight of T^2 KL(teacher || student) against cross-entropy"}, \
    {"loss", SP_OPTION_ENUM, "xent", "xent|mse", 0, 0, 0, \
     "xent: cross-entropy (with teacher=, mixed with distillation); mse: against the " \
     "teacher's logits, or one-hot labels"}, \
    {"warmup", SP_OPTION_INT, "0", NULL, 0, 1e15, 0, "linear warm-up steps"}, \
    {"step-size", SP_OPTION_INT, "1", NULL, 1, 1e15, 0, "schedule=step: lr * gamma every this many steps"}, \
    {"gamma", SP_OPTION_FLOAT, "0.1", NULL, 0, 1e6, 0, "schedule=step: the factor"}, \
    {"label-smoothing", SP_OPTION_FLOAT, "0", NULL, 0, 1, 0, "of the cross-entropy"}, \
    {"clip-norm", SP_OPTION_FLOAT, "0", NULL, 0, 1e30, 0, \
     "clip gradients to this global L2 norm (0: off)"}, \
    {"gate-l1", SP_OPTION_FLOAT, "0", NULL, 0, 1e6, 0, \
     "add this times sum |g| over the gates of sp-insert-gates (network slimming)"}, \
    {"train-npy", SP_OPTION_STRING, NULL, NULL, 0, 0, 0, \
     "instead of data=: X.npy,Y.npy (X float32 or uint8 (N, ...), Y int64/int32 (N))"}, \
    {"val-npy", SP_OPTION_STRING, NULL, NULL, 0, 0, 0, \
     "with train-npy= or train-dir=: X.npy,Y.npy to evaluate on after each epoch"}, \
    {"train-dir", SP_OPTION_STRING, NULL, NULL, 0, 0, 0, \
     "instead of data=: a folder of input_N.pb/label_N.pb pairs"}, \
    {"val-dir", SP_OPTION_STRING, NULL, NULL, 0, 0, 0, \
     "with train-npy= or train-dir=: an input_N.pb/label_N.pb folder to evaluate on"}, \
    {"mean", SP_OPTION_FLOAT, "0", NULL, -1e30, 1e30, 0, "pixels become (p/255 - mean) / std"}, \
    {"std", SP_OPTION_FLOAT, "1", NULL, 1e-30, 1e30, 0, "pixels become (p/255 - mean) / std"}, \
    {"limit", SP_OPTION_INT, "0", NULL, 0, 1e15, 0, \
     "train on the first this many samples only (0: all)"}, \
    {"seed", SP_OPTION_INT, "1", NULL, 0, 4294967295.0, 0, "shuffling seed"}, \
    {"threads", SP_OPTION_INT, "0", NULL, 0, 4096, 0, "kernel threads (0: all cores)"},

static const sp_pass_option finetune_options[] = {
    {"data", SP_OPTION_STRING, NULL, NULL, 0, 0, 0,
     "fashion-mnist[:DIR]: IDX files in DIR (default /usr/share/datasets/fashion-mnist), "
     "train-* to train on, t10k-* to evaluate after each epoch (or train-npy=/train-dir=)"},
    {"epochs", SP_OPTION_INT, "1", NULL, 1, 100000, 0, "passes over the training set"},
    FINETUNE_RECIPE_OPTIONS
    {"quiet", SP_OPTION_BOOL, "false", NULL, 0, 0, 0, "no line per epoch on stderr"},
};

static const sp_pass_option sensitivity_options[] = {
    {"data", SP_OPTION_STRING, NULL, NULL, 0, 0, 0,
     "fashion-mnist[:DIR]: evaluate on the t10k-* (or split=train: train-*) IDX files in "
     "DIR (default /usr/share/datasets/fashion-mnist)"},
    {"split", SP_OPTION_ENUM, "t10k", "t10k|train", 0, 0, 0,
     "data=: which IDX files (train keeps the test images out of the choice)"},
    {"calibration", SP_OPTION_STRING, NULL, NULL, 0, 0, 0,
     "evaluate on a directory of input_N.pb/label_N.pb pairs instead (taken as they are)"},
    {"limit", SP_OPTION_INT, "500", NULL, 0, 1e15, 0,
     "evaluate on the first this many samples (0: all)"},
    {"batch", SP_OPTION_INT, "100", NULL, 1, 1 << 20, 0, "samples per runtime call"},
    {"mean", SP_OPTION_FLOAT, "0", NULL, -1e30, 1e30, 0, "data=: pixels become (p/255 - mean) / std"},
    {"std", SP_OPTION_FLOAT, "1", NULL, 1e-30, 1e30, 0, "data=: pixels become (p/255 - mean) / std"},
    {"ratios", SP_OPTION_STRING, "0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9", NULL, 0, 0, 0,
     "increasing pruning ratios in [0, 1) to try on every group, comma-separated"},
    {"metric", SP_OPTION_ENUM, "top1", "top1|kl", 0, 0, 0,
     "top1: accuracy against the labels; kl: mean KL divergence from the unpruned "
     "model's softmax outputs"},
    {"json", SP_OPTION_STRING, NULL, NULL, 0, 0, 0,
     "write the table (metric and loss per group and ratio) to this file ('-' = stdout); "
     "sp-prune{ratios-from=} reads it"},
    {"svg", SP_OPTION_STRING, NULL, NULL, 0, 0, 0,
     "write a plot of the metric against the ratio, one curve per group, to this file"},
    {"threads", SP_OPTION_INT, "0", NULL, 0, 4096, 0, "kernel threads (0: all cores)"},
    {"quiet", SP_OPTION_BOOL, "false", NULL, 0, 0, 0, "no progress line per evaluation"},
};

static const sp_pass_option iterative_prune_options[] = {
    {"final-ratio", SP_OPTION_FLOAT, "0.5", NULL, 0, 1, 1,
     "fraction of the units of every group removed after the last step"},
    {"steps", SP_OPTION_INT, "3", NULL, 1, 10000, 0,
     "prune-and-fine-tune steps; step t masks final-ratio * (1 - (1 - t/steps)^3)"},
    {"epochs-per-step", SP_OPTION_INT, "1", NULL, 1, 100000, 0,
     "fine-tuning epochs after each step"},
    {"criterion", SP_OPTION_STRING, "l2", NULL, 0, 0, 0,
     "sp-importance's criterion, re-scored at every step"},
    {"p", SP_OPTION_FLOAT, "2", NULL, 0.0625, 64, 0, "sp-importance's p (criterion=lp)"},
    {"reduce", SP_OPTION_STRING, "mean", NULL, 0, 0, 0, "sp-importance's reduce"},
    {"normalize", SP_OPTION_STRING, "none", NULL, 0, 0, 0, "sp-importance's normalize"},
    {"calibration", SP_OPTION_STRING, NULL, NULL, 0, 0, 0,
     "sp-importance's calibration= (activation/apoz; taylor/taylor-weight/fisher instead "
     "of data=)"},
    {"score-samples", SP_OPTION_INT, "512", NULL, 1, 1e15, 0,
     "taylor/taylor-weight/fisher without calibration=: score on this many training "
     "images of data="},
    {"global", SP_OPTION_BOOL, "false", NULL, 0, 0, 0, "sp-prune's global"},
    {"round-to", SP_OPTION_INT, "1", NULL, 1, 4096, 0, "sp-prune's round-to"},
    {"max-ratio", SP_OPTION_FLOAT, "1", NULL, 0, 1, 0, "sp-prune's max-ratio"},
    {"protect", SP_OPTION_STRING, NULL, NULL, 0, 0, 0, "sp-prune's protect"},
    {"shrink", SP_OPTION_BOOL, "true", NULL, 0, 0, 0,
     "remove the masked units after the last step (false: keep the masked model)"},
    {"data", SP_OPTION_STRING, NULL, NULL, 0, 0, 0,
     "fashion-mnist[:DIR]: IDX files to fine-tune on (train-*) and evaluate (t10k-*)"},
    FINETUNE_RECIPE_OPTIONS
    {"quiet", SP_OPTION_BOOL, "false", NULL, 0, 0, 0, "no line per step on stderr"},
};

static const sp_pass_option insert_gates_options[] = {
    {"init", SP_OPTION_FLOAT, "1", NULL, -1e6, 1e6, 0, "initial value of every gate"},
    {"after-bn", SP_OPTION_BOOL, "true", NULL, 0, 0, 0,
     "gate after the BatchNormalization that is the producer's only user (a gate before a "
     "training-mode BN is undone by its normalization)"},
};

static const sp_pass_option sparsify_options[] = {
    {"pattern", SP_OPTION_ENUM, "2:4", "2:4", 0, 0, 0,
     "keep the n largest |w| of every m consecutive input-channel weights (n:m)"},
    {"permute", SP_OPTION_BOOL, "true", NULL, 0, 0, 0,
     "search an input-channel permutation per group (applied to every member, so outputs "
     "do not change) that keeps more magnitude before masking"},
    {"iterations", SP_OPTION_INT, "10", NULL, 0, 1000000, 0,
     "permute=: passes of the channel-swap search per group"},
    {"mask", SP_OPTION_BOOL, "true", NULL, 0, 0, 0,
     "zero the weights (false: only permute, the model computes the same outputs)"},
    {"report", SP_OPTION_STRING, NULL, NULL, 0, 0, 0,
     "write the kept magnitude with and without the permutation to this file ('-' = stderr)"},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const sp_pass_info registry[] = {
    {"sp-model-stats",
     "Count parameters and MACs (one multiply-add = 1 MAC) per op and in total",
     model_stats_options, COUNT(model_stats_options), sp_model_stats_run},
    {"sp-dependency-groups",
     "Find the channel dims that must shrink together (writes sp.groups, sp.group_table)",
     dependency_groups_options, COUNT(dependency_groups_options), sp_dependency_groups_run},
    {"sp-importance", "Score every unit of every prunable group (writes sp.importance)",
     importance_options, COUNT(importance_options), sp_importance_run},
    {"sp-prune", "Remove (or zero) the least important units of every group and rewrite the model",
     prune_options, COUNT(prune_options), sp_prune_run},
    {"sp-canonicalize",
     "Fold static shape arithmetic, remove dead ops, identities and zero-width channels",
     canonicalize_options, COUNT(canonicalize_options), sp_canonicalize_run},
    {"sp-recalibrate-bn",
     "Recompute every BatchNormalization's running mean and variance on calibration data "
     "(adaptive BN after pruning)",
     recalibrate_bn_options, COUNT(recalibrate_bn_options), sp_recalibrate_bn_run},
    {"sp-finetune",
     "Fine-tune the model's weights in place with the C trainer (lib/train) on IDX data; the "
     "graph does not change",
     finetune_options, COUNT(finetune_options), sp_finetune_run},
    {"sp-sensitivity",
     "Prune each group alone at each ratio (mask mode, on a clone), evaluate with the runtime "
     "and write the table (JSON) and curves (SVG); the module does not change",
     sensitivity_options, COUNT(sensitivity_options), sp_sensitivity_run},
    {"sp-iterative-prune",
     "Prune gradually (AGP, cubic schedule): mask, fine-tune, repeat; then shrink once",
     iterative_prune_options, COUNT(iterative_prune_options), sp_iterative_prune_run},
    {"sp-insert-gates",
     "Multiply every prunable Conv/Gemm output (after its BN) by a learnable per-channel gate "
     "(an initializer named sp.gate.*); sp-train --gate-l1 makes it sparse",
     insert_gates_options, COUNT(insert_gates_options), sp_insert_gates_run},
    {"sp-sparsify",
     "Zero weights in the n:m semi-structured pattern (2:4 along input channels) after an "
     "output-preserving channel permutation; shapes stay (needs sparse tensor cores for speed)",
     sparsify_options, COUNT(sparsify_options), sp_sparsify_run},
    {"sp-latency-table",
     "Time the model with every prunable group shrunk alone by each ratio (sp_runtime, this "
     "machine) and write the table sp-prune{cost=latency} reads",
     latency_table_options, COUNT(latency_table_options), sp_latency_table_run},
    {"sp-convert-nn-to-tosa",
     "Rewrite nn ops into upstream TOSA (NHWC conv/pool between transposes, OHWI weights); "
     "needs static f32 shapes",
     NULL, 0, sp_convert_nn_to_tosa_run},
    {"sp-convert-tosa-to-nn",
     "Rewrite TOSA ops into nn (NCHW, OIHW weights), cancelling the layout transposes",
     NULL, 0, sp_convert_tosa_to_nn_run},
    {NULL, NULL, NULL, 0, NULL},
};

const sp_pass_info *sp_pass_registry(void) { return registry; }

const sp_pass_info *sp_pass_lookup(const char *argument, size_t length) {
  for (const sp_pass_info *p = registry; p->argument; ++p)
    if (strlen(p->argument) == length && strncmp(p->argument, argument, length) == 0)
      return p;
  return NULL;
}

static int option_index(const sp_pass_info *info, const char *name, size_t n) {
  for (size_t i = 0; i < info->num_options; ++i)
    if (strlen(info->options[i].name) == n && strncmp(info->options[i].name, name, n) == 0)
      return (int)i;
  return -1;
}

// Checks one value against its option's kind and range.
static int check_value(const sp_pass_info *info, const sp_pass_option *o,
                       const char *v, sp_error *err) {
  char *end = NULL;
  switch (o->kind) {
  case SP_OPTION_FLOAT:
  case SP_OPTION_INT: {
    double d = o->kind == SP_OPTION_FLOAT ? strtod(v, &end) : (double)strtol(v, &end, 10);
    if (!*v || *end || isnan(d))
      return sp_error_set(err, "pass '%s': option '%s' expects %s, got '%s'", info->argument,
                          o->name, o->kind == SP_OPTION_FLOAT ? "a number" : "an integer", v);
    if (o->min != o->max && (d < o->min || d > o->max || (o->max_exclusive && d >= o->max)))
      return sp_error_set(err, "pass '%s': %s must be in [%g, %g%c, got %s", info->argument,
                          o->name, o->min, o->max, o->max_exclusive ? ')' : ']', v);
    return 0;
  }
  case SP_OPTION_BOOL:
    if (strcmp(v, "true") && strcmp(v, "false") && strcmp(v, "1") && strcmp(v, "0"))
      return sp_error_set(err, "pass '%s': option '%s' expects true or false, got '%s'",
                          info->argument, o->name, v);
    return 0;
  case SP_OPTION_ENUM: {
    size_t n = strlen(v);
    for (const char *c = o->choices; c && *c;) {
      const char *bar = strchr(c, '|');
      size_t len = bar ? (size_t)(bar - c) : strlen(c);
      if (len == n && strncmp(c, v, n) == 0)
        return 0;
      c = bar ? bar + 1 : c + len;
    }
    return sp_error_set(err, "pass '%s': option '%s' must be one of %s, got '%s'",
                        info->argument, o->name, o->choices, v);
  }
  default:
    return 0;
  }
}

int sp_pass_args_parse(const sp_pass_info *info, const char *text, sp_pass_args *out,
                       sp_error *err) {
  out->info = info;
  out->values = calloc(info->num_options + 1, sizeof *out->values);
  const char *p = text ? text : "";
  while (*p) {
    while (isspace((unsigned char)*p))
      p++;
    if (!*p)
      break;
    const char *key = p;
    while (*p && *p != '=' && !isspace((unsigned char)*p))
      p++;
    size_t key_len = (size_t)(p - key);
    const char *value = "true"; // a bare flag means true
    char *owned = NULL;
    if (*p == '=') {
      const char *v = ++p;
      // Values may be quoted or braced to hold spaces and commas.
      if (*p == '"' || *p == '\'') {
        char q = *p++;
        v = p;
        while (*p && *p != q)
          p++;
        owned = strndup(v, (size_t)(p - v));
        if (*p)
          p++;
      } else {
        while (*p && !isspace((unsigned char)*p))
          p++;
        owned = strndup(v, (size_t)(p - v));
      }
      value = owned;
    }
    int idx = option_index(info, key, key_len);
    if (idx < 0) {
      sp_error_set(err, "pass '%s' has no option '%.*s' (see sp-opt --help)", info->argument,
                   (int)key_len, key);
      free(owned);
      sp_pass_args_free(out);
      return -1;
    }
    if (check_value(info, &info->options[idx], value, err)) {
      free(owned);
      sp_pass_args_free(out);
      return -1;
    }
    free(out->values[idx]);
    out->values[idx] = owned ? owned : strdup(value);
  }
  return 0;
}

void sp_pass_args_free(sp_pass_args *args) {
  if (!args->values)
    return;
  for (size_t i = 0; i < args->info->num_options; ++i)
    free(args->values[i]);
  free(args->values);
  args->values = NULL;
}

static const char *arg_text(const sp_pass_args *args, const char *name) {
  int idx = option_index(args->info, name, strlen(name));
  if (idx < 0)
    return NULL;
  return args->values && args->values[idx] ? args->values[idx]
                                           : args->info->options[idx].default_value;
}

double sp_pass_arg_float(const sp_pass_args *args, const char *name) {
  const char *v = arg_text(args, name);
  return v ? strtod(v, NULL) : 0.0;
}

long sp_pass_arg_int(const sp_pass_args *args, const char *name) {
  const char *v = arg_text(args, name);
  return v ? strtol(v, NULL, 10) : 0;
}

int sp_pass_arg_bool(const sp_pass_args *args, const char *name) {
  const char *v = arg_text(args, name);
  return v && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0);
}

const char *sp_pass_arg_string(const sp_pass_args *args, const char *name) {
  return arg_text(args, name);
}

/* --- MLIR external pass glue ------------------------------------------- */

typedef struct pass_instance {
  const sp_pass_info *info;
  sp_pass_args args;
} pass_instance;

static pass_instance *instance_copy(const sp_pass_info *info, const sp_pass_args *args) {
  pass_instance *p = calloc(1, sizeof *p);
  p->info = info;
  p->args.info = info;
  p->args.values = calloc(info->num_options + 1, sizeof *p->args.values);
  for (size_t i = 0; args && args->values && i < info->num_options; ++i)
    if (args->values[i])
      p->args.values[i] = strdup(args->values[i]);
  return p;
}

static void pass_construct(void *user) { (void)user; }

static void pass_destruct(void *user) {
  pass_instance *p = user;
  sp_pass_args_free(&p->args);
  free(p);
}

static MlirLogicalResult pass_initialize(MlirContext ctx, void *user) {
  (void)ctx;
  (void)user;
  return mlirLogicalResultSuccess();
}

static void *pass_clone(void *user) {
  pass_instance *p = user;
  return instance_copy(p->info, &p->args);
}

static void pass_run(MlirOperation op, MlirExternalPass pass, void *user) {
  pass_instance *p = user;
  if (p->info->run(op, &p->args) != 0)
    mlirExternalPassSignalFailure(pass);
}

MlirPass sp_pass_create(const sp_pass_info *info, const sp_pass_args *args) {
  // One TypeID per registry entry: the entry's own address is unique.
  MlirTypeID id = mlirTypeIDCreate((const void *)info);
  MlirExternalPassCallbacks callbacks = {pass_construct, pass_destruct, pass_initialize,
                                         pass_clone, pass_run};
  return mlirCreateExternalPass(id, sp_str(info->argument), sp_str(info->argument),
                                sp_str(info->summary), sp_str("builtin.module"), 0, NULL,
                                callbacks, instance_copy(info, args));
}

void sp_pass_print_help(FILE *out) {
  fprintf(out, "sp passes (use in --pass-pipeline='builtin.module(NAME{opt=value ...})'):\n");
  for (const sp_pass_info *p = registry; p->argument; ++p) {
    fprintf(out, "  %-24s %s\n", p->argument, p->summary);
    for (size_t i = 0; i < p->num_options; ++i) {
      const sp_pass_option *o = &p->options[i];
      char kind[128];
      switch (o->kind) {
      case SP_OPTION_FLOAT: snprintf(kind, sizeof kind, "number"); break;
      case SP_OPTION_INT: snprintf(kind, sizeof kind, "integer"); break;
      case SP_OPTION_BOOL: snprintf(kind, sizeof kind, "true|false"); break;
      case SP_OPTION_ENUM: snprintf(kind, sizeof kind, "%s", o->choices); break;
      default: snprintf(kind, sizeof kind, "string"); break;
      }
      fprintf(out, "      %s=<%s>  %s", o->name, kind, o->help);
      if (o->default_value)
        fprintf(out, " (default: %s)", o->default_value);
      fputc('\n', out);
    }
  }
}

void sp_emit_error(MlirOperation op, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  mlirEmitError(mlirOperationGetLocation(op), msg);
}

FILE *sp_pass_output_open(MlirOperation op, const char *pass, sp_output *out,
                          const char *path, FILE *dflt) {
  sp_error err = {{0}};
  if (!strcmp(path, "-")) { /* the pass's default stream, checked on close */
    memset(out, 0, sizeof *out);
    out->path = path;
    out->slot = -1;
    out->file = dflt;
    return dflt;
  }
  if (sp_output_open(out, path, &err) < 0) {
    sp_emit_error(op, "%s: %s", pass, err.message);
    return NULL;
  }
  return out->file;
}

int sp_pass_output_close(MlirOperation op, const char *pass, sp_output *out) {
  sp_error err = {{0}};
  int rc;
  if (out->file == stdout || out->file == stderr || !strcmp(out->path, "-")) {
    errno = 0;
    rc = fflush(out->file) != 0 || ferror(out->file) ? -1 : 0;
    if (rc)
      sp_error_set(&err, "cannot write '%s': %s",
                   out->file == stderr ? "standard error" : "standard output",
                   strerror(errno ? errno : EIO));
    out->file = NULL;
  } else {
    rc = sp_output_close(out, &err);
  }
  if (rc)
    sp_emit_error(op, "%s: %s", pass, err.message);
  return rc;
}
