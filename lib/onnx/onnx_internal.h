/* onnx_internal.h - helpers shared by the ONNX I/O sources; not installed. */
#ifndef SP_ONNX_INTERNAL_H
#define SP_ONNX_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "sp/hashmap.h"
#include "sp/onnx.h"

/* Name -> index helpers over sp/hashmap.h: indices are stored as values. */

/* Adds name -> index if name is new (returns 1); if present returns 0 and
 * sets *existing (may be NULL); -1 when out of memory. */
int sp_onnx_define(sp_map *map, const char *name, size_t index,
                   size_t *existing);

/* Returns 1 and sets *index (may be NULL) if name is in map, else 0. */
int sp_onnx_lookup(const sp_map *map, const char *name, size_t *index);

/* One external-data file, mapped read-only once per model. */
typedef struct sp_onnx_mapping {
  char *location; /* as written in the model; key of backing->file_index */
  void *addr;     /* NULL for an empty file */
  size_t size;
} sp_onnx_mapping;

/* The bytes handed out for one tensor that is not plain raw_data. */
typedef struct sp_onnx_view {
  const void *data;
  size_t size;
  void *owned; /* converted or realigned copy, freed with the model */
} sp_onnx_view;

/* A tensor that sp_onnx_inline_external pointed at mapped bytes. */
typedef struct sp_onnx_inlined {
  Onnx__TensorProto *tensor;
  Onnx__TensorProto saved; /* the fields to put back before freeing */
} sp_onnx_inlined;

struct sp_onnx_backing {
  sp_map file_index; /* location -> index into files */
  sp_onnx_mapping *files;
  size_t num_files, cap_files;
  sp_map view_index; /* tensor pointer -> index into views */
  sp_onnx_view *views;
  size_t num_views, cap_views;
  sp_onnx_inlined *inlined;
  size_t num_inlined, cap_inlined;
  void *file; /* the model file's mapping, kept when tensors point in */
  size_t file_size;
  Onnx__TensorProto **lifted; /* tensors whose raw_data points into file */
  size_t num_lifted;
};

/* Reads a varint at *pos (advancing it) that must end before n; 0 if it
 * does not. */
int sp_wire_varint(const uint8_t *p, size_t n, size_t *pos, uint64_t *v);

/* Unpacks the model in p[0..n) without copying the raw_data of main-graph
 * initializers of at least min_len bytes: those point into p, which must
 * outlive the proto, and are listed in *lifted (malloc'ed). Returns 1 on
 * success, 0 when the shortcut does not apply (then unpack normally). */
int sp_onnx_unpack_lifted(const uint8_t *p, size_t n, size_t min_len,
                          Onnx__ModelProto **proto, Onnx__TensorProto ***lifted,
                          size_t *num_lifted);

/* Detaches lifted raw_data so free_unpacked does not free it. */
void sp_onnx_release_lifted(Onnx__TensorProto **lifted, size_t num_lifted);

/* Grows *items (of item_size bytes each) so one more fits; -1 if out of
 * memory. */
int sp_grow(void **items, size_t *cap, size_t count, size_t item_size);

/* Remembers the bytes handed out for tensor, taking ownership of owned (may
 * be NULL; freed even on failure); -1 if out of memory. */
int sp_onnx_add_view(sp_onnx_model *model, const Onnx__TensorProto *tensor,
                     const void *data, size_t size, void *owned);

/* Hands out bytes for tensor and caches them; if aligned is set and bytes
 * is not aligned for the element type, an aligned copy (made once) instead.
 * -1 if out of memory. */
int sp_onnx_aligned_view(sp_onnx_model *model, const Onnx__TensorProto *tensor,
                         const uint8_t *bytes, size_t size, int aligned,
                         const void **data);

/* Mapped bytes of an external tensor that sp_onnx_check_tensor accepted;
 * bytes is the size its dims promise. */
int sp_onnx_external_bytes(sp_onnx_model *model,
                           const Onnx__TensorProto *tensor, size_t bytes,
                           int aligned, const void **data, sp_error *err);

/* Reads the external_data keys; *length is UINT64_MAX when absent. */
int sp_onnx_external_keys(const Onnx__TensorProto *tensor,
                          const char **location, uint64_t *offset,
                          uint64_t *length, sp_error *err);

/* Whether location is a relative path without ".." components. */
int sp_onnx_safe_location(const char *location);

/* Name of an ONNX data type for messages ("FLOAT", "type 42"); buf holds
 * the fallback text. */
const char *sp_onnx_type_name(int32_t elem_type, char buf[32]);

/* Bytes a tensor's payload must have (dims x element size, 4-bit types
 * packed two per byte); -1 with err for STRING, unknown types, negative dims
 * or overflow. */
int sp_onnx_payload_bytes(const Onnx__TensorProto *tensor, size_t *bytes,
                          sp_error *err);

/* Checks that a tensor's stored data (raw, typed field or external-data keys)
 * has the size its dims and type promise, without reading external files. */
int sp_onnx_check_tensor(const Onnx__TensorProto *tensor, sp_error *err);

/* Puts text (e.g. "model.onnx: ") in front of err's message, keeping it one
 * line; returns -1. */
int sp_onnx_error_prefix(sp_error *err, const char *text);

/* Same with "<path>: ". */
int sp_onnx_file_error(sp_error *err, const char *path);

/* "node 'conv1' (Conv)" or "node #12 (Conv)" into buf; returns buf. */
const char *sp_onnx_node_label(const Onnx__NodeProto *node, size_t index,
                               char *buf, size_t size);

/* Whether an attribute carries subgraphs (If/Loop/Scan bodies). */
int sp_onnx_attr_has_graphs(const Onnx__AttributeProto *attr);

#endif
