/* sp/npy.h - NumPy .npy headers, versions 1.0, 2.0 and 3.0 (lib/train/npy.c).
 * Needs nothing but sp_error, so the fuzzer builds it alone. */
#ifndef SP_NPY_H
#define SP_NPY_H

#include <stddef.h>
#include <stdint.h>

#include "sp/error.h"

typedef enum sp_npy_dtype {
  SP_NPY_FLOAT32, /* '<f4' */
  SP_NPY_UINT8,   /* '|u1' */
  SP_NPY_INT64,   /* '<i8' */
  SP_NPY_INT32,   /* '<i4' */
} sp_npy_dtype;

#define SP_NPY_MAX_RANK 8

typedef struct sp_npy {
  sp_npy_dtype dtype;
  size_t item_size;
  int rank;
  int64_t dims[SP_NPY_MAX_RANK];
  int64_t numel;
  size_t data_offset; /* the data is bytes [data_offset, data_offset + numel * item_size) */
} sp_npy;

/* Parses the header of the .npy image bytes[0, size) (untrusted: every
 * field is checked, and the data must fill the rest exactly). C order
 * only. name prefixes errors (the file). */
int sp_npy_parse(const void *bytes, size_t size, const char *name, sp_npy *out,
                 sp_error *err);

#endif
