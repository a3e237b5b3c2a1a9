/* mask_attr.c - the `sp.mask` attribute of a masked initializer (sp/dialect.h). */
#include <mlir-c/BuiltinAttributes.h>
#include <stdlib.h>
#include <string.h>

#include "sp/dialect.h"

int sp_mask_attr_flags(MlirOperation op, int axis, unsigned char *flags, int64_t n) {
  memset(flags, 0, (size_t)n);
  MlirAttribute a = mlirOperationGetDiscardableAttributeByName(op, sp_str(SP_MASK_ATTR));
  if (mlirAttributeIsNull(a))
    return 0;
  if (!mlirAttributeIsAArray(a))
    return -1;
  int found = 0;
  for (intptr_t i = 0; i < mlirArrayAttrGetNumElements(a); ++i) {
    MlirAttribute row = mlirArrayAttrGetElement(a, i);
    if (!mlirAttributeIsADenseI64Array(row))
      return -1;
    intptr_t len = mlirDenseArrayGetNumElements(row);
    if (len < 1 || len % 2 != 1)
      return -1;
    if (mlirDenseI64ArrayGetElement(row, 0) != axis)
      continue;
    found = 1;
    for (intptr_t k = 1; k + 1 < len; k += 2) {
      int64_t s = mlirDenseI64ArrayGetElement(row, k), e = mlirDenseI64ArrayGetElement(row, k + 1);
      if (s < 0 || e > n || s >= e)
        return -1;
      memset(flags + s, 1, (size_t)(e - s));
    }
  }
  return found;
}

/* One row `axis, start0, end0, ...` for the set flags; NULL attr when none. */
static MlirAttribute row_of(MlirContext ctx, int axis, const unsigned char *flags, int64_t n) {
  int64_t *vals = malloc((size_t)(2 * n + 1) * sizeof *vals);
  intptr_t len = 1;
  vals[0] = axis;
  for (int64_t i = 0; i < n; ++i) {
    if (!flags[i])
      continue;
    if (len > 1 && vals[len - 1] == i)
      vals[len - 1] = i + 1;
    else
      vals[len++] = i, vals[len++] = i + 1;
  }
  MlirAttribute row = len > 1 ? mlirDenseI64ArrayGet(ctx, len, vals) : mlirAttributeGetNull();
  free(vals);
  return row;
}

void sp_mask_attr_set(MlirOperation op, int rank, unsigned char *const *flags,
                      const int64_t *sizes) {
  MlirContext ctx = mlirOperationGetContext(op);
  MlirAttribute rows[64];
  intptr_t n = 0;
  for (int d = 0; d < rank && d < 64; ++d) {
    MlirAttribute row = flags[d] ? row_of(ctx, d, flags[d], sizes[d]) : mlirAttributeGetNull();
    if (!mlirAttributeIsNull(row))
      rows[n++] = row;
  }
  if (n)
    mlirOperationSetDiscardableAttributeByName(op, sp_str(SP_MASK_ATTR),
                                               mlirArrayAttrGet(ctx, n, rows));
  else
    mlirOperationRemoveDiscardableAttributeByName(op, sp_str(SP_MASK_ATTR));
}

void sp_mask_attr_set_ranges(MlirOperation op, int axis, const int64_t *ranges,
                             size_t n_ranges) {
  MlirContext ctx = mlirOperationGetContext(op);
  MlirAttribute old = mlirOperationGetDiscardableAttributeByName(op, sp_str(SP_MASK_ATTR));
  intptr_t n_old = !mlirAttributeIsNull(old) && mlirAttributeIsAArray(old)
                       ? mlirArrayAttrGetNumElements(old)
                       : 0;
  MlirAttribute *rows = malloc((size_t)(n_old + 1) * sizeof *rows);
  intptr_t n = 0;
  for (intptr_t i = 0; i < n_old; ++i) {
    MlirAttribute row = mlirArrayAttrGetElement(old, i);
    if (!mlirAttributeIsADenseI64Array(row) || mlirDenseArrayGetNumElements(row) < 1 ||
        mlirDenseI64ArrayGetElement(row, 0) != axis)
      rows[n++] = row;
  }
  int64_t *vals = malloc((2 * n_ranges + 1) * sizeof *vals);
  vals[0] = axis;
  if (n_ranges)
    memcpy(vals + 1, ranges, 2 * n_ranges * sizeof *ranges);
  if (n_ranges)
    rows[n++] = mlirDenseI64ArrayGet(ctx, (intptr_t)(2 * n_ranges + 1), vals);
  if (n)
    mlirOperationSetDiscardableAttributeByName(op, sp_str(SP_MASK_ATTR),
                                               mlirArrayAttrGet(ctx, n, rows));
  else
    mlirOperationRemoveDiscardableAttributeByName(op, sp_str(SP_MASK_ATTR));
  free(vals);
  free(rows);
}
