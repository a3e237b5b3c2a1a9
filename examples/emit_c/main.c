/* main.c - runs a model compiled by `sp-translate --emit-c ... --name model`
 * on a TensorProto file (e.g. the zoo's NAME.input_0.pb) and prints the
 * top-5 classes of output 0; --dump FILE also writes output 0 as raw
 * little-endian floats. No ML runtime: the TensorProto is read by the
 * small protobuf walker below.
 *
 *   make -C DIR && cc -O2 -I DIR main.c DIR/libmodel.a $(LDLIBS) -o classify
 *   ./classify input_0.pb [--dump out.bin]
 * A model emitted with --weights=external reads $MODEL_WEIGHTS (default
 * model.weights) first. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

/* One varint at *p (< end); 0 when truncated. */
static int varint(const unsigned char **p, const unsigned char *end, uint64_t *v) {
  *v = 0;
  for (int shift = 0; *p < end && shift < 64; shift += 7) {
    unsigned char b = *(*p)++;
    *v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80))
      return 1;
  }
  return 0;
}

/* The floats of a TensorProto (raw_data, field 9, or float_data, field 4),
 * copied into out (want of them); 0 on success. */
static int read_tensor(const unsigned char *p, const unsigned char *end, float *out,
                       size_t want) {
  size_t got = 0;
  while (p < end) {
    uint64_t key, len;
    if (!varint(&p, end, &key))
      return -1;
    int field = (int)(key >> 3), wire = (int)(key & 7);
    if (wire == 0) {
      if (!varint(&p, end, &len))
        return -1;
    } else if (wire == 5) {
      if (end - p < 4)
        return -1;
      if (field == 4 && got < want)
        memcpy(&out[got++], p, 4);
      p += 4;
    } else if (wire == 1) {
      if (end - p < 8)
        return -1;
      p += 8;
    } else if (wire == 2) {
      if (!varint(&p, end, &len) || len > (uint64_t)(end - p))
        return -1;
      if (field == 9 || field == 4) { /* raw_data, packed float_data */
        if (len != want * sizeof(float))
          return -1;
        memcpy(out, p, len);
        got = want;
      }
      p += len;
    } else {
      return -1;
    }
  }
  return got == want ? 0 : -1;
}

int main(int argc, char **argv) {
  if (argc != 2 && !(argc == 4 && !strcmp(argv[2], "--dump"))) {
    fprintf(stderr, "usage: %s input_0.pb [--dump out.bin]\n", argv[0]);
    return 2;
  }
  FILE *f = fopen(argv[1], "rb");
  if (!f) {
    perror(argv[1]);
    return 1;
  }
  static unsigned char buf[64 << 20];
  size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  static float in[model_IN0_NUMEL], out[model_OUT0_NUMEL];
  if (read_tensor(buf, buf + n, in, model_IN0_NUMEL)) {
    fprintf(stderr, "%s: not a float tensor of %d elements\n", argv[1], model_IN0_NUMEL);
    return 1;
  }
#ifdef model_EXTERNAL_WEIGHTS
  /* --weights=external: the blob is read at run time */
  const char *weights = getenv("MODEL_WEIGHTS") ? getenv("MODEL_WEIGHTS") : "model.weights";
  if (model_load(weights)) {
    fprintf(stderr, "%s: cannot load the weights\n", weights);
    return 1;
  }
#endif
#ifdef model_SCRATCH_NEW
  void *scratch = model_scratch_new(); /* on 2 MB pages where the OS allows */
#else /* --freestanding */
  size_t bytes = (model_scratch_bytes() + 63) / 64 * 64;
  void *scratch = aligned_alloc(64, bytes ? bytes : 64);
#endif
  if (!scratch || model_run(in, out, scratch)) {
    fprintf(stderr, "model_run failed\n");
    return 1;
  }
  int top[5] = {-1, -1, -1, -1, -1};
  for (int k = 0; k < 5 && k < model_OUT0_NUMEL; ++k)
    for (int i = 0; i < model_OUT0_NUMEL; ++i) {
      int taken = 0;
      for (int j = 0; j < k; ++j)
        taken |= top[j] == i;
      if (!taken && (top[k] < 0 || out[i] > out[top[k]]))
        top[k] = i;
    }
  for (int k = 0; k < 5 && k < model_OUT0_NUMEL; ++k)
    printf("%d %.6g\n", top[k], out[top[k]]);
  if (argc == 4) {
    FILE *d = fopen(argv[3], "wb");
    if (!d || fwrite(out, sizeof(float), model_OUT0_NUMEL, d) != model_OUT0_NUMEL ||
        fclose(d)) {
      perror(argv[3]);
      return 1;
    }
  }
  free(scratch);
  return 0;
}
