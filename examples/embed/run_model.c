/* run_model: an application that only runs models links only SP::runtime
 * (libsp_runtime.so: no MLIR, no LLVM).
 *
 *   run_model MODEL.onnx     runs it on an input of ones (dynamic dims = 1)
 *                            and prints the first output's shape and sum */
#include <stdio.h>
#include <stdlib.h>

#include "sp/runtime.h"

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: run_model MODEL.onnx\n");
    return 2;
  }
  sp_error err = {{0}};
  sp_runtime *rt = NULL;
  if (sp_runtime_load(argv[1], &rt, &err)) {
    fprintf(stderr, "run_model: %s\n", err.message);
    return 1;
  }
  const sp_value_info *in = sp_runtime_input_info(rt, 0);
  int64_t dims[SP_MAX_RANK], numel = 1;
  for (int i = 0; i < in->rank; ++i) {
    dims[i] = in->dims[i] > 0 ? in->dims[i] : 1;
    numel *= dims[i];
  }
  float *ones = malloc((size_t)numel * sizeof *ones);
  for (int64_t i = 0; ones && i < numel; ++i)
    ones[i] = 1.0f;
  int rc = !ones ? sp_error_set(&err, "out of memory")
                 : sp_runtime_bind(rt, in->name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, in->rank,
                                   dims, ones, &err);
  if (rc == 0)
    rc = sp_runtime_run(rt, &err);
  if (rc == 0) {
    const sp_tensor *y = sp_runtime_output(rt, 0);
    double sum = 0;
    for (int64_t i = 0; i < y->numel; ++i)
      sum += ((const float *)y->data)[i];
    printf("%s: %lld values, sum %.6f\n", y->name, (long long)y->numel, sum);
  } else {
    fprintf(stderr, "run_model: %s\n", err.message);
  }
  free(ones);
  sp_runtime_free(rt);
  return rc ? 1 : 0;
}
