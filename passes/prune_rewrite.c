/* The rewrite half of sp-prune: given kept units per group, slice (shrink)
 * or zero (mask) every member. Shrink also rewrites what encodes sizes:
 * Reshape targets, Slice bounds, Split sizes, the `group` of depthwise
 * convs (C / (C/G) of the new shapes), and every result type. */
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prune_internal.h"
#include "sp/dialect.h"
#include "sp/passes.h"
#include "sp/weights.h"

/* Kept indices of (v, d) in order; count in *n. NULL when nothing is dropped. */
static int64_t *kept_indices(sp_groups *g, const sp_value_info *v, int d,
                             unsigned char *const *keep, int64_t *n) {
  const sp_seglist *l = &v->dims[d];
  int64_t size = v->size[d];
  unsigned char *drop = NULL;
  for (int32_t s = 0; s < l->n; ++s) {
    const sp_group_info *gi = sp_groups_of_segment(g, &l->segs[s]);
    if (!gi || !keep[gi - g->groups])
      continue;
    const unsigned char *k = keep[gi - g->groups];
    int64_t block = l->segs[s].channels / gi->units;
    for (int64_t u = 0; u < gi->units; ++u)
      if (!k[u]) {
        if (!drop)
          drop = calloc((size_t)size, 1);
        memset(drop + l->segs[s].start + u * block, 1, (size_t)block);
      }
  }
  if (!drop)
    return NULL;
  int64_t *idx = malloc((size_t)size * sizeof *idx);
  *n = 0;
  for (int64_t i = 0; i < size; ++i)
    if (!drop[i])
      idx[(*n)++] = i;
  free(drop);
  return idx;
}

static size_t element_bytes(MlirType elem) {
  if (mlirTypeIsAInteger(elem)) {
    unsigned w = mlirIntegerTypeGetWidth(elem);
    return w == 1 ? 1 : w / 8;
  }
  if (mlirTypeIsAFloat(elem))
    return mlirFloatTypeGetWidth(elem) / 8;
  return 0;
}

static MlirType new_tensor_type(MlirType old, const int64_t *sizes, int rank) {
  int64_t shape[16];
  for (int d = 0; d < rank; ++d) {
    int64_t s = mlirShapedTypeGetDimSize(old, d);
    shape[d] = mlirShapedTypeIsDynamicSize(s) ? s : sizes[d];
  }
  return mlirRankedTensorTypeGet(rank, shape, mlirShapedTypeGetElementType(old),
                                 mlirRankedTensorTypeGetEncoding(old));
}

static int is_source(MlirOperation op) {
  char type[64];
  sp_op_type(op, type, sizeof type);
  return !strcmp(type, "Initializer") || !strcmp(type, "Constant");
}

static void release_buffer(void *user, const void *data, size_t size) {
  (void)user;
  (void)size;
  free((void *)data);
}

static int is_initializer(MlirOperation op) {
  char type[64];
  return !strcmp(sp_op_type(op, type, sizeof type), "Initializer");
}

/* Keeps an initializer's sp.mask true to its new data: mask mode adds the
 * dropped indices of every changed dim to what earlier runs zeroed; shrink
 * mode carries the old mask over to the kept indices. -1: a malformed mask. */
static int update_mask_attr(const sp_value_info *v, int64_t *const *idx, const int64_t *new_size,
                            int mask) {
  unsigned char *flags[16] = {0};
  int64_t sizes[16];
  int rc = 0;
  for (int d = 0; d < v->rank && !rc; ++d) {
    unsigned char *old = malloc((size_t)v->size[d] + 1);
    int had = sp_mask_attr_flags(v->owner, d, old, v->size[d]);
    sizes[d] = mask ? v->size[d] : new_size[d];
    if (had < 0) {
      rc = -1;
    } else if (mask && (had || idx[d])) {
      flags[d] = old, old = NULL;
      for (int64_t k = 0, at = 0; idx[d] && k < v->size[d]; ++k) {
        int kept = at < new_size[d] && idx[d][at] == k;
        at += kept;
        flags[d][k] |= !kept;
      }
    } else if (!mask && had) {
      flags[d] = calloc((size_t)sizes[d] + 1, 1);
      for (int64_t k = 0; k < sizes[d]; ++k)
        flags[d][k] = old[idx[d] ? idx[d][k] : k];
    }
    free(old);
  }
  if (!rc)
    sp_mask_attr_set(v->owner, v->rank, flags, sizes);
  for (int d = 0; d < v->rank; ++d)
    free(flags[d]);
  return rc;
}

/* Slices or zeroes the data of a constant (v, owner) along its changed dims. */
static int rewrite_weight(sp_value_info *v, int64_t **idx, const int64_t *new_size, int mask,
                          int *counter) {
  MlirOperation op = v->owner;
  MlirAttribute attr = mlirOperationGetAttributeByName(op, sp_str("value"));
  MlirType t = mlirValueGetType(v->value);
  size_t eb = element_bytes(mlirShapedTypeGetElementType(t));
  const void *data;
  size_t bytes;
  sp_error err;
  if (mlirAttributeIsNull(attr) || !eb || sp_weight_data(attr, &data, &bytes, &err)) {
    sp_emit_error(op, "sp-prune: cannot read the weight to prune it");
    return -1;
  }
  int rank = v->rank;
  int64_t old_n = 1, new_n = 1, stride[16];
  for (int d = rank - 1; d >= 0; --d) {
    stride[d] = old_n;
    old_n *= v->size[d];
    new_n *= idx[d] || !mask ? new_size[d] : v->size[d];
  }
  if ((size_t)old_n * eb != bytes) {
    sp_emit_error(op, "sp-prune: weight has %zu bytes, expected %lld", bytes,
                  (long long)(old_n * eb));
    return -1;
  }
  unsigned char *out;
  MlirType nt = t;
  if (mask) {
    out = sp_weight_alloc(bytes);
    memcpy(out, data, bytes);
    // Zero every element whose index along a changed dim is dropped.
    for (int d = 0; d < rank; ++d) {
      if (!idx[d])
        continue;
      unsigned char *dropped = calloc((size_t)v->size[d], 1);
      memset(dropped, 1, (size_t)v->size[d]);
      for (int64_t k = 0; k < new_size[d]; ++k)
        dropped[idx[d][k]] = 0;
      for (int64_t i = 0; i < old_n; ++i)
        if (dropped[(i / stride[d]) % v->size[d]])
          memset(out + i * eb, 0, eb);
      free(dropped);
    }
  } else {
    out = sp_weight_alloc((size_t)(new_n * eb));
    // Dims after the last sliced one are copied as one contiguous run.
    int last = -1;
    for (int d = 0; d < rank; ++d)
      if (idx[d])
        last = d;
    int64_t run = last < 0 ? old_n : stride[last];
    int64_t coord[16] = {0};
    int done = 0;
    if (last == rank - 1 && rank > 1) {
      // The innermost dim is sliced: copy its runs of consecutive kept indices
      // (whole heads, neighbouring channels) with one memcpy each.
      int64_t nk = new_size[last], nruns = 0;
      int64_t *rs = malloc((size_t)nk * 2 * sizeof *rs);
      for (int64_t k = 0; k < nk; ++k) {
        if (k && idx[last][k] == idx[last][k - 1] + 1)
          rs[2 * (nruns - 1) + 1]++;
        else
          rs[2 * nruns] = idx[last][k], rs[2 * nruns + 1] = 1, nruns++;
      }
      // Mostly short runs (channels picked one by one): a gather loop beats
      // one memcpy call per run.
      int gather = eb == 4 && nruns * 8 > nk;
      unsigned char *dst = out;
      for (int64_t i = 0; i < new_n; i += nk) {
        int64_t base = 0;
        for (int d = 0; d < last; ++d)
          base += (idx[d] ? idx[d][coord[d]] : coord[d]) * stride[d];
        if (gather) {
          // Byte copies: raw_data in the model file is rarely 4-byte aligned.
          const unsigned char *src_row = (const unsigned char *)data + base * 4;
          for (int64_t k = 0; k < nk; ++k)
            memcpy(dst + k * 4, src_row + idx[last][k] * 4, 4);
          dst += nk * 4;
        }
        for (int64_t r = 0; !gather && r < nruns; ++r) {
          memcpy(dst, (const unsigned char *)data + (base + rs[2 * r]) * eb,
                 (size_t)(rs[2 * r + 1] * eb));
          dst += rs[2 * r + 1] * eb;
        }
        for (int d = last - 1; d >= 0; --d) {
          if (++coord[d] < new_size[d])
            break;
          coord[d] = 0;
        }
      }
      free(rs);
      done = 1;
    }
    for (int64_t i = 0; !done && i < new_n; i += run) {
      int64_t src = 0;
      for (int d = 0; d <= last; ++d)
        src += (idx[d] ? idx[d][coord[d]] : coord[d]) * stride[d];
      if (run == 1 && eb == 4) // 1x1 kernels: one float per run, inlined copy
        memcpy(out + i * 4, (const unsigned char *)data + src * 4, 4);
      else
        memcpy(out + i * eb, (const unsigned char *)data + src * eb, (size_t)(run * eb));
      for (int d = last; d >= 0; --d) {
        if (++coord[d] < new_size[d])
          break;
        coord[d] = 0;
      }
    }
    nt = new_tensor_type(t, new_size, rank);
  }
  if (is_initializer(op) && update_mask_attr(v, idx, new_size, mask)) {
    free(out);
    sp_emit_error(op, "sp-prune: the initializer's " SP_MASK_ATTR " does not fit its shape");
    return -1;
  }
  char key[96];
  snprintf(key, sizeof key, "sp_pruned_%d", (*counter)++);
  // The blob owns `out` from here (freed when the context drops it): no second copy.
  MlirAttribute na =
      sp_weight_create(nt, key, out, (size_t)(mask ? old_n : new_n) * eb, release_buffer, NULL);
  if (mlirAttributeIsNull(na)) {
    free(out);
    sp_emit_error(op, "sp-prune: cannot create the pruned weight");
    return -1;
  }
  mlirOperationSetAttributeByName(op, sp_str("value"), na);
  mlirValueSetType(v->value, nt);
  return 0;
}

/* Constants whose last use a rewrite replaced; erased at the end. */
static MlirOperation *orphans;
static size_t num_orphans, cap_orphans;

static void set_operand(MlirOperation op, intptr_t i, MlirValue v) {
  MlirValue old = mlirOperationGetOperand(op, i);
  mlirOperationSetOperand(op, i, v);
  if (mlirValueIsAOpResult(old) && mlirOpOperandIsNull(mlirValueGetFirstUse(old))) {
    if (num_orphans == cap_orphans)
      orphans = realloc(orphans, (cap_orphans = cap_orphans ? cap_orphans * 2 : 64) *
                                     sizeof *orphans);
    orphans[num_orphans++] = mlirOpResultGetOwner(old);
  }
}

static void erase_orphans(void) {
  char type[64];
  for (size_t i = 0; i < num_orphans; ++i) {
    MlirOperation op = orphans[i];
    sp_op_type(op, type, sizeof type);
    if ((!strcmp(type, "Constant") || !strcmp(type, "Initializer")) &&
        mlirOpOperandIsNull(mlirValueGetFirstUse(mlirOperationGetResult(op, 0))))
      mlirOperationDestroy(op);
  }
  free(orphans);
  orphans = NULL;
  num_orphans = cap_orphans = 0;
}

/* A location naming a new op after the op it serves: "<node>/sp_<what>_<n>"
 * (ONNX node names must stay unique). */
static MlirLocation new_loc(MlirOperation before, const char *what) {
  static unsigned counter;
  char *base = sp_location_name(mlirOperationGetLocation(before), NULL);
  char name[512];
  snprintf(name, sizeof name, "%s/sp_%s_%u", base ? base : "op", what, counter++);
  free(base);
  return mlirLocationNameGet(mlirOperationGetContext(before), sp_str(name),
                             mlirOperationGetLocation(before));
}

/* A new nn.Constant of i64 values inserted before `before`. */
static MlirValue i64_constant(MlirOperation before, const int64_t *vals, intptr_t n) {
  MlirContext ctx = mlirOperationGetContext(before);
  int64_t shape[1] = {n};
  MlirType t = mlirRankedTensorTypeGet(1, shape, mlirIntegerTypeGet(ctx, 64),
                                       mlirAttributeGetNull());
  MlirNamedAttribute value = sp_named(ctx, "value", mlirDenseElementsAttrInt64Get(t, n, vals));
  MlirOperationState st = mlirOperationStateGet(sp_str("nn.Constant"), new_loc(before, "shape"));
  mlirOperationStateAddResults(&st, 1, &t);
  mlirOperationStateAddAttributes(&st, 1, &value);
  MlirOperation c = mlirOperationCreate(&st);
  mlirBlockInsertOwnedOperationBefore(mlirOperationGetBlock(before), before, c);
  return mlirOperationGetResult(c, 0);
}

static MlirValue insert_op(MlirOperation before, const char *name, MlirType t, intptr_t n,
                           const MlirValue *operands, MlirNamedAttribute *attr) {
  MlirOperationState st = mlirOperationStateGet(sp_str(name), new_loc(before, name + 3));
  mlirOperationStateAddResults(&st, 1, &t);
  mlirOperationStateAddOperands(&st, n, operands);
  if (attr)
    mlirOperationStateAddAttributes(&st, 1, attr);
  MlirOperation op = mlirOperationCreate(&st);
  mlirBlockInsertOwnedOperationBefore(mlirOperationGetBlock(before), before, op);
  return mlirOperationGetResult(op, 0);
}

static int is_constant_value(MlirValue v) {
  return mlirValueIsAOpResult(v) && is_source(mlirOpResultGetOwner(v));
}

static int dynamic(MlirValue v, intptr_t d) {
  return mlirShapedTypeIsDynamicSize(mlirShapedTypeGetDimSize(mlirValueGetType(v), d));
}

/* Whether computing v reads a value whose type pruning changed (a Shape of a
 * pruned tensor): then v's value changes too. Shape arithmetic is a small
 * DAG; past `budget` ops the answer is a conservative yes. */
static int reads_changed(MlirValue v, const sp_map *changed, int *budget) {
  if (sp_map_get_ptr(changed, v.ptr, NULL))
    return 1;
  if (!mlirValueIsAOpResult(v))
    return 0;
  if (--*budget < 0)
    return 1;
  MlirOperation op = mlirOpResultGetOwner(v);
  char type[64];
  sp_op_type(op, type, sizeof type);
  if (!strcmp(type, "Shape") || !strcmp(type, "Size")) // read the type, not the data
    return sp_map_get_ptr(changed, mlirOperationGetOperand(op, 0).ptr, NULL) != NULL;
  for (intptr_t i = 0; i < mlirOperationGetNumOperands(op); ++i)
    if (reads_changed(mlirOperationGetOperand(op, i), changed, budget))
      return 1;
  return 0;
}

/* The value computing entry d of a 1-D shape vector: the Concat piece that
 * holds it, else the whole vector. */
static MlirValue entry_source(MlirValue shape, intptr_t d) {
  if (!mlirValueIsAOpResult(shape))
    return shape;
  MlirOperation op = mlirOpResultGetOwner(shape);
  char type[64];
  sp_op_type(op, type, sizeof type);
  if (strcmp(type, "Concat") || sp_op_attr_int(op, "axis", 0) != 0)
    return shape;
  for (intptr_t i = 0, at = 0; i < mlirOperationGetNumOperands(op); ++i) {
    MlirValue piece = mlirOperationGetOperand(op, i);
    MlirType t = mlirValueGetType(piece);
    if (!mlirShapedTypeHasRank(t) || mlirShapedTypeGetRank(t) != 1 || dynamic(piece, 0))
      return shape;
    at += mlirShapedTypeGetDimSize(t, 0);
    if (d < at)
      return piece;
  }
  return shape;
}

/* Reshape: static dims of the (new) result type become constants. Dynamic
 * dims: one alone is inferred (-1); of several, each keeps its entry of the
 * old target when that stays valid (a constant entry, or a computed one that
 * reads nothing pruning changed: Swin's padded windows, batch sizes read with
 * Shape), else one is inferred and the rest copy the input's dim at the same
 * position (0). Computed entries that stay make the target
 * Where(static dims, new sizes, old target). A computed target that reads
 * nothing pruning changed is left as it is. */
static int rewrite_reshape(sp_groups *g, MlirOperation op, int changed,
                           const sp_map *changed_values) {
  if (mlirOperationGetNumOperands(op) < 2)
    return 0;
  MlirValue shape = mlirOperationGetOperand(op, 1);
  int budget = 256;
  if (!changed && (is_constant_value(shape) || !reads_changed(shape, changed_values, &budget)))
    return 0;
  MlirValue x = mlirOperationGetOperand(op, 0), y = mlirOperationGetResult(op, 0);
  MlirType yt = mlirValueGetType(y), xt = mlirValueGetType(x), st = mlirValueGetType(shape);
  if (!mlirShapedTypeHasRank(yt) || !mlirShapedTypeHasRank(xt))
    return 0;
  intptr_t rank = mlirShapedTypeGetRank(yt), xrank = mlirShapedTypeGetRank(xt);
  if (rank > 16)
    return sp_emit_error(op, "sp-prune: Reshape of rank > 16"), -1;
  int64_t target[16], old[16];
  int fixed[16], ndyn = 0, minus = 0, computed = 0;
  int allowzero = sp_op_attr_int(op, "allowzero", 0) != 0;
  for (intptr_t d = 0; d < rank; ++d)
    ndyn += dynamic(y, d);
  int nold = ndyn > 1 && is_constant_value(shape) ? sp_eval_ints(g, shape, old, 16) : -1;
  int vector = mlirShapedTypeHasRank(st) && mlirShapedTypeGetRank(st) == 1 &&
               mlirShapedTypeGetDimSize(st, 0) == rank;
  for (intptr_t d = 0; d < rank; ++d) {
    fixed[d] = 1;
    if (!dynamic(y, d)) {
      target[d] = mlirShapedTypeGetDimSize(yt, d);
      if (target[d] == 0 && !allowzero)
        return sp_emit_error(op, "sp-prune: Reshape to a zero-size dim"), -1;
    } else if (ndyn == 1) {
      target[d] = -1;
      minus++;
    } else if (nold == rank) {
      target[d] = old[d];
    } else if (nold < 0 && vector &&
               !reads_changed(entry_source(shape, d), changed_values, &(int){256})) {
      target[d] = 0; // placeholder: Where takes the computed entry
      fixed[d] = 0;
      computed = 1;
    } else if (!minus) {
      target[d] = -1;
      minus++;
    } else if (!allowzero && d < xrank && dynamic(x, d)) {
      target[d] = 0; // the input's dynamic dim at the same position
    } else {
      return sp_emit_error(op, "sp-prune: cannot write this Reshape's target "
                               "(several dynamic dims)"), -1;
    }
  }
  if (!computed) {
    set_operand(op, 1, i64_constant(op, target, rank));
    return 0;
  }
  MlirContext ctx = mlirOperationGetContext(op);
  int64_t n[1] = {rank};
  MlirType bt = mlirRankedTensorTypeGet(1, n, mlirIntegerTypeGet(ctx, 1), mlirAttributeGetNull());
  MlirNamedAttribute value = sp_named(ctx, "value", mlirDenseElementsAttrBoolGet(bt, rank, fixed));
  MlirValue operands[3] = {insert_op(op, "nn.Constant", bt, 0, NULL, &value),
                           i64_constant(op, target, rank), shape};
  mlirOperationSetOperand(op, 1, insert_op(op, "nn.Where", st, 3, operands, NULL));
  return 0;
}

static int64_t count_below(const int64_t *idx, int64_t n, int64_t bound) {
  int64_t c = 0;
  while (c < n && idx[c] < bound)
    c++;
  return c;
}

/* Slice: bounds (read from the analysis) mapped onto the kept channels. */
static int rewrite_slice(sp_groups *g, MlirOperation op, unsigned char *const *keep,
                         const sp_map *changed_values) {
  sp_value_info *x = sp_groups_value(g, mlirOperationGetOperand(op, 0));
  intptr_t is = sp_op_input(op, 1), ie = sp_op_input(op, 2), ia = sp_op_input(op, 3);
  if (!x || x->rank <= 0 || is < 0 || ie < 0)
    return 0;
  int64_t starts[16], ends[16], axes[16], steps[16];
  int n = sp_eval_ints(g, mlirOperationGetOperand(op, is), starts, 16);
  if (n <= 0 || sp_eval_ints(g, mlirOperationGetOperand(op, ie), ends, 16) != n)
    return 0;
  if (ia >= 0) {
    if (sp_eval_ints(g, mlirOperationGetOperand(op, ia), axes, 16) != n)
      return 0;
  } else {
    for (int i = 0; i < n; ++i)
      axes[i] = i;
  }
  intptr_t ik = sp_op_input(op, 4);
  if (ik < 0 || sp_eval_ints(g, mlirOperationGetOperand(op, ik), steps, 16) != n)
    for (int i = 0; i < n; ++i)
      steps[i] = 1;
  // Computed bounds stay computed unless they read a pruned value's shape or
  // cut a pruned dim: the analysis's sizes of dynamic dims are stand-ins.
  MlirValue vs = mlirOperationGetOperand(op, is), ve = mlirOperationGetOperand(op, ie);
  int computed = !is_constant_value(vs) || !is_constant_value(ve), budget = 256;
  int changed = computed && (reads_changed(vs, changed_values, &budget) ||
                             reads_changed(ve, changed_values, &budget));
  int unknown = 0;
  for (int i = 0; i < n; ++i) {
    int a = (int)(axes[i] < 0 ? axes[i] + x->rank : axes[i]);
    if (a < 0 || a >= x->rank)
      return 0;
    int64_t size = x->size[a];
    int64_t s = starts[i] < 0 ? starts[i] + size : starts[i];
    int64_t e = ends[i] < 0 ? ends[i] + size : ends[i];
    s = s < 0 ? 0 : s > size ? size : s;
    e = e < 0 ? 0 : e > size ? size : e;
    int64_t kn = 0;
    int64_t *idx = kept_indices(g, x, a, keep, &kn);
    if (idx) {
      // A step k > 1 keeps whole rows [jk, jk+k) (the analysis made units
      // rows): the first kept row at or after s's, at s's offset in its row.
      int64_t k = steps[i] > 1 ? steps[i] : 1;
      s = count_below(idx, kn, s - s % k) + s % k;
      e = count_below(idx, kn, e);
      changed = 1;
      free(idx);
    } else if (computed && dynamic(mlirOperationGetOperand(op, 0), a)) {
      unknown = 1;
    }
    starts[i] = s;
    ends[i] = e;
    axes[i] = a;
  }
  if (!changed)
    return 0;
  if (unknown)
    return sp_emit_error(op, "sp-prune: cannot rewrite this Slice's computed bounds "
                             "(they also cut a dim of unknown size)"), -1;
  set_operand(op, is, i64_constant(op, starts, n));
  set_operand(op, ie, i64_constant(op, ends, n));
  if (ia >= 0)
    set_operand(op, ia, i64_constant(op, axes, n));
  return 0;
}

/* Gather of constant indices along a shrunk dim (the analysis made every run
 * of consecutive indices a range of whole groups): each index counts the kept
 * channels before it; indices of dropped channels leave a list (their result
 * channels went with their group) and make a single index an error. */
static int rewrite_gather(sp_groups *g, MlirOperation op, unsigned char *const *keep) {
  sp_value_info *x = sp_groups_value(g, mlirOperationGetOperand(op, 0));
  if (!x || x->rank <= 0 || mlirOperationGetNumOperands(op) < 2)
    return 0;
  int64_t axis = sp_op_attr_int(op, "axis", 0);
  axis = axis < 0 ? axis + x->rank : axis;
  if (axis < 0 || axis >= x->rank)
    return 0;
  int64_t kn = 0, ks[64], out[64];
  int64_t *idx = kept_indices(g, x, (int)axis, keep, &kn);
  if (!idx)
    return 0;
  MlirValue iv = mlirOperationGetOperand(op, 1);
  MlirType it = mlirValueGetType(iv);
  MlirType elem = mlirShapedTypeGetElementType(it);
  int n = sp_eval_ints(g, iv, ks, 64), m = 0, rc = 0;
  if (n < 1 || !mlirShapedTypeHasRank(it) || mlirShapedTypeGetRank(it) > 1 ||
      !mlirTypeIsAInteger(elem)) {
    sp_emit_error(op, "sp-prune: cannot rewrite this Gather's index");
    rc = -1;
  }
  for (int i = 0; !rc && i < n; ++i) {
    int64_t k = ks[i] < 0 ? ks[i] + x->size[axis] : ks[i];
    int64_t at = count_below(idx, kn, k);
    if (at < kn && idx[at] == k)
      out[m++] = at;
  }
  if (!rc && mlirShapedTypeGetRank(it) == 0 && m != 1) {
    sp_emit_error(op, "sp-prune: Gather reads a pruned channel");
    rc = -1;
  } else if (!rc) {
    MlirType nt = it;
    if (mlirShapedTypeGetRank(it) == 1) {
      int64_t shape[1] = {m};
      nt = mlirRankedTensorTypeGet(1, shape, elem, mlirAttributeGetNull());
    }
    int32_t out32[64];
    for (int i = 0; i < m; ++i)
      out32[i] = (int32_t)out[i];
    MlirAttribute v = mlirIntegerTypeGetWidth(elem) == 32
                          ? mlirDenseElementsAttrInt32Get(nt, m, out32)
                          : mlirDenseElementsAttrInt64Get(nt, m, out);
    MlirNamedAttribute value = sp_named(mlirOperationGetContext(op), "value", v);
    set_operand(op, 1, insert_op(op, "nn.Constant", nt, 0, NULL, &value));
  }
  free(idx);
  return rc;
}

static int rewrite_split(MlirOperation op) {
  intptr_t nr = mlirOperationGetNumResults(op);
  MlirValue x = mlirOperationGetOperand(op, 0);
  intptr_t rank = mlirShapedTypeGetRank(mlirValueGetType(x));
  int64_t axis = sp_op_attr_int(op, "axis", 0);
  if (axis < 0)
    axis += rank;
  int64_t sizes[64];
  if (nr > 64)
    return sp_emit_error(op, "sp-prune: Split with more than 64 outputs"), -1;
  for (intptr_t i = 0; i < nr; ++i) {
    MlirValue r = mlirOperationGetResult(op, i);
    if (dynamic(r, axis))
      return sp_emit_error(op, "sp-prune: Split output of unknown size"), -1;
    sizes[i] = mlirShapedTypeGetDimSize(mlirValueGetType(r), axis);
  }
  if (mlirOperationGetNumOperands(op) > 1) {
    set_operand(op, 1, i64_constant(op, sizes, nr));
    return 0;
  }
  MlirContext ctx = mlirOperationGetContext(op);
  if (!mlirAttributeIsNull(mlirOperationGetAttributeByName(op, sp_str("split")))) {
    mlirOperationSetAttributeByName(op, sp_str("split"), mlirDenseI64ArrayGet(ctx, nr, sizes));
    return 0;
  }
  for (intptr_t i = 1; i < nr; ++i)
    if (sizes[i] != sizes[0])
      return sp_emit_error(op, "sp-prune: uneven Split without split sizes"), -1;
  return 0;
}

/* Expand: entries of the target shape at shrunk dims change, as
 * Where(mask, sizes, shape) so dynamic entries stay: a channel dim of the
 * input gets 1 (the input's size wins), a dim the input broadcasts from 1
 * (a zero initial state expanded to hidden_size) gets its kept size. */
static int rewrite_expand(MlirOperation op, sp_map *changed_values, sp_groups *g,
                          unsigned char *const *keep) {
  MlirValue x = mlirOperationGetOperand(op, 0), shape = mlirOperationGetOperand(op, 1);
  MlirValue y = mlirOperationGetResult(op, 0);
  sp_value_info *xi = sp_groups_value(g, x), *yi = sp_groups_value(g, y);
  if (!xi || !yi || (!sp_map_get_ptr(changed_values, x.ptr, NULL) &&
                     !sp_map_get_ptr(changed_values, y.ptr, NULL)))
    return 0;
  MlirType st = mlirValueGetType(shape);
  if (!mlirShapedTypeHasRank(st) || mlirShapedTypeGetRank(st) != 1 || dynamic(shape, 0))
    return sp_emit_error(op, "sp-prune: Expand shape of unknown length"), -1;
  int64_t n = mlirShapedTypeGetDimSize(st, 0);
  if (n > 16)
    return sp_emit_error(op, "sp-prune: Expand of rank > 16"), -1;
  int yrank = yi->rank;
  int cond[16] = {0}, any = 0;
  int64_t sizes[16];
  for (int64_t i = 0; i < n; ++i) {
    sizes[i] = 1;
    int yd = (int)(i + (yrank - n));
    int xd = yd - (yrank - xi->rank);
    if (xd >= 0 && xd < xi->rank && xi->size[xd] > 1) {
      if (sp_groups_kept_size(g, xi, xd, keep) != xi->size[xd])
        cond[i] = any = 1;
    } else if (yd >= 0 && yd < yrank) {
      sizes[i] = sp_groups_kept_size(g, yi, yd, keep);
      if (sizes[i] != yi->size[yd])
        cond[i] = any = 1;
    }
  }
  if (!any)
    return 0;
  MlirContext ctx = mlirOperationGetContext(op);
  int64_t shp[1] = {n};
  MlirType bt = mlirRankedTensorTypeGet(1, shp, mlirIntegerTypeGet(ctx, 1), mlirAttributeGetNull());
  MlirNamedAttribute value = sp_named(ctx, "value", mlirDenseElementsAttrBoolGet(bt, n, cond));
  MlirValue mask = insert_op(op, "nn.Constant", bt, 0, NULL, &value);
  MlirValue kept = i64_constant(op, sizes, n);
  MlirValue operands[3] = {mask, kept, shape};
  mlirOperationSetOperand(op, 1, insert_op(op, "nn.Where", st, 3, operands, NULL));
  return 0;
}

/* RNN/GRU/LSTM: hidden_size follows R's last dim (the hidden units kept). */
static void rewrite_recurrent(MlirOperation op) {
  MlirType rt = mlirValueGetType(mlirOperationGetOperand(op, 2));
  int64_t hidden = mlirShapedTypeGetDimSize(rt, mlirShapedTypeGetRank(rt) - 1);
  MlirContext ctx = mlirOperationGetContext(op);
  mlirOperationSetAttributeByName(op, sp_str("hidden_size"),
                                  mlirIntegerAttrGet(mlirIntegerTypeGet(ctx, 64), hidden));
}

int sp_prune_rewrite(sp_groups *g, unsigned char *const *keep, int mask) {
  int counter = 0, rc = 0;
  sp_map changed_values;
  sp_map_init(&changed_values);
  // Values first: weights get new data, other values new types.
  for (size_t i = 0; i < g->num_values && !rc; ++i) {
    sp_value_info *v = g->values[i];
    if (v->rank <= 0 || v->rank > 16 || mlirOperationIsNull(v->owner))
      continue;
    int64_t *idx[16] = {0}, new_size[16];
    int any = 0;
    for (int d = 0; d < v->rank; ++d) {
      int64_t n = v->size[d];
      idx[d] = kept_indices(g, v, d, keep, &n);
      new_size[d] = n;
      any |= idx[d] != NULL;
    }
    if (any) {
      sp_map_put_ptr(&changed_values, v->value.ptr, v);
      if (is_source(v->owner)) {
        if (!mask || v->maskable)
          rc = rewrite_weight(v, idx, new_size, mask, &counter);
      } else if (!mask) {
        mlirValueSetType(v->value, new_tensor_type(mlirValueGetType(v->value), new_size, v->rank));
      }
    }
    for (int d = 0; d < v->rank; ++d)
      free(idx[d]);
  }
  if (mask || rc) {
    sp_map_free(&changed_values);
    return rc;
  }
  // Then the ops whose attributes or operands encode sizes.
  MlirBlock body = mlirRegionGetFirstBlock(mlirOperationGetRegion(g->func, 0));
  char type[64];
  for (MlirOperation op = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(op) && !rc;
       op = mlirOperationGetNextInBlock(op)) {
    sp_op_type(op, type, sizeof type);
    int changed = 0;
    for (intptr_t i = 0; i < mlirOperationGetNumResults(op); ++i)
      changed |= sp_map_get_ptr(&changed_values, mlirOperationGetResult(op, i).ptr, NULL) != NULL;
    for (intptr_t i = 0; i < mlirOperationGetNumOperands(op) && i < 1; ++i)
      changed |= sp_map_get_ptr(&changed_values, mlirOperationGetOperand(op, i).ptr, NULL) != NULL;
    if (!strcmp(type, "Conv") && changed) {
      int64_t group = sp_op_attr_int(op, "group", 1);
      MlirType wt = mlirValueGetType(mlirOperationGetOperand(op, 1));
      MlirType xt = mlirValueGetType(mlirOperationGetOperand(op, 0));
      // C / (C/G): a depthwise conv's `group` follows its channels, a grouped
      // conv (same positions pruned in every group) keeps its own.
      int64_t c = mlirShapedTypeGetDimSize(xt, 1), cg = mlirShapedTypeGetDimSize(wt, 1);
      if (group > 1 && cg > 0 && c > 0 && c % cg == 0 && c / cg != group) {
        MlirContext ctx = mlirOperationGetContext(op);
        mlirOperationSetAttributeByName(op, sp_str("group"),
                                        mlirIntegerAttrGet(mlirIntegerTypeGet(ctx, 64), c / cg));
      }
    } else if (!strcmp(type, "Reshape")) {
      rc = rewrite_reshape(g, op, changed, &changed_values);
    } else if (!strcmp(type, "Slice")) {
      rc = rewrite_slice(g, op, keep, &changed_values);
    } else if (!strcmp(type, "Gather") && changed) {
      rc = rewrite_gather(g, op, keep);
    } else if (!strcmp(type, "Expand")) {
      rc = rewrite_expand(op, &changed_values, g, keep);
    } else if (!strcmp(type, "Split") && changed) {
      rc = rewrite_split(op);
    } else if ((!strcmp(type, "LSTM") || !strcmp(type, "GRU") || !strcmp(type, "RNN")) &&
               changed) {
      rewrite_recurrent(op);
    }
  }
  sp_map_free(&changed_values);
  erase_orphans();
  return rc;
}
