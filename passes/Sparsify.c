/* sp-sparsify{pattern=2:4}: semi-structured n:m sparsity (NVIDIA ASP's m4n2,
 * docs/pruning.md). In the weight of every Conv (group 1), Gemm and MatMul,
 * each run of m consecutive input-channel weights (the same output channel
 * and kernel position) keeps its n largest |w|; the rest become zeros and the
 * shapes stay. Only sparse tensor cores (Ampere and later) turn that into
 * speed; dense CPU kernels run the same time.
 *
 * Before masking, permute=true searches a permutation of the input channels
 * per dependency group that keeps more magnitude (Pool & Yu 2021): the
 * group's members are permuted together (producer rows, biases, BN
 * parameters, gates, consumer columns), so the permutation alone leaves the
 * outputs unchanged. Search: channel swaps between different runs of m,
 * applied when they raise the kept sum |w| over every weight of the group
 * that is masked (first improvement, at most `iterations` sweeps). The kept
 * magnitude can therefore only grow.
 *
 * The pattern is recorded in the "sp.sparsity" metadata entry:
 *   {"pattern": "2:4", "tensors": [{"tensor": NAME, "axis": A}, ...]}. */
#include <cjson/cJSON.h>
#include <math.h>
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp/dialect.h"
#include "sp/groups.h"
#include "sp/output.h"
#include "sp/passes.h"
#include "sp/weights.h"

#define MAX_M 16

/* A weight to mask: element (o, c, i) of its (outer, channels, inner) view;
 * one run of m is m consecutive c at fixed (o, i). */
typedef struct layer {
  MlirOperation op;
  sp_value_info *w;
  int axis;
  int64_t outer, channels, inner;
  long group; /* compact id of the group holding its whole input dim, or -1 */
  double total, kept_plain, kept_permuted;
} layer;

typedef struct sparsify {
  sp_groups *g;
  int n, m;
  long key;
  layer *layers;
  size_t num_layers;
} sparsify;

static int is_op(MlirOperation op, const char *name) {
  if (mlirOperationIsNull(op))
    return 0;
  MlirStringRef s = mlirIdentifierStr(mlirOperationGetName(op));
  return s.length == strlen(name) && !memcmp(s.data, name, s.length);
}

/* A malloc'ed copy of the f32 weight behind v, or NULL. */
static float *read_weight(const sp_value_info *v, int64_t numel) {
  MlirAttribute attr = mlirOperationGetAttributeByName(v->owner, sp_str("value"));
  const void *data;
  size_t bytes;
  if (mlirAttributeIsNull(attr) || sp_weight_data(attr, &data, &bytes, NULL) ||
      bytes != (size_t)numel * sizeof(float))
    return NULL;
  float *out = malloc(bytes);
  memcpy(out, data, bytes);
  return out;
}

static void write_weight(sparsify *s, const sp_value_info *v, const float *data, int64_t numel) {
  char key[64];
  snprintf(key, sizeof key, "sp_sparse_%ld", s->key++);
  MlirAttribute attr = sp_weight_create_copy(mlirValueGetType(v->value), key, data,
                                             (size_t)numel * sizeof(float));
  mlirOperationSetAttributeByName(v->owner, sp_str("value"), attr);
}

static int64_t numel_of(const sp_value_info *v) {
  int64_t n = 1;
  for (int d = 0; d < v->rank; ++d)
    n *= v->size[d];
  return n;
}

/* Sum of the n largest of x[0..m) (m <= MAX_M); keep[k] = 1 for those. */
static double top_n(const float *x, int m, int n, unsigned char *keep) {
  unsigned char taken[MAX_M] = {0};
  double sum = 0;
  for (int t = 0; t < n; ++t) {
    int best = -1;
    for (int k = 0; k < m; ++k)
      if (!taken[k] && (best < 0 || x[k] > x[best])) // ties: the lower index
        best = k;
    taken[best] = 1;
    sum += x[best];
  }
  if (keep)
    memcpy(keep, taken, (size_t)m);
  return sum;
}

/* |w| of a layer as rows (o, i) of `channels` columns, appended to a at row r0. */
static void layer_rows(const layer *l, const float *w, float *a, int64_t r0) {
  for (int64_t o = 0; o < l->outer; ++o)
    for (int64_t i = 0; i < l->inner; ++i) {
      float *row = a + (r0 + o * l->inner + i) * l->channels;
      for (int64_t c = 0; c < l->channels; ++c)
        row[c] = fabsf(w[(o * l->channels + c) * l->inner + i]);
    }
}

/* Kept magnitude of rows x cols matrix a (columns in the order perm) under n:m. */
static double kept_of(const float *a, int64_t rows, int64_t cols, const int64_t *perm, int m,
                      int n) {
  double sum = 0;
  float run[MAX_M];
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c0 = 0; c0 < cols; c0 += m) {
      for (int k = 0; k < m; ++k)
        run[k] = a[r * cols + (perm ? perm[c0 + k] : c0 + k)];
      sum += top_n(run, m, n, NULL);
    }
  return sum;
}

/* Kept magnitude, over every row, of the two runs holding positions p and q
 * after the columns at p and q trade places (swapped = 1) or not. */
static double pair_kept(const float *a, int64_t rows, int64_t cols, const int64_t *perm, int m,
                        int n, int64_t p, int64_t q, int swapped) {
  int64_t rp = p / m * m, rq = q / m * m;
  float x[MAX_M], y[MAX_M];
  double sum = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const float *row = a + r * cols;
    for (int k = 0; k < m; ++k) {
      x[k] = row[perm[rp + k]];
      y[k] = row[perm[rq + k]];
    }
    if (swapped) {
      float t = x[p - rp];
      x[p - rp] = y[q - rq];
      y[q - rq] = t;
    }
    sum += top_n(x, m, n, NULL) + top_n(y, m, n, NULL);
  }
  return sum;
}

/* Greedy swap search: perm (identity on entry) maps new position -> old channel. */
static void search(const float *a, int64_t rows, int64_t cols, int m, int n, long sweeps,
                   int64_t *perm) {
  for (long s = 0; s < sweeps; ++s) {
    int improved = 0;
    for (int64_t p = 0; p < cols; ++p)
      for (int64_t q = (p / m + 1) * m; q < cols; ++q) {
        double before = pair_kept(a, rows, cols, perm, m, n, p, q, 0);
        double after = pair_kept(a, rows, cols, perm, m, n, p, q, 1);
        if (after > before * (1 + 1e-9) + 1e-12) {
          int64_t t = perm[p];
          perm[p] = perm[q];
          perm[q] = t;
          improved = 1;
        }
      }
    if (!improved)
      break;
  }
}

static const char *const channel_wise[] = {
    "nn.Relu", "nn.LeakyRelu", "nn.Sigmoid", "nn.Tanh", "nn.Clip", "nn.HardSigmoid",
    "nn.HardSwish", "nn.Elu", "nn.Selu", "nn.Softplus", "nn.Identity", "nn.Dropout", "nn.Add",
    "nn.Sub", "nn.Mul", "nn.Div", "nn.Max", "nn.Min", "nn.GlobalAveragePool",
    "nn.GlobalMaxPool", "nn.AveragePool", "nn.MaxPool", "nn.Flatten", "nn.BatchNormalization",
    "nn.Gemm", "nn.MatMul", NULL};

/* 1 when op treats each channel on its own (so permuting channels commutes). */
static int commutes(MlirOperation op) {
  if (is_op(op, "nn.Conv"))
    return sp_op_attr_int(op, "group", 1) == 1;
  for (int i = 0; channel_wise[i]; ++i)
    if (is_op(op, channel_wise[i]))
      return 1;
  return 0;
}

/* 1 when the units of group gi may be permuted through every member:
 * prunable, not reduced across, one channel per unit, every op on the way
 * channel-wise, no sp.mask to keep in step. */
static int permutable(const sp_group_info *gi) {
  if (!sp_group_prunable(gi) || gi->reduced || gi->head)
    return 0;
  for (size_t k = 0; k < gi->num_members; ++k) {
    const sp_member *mb = &gi->members[k];
    if (mb->channels != gi->units)
      return 0;
    MlirOperation owner = mb->value->owner;
    if (mb->value->is_weight) {
      if (!mlirAttributeIsNull(mlirOperationGetDiscardableAttributeByName(owner,
                                                                         sp_str(SP_MASK_ATTR))))
        return 0;
      continue;
    }
    if (mlirOperationIsNull(owner) || !commutes(owner))
      return 0;
    for (MlirOpOperand u = mlirValueGetFirstUse(mb->value->value); !mlirOpOperandIsNull(u);
         u = mlirOpOperandGetNextUse(u)) {
      MlirOperation user = mlirOpOperandGetOwner(u);
      if (!commutes(user) && !is_op(user, "func.return"))
        return 0;
    }
  }
  return 1;
}

/* Applies perm (new unit -> old unit) to every weight member of gi. */
static void permute_group(sparsify *s, const sp_group_info *gi, const int64_t *perm) {
  for (size_t k = 0; k < gi->num_members; ++k) {
    const sp_member *mb = &gi->members[k];
    if (!mb->value->is_weight)
      continue;
    int64_t numel = numel_of(mb->value);
    float *w = read_weight(mb->value, numel);
    if (!w)
      continue;
    float *out = malloc((size_t)numel * sizeof *out);
    memcpy(out, w, (size_t)numel * sizeof *out);
    int64_t inner = 1, outer = 1, dim = mb->value->size[mb->dim];
    for (int d = mb->dim + 1; d < mb->value->rank; ++d)
      inner *= mb->value->size[d];
    for (int d = 0; d < mb->dim; ++d)
      outer *= mb->value->size[d];
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t j = 0; j < mb->channels; ++j)
        memcpy(out + (o * dim + mb->start + j) * inner,
               w + (o * dim + mb->start + perm[j]) * inner, (size_t)inner * sizeof *out);
    write_weight(s, mb->value, out, numel);
    free(w);
    free(out);
  }
}

/* The layer reading weight operand `operand` of op along input dim axis. */
static void add_layer(sparsify *s, MlirOperation op, intptr_t operand, int axis) {
  sp_value_info *w = sp_groups_value(s->g, mlirOperationGetOperand(op, operand));
  if (!w || !w->is_weight || mlirOperationIsNull(w->owner) || axis >= w->rank)
    return;
  for (size_t i = 0; i < s->num_layers; ++i)
    if (s->layers[i].w == w && s->layers[i].axis == axis)
      return; // a weight shared by several ops is masked once
  layer l = {op, w, axis, 1, w->size[axis], 1, -1, 0, 0, 0};
  for (int d = 0; d < axis; ++d)
    l.outer *= w->size[d];
  for (int d = axis + 1; d < w->rank; ++d)
    l.inner *= w->size[d];
  if (l.channels % s->m || l.outer * l.inner * l.channels != numel_of(w))
    return; // ragged runs: left dense (reported as skipped)
  const sp_seglist *segs = &w->dims[axis];
  if (segs->n == 1 && segs->segs[0].start == 0 && segs->segs[0].channels == l.channels) {
    const sp_group_info *gi = sp_groups_of_segment(s->g, &segs->segs[0]);
    if (gi && permutable(gi))
      l.group = (long)(gi - s->g->groups);
  }
  s->layers = realloc(s->layers, (s->num_layers + 1) * sizeof *s->layers);
  s->layers[s->num_layers++] = l;
}

static long count_candidates(MlirBlock body) {
  long n = 0;
  for (MlirOperation op = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op))
    n += is_op(op, "nn.Conv") || is_op(op, "nn.Gemm") || is_op(op, "nn.MatMul");
  return n;
}

static void find_layers(sparsify *s, MlirBlock body) {
  for (MlirOperation op = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    if (is_op(op, "nn.Conv") && sp_op_attr_int(op, "group", 1) == 1 &&
        mlirOperationGetNumOperands(op) >= 2)
      add_layer(s, op, 1, 1);
    else if (is_op(op, "nn.Gemm") && mlirOperationGetNumOperands(op) >= 2)
      add_layer(s, op, 1, sp_op_attr_int(op, "transB", 0) ? 1 : 0);
    else if (is_op(op, "nn.MatMul") && mlirOperationGetNumOperands(op) == 2) {
      sp_value_info *w = sp_groups_value(s->g, mlirOperationGetOperand(op, 1));
      if (w && w->rank == 2)
        add_layer(s, op, 1, 0);
    }
  }
}

/* Zeros all but the n largest |w| of every run; returns the kept sum |w|. */
static double mask_layer(sparsify *s, const layer *l, int write) {
  int64_t numel = numel_of(l->w);
  float *w = read_weight(l->w, numel);
  if (!w)
    return 0;
  double kept = 0;
  float run[MAX_M];
  unsigned char keep[MAX_M];
  for (int64_t o = 0; o < l->outer; ++o)
    for (int64_t i = 0; i < l->inner; ++i)
      for (int64_t c0 = 0; c0 < l->channels; c0 += s->m) {
        for (int k = 0; k < s->m; ++k)
          run[k] = fabsf(w[(o * l->channels + c0 + k) * l->inner + i]);
        kept += top_n(run, s->m, s->n, keep);
        for (int k = 0; k < s->m; ++k)
          if (!keep[k])
            w[(o * l->channels + c0 + k) * l->inner + i] = 0.0f;
      }
  if (write)
    write_weight(s, l->w, w, numel);
  free(w);
  return kept;
}

/* Adds (or replaces) the "sp.sparsity" entry of the module's metadata. */
static void record_pattern(sparsify *s, MlirOperation module, const char *pattern) {
  cJSON *root = cJSON_CreateObject(), *list = cJSON_AddArrayToObject(root, "tensors");
  cJSON_AddStringToObject(root, "pattern", pattern);
  for (size_t i = 0; i < s->num_layers; ++i) {
    char name[256];
    sp_groups_value_name(s->layers[i].w, name, sizeof name);
    cJSON *t = cJSON_CreateObject();
    cJSON_AddStringToObject(t, "tensor", name);
    cJSON_AddNumberToObject(t, "axis", s->layers[i].axis);
    cJSON_AddItemToArray(list, t);
  }
  char *text = cJSON_PrintUnformatted(root);
  cJSON_Delete(root);
  MlirContext ctx = mlirOperationGetContext(module);
  MlirAttribute old = mlirOperationGetAttributeByName(module, sp_str("onnx.metadata_props"));
  intptr_t n = !mlirAttributeIsNull(old) && mlirAttributeIsAArray(old)
                   ? mlirArrayAttrGetNumElements(old)
                   : 0;
  MlirAttribute *pairs = malloc((size_t)(n + 1) * sizeof *pairs);
  intptr_t kept = 0;
  for (intptr_t i = 0; i < n; ++i) {
    MlirAttribute pair = mlirArrayAttrGetElement(old, i);
    MlirAttribute key = mlirArrayAttrGetNumElements(pair) == 2 ? mlirArrayAttrGetElement(pair, 0)
                                                               : mlirAttributeGetNull();
    if (!mlirAttributeIsNull(key) && mlirAttributeIsAString(key) &&
        !strcmp(mlirStringAttrGetValue(key).data, "sp.sparsity"))
      continue;
    pairs[kept++] = pair;
  }
  MlirAttribute entry[2] = {mlirStringAttrGet(ctx, sp_str("sp.sparsity")),
                            mlirStringAttrGet(ctx, sp_str(text))};
  pairs[kept++] = mlirArrayAttrGet(ctx, 2, entry);
  mlirOperationSetAttributeByName(module, sp_str("onnx.metadata_props"),
                                  mlirArrayAttrGet(ctx, kept, pairs));
  free(pairs);
  cJSON_free(text);
}

static int write_report(MlirOperation module, const sparsify *s, const char *path,
                        const char *pattern, long skipped) {
  sp_output o;
  FILE *out = sp_pass_output_open(module, "sp-sparsify", &o, path, stderr);
  if (!out)
    return -1;
  double total = 0, plain = 0, permuted = 0;
  for (size_t i = 0; i < s->num_layers; ++i) {
    const layer *l = &s->layers[i];
    char name[256];
    sp_groups_value_name(l->w, name, sizeof name);
    fprintf(out, "  %s axis %d: kept |w| %.6g of %.6g: %.2f%% without permutation, %.2f%% with\n",
            name, l->axis, l->kept_permuted, l->total, 100 * l->kept_plain / l->total,
            100 * l->kept_permuted / l->total);
    total += l->total, plain += l->kept_plain, permuted += l->kept_permuted;
  }
  fprintf(out,
          "sp-sparsify: %s on %zu weights (%ld left dense): kept |w| %.2f%% without "
          "permutation, %.2f%% with (%.6g -> %.6g of %.6g)\n",
          pattern, s->num_layers, skipped, total > 0 ? 100 * plain / total : 0,
          total > 0 ? 100 * permuted / total : 0, plain, permuted, total);
  return sp_pass_output_close(module, "sp-sparsify", &o);
}

int sp_sparsify_run(MlirOperation module, const sp_pass_args *args) {
  const char *pattern = sp_pass_arg_string(args, "pattern");
  sparsify s = {0};
  if (sscanf(pattern, "%d:%d", &s.n, &s.m) != 2 || s.n < 1 || s.m > MAX_M || s.n >= s.m) {
    sp_emit_error(module, "sp-sparsify: pattern '%s' is not n:m with 0 < n < m <= %d", pattern,
                  MAX_M);
    return -1;
  }
  int permute = sp_pass_arg_bool(args, "permute"), mask = sp_pass_arg_bool(args, "mask");
  long sweeps = sp_pass_arg_int(args, "iterations");
  if (!(s.g = sp_groups_analyze(module)))
    return -1;
  MlirBlock body = mlirRegionGetFirstBlock(mlirOperationGetRegion(s.g->func, 0));
  find_layers(&s, body);
  long skipped = count_candidates(body) - (long)s.num_layers;
  // Without permutation: every layer's kept magnitude on the weights as they are.
  for (size_t i = 0; i < s.num_layers; ++i) {
    layer *l = &s.layers[i];
    int64_t numel = numel_of(l->w);
    float *w = read_weight(l->w, numel);
    for (int64_t k = 0; w && k < numel; ++k)
      l->total += fabsf(w[k]);
    free(w);
    l->kept_plain = mask_layer(&s, l, 0);
  }
  for (size_t id = 0; permute && id < s.g->num_groups; ++id) {
    int64_t rows = 0, cols = 0;
    for (size_t i = 0; i < s.num_layers; ++i)
      if (s.layers[i].group == (long)id)
        rows += s.layers[i].outer * s.layers[i].inner, cols = s.layers[i].channels;
    if (!rows || cols <= s.m)
      continue;
    float *a = malloc((size_t)(rows * cols) * sizeof *a);
    int64_t r0 = 0;
    for (size_t i = 0; i < s.num_layers; ++i) {
      const layer *l = &s.layers[i];
      if (l->group != (long)id)
        continue;
      float *w = read_weight(l->w, numel_of(l->w));
      layer_rows(l, w, a, r0);
      r0 += l->outer * l->inner;
      free(w);
    }
    int64_t *perm = malloc((size_t)cols * sizeof *perm);
    for (int64_t c = 0; c < cols; ++c)
      perm[c] = c;
    search(a, rows, cols, s.m, s.n, sweeps, perm);
    int moved = 0;
    for (int64_t c = 0; c < cols; ++c)
      moved |= perm[c] != c;
    if (moved && kept_of(a, rows, cols, perm, s.m, s.n) > kept_of(a, rows, cols, NULL, s.m, s.n))
      permute_group(&s, &s.g->groups[id], perm);
    free(perm);
    free(a);
  }
  for (size_t i = 0; i < s.num_layers; ++i)
    s.layers[i].kept_permuted = mask_layer(&s, &s.layers[i], mask);
  if (mask)
    record_pattern(&s, module, pattern);
  const char *report = sp_pass_arg_string(args, "report");
  int rc = report && *report ? write_report(module, &s, report, pattern, skipped) : 0;
  free(s.layers);
  sp_groups_free(s.g);
  return rc;
}
