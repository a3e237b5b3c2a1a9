/* Per-channel activation statistics on calibration data for sp-importance's
 * activation and apoz criteria (saliency.h): the module runs through
 * calibration.c's runner, which observes the requested values. */
#include <math.h>
#include <stdlib.h>

#include "calibration.h"
#include "saliency.h"
#include "sp/passes.h"
#include "sp/runtime.h"

typedef struct stats {
  MlirOperation module;
  const int *axes;
  const int64_t *sizes;
  double **abs_sum, **zeros, *count;
} stats;

static int add_set(void *user, const char *batch, const sp_tensor *const *out, size_t n) {
  stats *s = user;
  for (size_t i = 0; i < n; ++i) {
    const sp_tensor *t = out[i];
    int axis = s->axes[i];
    if (t->elem_type != 1 || axis >= t->rank || t->dims[axis] != s->sizes[i]) {
      sp_emit_error(s->module, "sp-importance: %s: value '%s' is not a float tensor with %lld "
                               "channels along dim %d", batch, t->name ? t->name : "?",
                    (long long)s->sizes[i], axis);
      return -1;
    }
    // (outer, channels, inner) around the axis.
    int64_t outer = 1, inner = 1, channels = t->dims[axis];
    for (int d = 0; d < axis; ++d)
      outer *= t->dims[d];
    for (int d = axis + 1; d < t->rank; ++d)
      inner *= t->dims[d];
    const float *a = t->data;
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t c = 0; c < channels; ++c) {
        const float *row = a + (o * channels + c) * inner;
        double sum = 0, zero = 0;
        for (int64_t k = 0; k < inner; ++k) {
          sum += fabsf(row[k]);
          zero += row[k] == 0.0f;
        }
        s->abs_sum[i][c] += sum;
        s->zeros[i][c] += zero;
      }
    s->count[i] += (double)(outer * inner);
  }
  return 0;
}

int sp_channel_stats(MlirOperation module, const char *dir, const MlirValue *values,
                     const int *axes, const int64_t *sizes, size_t n, double **abs_sum,
                     double **zeros, double *count) {
  stats s = {module, axes, sizes, abs_sum, zeros, count};
  return sp_calibration_run(module, "sp-importance", dir, values, n, add_set, &s);
}
