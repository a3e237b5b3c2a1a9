/* fuzz_run_binding.c - libFuzzer target: arbitrary TensorProtos bound as a
 * model's inputs and run, as sp-run --input-dir does with input_N.pb files.
 * The model (SP_FUZZ_RUN_MODEL, written by make_run_seeds.py) takes a float
 * image x (batch, 3, H, W) through Conv -> Relu and Gathers channels by an
 * int64 input idx; the first byte of a fuzz input picks x or idx, the rest is
 * the TensorProto. Wrong types, ranks, dims, sizes, overflowing shapes and
 * out-of-range indices must be one-line errors, never a crash. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp/runtime.h"

static sp_runtime *rt;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  const char *model = getenv("SP_FUZZ_RUN_MODEL");
  sp_error err = {{0}};
  if (!model || sp_runtime_load(model, &rt, &err) != 0) {
    fprintf(stderr, "fuzz_run_binding: set SP_FUZZ_RUN_MODEL to make_run_seeds.py's "
                    "model.onnx (%s)\n", err.message);
    abort();
  }
  sp_runtime_set_threads(1);
  static const float x[1 * 3 * 4 * 4];
  static const int64_t idx[2] = {0, 1};
  const int64_t x_dims[4] = {1, 3, 4, 4}, idx_dims[1] = {2};
  if (sp_runtime_bind(rt, "x", 1 /* FLOAT */, 4, x_dims, x, &err) ||
      sp_runtime_bind(rt, "idx", 7 /* INT64 */, 1, idx_dims, idx, &err) ||
      sp_runtime_run(rt, &err)) {
    fprintf(stderr, "fuzz_run_binding: %s\n", err.message);
    abort();
  }
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  Onnx__TensorProto *t = onnx__tensor_proto__unpack(NULL, size - 1, data + 1);
  if (!t)
    return 0;
  sp_error err = {{0}};
  const char *name = data[0] & 1 ? "idx" : "x";
  int rc = sp_runtime_bind_proto(rt, name, t, &err);
  if (rc == 0)
    rc = sp_runtime_run(rt, &err);
  if (rc == 0) {
    const sp_tensor *out = sp_runtime_output(rt, 0);
    volatile float sink = 0;
    for (int64_t i = 0; out && i < out->numel; ++i) // ASan sees every element
      sink += ((const float *)out->data)[i];
    (void)sink;
  } else if (strchr(err.message, '\n')) {
    abort(); // errors are one line
  }
  onnx__tensor_proto__free_unpacked(t, NULL);
  return 0;
}
