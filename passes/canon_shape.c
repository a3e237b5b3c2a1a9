/* sp-canonicalize: static shape arithmetic folded into constants.
 *
 * Every small integer tensor (rank <= 1, at most MAX_ELEMS elements) gets a
 * partial value: each element is a known integer, "dim d of value X" (a
 * dynamic dim, e.g. the batch), or unknown. Shape, Gather, Unsqueeze,
 * Squeeze, Concat, Slice, Cast, Reshape, Identity, Add, Sub, Mul, Div, Equal,
 * Where, Range, ConstantOfShape and Size propagate them in program order. A
 * result with every element known becomes an nn.Constant; a Reshape whose
 * target is still computed gets a constant target when its unknown elements
 * can be written with ONNX's 0 (copy dim i of data) and -1 (infer one dim). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canon_internal.h"
#include "sp/dialect.h"

#define MAX_ELEMS 64

typedef enum { E_UNKNOWN, E_KNOWN, E_DIM } elem_kind;

typedef struct elem {
  elem_kind kind;
  int64_t v;         /* E_KNOWN: the value; E_DIM: the dim index */
  const void *value; /* E_DIM: the MlirValue ptr whose dim this is */
} elem;

typedef struct pval {
  long n;
  elem e[MAX_ELEMS];
} pval;

typedef struct evaluator {
  canon_ctx *c;
  sp_map values; /* MlirValue ptr -> pval* */
  pval **owned;
  size_t n_owned;
} evaluator;

static pval *new_pval(evaluator *ev, long n) {
  pval *p = calloc(1, sizeof *p);
  p->n = n;
  ev->owned = realloc(ev->owned, (ev->n_owned + 1) * sizeof *ev->owned);
  ev->owned[ev->n_owned++] = p;
  return p;
}

// An integer tensor of rank <= 1 with a static size <= MAX_ELEMS: its size.
static long small_int_size(MlirType t) {
  if (!canon_static(t) || mlirShapedTypeGetRank(t) > 1)
    return -1;
  if (!mlirTypeIsAInteger(mlirShapedTypeGetElementType(t)))
    return -1;
  int64_t n = canon_numel(t);
  return n <= MAX_ELEMS ? (long)n : -1;
}

static pval *get(evaluator *ev, MlirValue v) {
  pval *p = sp_map_get_ptr(&ev->values, v.ptr, NULL);
  if (p)
    return p;
  int64_t ints[MAX_ELEMS];
  long n = canon_const_ints(v, ints, MAX_ELEMS);
  if (n < 0 || small_int_size(mlirValueGetType(v)) != n)
    return NULL;
  p = new_pval(ev, n);
  for (long i = 0; i < n; ++i)
    p->e[i] = (elem){E_KNOWN, ints[i], NULL};
  sp_map_put_ptr(&ev->values, v.ptr, p);
  return p;
}

static int known_all(const pval *p) {
  for (long i = 0; i < p->n; ++i)
    if (p->e[i].kind != E_KNOWN)
      return 0;
  return 1;
}

// Known integers of operand i (all elements known), or -1.
static long known_operand(evaluator *ev, MlirOperation op, intptr_t i, int64_t *out) {
  if (i >= mlirOperationGetNumOperands(op))
    return -1;
  pval *p = get(ev, mlirOperationGetOperand(op, i));
  if (!p || !known_all(p))
    return -1;
  for (long k = 0; k < p->n; ++k)
    out[k] = p->e[k].v;
  return p->n;
}

static long attr_ints(MlirOperation op, const char *name, int64_t *out) {
  MlirAttribute a = mlirOperationGetAttributeByName(op, sp_str(name));
  if (mlirAttributeIsNull(a) || !mlirAttributeIsADenseI64Array(a))
    return -1;
  intptr_t n = mlirDenseArrayGetNumElements(a);
  if (n > MAX_ELEMS)
    return -1;
  for (intptr_t i = 0; i < n; ++i)
    out[i] = mlirDenseI64ArrayGetElement(a, i);
  return (long)n;
}

static int same_dim(const elem *a, const elem *b) {
  return a->kind == E_DIM && b->kind == E_DIM && a->value == b->value && a->v == b->v;
}

static elem binary(const char *op, elem a, elem b) {
  elem u = {E_UNKNOWN, 0, NULL};
  if (a.kind == E_KNOWN && b.kind == E_KNOWN) {
    int64_t r;
    if (!strcmp(op, "Add")) {
      if (__builtin_add_overflow(a.v, b.v, &r)) return u;
    } else if (!strcmp(op, "Sub")) {
      if (__builtin_sub_overflow(a.v, b.v, &r)) return u;
    } else if (!strcmp(op, "Mul")) {
      if (__builtin_mul_overflow(a.v, b.v, &r)) return u;
    } else if (!strcmp(op, "Div")) {
      if (b.v == 0 || (a.v == INT64_MIN && b.v == -1)) return u;
      r = a.v / b.v; // ONNX Runtime's integer Div truncates, as C does
    } else if (!strcmp(op, "Equal")) {
      r = a.v == b.v;
    } else {
      return u;
    }
    return (elem){E_KNOWN, r, NULL};
  }
  if (!strcmp(op, "Equal")) {
    // A dim is never negative, and a dim equals itself.
    if ((a.kind == E_DIM && b.kind == E_KNOWN && b.v < 0) ||
        (b.kind == E_DIM && a.kind == E_KNOWN && a.v < 0))
      return (elem){E_KNOWN, 0, NULL};
    if (same_dim(&a, &b))
      return (elem){E_KNOWN, 1, NULL};
    return u;
  }
  if (a.kind == E_DIM && b.kind == E_KNOWN &&
      (((!strcmp(op, "Add") || !strcmp(op, "Sub")) && b.v == 0) ||
       ((!strcmp(op, "Mul") || !strcmp(op, "Div")) && b.v == 1)))
    return a;
  if (b.kind == E_DIM && a.kind == E_KNOWN &&
      ((!strcmp(op, "Add") && a.v == 0) || (!strcmp(op, "Mul") && a.v == 1)))
    return b;
  return u;
}

// Element i of p under broadcasting to n elements (p has 1 or n elements).
static elem at(const pval *p, long i) { return p->n == 1 ? p->e[0] : p->e[i]; }

static int broadcastable(const pval *p, long n) { return p->n == 1 || p->n == n; }

// Computes the partial value of op's result 0 (its size is n); NULL if none.
static pval *evaluate(evaluator *ev, MlirOperation op, long n) {
  MlirStringRef full = mlirIdentifierStr(mlirOperationGetName(op));
  if (full.length < 4 || full.length > 40)
    return NULL;
  char name[48];
  memcpy(name, full.data, full.length);
  name[full.length] = 0;
  const char *type = strchr(name, '.') + 1;
  intptr_t nops = mlirOperationGetNumOperands(op);
  MlirValue r = mlirOperationGetResult(op, 0);
  MlirType rt = mlirValueGetType(r);

  if (!strcmp(name, "nn.Shape")) {
    MlirValue x = mlirOperationGetOperand(op, 0);
    MlirType xt = mlirValueGetType(x);
    if (!canon_ranked(xt))
      return NULL;
    int64_t rank = mlirShapedTypeGetRank(xt);
    int64_t start = canon_int_attr(op, "start", 0), end = canon_int_attr(op, "end", rank);
    if (start < 0) start += rank;
    if (end < 0) end += rank;
    start = start < 0 ? 0 : start > rank ? rank : start;
    end = end < 0 ? 0 : end > rank ? rank : end;
    if (end - start != n)
      return NULL;
    pval *p = new_pval(ev, n);
    for (long i = 0; i < n; ++i) {
      int64_t d = mlirShapedTypeGetDimSize(xt, start + i);
      p->e[i] = mlirShapedTypeIsDynamicSize(d) ? (elem){E_DIM, start + i, x.ptr}
                                               : (elem){E_KNOWN, d, NULL};
    }
    return p;
  }
  if (!strcmp(name, "nn.Size")) {
    int64_t numel = canon_numel(mlirValueGetType(mlirOperationGetOperand(op, 0)));
    if (numel < 0 || n != 1)
      return NULL;
    pval *p = new_pval(ev, 1);
    p->e[0] = (elem){E_KNOWN, numel, NULL};
    return p;
  }
  if (!strcmp(name, "nn.Identity") || !strcmp(name, "nn.Unsqueeze") ||
      !strcmp(name, "nn.Squeeze") || !strcmp(name, "nn.Reshape") || !strcmp(name, "nn.Cast")) {
    pval *x = nops ? get(ev, mlirOperationGetOperand(op, 0)) : NULL;
    if (!x || x->n != n)
      return NULL;
    pval *p = new_pval(ev, n);
    memcpy(p->e, x->e, (size_t)n * sizeof *p->e);
    MlirType elem_t = mlirShapedTypeGetElementType(rt);
    if (!strcmp(name, "nn.Cast") && mlirIntegerTypeGetWidth(elem_t) < 64) {
      // Narrowing casts: keep only values the narrow type holds unchanged.
      unsigned w = mlirIntegerTypeGetWidth(elem_t);
      for (long i = 0; i < n; ++i) {
        if (w == 1) {
          p->e[i] = p->e[i].kind == E_KNOWN ? (elem){E_KNOWN, p->e[i].v != 0, NULL}
                                            : (elem){E_UNKNOWN, 0, NULL};
        } else if (p->e[i].kind == E_KNOWN) {
          int64_t lim = (int64_t)1 << (w - 1);
          if (p->e[i].v < -lim || p->e[i].v >= lim)
            p->e[i] = (elem){E_UNKNOWN, 0, NULL};
        }
      }
    }
    return p;
  }
  if (!strcmp(name, "onnx.Concat")) {
    int64_t axis = canon_int_attr(op, "axis", 0);
    if (axis != 0 && axis != -1)
      return NULL;
    pval *p = new_pval(ev, n);
    long k = 0;
    for (intptr_t i = 0; i < nops; ++i) {
      MlirValue v = mlirOperationGetOperand(op, i);
      if (!canon_ranked(mlirValueGetType(v)) || mlirShapedTypeGetRank(mlirValueGetType(v)) != 1)
        return NULL;
      pval *x = get(ev, v);
      if (!x || k + x->n > n)
        return NULL;
      memcpy(p->e + k, x->e, (size_t)x->n * sizeof *p->e);
      k += x->n;
    }
    return k == n ? p : NULL;
  }
  if (!strcmp(name, "nn.Gather")) {
    pval *data = get(ev, mlirOperationGetOperand(op, 0));
    int64_t idx[MAX_ELEMS];
    long ni = known_operand(ev, op, 1, idx);
    if (!data || ni != n || canon_axis(canon_int_attr(op, "axis", 0), 1) != 0 ||
        mlirShapedTypeGetRank(mlirValueGetType(mlirOperationGetOperand(op, 0))) != 1)
      return NULL;
    pval *p = new_pval(ev, n);
    for (long i = 0; i < n; ++i) {
      int64_t j = idx[i] < 0 ? idx[i] + data->n : idx[i];
      if (j < 0 || j >= data->n)
        return NULL;
      p->e[i] = data->e[j];
    }
    return p;
  }
  if (!strcmp(name, "nn.Slice")) {
    pval *data = get(ev, mlirOperationGetOperand(op, 0));
    if (!data || mlirShapedTypeGetRank(mlirValueGetType(mlirOperationGetOperand(op, 0))) != 1)
      return NULL;
    int64_t starts[MAX_ELEMS], ends[MAX_ELEMS], axes[MAX_ELEMS] = {0}, steps[MAX_ELEMS] = {1};
    long ns, ne, na = 1, nst = 1;
    if (nops == 1) { // opset < 10: attributes
      ns = attr_ints(op, "starts", starts);
      ne = attr_ints(op, "ends", ends);
      long a = attr_ints(op, "axes", axes);
      na = a < 0 ? 1 : a;
    } else {
      // Operands by ONNX position: data, starts, ends, axes?, steps?
      intptr_t is = sp_op_input(op, 1), ie = sp_op_input(op, 2);
      intptr_t ia = sp_op_input(op, 3), ist = sp_op_input(op, 4);
      if (is < 0 || ie < 0)
        return NULL;
      ns = known_operand(ev, op, is, starts);
      ne = known_operand(ev, op, ie, ends);
      if (ia >= 0)
        na = known_operand(ev, op, ia, axes);
      if (ist >= 0)
        nst = known_operand(ev, op, ist, steps);
    }
    if (ns != 1 || ne != 1 || na != 1 || nst != 1 || canon_axis(axes[0], 1) != 0 || !steps[0])
      return NULL;
    int64_t len = data->n, s = starts[0], e = ends[0], step = steps[0];
    if (s < 0) s += len;
    if (e < 0) e += len;
    if (step > 0) {
      s = s < 0 ? 0 : s > len ? len : s;
      e = e < 0 ? 0 : e > len ? len : e;
    } else {
      s = s < 0 ? -1 : s > len - 1 ? len - 1 : s;
      e = e < -1 ? -1 : e > len - 1 ? len - 1 : e;
    }
    pval *p = new_pval(ev, n);
    long k = 0;
    for (int64_t i = s; step > 0 ? i < e : i > e; i += step) {
      if (k >= n)
        return NULL;
      p->e[k++] = data->e[i];
    }
    return k == n ? p : NULL;
  }
  if (!strcmp(type, "Add") || !strcmp(type, "Sub") || !strcmp(type, "Mul") ||
      !strcmp(type, "Div") || !strcmp(type, "Equal")) {
    if (strncmp(name, "nn.", 3) || nops != 2)
      return NULL;
    pval *a = get(ev, mlirOperationGetOperand(op, 0)), *b = get(ev, mlirOperationGetOperand(op, 1));
    if (!a || !b || !broadcastable(a, n) || !broadcastable(b, n))
      return NULL;
    pval *p = new_pval(ev, n);
    for (long i = 0; i < n; ++i)
      p->e[i] = binary(type, at(a, i), at(b, i));
    return p;
  }
  if (!strcmp(name, "nn.Where")) {
    pval *cond = get(ev, mlirOperationGetOperand(op, 0)), *a = get(ev, mlirOperationGetOperand(op, 1)),
         *b = get(ev, mlirOperationGetOperand(op, 2));
    if (!cond || !a || !b || !broadcastable(cond, n) || !broadcastable(a, n) ||
        !broadcastable(b, n))
      return NULL;
    pval *p = new_pval(ev, n);
    for (long i = 0; i < n; ++i) {
      elem ce = at(cond, i);
      p->e[i] = ce.kind != E_KNOWN ? (elem){E_UNKNOWN, 0, NULL} : ce.v ? at(a, i) : at(b, i);
    }
    return p;
  }
  if (!strcmp(name, "nn.Range")) {
    int64_t start, limit, delta;
    if (known_operand(ev, op, 0, &start) != 1 || known_operand(ev, op, 1, &limit) != 1 ||
        known_operand(ev, op, 2, &delta) != 1 || delta == 0)
      return NULL;
    pval *p = new_pval(ev, n);
    long k = 0;
    for (int64_t v = start; delta > 0 ? v < limit : v > limit; v += delta) {
      if (k >= n)
        return NULL;
      p->e[k++] = (elem){E_KNOWN, v, NULL};
    }
    return k == n ? p : NULL;
  }
  if (!strcmp(name, "nn.ConstantOfShape")) {
    int64_t fill = 0;
    MlirAttribute value = mlirOperationGetAttributeByName(op, sp_str("value"));
    if (!mlirAttributeIsNull(value) && canon_attr_ints(value, &fill, 1) != 1)
      return NULL;
    pval *p = new_pval(ev, n);
    for (long i = 0; i < n; ++i)
      p->e[i] = (elem){E_KNOWN, fill, NULL};
    return p;
  }
  return NULL;
}

// Replaces a fully known result by an nn.Constant of the same type.
static void fold(evaluator *ev, MlirOperation op, pval *p) {
  MlirValue r = mlirOperationGetResult(op, 0);
  MlirType t = mlirValueGetType(r);
  int64_t vals[MAX_ELEMS], shape[1];
  for (long i = 0; i < p->n; ++i)
    vals[i] = p->e[i].v;
  intptr_t rank = mlirShapedTypeGetRank(t);
  if (rank == 1)
    shape[0] = mlirShapedTypeGetDimSize(t, 0);
  MlirAttribute a = canon_int_elements(mlirShapedTypeGetElementType(t), shape, rank, vals, p->n);
  char *name = canon_result_name(op);
  MlirValue k = canon_make_constant(ev->c, op, mlirOperationGetLocation(op), a, name);
  free(name);
  if (canon_replace(r, k)) {
    mlirOperationDestroy(canon_def(k));
    return;
  }
  sp_map_put_ptr(&ev->values, k.ptr, p);
  ev->c->stats.folded++;
}

// Reshape(data, computed target): a constant target from what is known.
static int rewrite_reshape_target(evaluator *ev, MlirOperation op) {
  if (mlirOperationGetNumOperands(op) != 2)
    return 0;
  MlirValue data = mlirOperationGetOperand(op, 0), shape = mlirOperationGetOperand(op, 1);
  if (!mlirAttributeIsNull(canon_const_attr(shape)))
    return 0;
  pval *p = get(ev, shape);
  MlirType rt = mlirValueGetType(mlirOperationGetResult(op, 0));
  if (!p || !canon_ranked(rt) || mlirShapedTypeGetRank(rt) != p->n)
    return 0;
  int allowzero = canon_int_attr(op, "allowzero", 0) != 0;
  int64_t target[MAX_ELEMS];
  long unresolved = -1, n_unresolved = 0;
  int has_infer = 0, has_zero_dim = 0;
  for (long i = 0; i < p->n; ++i) {
    int64_t d = mlirShapedTypeGetDimSize(rt, i);
    if (!mlirShapedTypeIsDynamicSize(d) && d == 0)
      has_zero_dim = 1;
    if (!mlirShapedTypeIsDynamicSize(d)) {
      target[i] = d; // the result type states this dim (also where -1 or 0 was)
    } else if (p->e[i].kind == E_KNOWN) {
      target[i] = p->e[i].v;
      has_infer |= target[i] == -1;
    } else if (!allowzero && p->e[i].kind == E_DIM && p->e[i].value == data.ptr &&
               p->e[i].v == i) {
      target[i] = 0; // copy dim i of data
    } else {
      unresolved = i;
      n_unresolved++;
      target[i] = -1;
    }
  }
  // -1 infers one dim from the element count; not when another dim is 0.
  if (n_unresolved > 1 || (n_unresolved == 1 && (has_infer || has_zero_dim)))
    return 0;
  (void)unresolved;
  MlirType st = mlirValueGetType(shape);
  int64_t len = p->n;
  MlirAttribute a = canon_int_elements(mlirShapedTypeGetElementType(st), &len, 1, target, p->n);
  // A node of its own name: "<reshape node>/shape".
  MlirLocation loc = mlirOperationGetLocation(op);
  char *node = sp_location_name(loc, NULL);
  char buf[512];
  snprintf(buf, sizeof buf, "%s/shape", node ? node : "Reshape");
  free(node);
  MlirValue k = canon_make_constant(ev->c, op, mlirLocationNameGet(ev->c->mlir, sp_str(buf), loc),
                                    a, NULL);
  if (!mlirTypeEqual(mlirValueGetType(k), st)) {
    mlirOperationDestroy(canon_def(k));
    return 0;
  }
  mlirOperationSetOperand(op, 1, k);
  ev->c->stats.reshape_targets++;
  return 1;
}

long canon_fold_shapes(canon_ctx *c) {
  evaluator ev = {c, {0}, NULL, 0};
  sp_map_init(&ev.values);
  long before = c->stats.folded + c->stats.reshape_targets;
  for (MlirOperation op = mlirBlockGetFirstOperation(c->body); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    if (canon_is(op, "nn.Constant") || canon_is(op, "nn.Initializer"))
      continue;
    if (canon_is(op, "nn.Reshape"))
      rewrite_reshape_target(&ev, op);
    if (mlirOperationGetNumResults(op) != 1)
      continue;
    MlirValue r = mlirOperationGetResult(op, 0);
    long n = small_int_size(mlirValueGetType(r));
    if (n < 0 || canon_unused(r))
      continue;
    pval *p = evaluate(&ev, op, n);
    if (!p)
      continue;
    sp_map_put_ptr(&ev.values, r.ptr, p);
    if (known_all(p))
      fold(&ev, op, p);
  }
  for (size_t i = 0; i < ev.n_owned; ++i)
    free(ev.owned[i]);
  free(ev.owned);
  sp_map_free(&ev.values);
  return c->stats.folded + c->stats.reshape_targets - before;
}
