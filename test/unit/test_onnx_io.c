/* test_onnx_io.c - loading, validating, ordering and saving ONNX models. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../lib/onnx/onnx_internal.h" // white-box: the file mapping
#include "fixtures/onnx_fixture.h"
#include "sp/onnx.h"

#define FLOAT ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT

static char tmp_dir[] = "/tmp/sp-onnx-io-XXXXXX";

/* ---- helpers ---------------------------------------------------------- */

static char *tmp_path(const char *name) {
  static char paths[8][512];
  static int next;
  char *p = paths[next++ % 8];
  snprintf(p, 512, "%s/%s", tmp_dir, name);
  return p;
}

static void write_file(const char *path, const void *data, size_t size) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(data, 1, size, f), size);
  assert_int_equal(fclose(f), 0);
}

static uint8_t *read_file(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  *size = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *data = malloc(*size + 1);
  assert_int_equal(fread(data, 1, *size, f), *size);
  fclose(f);
  return data;
}

static int count_temp_files(void) {
  DIR *d = opendir(tmp_dir);
  int n = 0;
  for (struct dirent *e; d && (e = readdir(d));)
    n += strstr(e->d_name, ".tmp.") != NULL;
  if (d)
    closedir(d);
  return n;
}

#define assert_error(err, substring)                                           \
  do {                                                                         \
    if (!strstr((err).message, (substring)))                                   \
      fail_msg("error '%s' lacks '%s'", (err).message, (substring));           \
  } while (0)

/* Packs f and loads it from memory as "fx.onnx" (base_dir may be NULL). */
static int load_fx(fx *f, const char *base_dir, sp_onnx_model **m,
                   sp_error *err) {
  size_t size;
  uint8_t *bytes = fx_pack(f, &size);
  int rc = sp_onnx_load_buffer(bytes, size, "fx.onnx", base_dir, m, err);
  free(bytes);
  return rc;
}

/* Loading f must fail with an error containing substring. */
static void expect_invalid(fx *f, const char *substring) {
  sp_onnx_model *m = (sp_onnx_model *)1;
  sp_error err = {{0}};
  assert_int_equal(load_fx(f, NULL, &m, &err), -1);
  assert_null(m);
  assert_error(err, substring);
  assert_error(err, "fx.onnx: ");
  fx_free(f);
}

static const Onnx__TensorProto *find_initializer(const sp_onnx_model *m,
                                                 const char *name) {
  const Onnx__GraphProto *g = m->proto->graph;
  for (size_t i = 0; i < g->n_initializer; ++i)
    if (strcmp(g->initializer[i]->name, name) == 0)
      return g->initializer[i];
  fail_msg("no initializer '%s'", name);
  return NULL;
}

static fx *big_mlp(float **weights);

static const char *external_key(const Onnx__TensorProto *t, const char *key) {
  for (size_t i = 0; i < t->n_external_data; ++i)
    if (strcmp(t->external_data[i]->key, key) == 0)
      return t->external_data[i]->value;
  return NULL;
}

/* ---- round trip ------------------------------------------------------- */

static void test_round_trip_is_byte_identical(void **state) {
  (void)state;
  fx *f = fx_mlp();
  size_t size, saved_size;
  uint8_t *bytes = fx_pack(f, &size);
  write_file(tmp_path("mlp.onnx"), bytes, size);
  sp_onnx_model *m;
  sp_error err;
  assert_int_equal(sp_onnx_load(tmp_path("mlp.onnx"), &m, &err), 0);
  assert_string_equal(m->path, tmp_path("mlp.onnx"));
  assert_string_equal(m->base_dir, tmp_dir);
  assert_int_equal(sp_onnx_save(tmp_path("copy.onnx"), m->proto, NULL, &err),
                   0);
  uint8_t *saved = read_file(tmp_path("copy.onnx"), &saved_size);
  assert_int_equal(saved_size, size);
  assert_memory_equal(saved, bytes, size);
  assert_int_equal(count_temp_files(), 0);
  sp_onnx_free(m);
  free(saved);
  free(bytes);
  fx_free(f);
}

static void test_save_keeps_mode_of_existing_file(void **state) {
  (void)state;
  fx *f = fx_mlp();
  sp_error err;
  write_file(tmp_path("mode.onnx"), "old", 3);
  assert_int_equal(chmod(tmp_path("mode.onnx"), 0640), 0);
  assert_int_equal(sp_onnx_save(tmp_path("mode.onnx"), &f->model, NULL, &err),
                   0);
  struct stat st;
  assert_int_equal(stat(tmp_path("mode.onnx"), &st), 0);
  assert_int_equal(st.st_mode & 0777, 0640);
  fx_free(f);
}

/* Big initializers stay in the file mapping; saving them back must give
 * the same bytes, and reading them must give aligned data. */
static void test_mapped_round_trip_is_byte_identical(void **state) {
  (void)state;
  float *w;
  fx *f = big_mlp(&w);
  size_t size, saved_size;
  uint8_t *bytes = fx_pack(f, &size);
  write_file(tmp_path("big.onnx"), bytes, size);
  sp_onnx_model *m;
  sp_error err;
  assert_int_equal(sp_onnx_load(tmp_path("big.onnx"), &m, &err), 0);
  // W (76800 bytes) points into the mapping; b (1200 bytes) was copied.
  const uint8_t *file = m->backing->file;
  const uint8_t *raw = find_initializer(m, "W")->raw_data.data;
  assert_int_equal(m->backing->num_lifted, 1);
  assert_true(raw > file && raw < file + m->backing->file_size);
  for (int i = 0; i < 2; ++i) {
    const char *name = i ? "b" : "W";
    const Onnx__TensorProto *t = find_initializer(m, name);
    const void *data;
    assert_int_equal(sp_onnx_tensor_bytes(m, t, &data, &saved_size, &err), 0);
    assert_int_equal((uintptr_t)data % sizeof(float), 0);
    assert_memory_equal(data, w, saved_size);
  }
  // Over the very file W points into: the old mapping outlives the rename.
  sp_onnx_save_options durable = {.durable = 1};
  assert_int_equal(sp_onnx_save(tmp_path("big.onnx"), m->proto, &durable, &err),
                   0);
  sp_onnx_free(m);
  uint8_t *saved = read_file(tmp_path("big.onnx"), &saved_size);
  assert_int_equal(saved_size, size);
  assert_memory_equal(saved, bytes, size);
  free(saved);
  free(bytes);
  fx_free(f);
}

/* Raw data lifted from the mapping at an odd offset: the aligned call
 * copies it once, the unaligned one hands out the mapping itself. */
static void test_unaligned_bytes_are_not_copied(void **state) {
  (void)state;
  float *w;
  int odd_cases = 0;
  for (int pad = 0; pad < 4; ++pad) {
    fx *f = big_mlp(&w);
    char name[8] = "xxxx";
    name[pad] = '\0'; // shifts every later byte of the file by one
    f->model.producer_name = name;
    size_t size;
    uint8_t *bytes = fx_pack(f, &size);
    write_file(tmp_path("odd.onnx"), bytes, size);
    free(bytes);
    sp_onnx_model *m;
    sp_error err;
    assert_int_equal(sp_onnx_load(tmp_path("odd.onnx"), &m, &err), 0);
    const Onnx__TensorProto *t = find_initializer(m, "W");
    const void *aligned, *unaligned;
    assert_int_equal(
        sp_onnx_tensor_bytes_unaligned(m, t, &unaligned, &size, &err), 0);
    assert_ptr_equal(unaligned, t->raw_data.data);
    assert_int_equal(sp_onnx_tensor_bytes(m, t, &aligned, &size, &err), 0);
    assert_int_equal((uintptr_t)aligned % sizeof(float), 0);
    assert_memory_equal(aligned, w, size);
    if ((uintptr_t)unaligned % sizeof(float) != 0) {
      odd_cases++;
      assert_ptr_not_equal(aligned, unaligned);
      const void *again;
      assert_int_equal(sp_onnx_tensor_bytes(m, t, &again, &size, &err), 0);
      assert_ptr_equal(again, aligned);
    }
    sp_onnx_free(m);
    fx_free(f);
  }
  assert_int_equal(odd_cases, 3);
}

/* ---- typed fields ----------------------------------------------------- */

typedef struct typed_case {
  int32_t type;
  int64_t dims[2];
  int ndims;
  int32_t i32[4];
  size_t n_i32;
  uint64_t u64[2];
  size_t n_u64;
  uint8_t expected[16];
  size_t expected_size;
} typed_case;

static void check_typed(const typed_case *c) {
  fx *f = fx_new(8);
  Onnx__TensorProto *t =
      fx_initializer(f, "t", c->type, c->ndims, c->dims, NULL, 0);
  t->n_int32_data = c->n_i32;
  t->int32_data = (int32_t *)c->i32;
  t->n_uint64_data = c->n_u64;
  t->uint64_data = (uint64_t *)c->u64;
  sp_onnx_model *m;
  sp_error err;
  if (load_fx(f, NULL, &m, &err) != 0)
    fail_msg("type %d: %s", c->type, err.message);
  const void *data;
  size_t size;
  const Onnx__TensorProto *loaded = find_initializer(m, "t");
  assert_int_equal(sp_onnx_tensor_bytes(m, loaded, &data, &size, &err), 0);
  assert_int_equal(size, c->expected_size);
  assert_memory_equal(data, c->expected, size);
  // Converted once: a second call hands out the same buffer.
  const void *again;
  assert_int_equal(sp_onnx_tensor_bytes(m, loaded, &again, &size, &err), 0);
  assert_ptr_equal(again, data);
  sp_onnx_free(m);
  fx_free(f);
}

static void test_int32_data_packs_narrow_types(void **state) {
  (void)state;
  static const typed_case cases[] = {
      {ONNX__TENSOR_PROTO__DATA_TYPE__INT8,
       {3},
       1,
       {-1, 2, -128},
       3,
       {0},
       0,
       {0xff, 0x02, 0x80},
       3},
      {ONNX__TENSOR_PROTO__DATA_TYPE__UINT8,
       {2},
       1,
       {255, 7},
       2,
       {0},
       0,
       {0xff, 0x07},
       2},
      {ONNX__TENSOR_PROTO__DATA_TYPE__BOOL,
       {3},
       1,
       {0, 1, 1},
       3,
       {0},
       0,
       {0, 1, 1},
       3},
      {ONNX__TENSOR_PROTO__DATA_TYPE__INT16,
       {2},
       1,
       {-2, 300},
       2,
       {0},
       0,
       {0xfe, 0xff, 0x2c, 0x01},
       4},
      {ONNX__TENSOR_PROTO__DATA_TYPE__UINT16,
       {1},
       1,
       {65535},
       1,
       {0},
       0,
       {0xff, 0xff},
       2},
      // float16 1.0 and bfloat16 1.0 travel as their bit patterns.
      {ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16,
       {1},
       1,
       {0x3c00},
       1,
       {0},
       0,
       {0x00, 0x3c},
       2},
      {ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16,
       {1},
       1,
       {0x3f80},
       1,
       {0},
       0,
       {0x80, 0x3f},
       2},
      {ONNX__TENSOR_PROTO__DATA_TYPE__INT32,
       {2},
       1,
       {-1, 5},
       2,
       {0},
       0,
       {0xff, 0xff, 0xff, 0xff, 5, 0, 0, 0},
       8},
      {SP_ONNX_FLOAT8E4M3FN, {1}, 1, {0x38}, 1, {0}, 0, {0x38}, 1},
      // Three int4 values in two packed bytes: low nibble first.
      {SP_ONNX_INT4, {3}, 1, {0x21, 0x03}, 2, {0}, 0, {0x21, 0x03}, 2},
      {ONNX__TENSOR_PROTO__DATA_TYPE__UINT32,
       {2},
       1,
       {0},
       0,
       {0xdeadbeef, 1},
       2,
       {0xef, 0xbe, 0xad, 0xde, 1, 0, 0, 0},
       8},
      {ONNX__TENSOR_PROTO__DATA_TYPE__UINT64,
       {1},
       1,
       {0},
       0,
       {0x0102030405060708ull},
       1,
       {8, 7, 6, 5, 4, 3, 2, 1},
       8},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; ++i)
    check_typed(&cases[i]);
}

static void test_wide_typed_fields(void **state) {
  (void)state;
  float floats[4] = {1.5f, -2, 0, 3}; // also read as one complex64 pair
  int64_t ints[2] = {-5, INT64_MAX};
  double doubles[2] = {0.25, -1e300};
  fx *f = fx_new(8);
  Onnx__TensorProto *tf =
      fx_initializer(f, "f", FLOAT, 2, (int64_t[]){2, 2}, NULL, 0);
  tf->n_float_data = 4, tf->float_data = floats;
  Onnx__TensorProto *ti = fx_initializer(
      f, "i", ONNX__TENSOR_PROTO__DATA_TYPE__INT64, 1, (int64_t[]){2}, NULL, 0);
  ti->n_int64_data = 2, ti->int64_data = ints;
  Onnx__TensorProto *td =
      fx_initializer(f, "d", ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE, 1,
                     (int64_t[]){2}, NULL, 0);
  td->n_double_data = 2, td->double_data = doubles;
  Onnx__TensorProto *tc =
      fx_initializer(f, "c", ONNX__TENSOR_PROTO__DATA_TYPE__COMPLEX64, 1,
                     (int64_t[]){2}, NULL, 0);
  tc->n_float_data = 4, tc->float_data = floats;
  Onnx__TensorProto *ts = fx_initializer(f, "scalar", FLOAT, 0, NULL, NULL, 0);
  ts->n_float_data = 1, ts->float_data = floats;
  sp_onnx_model *m;
  sp_error err;
  assert_int_equal(load_fx(f, NULL, &m, &err), 0);
  const struct {
    const char *name;
    const void *expected;
    size_t size;
  } want[] = {{"f", floats, 16},
              {"i", ints, 16},
              {"d", doubles, 16},
              {"c", floats, 16},
              {"scalar", floats, 4}};
  for (size_t i = 0; i < sizeof want / sizeof *want; ++i) {
    const void *data;
    size_t size;
    assert_int_equal(sp_onnx_tensor_bytes(m, find_initializer(m, want[i].name),
                                          &data, &size, &err),
                     0);
    assert_int_equal(size, want[i].size);
    assert_memory_equal(data, want[i].expected, size);
  }
  sp_onnx_free(m);
  fx_free(f);
}

static void test_sizes_and_counts(void **state) {
  (void)state;
  assert_int_equal(sp_onnx_elem_size(FLOAT), 4);
  assert_int_equal(sp_onnx_elem_size(ONNX__TENSOR_PROTO__DATA_TYPE__COMPLEX128),
                   16);
  assert_int_equal(sp_onnx_elem_size(ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16),
                   2);
  assert_int_equal(sp_onnx_elem_size(ONNX__TENSOR_PROTO__DATA_TYPE__STRING), 0);
  assert_int_equal(sp_onnx_elem_size(99), 0);
  assert_int_equal(sp_onnx_elem_size(-1), 0);
  fx *f = fx_new(8);
  Onnx__TensorProto *t = fx_tensor(f, "t", FLOAT, 3, (int64_t[]){2, 3, 4});
  assert_int_equal(sp_onnx_tensor_numel(t), 24);
  t->n_dims = 0;
  assert_int_equal(sp_onnx_tensor_numel(t), 1);
  t->n_dims = 3;
  t->dims[1] = -1;
  assert_int_equal(sp_onnx_tensor_numel(t), -1);
  t->dims[1] = INT64_MAX / 2;
  assert_int_equal(sp_onnx_tensor_numel(t), -1);
  fx_free(f);
}

static void test_typed_count_mismatch_rejected(void **state) {
  (void)state;
  int32_t values[2] = {1, 2};
  fx *f = fx_new(8);
  Onnx__TensorProto *t = fx_initializer(
      f, "q", ONNX__TENSOR_PROTO__DATA_TYPE__INT8, 1, (int64_t[]){3}, NULL, 0);
  t->n_int32_data = 2, t->int32_data = values;
  expect_invalid(f,
                 "tensor 'q': 2 values stored, its dims and type INT8 need 3");
}

static void test_raw_size_mismatch_rejected(void **state) {
  (void)state;
  fx *f = fx_mlp();
  f->initializers[0]->raw_data.len = 8;
  expect_invalid(f, "tensor 'W': raw_data has 8 bytes, its dims and type FLOAT "
                    "need 48");
}

static void test_string_tensor_has_no_bytes(void **state) {
  (void)state;
  ProtobufCBinaryData strings[1] = {{2, (uint8_t *)"hi"}};
  fx *f = fx_new(8);
  Onnx__TensorProto *t =
      fx_initializer(f, "s", ONNX__TENSOR_PROTO__DATA_TYPE__STRING, 1,
                     (int64_t[]){1}, NULL, 0);
  t->n_string_data = 1, t->string_data = strings;
  sp_onnx_model *m;
  sp_error err;
  assert_int_equal(load_fx(f, NULL, &m, &err), 0);
  const void *data;
  size_t size;
  assert_int_equal(
      sp_onnx_tensor_bytes(m, find_initializer(m, "s"), &data, &size, &err),
      -1);
  assert_error(err, "STRING tensors have no raw bytes");
  sp_onnx_free(m);
  fx_free(f);
}

/* ---- external data ---------------------------------------------------- */

/* The MLP with a 64x300 W (76800 bytes) so it lands on a page boundary. */
static fx *big_mlp(float **weights) {
  static float w[64 * 300];
  for (size_t i = 0; i < sizeof w / sizeof *w; ++i)
    w[i] = (float)i * 0.5f;
  *weights = w;
  fx *f = fx_new(8);
  fx_input(f, "x", FLOAT, 2, (int64_t[]){1, 64});
  fx_initializer(f, "W", FLOAT, 2, (int64_t[]){64, 300}, w, sizeof w);
  fx_initializer(f, "b", FLOAT, 1, (int64_t[]){300}, w, 300 * sizeof(float));
  fx_initializer(f, "tiny", FLOAT, 1, (int64_t[]){2}, w, 2 * sizeof(float));
  fx_node(f, "MatMul", "mm", "x,W", "xw");
  fx_node(f, "Add", "add", "xw,b", "z");
  fx_node(f, "Mul", "mul", "z,tiny", "y");
  fx_output(f, "y", FLOAT, 2, (int64_t[]){1, 300});
  return f;
}

static void expect_bytes(sp_onnx_model *m, const char *name, const void *want,
                         size_t want_size) {
  const void *data;
  size_t size;
  sp_error err;
  if (sp_onnx_tensor_bytes(m, find_initializer(m, name), &data, &size, &err))
    fail_msg("%s", err.message);
  assert_int_equal(size, want_size);
  assert_memory_equal(data, want, size);
}

static void test_external_write_then_read(void **state) {
  (void)state;
  float *w;
  fx *f = big_mlp(&w);
  Onnx__TensorProto *W = f->initializers[0];
  uint8_t *caller_bytes = W->raw_data.data;
  sp_onnx_save_options options = {.external_threshold = 1024};
  sp_error err;
  assert_int_equal(
      sp_onnx_save(tmp_path("ext.onnx"), &f->model, &options, &err), 0);
  // The caller's proto is back as it was.
  assert_true(W->has_raw_data);
  assert_ptr_equal(W->raw_data.data, caller_bytes);
  assert_int_equal(W->n_external_data, 0);
  assert_false(W->has_data_location);
  assert_int_equal(count_temp_files(), 0);

  sp_onnx_model *m;
  assert_int_equal(sp_onnx_load(tmp_path("ext.onnx"), &m, &err), 0);
  const Onnx__TensorProto *lw = find_initializer(m, "W");
  assert_int_equal(lw->data_location,
                   ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL);
  assert_false(lw->has_raw_data);
  assert_string_equal(external_key(lw, "location"), "ext.onnx.data");
  assert_int_equal(strtoull(external_key(lw, "offset"), NULL, 10) % 4096, 0);
  // b has 1200 bytes: external, 64-byte aligned; tiny stays inline.
  const Onnx__TensorProto *lb = find_initializer(m, "b");
  assert_int_equal(strtoull(external_key(lb, "offset"), NULL, 10) % 64, 0);
  assert_true(find_initializer(m, "tiny")->has_raw_data);
  expect_bytes(m, "W", w, 64 * 300 * sizeof(float));
  expect_bytes(m, "b", w, 300 * sizeof(float));
  expect_bytes(m, "tiny", w, 2 * sizeof(float));
  const void *first, *second;
  size_t size;
  assert_int_equal(sp_onnx_tensor_bytes(m, lw, &first, &size, &err), 0);
  assert_int_equal(sp_onnx_tensor_bytes(m, lw, &second, &size, &err), 0);
  assert_ptr_equal(first, second);
  assert_int_equal((uintptr_t)first % 4096, 0); // a view of the page mapping

  // Inline it again and write a self-contained copy elsewhere.
  assert_int_equal(sp_onnx_inline_external(m, &err), 0);
  assert_int_equal(sp_onnx_save(tmp_path("inline.onnx"), m->proto, NULL, &err),
                   0);
  sp_onnx_free(m);
  assert_int_equal(sp_onnx_load(tmp_path("inline.onnx"), &m, &err), 0);
  assert_true(find_initializer(m, "W")->has_raw_data);
  assert_int_equal(find_initializer(m, "W")->n_external_data, 0);
  expect_bytes(m, "W", w, 64 * 300 * sizeof(float));
  sp_onnx_free(m);
  fx_free(f);
}

static void test_external_custom_file_name(void **state) {
  (void)state;
  float *w;
  fx *f = big_mlp(&w);
  sp_onnx_save_options options = {
      .external_threshold = 1, .external_file = "weights.bin", .durable = 1};
  sp_error err;
  assert_int_equal(
      sp_onnx_save(tmp_path("named.onnx"), &f->model, &options, &err), 0);
  struct stat st;
  assert_int_equal(stat(tmp_path("weights.bin"), &st), 0);
  sp_onnx_model *m;
  assert_int_equal(sp_onnx_load(tmp_path("named.onnx"), &m, &err), 0);
  assert_string_equal(external_key(find_initializer(m, "tiny"), "location"),
                      "weights.bin");
  expect_bytes(m, "tiny", w, 2 * sizeof(float));
  expect_bytes(m, "W", w, 64 * 300 * sizeof(float));
  sp_onnx_free(m);
  options.external_file = "../up.bin";
  assert_int_equal(
      sp_onnx_save(tmp_path("named.onnx"), &f->model, &options, &err), -1);
  assert_error(err, "must be a relative path");
  fx_free(f);
}

/* A model whose W lives at location (offset/length as given) in tmp_dir. */
static int load_external(const char *location, const char *offset,
                         const char *length, sp_onnx_model **m, sp_error *err) {
  fx *f = fx_mlp();
  Onnx__TensorProto *W = f->initializers[0];
  W->has_raw_data = 0;
  fx_external(f, W, location, offset, length);
  int rc = load_fx(f, tmp_dir, m, err);
  fx_free(f);
  return rc;
}

/* Loads fine, but reading W's bytes fails with substring. */
static void expect_external_error(const char *location, const char *offset,
                                  const char *length, const char *substring) {
  sp_onnx_model *m;
  sp_error err;
  if (load_external(location, offset, length, &m, &err) < 0) {
    assert_error(err, substring);
    return;
  }
  const void *data;
  size_t size;
  assert_int_equal(
      sp_onnx_tensor_bytes(m, find_initializer(m, "W"), &data, &size, &err),
      -1);
  assert_error(err, substring);
  sp_onnx_free(m);
}

static void test_external_escapes_rejected(void **state) {
  (void)state;
  float w[12] = {0};
  write_file(tmp_path("w.bin"), w, sizeof w);
  expect_external_error("../w.bin", NULL, NULL, "escapes the model directory");
  expect_external_error("/etc/passwd", NULL, NULL,
                        "escapes the model directory");
  expect_external_error("sub/../../w.bin", NULL, NULL, "escapes");
  expect_external_error("", NULL, NULL, "without a location");
  // A symlink inside the directory that points outside it.
  char outside[] = "/tmp/sp-onnx-outside-XXXXXX";
  int fd = mkstemp(outside);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, w, sizeof w), sizeof w);
  close(fd);
  assert_int_equal(symlink(outside, tmp_path("link.bin")), 0);
  expect_external_error("link.bin", NULL, NULL, "resolves outside");
  unlink(outside);
}

static void test_external_bounds_checked(void **state) {
  (void)state;
  float w[16];
  for (int i = 0; i < 16; ++i)
    w[i] = (float)i;
  write_file(tmp_path("w16.bin"), w, sizeof w);
  expect_external_error("w16.bin", "32", NULL, "is past its end");
  expect_external_error("w16.bin", "99999999999999999999", NULL,
                        "is not a byte count");
  expect_external_error("w16.bin", "-4", NULL, "is not a byte count");
  expect_external_error("w16.bin", "0", "44", "does not match its dims");
  expect_external_error("missing.bin", NULL, NULL, "cannot open external data");
  // Offset 4 is aligned for float: a view; offset 2 is not: an aligned copy.
  sp_onnx_model *m;
  sp_error err;
  assert_int_equal(load_external("w16.bin", "16", "48", &m, &err), 0);
  expect_bytes(m, "W", w + 4, 48);
  sp_onnx_free(m);
  write_file(tmp_path("odd.bin"), "ab", 2);
  FILE *file = fopen(tmp_path("odd.bin"), "ab");
  fwrite(w, 1, sizeof w, file);
  fclose(file);
  assert_int_equal(load_external("odd.bin", "2", NULL, &m, &err), 0);
  const void *data;
  size_t size;
  assert_int_equal(
      sp_onnx_tensor_bytes(m, find_initializer(m, "W"), &data, &size, &err), 0);
  assert_int_equal((uintptr_t)data % sizeof(float), 0);
  assert_memory_equal(data, w, 48);
  sp_onnx_free(m);
}

static void test_external_needs_base_dir(void **state) {
  (void)state;
  fx *f = fx_mlp();
  f->initializers[0]->has_raw_data = 0;
  fx_external(f, f->initializers[0], "w.bin", NULL, NULL);
  sp_onnx_model *m;
  sp_error err;
  assert_int_equal(load_fx(f, NULL, &m, &err), 0);
  const void *data;
  size_t size;
  assert_int_equal(
      sp_onnx_tensor_bytes(m, find_initializer(m, "W"), &data, &size, &err),
      -1);
  assert_error(err, "fx.onnx: external data 'w.bin' needs a base directory");
  // Saving a tensor that is still external, with no bytes, is refused.
  assert_int_equal(sp_onnx_save(tmp_path("nobytes.onnx"), m->proto, NULL, &err),
                   -1);
  assert_error(err, "is external data without raw_data");
  assert_int_equal(count_temp_files(), 0);
  sp_onnx_free(m);
  fx_free(f);
}

/* ---- bad files -------------------------------------------------------- */

static void expect_load_error(const char *name, const void *data, size_t size,
                              const char *substring) {
  write_file(tmp_path(name), data, size);
  sp_onnx_model *m = (sp_onnx_model *)1;
  sp_error err;
  assert_int_equal(sp_onnx_load(tmp_path(name), &m, &err), -1);
  assert_null(m);
  assert_error(err, substring);
  assert_error(err, tmp_path(name));
}

static void test_bad_files_rejected(void **state) {
  (void)state;
  fx *f = fx_mlp();
  size_t size;
  uint8_t *bytes = fx_pack(f, &size);
  expect_load_error("empty.onnx", "", 0, "empty file");
  expect_load_error("text.onnx", "ir_version: 8\ngraph {}\n", 22,
                    "not an ONNX model (protobuf parse failed)");
  expect_load_error("garbage.onnx", "\xff\xff\xff\xff\xff\xff", 6,
                    "not an ONNX model");
  expect_load_error("half.onnx", bytes, size / 2, "truncated file");
  expect_load_error("cut.onnx", bytes, size - 1, "truncated file");
  sp_onnx_model *m;
  sp_error err;
  assert_int_equal(sp_onnx_load(tmp_path("absent.onnx"), &m, &err), -1);
  assert_error(err, "cannot open: No such file or directory");
  assert_int_equal(sp_onnx_load(tmp_dir, &m, &err), -1);
  assert_error(err, "not a regular file");
  free(bytes);
  fx_free(f);
}

static void test_ir_version_range(void **state) {
  (void)state;
  fx *f = fx_mlp();
  f->model.ir_version = 11;
  expect_invalid(f, "unsupported IR version 11 (sp reads 3 to 10)");
  f = fx_mlp();
  f->model.ir_version = 2;
  expect_invalid(f, "unsupported IR version 2");
  f = fx_mlp();
  f->model.has_ir_version = 0;
  expect_invalid(f, "missing ir_version");
}

static void test_missing_graph_or_opset(void **state) {
  (void)state;
  fx *f = fx_mlp();
  f->model.graph = NULL;
  expect_invalid(f, "missing graph");
  f = fx_mlp();
  f->model.n_opset_import = 0;
  expect_invalid(f, "missing opset_import");
}

/* ---- graph structure -------------------------------------------------- */

static void test_undefined_input_names_node(void **state) {
  (void)state;
  fx *f = fx_mlp();
  f->nodes[1]->input[1] = fx_str(f, "nope");
  expect_invalid(f, "fx.onnx: node 'add' (Add): input 'nope' is not defined");
  f = fx_mlp();
  f->nodes[2]->name = NULL;
  f->nodes[2]->input[0] = fx_str(f, "nope");
  expect_invalid(f, "node #2 (Relu): input 'nope' is not defined");
  f = fx_mlp();
  f->outputs[0]->name = fx_str(f, "nowhere");
  expect_invalid(f, "graph output 'nowhere' is not defined");
}

static void test_optional_inputs_and_defaults(void **state) {
  (void)state;
  fx *f = fx_mlp();
  // "" is an omitted optional input; an initializer may shadow an input.
  fx_node(f, "Clip", "clip", "y,,", "clipped");
  fx_input(f, "b", FLOAT, 1, (int64_t[]){3});
  sp_onnx_model *m;
  sp_error err;
  if (load_fx(f, NULL, &m, &err) != 0)
    fail_msg("%s", err.message);
  sp_onnx_free(m);
  fx_free(f);
}

static void test_duplicate_names_rejected(void **state) {
  (void)state;
  fx *f = fx_mlp();
  fx_node(f, "Relu", "again", "x", "z");
  expect_invalid(f, "node 'again' (Relu): output 'z' is already defined by "
                    "node 'add' (Add)");
  f = fx_mlp();
  fx_node(f, "Relu", "shadow", "x", "W");
  expect_invalid(f, "output 'W' is already defined by an initializer");
  f = fx_mlp();
  fx_initializer(f, "b", FLOAT, 0, NULL, "abcd", 4);
  expect_invalid(f, "initializer 'b' is declared twice");
  f = fx_mlp();
  fx_input(f, "x", FLOAT, 0, NULL);
  expect_invalid(f, "graph input 'x' is declared twice");
  f = fx_mlp();
  f->nodes[0]->op_type = fx_str(f, "");
  expect_invalid(f, "node 'mm' (): missing op_type");
}

/* Found by fuzzing: names with newlines must not break the one-line rule. */
static void test_errors_stay_one_line(void **state) {
  (void)state;
  fx *f = fx_new(8);
  Onnx__NodeProto *node = fx_node(f, "Constant\n", "c\r1", NULL, "k");
  Onnx__AttributeProto init = ONNX__ATTRIBUTE_PROTO__INIT;
  Onnx__AttributeProto *value = fx_alloc(f, sizeof *value);
  *value = init;
  value->name = fx_str(f, "value");
  value->t = fx_tensor(f, "kv", FLOAT, 1, (int64_t[]){2});
  fx_raw(f, value->t, "abcd", 4);
  node->n_attribute = 1;
  node->attribute = fx_alloc(f, sizeof *node->attribute);
  node->attribute[0] = value;
  sp_onnx_model *m;
  sp_error err;
  assert_int_equal(load_fx(f, NULL, &m, &err), -1);
  assert_error(err, "fx.onnx: node 'c 1' (Constant ): tensor 'kv': raw_data "
                    "has 4 bytes");
  fx_free(f);
}

static void test_cycle_rejected(void **state) {
  (void)state;
  fx *f = fx_new(8);
  fx_input(f, "x", FLOAT, 0, NULL);
  fx_node(f, "Add", "a", "x,c", "b");
  fx_node(f, "Relu", "r", "b", "c");
  fx_node(f, "Relu", "after", "c", "y");
  fx_output(f, "y", FLOAT, 0, NULL);
  expect_invalid(f, "is on a cycle");
  f = fx_new(8);
  fx_node(f, "Relu", "self", "loop", "loop");
  expect_invalid(f, "fx.onnx: node 'self' (Relu) is on a cycle");
}

static void assert_order(const Onnx__GraphProto *g, const size_t *want) {
  size_t *order;
  sp_error err;
  assert_int_equal(sp_onnx_topo_order(g, &order, &err), 0);
  for (size_t i = 0; i < g->n_node; ++i)
    if (order[i] != want[i])
      fail_msg("order[%zu] = %zu, want %zu", i, order[i], want[i]);
  free(order);
}

static void test_topo_order(void **state) {
  (void)state;
  fx *f = fx_new(8);
  fx_input(f, "x", FLOAT, 0, NULL);
  fx_node(f, "Relu", "d", "c", "y");  // 0: needs c
  fx_node(f, "Add", "c", "a,b", "c"); // 1: needs a, b
  fx_node(f, "Relu", "b", "x", "b");  // 2
  fx_node(f, "Relu", "a", "x", "a");  // 3
  fx_node(f, "Relu", "e", "x", "e");  // 4: independent
  assert_order(&f->graph, (size_t[]){2, 3, 1, 0, 4});
  fx_free(f);
  // Already sorted, with an independent node in the middle: kept as is.
  f = fx_mlp();
  fx_node(f, "Relu", "side", "x", "s");
  assert_order(&f->graph, (size_t[]){0, 1, 2, 3});
  fx_free(f);
  f = fx_new(8);
  size_t *order = (size_t *)1;
  sp_error err;
  assert_int_equal(sp_onnx_topo_order(&f->graph, &order, &err), 0);
  free(order);
  fx_free(f);
}

/* An If whose then-branch reads inner_input; the outer graph defines
 * late_value after the If. */
static fx *if_model(const char *inner_input) {
  fx *f = fx_new(8);
  fx_input(f, "cond", ONNX__TENSOR_PROTO__DATA_TYPE__BOOL, 0, NULL);
  fx_input(f, "x", FLOAT, 0, NULL);
  Onnx__NodeProto *if_node = fx_node(f, "If", "if1", "cond", "y");
  fx_node(f, "Relu", "late", "x", "late_value");
  fx_output(f, "y", FLOAT, 0, NULL);
  Onnx__GraphProto *branch = fx_graph(f, "then", 1);
  fx_node_in(f, branch, "Identity", "inner", inner_input, "branch_out");
  branch->output[branch->n_output++] =
      fx_value(f, "branch_out", FLOAT, 0, NULL);
  fx_graph_attr(f, if_node, "then_branch", branch);
  return f;
}

static void test_subgraph_reads_outer_scope(void **state) {
  (void)state;
  fx *f = if_model("late_value");
  sp_onnx_model *m;
  sp_error err;
  if (load_fx(f, NULL, &m, &err) != 0)
    fail_msg("%s", err.message);
  // The If depends on "late" through its branch, so it moves after it.
  assert_order(m->proto->graph, (size_t[]){1, 0});
  sp_onnx_free(m);
  fx_free(f);
  expect_invalid(if_model("zz"), "fx.onnx: graph 'then_branch' of node 'if1' "
                                 "(If): node 'inner' (Identity): input 'zz' "
                                 "is not defined");
  expect_invalid(if_model("y"), "node 'if1' (If) is on a cycle");
}

static void test_large_graph_is_linear(void **state) {
  (void)state;
  // 30000 nodes in reverse order: quadratic lookups would take seconds.
  enum { N = 30000 };
  fx *f = fx_new(8);
  fx_input(f, "v0", FLOAT, 0, NULL);
  Onnx__GraphProto *g = fx_graph(f, "big", N);
  char in[32], out[32];
  for (int i = 0; i < N; ++i) {
    snprintf(in, sizeof in, "v%d", N - 1 - i);
    snprintf(out, sizeof out, "v%d", N - i);
    fx_node_in(f, g, "Relu", NULL, in, out);
  }
  f->graph.node = g->node;
  f->graph.n_node = N;
  sp_onnx_model *m;
  sp_error err;
  assert_int_equal(load_fx(f, NULL, &m, &err), 0);
  size_t *order;
  assert_int_equal(sp_onnx_topo_order(m->proto->graph, &order, &err), 0);
  for (size_t i = 0; i < N; ++i)
    assert_int_equal(order[i], N - 1 - i);
  free(order);
  sp_onnx_free(m);
  fx_free(f);
}

/* ---- failed saves ----------------------------------------------------- */

static void test_save_to_missing_dir_fails(void **state) {
  (void)state;
  fx *f = fx_mlp();
  sp_error err;
  assert_int_equal(
      sp_onnx_save(tmp_path("no/such/dir.onnx"), &f->model, NULL, &err), -1);
  assert_error(err, "cannot write '");
  assert_error(err, "no/such/dir.onnx': No such file or directory");
  fx_free(f);
}

static void test_save_to_read_only_dir_fails(void **state) {
  (void)state;
  if (geteuid() == 0)
    skip(); // root writes anywhere; the size-limit test covers cleanup
  fx *f = fx_mlp();
  char *dir = tmp_path("ro");
  assert_int_equal(mkdir(dir, 0555), 0);
  sp_error err;
  char path[600];
  snprintf(path, sizeof path, "%s/out.onnx", dir);
  assert_int_equal(sp_onnx_save(path, &f->model, NULL, &err), -1);
  assert_error(err, "out.onnx': Permission denied");
  fx_free(f);
}

static void expect_old_target(const char *path) {
  size_t size;
  uint8_t *data = read_file(path, &size);
  assert_int_equal(size, 3);
  assert_memory_equal(data, "old", 3);
  free(data);
}

static void test_failed_write_keeps_old_target(void **state) {
  (void)state;
  float *w;
  fx *f = big_mlp(&w);
  write_file(tmp_path("keep.onnx"), "old", 3);
  // Files may grow to 16 KiB only: the write fails midway (EFBIG).
  struct rlimit old_limit, limit;
  getrlimit(RLIMIT_FSIZE, &old_limit);
  limit = old_limit;
  limit.rlim_cur = 16384;
  signal(SIGXFSZ, SIG_IGN);
  assert_int_equal(setrlimit(RLIMIT_FSIZE, &limit), 0);
  sp_error err;
  int rc = sp_onnx_save(tmp_path("keep.onnx"), &f->model, NULL, &err);
  sp_onnx_save_options options = {.external_threshold = 1024};
  int rc_external =
      sp_onnx_save(tmp_path("keep.onnx"), &f->model, &options, &err);
  setrlimit(RLIMIT_FSIZE, &old_limit);
  signal(SIGXFSZ, SIG_DFL);
  assert_int_equal(rc, -1);
  assert_int_equal(rc_external, -1);
  assert_error(err, "File too large");
  expect_old_target(tmp_path("keep.onnx"));
  assert_int_equal(count_temp_files(), 0);
  assert_int_equal(access(tmp_path("keep.onnx.data"), F_OK), -1);
  fx_free(f);
}

static void test_failed_rename_cleans_up(void **state) {
  (void)state;
  float *w;
  fx *f = big_mlp(&w);
  sp_error err;
  // The target is a directory: rename fails after the temp file is written.
  assert_int_equal(mkdir(tmp_path("dir.onnx"), 0755), 0);
  assert_int_equal(sp_onnx_save(tmp_path("dir.onnx"), &f->model, NULL, &err),
                   -1);
  assert_error(err, "dir.onnx': Is a directory");
  assert_int_equal(count_temp_files(), 0);
  // The data file cannot be renamed into place: the model is not written.
  write_file(tmp_path("m2.onnx"), "old", 3);
  assert_int_equal(mkdir(tmp_path("m2.onnx.data"), 0755), 0);
  sp_onnx_save_options options = {.external_threshold = 1024};
  assert_int_equal(sp_onnx_save(tmp_path("m2.onnx"), &f->model, &options, &err),
                   -1);
  assert_error(err, "m2.onnx.data': Is a directory");
  expect_old_target(tmp_path("m2.onnx"));
  assert_int_equal(count_temp_files(), 0);
  assert_true(f->initializers[0]->has_raw_data);
  fx_free(f);
}

/* ---- interoperability with the onnx Python package -------------------- */

static void test_python_onnx_interop(void **state) {
  (void)state;
  if (system("/usr/bin/python3 -c 'import onnx' 2>/dev/null") != 0)
    skip();
  char cmd[2048];
  // Python writes a model with external data; sp reads it and writes it
  // back (inline and external); Python checks both copies.
  snprintf(cmd, sizeof cmd,
           "/usr/bin/python3 %s/test/unit/fixtures/onnx_interop.py write %s",
           SP_SOURCE_DIR, tmp_dir);
  assert_int_equal(system(cmd), 0);
  sp_onnx_model *m;
  sp_error err;
  if (sp_onnx_load(tmp_path("py.onnx"), &m, &err) != 0)
    fail_msg("%s", err.message);
  float want[6 * 5];
  for (int i = 0; i < 30; ++i)
    want[i] = (float)i / 4;
  expect_bytes(m, "W", want, sizeof want);
  assert_int_equal(sp_onnx_inline_external(m, &err), 0);
  assert_int_equal(
      sp_onnx_save(tmp_path("sp_inline.onnx"), m->proto, NULL, &err), 0);
  sp_onnx_save_options options = {.external_threshold = 16};
  assert_int_equal(
      sp_onnx_save(tmp_path("sp_external.onnx"), m->proto, &options, &err), 0);
  sp_onnx_free(m);
  snprintf(cmd, sizeof cmd,
           "/usr/bin/python3 %s/test/unit/fixtures/onnx_interop.py check %s",
           SP_SOURCE_DIR, tmp_dir);
  assert_int_equal(system(cmd), 0);
}

/* ---- setup ------------------------------------------------------------ */

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw) {
  (void)st, (void)flag, (void)ftw;
  chmod(path, 0755);
  return remove(path);
}

static int make_tmp_dir(void **state) {
  (void)state;
  return mkdtemp(tmp_dir) ? 0 : -1;
}

static int remove_tmp_dir(void **state) {
  (void)state;
  return nftw(tmp_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip_is_byte_identical),
      cmocka_unit_test(test_save_keeps_mode_of_existing_file),
      cmocka_unit_test(test_mapped_round_trip_is_byte_identical),
      cmocka_unit_test(test_unaligned_bytes_are_not_copied),
      cmocka_unit_test(test_int32_data_packs_narrow_types),
      cmocka_unit_test(test_wide_typed_fields),
      cmocka_unit_test(test_sizes_and_counts),
      cmocka_unit_test(test_typed_count_mismatch_rejected),
      cmocka_unit_test(test_raw_size_mismatch_rejected),
      cmocka_unit_test(test_string_tensor_has_no_bytes),
      cmocka_unit_test(test_external_write_then_read),
      cmocka_unit_test(test_external_custom_file_name),
      cmocka_unit_test(test_external_escapes_rejected),
      cmocka_unit_test(test_external_bounds_checked),
      cmocka_unit_test(test_external_needs_base_dir),
      cmocka_unit_test(test_bad_files_rejected),
      cmocka_unit_test(test_ir_version_range),
      cmocka_unit_test(test_missing_graph_or_opset),
      cmocka_unit_test(test_undefined_input_names_node),
      cmocka_unit_test(test_optional_inputs_and_defaults),
      cmocka_unit_test(test_duplicate_names_rejected),
      cmocka_unit_test(test_errors_stay_one_line),
      cmocka_unit_test(test_cycle_rejected),
      cmocka_unit_test(test_topo_order),
      cmocka_unit_test(test_subgraph_reads_outer_scope),
      cmocka_unit_test(test_large_graph_is_linear),
      cmocka_unit_test(test_save_to_missing_dir_fails),
      cmocka_unit_test(test_save_to_read_only_dir_fails),
      cmocka_unit_test(test_failed_write_keeps_old_target),
      cmocka_unit_test(test_failed_rename_cleans_up),
      cmocka_unit_test(test_python_onnx_interop),
  };
  return cmocka_run_group_tests(tests, make_tmp_dir, remove_tmp_dir);
}
