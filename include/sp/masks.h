/* sp/masks.h - the masks a model pruned with sp-prune{mode=mask} carries.
 *
 * Mask mode zeroes the slices of every pruned unit instead of removing them.
 * The zeroed slices travel in the ONNX file as one metadata_props entry,
 * key "sp.masks", value JSON (docs/pruning.md, "Masks in the model file"):
 *
 *   {"version": 1, "masks": [{"tensor": "conv1.weight", "axis": 0,
 *                             "zeroed": [[3, 5], [9, 10]]}, ...]}
 *
 * one entry per (initializer, axis); "zeroed" lists half-open index ranges
 * [start, end) along the axis, sorted and disjoint. Every element whose
 * index along the axis falls in a range is exactly 0. sp-train keeps them
 * there; sp-opt's import puts them back on the initializers as `sp.mask`.
 * No ONNX or MLIR types here: the codec serves translate and train alike. */
#ifndef SP_MASKS_H
#define SP_MASKS_H

#include <stddef.h>
#include <stdint.h>

#include "sp/error.h"

#define SP_MASKS_KEY "sp.masks"

typedef struct sp_mask {
  char *tensor;
  int axis;
  int64_t *ranges; /* n_ranges pairs: start, end (exclusive) */
  size_t n_ranges;
} sp_mask;

typedef struct sp_masks {
  sp_mask *items;
  size_t n;
} sp_masks;

/* Parses the metadata value; errors say what is malformed (the caller
 * prefixes the file). Ranges must be sorted, disjoint and non-negative. */
int sp_masks_parse(const char *text, sp_masks *out, sp_error *err);

/* The JSON text of m (malloc'd), or NULL when out of memory. */
char *sp_masks_format(const sp_masks *m);

/* Appends one (tensor, axis) entry, copying its ranges; 0 or -1 (memory). */
int sp_masks_add(sp_masks *m, const char *tensor, int axis, const int64_t *ranges,
                 size_t n_ranges);

/* Ranges of the set entries of flags (n of them) into ranges (room for n
 * pairs at most); returns the number of ranges. */
size_t sp_mask_ranges(const unsigned char *flags, int64_t n, int64_t *ranges);

void sp_masks_free(sp_masks *m);

#endif
