/* shape_ops_nn.c - normalization, MatMul/Gemm/Einsum, recurrent layers,
 * GridSample and losses. Layouts are ONNX's (NCHW). */
#include <ctype.h>
#include <string.h>

#include "shape_ops.h"

/* ---- normalization ---- */

/* Checks a per-channel parameter p (C) against x's channel dim. */
static int check_channels(const Onnx__NodeProto *node, sp_error *err,
                          const sp_value_info *x, const sp_value_info *p,
                          const char *what) {
  if (!sp_rank_known(x) || x->rank < 2 || !sp_rank_known(p) || p->rank != 1)
    return 0;
  if (x->dims[1] >= 0 && p->dims[0] >= 0 && x->dims[1] != p->dims[0])
    return sp_shape_fail(err, node, "%s has %lld channels but input has %lld",
                         what, (long long)p->dims[0], (long long)x->dims[1]);
  return 0;
}

// BatchNormalization(X (N,C,...), scale, B, mean, var) -> Y like X
// [, running/saved mean and var (C)].
int sp_shape_batch_norm(SP_SHAPE_FN_ARGS) {
  (void)opset;
  const sp_value_info *x = sp_in(in, n_in, 0);
  sp_same_as(&out[0], x);
  if (check_channels(node, err, x, sp_in(in, n_in, 1), "scale") ||
      check_channels(node, err, x, sp_in(in, n_in, 2), "bias") ||
      check_channels(node, err, x, sp_in(in, n_in, 3), "mean") ||
      check_channels(node, err, x, sp_in(in, n_in, 4), "var"))
    return -1;
  const sp_value_info *mean = sp_in(in, n_in, 3);
  for (int i = 1; i < n_out; ++i) {
    sp_set_rank(&out[i], mean ? mean->elem_type : out[0].elem_type, 1);
    if (sp_rank_known(x) && x->rank >= 2)
      sp_copy_dim(&out[i], 0, x, 1);
  }
  return 0;
}

// InstanceNormalization(X (N,C,...), scale (C), B (C)) -> like X.
int sp_shape_instance_norm(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset;
  const sp_value_info *x = sp_in(in, n_in, 0);
  sp_same_as(&out[0], x);
  if (check_channels(node, err, x, sp_in(in, n_in, 1), "scale") ||
      check_channels(node, err, x, sp_in(in, n_in, 2), "bias"))
    return -1;
  return 0;
}

// LayerNormalization(X, scale, B) -> Y like X, Mean and InvStdDev
// (X[:axis], 1, ..., 1) in stash_type.
int sp_shape_layer_norm(SP_SHAPE_FN_ARGS) {
  (void)opset;
  const sp_value_info *x = sp_in(in, n_in, 0);
  sp_same_as(&out[0], x);
  int axis = 0;
  if (sp_rank_known(x) &&
      sp_norm_axis(node, err, sp_attr_int(node, "axis", -1), x->rank, &axis))
    return -1;
  int32_t stash = (int32_t)sp_attr_int(node, "stash_type", SP_T_FLOAT);
  for (int i = 1; i < n_out && i < 3; ++i) {
    sp_same_as(&out[i], x);
    out[i].elem_type = stash;
    for (int d = axis; sp_rank_known(x) && d < x->rank; ++d)
      sp_set_dim(&out[i], d, 1);
  }
  return 0;
}

// GroupNormalization(X (N,C,...), scale, bias) -> like X.
int sp_shape_group_norm(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset;
  const sp_value_info *x = sp_in(in, n_in, 0);
  sp_same_as(&out[0], x);
  int64_t groups = sp_attr_int(node, "num_groups", 1);
  if (groups <= 0)
    return sp_shape_fail(err, node, "num_groups must be positive");
  if (sp_rank_known(x) && x->rank >= 2 && x->dims[1] >= 0 &&
      x->dims[1] % groups != 0)
    return sp_shape_fail(err, node,
                         "channels %lld are not divisible by num_groups %lld",
                         (long long)x->dims[1], (long long)groups);
  return 0;
}

/* ---- contractions ---- */

/* MatMul core: numpy matmul of a and b into y (1-D operands promoted). */
static int matmul_core(const Onnx__NodeProto *node, sp_error *err,
                       const sp_value_info *a, const sp_value_info *b,
                       sp_value_info *y) {
  if (!sp_rank_known(a) || !sp_rank_known(b))
    return 0;
  if (a->rank == 0 || b->rank == 0)
    return sp_shape_fail(err, node, "operands must not be scalars");
  sp_value_info pa, pb; // 1-D operands as (1,K) and (K,1)
  sp_copy_shape(&pa, a);
  sp_copy_shape(&pb, b);
  if (a->rank == 1) {
    pa.rank = 2;
    sp_set_dim(&pa, 0, 1);
    sp_copy_dim(&pa, 1, a, 0);
  }
  if (b->rank == 1) {
    pb.rank = 2;
    sp_set_dim(&pb, 1, 1);
  }
  int64_t ka = pa.dims[pa.rank - 1], kb = pb.dims[pb.rank - 2];
  if (ka >= 0 && kb >= 0 && ka != kb) {
    char sa[96], sb[96];
    return sp_shape_fail(
        err, node, "inner dimensions do not match: %s and %s (%lld vs %lld)",
        sp_dims_str(a, sa, sizeof sa), sp_dims_str(b, sb, sizeof sb),
        (long long)ka, (long long)kb);
  }
  sp_value_info batch_a, batch_b, batch;
  sp_copy_shape(&batch_a, &pa);
  sp_copy_shape(&batch_b, &pb);
  batch_a.rank -= 2;
  batch_b.rank -= 2;
  const sp_value_info *ins[2] = {&batch_a, &batch_b};
  if (sp_broadcast(node, err, ins, 2, &batch))
    return -1;
  y->rank = batch.rank;
  for (int i = 0; i < batch.rank; ++i)
    sp_copy_dim(y, i, &batch, i);
  if (a->rank > 1)
    sp_copy_dim(y, y->rank++, &pa, pa.rank - 2);
  if (b->rank > 1)
    sp_copy_dim(y, y->rank++, &pb, pb.rank - 1);
  return 0;
}

// MatMul(A (...,M,K), B (...,K,N)) -> (...,M,N); 1-D operands drop their dim.
int sp_shape_matmul(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset;
  const sp_value_info *a = sp_in(in, n_in, 0), *b = sp_in(in, n_in, 1);
  sp_set_unknown(&out[0], a ? a->elem_type : 0);
  return matmul_core(node, err, a, b, &out[0]);
}

// MatMulInteger(A, B, a_zp, b_zp) -> int32 matmul shape.
int sp_shape_matmul_integer(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset;
  sp_set_unknown(&out[0], SP_T_INT32);
  return matmul_core(node, err, sp_in(in, n_in, 0), sp_in(in, n_in, 1),
                     &out[0]);
}

// QLinearMatMul(a, as, azp, b, bs, bzp, ys, yzp) -> type of yzp.
int sp_shape_qlinear_matmul(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset;
  const sp_value_info *yzp = sp_in(in, n_in, 7);
  sp_set_unknown(&out[0], yzp ? yzp->elem_type : 0);
  return matmul_core(node, err, sp_in(in, n_in, 0), sp_in(in, n_in, 3),
                     &out[0]);
}

// Gemm(A (M,K) or (K,M) with transA, B (K,N) or (N,K) with transB, C) -> (M,N).
int sp_shape_gemm(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset;
  const sp_value_info *a = sp_in(in, n_in, 0), *b = sp_in(in, n_in, 1);
  sp_set_unknown(&out[0], a ? a->elem_type : 0);
  int ta = sp_attr_int(node, "transA", 0) != 0;
  int tb = sp_attr_int(node, "transB", 0) != 0;
  if ((sp_rank_known(a) && a->rank != 2) || (sp_rank_known(b) && b->rank != 2))
    return sp_shape_fail(err, node, "A and B must be 2-D, got ranks %d and %d",
                         a ? a->rank : -1, b ? b->rank : -1);
  sp_set_rank(&out[0], out[0].elem_type, 2);
  if (sp_rank_known(a))
    sp_copy_dim(&out[0], 0, a, ta ? 1 : 0);
  if (sp_rank_known(b))
    sp_copy_dim(&out[0], 1, b, tb ? 0 : 1);
  if (sp_rank_known(a) && sp_rank_known(b)) {
    int64_t ka = a->dims[ta ? 0 : 1], kb = b->dims[tb ? 1 : 0];
    if (ka >= 0 && kb >= 0 && ka != kb)
      return sp_shape_fail(
          err, node, "inner dimensions %lld (A) and %lld (B) do not match",
          (long long)ka, (long long)kb);
  }
  return 0;
}

/* ---- Einsum ---- */

typedef struct einsum_term {
  char letters[SP_MAX_RANK + 1]; /* subscripts, '.' stands for the ellipsis */
  int n;
} einsum_term;

/* Parses "ab,b...c->a" style terms; returns number of input terms or -1. */
static int einsum_parse(const char *eq, einsum_term *terms, int max,
                        einsum_term *output, int *explicit_out) {
  int count = 0;
  einsum_term *t = &terms[0];
  t->n = 0;
  *explicit_out = 0;
  for (const char *p = eq;; ++p) {
    if (*p == ' ')
      continue;
    if (*p == ',' || *p == '\0' || (*p == '-' && p[1] == '>')) {
      if (*explicit_out)
        return *p == '\0' ? count : -1;
      ++count;
      if (*p == '\0')
        return count;
      if (*p == '-') {
        ++p;
        *explicit_out = 1;
        t = output;
      } else {
        if (count >= max)
          return -1;
        t = &terms[count];
      }
      t->n = 0;
      continue;
    }
    if (t->n >= SP_MAX_RANK)
      return -1;
    if (*p == '.') {
      if (p[1] != '.' || p[2] != '.' || memchr(t->letters, '.', (size_t)t->n))
        return -1; // one ellipsis per term
      p += 2;
      t->letters[t->n++] = '.';
    } else if (isalpha((unsigned char)*p)) {
      t->letters[t->n++] = *p;
    } else {
      return -1;
    }
  }
}

static int einsum_letter(char c) {
  return c >= 'a' && c <= 'z'   ? c - 'a'
         : c >= 'A' && c <= 'Z' ? 26 + c - 'A'
                                : -1;
}

/* Size (and name) of each subscript letter, merged over the inputs. */
typedef struct einsum_sizes {
  int64_t dim[52];
  const char *param[52];
  int seen[52];
} einsum_sizes;

/* Records that letter l has x's dim d; fails on a static conflict. */
static int einsum_record(const Onnx__NodeProto *node, sp_error *err,
                         einsum_sizes *z, char c, const sp_value_info *x,
                         int d) {
  int l = einsum_letter(c);
  int64_t old = z->dim[l], now = x->dims[d];
  if (z->seen[l] && old >= 0 && now >= 0 && old != now && old != 1 && now != 1)
    return sp_shape_fail(err, node, "subscript '%c' has sizes %lld and %lld", c,
                         (long long)old, (long long)now);
  if (!z->seen[l] || (now >= 0 && (old < 0 || old == 1))) {
    z->dim[l] = now;
    z->param[l] = x->dim_params[d];
  }
  z->seen[l]++;
  return 0;
}

/* Implicit output: the ellipsis, then letters used once, sorted. */
static void einsum_implicit(const einsum_sizes *z, int has_ellipsis,
                            einsum_term *output) {
  output->n = 0;
  if (has_ellipsis)
    output->letters[output->n++] = '.';
  for (int l = 0; l < 52 && output->n < SP_MAX_RANK; ++l)
    if (z->seen[l] == 1)
      output->letters[output->n++] = (char)(l < 26 ? 'a' + l : 'A' + l - 26);
}

// Einsum(equation; inputs...) -> output subscripts' dims.
int sp_shape_einsum(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset;
  char eq[256];
  sp_attr_str(node, "equation", eq, sizeof eq);
  einsum_term terms[16], output;
  int explicit_out;
  int n_terms = einsum_parse(eq, terms, 16, &output, &explicit_out);
  sp_set_unknown(&out[0], n_in > 0 && in[0] ? in[0]->elem_type : 0);
  if (n_terms < 0)
    return sp_shape_fail(err, node, "cannot parse equation '%s'", eq);
  if (n_terms != n_in)
    return sp_shape_fail(err, node, "equation '%s' has %d inputs, node has %d",
                         eq, n_terms, n_in);
  einsum_sizes z;
  memset(&z, 0, sizeof z);
  sp_value_info ellipsis[16];
  const sp_value_info *ells[16];
  int n_ells = 0, all_known = 1;
  for (int t = 0; t < n_terms; ++t) {
    const sp_value_info *x = in[t];
    int has_ell = memchr(terms[t].letters, '.', (size_t)terms[t].n) != NULL;
    if (!sp_rank_known(x)) {
      all_known = 0;
      continue;
    }
    int n_ell = x->rank - (terms[t].n - has_ell);
    if (n_ell < 0 || (!has_ell && n_ell != 0))
      return sp_shape_fail(
          err, node, "input %d has rank %d but its term has %d subscripts", t,
          x->rank, terms[t].n);
    sp_value_info *e = &ellipsis[n_ells];
    e->rank = 0;
    for (int i = 0, d = 0; i < terms[t].n; ++i) {
      if (terms[t].letters[i] == '.') {
        for (int j = 0; j < n_ell; ++j)
          sp_copy_dim(e, e->rank++, x, d++);
      } else if (einsum_record(node, err, &z, terms[t].letters[i], x, d++)) {
        return -1;
      }
    }
    if (has_ell)
      ells[n_ells++] = e;
  }
  if (!all_known)
    return 0; // letters of an unknown-rank input would be missed
  sp_value_info ell;
  if (sp_broadcast(node, err, ells, n_ells, &ell))
    return -1;
  if (!explicit_out)
    einsum_implicit(&z, n_ells > 0, &output);
  int n_dots = 0;
  for (int i = 0; i < output.n; ++i)
    n_dots += output.letters[i] == '.';
  if (n_dots > 1 || output.n - n_dots + n_dots * ell.rank > SP_MAX_RANK)
    return 0;
  out[0].rank = 0;
  for (int i = 0; i < output.n; ++i) {
    if (output.letters[i] == '.') {
      for (int j = 0; j < ell.rank; ++j)
        sp_copy_dim(&out[0], out[0].rank++, &ell, j);
      continue;
    }
    int l = einsum_letter(output.letters[i]);
    if (!z.seen[l])
      return sp_shape_fail(err, node,
                           "output subscript '%c' is not in any input",
                           output.letters[i]);
    out[0].dims[out[0].rank] = z.dim[l];
    out[0].dim_params[out[0].rank++] = z.param[l];
  }
  return 0;
}

/* ---- recurrent layers ---- */

// RNN/GRU/LSTM(X (S,B,I) or (B,S,I) with layout=1, W (D,G*H,I), ...) ->
// Y (S,D,B,H) / (B,S,D,H), Y_h and Y_c (D,B,H) / (B,D,H).
int sp_shape_rnn(SP_SHAPE_FN_ARGS) {
  (void)opset, (void)err;
  const sp_value_info *x = sp_in(in, n_in, 0), *w = sp_in(in, n_in, 1);
  int32_t type = x ? x->elem_type : 0;
  int gates = !strcmp(node->op_type, "LSTM")  ? 4
              : !strcmp(node->op_type, "GRU") ? 3
                                              : 1;
  int64_t hidden = sp_attr_int(node, "hidden_size", -1);
  if (hidden < 0 && sp_rank_known(w) && w->rank == 3 && w->dims[1] >= 0)
    hidden = w->dims[1] / gates;
  int64_t dirs =
      sp_attr_is(node, "direction", "bidirectional", "forward") ? 2 : 1;
  int layout = (int)sp_attr_int(node, "layout", 0);
  int xr = sp_rank_known(x) && x->rank == 3;
  int seq_i = layout ? 1 : 0, batch_i = layout ? 0 : 1;
  if (n_out > 0) { // Y
    sp_set_rank(&out[0], type, 4);
    if (xr) {
      sp_copy_dim(&out[0], layout ? 1 : 0, x, seq_i);
      sp_copy_dim(&out[0], layout ? 0 : 2, x, batch_i);
    }
    sp_set_dim(&out[0], layout ? 2 : 1, dirs);
    sp_set_dim(&out[0], 3, hidden);
  }
  for (int i = 1; i < n_out && i < 3; ++i) { // Y_h, Y_c
    sp_set_rank(&out[i], type, 3);
    if (xr)
      sp_copy_dim(&out[i], layout ? 0 : 1, x, batch_i);
    sp_set_dim(&out[i], layout ? 1 : 0, dirs);
    sp_set_dim(&out[i], 2, hidden);
  }
  return 0;
}

// GridSample(X (N,C,H,W), grid (N,Ho,Wo,2)) -> (N,C,Ho,Wo).
int sp_shape_grid_sample(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset, (void)err, (void)node;
  const sp_value_info *x = sp_in(in, n_in, 0), *grid = sp_in(in, n_in, 1);
  sp_set_unknown(&out[0], x ? x->elem_type : 0);
  int rank = sp_rank_known(x) ? x->rank : sp_rank_known(grid) ? grid->rank : -1;
  if (rank < 0)
    return 0;
  sp_set_rank(&out[0], out[0].elem_type, rank);
  if (sp_rank_known(x)) {
    sp_copy_dim(&out[0], 0, x, 0);
    sp_copy_dim(&out[0], 1, x, 1);
  }
  for (int i = 2; sp_rank_known(grid) && grid->rank == rank && i < rank; ++i)
    sp_copy_dim(&out[0], i, grid, i - 1);
  return 0;
}

// AffineGrid(theta (N,2,3) or (N,3,4), size = [N,C,H,W] or [N,C,D,H,W])
//   -> grid (N,H,W,2) or (N,D,H,W,3).
int sp_shape_affine_grid(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset, (void)node;
  const sp_value_info *theta = sp_in(in, n_in, 0);
  int64_t size[5];
  int n = sp_input_ints(in, n_in, 1, size, 5);
  const sp_value_info *sv = sp_in(in, n_in, 1);
  int64_t len = n >= 0 ? n : sp_numel(sv);
  sp_set_unknown(&out[0], theta ? theta->elem_type : 0);
  if (len != 4 && len != 5) {
    if (len >= 0)
      return sp_shape_fail(err, node, "size must have 4 or 5 values, got %lld",
                           (long long)len);
    return 0;
  }
  sp_set_rank(&out[0], out[0].elem_type, (int)len);
  for (int d = 0; n >= 0 && d < n - 2; ++d)
    sp_set_dim(&out[0], d + 1, size[d + 2]);
  sp_set_dim(&out[0], 0, n >= 0 ? size[0] : -1);
  if (n < 0 && sp_rank_known(theta) && theta->rank == 3)
    sp_copy_dim(&out[0], 0, theta, 0);
  sp_set_dim(&out[0], (int)len - 1, len - 2);
  return 0;
}

/* ---- losses ---- */

/* Loss output: scalar for mean/sum, per-element (target's shape) for none. */
static void loss_output(const Onnx__NodeProto *node,
                        const sp_value_info *target, int32_t type,
                        sp_value_info *y) {
  if (sp_attr_is(node, "reduction", "none", "mean")) {
    sp_same_as(y, target);
    y->elem_type = type;
  } else {
    sp_set_rank(y, type, 0);
  }
}

// NegativeLogLikelihoodLoss(input (N,C,d..), target (N,d..), weight?).
int sp_shape_nll_loss(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset, (void)err;
  const sp_value_info *x = sp_in(in, n_in, 0);
  loss_output(node, sp_in(in, n_in, 1), x ? x->elem_type : 0, &out[0]);
  return 0;
}

// SoftmaxCrossEntropyLoss(scores (N,C,d..), labels (N,d..)) -> loss
// [, log_prob like scores].
int sp_shape_softmax_ce_loss(SP_SHAPE_FN_ARGS) {
  (void)opset, (void)err;
  const sp_value_info *x = sp_in(in, n_in, 0);
  loss_output(node, sp_in(in, n_in, 1), x ? x->elem_type : 0, &out[0]);
  if (n_out > 1)
    sp_same_as(&out[1], x);
  return 0;
}
