#include "sp/weights.h"

#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <stdlib.h>
#include <string.h>

#include "sp/hashmap.h"

// What sp knows about one elements attribute: where its bytes live.
typedef struct weight_entry {
  void *context;
  const void *data;
  size_t size;
  void *owned; // buffer sp allocated (copies, materialised blobs), or NULL
  sp_weight_release_fn release;
  void *release_user;
} weight_entry;

// Attribute pointer -> weight_entry. One table for the process: sp runs
// contexts single-threaded (sp_context_create turns threading off).
static sp_map weight_table;

static size_t alignment_of(const void *p) {
  uintptr_t a = (uintptr_t)p;
  size_t align = 64;
  while (align > 1 && (a & (align - 1)))
    align >>= 1;
  return align;
}

static size_t element_bits(MlirType elem);

// Bytes of one element of a tensor type (a power of two), at least 1.
static size_t element_bytes(MlirType tensor_type) {
  size_t bits = element_bits(mlirShapedTypeGetElementType(tensor_type));
  size_t bytes = bits >= 8 ? bits / 8 : 1;
  size_t pow2 = 1;
  while (pow2 < bytes)
    pow2 <<= 1;
  return pow2;
}

static void on_blob_deleted(void *user, const void *data, size_t size,
                            size_t align) {
  (void)align;
  weight_entry *e = user;
  if (e->release)
    e->release(e->release_user, data, size);
  e->release = NULL;
}

static MlirAttribute create(MlirType tensor_type, const char *key,
                            const void *data, size_t size, void *owned,
                            sp_weight_release_fn release, void *user) {
  weight_entry *e = calloc(1, sizeof *e);
  if (!e)
    return (MlirAttribute){NULL};
  e->context = mlirTypeGetContext(tensor_type).ptr;
  e->data = data;
  e->size = size;
  e->owned = owned;
  e->release = release;
  e->release_user = user;
  // Weights mapped from a file may sit at any offset; MLIR only needs the
  // declared alignment when it prints the blob, and a reparsed blob is
  // allocated with it, so declare at least the element size.
  size_t align = alignment_of(data);
  size_t elem = element_bytes(tensor_type);
  if (align < elem)
    align = elem;
  MlirAttribute attr = mlirUnmanagedDenseResourceElementsAttrGet(
      tensor_type, mlirStringRefCreateFromCString(key), (void *)data, size, align, false,
      on_blob_deleted, e);
  if (mlirAttributeIsNull(attr) || sp_map_put_ptr(&weight_table, attr.ptr, e)) {
    free(e);
    return (MlirAttribute){NULL};
  }
  return attr;
}

MlirAttribute sp_weight_create(MlirType tensor_type, const char *key,
                               const void *data, size_t size,
                               sp_weight_release_fn release, void *user) {
  return create(tensor_type, key, data, size, NULL, release, user);
}

void *sp_weight_alloc(size_t size) {
  return aligned_alloc(64, (size + 63) / 64 * 64 + 64);
}

MlirAttribute sp_weight_create_copy(MlirType tensor_type, const char *key,
                                    const void *data, size_t size) {
  // 64-byte alignment keeps SIMD kernels and MLIR's blob alignment happy.
  void *copy = sp_weight_alloc(size);
  if (!copy)
    return (MlirAttribute){NULL};
  if (size)
    memcpy(copy, data, size);
  return create(tensor_type, key, copy, size, copy, NULL, NULL);
}

static size_t element_bits(MlirType elem) {
  if (mlirTypeIsAComplex(elem))
    return 2 * element_bits(mlirComplexTypeGetElementType(elem));
  if (mlirTypeIsAInteger(elem)) {
    unsigned w = mlirIntegerTypeGetWidth(elem);
    return w == 1 ? 8 : w;
  }
  if (mlirTypeIsAFloat(elem))
    return mlirFloatTypeGetWidth(elem);
  return 0;
}

// Reads element i of a dense_resource parsed from text into out.
static void read_resource_element(MlirAttribute attr, MlirType elem,
                                  intptr_t i, unsigned char *out) {
  size_t bits = element_bits(elem);
  if (mlirTypeIsAInteger(elem) && mlirIntegerTypeGetWidth(elem) == 1) {
    out[0] = mlirDenseBoolResourceElementsAttrGetValue(attr, i);
  } else if (bits == 8) {
    out[0] = mlirDenseUInt8ResourceElementsAttrGetValue(attr, i);
  } else if (bits == 16) {
    uint16_t v = mlirDenseUInt16ResourceElementsAttrGetValue(attr, i);
    memcpy(out, &v, 2);
  } else if (bits == 32) {
    uint32_t v = mlirDenseUInt32ResourceElementsAttrGetValue(attr, i);
    memcpy(out, &v, 4);
  } else if (bits == 64) {
    uint64_t v = mlirDenseUInt64ResourceElementsAttrGetValue(attr, i);
    memcpy(out, &v, 8);
  }
}

// Reads element i of a DenseElements attribute into out.
static void read_dense_element(MlirAttribute attr, MlirType elem, intptr_t i,
                               unsigned char *out) {
  size_t bits = element_bits(elem);
  if (mlirTypeIsAInteger(elem) && mlirIntegerTypeGetWidth(elem) == 1) {
    out[0] = mlirDenseElementsAttrGetBoolValue(attr, i);
  } else if (mlirTypeIsAF32(elem)) {
    float v = mlirDenseElementsAttrGetFloatValue(attr, i);
    memcpy(out, &v, 4);
  } else if (mlirTypeIsAF64(elem)) {
    double v = mlirDenseElementsAttrGetDoubleValue(attr, i);
    memcpy(out, &v, 8);
  } else if (bits == 8) {
    out[0] = mlirDenseElementsAttrGetUInt8Value(attr, i);
  } else if (bits == 16) {
    uint16_t v = mlirDenseElementsAttrGetUInt16Value(attr, i);
    memcpy(out, &v, 2);
  } else if (bits == 32) {
    uint32_t v = mlirDenseElementsAttrGetUInt32Value(attr, i);
    memcpy(out, &v, 4);
  } else if (bits == 64) {
    uint64_t v = mlirDenseElementsAttrGetUInt64Value(attr, i);
    memcpy(out, &v, 8);
  }
}

int sp_weight_data(MlirAttribute attr, const void **data, size_t *size,
                   sp_error *err) {
  weight_entry *e = sp_map_get_ptr(&weight_table, attr.ptr, NULL);
  if (e) {
    *data = e->data;
    *size = e->size;
    return 0;
  }
  if (!mlirAttributeIsAElements(attr))
    return sp_error_set(err, "attribute is not an elements attribute");
  MlirType type = mlirAttributeGetType(attr);
  MlirType elem = mlirShapedTypeGetElementType(type);
  size_t bits = element_bits(elem);
  int is_resource = mlirAttributeIsADenseResourceElements(attr);
  if (!bits || (bits % 8) || (mlirTypeIsAFloat(elem) && !mlirTypeIsAF32(elem) &&
                              !mlirTypeIsAF64(elem) && !is_resource))
    return sp_error_set(err, "cannot read elements of this element type");
  int64_t n = mlirElementsAttrGetNumElements(attr);
  size_t bytes = (size_t)n * (bits / 8);
  unsigned char *buf = sp_weight_alloc(bytes);
  if (!buf)
    return sp_error_set(err, "out of memory reading %zu bytes of weights", bytes);
  int fast = !is_resource && mlirAttributeIsADenseElements(attr) &&
             !mlirDenseElementsAttrIsSplat(attr) &&
             !(mlirTypeIsAInteger(elem) && mlirIntegerTypeGetWidth(elem) == 1);
  if (fast) {
    memcpy(buf, mlirDenseElementsAttrGetRawData(attr), bytes);
  } else {
    for (int64_t i = 0; i < n; ++i) {
      intptr_t src = mlirAttributeIsADenseElements(attr) &&
                             mlirDenseElementsAttrIsSplat(attr)
                         ? 0
                         : (intptr_t)i;
      if (is_resource)
        read_resource_element(attr, elem, src, buf + i * (bits / 8));
      else
        read_dense_element(attr, elem, src, buf + i * (bits / 8));
    }
  }
  e = calloc(1, sizeof *e);
  if (!e) {
    free(buf);
    return sp_error_set(err, "out of memory");
  }
  e->context = mlirAttributeGetContext(attr).ptr;
  e->data = buf;
  e->size = bytes;
  e->owned = buf;
  sp_map_put_ptr(&weight_table, attr.ptr, e);
  *data = buf;
  *size = bytes;
  return 0;
}

void sp_weights_release_context(MlirContext ctx) {
  // Rebuild the table without this context's entries.
  sp_map kept;
  sp_map_init(&kept);
  for (size_t i = 0; i < weight_table.capacity; ++i) {
    sp_map_entry *slot = &weight_table.slots[i];
    if (!slot->key)
      continue;
    weight_entry *e = slot->value;
    if (e->context == ctx.ptr) {
      free(e->owned);
      free(e);
    } else {
      sp_map_put_ptr(&kept, slot->key, e);
    }
  }
  sp_map_free(&weight_table);
  weight_table = kept;
}
