/* tensor_io.c - TensorProto files <-> sp_tensor (sp-run's input_N.pb and
 * output_N.pb, ONNX's test-data layout). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime_internal.h"
#include "sp/output.h"

void sp_tensor_free(sp_tensor *t) {
  if (!t)
    return;
  free((void *)t->name);
  free(t->data);
  free(t);
}

/* Elements in whichever typed field holds the data (no raw_data). */
static size_t typed_count(const Onnx__TensorProto *tp) {
  size_t n = tp->n_float_data;
  n = tp->n_double_data > n ? tp->n_double_data : n;
  n = tp->n_int64_data > n ? tp->n_int64_data : n;
  n = tp->n_uint64_data > n ? tp->n_uint64_data : n;
  return tp->n_int32_data > n ? tp->n_int32_data : n;
}

int sp_tensor_read_pb(const char *path, sp_tensor **out, sp_error *err) {
  *out = NULL;
  FILE *f = fopen(path, "rb");
  if (!f)
    return sp_error_set(err, "%s: cannot open", path);
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *bytes = malloc(size > 0 ? (size_t)size : 1);
  if (!bytes || (size > 0 && fread(bytes, 1, (size_t)size, f) != (size_t)size)) {
    fclose(f);
    free(bytes);
    return sp_error_set(err, "%s: cannot read", path);
  }
  fclose(f);
  Onnx__TensorProto *tp = onnx__tensor_proto__unpack(NULL, (size_t)size, bytes);
  free(bytes);
  if (!tp)
    return sp_error_set(err, "%s: not a TensorProto", path);
  sp_tensor *t = calloc(1, sizeof *t);
  int rc = 0;
  size_t es = sp_tensor_elem_size(tp->data_type);
  if (!t) {
    rc = sp_error_set(err, "out of memory");
  } else if (!es) {
    sp_error_set(err, "%s: element type %d is not supported", path,
                 (int)tp->data_type);
    rc = SP_RT_UNSUPPORTED;
  } else if (tp->n_dims > SP_MAX_RANK) {
    rc = sp_error_set(err, "%s: rank too large", path);
  } else {
    t->name = strdup(tp->name ? tp->name : "");
    t->elem_type = tp->data_type;
    t->rank = (int)tp->n_dims;
    for (size_t d = 0; d < tp->n_dims; ++d)
      t->dims[d] = tp->dims[d];
    t->numel = rt_numel(t);
    size_t bytes_n = t->numel >= 0 ? (size_t)t->numel * es : 0;
    char what[4200];
    snprintf(what, sizeof what, "%s: the tensor", path);
    if (t->numel < 0) /* before any allocation of that size */
      rc = sp_onnx_numel_error(err, what, tp->dims, tp->n_dims);
    else if (tp->has_raw_data && tp->raw_data.len != bytes_n)
      rc = sp_error_set(err, "%s: raw data has %zu bytes, expected %zu", path,
                        tp->raw_data.len, bytes_n);
    else if (!tp->has_raw_data && typed_count(tp) != (size_t)t->numel)
      rc = sp_error_set(err, "%s: typed data does not match dims", path);
    else if (!(t->data = malloc(bytes_n ? bytes_n : 1)) || !t->name) {
      rc = sp_error_set(err, "out of memory");
    } else if (tp->has_raw_data) {
      if (bytes_n)
        memcpy(t->data, tp->raw_data.data, bytes_n);
    } else {
      size_t k = (size_t)t->numel;
      switch (tp->data_type) {
      case RT_FLOAT:
        if (tp->n_float_data != k)
          rc = -1;
        else if (bytes_n)
          memcpy(t->data, tp->float_data, bytes_n);
        break;
      case RT_DOUBLE:
        if (tp->n_double_data != k)
          rc = -1;
        else if (bytes_n)
          memcpy(t->data, tp->double_data, bytes_n);
        break;
      case RT_INT64:
        if (tp->n_int64_data != k)
          rc = -1;
        else if (bytes_n)
          memcpy(t->data, tp->int64_data, bytes_n);
        break;
      case ONNX__TENSOR_PROTO__DATA_TYPE__UINT64:
      case ONNX__TENSOR_PROTO__DATA_TYPE__UINT32:
        if (tp->n_uint64_data != k)
          rc = -1;
        else
          for (size_t i = 0; i < k; ++i) {
            if (es == 8)
              ((uint64_t *)t->data)[i] = tp->uint64_data[i];
            else
              ((uint32_t *)t->data)[i] = (uint32_t)tp->uint64_data[i];
          }
        break;
      default: /* int32 and the narrower ints, bool, float16 in int32_data */
        if (tp->n_int32_data != k)
          rc = -1;
        else
          for (size_t i = 0; i < k; ++i) {
            int32_t v = tp->int32_data[i];
            memcpy((char *)t->data + i * es, &v, es); /* little-endian */
          }
        break;
      }
      if (rc)
        rc = sp_error_set(err, "%s: typed data does not match dims", path);
    }
  }
  onnx__tensor_proto__free_unpacked(tp, NULL);
  if (rc) {
    sp_tensor_free(t);
    return rc;
  }
  *out = t;
  return 0;
}

int sp_tensor_write_pb(const char *path, const sp_tensor *t, sp_error *err) {
  Onnx__TensorProto tp;
  onnx__tensor_proto__init(&tp);
  tp.name = (char *)(t->name ? t->name : "");
  tp.has_data_type = 1;
  tp.data_type = t->elem_type;
  tp.n_dims = (size_t)t->rank;
  int64_t dims[SP_MAX_RANK];
  for (int d = 0; d < t->rank; ++d)
    dims[d] = t->dims[d];
  tp.dims = dims;
  tp.has_raw_data = 1;
  tp.raw_data.len = (size_t)t->numel * sp_tensor_elem_size(t->elem_type);
  tp.raw_data.data = t->data;
  size_t size = onnx__tensor_proto__get_packed_size(&tp);
  unsigned char *buf = malloc(size ? size : 1);
  if (!buf)
    return sp_error_set(err, "%s: out of memory", path);
  onnx__tensor_proto__pack(&tp, buf);
  int rc = sp_output_write_all(path, buf, size, err); /* atomic, checked */
  free(buf);
  return rc;
}
