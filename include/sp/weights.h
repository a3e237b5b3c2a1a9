/* sp/weights.h - weights as dense_resource blobs without copies.
 *
 * The C API cannot read a dense_resource blob's bytes, so every blob sp
 * creates is recorded here (attribute -> bytes). Blobs parsed from .mlir text
 * are materialised on first read, once, and checked: a blob that is missing
 * (elided when the file was printed) or not the size of its type is an
 * error naming the resource. */
#ifndef SP_WEIGHTS_H
#define SP_WEIGHTS_H

#include <mlir-c/IR.h>
#include <stddef.h>

#include "sp/error.h"

/* Called when MLIR drops the blob (at context destruction). */
typedef void (*sp_weight_release_fn)(void *user, const void *data,
                                     size_t size);

/* A dense_resource attribute of tensor_type named key over data (borrowed:
 * release(user, data, size) is called when MLIR no longer needs it; release
 * may be NULL when the owner outlives the context). */
MlirAttribute sp_weight_create(MlirType tensor_type, const char *key,
                               const void *data, size_t size,
                               sp_weight_release_fn release, void *user);

/* A buffer for weight bytes: 64-byte aligned (MLIR's blob alignment, SIMD
 * loads) with 64 spare bytes (kernels may read one vector past the end).
 * Free with free(). NULL when out of memory. */
void *sp_weight_alloc(size_t size);

/* Same, but copies data into a buffer owned by the context. */
MlirAttribute sp_weight_create_copy(MlirType tensor_type, const char *key,
                                    const void *data, size_t size);

/* Raw little-endian bytes of an elements attribute (dense_resource or
 * DenseElements, splats expanded, i1 as one byte per element). The pointer
 * stays valid for the context's lifetime. Fails ("resource 'w' has no
 * data ...") on a parsed resource whose blob is missing or the wrong size. */
int sp_weight_data(MlirAttribute attr, const void **data, size_t *size,
                   sp_error *err);

/* Reads every dense_resource attribute under root (so later reads are
 * free); on the first that fails, emits the error at its op's location and
 * returns -1. For modules parsed from text, before passes or export. */
int sp_weights_verify(MlirOperation root);

/* Frees buffers sp_weights made for ctx (called by sp_context_destroy). */
void sp_weights_release_context(MlirContext ctx);

#endif
