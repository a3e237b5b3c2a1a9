/* tools/report.h - what sp-report gathers about a model before and after
 * pruning, in plain structs shared by its three parts:
 *   report_model.c   layers, widths, params, MACs and dependency groups (MLIR)
 *   report_measure.c latency and accuracy in sp's runtime (no MLIR)
 *   report_html.c    the self-contained HTML page (inline SVG, no scripts). */
#ifndef SP_REPORT_H
#define SP_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "sp/error.h"

/* A contraction with a weight (Conv, ConvTranspose, Gemm, MatMul), the
 * layers whose output channels pruning narrows. */
typedef struct report_layer {
  char *name;        /* ONNX node name */
  char type[32];
  int64_t width;     /* output channels */
  int64_t params, macs;
  int group;         /* prunable group of its output channels, -1 if none */
  int64_t block;     /* channels per unit of that group in this layer */
} report_layer;

/* A prunable dependency group of the model before pruning. */
typedef struct report_group {
  int id;
  int64_t units;
  int head;                 /* units are attention heads */
  size_t num_members;       /* tensors sliced with it */
} report_group;

typedef struct report_model {
  const char *path;
  int64_t params, macs;
  report_layer *layers;     /* graph order */
  size_t num_layers;
  report_group *groups;     /* prunable groups (before only) */
  size_t num_groups;
  size_t num_pinned;        /* groups that may not be pruned */
  char pinned_reasons[512]; /* "graph output (3), reduction (1)" */
  double latency_ms, latency_min_ms; /* median and fastest, < 0 when not measured */
  int64_t correct, samples; /* top-1 on the data, samples 0 when none */
} report_model;

/* Reads path into m: layers, params, MACs; with_groups adds the dependency
 * groups (the model before pruning). One error line naming the file. */
int report_model_read(const char *path, int with_groups, report_model *m, sp_error *err);
void report_model_free(report_model *m);

/* Evaluation data: "fashion-mnist[:DIR]" (the test split), "IMAGES,LABELS"
 * (IDX, .gz or plain) or "X.npy,Y.npy", normalised with mean/std lists (as
 * sp-train's --mean/--std, may be NULL), at most limit samples (0 = all). */
typedef struct report_data report_data;
int report_data_load(const char *spec, const char *mean, const char *std, int64_t limit,
                     report_data **out, sp_error *err);
void report_data_free(report_data *d);
const char *report_data_name(const report_data *d);

/* Median latency of runs at batch 1 (dynamic dims 1, random inputs) after
 * warm-up runs, and top-1 on data when data is not NULL. */
int report_measure(report_model *m, int runs, const report_data *data, int64_t batch,
                   int quiet, sp_error *err);

typedef struct report_options {
  const char *sensitivity; /* sp-sensitivity json=, or NULL */
  const char *curve;       /* accuracy-vs-MACs points, or NULL */
  const char *data_name;   /* what accuracy was measured on, or NULL */
  int runs, threads;
  const char *isa;
} report_options;

/* Writes the page to path atomically (sp/output.h). Reads the optional JSON
 * files first: a bad one is an error naming it and nothing is written. */
int report_write_html(const char *path, const report_model *before, const report_model *after,
                      const report_options *o, sp_error *err);

#endif
