/* tensor.c - tensor sizes and the bytes behind a TensorProto.
 *
 * sp assumes a little-endian host, like ONNX's raw_data: typed fields of the
 * element's own width are handed out in place, narrower ones are converted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_internal.h"

enum { NUM_TYPES = SP_ONNX_INT4 + 1 };

static const struct {
  const char *name;
  size_t size;
} types[NUM_TYPES] = {
    [ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT] = {"FLOAT", 4},
    [ONNX__TENSOR_PROTO__DATA_TYPE__UINT8] = {"UINT8", 1},
    [ONNX__TENSOR_PROTO__DATA_TYPE__INT8] = {"INT8", 1},
    [ONNX__TENSOR_PROTO__DATA_TYPE__UINT16] = {"UINT16", 2},
    [ONNX__TENSOR_PROTO__DATA_TYPE__INT16] = {"INT16", 2},
    [ONNX__TENSOR_PROTO__DATA_TYPE__INT32] = {"INT32", 4},
    [ONNX__TENSOR_PROTO__DATA_TYPE__INT64] = {"INT64", 8},
    [ONNX__TENSOR_PROTO__DATA_TYPE__STRING] = {"STRING", 0},
    [ONNX__TENSOR_PROTO__DATA_TYPE__BOOL] = {"BOOL", 1},
    [ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16] = {"FLOAT16", 2},
    [ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE] = {"DOUBLE", 8},
    [ONNX__TENSOR_PROTO__DATA_TYPE__UINT32] = {"UINT32", 4},
    [ONNX__TENSOR_PROTO__DATA_TYPE__UINT64] = {"UINT64", 8},
    [ONNX__TENSOR_PROTO__DATA_TYPE__COMPLEX64] = {"COMPLEX64", 8},
    [ONNX__TENSOR_PROTO__DATA_TYPE__COMPLEX128] = {"COMPLEX128", 16},
    [ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16] = {"BFLOAT16", 2},
    [SP_ONNX_FLOAT8E4M3FN] = {"FLOAT8E4M3FN", 1},
    [SP_ONNX_FLOAT8E4M3FNUZ] = {"FLOAT8E4M3FNUZ", 1},
    [SP_ONNX_FLOAT8E5M2] = {"FLOAT8E5M2", 1},
    [SP_ONNX_FLOAT8E5M2FNUZ] = {"FLOAT8E5M2FNUZ", 1},
    [SP_ONNX_UINT4] = {"UINT4", 0},
    [SP_ONNX_INT4] = {"INT4", 0},
};

static int is_4bit(int32_t t) {
  return t == SP_ONNX_UINT4 || t == SP_ONNX_INT4;
}

size_t sp_onnx_elem_size(int32_t elem_type) {
  return elem_type > 0 && elem_type < NUM_TYPES ? types[elem_type].size : 0;
}

const char *sp_onnx_type_name(int32_t elem_type, char buf[32]) {
  if (elem_type > 0 && elem_type < NUM_TYPES && types[elem_type].name)
    return types[elem_type].name;
  snprintf(buf, 32, "type %d", (int)elem_type);
  return buf;
}

int64_t sp_onnx_dims_numel(const int64_t *dims, size_t rank) {
  int64_t numel = 1;
  int empty = 0;
  for (size_t i = 0; i < rank; ++i) {
    if (dims[i] < 0)
      return -1;
    empty |= dims[i] == 0;
    if (dims[i] > 0 && (__builtin_mul_overflow(numel, dims[i], &numel) ||
                        numel > SP_ONNX_MAX_NUMEL))
      return -1;
  }
  return empty ? 0 : numel;
}

int sp_onnx_numel_error(sp_error *err, const char *what, const int64_t *dims,
                        size_t rank) {
  char shape[256] = "";
  double count = 1;
  int negative = 0;
  for (size_t i = 0, used = 0; i < rank; ++i) {
    negative |= dims[i] < 0;
    count *= dims[i] > 0 ? (double)dims[i] : 1.0;
    if (used < sizeof shape)
      used += (size_t)snprintf(shape + used, sizeof shape - used, "%s%lld",
                               i ? "x" : "", (long long)dims[i]);
  }
  if (negative)
    return sp_error_set(err, "%s has a negative dim (%s)", what, shape);
  return sp_error_set(err, "%s has %.3g elements (%s), more than a tensor can have (2^59)",
                      what, count, shape);
}

int64_t sp_onnx_tensor_numel(const Onnx__TensorProto *tensor) {
  return sp_onnx_dims_numel(tensor->dims, tensor->n_dims);
}

static const char *tensor_name(const Onnx__TensorProto *t) {
  return t->name ? t->name : "";
}

int sp_onnx_payload_bytes(const Onnx__TensorProto *tensor, size_t *bytes,
                          sp_error *err) {
  char buf[32];
  int32_t type = tensor->data_type;
  size_t size = sp_onnx_elem_size(type);
  if (!size && !is_4bit(type))
    return sp_error_set(err, "tensor '%s': data type %s has no fixed size",
                        tensor_name(tensor), sp_onnx_type_name(type, buf));
  int64_t numel = sp_onnx_tensor_numel(tensor);
  if (numel < 0 || (uint64_t)numel > SIZE_MAX / 16)
    return sp_error_set(err, "tensor '%s': dims are negative or too large",
                        tensor_name(tensor));
  *bytes = is_4bit(type) ? ((size_t)numel + 1) / 2 : (size_t)numel * size;
  return 0;
}

/* Which typed field holds a type's values, and how many payload bytes one
 * entry of that field stands for. */
typedef enum {
  FIELD_FLOAT,
  FIELD_INT32,
  FIELD_INT64,
  FIELD_DOUBLE,
  FIELD_UINT64
} field_kind;

static field_kind typed_field(int32_t type, size_t *unit) {
  switch (type) {
  case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
  case ONNX__TENSOR_PROTO__DATA_TYPE__COMPLEX64:
    *unit = 4;
    return FIELD_FLOAT;
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
    *unit = 8;
    return FIELD_INT64;
  case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
  case ONNX__TENSOR_PROTO__DATA_TYPE__COMPLEX128:
    *unit = 8;
    return FIELD_DOUBLE;
  case ONNX__TENSOR_PROTO__DATA_TYPE__UINT32:
  case ONNX__TENSOR_PROTO__DATA_TYPE__UINT64:
    *unit = sp_onnx_elem_size(type);
    return FIELD_UINT64;
  default: // int32_data carries every narrower type, 4-bit ones as packed bytes
    *unit = is_4bit(type) ? 1 : sp_onnx_elem_size(type);
    return FIELD_INT32;
  }
}

static size_t field_count(const Onnx__TensorProto *t, field_kind kind) {
  switch (kind) {
  case FIELD_FLOAT:
    return t->n_float_data;
  case FIELD_INT32:
    return t->n_int32_data;
  case FIELD_INT64:
    return t->n_int64_data;
  case FIELD_DOUBLE:
    return t->n_double_data;
  case FIELD_UINT64:
    return t->n_uint64_data;
  }
  return 0;
}

static const void *field_data(const Onnx__TensorProto *t, field_kind kind) {
  switch (kind) {
  case FIELD_FLOAT:
    return t->float_data;
  case FIELD_INT32:
    return t->int32_data;
  case FIELD_INT64:
    return t->int64_data;
  case FIELD_DOUBLE:
    return t->double_data;
  case FIELD_UINT64:
    return t->uint64_data;
  }
  return NULL;
}

static int check_external(const Onnx__TensorProto *t, size_t bytes,
                          sp_error *err) {
  const char *location;
  uint64_t offset, length;
  if (sp_onnx_external_keys(t, &location, &offset, &length, err) < 0)
    return -1;
  if (length != UINT64_MAX && length != bytes)
    return sp_error_set(err,
                        "tensor '%s': external data length %llu does not match "
                        "its dims (%zu bytes)",
                        tensor_name(t), (unsigned long long)length, bytes);
  return 0;
}

static int check_strings(const Onnx__TensorProto *t, sp_error *err) {
  int64_t numel = sp_onnx_tensor_numel(t);
  if (numel < 0 || (uint64_t)numel != t->n_string_data)
    return sp_error_set(err, "tensor '%s': %zu strings for dims of %lld",
                        tensor_name(t), t->n_string_data, (long long)numel);
  return 0;
}

int sp_onnx_check_tensor(const Onnx__TensorProto *t, sp_error *err) {
  int external =
      t->has_data_location &&
      t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
  if (t->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__STRING && !external)
    return check_strings(t, err);
  size_t bytes;
  if (sp_onnx_payload_bytes(t, &bytes, err) < 0)
    return -1;
  if (external)
    return check_external(t, bytes, err);
  char buf[32];
  if (t->has_raw_data) {
    if (t->raw_data.len != bytes)
      return sp_error_set(err,
                          "tensor '%s': raw_data has %zu bytes, its dims "
                          "and type %s need %zu",
                          tensor_name(t), t->raw_data.len,
                          sp_onnx_type_name(t->data_type, buf), bytes);
    return 0;
  }
  size_t unit;
  field_kind kind = typed_field(t->data_type, &unit);
  if (field_count(t, kind) != bytes / unit)
    return sp_error_set(err,
                        "tensor '%s': %zu values stored, its dims and "
                        "type %s need %zu",
                        tensor_name(t), field_count(t, kind),
                        sp_onnx_type_name(t->data_type, buf), bytes / unit);
  return 0;
}

int sp_onnx_add_view(sp_onnx_model *model, const Onnx__TensorProto *tensor,
                     const void *data, size_t size, void *owned) {
  struct sp_onnx_backing *b = model->backing;
  if (sp_grow((void **)&b->views, &b->cap_views, b->num_views,
              sizeof *b->views) < 0) {
    free(owned);
    return -1;
  }
  if (sp_map_put_ptr(&b->view_index, tensor, (void *)(uintptr_t)b->num_views) <
      0) {
    free(owned);
    return -1;
  }
  b->views[b->num_views++] = (sp_onnx_view){data, size, owned};
  return 0;
}

/* Narrows int32_data/uint64_data entries to their element width. */
static void *narrow(const Onnx__TensorProto *t, field_kind kind, size_t unit,
                    size_t count) {
  uint8_t *out = malloc(count * unit);
  if (!out)
    return NULL;
  int is_bool = t->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__BOOL;
  for (size_t i = 0; i < count; ++i) {
    uint64_t v = kind == FIELD_UINT64 ? t->uint64_data[i]
                                      : (uint64_t)(uint32_t)t->int32_data[i];
    if (is_bool)
      v = v != 0;
    if (unit == 1)
      out[i] = (uint8_t)v;
    else if (unit == 2)
      ((uint16_t *)out)[i] = (uint16_t)v;
    else
      ((uint32_t *)out)[i] = (uint32_t)v;
  }
  return out;
}

static int typed_bytes(sp_onnx_model *model, const Onnx__TensorProto *t,
                       size_t bytes, const void **data, sp_error *err) {
  size_t unit;
  field_kind kind = typed_field(t->data_type, &unit);
  size_t count = bytes / unit;
  size_t stored = kind == FIELD_INT32 ? 4 : kind == FIELD_FLOAT ? 4 : 8;
  if (stored == unit) { // same layout as the payload: hand it out in place
    *data = field_data(t, kind);
    return 0;
  }
  void *owned = narrow(t, kind, unit, count);
  if (!owned || sp_onnx_add_view(model, t, owned, bytes, owned) < 0)
    return sp_error_set(err, "%s: tensor '%s': out of memory", model->path,
                        tensor_name(t));
  *data = owned;
  return 0;
}

/* Natural alignment of an element, which typed readers rely on. */
static size_t alignment_of(int32_t type) {
  size_t size = sp_onnx_elem_size(type);
  if (type == ONNX__TENSOR_PROTO__DATA_TYPE__COMPLEX64 ||
      type == ONNX__TENSOR_PROTO__DATA_TYPE__COMPLEX128)
    size /= 2;
  return size ? size : 1;
}

static int misaligned(const void *p, int32_t type) {
  return (uintptr_t)p % alignment_of(type) != 0;
}

int sp_onnx_aligned_view(sp_onnx_model *model, const Onnx__TensorProto *t,
                         const uint8_t *bytes, size_t size, int aligned,
                         const void **data) {
  void *owned = NULL;
  if (aligned && misaligned(bytes, t->data_type)) {
    owned = malloc(size);
    if (!owned)
      return -1;
    memcpy(owned, bytes, size);
  }
  *data = owned ? owned : (const void *)bytes;
  return sp_onnx_add_view(model, t, *data, size, owned);
}

/* A view handed out before, unless it is misaligned and aligned is asked
 * for (then an aligned copy replaces it). */
static int cached_view(const sp_onnx_model *model, const Onnx__TensorProto *t,
                       int aligned, const void **data, size_t *size) {
  int found;
  size_t i = (uintptr_t)sp_map_get_ptr(&model->backing->view_index, t, &found);
  if (!found ||
      (aligned && misaligned(model->backing->views[i].data, t->data_type)))
    return 0;
  *data = model->backing->views[i].data;
  *size = model->backing->views[i].size;
  return 1;
}

static int tensor_data(sp_onnx_model *model, const Onnx__TensorProto *tensor,
                       int aligned, const void **data, size_t *size,
                       sp_error *err) {
  static const max_align_t nothing;
  const char *where = model ? model->path : "<no model>";
  if (!model || !tensor)
    return sp_error_set(err, "%s: no tensor", where);
  if (cached_view(model, tensor, aligned, data, size))
    return 0;
  if (tensor->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__STRING)
    return sp_error_set(err,
                        "%s: tensor '%s': STRING tensors have no raw "
                        "bytes",
                        where, tensor_name(tensor));
  if (sp_onnx_check_tensor(tensor, err) < 0)
    return sp_onnx_file_error(err, where);
  size_t bytes;
  sp_onnx_payload_bytes(tensor, &bytes, NULL);
  *size = bytes;
  *data = &nothing;
  if (bytes == 0)
    return 0;
  if (tensor->has_data_location &&
      tensor->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
    return sp_onnx_external_bytes(model, tensor, bytes, aligned, data, err);
  if (tensor->has_raw_data) {
    *data = tensor->raw_data.data;
    // raw_data lifted from the file mapping can sit at any offset.
    if (aligned && misaligned(*data, tensor->data_type) &&
        sp_onnx_aligned_view(model, tensor, *data, bytes, 1, data) < 0)
      return sp_error_set(err, "%s: out of memory", where);
    return 0;
  }
  return typed_bytes(model, tensor, bytes, data, err);
}

int sp_onnx_tensor_bytes(sp_onnx_model *model, const Onnx__TensorProto *tensor,
                         const void **data, size_t *size, sp_error *err) {
  return tensor_data(model, tensor, 1, data, size, err);
}

int sp_onnx_tensor_bytes_unaligned(sp_onnx_model *model,
                                   const Onnx__TensorProto *tensor,
                                   const void **data, size_t *size,
                                   sp_error *err) {
  return tensor_data(model, tensor, 0, data, size, err);
}
