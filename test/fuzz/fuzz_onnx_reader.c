/* fuzz_onnx_reader.c - libFuzzer target: arbitrary bytes through the reader.
 *
 * Loads the input as a model (external data resolves against a scratch
 * directory holding one 4 KiB file, "w.bin"), then validates it, orders its
 * graph and reads every initializer's bytes. Inputs that unpack but fail
 * validation still go through sp_onnx_topo_order, which must not trust them.
 * The zero-copy unpack used for files is checked against plain unpacking. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/onnx/onnx_internal.h" // sp_onnx_unpack_lifted
#include "sp/onnx.h"

static char base_dir[] = "/tmp/sp-fuzz-onnx-XXXXXX";

static void remove_base_dir(void) {
  char path[sizeof base_dir + 8];
  snprintf(path, sizeof path, "%s/w.bin", base_dir);
  unlink(path);
  rmdir(base_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  if (!mkdtemp(base_dir))
    abort();
  atexit(remove_base_dir);
  char path[sizeof base_dir + 8];
  snprintf(path, sizeof path, "%s/w.bin", base_dir);
  FILE *f = fopen(path, "wb");
  for (int i = 0; f && i < 4096; ++i)
    fputc(i * 7, f);
  if (!f || fclose(f) != 0)
    abort();
  return 0;
}

/* Reads every byte so ASan sees any out-of-bounds view. */
static unsigned touch(const void *data, size_t size) {
  unsigned sum = 0;
  for (size_t i = 0; i < size; ++i)
    sum += ((const uint8_t *)data)[i];
  return sum;
}

static void exercise(sp_onnx_model *m) {
  sp_error err;
  if (sp_onnx_validate(m, &err) != 0)
    abort(); // load already validated it: the two must agree
  size_t *order;
  if (sp_onnx_topo_order(m->proto->graph, &order, &err) != 0)
    abort();
  free(order);
  const Onnx__GraphProto *g = m->proto->graph;
  volatile unsigned sink = 0;
  for (size_t i = 0; i < g->n_initializer; ++i) {
    const void *data;
    size_t size;
    if (sp_onnx_tensor_bytes_unaligned(m, g->initializer[i], &data, &size,
                                       &err) == 0)
      sink += touch(data, size);
    if (sp_onnx_tensor_bytes(m, g->initializer[i], &data, &size, &err) == 0)
      sink += touch(data, size);
    sp_onnx_elem_size(g->initializer[i]->data_type);
    sp_onnx_tensor_numel(g->initializer[i]);
  }
  if (sp_onnx_inline_external(m, &err) == 0)
    sink += (unsigned)protobuf_c_message_get_packed_size(&m->proto->base);
  (void)sink;
}

static uint8_t *pack(const Onnx__ModelProto *m, size_t *size) {
  *size = onnx__model_proto__get_packed_size(m);
  uint8_t *out = malloc(*size + 1);
  if (!out)
    abort();
  onnx__model_proto__pack(m, out);
  return out;
}

/* Lifting raw_data out of the message must not change what it means. */
static void check_lifting(const uint8_t *data, size_t size) {
  Onnx__ModelProto *lifted, *plain;
  Onnx__TensorProto **tensors;
  size_t n, lifted_size, plain_size;
  if (!sp_onnx_unpack_lifted(data, size, 1, &lifted, &tensors, &n))
    return;
  plain = onnx__model_proto__unpack(NULL, size, data);
  if (!plain)
    abort(); // lifting accepted what protobuf-c rejects
  uint8_t *a = pack(lifted, &lifted_size), *b = pack(plain, &plain_size);
  if (lifted_size != plain_size || memcmp(a, b, plain_size) != 0)
    abort();
  free(a);
  free(b);
  sp_onnx_release_lifted(tensors, n);
  free(tensors);
  onnx__model_proto__free_unpacked(lifted, NULL);
  onnx__model_proto__free_unpacked(plain, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sp_onnx_model *m;
  sp_error err;
  check_lifting(data, size);
  if (sp_onnx_load_buffer(data, size, "fuzz.onnx", base_dir, &m, &err) == 0) {
    exercise(m);
    sp_onnx_free(m);
    return 0;
  }
  if (strchr(err.message, '\n'))
    abort();                     // errors are one line
  if (getenv("SP_FUZZ_VERBOSE")) // to check that seeds load: run one file
    fprintf(stderr, "%s\n", err.message);
  Onnx__ModelProto *proto = onnx__model_proto__unpack(NULL, size, data);
  if (proto && proto->graph) {
    size_t *order;
    if (sp_onnx_topo_order(proto->graph, &order, &err) == 0)
      free(order);
  }
  if (proto)
    onnx__model_proto__free_unpacked(proto, NULL);
  return 0;
}
