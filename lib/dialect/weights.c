#include "sp/weights.h"

#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <mlir-c/Diagnostics.h>
#include <stdint.h>
#include <stdio.h>
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

// The C API has no getter for a parsed blob's bytes, size or presence, and
// its element getters read past a short blob or through a missing one. So a
// module holding only attr is printed and the blob decoded from its
// {-# dialect_resources #-} section, streamed: no second hex copy in memory.
typedef struct blob_reader {
  unsigned char *out; // decoded data bytes (the 4 alignment bytes skipped)
  size_t cap;         // bytes out holds; the rest are only counted
  size_t digits;      // hex digits of the current "0x... run
  size_t last;        // digits of the last run closed by a quote
  enum { SCAN, QUOTE, ZERO, RUN, AFTER } state;
} blob_reader;

// 1 + the value of a hex digit, 0 for any other byte.
static const unsigned char hex_digit[256] = {
    ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,
    ['6'] = 7,  ['7'] = 8,  ['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12,
    ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16, ['A'] = 11, ['B'] = 12,
    ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16};

// The blob is the last quoted "0x..." run, followed only by the closing
// braces of the section: a quoted key spelt 0x... is followed by ':' or '>'.
static void blob_read(MlirStringRef s, void *user) {
  blob_reader *r = user;
  const unsigned char *p = (const unsigned char *)s.data;
  size_t i = 0, n = s.length;
  while (i < n) {
    if (r->state == RUN) {
      // The hot loop: every byte of the blob passes here as two digits.
      size_t at = r->digits;
      for (; i < n && hex_digit[p[i]]; ++i, ++at) {
        size_t b = (at - 8) / 2;
        if (at < 8 || b >= r->cap)
          continue;
        unsigned char v = (unsigned char)(hex_digit[p[i]] - 1);
        r->out[b] = at & 1 ? (unsigned char)(r->out[b] | v) : (unsigned char)(v << 4);
      }
      r->digits = at;
      if (i == n)
        return;
      r->state = p[i] == '"' ? AFTER : SCAN;
      if (p[i++] == '"')
        r->last = at;
      continue;
    }
    unsigned char c = p[i++];
    switch (r->state) {
    case AFTER:
      if (c && strchr(" \t\r\n}#-", c))
        continue;
      r->last = 0;
      break;
    case QUOTE:
      if (c == '0') {
        r->state = ZERO;
        continue;
      }
      break;
    case ZERO:
      if (c == 'x') {
        r->state = RUN;
        r->digits = 0;
        continue;
      }
      break;
    default:
      break;
    }
    r->state = c == '"' ? QUOTE : SCAN;
  }
}

static void print_to_text(MlirStringRef s, void *user) {
  char *text = user; // SP_ERROR_MAX bytes, NUL-terminated
  size_t n = strlen(text);
  size_t room = SP_ERROR_MAX / 4 - 1 - n;
  size_t k = s.length < room ? s.length : room;
  memcpy(text + n, s.data, k);
  text[n + k] = 0;
}

// The key of a dense_resource attribute, as written between its <>.
static void resource_key(MlirAttribute attr, char *key) {
  char text[SP_ERROR_MAX / 4] = {0};
  mlirAttributePrint(attr, print_to_text, text);
  const char *from = strchr(text, '<');
  const char *to = strrchr(text, '>');
  // The type's own brackets come after " : ".
  const char *colon = strstr(text, "> : ");
  if (colon)
    to = colon;
  if (!from || !to || to <= from) {
    strcpy(key, "?");
    return;
  }
  from++;
  snprintf(key, SP_ERROR_MAX / 4, "%.*s", (int)(to - from), from);
}

// Decodes a dense_resource parsed from text into buf (bytes long; NULL: only
// check), or fails naming the resource when its blob is missing (elided) or
// not that size.
static int read_resource(MlirAttribute attr, unsigned char *buf, size_t bytes,
                         sp_error *err) {
  MlirContext ctx = mlirAttributeGetContext(attr);
  MlirModule holder = mlirModuleCreateEmpty(mlirLocationUnknownGet(ctx));
  MlirOperation op = mlirModuleGetOperation(holder);
  mlirOperationSetDiscardableAttributeByName(op, mlirStringRefCreateFromCString("sp.w"),
                                             attr);
  blob_reader r = {buf, buf ? bytes : 0, 0, 0, SCAN};
  MlirOpPrintingFlags flags = mlirOpPrintingFlagsCreate();
  mlirOperationPrintWithFlags(op, flags, blob_read, &r);
  mlirOpPrintingFlagsDestroy(flags);
  mlirModuleDestroy(holder);
  int present = r.state == AFTER && r.last >= 8 && r.last % 2 == 0;
  size_t have = present ? (r.last - 8) / 2 : 0;
  if (present && have == bytes)
    return 0;
  char key[SP_ERROR_MAX / 4], type[SP_ERROR_MAX / 4] = {0};
  resource_key(attr, key);
  if (!present)
    return sp_error_set(err, "resource '%s' has no data (its blob is missing from the "
                             "file's dialect_resources, or was elided)", key);
  mlirTypePrint(mlirAttributeGetType(attr), print_to_text, type);
  return sp_error_set(err, "resource '%s' has %zu bytes of data, %s needs %zu", key, have,
                      type, bytes);
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
  if (n < 0 || (uint64_t)n > SIZE_MAX / 2 / (bits / 8))
    return sp_error_set(err, "elements attribute of %lld elements is too large", (long long)n);
  size_t bytes = (size_t)n * (bits / 8);
  // A huge type over a short blob is a wrong size, not a request for memory:
  // past 1 GiB the blob is measured (one more print) before allocating.
  if (is_resource && bytes > ((size_t)1 << 30) && read_resource(attr, NULL, bytes, err))
    return -1;
  unsigned char *buf = sp_weight_alloc(bytes);
  if (!buf)
    return sp_error_set(err, "out of memory reading %zu bytes of weights", bytes);
  if (is_resource && read_resource(attr, buf, bytes, err)) {
    free(buf);
    return -1;
  }
  int fast = !is_resource && mlirAttributeIsADenseElements(attr) &&
             !mlirDenseElementsAttrIsSplat(attr) &&
             !(mlirTypeIsAInteger(elem) && mlirIntegerTypeGetWidth(elem) == 1);
  if (fast) {
    memcpy(buf, mlirDenseElementsAttrGetRawData(attr), bytes);
  } else if (!is_resource) {
    for (int64_t i = 0; i < n; ++i) {
      intptr_t src = mlirAttributeIsADenseElements(attr) &&
                             mlirDenseElementsAttrIsSplat(attr)
                         ? 0
                         : (intptr_t)i;
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

// Reads every dense_resource in attr (arrays and dictionaries included).
static int verify_attr(MlirAttribute attr, sp_error *err) {
  if (mlirAttributeIsADenseResourceElements(attr)) {
    const void *data;
    size_t size;
    return sp_weight_data(attr, &data, &size, err);
  }
  if (mlirAttributeIsAArray(attr)) {
    for (intptr_t i = 0; i < mlirArrayAttrGetNumElements(attr); ++i)
      if (verify_attr(mlirArrayAttrGetElement(attr, i), err))
        return -1;
  } else if (mlirAttributeIsADictionary(attr)) {
    for (intptr_t i = 0; i < mlirDictionaryAttrGetNumElements(attr); ++i)
      if (verify_attr(mlirDictionaryAttrGetElement(attr, i).attribute, err))
        return -1;
  }
  return 0;
}

static MlirWalkResult verify_op(MlirOperation op, void *user) {
  int *failed = user;
  sp_error err = {{0}};
  for (intptr_t i = 0; i < mlirOperationGetNumAttributes(op); ++i)
    if (verify_attr(mlirOperationGetAttribute(op, i).attribute, &err)) {
      mlirEmitError(mlirOperationGetLocation(op), err.message);
      *failed = 1;
      return MlirWalkResultInterrupt;
    }
  return MlirWalkResultAdvance;
}

int sp_weights_verify(MlirOperation root) {
  int failed = 0;
  mlirOperationWalk(root, verify_op, &failed, MlirWalkPreOrder);
  return failed ? -1 : 0;
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
