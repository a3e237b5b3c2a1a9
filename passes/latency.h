/* Measured latency of a module for sp-latency-table and sp-prune{cost=latency}
 * (latency_eval.c runs it; LatencyTable.c and prune_latency.c use it). Apart
 * from the groups headers for the reason of calibration.h (sp/runtime.h's
 * names clash with sp/groups.h's). */
#ifndef SP_LATENCY_H
#define SP_LATENCY_H

#include <mlir-c/IR.h>
#include <stdint.h>

/* Exports module (unchanged) to a temporary ONNX file, binds zeros to every
 * input (dynamic dims: `batch` for dim 0, else 1), runs it twice to warm up
 * and then `runs` times on `threads` kernel threads (0: the runtime's
 * default); *ms gets the median run in milliseconds. 0, or -1 with one error
 * emitted at module, prefixed by pass. */
int sp_latency_measure(MlirOperation module, const char *pass, int runs, int64_t batch,
                       int threads, double *ms);

#endif
