/* gemm.c - node adapters of Gemm and MatMul (batched, broadcasting) over
 * kernels/gemm.c; Einsum by direct summation (small attention/test
 * patterns). */
#include <cblas.h>
#include <ctype.h>
#include <math.h>
#include <string.h>

#include "ops.h"

#ifdef _OPENMP
#include <omp.h>
#endif

/* Y = alpha op(A) op(B) + beta C: dA, dB through two products each way of
 * transposing, dC summed over the dims C is broadcast along. */
RT_KERNEL(rt_gemm_backward) {
  (void)rt, (void)err;
  const float *dy = n->out[0]->grad;
  if (!dy)
    return 0;
  const sp_tensor *a = &n->in[0]->t, *b = &n->in[1]->t;
  const int ta = (int)rt_attr_int(n, "transA", 0), tb = (int)rt_attr_int(n, "transB", 0);
  const float alpha = rt_attr_float(n, "alpha", 1.0f), beta = rt_attr_float(n, "beta", 1.0f);
  const int M = (int)n->out[0]->t.dims[0], N = (int)n->out[0]->t.dims[1];
  const int K = (int)(ta ? a->dims[0] : a->dims[1]);
  float *da = n->in[0]->grad, *db = n->in[1]->grad;
  if (da && M && K) { /* op(A) (M,K): dY (M,N) op(B)^T (N,K) */
    if (!ta)
      sgemm_forward(0, !tb, M, K, N, alpha, dy, N, b->data, tb ? K : N, 1.0f, da, K);
    else /* A (K,M): op(B) (K,N) dY^T */
      sgemm_forward(tb, 1, K, M, N, alpha, b->data, tb ? K : N, dy, N, 1.0f, da, M);
  }
  if (db && K && N) { /* op(B) (K,N): op(A)^T (K,M) dY (M,N) */
    if (!tb)
      sgemm_forward(!ta, 0, K, N, M, alpha, a->data, ta ? M : K, dy, N, 1.0f, db, N);
    else /* B (N,K): dY^T op(A) */
      sgemm_forward(1, ta, N, K, M, alpha, dy, N, a->data, ta ? M : K, 1.0f, db, K);
  }
  rt_value *c = rt_in(n, 2);
  if (c && c->grad && beta != 0.0f) {
    const sp_tensor *ct = &c->t;
    const int64_t cm = ct->rank == 2 ? ct->dims[0] : 1;
    const int64_t cn = ct->rank >= 1 ? ct->dims[ct->rank - 1] : 1;
    for (int i = 0; i < M; ++i)
      for (int j = 0; j < N; ++j)
        c->grad[(cm == 1 ? 0 : i) * cn + (cn == 1 ? 0 : j)] +=
            beta * dy[(int64_t)i * N + j];
  }
  return 0;
}

/* y is (M,N) = alpha * op(a) @ op(b) + beta * c, c broadcast from (M|1,N|1). */
RT_KERNEL(rt_gemm) {
  (void)rt;
  if (n->n_in < 2 || !n->in[0] || !n->in[1])
    return rt_fail(err, n, "needs inputs A and B");
  int rc = rt_check_types(err, n, 0, RT_FLOAT, 0);
  if (rc)
    return rc;
  const sp_tensor *a = &n->in[0]->t, *b = &n->in[1]->t, *y = &n->out[0]->t;
  const rt_value *cv = rt_in(n, 2);
  int ta = (int)rt_attr_int(n, "transA", 0), tb = (int)rt_attr_int(n, "transB", 0);
  float alpha = rt_attr_float(n, "alpha", 1.0f), beta = rt_attr_float(n, "beta", 1.0f);
  if (a->rank != 2 || b->rank != 2)
    return rt_fail(err, n, "A and B must be 2-D");
  int M = (int)y->dims[0], N = (int)y->dims[1];
  int K = (int)(ta ? a->dims[0] : a->dims[1]);
  float *out = y->data;
  const float *bias = n->fold_b;
  float cbeta = 0.0f;
  if (cv && beta != 0.0f && !bias) {
    const sp_tensor *c = &cv->t;
    int64_t cm = c->rank == 2 ? c->dims[0] : 1;
    int64_t cn = c->rank >= 1 ? c->dims[c->rank - 1] : 1;
    const float *cd = c->data;
    if (c->rank == 1 && cn == N && beta == 1.0f) {
      bias = cd;
    } else {
      for (int i = 0; i < M; ++i)
        for (int j = 0; j < N; ++j)
          out[(int64_t)i * N + j] =
              beta * cd[(cm == 1 ? 0 : i) * cn + (cn == 1 ? 0 : j)];
      cbeta = 1.0f;
    }
  }
  if (bias) {
    for (int i = 0; i < M; ++i)
      memcpy(out + (int64_t)i * N, bias, (size_t)N * sizeof *out);
    cbeta = 1.0f;
  }
  if (n->residual) { /* fuse.c's Add: accumulated onto like the bias */
    const float *r = rt_f32(n->residual);
    for (int64_t i = 0; i < (int64_t)M * N; ++i)
      out[i] = (cbeta != 0.0f ? out[i] : 0.0f) + r[i];
    cbeta = 1.0f;
  }
  if (M && N)
    sgemm_forward(ta, tb, M, N, K, alpha, a->data, ta ? M : K, b->data,
                  tb ? K : N, cbeta, out, N);
  if (n->act != RT_ACT_NONE) {
    epilogue ep = {NULL, NULL, n->act, n->act_a, n->act_b};
    epilogue_forward(out, M, N, &ep);
  }
  return 0;
}

/* y is (batch..., M, N) = a (batch..., M, K) @ b (batch..., K, N); 1-D a or b
 * promoted as numpy.matmul; batch dims broadcast. */
/* Y (batch..., M, N) = A (..., M, K) @ B (..., K, N), batch dims broadcast:
 * per output matrix, dA += dY B^T and dB += A^T dY at the operands' own
 * matrices, so a broadcast operand sums over the batch it was reused in.
 * 1-D operands count as (1, K) and (K, 1). */
RT_KERNEL(rt_matmul_backward) {
  (void)rt, (void)err;
  const float *dy = n->out[0]->grad;
  float *da = n->in[0]->grad, *db = n->in[1]->grad;
  if (!dy || (!da && !db))
    return 0;
  const sp_tensor *a = &n->in[0]->t, *b = &n->in[1]->t;
  const int64_t M = a->rank == 1 ? 1 : a->dims[a->rank - 2], K = a->dims[a->rank - 1];
  const int64_t N = b->rank == 1 ? 1 : b->dims[b->rank - 1];
  const int ra = a->rank > 2 ? a->rank - 2 : 0, rb = b->rank > 2 ? b->rank - 2 : 0;
  const int rbatch = ra > rb ? ra : rb;
  int64_t bdims[SP_MAX_RANK], sa[SP_MAX_RANK], sb[SP_MAX_RANK], batch = 1;
  int64_t stra = M * K, strb = K * N;
  for (int i = rbatch - 1; i >= 0; --i) {
    const int ia = i - (rbatch - ra), ib = i - (rbatch - rb);
    const int64_t dA = ia >= 0 ? a->dims[ia] : 1, dB = ib >= 0 ? b->dims[ib] : 1;
    bdims[i] = dA > dB ? dA : dB;
    sa[i] = dA == 1 ? 0 : stra, sb[i] = dB == 1 ? 0 : strb;
    stra *= dA, strb *= dB;
    batch *= bdims[i];
  }
  const float *ad = a->data, *bd = b->data;
  for (int64_t t = 0; t < batch; ++t) {
    int64_t oa = 0, ob = 0, rem = t;
    for (int i = rbatch - 1; i >= 0; --i) {
      oa += rem % bdims[i] * sa[i], ob += rem % bdims[i] * sb[i];
      rem /= bdims[i];
    }
    const float *g = dy + t * M * N;
    if (da) /* (M,K) += (M,N) @ B^T (N,K) */
      sgemm_forward(0, 1, (int)M, (int)K, (int)N, 1.0f, g, (int)N, bd + ob, (int)N, 1.0f,
                    da + oa, (int)K);
    if (db) /* (K,N) += A^T (K,M) @ (M,N) */
      sgemm_forward(1, 0, (int)K, (int)N, (int)M, 1.0f, ad + oa, (int)K, g, (int)N, 1.0f,
                    db + ob, (int)N);
  }
  return 0;
}

RT_KERNEL(rt_matmul) {
  (void)rt;
  if (n->n_in < 2 || !n->in[0] || !n->in[1])
    return rt_fail(err, n, "needs inputs A and B");
  int rc = rt_check_types(err, n, 0, RT_FLOAT, 0);
  if (!rc)
    rc = rt_check_types(err, n, 1, RT_FLOAT, 0);
  if (rc)
    return rc;
  const sp_tensor *a = &n->in[0]->t, *b = &n->in[1]->t, *y = &n->out[0]->t;
  if (a->rank < 1 || b->rank < 1)
    return rt_fail(err, n, "scalar operand");
  int64_t M = a->rank == 1 ? 1 : a->dims[a->rank - 2];
  int64_t K = a->dims[a->rank - 1];
  int64_t N = b->rank == 1 ? 1 : b->dims[b->rank - 1];
  const float *ad = a->data, *bd = b->data;
  float *out = y->data;
  int64_t total = rt_numel(y);
  if (total == 0)
    return 0;
  if (K == 0) {
    memset(out, 0, (size_t)total * sizeof *out);
    return 0;
  }
  /* batch shape of the output */
  int ra = a->rank > 2 ? a->rank - 2 : 0, rb = b->rank > 2 ? b->rank - 2 : 0;
  int rbatch = ra > rb ? ra : rb;
  int64_t bdims[SP_MAX_RANK], sa[SP_MAX_RANK], sb[SP_MAX_RANK];
  int64_t batch = 1;
  int a_batched = 0, b_batched = 0;
  for (int i = 0; i < rbatch; ++i) {
    int ia = i - (rbatch - ra), ib = i - (rbatch - rb);
    int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
    bdims[i] = da > db ? da : db;
    batch *= bdims[i];
    a_batched |= da > 1;
    b_batched |= db > 1;
  }
  /* element strides of each operand's matrices over the batch dims */
  int64_t stra = M * K, strb = K * N;
  for (int i = rbatch - 1; i >= 0; --i) {
    int ia = i - (rbatch - ra), ib = i - (rbatch - rb);
    int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
    sa[i] = da == 1 ? 0 : stra;
    sb[i] = db == 1 ? 0 : strb;
    stra *= da;
    strb *= db;
  }
  /* fuse.c's bias (N), residual (out's shape) and activation */
  const float *bias = n->fold_b, *res = n->residual ? rt_f32(n->residual) : NULL;
  const int fused = bias || res || n->act != RT_ACT_NONE;
  if (!b_batched && (a_batched || batch == 1)) {
    /* one SGEMM: rows of every a matrix against the shared b */
    int64_t rows = a_batched ? batch * M : M;
    if (fused)
      matmul_epilogue_forward((int)rows, (int)N, (int)K, ad, bd, out, bias, res,
                              n->act, n->act_a, n->act_b);
    else
      sgemm_forward(0, 0, (int)rows, (int)N, (int)K, 1.0f, ad, (int)K, bd,
                    (int)N, 0.0f, out, (int)N);
    return 0;
  }
  if (!b_batched) {
    /* one a, one b, a batch of copies */
    sgemm_forward(0, 0, (int)M, (int)N, (int)K, 1.0f, ad, (int)K, bd, (int)N,
                  0.0f, out, (int)N);
    for (int64_t i = 1; i < batch; ++i)
      memcpy(out + i * M * N, out, (size_t)(M * N) * sizeof *out);
  } else {
    /* attention's per-head products: threads take whole matrices (one
     * region instead of one per head, and no product split too finely) */
    const int by_matrix = batch >= rt_threads() && (double)M * N * K < 5e7;
#pragma omp parallel for schedule(static) if (by_matrix && rt_threads() > 1)
    for (int64_t i = 0; i < batch; ++i) {
      int64_t rem = i, oa = 0, ob = 0;
      for (int d = rbatch - 1; d >= 0; --d) {
        int64_t idx = rem % bdims[d];
        rem /= bdims[d];
        oa += idx * sa[d];
        ob += idx * sb[d];
      }
      if (by_matrix)
        sgemm_serial(0, 0, (int)M, (int)N, (int)K, 1.0f, ad + oa, (int)K, bd + ob,
               (int)N, 0.0f, out + i * M * N, (int)N);
      else
        sgemm_forward(0, 0, (int)M, (int)N, (int)K, 1.0f, ad + oa, (int)K,
                      bd + ob, (int)N, 0.0f, out + i * M * N, (int)N);
    }
  }
  if (fused) {
    int64_t rows = total / N;
    for (int64_t i = 0; i < rows && (bias || res); ++i) /* before the act */
      for (int64_t j = 0; j < N; ++j)
        out[i * N + j] += (bias ? bias[j] : 0.0f) + (res ? res[i * N + j] : 0.0f);
    if (n->act != RT_ACT_NONE)
      matmul_act_forward(out, N, (int)rows, (int)N, n->act, n->act_a, n->act_b);
  }
  return 0;
}

/* ---- Einsum ---- */

#define EIN_MAX_LETTERS 64

/* Maps each term's letters to label ids; '...' becomes labels 52+. */
static int parse_term(const char *s, size_t len, int rank, int *labels,
                      int *n_labels, int *n_ell) {
  int k = 0;
  size_t named = 0;
  int has_ell = 0;
  for (size_t i = 0; i < len; ++i)
    if (isalpha((unsigned char)s[i]))
      ++named;
    else if (s[i] == '.')
      has_ell = 1;
  int ell = has_ell ? rank - (int)named : 0;
  if (ell < 0 || (!has_ell && rank >= 0 && (int)named != rank))
    return -1;
  for (size_t i = 0; i < len; ++i) {
    char c = s[i];
    if (isalpha((unsigned char)c)) {
      labels[k++] = isupper((unsigned char)c) ? c - 'A' + 26 : c - 'a';
    } else if (c == '.') {
      if (i + 2 >= len || s[i + 1] != '.' || s[i + 2] != '.')
        return -1;
      for (int e = 0; e < ell; ++e)
        labels[k++] = 52 + e;
      i += 2;
    }
  }
  *n_labels = k;
  if (has_ell)
    *n_ell = ell;
  return 0;
}

RT_KERNEL(rt_einsum) {
  (void)rt;
  char raw[256], eq[256];
  rt_attr_str(n, "equation", raw, sizeof raw, "");
  size_t len = 0;
  for (const char *c = raw; *c; ++c)
    if (*c != ' ')
      eq[len++] = *c;
  eq[len] = '\0';
  const sp_tensor *y = &n->out[0]->t;
  if (y->elem_type != RT_FLOAT && y->elem_type != RT_DOUBLE)
    return rt_unsupported(err, n, "only float and double have a kernel");
  int n_ops = n->n_in;
  if (n_ops > 8)
    return rt_unsupported(err, n, "more than 8 operands");
  int labels[9][SP_MAX_RANK + 8], nl[9] = {0}, n_ell = 0;
  char *arrow = strstr(eq, "->");
  const char *p = eq;
  for (int i = 0; i < n_ops; ++i) {
    const char *end = strchr(p, ',');
    if (!end || (arrow && end > arrow))
      end = arrow ? arrow : eq + strlen(eq);
    if (parse_term(p, (size_t)(end - p), n->in[i]->t.rank, labels[i], &nl[i],
                   &n_ell))
      return rt_fail(err, n, "bad equation '%s'", eq);
    p = end + 1;
  }
  int64_t size[EIN_MAX_LETTERS];
  int used[EIN_MAX_LETTERS] = {0}, count[EIN_MAX_LETTERS] = {0};
  for (int l = 0; l < EIN_MAX_LETTERS; ++l)
    size[l] = 1;
  for (int i = 0; i < n_ops; ++i)
    for (int k = 0; k < nl[i]; ++k) {
      int64_t d = n->in[i]->t.dims[k];
      int l = labels[i][k];
      if (used[l] && size[l] != d && size[l] != 1 && d != 1)
        return rt_fail(err, n, "dimension mismatch for a label");
      if (!used[l] || size[l] == 1)
        size[l] = d;
      used[l] = 1;
      count[l]++;
    }
  int out_labels[SP_MAX_RANK + 8], n_out = 0;
  if (arrow) {
    for (const char *q = arrow + 2; *q; ++q) {
      if (isalpha((unsigned char)*q))
        out_labels[n_out++] = isupper((unsigned char)*q) ? *q - 'A' + 26 : *q - 'a';
      else if (*q == '.' ) {
        for (int e = 0; e < n_ell; ++e)
          out_labels[n_out++] = 52 + e;
        q += 2;
      }
    }
  } else {
    for (int e = 0; e < n_ell; ++e)
      out_labels[n_out++] = 52 + e;
    for (int l = 0; l < 52; ++l)
      if (count[l] == 1)
        out_labels[n_out++] = l;
  }
  /* all labels, output ones first */
  int all[EIN_MAX_LETTERS], n_all = 0, in_out[EIN_MAX_LETTERS] = {0};
  for (int k = 0; k < n_out; ++k) {
    all[n_all++] = out_labels[k];
    in_out[out_labels[k]] = 1;
  }
  for (int l = 0; l < EIN_MAX_LETTERS; ++l)
    if (used[l] && !in_out[l])
      all[n_all++] = l;
  int64_t total = 1, total_out = rt_numel(y);
  for (int k = 0; k < n_all; ++k)
    total *= size[all[k]];
  int64_t inner = total_out ? total / total_out : 0;
  for (int64_t o = 0; o < total_out; ++o) {
    double acc = 0;
    int64_t idx[EIN_MAX_LETTERS] = {0};
    int64_t rem = o;
    for (int k = n_out - 1; k >= 0; --k) {
      idx[all[k]] = rem % size[all[k]];
      rem /= size[all[k]];
    }
    for (int64_t r = 0; r < inner; ++r) {
      int64_t rr = r;
      for (int k = n_all - 1; k >= n_out; --k) {
        idx[all[k]] = rr % size[all[k]];
        rr /= size[all[k]];
      }
      double prod = 1;
      for (int i = 0; i < n_ops; ++i) {
        /* walk the operand's own dims: repeated labels read a diagonal */
        int64_t s = 1, off = 0;
        for (int k = nl[i] - 1; k >= 0; --k) {
          int64_t d = n->in[i]->t.dims[k];
          off += (d == 1 ? 0 : idx[labels[i][k]]) * s;
          s *= d;
        }
        prod *= rt_get_double(&n->in[i]->t, off);
      }
      acc += prod;
    }
    if (y->elem_type == RT_FLOAT)
      ((float *)y->data)[o] = (float)acc;
    else
      ((double *)y->data)[o] = acc;
  }
  return 0;
}
