/* The evaluation side of sp-sensitivity (sensitivity_eval.c): data loading
 * and runs of a module with sp_runtime. Kept apart from Sensitivity.c for
 * the reason of calibration.h (sp/runtime.h's names clash with
 * sp/groups.h's). */
#ifndef SP_SENSITIVITY_H
#define SP_SENSITIVITY_H

#include <mlir-c/IR.h>
#include <stdint.h>

typedef struct sp_sens_data sp_sens_data;

/* data = "fashion-mnist[:DIR]" (the `split`-* IDX files of DIR, pixels
 * (p/255 - mean) / std) or calibration = a folder of input_N.pb/label_N.pb
 * pairs (taken as they are); the first `limit` samples (0: all); runs on
 * `threads` kernel threads (0: the runtime's default). 0, or -1
 * with one error emitted at module. */
int sp_sens_data_load(MlirOperation module, const char *data, const char *split,
                      const char *calibration, int64_t limit, double mean, double std, int64_t threads,
                      sp_sens_data **out);
void sp_sens_data_free(sp_sens_data *d);
int64_t sp_sens_data_count(const sp_sens_data *d);

/* Exports module (unchanged) to a temporary ONNX file and runs it on every
 * sample in batches of `batch`. The first call keeps the logits (output 0,
 * (n, classes)) as the reference; every call sets *metric to top-1 against
 * the labels (kl = 0) or to the mean KL(reference || this run) of the
 * softmax outputs, in nats (kl = 1). 0, or -1 with one error emitted. */
int sp_sens_evaluate(MlirOperation module, sp_sens_data *d, int64_t batch, int kl,
                     double *metric);

#endif
