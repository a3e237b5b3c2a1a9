/* sp/pipeline.h - pass-pipeline text, as sp-opt and hosts read it:
 * "builtin.module(sp-prune{ratio=0.5},canonicalize,cse)" splits into its
 * top-level elements; sp passes get their options parsed and checked by the
 * registry, everything else stays text for MLIR's own pipeline parser. */
#ifndef SP_PIPELINE_H
#define SP_PIPELINE_H

#include <stddef.h>

#include "sp/error.h"
#include "sp/passes.h"

/* One step: an sp pass with parsed options, or upstream pipeline text. */
typedef struct sp_stage {
  char *text; /* the element as written, e.g. "sp-model-stats{json=-}" */
  const sp_pass_info *sp_pass; /* NULL for upstream text */
  sp_pass_args args;
  double seconds; /* time spent in it, for --timing */
} sp_stage;

typedef struct sp_pipeline {
  sp_stage *stages;
  size_t count;
} sp_pipeline;

/* Splits text (NULL: empty pipeline) into stages. On error fills err (an
 * unknown sp-* pass, bad options, unbalanced brackets) and leaves *p empty. */
int sp_pipeline_parse(const char *text, sp_pipeline *p, sp_error *err);
void sp_pipeline_free(sp_pipeline *p);

/* Named pipelines: --pass-pipeline=NAME runs the expansion. */
typedef struct sp_named_pipeline {
  const char *name, *summary, *expansion;
} sp_named_pipeline;
extern const sp_named_pipeline sp_named_pipelines[]; /* NULL-name ended */

/* The expansion of a pipeline name, or text itself when it is not a name. */
const char *sp_pipeline_expand(const char *text);

#endif
