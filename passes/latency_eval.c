/* sp_latency_measure: one module timed with sp_runtime (latency.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "calibration.h"
#include "latency.h"
#include "sp/passes.h"
#include "sp/runtime.h"
#include "sp/translate.h"

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Zeros of the declared shape bound to every input of rt. */
static int bind_zeros(sp_runtime *rt, int64_t batch, sp_error *err) {
  for (int i = 0; i < sp_runtime_num_inputs(rt); ++i) {
    const sp_value_info *info = sp_runtime_input_info(rt, i);
    if (info->rank < 0)
      return sp_error_set(err, "input '%s' has unknown rank", info->name);
    int64_t dims[SP_MAX_RANK], numel = 1;
    for (int d = 0; d < info->rank; ++d) {
      dims[d] = info->dims[d] >= 0 ? info->dims[d] : d == 0 ? batch : 1;
      numel *= dims[d];
    }
    size_t es = sp_tensor_elem_size(info->elem_type);
    void *data = es ? calloc((size_t)(numel ? numel : 1), es) : NULL;
    if (!data)
      return sp_error_set(err, "input '%s': element type %d or %lld elements cannot be bound",
                          info->name, (int)info->elem_type, (long long)numel);
    int rc = sp_runtime_bind(rt, info->name, info->elem_type, info->rank, dims, data, err);
    free(data);
    if (rc)
      return rc;
  }
  return 0;
}

int sp_latency_measure(MlirOperation module, const char *pass, int runs, int64_t batch,
                       int threads, double *ms) {
  const char *tmp = getenv("TMPDIR");
  char dir[4096], path[4200];
  snprintf(dir, sizeof dir, "%s/sp-latency-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(dir)) {
    sp_emit_error(module, "%s: cannot create a directory in %s: %s", pass,
                  tmp && *tmp ? tmp : "/tmp", strerror(errno));
    return -1;
  }
  snprintf(path, sizeof path, "%s/model.onnx", dir);
  sp_error err = {{0}};
  sp_runtime *rt = NULL;
  sp_onnx_save_options save = {0};
  int rc = sp_export_onnx(mlirModuleFromOperation(module), path, &save, &err);
  if (!rc)
    rc = sp_runtime_load(path, &rt, &err);
  unlink(path); // the runtime keeps its mapping
  rmdir(dir);
  if (threads)
    sp_runtime_set_threads(threads);
  double *times = malloc((size_t)(runs + 2) * sizeof *times);
  if (!rc)
    rc = bind_zeros(rt, batch, &err);
  for (int r = 0; !rc && r < runs + 2; ++r) {
    double t0 = now_ms();
    rc = sp_runtime_run(rt, &err);
    times[r] = now_ms() - t0;
  }
  if (!rc) { // the two warm-up runs do not count
    qsort(times + 2, (size_t)runs, sizeof *times, by_value);
    *ms = runs % 2 ? times[2 + runs / 2] : (times[1 + runs / 2] + times[2 + runs / 2]) / 2;
  } else {
    sp_emit_at_node(module, pass, err.message);
  }
  if (threads)
    sp_runtime_set_threads(0);
  free(times);
  sp_runtime_free(rt);
  return rc ? -1 : 0;
}
