/* test_data.c - lib/train's data layer: the .npy header parser on files
 * numpy wrote (test/train/make_npy_files.py, directory $SP_NPY_DIR) and on
 * malformed headers; TensorProto folders; per-channel normalisation;
 * augmentation on a known image; the loader's shuffle, determinism, and
 * the loader thread giving the same bits as the caller's thread. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "sp/runtime.h"
#include "sp/train.h"

static const char *npy_dir(void) {
  const char *d = getenv("SP_NPY_DIR");
  if (!d)
    fail_msg("set SP_NPY_DIR to the output of test/train/make_npy_files.py");
  return d;
}

static char *path_in(char *buf, size_t size, const char *dir, const char *name) {
  snprintf(buf, size, "%s/%s", dir, name);
  return buf;
}

/* ---- .npy headers in memory ---- */

/* A .npy image: preamble of version major, header text, then data_bytes zeros. */
static size_t make_npy(unsigned char *buf, int major, const char *header, size_t data_bytes) {
  size_t len = strlen(header), start = major == 1 ? 10 : 12;
  memcpy(buf, "\x93NUMPY", 6);
  buf[6] = (unsigned char)major, buf[7] = 0;
  buf[8] = (unsigned char)len, buf[9] = (unsigned char)(len >> 8);
  if (major > 1)
    buf[10] = buf[11] = 0;
  memcpy(buf + start, header, len);
  memset(buf + start + len, 0, data_bytes);
  return start + len + data_bytes;
}

static int parse(int major, const char *header, size_t data_bytes, sp_npy *out, sp_error *err) {
  static unsigned char buf[4096];
  size_t n = make_npy(buf, major, header, data_bytes);
  return sp_npy_parse(buf, n, "t.npy", out, err);
}

static void test_npy_header_forms(void **state) {
  (void)state;
  sp_npy h;
  sp_error err = {{0}};
  /* spaces anywhere, trailing commas, double quotes, keys in any order */
  assert_int_equal(parse(1, "{ \"shape\" : ( 3 , 2 , ) , 'fortran_order':False,'descr':'<f4' , }\n",
                         24, &h, &err), 0);
  assert_int_equal(h.rank, 2);
  assert_int_equal(h.dims[0], 3);
  assert_int_equal(h.dims[1], 2);
  assert_int_equal(h.dtype, SP_NPY_FLOAT32);
  assert_int_equal(h.data_offset, 10 + strlen("{ \"shape\" : ( 3 , 2 , ) , 'fortran_order':False,'descr':'<f4' , }\n"));
  /* one dim, Python 2's long suffix, version 2.0 */
  assert_int_equal(parse(2, "{'descr': '<i8', 'fortran_order': False, 'shape': (4L,), }", 32, &h,
                         &err), 0);
  assert_int_equal(h.rank, 1);
  assert_int_equal(h.dims[0], 4);
  assert_int_equal(h.item_size, 8);
  /* a scalar; a zero dim (no data) */
  assert_int_equal(parse(1, "{'descr': '|u1', 'fortran_order': False, 'shape': ()}", 1, &h, &err),
                   0);
  assert_int_equal(h.rank, 0);
  assert_int_equal(h.numel, 1);
  assert_int_equal(parse(3, "{'descr': '<i4', 'fortran_order': False, 'shape': (0, 7)}", 0, &h,
                         &err), 0);
  assert_int_equal(h.numel, 0);
  /* fortran order with one non-unit dim reads the same */
  assert_int_equal(parse(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (1, 5)}", 20, &h,
                         &err), 0);
}

static void expect_error(int major, const char *header, size_t data_bytes, const char *want) {
  sp_npy h;
  sp_error err = {{0}};
  if (parse(major, header, data_bytes, &h, &err) == 0)
    fail_msg("accepted %s", header);
  if (!strstr(err.message, want))
    fail_msg("%s: error '%s' lacks '%s'", header, err.message, want);
  assert_non_null(strstr(err.message, "t.npy"));
}

static void test_npy_malformed(void **state) {
  (void)state;
  expect_error(4, "{}", 0, "version 4.0");
  expect_error(1, "[]", 0, "expected '{'");
  expect_error(1, "{'descr': '<f4', 'shape': (2,)}", 8, "lacks 'fortran_order'");
  expect_error(1, "{'descr': '<f4', 'fortran_order': False}", 8, "lacks 'shape'");
  expect_error(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", 8,
               "unknown key");
  expect_error(1, "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", 8,
               "'descr' twice");
  expect_error(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3)}", 24,
               "fortran_order is True");
  expect_error(1, "{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}", 8, "True or False");
  expect_error(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2,)}", 8, "big-endian");
  expect_error(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2,)}", 16,
               "dtype '<f8' is not");
  expect_error(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,)}", 8,
               "structured");
  expect_error(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (5)}", 20, "trailing comma");
  expect_error(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}", 0,
               "non-negative integer");
  expect_error(1, "{'descr': '<f4', 'fortran_order': False, 'shape': 7}", 0, "not a tuple");
  expect_error(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3}", 24, "',' or ')'");
  expect_error(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1)}", 4,
               "more than 8");
  expect_error(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}",
               0, "too large");
  expect_error(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000, 1000000000)}",
               0, "more than 2^59");
  expect_error(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", 7,
               "needs 8 bytes of data, the file has 7");
  expect_error(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", 9,
               "needs 8 bytes of data, the file has 9");
  expect_error(1, "{'descr': '<f4, 'fortran_order': False, 'shape': (2,)}", 8, "");
  expect_error(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} x", 8,
               "text after the dict");
  expect_error(1, "{'descr': '<f4' 'fortran_order': False, 'shape': (2,)}", 8, "',' or '}'");
  expect_error(1, "{'descr': 'a\\b', 'fortran_order': False, 'shape': (2,)}", 8, "escape");
  expect_error(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)", 8, "");
  /* the header length past the end of the file */
  unsigned char buf[64];
  size_t n = make_npy(buf, 1, "{'descr': '<f4'}", 0);
  buf[8] = 200;
  sp_npy h;
  sp_error err = {{0}};
  assert_int_equal(sp_npy_parse(buf, n, "t.npy", &h, &err), -1);
  assert_non_null(strstr(err.message, "runs past the end"));
  assert_int_equal(sp_npy_parse("\x93NUMPY\x01", 7, "t.npy", &h, &err), -1);
  assert_non_null(strstr(err.message, "not a .npy file"));
  assert_int_equal(sp_npy_parse("\x93NUMPY\x02\x00\x00\x00", 10, "t.npy", &h, &err), -1);
  assert_non_null(strstr(err.message, "truncated"));
}

/* ---- files numpy wrote ---- */

static void test_npy_files_from_numpy(void **state) {
  (void)state;
  const char *dir = npy_dir();
  char x[4096], y[4096];
  const char *floats[] = {"x_f4_v1.npy", "x_f4_v2.npy", "x_f4_v3.npy"};
  const char *label_files[] = {"y_i8.npy", "y_i4_v2.npy", "y_i8.npy"};
  const int64_t want_labels[5] = {0, 1, 2, 1, 0};
  for (int v = 0; v < 3; ++v) {
    sp_dataset d;
    sp_error err = {{0}};
    if (sp_dataset_load_npy(path_in(x, sizeof x, dir, floats[v]),
                            path_in(y, sizeof y, dir, label_files[v]), &d, &err))
      fail_msg("%s", err.message);
    assert_int_equal(d.count, 5);
    assert_int_equal(d.rank, 3);
    assert_int_equal(d.sample_dims[0], 1);
    assert_int_equal(d.sample_dims[1], 2);
    assert_int_equal(d.sample_dims[2], 3);
    assert_int_equal(d.sample_size, 6);
    assert_int_equal(d.classes, 3);
    for (int i = 0; i < 30; ++i)
      assert_true(d.x[i] == (float)i * 0.25f - 1);
    assert_memory_equal(d.labels, want_labels, sizeof want_labels);
    sp_dataset_free(&d);
  }
  sp_dataset d;
  sp_error err = {{0}};
  assert_int_equal(sp_dataset_load_npy(path_in(x, sizeof x, dir, "x_u1.npy"),
                                       path_in(y, sizeof y, dir, "y_i8.npy"), &d, &err), 0);
  assert_int_equal(d.rank, 2);
  for (int i = 0; i < 30; ++i) /* bytes read as p / 255, as IDX pixels are */
    assert_true(d.x[i] == (float)((i * 37) % 256) / 255.0f);
  sp_dataset_free(&d);

  static const struct {
    const char *x, *y, *error;
  } bad[] = {
      {"x_fortran.npy", "y_i8.npy", "x_fortran.npy: fortran_order is True"},
      {"x_big_endian.npy", "y_i8.npy", "x_big_endian.npy: dtype '>f4' is big-endian"},
      {"x_f8.npy", "y_i8.npy", "x_f8.npy: dtype '<f8' is not"},
      {"x_f4_v1.npy", "y_f4.npy", "y_f4.npy: labels are float32; int64 or int32"},
      {"x_f4_v1.npy", "y_short.npy", "y_short.npy: 4 labels for the 5 samples"},
      {"y_i8.npy", "y_i8.npy", "y_i8.npy: inputs are int64"},
      {"x_f4_v1.npy", "x_f4_v1.npy", "x_f4_v1.npy: labels are float32"},
      {"none.npy", "y_i8.npy", "none.npy: cannot open"},
  };
  for (size_t k = 0; k < sizeof bad / sizeof *bad; ++k) {
    memset(&err, 0, sizeof err);
    if (!sp_dataset_load_npy(path_in(x, sizeof x, dir, bad[k].x),
                             path_in(y, sizeof y, dir, bad[k].y), &d, &err))
      fail_msg("%s %s accepted", bad[k].x, bad[k].y);
    if (!strstr(err.message, bad[k].error))
      fail_msg("'%s' lacks '%s'", err.message, bad[k].error);
    assert_null(d.x);
  }
}

/* ---- TensorProto folders ---- */

static void write_pb(const char *dir, const char *name, int32_t type, int rank,
                     const int64_t *dims, void *data) {
  char path[4096];
  sp_tensor t = {name, type, rank, {0}, 1, data};
  for (int k = 0; k < rank; ++k)
    t.numel *= t.dims[k] = dims[k];
  sp_error err = {{0}};
  if (sp_tensor_write_pb(path_in(path, sizeof path, dir, name), &t, &err))
    fail_msg("%s", err.message);
}

static void test_pb_dir(void **state) {
  (void)state;
  char dir[] = "/tmp/sp_test_data_XXXXXX";
  assert_non_null(mkdtemp(dir));
  /* input_0: a batch of 2 (1, 2, 2); input_1: one sample with a scalar label */
  float b0[8] = {0, 1, 2, 3, 4, 5, 6, 7}, s1[4] = {8, 9, 10, 11};
  int64_t l0[2] = {3, 1}, l1 = 4;
  const int64_t batch_dims[4] = {2, 1, 2, 2}, label_dims[1] = {2};
  write_pb(dir, "input_0.pb", 1, 4, batch_dims, b0);
  write_pb(dir, "label_0.pb", 7, 1, label_dims, l0);
  write_pb(dir, "input_1.pb", 1, 3, batch_dims + 1, s1);
  write_pb(dir, "label_1.pb", 7, 0, NULL, &l1);
  for (int sample_rank = 0; sample_rank <= 3; sample_rank += 3) { /* unknown, and from a model */
    sp_dataset d;
    sp_error err = {{0}};
    if (sp_dataset_load_pb_dir(dir, sample_rank, &d, &err))
      fail_msg("%s", err.message);
    assert_int_equal(d.count, 3);
    assert_int_equal(d.rank, 3);
    assert_int_equal(d.classes, 5);
    for (int i = 0; i < 12; ++i)
      assert_true(d.x[i] == (float)i);
    assert_int_equal(d.labels[0], 3);
    assert_int_equal(d.labels[1], 1);
    assert_int_equal(d.labels[2], 4);
    sp_dataset_free(&d);
  }
  sp_dataset d;
  sp_error err = {{0}};
  /* a model taking rank-2 samples sees neither a sample nor a batch */
  assert_int_equal(sp_dataset_load_pb_dir(dir, 2, &d, &err), -1);
  assert_non_null(strstr(err.message, "input_0.pb: an input of 4 dims"));
  /* labels of the wrong type, count, or sign; a missing label; other sample dims */
  float l_float[2] = {1, 2};
  write_pb(dir, "label_0.pb", 1, 1, label_dims, l_float);
  assert_int_equal(sp_dataset_load_pb_dir(dir, 0, &d, &err), -1);
  assert_non_null(strstr(err.message, "label_0.pb: labels must be int64"));
  const int64_t three[1] = {3};
  int64_t l3[3] = {0, 1, 2};
  write_pb(dir, "label_0.pb", 7, 1, three, l3);
  assert_int_equal(sp_dataset_load_pb_dir(dir, 0, &d, &err), -1);
  assert_non_null(strstr(err.message, "label_0.pb: 3 labels for the 2 samples"));
  l0[1] = -2;
  write_pb(dir, "label_0.pb", 7, 1, label_dims, l0);
  assert_int_equal(sp_dataset_load_pb_dir(dir, 0, &d, &err), -1);
  assert_non_null(strstr(err.message, "label_0.pb: label -2 is negative"));
  l0[1] = 1;
  write_pb(dir, "label_0.pb", 7, 1, label_dims, l0);
  const int64_t other[3] = {1, 4, 1};
  write_pb(dir, "input_1.pb", 1, 3, other, s1);
  assert_int_equal(sp_dataset_load_pb_dir(dir, 0, &d, &err), -1);
  assert_non_null(strstr(err.message, "input_1.pb: its samples' dims differ"));
  char path[4096];
  unlink(path_in(path, sizeof path, dir, "label_1.pb"));
  assert_int_equal(sp_dataset_load_pb_dir(dir, 0, &d, &err), -1);
  assert_non_null(strstr(err.message, "label_1.pb: cannot open"));
  unlink(path_in(path, sizeof path, dir, "input_1.pb"));
  unlink(path_in(path, sizeof path, dir, "input_0.pb"));
  unlink(path_in(path, sizeof path, dir, "label_0.pb"));
  assert_int_equal(sp_dataset_load_pb_dir(dir, 0, &d, &err), -1);
  assert_non_null(strstr(err.message, "input_0.pb: cannot open"));
  rmdir(dir);
}

/* ---- normalisation and augmentation ---- */

static void test_normalize(void **state) {
  (void)state;
  sp_normalize n;
  sp_error err = {{0}};
  assert_int_equal(sp_normalize_parse("0.5,1,-2", "0.25", &n, &err), 0);
  assert_int_equal(n.channels, 3);
  assert_true(n.std[2] == 0.25f && n.mean[2] == -2.0f);
  assert_int_equal(sp_normalize_parse("1,2", "1,2,3", &n, &err), -1);
  assert_non_null(strstr(err.message, "--mean has 2 values and --std 3"));
  assert_int_equal(sp_normalize_parse(NULL, "0", &n, &err), -1);
  assert_int_equal(sp_normalize_parse("1,x", NULL, &n, &err), -1);
  assert_int_equal(sp_normalize_parse("1,", NULL, &n, &err), -1);

  /* two samples (3, 1, 2): channel c of every sample becomes (x - mean[c]) / std[c] */
  float x[12];
  int64_t labels[2] = {0, 1}, out_labels[2];
  for (int i = 0; i < 12; ++i)
    x[i] = (float)i;
  sp_dataset d = {2, 3, {3, 1, 2}, 6, x, labels, 2, 1};
  float batch[12];
  assert_int_equal(sp_normalize_parse("0.5,1,-2", "0.25,2,4", &n, &err), 0);
  sp_dataset_batch(&d, &n, 0, 2, batch, out_labels);
  for (int i = 0; i < 12; ++i) {
    int c = (i % 6) / 2;
    assert_true(batch[i] == ((float)i - n.mean[c]) / n.std[c]);
  }
  assert_int_equal(sp_normalize_check(&n, &d, "d", &err), 0);
  d.sample_dims[0] = 1, d.sample_dims[2] = 6;
  assert_int_equal(sp_normalize_check(&n, &d, "d.npy", &err), -1);
  assert_non_null(strstr(err.message, "d.npy: --mean/--std give 3 channels, the samples have 1"));
}

static void test_augment_known_image(void **state) {
  (void)state;
  /* one channel 3 x 4:  1  2  3  4 / 5  6  7  8 / 9 10 11 12, and channel 2 = -channel 1 */
  float in[24], out[24];
  for (int i = 0; i < 12; ++i)
    in[i] = (float)(i + 1), in[12 + i] = -(float)(i + 1);
  sp_augment_sample(in, out, 2, 3, 4, 0, 0, 0, 1); /* flip only */
  const float flipped[12] = {4, 3, 2, 1, 8, 7, 6, 5, 12, 11, 10, 9};
  for (int i = 0; i < 12; ++i) {
    assert_true(out[i] == flipped[i]);
    assert_true(out[12 + i] == -flipped[i]);
  }
  sp_augment_sample(in, out, 2, 3, 4, 1, 1, 1, 0); /* the centre crop is the image */
  assert_memory_equal(out, in, sizeof in);
  sp_augment_sample(in, out, 2, 3, 4, 1, 0, 2, 0); /* shifted down 1, left 1 */
  const float shifted[12] = {0, 0, 0, 0, 2, 3, 4, 0, 6, 7, 8, 0};
  for (int i = 0; i < 12; ++i)
    assert_true(out[i] == shifted[i]);
  sp_augment_sample(in, out, 2, 3, 4, 2, 4, 0, 1); /* pad 2: up 2, right 2, then mirrored */
  const float corner[12] = {10, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  for (int i = 0; i < 12; ++i)
    assert_true(out[i] == corner[i]);

  sp_augment a;
  sp_error err = {{0}};
  assert_int_equal(sp_augment_parse("flip,crop=4", &a, &err), 0);
  assert_true(a.flip && a.crop_pad == 4);
  assert_int_equal(sp_augment_parse("crop=2", &a, &err), 0);
  assert_true(!a.flip && a.crop_pad == 2);
  assert_int_equal(sp_augment_parse("flip,", &a, &err), -1);
  assert_int_equal(sp_augment_parse("crop=0", &a, &err), -1);
  assert_int_equal(sp_augment_parse("crop=4x", &a, &err), -1);
  assert_int_equal(sp_augment_parse("rotate", &a, &err), -1);
  assert_non_null(strstr(err.message, "'rotate' is not flip or crop=P"));
}

/* ---- the loader ---- */

enum { N = 37, BATCH = 8, H = 3, W = 5 };

/* sample i is (1, H, W) filled with i + 1 + k / 100 (every pixel distinct) */
static sp_dataset make_images(float *x, int64_t *labels) {
  for (int i = 0; i < N; ++i) {
    labels[i] = i;
    for (int k = 0; k < H * W; ++k)
      x[i * H * W + k] = (float)(i + 1) + (float)k / 100;
  }
  sp_dataset d = {N, 3, {1, H, W}, H * W, x, labels, N, 1};
  return d;
}

/* Every batch of epochs epochs, concatenated. */
static void run_loader(const sp_dataset *d, sp_loader_options o, int epochs, float *x,
                       int64_t *labels) {
  sp_loader *l;
  sp_error err = {{0}};
  o.epochs = epochs;
  if (sp_loader_create(d, &o, &l, &err))
    fail_msg("%s", err.message);
  const int64_t steps = sp_loader_steps_per_epoch(l);
  assert_int_equal(steps, (N + BATCH - 1) / BATCH);
  int64_t at = 0;
  for (int e = 1; e <= epochs; ++e)
    for (int64_t s = 0; s < steps; ++s) {
      sp_batch b;
      assert_int_equal(sp_loader_next(l, &b, &err), 0);
      assert_int_equal(b.epoch, e);
      assert_int_equal(b.index, s);
      assert_int_equal(b.n, s < steps - 1 ? BATCH : N - BATCH * (steps - 1));
      assert_int_equal(b.rank, 4);
      assert_int_equal(b.dims[3], W);
      memcpy(x + at * H * W, b.x, (size_t)(b.n * H * W) * sizeof *x);
      memcpy(labels + at, b.labels, (size_t)b.n * sizeof *labels);
      at += b.n;
    }
  sp_batch b;
  assert_int_equal(sp_loader_next(l, &b, &err), -1); /* past the last epoch */
  sp_loader_free(l);
}

static void test_loader_shuffles_every_sample_once(void **state) {
  (void)state;
  static float x[N * H * W], got[3 * N * H * W];
  int64_t labels[N], got_labels[3 * N];
  sp_dataset d = make_images(x, labels);
  sp_loader_options o = {.batch = BATCH, .seed = 7, .shuffle = 1};
  o.norm.channels = 1, o.norm.mean[0] = 1, o.norm.std[0] = 2;
  run_loader(&d, o, 3, got, got_labels);
  for (int e = 0; e < 3; ++e) {
    int seen[N] = {0}, moved = 0;
    for (int i = 0; i < N; ++i) {
      int64_t s = got_labels[e * N + i];
      seen[s]++;
      moved += s != i;
      for (int k = 0; k < H * W; ++k) /* the sample that goes with the label, normalised */
        assert_true(got[(e * N + i) * H * W + k] == (x[s * H * W + k] - 1.0f) / 2.0f);
    }
    for (int i = 0; i < N; ++i)
      assert_int_equal(seen[i], 1);
    assert_true(moved > N / 2);
  }
  assert_memory_not_equal(got_labels, got_labels + N, N * sizeof *got_labels);
}

static void test_loader_augments_deterministically(void **state) {
  (void)state;
  static float x[N * H * W], a[4 * N * H * W], b[4 * N * H * W], c[4 * N * H * W];
  int64_t labels[N], la[4 * N], lb[4 * N], lc[4 * N];
  sp_dataset d = make_images(x, labels);
  sp_loader_options o = {.batch = BATCH, .seed = 3, .shuffle = 1,
                         .augment = {.flip = 1, .crop_pad = 1}};
  run_loader(&d, o, 4, a, la);
  o.threaded = 1; /* the loader thread gives the same bits */
  run_loader(&d, o, 4, b, lb);
  assert_memory_equal(a, b, sizeof a);
  assert_memory_equal(la, lb, sizeof la);
  o.seed = 4; /* another seed, other batches */
  run_loader(&d, o, 4, c, lc);
  assert_memory_not_equal(a, c, sizeof a);

  /* each augmented sample is its source cropped at some offset in [0, 2] and
   * maybe mirrored; over 4 x 37 samples every choice comes up */
  int flips = 0, offsets[3][3] = {{0}};
  float want[H * W];
  for (int i = 0; i < 4 * N; ++i) {
    const float *src = x + la[i] * H * W, *got = a + i * H * W;
    int found = 0;
    for (int dy = 0; dy <= 2 && !found; ++dy)
      for (int dx = 0; dx <= 2 && !found; ++dx)
        for (int flip = 0; flip <= 1 && !found; ++flip) {
          sp_augment_sample(src, want, 1, H, W, 1, dy, dx, flip);
          if (!memcmp(want, got, sizeof want)) {
            found = 1, flips += flip, offsets[dy][dx]++;
          }
        }
    if (!found)
      fail_msg("sample %d is no crop or flip of sample %lld", i, (long long)la[i]);
  }
  assert_true(flips > 4 * N / 4 && flips < 3 * 4 * N / 4);
  for (int dy = 0; dy < 3; ++dy)
    for (int dx = 0; dx < 3; ++dx)
      assert_true(offsets[dy][dx] > 0);
}

static void test_loader_stops_mid_epoch(void **state) {
  (void)state;
  static float x[N * H * W];
  int64_t labels[N];
  sp_dataset d = make_images(x, labels);
  sp_loader_options o = {.batch = BATCH, .epochs = 1000, .seed = 1, .shuffle = 1, .threaded = 1};
  for (int taken = 0; taken < 4; ++taken) { /* freed before, while and after batches run */
    sp_loader *l;
    sp_error err = {{0}};
    assert_int_equal(sp_loader_create(&d, &o, &l, &err), 0);
    for (int k = 0; k < taken; ++k) {
      sp_batch b;
      assert_int_equal(sp_loader_next(l, &b, &err), 0);
    }
    sp_loader_free(l);
  }
  /* samples (H, W) augment as (1, H, W) do */
  static float a[2 * N * H * W], b[2 * N * H * W];
  int64_t la[2 * N], lb[2 * N];
  sp_loader_options aug = {.batch = BATCH, .seed = 2, .shuffle = 1,
                           .augment = {.flip = 1, .crop_pad = 2}};
  run_loader(&d, aug, 2, a, la);
  sp_dataset plane = d;
  plane.rank = 2, plane.sample_dims[0] = H, plane.sample_dims[1] = W;
  sp_loader *l;
  sp_error err = {{0}};
  assert_int_equal(sp_loader_create(&plane, &aug, &l, &err), 0);
  int64_t at = 0;
  for (int k = 0; k < 2 * ((N + BATCH - 1) / BATCH); ++k) {
    sp_batch batch;
    assert_int_equal(sp_loader_next(l, &batch, &err), 0);
    assert_int_equal(batch.rank, 3);
    memcpy(b + at * H * W, batch.x, (size_t)(batch.n * H * W) * sizeof *b);
    memcpy(lb + at, batch.labels, (size_t)batch.n * sizeof *lb);
    at += batch.n;
  }
  sp_loader_free(l);
  assert_memory_equal(a, b, sizeof a);
  assert_memory_equal(la, lb, sizeof la);

  d.rank = 1, d.sample_dims[0] = H * W; /* augmentation wants images */
  o.augment.flip = 1;
  assert_int_equal(sp_loader_create(&d, &o, &l, &err), -1);
  assert_non_null(strstr(err.message, "--augment needs images"));
}

/* A text file as windows of T bytes with the next bytes as labels, every
 * stride; the loader keeps each window's T labels with it through the
 * shuffle, on the loader thread too. */
static void test_text_windows(void **state) {
  (void)state;
  char dir[] = "/tmp/sp_test_text_XXXXXX", path[256];
  assert_non_null(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/t.txt", dir);
  const char text[] = "abcdefghijklmnopqrstuvwxyz"; /* 26 bytes */
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(text, 1, 26, f), 26);
  assert_int_equal(fclose(f), 0);
  sp_dataset d;
  sp_error err = {{0}};
  if (sp_dataset_load_text(path, 4, 3, 128, &d, &err))
    fail_msg("%s", err.message);
  assert_int_equal(d.count, (26 - 4 - 1) / 3 + 1); /* 8 windows */
  assert_int_equal(d.rank, 1);
  assert_int_equal(d.sample_dims[0], 4);
  assert_int_equal(sp_dataset_label_size(&d), 4);
  for (int64_t i = 0; i < d.count; ++i)
    for (int p = 0; p < 4; ++p) {
      assert_true(d.x[i * 4 + p] == (float)text[i * 3 + p]);
      assert_int_equal(d.labels[i * 4 + p], text[i * 3 + p + 1]); /* the next character */
    }
  float x[3 * 4];
  int64_t labels[3 * 4];
  sp_normalize identity = {0};
  identity.channels = 1, identity.std[0] = 1;
  sp_dataset_batch(&d, &identity, 5, 3, x, labels);
  assert_memory_equal(labels, d.labels + 5 * 4, sizeof labels);
  for (int threaded = 0; threaded <= 1; ++threaded) {
    sp_loader_options o = {.batch = 3, .epochs = 2, .seed = 3, .shuffle = 1,
                           .threaded = threaded};
    o.norm = identity;
    sp_loader *l;
    if (sp_loader_create(&d, &o, &l, &err))
      fail_msg("%s", err.message);
    int moved = 0;
    for (int k = 0; k < 6; ++k) {
      sp_batch b;
      assert_int_equal(sp_loader_next(l, &b, &err), 0);
      for (int64_t i = 0; i < b.n; ++i) {
        const int64_t w = (int64_t)b.x[i * 4] - 'a'; /* the window's first byte */
        assert_int_equal(w % 3, 0);
        moved += w / 3 != b.index * 3 + i;
        for (int p = 0; p < 4; ++p)
          assert_int_equal(b.labels[i * 4 + p], (int64_t)b.x[i * 4 + p] + 1);
      }
    }
    assert_true(moved > 0);
    sp_loader_free(l);
  }
  sp_dataset_free(&d);
  /* errors name the file: a byte past the vocabulary, too short */
  assert_int_equal(sp_dataset_load_text(path, 4, 4, 100, &d, &err), -1);
  assert_non_null(strstr(err.message, "t.txt: byte 100 at offset 3 is outside"));
  assert_int_equal(sp_dataset_load_text(path, 26, 1, 128, &d, &err), -1);
  assert_non_null(strstr(err.message, "t.txt: 26 bytes; a window of 26 characters"));
  assert_null(d.x);
  remove(path);
  rmdir(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_npy_header_forms),
      cmocka_unit_test(test_npy_malformed),
      cmocka_unit_test(test_npy_files_from_numpy),
      cmocka_unit_test(test_pb_dir),
      cmocka_unit_test(test_normalize),
      cmocka_unit_test(test_augment_known_image),
      cmocka_unit_test(test_loader_shuffles_every_sample_once),
      cmocka_unit_test(test_loader_augments_deterministically),
      cmocka_unit_test(test_loader_stops_mid_epoch),
      cmocka_unit_test(test_text_windows),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
