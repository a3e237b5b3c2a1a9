/* Dependency-group analysis: union-find over group ids, segment lists per
 * (value, dim), and the driver that applies each op's coupling rule
 * (coupling.c) in program order. See docs/pruning.md. */
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "groups_internal.h"
#include "sp/dialect.h"
#include "sp/passes.h"

static int64_t gcd64(int64_t a, int64_t b) {
  while (b) {
    int64_t t = a % b;
    a = b;
    b = t;
  }
  return a < 0 ? -a : a;
}

const char *sp_op_type(MlirOperation op, char *buf, size_t n) {
  MlirStringRef full = mlirIdentifierStr(mlirOperationGetName(op));
  size_t skip = 0;
  if (full.length > 3 && strncmp(full.data, "nn.", 3) == 0)
    skip = 3;
  else if (full.length > 5 && strncmp(full.data, "onnx.", 5) == 0)
    skip = 5;
  if (!skip) {
    buf[0] = 0;
    return buf;
  }
  snprintf(buf, n, "%.*s", (int)(full.length - skip), full.data + skip);
  return buf;
}

int64_t sp_op_attr_int(MlirOperation op, const char *name, int64_t dflt) {
  MlirAttribute a = mlirOperationGetAttributeByName(op, sp_str(name));
  return mlirAttributeIsNull(a) || !mlirAttributeIsAInteger(a) ? dflt
                                                                : mlirIntegerAttrGetValueInt(a);
}

int sp_op_attr_ints(MlirOperation op, const char *name, int64_t *out, int max) {
  MlirAttribute a = mlirOperationGetAttributeByName(op, sp_str(name));
  if (mlirAttributeIsNull(a))
    return -1;
  if (mlirAttributeIsADenseI64Array(a)) {
    intptr_t n = mlirDenseArrayGetNumElements(a);
    for (intptr_t i = 0; i < n && i < max; ++i)
      out[i] = mlirDenseI64ArrayGetElement(a, i);
    return n > max ? -1 : (int)n;
  }
  if (mlirAttributeIsAArray(a)) {
    intptr_t n = mlirArrayAttrGetNumElements(a);
    for (intptr_t i = 0; i < n && i < max; ++i) {
      MlirAttribute e = mlirArrayAttrGetElement(a, i);
      if (!mlirAttributeIsAInteger(e))
        return -1;
      out[i] = mlirIntegerAttrGetValueInt(e);
    }
    return n > max ? -1 : (int)n;
  }
  return -1;
}

const char *sp_gi_reason(sp_groups *g, const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return sp_arena_strdup(&g->arena, buf);
}

/* --- union-find ------------------------------------------------------------ */

int32_t sp_groups_find(sp_groups *g, int32_t x) {
  int32_t r = x;
  while (g->raw[r].parent != r)
    r = g->raw[r].parent;
  while (g->raw[x].parent != r) {
    int32_t next = g->raw[x].parent;
    g->raw[x].parent = r;
    x = next;
  }
  return r;
}

int32_t sp_gi_new_group(sp_groups *g, int64_t units, int origin) {
  if (g->num_raw == g->cap_raw) {
    g->cap_raw = g->cap_raw ? g->cap_raw * 2 : 1024;
    g->raw = realloc(g->raw, g->cap_raw * sizeof *g->raw);
  }
  int32_t id = (int32_t)g->num_raw++;
  sp_group *n = &g->raw[id];
  memset(n, 0, sizeof *n);
  n->parent = id;
  n->units = units;
  n->id = -1;
  n->origin = origin ? 1 : 0;
  return id;
}

void sp_gi_union(sp_groups *g, int32_t a, int32_t b) {
  a = sp_groups_find(g, a);
  b = sp_groups_find(g, b);
  if (a == b)
    return;
  if (b < a) { // the older group stays the root: ids follow creation order
    int32_t t = a;
    a = b;
    b = t;
  }
  sp_group *ra = &g->raw[a], *rb = &g->raw[b];
  rb->parent = a;
  ra->units = gcd64(ra->units, rb->units);
  if (rb->pinned && !ra->pinned)
    ra->reason = rb->reason;
  ra->pinned |= rb->pinned;
  ra->origin |= rb->origin;
  if (rb->reduced && !ra->reduced)
    ra->reduced_by = rb->reduced_by;
  ra->reduced |= rb->reduced;
  ra->head |= rb->head;
  if (rb->refs) {
    if (ra->refs_tail)
      ra->refs_tail->next = rb->refs;
    else
      ra->refs = rb->refs;
    ra->refs_tail = rb->refs_tail;
  }
  rb->refs = rb->refs_tail = NULL;
}

void sp_gi_pin_group(sp_groups *g, int32_t group, const char *reason) {
  sp_group *r = &g->raw[sp_groups_find(g, group)];
  if (!r->pinned)
    r->reason = reason;
  r->pinned = 1;
  if (r->id >= 0 && g->groups && !g->groups[r->id].pinned) { // after the analysis (protect=)
    g->groups[r->id].pinned = 1;
    g->groups[r->id].reason = reason;
  }
}

/* --- segment lists --------------------------------------------------------- */

static void add_ref(sp_groups *g, int32_t group, sp_value_info *v, int d) {
  sp_group *r = &g->raw[sp_groups_find(g, group)];
  if (r->refs_tail && r->refs_tail->value == v && r->refs_tail->dim == d)
    return;
  sp_member_ref *ref = sp_arena_alloc(&g->arena, sizeof *ref);
  ref->value = v;
  ref->dim = d;
  if (r->refs_tail)
    r->refs_tail->next = ref;
  else
    r->refs = ref;
  r->refs_tail = ref;
}

static void list_append(sp_seglist *l, sp_segment s) {
  if (l->n == l->cap) {
    l->cap = l->cap ? l->cap * 2 : 2;
    l->segs = realloc(l->segs, (size_t)l->cap * sizeof *l->segs);
  }
  l->segs[l->n++] = s;
}

void sp_gi_push(sp_groups *g, sp_value_info *v, int d, int32_t group, int64_t start,
                int64_t channels) {
  list_append(&v->dims[d], (sp_segment){group, start, channels});
  add_ref(g, group, v, d);
}

void sp_gi_copy(sp_groups *g, sp_value_info *v, int d, const sp_value_info *src, int sd,
                int64_t mul) {
  const sp_seglist *s = &src->dims[sd];
  for (int32_t i = 0; i < s->n; ++i)
    sp_gi_push(g, v, d, s->segs[i].group, s->segs[i].start * mul, s->segs[i].channels * mul);
}

sp_value_info *sp_gi_scratch(sp_groups *g, int rank, const int64_t *size, MlirValue like) {
  sp_value_info *t = sp_arena_alloc(&g->arena, sizeof *t);
  t->value = like;
  t->rank = rank;
  t->size = sp_arena_alloc(&g->arena, (size_t)(rank + 1) * sizeof *t->size);
  t->dims = sp_arena_alloc(&g->arena, (size_t)(rank + 1) * sizeof *t->dims);
  memcpy(t->size, size, (size_t)rank * sizeof *t->size);
  if (g->num_scratch == g->cap_scratch) {
    g->cap_scratch = g->cap_scratch ? g->cap_scratch * 2 : 16;
    g->scratch = realloc(g->scratch, g->cap_scratch * sizeof *g->scratch);
  }
  g->scratch[g->num_scratch++] = t;
  return t;
}

void sp_gi_fill_fresh(sp_groups *g, sp_value_info *v) {
  for (int d = 0; d < v->rank; ++d)
    if (v->dims[d].n == 0 && v->size[d] > 1)
      sp_gi_push(g, v, d, sp_gi_new_group(g, v->size[d], 0), 0, v->size[d]);
}

void sp_groups_pin_value(sp_groups *g, sp_value_info *v, int dim, const char *reason) {
  if (!v)
    return;
  for (int d = 0; d < v->rank; ++d)
    if (dim < 0 || d == dim)
      for (int32_t i = 0; i < v->dims[d].n; ++i)
        sp_gi_pin_group(g, v->dims[d].segs[i].group, reason);
}

void sp_gi_pin_all(sp_groups *g, MlirOperation op, const char *reason) {
  for (intptr_t i = 0; i < mlirOperationGetNumOperands(op); ++i)
    sp_groups_pin_value(g, sp_groups_value(g, mlirOperationGetOperand(op, i)), -1, reason);
  for (intptr_t i = 0; i < mlirOperationGetNumResults(op); ++i) {
    sp_value_info *r = sp_groups_value(g, mlirOperationGetResult(op, i));
    if (r && r->rank > 0)
      sp_gi_fill_fresh(g, r); // results the rule left empty must not join others unpinned
    sp_groups_pin_value(g, r, -1, reason);
  }
}

void sp_gi_pin_fresh(sp_groups *g, sp_value_info *v, int d, const char *reason) {
  if (v->dims[d].n == 0 && v->size[d] > 1)
    sp_gi_push(g, v, d, sp_gi_new_group(g, v->size[d], 0), 0, v->size[d]);
  sp_groups_pin_value(g, v, d, reason);
}

void sp_groups_pin_op(sp_groups *g, MlirOperation op, const char *reason) {
  sp_gi_pin_all(g, op, reason);
}

void sp_gi_mark_reduced(sp_groups *g, sp_value_info *v, int dim, const char *by) {
  if (!v || dim < 0 || dim >= v->rank)
    return;
  for (int32_t i = 0; i < v->dims[dim].n; ++i) {
    sp_group *r = &g->raw[sp_groups_find(g, v->dims[dim].segs[i].group)];
    if (!r->reduced)
      r->reduced_by = sp_arena_strdup(&g->arena, by); // callers pass stack buffers
    r->reduced = 1;
  }
}

void sp_gi_mark_origin(sp_groups *g, sp_value_info *v, int dim) {
  if (!v || dim < 0 || dim >= v->rank)
    return;
  for (int32_t i = 0; i < v->dims[dim].n; ++i)
    g->raw[sp_groups_find(g, v->dims[dim].segs[i].group)].origin = 1;
}

/* Splits set `root` into units [0, k) (keeps the id) and [k, units) (new). */
static void split_group(sp_groups *g, int32_t root, int64_t k) {
  int64_t units = g->raw[root].units;
  int32_t h = sp_gi_new_group(g, units - k, 0);
  sp_group *r = &g->raw[root], *n = &g->raw[h];
  n->pinned = r->pinned;
  n->reason = r->reason;
  n->origin = r->origin;
  n->reduced = r->reduced;
  n->reduced_by = r->reduced_by;
  n->head = r->head;
  r->units = k;
  uint32_t stamp = ++g->stamp;
  for (sp_member_ref *ref = g->raw[root].refs; ref; ref = ref->next) {
    sp_seglist *l = &ref->value->dims[ref->dim];
    if (l->stamp == stamp)
      continue;
    l->stamp = stamp;
    int32_t old_n = l->n;
    sp_segment *old = l->segs;
    l->segs = NULL;
    l->n = l->cap = 0;
    int touched = 0;
    for (int32_t i = 0; i < old_n; ++i) {
      sp_segment s = old[i];
      if (sp_groups_find(g, s.group) != root) {
        list_append(l, s);
        continue;
      }
      int64_t block = s.channels / units;
      list_append(l, (sp_segment){s.group, s.start, k * block});
      list_append(l, (sp_segment){h, s.start + k * block, (units - k) * block});
      touched = 1;
    }
    free(old);
    if (touched)
      add_ref(g, h, ref->value, ref->dim);
  }
}

int sp_gi_refine_at(sp_groups *g, sp_value_info *v, int d, int64_t offset) {
  sp_seglist *l = &v->dims[d];
  for (int32_t i = 0; i < l->n; ++i) {
    sp_segment s = l->segs[i];
    if (offset <= s.start || offset >= s.start + s.channels)
      continue;
    int32_t root = sp_groups_find(g, s.group);
    int64_t units = g->raw[root].units;
    int64_t block = s.channels / units;
    if ((offset - s.start) % block)
      return -1;
    split_group(g, root, (offset - s.start) / block);
    return 0;
  }
  return 0;
}

static int boundaries(const sp_seglist *l, int64_t *out, int max) {
  int n = 0;
  for (int32_t i = 1; i < l->n && n < max; ++i)
    out[n++] = l->segs[i].start;
  return n;
}

static void pin_list(sp_groups *g, const sp_seglist *l, const char *reason) {
  for (int32_t i = 0; i < l->n; ++i)
    sp_gi_pin_group(g, l->segs[i].group, reason);
}

void sp_gi_join(sp_groups *g, sp_value_info *a, int da, sp_value_info *b, int db,
                const char *why) {
  if (a == b && da == db)
    return;
  sp_seglist *la = &a->dims[da], *lb = &b->dims[db];
  if (la->n == 0 && lb->n == 0)
    return;
  if (la->n == 0 || lb->n == 0) {
    pin_list(g, la->n ? la : lb, why ? why : "joined with a dim without channels");
    return;
  }
  // Refine both sides until their boundaries coincide.
  enum { MAXB = 256 };
  int64_t cut[MAXB];
  for (int round = 0; round < 4; ++round) {
    int changed = 0;
    for (int side = 0; side < 2; ++side) {
      sp_value_info *from = side ? b : a, *to = side ? a : b;
      int df = side ? db : da, dt = side ? da : db;
      int n = boundaries(&from->dims[df], cut, MAXB);
      for (int i = 0; i < n; ++i) {
        int32_t before = to->dims[dt].n;
        if (sp_gi_refine_at(g, to, dt, cut[i])) {
          pin_list(g, &a->dims[da], "segments of a join do not align");
          pin_list(g, &b->dims[db], "segments of a join do not align");
          return;
        }
        changed |= to->dims[dt].n != before;
      }
    }
    if (!changed)
      break;
  }
  la = &a->dims[da];
  lb = &b->dims[db];
  if (la->n != lb->n) {
    pin_list(g, la, "segments of a join do not align");
    pin_list(g, lb, "segments of a join do not align");
    return;
  }
  for (int32_t i = 0; i < la->n; ++i) {
    if (la->segs[i].start != lb->segs[i].start || la->segs[i].channels != lb->segs[i].channels) {
      pin_list(g, la, "segments of a join do not align");
      pin_list(g, lb, "segments of a join do not align");
      return;
    }
  }
  // Union pairwise: (the lists may name the same set twice, e.g. after a shuffle).
  for (int32_t i = 0; i < la->n; ++i)
    sp_gi_union(g, la->segs[i].group, lb->segs[i].group);
}

/* --- values ---------------------------------------------------------------- */

sp_value_info *sp_groups_value(const sp_groups *g, MlirValue v) {
  return sp_map_get_ptr(&g->by_value, v.ptr, NULL);
}

sp_value_info *sp_gi_info(sp_groups *g, MlirValue v) {
  sp_value_info *vi = sp_groups_value(g, v);
  if (vi)
    return vi;
  vi = sp_arena_alloc(&g->arena, sizeof *vi);
  vi->value = v;
  if (mlirValueIsAOpResult(v))
    vi->owner = mlirOpResultGetOwner(v);
  MlirType t = mlirValueGetType(v);
  if (mlirTypeIsATensor(t) && mlirShapedTypeHasRank(t)) {
    vi->rank = (int)mlirShapedTypeGetRank(t);
    vi->size = sp_arena_alloc(&g->arena, (size_t)(vi->rank + 1) * sizeof *vi->size);
    vi->dims = sp_arena_alloc(&g->arena, (size_t)(vi->rank + 1) * sizeof *vi->dims);
    for (int d = 0; d < vi->rank; ++d) {
      int64_t s = mlirShapedTypeGetDimSize(t, d);
      vi->size[d] = mlirShapedTypeIsDynamicSize(s) ? 1 : s;
    }
  } else {
    vi->rank = -1;
  }
  sp_map_put_ptr(&g->by_value, v.ptr, vi);
  if (g->num_values == g->cap_values) {
    g->cap_values = g->cap_values ? g->cap_values * 2 : 1024;
    g->values = realloc(g->values, g->cap_values * sizeof *g->values);
  }
  g->values[g->num_values++] = vi;
  return vi;
}

const sp_group_info *sp_groups_of_segment(sp_groups *g, const sp_segment *s) {
  int32_t id = g->raw[sp_groups_find(g, s->group)].id;
  return id < 0 ? NULL : &g->groups[id];
}

int64_t sp_groups_kept_size(sp_groups *g, const sp_value_info *v, int dim,
                            unsigned char *const *keep) {
  if (!keep || dim >= v->rank)
    return v->size[dim];
  const sp_seglist *l = &v->dims[dim];
  int64_t removed = 0;
  for (int32_t i = 0; i < l->n; ++i) {
    const sp_group_info *gi = sp_groups_of_segment(g, &l->segs[i]);
    if (!gi || !keep[gi - g->groups])
      continue;
    int64_t block = l->segs[i].channels / gi->units;
    for (int64_t u = 0; u < gi->units; ++u)
      if (!keep[gi - g->groups][u])
        removed += block;
  }
  return v->size[dim] - removed;
}

/* --- driver ---------------------------------------------------------------- */

static void finalize(sp_groups *g) {
  size_t n = 0;
  for (size_t i = 0; i < g->num_raw; ++i) {
    int32_t r = sp_groups_find(g, (int32_t)i);
    if (g->raw[r].origin && g->raw[r].id < 0)
      g->raw[r].id = (int32_t)n++;
  }
  g->num_groups = n;
  g->groups = calloc(n + 1, sizeof *g->groups);
  for (size_t i = 0; i < g->num_raw; ++i) {
    int32_t r = sp_groups_find(g, (int32_t)i);
    if (r != (int32_t)i || g->raw[r].id < 0)
      continue;
    sp_group_info *gi = &g->groups[g->raw[r].id];
    gi->root = r;
    gi->units = g->raw[r].units;
    gi->pinned = g->raw[r].pinned;
    gi->reason = g->raw[r].reason;
    gi->reduced = g->raw[r].reduced;
    gi->reduced_by = g->raw[r].reduced_by;
    gi->head = g->raw[r].head;
  }
  size_t *counts = calloc(n + 1, sizeof *counts);
  for (size_t i = 0; i < g->num_values; ++i) {
    sp_value_info *v = g->values[i];
    for (int d = 0; d < v->rank; ++d)
      for (int32_t s = 0; s < v->dims[d].n; ++s) {
        int32_t id = g->raw[sp_groups_find(g, v->dims[d].segs[s].group)].id;
        if (id >= 0)
          counts[id]++;
      }
  }
  for (size_t i = 0; i < n; ++i)
    g->groups[i].members = sp_arena_alloc(&g->arena, (counts[i] + 1) * sizeof(sp_member));
  for (size_t i = 0; i < g->num_values; ++i) {
    sp_value_info *v = g->values[i];
    for (int d = 0; d < v->rank; ++d)
      for (int32_t s = 0; s < v->dims[d].n; ++s) {
        sp_segment *seg = &v->dims[d].segs[s];
        int32_t id = g->raw[sp_groups_find(g, seg->group)].id;
        if (id < 0)
          continue;
        sp_group_info *gi = &g->groups[id];
        gi->members[gi->num_members++] = (sp_member){v, d, seg->start, seg->channels};
      }
  }
  free(counts);
}

static int is_op(MlirOperation op, const char *name) {
  MlirStringRef s = mlirIdentifierStr(mlirOperationGetName(op));
  return s.length == strlen(name) && strncmp(s.data, name, s.length) == 0;
}

sp_groups *sp_groups_analyze(MlirOperation module) {
  MlirOperation fn = sp_find_main(module);
  if (mlirOperationIsNull(fn)) {
    sp_emit_error(module, "dependency groups: module has no func.func");
    return NULL;
  }
  sp_groups *g = calloc(1, sizeof *g);
  g->module = module;
  g->func = fn;
  sp_map_init(&g->by_value);
  sp_map_init(&g->evaluated);
  MlirBlock body = mlirRegionGetFirstBlock(mlirOperationGetRegion(fn, 0));
  for (intptr_t i = 0; i < mlirBlockGetNumArguments(body); ++i) {
    sp_value_info *v = sp_gi_info(g, mlirBlockGetArgument(body, i));
    if (v->rank < 0)
      continue;
    sp_gi_fill_fresh(g, v);
    sp_groups_pin_value(g, v, -1, "graph input");
  }
  char type[64];
  for (MlirOperation op = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    if (is_op(op, "func.return")) {
      for (intptr_t i = 0; i < mlirOperationGetNumOperands(op); ++i)
        sp_groups_pin_value(g, sp_groups_value(g, mlirOperationGetOperand(op, i)), -1,
                            "graph output");
      continue;
    }
    for (intptr_t i = 0; i < mlirOperationGetNumResults(op); ++i)
      sp_gi_info(g, mlirOperationGetResult(op, i));
    for (intptr_t i = 0; i < mlirOperationGetNumOperands(op); ++i)
      sp_gi_info(g, mlirOperationGetOperand(op, i)); // values from outside (rare)
    sp_op_type(op, type, sizeof type);
    const sp_coupling *c = type[0] ? sp_coupling_lookup(type) : NULL;
    int opaque = !c || c->kind == SP_COUPLE_OPAQUE;
    // A value of unknown rank cannot be mapped dim by dim.
    for (intptr_t i = 0; !opaque && i < mlirOperationGetNumResults(op); ++i)
      opaque = sp_groups_value(g, mlirOperationGetResult(op, i))->rank < 0;
    if (!opaque)
      sp_coupling_apply(g, op, type, c);
    for (intptr_t i = 0; i < mlirOperationGetNumResults(op); ++i) {
      sp_value_info *v = sp_groups_value(g, mlirOperationGetResult(op, i));
      if (v->rank > 0)
        sp_gi_fill_fresh(g, v);
    }
    if (opaque) {
      MlirStringRef n = mlirIdentifierStr(mlirOperationGetName(op));
      sp_gi_pin_all(g, op, sp_gi_reason(g, "no coupling rule for %.*s", (int)n.length, n.data));
    }
  }
  finalize(g);
  return g;
}

void sp_groups_free(sp_groups *g) {
  if (!g)
    return;
  for (size_t i = 0; i < g->num_values; ++i)
    for (int d = 0; d < g->values[i]->rank; ++d)
      free(g->values[i]->dims[d].segs);
  for (size_t i = 0; i < g->num_scratch; ++i)
    for (int d = 0; d < g->scratch[i]->rank; ++d)
      free(g->scratch[i]->dims[d].segs);
  free(g->scratch);
  free(g->values);
  free(g->raw);
  free(g->groups);
  sp_map_free(&g->by_value);
  sp_map_free(&g->evaluated);
  sp_arena_free(&g->arena);
  free(g);
}
