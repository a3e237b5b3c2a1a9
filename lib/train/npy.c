/* npy.c - NumPy .npy headers (sp/train.h): versions 1.0, 2.0 and 3.0.
 *
 * The file is "\x93NUMPY", major, minor, a little-endian header length (2
 * bytes in 1.0, 4 in 2.0/3.0), then a Python dict literal such as
 *   {'descr': '<f4', 'fortran_order': False, 'shape': (60000, 28, 28), }
 * padded with spaces and a newline, then the raw data. The input is
 * untrusted: every read is bounded by the header's end, every number and
 * product is checked for overflow. */
#include <stdint.h>
#include <string.h>

#include "sp/npy.h"

/* Elements a .npy may claim (as ONNX tensors: 2^59, so bytes fit in int64). */
#define NPY_MAX_NUMEL ((int64_t)1 << 59)

typedef struct cursor {
  const char *p, *end;
  const char *start; /* of the header, for offsets in errors */
  const char *name;
  sp_error *err;
} cursor;

static int fail(cursor *c, const char *what) {
  return sp_error_set(c->err, "%s: .npy header: %s at byte %td", c->name, what,
                      c->p - c->start);
}

static void skip_space(cursor *c) {
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
    ++c->p;
}

static int eat(cursor *c, char ch) {
  skip_space(c);
  if (c->p < c->end && *c->p == ch) {
    ++c->p;
    return 1;
  }
  return 0;
}

/* A quoted string ('...' or "..."), no escapes (none of the keys or dtypes
 * have them); *s, *len point into the header. */
static int string(cursor *c, const char **s, size_t *len) {
  skip_space(c);
  if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
    return fail(c, "expected a quoted string");
  char quote = *c->p++;
  const char *begin = c->p;
  while (c->p < c->end && *c->p != quote) {
    if (*c->p == '\\')
      return fail(c, "escape in a string");
    ++c->p;
  }
  if (c->p >= c->end)
    return fail(c, "unterminated string");
  *s = begin;
  *len = (size_t)(c->p - begin);
  ++c->p;
  return 0;
}

static int word(cursor *c, const char *w) {
  size_t n = strlen(w);
  skip_space(c);
  if ((size_t)(c->end - c->p) >= n && !memcmp(c->p, w, n)) {
    c->p += n;
    return 1;
  }
  return 0;
}

/* A non-negative decimal integer (Python 2's "3L" too). */
static int integer(cursor *c, int64_t *v) {
  skip_space(c);
  if (c->p >= c->end || *c->p < '0' || *c->p > '9')
    return fail(c, "expected a non-negative integer in the shape");
  int64_t x = 0;
  while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
    if (x > (NPY_MAX_NUMEL - 9) / 10)
      return fail(c, "dimension too large");
    x = x * 10 + (*c->p++ - '0');
  }
  if (c->p < c->end && *c->p == 'L')
    ++c->p;
  *v = x;
  return 0;
}

/* (d0, d1, ...) with an optional trailing comma; () is a scalar. */
static int shape(cursor *c, sp_npy *out) {
  if (!eat(c, '('))
    return fail(c, "'shape' is not a tuple");
  out->rank = 0;
  if (eat(c, ')'))
    return 0;
  for (;;) {
    if (out->rank == SP_NPY_MAX_RANK)
      return fail(c, "more than 8 dimensions");
    if (integer(c, &out->dims[out->rank]))
      return -1;
    out->rank++;
    if (eat(c, ')')) {
      if (out->rank == 1) /* (5) is the int 5 in Python, not a tuple */
        return fail(c, "a one-element shape needs a trailing comma");
      return 0;
    }
    if (!eat(c, ','))
      return fail(c, "expected ',' or ')' in the shape");
    if (eat(c, ')'))
      return 0;
  }
}

static int dtype(cursor *c, const char *s, size_t len, sp_npy *out) {
  static const struct {
    const char *descr;
    sp_npy_dtype dtype;
    size_t size;
  } known[] = {{"<f4", SP_NPY_FLOAT32, 4}, {"|u1", SP_NPY_UINT8, 1},
               {"<u1", SP_NPY_UINT8, 1},   {">u1", SP_NPY_UINT8, 1},
               {"u1", SP_NPY_UINT8, 1},    {"<i8", SP_NPY_INT64, 8},
               {"<i4", SP_NPY_INT32, 4}};
  for (size_t k = 0; k < sizeof known / sizeof *known; ++k)
    if (strlen(known[k].descr) == len && !memcmp(s, known[k].descr, len)) {
      out->dtype = known[k].dtype;
      out->item_size = known[k].size;
      return 0;
    }
  char shown[32];
  size_t n = len < sizeof shown - 1 ? len : sizeof shown - 1;
  for (size_t k = 0; k < n; ++k) /* one printable line whatever the bytes */
    shown[k] = s[k] >= ' ' && s[k] < 127 ? s[k] : '?';
  shown[n] = 0;
  if (len && s[0] == '>')
    return sp_error_set(c->err, "%s: dtype '%s' is big-endian; only little-endian data is read",
                        c->name, shown);
  return sp_error_set(c->err,
                      "%s: dtype '%s' is not float32 '<f4', uint8 '|u1', int64 '<i8' or "
                      "int32 '<i4'", c->name, shown);
}

int sp_npy_parse(const void *bytes, size_t size, const char *name, sp_npy *out,
                 sp_error *err) {
  memset(out, 0, sizeof *out);
  const unsigned char *b = bytes;
  if (size < 10 || memcmp(b, "\x93NUMPY", 6))
    return sp_error_set(err, "%s: not a .npy file (no \\x93NUMPY magic)", name);
  int major = b[6], minor = b[7];
  if (major < 1 || major > 3 || minor != 0)
    return sp_error_set(err, "%s: .npy version %d.%d is not 1.0, 2.0 or 3.0", name, major,
                        minor);
  size_t start = major == 1 ? 10 : 12, len;
  if (size < start)
    return sp_error_set(err, "%s: truncated .npy preamble", name);
  if (major == 1)
    len = (size_t)b[8] | (size_t)b[9] << 8;
  else
    len = (size_t)b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 | (size_t)b[11] << 24;
  if (len > size - start)
    return sp_error_set(err, "%s: .npy header of %zu bytes runs past the end of the file "
                        "(%zu bytes)", name, len, size);
  cursor c = {(const char *)b + start, (const char *)b + start + len, (const char *)b + start,
              name, err};
  int have_descr = 0, have_order = 0, have_shape = 0, fortran = 0;
  const char *descr = NULL;
  size_t descr_len = 0;
  if (!eat(&c, '{'))
    return fail(&c, "expected '{'");
  while (!eat(&c, '}')) {
    const char *key;
    size_t key_len;
    if (string(&c, &key, &key_len))
      return -1;
    if (!eat(&c, ':'))
      return fail(&c, "expected ':'");
#define KEY(K) (key_len == sizeof K - 1 && !memcmp(key, K, key_len))
    if (KEY("descr")) {
      if (have_descr++)
        return fail(&c, "'descr' twice");
      if (eat(&c, '['))
        return sp_error_set(err, "%s: .npy header: 'descr' is a list (structured arrays are "
                            "not read)", name);
      if (string(&c, &descr, &descr_len))
        return -1;
    } else if (KEY("fortran_order")) {
      if (have_order++)
        return fail(&c, "'fortran_order' twice");
      if (word(&c, "True"))
        fortran = 1;
      else if (!word(&c, "False"))
        return fail(&c, "'fortran_order' is not True or False");
    } else if (KEY("shape")) {
      if (have_shape++)
        return fail(&c, "'shape' twice");
      if (shape(&c, out))
        return -1;
    } else {
      return fail(&c, "unknown key (want 'descr', 'fortran_order', 'shape')");
    }
#undef KEY
    if (!eat(&c, ',')) {
      if (!eat(&c, '}'))
        return fail(&c, "expected ',' or '}'");
      break;
    }
  }
  skip_space(&c);
  if (c.p != c.end)
    return fail(&c, "text after the dict");
  if (!have_descr || !have_order || !have_shape)
    return sp_error_set(err, "%s: .npy header lacks '%s'", name,
                        !have_descr ? "descr" : !have_order ? "fortran_order" : "shape");
  if (dtype(&c, descr, descr_len, out))
    return -1;
  int64_t numel = 1;
  int nontrivial = 0;
  for (int k = 0; k < out->rank; ++k) {
    nontrivial += out->dims[k] > 1;
    if (out->dims[k] && numel > NPY_MAX_NUMEL / out->dims[k])
      return sp_error_set(err, "%s: .npy shape has more than 2^59 elements", name);
    numel *= out->dims[k];
  }
  if (fortran && nontrivial > 1) /* one non-unit dim reads the same in either order */
    return sp_error_set(err, "%s: fortran_order is True (column-major); save it with "
                        "np.save(path, np.ascontiguousarray(a))", name);
  out->numel = numel;
  out->data_offset = start + len;
  size_t data = size - out->data_offset, want = (size_t)numel * out->item_size;
  if (data != want)
    return sp_error_set(err, "%s: the .npy shape needs %zu bytes of data, the file has %zu",
                        name, want, data);
  return 0;
}
