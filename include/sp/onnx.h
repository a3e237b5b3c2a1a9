/* sp/onnx.h - read, validate and write ONNX models (protobuf-c, external data).
 *
 * The ONNX layer is the bottom of sp: the translator and the runtime both read
 * models through it. It never links MLIR. */
#ifndef SP_ONNX_H
#define SP_ONNX_H

#include <stddef.h>
#include <stdint.h>

#include "onnx/onnx.pb-c.h"
#include "sp/error.h"

/* Oldest and newest ONNX IR versions sp accepts. */
#define SP_ONNX_MIN_IR_VERSION 3
#define SP_ONNX_MAX_IR_VERSION 10

/* Data types newer than the system's onnx.proto (IR 9 and 10); the
 * TensorProto data_type field is a plain int32, so they load unchanged. */
enum {
  SP_ONNX_FLOAT8E4M3FN = 17,
  SP_ONNX_FLOAT8E4M3FNUZ = 18,
  SP_ONNX_FLOAT8E5M2 = 19,
  SP_ONNX_FLOAT8E5M2FNUZ = 20,
  SP_ONNX_UINT4 = 21, /* two per byte, first element in the low nibble */
  SP_ONNX_INT4 = 22,
};

/* A loaded model: the unpacked protobuf plus whatever backs its tensor data
 * (mapped external-data files, buffers converted from typed fields). Tensor
 * data stays valid until sp_onnx_free. */
typedef struct sp_onnx_model {
  Onnx__ModelProto *proto;
  char *path;     /* file it was read from (load_buffer's name, or "<memory>") */
  char *base_dir; /* directory that external-data locations are relative to */
  struct sp_onnx_backing *backing; /* private: mappings and owned buffers */
} sp_onnx_model;

/* Reads and unpacks path, then checks it with sp_onnx_validate.
 * Errors name the file (and the node where there is one). The file is
 * mapped read-only and the raw_data of big main-graph initializers (4 KiB
 * and up) points into that mapping instead of being copied: never write
 * through it, and do not truncate the file while the model is loaded
 * (replacing it by rename, as sp_onnx_save does, is safe). */
int sp_onnx_load(const char *path, sp_onnx_model **out, sp_error *err);

/* Same as sp_onnx_load for bytes already in memory; name is used in messages,
 * base_dir (may be NULL) resolves external data. The bytes are not kept. */
int sp_onnx_load_buffer(const void *data, size_t size, const char *name,
                        const char *base_dir, sp_onnx_model **out,
                        sp_error *err);

/* Frees the model, its protobuf and all tensor data handed out. NULL is ok. */
void sp_onnx_free(sp_onnx_model *model);

/* Checks what the rest of sp relies on: IR version in range, opset imports
 * present, every node input defined (graph input, initializer, earlier or
 * later node output, or "" for a missing optional input), no name defined
 * twice, no cycles, initializer byte sizes matching their dims and type,
 * graph outputs defined. Subgraphs (If/Loop/Scan bodies) may use names from
 * the enclosing graphs. */
int sp_onnx_validate(const sp_onnx_model *model, sp_error *err);

/* Node indices of graph in a topological order (inputs before users);
 * fails on cycles naming one node on the cycle. *order is malloc'ed. */
int sp_onnx_topo_order(const Onnx__GraphProto *graph, size_t **order,
                       sp_error *err);

/* Bytes of one element of an ONNX TensorProto data type; 0 for STRING, the
 * 4-bit types and unknown types. */
size_t sp_onnx_elem_size(int32_t elem_type);

/* Newest opset of the default ONNX domain sp knows. A model importing a newer
 * one loads with a warning; its ops are read as this opset defines them. */
#define SP_ONNX_MAX_OPSET 21

/* Most elements a tensor may have: 2^59, so that its bytes (at most 16 per
 * element) fit in int64 and size_t. Every element count in sp (shape
 * inference, the runtime, MAC counts) is checked against it. */
#define SP_ONNX_MAX_NUMEL ((int64_t)1 << 59)

/* Number of elements of dims[0..rank) (1 for a scalar); -1 if a dim is
 * negative or the product of the non-zero dims exceeds SP_ONNX_MAX_NUMEL
 * (so every partial product, e.g. a stride, fits too). */
int64_t sp_onnx_dims_numel(const int64_t *dims, size_t rank);

/* Sets err to "<what> has N elements (AxBxC), more than a tensor can have
 * (2^59)" for dims that sp_onnx_dims_numel rejects; returns -1. */
int sp_onnx_numel_error(sp_error *err, const char *what, const int64_t *dims,
                        size_t rank);

/* Number of elements of a TensorProto: sp_onnx_dims_numel of its dims. */
int64_t sp_onnx_tensor_numel(const Onnx__TensorProto *tensor);

/* The little-endian raw bytes of a tensor whatever its storage: raw_data
 * (borrowed, no copy), typed fields (float_data, int64_data, ... converted
 * once into a buffer owned by the model), or external data (mapped once,
 * read-only). STRING tensors are not supported here. *data is never NULL
 * (an empty tensor gets a pointer to nothing) and is aligned for the element
 * type: misaligned external data is copied once. Not thread-safe: it fills a
 * per-model cache. External locations must be relative to base_dir, without
 * ".." components, and must not resolve (through symlinks) outside it. */
int sp_onnx_tensor_bytes(sp_onnx_model *model, const Onnx__TensorProto *tensor,
                         const void **data, size_t *size, sp_error *err);

/* sp_onnx_tensor_bytes without the alignment promise, so raw_data and
 * external data are never copied: for consumers that take bytes at any
 * alignment (memcpy, fwrite, MLIR blobs given their real alignment). In
 * PyTorch exports most big raw_data fields sit at unaligned file offsets. */
int sp_onnx_tensor_bytes_unaligned(sp_onnx_model *model,
                                   const Onnx__TensorProto *tensor,
                                   const void **data, size_t *size,
                                   sp_error *err);

/* Points raw_data of every tensor stored as external data (initializers and
 * tensor attributes, subgraphs included) at its mapped bytes and marks it
 * inline, so sp_onnx_save can write the model elsewhere. sp_onnx_free undoes
 * it before freeing the protobuf. */
int sp_onnx_inline_external(sp_onnx_model *model, sp_error *err);

/* Options of sp_onnx_save. Zero-initialised means: everything inline. */
typedef struct sp_onnx_save_options {
  /* Tensors with raw data of at least this many bytes go to the external-data
   * file; 0 keeps everything inline. */
  size_t external_threshold;
  /* File name for external data, relative to the model's directory; NULL
   * means "<model file name>.data". Tensors start at offsets aligned to 4096
   * bytes if they have at least 64 KiB (so they can be mapped page-aligned),
   * else to 64 bytes; the padding is zeros. */
  const char *external_file;
  /* Nonzero: fsync the files before renaming them (slower, survives power
   * loss). */
  int durable;
} sp_onnx_save_options;

/* Writes model to path atomically: packed into "<path>.tmp.XXXXXX" in the
 * same directory, streamed (no second in-memory copy of the weights), then
 * renamed over path. The output file never exists half-written and the input
 * is never touched. With external data, the data file is written the same
 * way (renamed just before the model, so a failure between the two renames
 * can leave a new data file beside an old model). The model is not modified
 * (tensors moved to external data are restored before returning). A tensor
 * marked external must carry its bytes in raw_data (see
 * sp_onnx_inline_external); it is written inline or re-externalised.
 * Existing files keep their permissions; new ones get 0666 & ~umask. */
int sp_onnx_save(const char *path, Onnx__ModelProto *model,
                 const sp_onnx_save_options *options, sp_error *err);

#endif
