/* emit_c.c - a planned model printed as C (`sp-translate --emit-c`).
 *
 * The runtime plans the model at fixed input dims exactly as sp-run does
 * (shape inference, fuse.c's BN/bias/activation/residual fusion, plan.c's
 * liveness arena); this file walks the planned nodes and prints one block
 * per node: constant shapes, constant arena offsets, and the algorithm the
 * runtime would choose (Winograd, packed panels, im2col, depthwise), with
 * the weights pre-packed in the layout that kernel reads into NAME.weights.
 * The default target calls the runtime's kernels through sp/kernels.h
 * (libsp_kernels.a); --freestanding prints plain C99 loops instead. */
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../runtime/runtime_internal.h"
#include "sp/codegen.h"
#include "sp/kernels.h"
#include "sp/output.h"
#include "sp/shape.h"

#define BLOB_ALIGN 64 /* every tensor in NAME.weights starts on a cache line */
#define ARENA_ALIGN 64

typedef struct text {
  char *p;
  size_t n, cap;
  int oom;
} text;

static void text_put(text *t, const void *data, size_t len) {
  if (t->oom)
    return;
  if (t->n + len + 1 > t->cap) {
    size_t cap = t->cap ? t->cap : 4096;
    while (cap < t->n + len + 1)
      cap *= 2;
    char *p = realloc(t->p, cap);
    if (!p) {
      t->oom = 1;
      return;
    }
    t->p = p;
    t->cap = cap;
  }
  memcpy(t->p + t->n, data, len);
  t->n += len;
  t->p[t->n] = 0;
}

static void text_printf(text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void text_printf(text *t, const char *fmt, ...) {
  char small[512];
  va_list ap;
  va_start(ap, fmt);
  int len = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (len < 0) {
    t->oom = 1;
    return;
  }
  if ((size_t)len < sizeof small) {
    text_put(t, small, (size_t)len);
    return;
  }
  char *big = malloc((size_t)len + 1);
  if (!big) {
    t->oom = 1;
    return;
  }
  va_start(ap, fmt);
  vsnprintf(big, (size_t)len + 1, fmt, ap);
  va_end(ap);
  text_put(t, big, (size_t)len);
  free(big);
}

/* Helper functions printed into NAME.c when a node needs them. */
enum {
  H_UNARY = 1 << 0,
  H_BINARY = 1 << 1,
  H_POOL = 1 << 2,
  H_GAP = 1 << 3,
  H_AFFINE = 1 << 4,
  H_SOFTMAX = 1 << 5,
  H_ROWS = 1 << 6,
  H_STRIDED = 1 << 7,
  H_GEMM = 1 << 8,  /* freestanding */
  H_CONV = 1 << 9,  /* freestanding */
  H_BIAS = 1 << 10,
  H_LAYERNORM = 1 << 11,
  H_ADD = 1 << 12,
  H_MAXPOOL = 1 << 13,
};

/* unary op codes of sp_unary in the generated C */
enum {
  UN_RELU, UN_CLIP, UN_SIGMOID, UN_TANH, UN_LEAKY, UN_HSIGMOID, UN_HSWISH,
  UN_SILU, UN_GELU, UN_EXP, UN_NEG, UN_ABS, UN_SQRT, UN_COPY, UN_ERF,
  UN_RECIP, UN_ELU, UN_SOFTPLUS
};
enum { BIN_ADD, BIN_SUB, BIN_MUL, BIN_DIV, BIN_MAX, BIN_MIN, BIN_POW };

typedef struct emitter {
  sp_runtime *rt;
  const sp_emit_c_options *opt;
  const char *name;
  const char *label; /* the model, for errors */
  text decl;         /* file-scope constants */
  text body;         /* NAME_run's statements */
  text scratch;      /* NAME_scratch_bytes' statements */
  text blob;         /* NAME.weights */
  size_t *const_off; /* per value: blob offset + 1, 0 = not in the blob */
  unsigned helpers;
  int n_conv;        /* counter for file-scope names */
  sp_error *err;
} emitter;

static rt_value *root_of(rt_value *v) {
  while (v->kind == RT_ALIAS && v->alias_of)
    v = v->alias_of;
  return v;
}

static int node_error(emitter *e, const rt_node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int node_error(emitter *e, const rt_node *n, const char *fmt, ...) {
  char what[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  return sp_error_set(e->err, "%s: node '%s' (%s): --emit-c: %s", e->label, rt_node_label(n),
                      n->proto->op_type, what);
}

/* Appends floats to the blob, returns their offset. */
static size_t blob_add(emitter *e, const float *data, size_t count) {
  static const char zeros[BLOB_ALIGN];
  size_t pad = (BLOB_ALIGN - e->blob.n % BLOB_ALIGN) % BLOB_ALIGN;
  text_put(&e->blob, zeros, pad);
  size_t off = e->blob.n;
  if (count)
    text_put(&e->blob, data, count * sizeof(float));
  else
    text_put(&e->blob, zeros, sizeof(float));
  return off;
}

/* C expression for a float tensor's first element; NULL (error set) when
 * the value has no static place. */
static int ref(emitter *e, const rt_node *n, rt_value *v, char *out, size_t size) {
  rt_value *r = root_of(v);
  if (r->t.elem_type != RT_FLOAT)
    return node_error(e, n, "'%s' is not float32 (only float tensors are compiled)",
                      v->t.name ? v->t.name : "?");
  switch (r->kind) {
  case RT_INPUT:
    for (int i = 0; i < e->rt->n_inputs; ++i)
      if (e->rt->inputs[i] == r) {
        snprintf(out, size, "in%d", i);
        return 0;
      }
    break;
  case RT_CONST: {
    size_t k = (size_t)(r - e->rt->values);
    if (!e->const_off[k])
      e->const_off[k] = blob_add(e, rt_f32(r), (size_t)r->t.numel) + 1;
    snprintf(out, size, "W(%zu)", e->const_off[k] - 1);
    return 0;
  }
  case RT_ARENA:
    snprintf(out, size, "A(%zu)", r->offset);
    return 0;
  default:
    break;
  }
  return node_error(e, n, "'%s' has no static shape at the given dims",
                    v->t.name ? v->t.name : "?");
}

static int64_t numel(const rt_value *v) { return v->t.numel; }

/* s safe inside a C comment (no "*" + "/", no newlines), cut at 255 bytes. */
static const char *comment_text(const char *l) {
  static char buf[256];
  size_t i = 0;
  for (; l[i] && i + 1 < sizeof buf; ++i)
    buf[i] = (l[i] == '*' || (unsigned char)l[i] < 32 || l[i] == '\\') ? '_' : l[i];
  buf[i] = 0;
  return buf;
}

static const char *comment_label(const rt_node *n) { return comment_text(rt_node_label(n)); }

/* v as a C float literal (8 rotating buffers: several per printf); the
 * infinities of an open Clip bound become FLT_MAX. */
static const char *flit(float v) {
  static char bufs[8][40];
  static int next;
  char *b = bufs[next++ % 8];
  if (isnan(v)) {
    snprintf(b, 40, "(0.0f / 0.0f)");
    return b;
  }
  if (isinf(v))
    v = v < 0 ? -FLT_MAX : FLT_MAX;
  snprintf(b, 40, "%.9g", (double)v);
  if (!strpbrk(b, ".e"))
    strcat(b, ".0");
  strcat(b, "f");
  return b;
}

/* Element strides of t read at out's shape (numpy broadcasting: 0 along
 * the dims t has as 1 or lacks). */
static void broadcast_strides(const sp_tensor *t, const sp_tensor *out, int64_t *st) {
  int64_t s = 1;
  for (int d = out->rank - 1; d >= 0; --d) {
    int td = d - (out->rank - t->rank);
    if (td < 0 || t->dims[td] == 1) {
      st[d] = 0;
    } else {
      st[d] = s;
    }
    if (td >= 0)
      s *= t->dims[td];
  }
}

/* The activation fuse.c put on n, as sp_unary's code, applied to y (k). */
static void emit_act(emitter *e, const rt_node *n, const char *y, int64_t k) {
  int op = -1;
  float a = n->act_a, b = n->act_b;
  switch (n->act) {
  case RT_ACT_NONE:
    return;
  case RT_ACT_RELU: op = UN_RELU; break;
  case RT_ACT_CLIP: op = UN_CLIP; break;
  case RT_ACT_GELU: op = UN_GELU; break;
  case RT_ACT_SILU: op = UN_SILU; break;
  case RT_ACT_HSWISH: op = UN_HSWISH; break;
  }
  if (!e->opt->freestanding && op == UN_SILU) {
    text_printf(&e->body, "  k->silu_forward(%s, %lld);\n", y, (long long)k);
    return;
  }
  if (!e->opt->freestanding && op == UN_GELU) {
    text_printf(&e->body, "  k->gelu_forward(%s, %s, %lld);\n", y, y, (long long)k);
    return;
  }
  if (!e->opt->freestanding && op == UN_HSWISH) {
    text_printf(&e->body, "  k->hardswish_forward(%s, %lld, %s, %s);\n", y,
                (long long)k, flit(a), flit(b));
    return;
  }
  e->helpers |= H_UNARY;
  text_printf(&e->body, "  sp_unary(%s, %s, %lld, %d, %s, %s);\n", y, y,
              (long long)k, op, flit(a), flit(b));
}

/* ---- Conv ---- */

/* Mirrors conv.c's geometry: pads are the leading ones (the output size
 * from shape inference implies the trailing ones). */
static int conv_geometry(emitter *e, const rt_node *n, sp_conv_params *p) {
  const sp_tensor *x = &n->in[0]->t, *w = &n->in[1]->t, *y = &n->out[0]->t;
  int ns = x->rank - 2;
  if (ns < 1 || ns > 3 || w->rank != x->rank)
    return node_error(e, n, "only 1-3 spatial dims are supported");
  memset(p, 0, sizeof *p);
  p->N = (int)x->dims[0];
  p->C = (int)x->dims[1];
  p->group = (int)rt_attr_int(n, "group", 1);
  p->M = (int)y->dims[1];
  int64_t pads[6] = {0}, strides[3], dil[3];
  int np = rt_attr_ints(n, "pads", pads, 6);
  if (rt_attr_ints(n, "strides", strides, 3) < 0)
    strides[0] = strides[1] = strides[2] = 1;
  if (rt_attr_ints(n, "dilations", dil, 3) < 0)
    dil[0] = dil[1] = dil[2] = 1;
  for (int d = 0; d < 3; ++d)
    p->in[d] = p->out[d] = p->k[d] = p->stride[d] = p->dil[d] = 1;
  for (int i = 0; i < ns; ++i) {
    int d = 3 - ns + i;
    p->in[d] = (int)x->dims[2 + i];
    p->out[d] = (int)y->dims[2 + i];
    p->k[d] = (int)w->dims[2 + i];
    p->stride[d] = (int)strides[i];
    p->dil[d] = (int)dil[i];
    p->pad[d] = np > 0 ? (int)pads[i] : 0;
  }
  char ap[32];
  rt_attr_str(n, "auto_pad", ap, sizeof ap, "NOTSET");
  if (!strcmp(ap, "SAME_UPPER") || !strcmp(ap, "SAME_LOWER")) {
    for (int i = 0; i < ns; ++i) {
      int d = 3 - ns + i;
      int64_t total = (int64_t)(p->out[d] - 1) * p->stride[d] +
                      (int64_t)(p->k[d] - 1) * p->dil[d] + 1 - p->in[d];
      if (total < 0)
        total = 0;
      p->pad[d] = (int)(!strcmp(ap, "SAME_UPPER") ? total / 2 : total - total / 2);
    }
  } else if (!strcmp(ap, "VALID")) {
    for (int d = 0; d < 3; ++d)
      p->pad[d] = 0;
  }
  if (p->group <= 0 || p->C % p->group || p->M % p->group)
    return node_error(e, n, "group %d does not divide the channels", p->group);
  return 0;
}

static int64_t spatial3(const int *d) { return (int64_t)d[0] * d[1] * d[2]; }

enum { ALGO_PLAIN, ALGO_PACKED, ALGO_WINOGRAD, ALGO_DIRECT, ALGO_DIRECT3X3 };

static const char *const ALGO_NAMES[] = {"im2col", "packed", "winograd", "direct", "direct3x3"};

/* The weights in the layout algo reads (*out NULL: w as it is). */
static int pack_weights(const sp_kernel_api *k, const sp_conv_params *p, const float *w,
                        int algo, float **out, size_t *count) {
  *out = NULL;
  if (algo == ALGO_WINOGRAD) {
    *count = k->winograd_weights_floats(p->M, p->C);
    float *u = malloc((size_t)p->M * p->C * sizeof(float) + 1);
    *out = malloc(*count * sizeof(float) + 1);
    if (u && *out)
      k->winograd_weights(*out, u, w, p->M, p->C);
    free(u);
    return u && *out ? 0 : -1;
  }
  if (algo == ALGO_DIRECT3X3) {
    *count = k->direct3x3_weights_floats(p->M, p->C);
    if (!(*out = malloc(*count * sizeof(float) + 1)))
      return -1;
    k->direct3x3_weights(*out, w, p->M, p->C);
    return 0;
  }
  if (algo == ALGO_PACKED) {
    const int G = p->group, Mg = p->M / G, K = p->C / G * (int)spatial3(p->k);
    size_t per = k->pointwise_packed_floats(Mg, K);
    *count = per * (size_t)G;
    if (!(*out = malloc(*count * sizeof(float) + 1)))
      return -1;
    for (int g = 0; g < G; ++g)
      k->pointwise_pack(*out + (size_t)g * per, w + (size_t)g * Mg * K, Mg, K);
  }
  return 0;
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* --tune: times each algorithm that computes p on this machine (best of 5
 * runs after one warm-up, at the current thread count) and returns the
 * fastest; fallback when memory runs out. */
static int tune_conv(const sp_kernel_api *k, const sp_conv_params *p, const float *w,
                     int fallback) {
  int cands[4], n = 0;
  cands[n++] = ALGO_PLAIN;
  if (!k->depthwise_applies(p))
    cands[n++] = ALGO_PACKED;
  if (k->winograd_applies(p))
    cands[n++] = ALGO_WINOGRAD;
  if (k->direct3x3_applies(p))
    cands[n++] = ALGO_DIRECT3X3;
  if (n == 1)
    return fallback;
  size_t in = (size_t)p->N * p->C * (size_t)spatial3(p->in);
  size_t out = (size_t)p->N * p->M * (size_t)spatial3(p->out);
  size_t ws = k->conv_scratch_floats(p);
  if (k->winograd_applies(p) && k->winograd_scratch_floats(p) > ws)
    ws = k->winograd_scratch_floats(p);
  if (k->direct3x3_applies(p) && k->direct3x3_scratch_floats(p) > ws)
    ws = k->direct3x3_scratch_floats(p);
  float *x = malloc(in * sizeof(float) + 1), *y = malloc(out * sizeof(float) + 1);
  float *scratch = malloc(ws * sizeof(float) + 1);
  int best = fallback;
  double best_ms = 1e300, fallback_ms = 1e300;
  for (size_t i = 0; x && i < in; ++i)
    x[i] = (float)(i % 17) * 0.0625f;
  for (int c = 0; x && y && scratch && c < n; ++c) {
    float *packed = NULL;
    size_t count;
    if (pack_weights(k, p, w, cands[c], &packed, &count))
      break;
    const sp_epilogue ep = {NULL, NULL, SP_ACT_RELU, 0.0f, 0.0f};
    double ms = 1e300;
    for (int r = 0; r < 6; ++r) {
      double t0 = now_ms();
      if (cands[c] == ALGO_WINOGRAD)
        k->winograd_forward(y, x, packed, p, &ep, scratch);
      else if (cands[c] == ALGO_PACKED)
        k->conv_packed_forward(y, x, packed, p, &ep, scratch);
      else if (cands[c] == ALGO_DIRECT3X3)
        k->direct3x3_forward(y, x, packed, p, &ep, scratch);
      else
        k->conv_forward(y, x, w, p, &ep, scratch);
      double t = now_ms() - t0;
      if (r && t < ms)
        ms = t;
    }
    free(packed);
    if (getenv("SP_EMITC_TUNE_VERBOSE")) /* what --tune measured, for docs/emit-c.md */
      fprintf(stderr, "tune C%d M%d %dx%d s%d out %dx%d: %s %.4f ms\n", p->C, p->M, p->k[1],
              p->k[2], p->stride[2], p->out[1], p->out[2],
              ALGO_NAMES[cands[c]], ms);
    if (cands[c] == fallback)
      fallback_ms = ms;
    if (ms < best_ms) {
      best_ms = ms;
      best = cands[c];
    }
  }
  free(x), free(y), free(scratch);
  /* within 3% (noise) the runtime's own choice stays */
  return fallback_ms <= best_ms * 1.03 ? fallback : best;
}

static int emit_conv(emitter *e, const rt_node *n) {
  sp_conv_params p;
  if (n->n_in < 2 || !n->in[1] || conv_geometry(e, n, &p))
    return n->n_in < 2 ? node_error(e, n, "needs inputs X and W") : -1;
  rt_value *wv = n->in[1];
  if (wv->kind != RT_CONST || wv->t.elem_type != RT_FLOAT)
    return node_error(e, n, "weights must be a float constant");
  const float *w = n->fold_w ? n->fold_w : rt_f32(wv);
  const float *bias = n->fold_b ? n->fold_b : rt_in(n, 2) ? rt_f32(n->in[2]) : NULL;
  char x[64], y[64], res[64] = "NULL", b[64] = "NULL";
  if (ref(e, n, n->in[0], x, sizeof x) || ref(e, n, n->out[0], y, sizeof y))
    return -1;
  if (n->residual && ref(e, n, n->residual, res, sizeof res))
    return -1;
  if (rt_in(n, 2) && !n->fold_b && n->in[2]->kind != RT_CONST)
    return node_error(e, n, "bias must be a constant");
  if (bias)
    snprintf(b, sizeof b, "W(%zu)", blob_add(e, bias, (size_t)p.M));
  const int post = n->act == RT_ACT_SILU || n->act == RT_ACT_HSWISH;
  const int act = post ? RT_ACT_NONE : (int)n->act;
  const int id = e->n_conv++;
  const size_t wcount = (size_t)numel(wv);
  const char *algo;
  size_t woff;
  const sp_kernel_api *k = sp_kernels();
  const int Mg = p.M / p.group, K = p.C / p.group * (int)spatial3(p.k);
  int choice;
  if (e->opt->freestanding)
    choice = ALGO_DIRECT;
  else if (k->direct3x3_preferred(&p))
    choice = ALGO_DIRECT3X3;
  else if (k->winograd_applies(&p))
    choice = ALGO_WINOGRAD;
  else if (!k->depthwise_applies(&p) && k->packed_gemm_applies(Mg, K, spatial3(p.out)))
    choice = ALGO_PACKED;
  else
    choice = ALGO_PLAIN;
  if (e->opt->tune && !e->opt->freestanding)
    choice = tune_conv(k, &p, w, choice);
  float *packed = NULL;
  size_t count = 0;
  if (pack_weights(k, &p, w, choice, &packed, &count))
    return sp_error_set(e->err, "out of memory");
  woff = blob_add(e, packed ? packed : w, packed ? count : wcount);
  free(packed);
  algo = choice == ALGO_PLAIN && k->depthwise_applies(&p) ? "depthwise" : ALGO_NAMES[choice];
  text_printf(&e->decl,
              "static const sp_conv_params conv%d = {%d, %d, %d, %d, {%d, %d, %d}, "
              "{%d, %d, %d}, {%d, %d, %d}, {%d, %d, %d}, {%d, %d, %d}, {%d, %d, %d}};\n",
              id, p.N, p.C, p.M, p.group, p.in[0], p.in[1], p.in[2], p.out[0], p.out[1],
              p.out[2], p.k[0], p.k[1], p.k[2], p.stride[0], p.stride[1], p.stride[2],
              p.dil[0], p.dil[1], p.dil[2], p.pad[0], p.pad[1], p.pad[2]);
  text_printf(&e->body, "  /* %s: %s conv (%d,%d,%d,%d)->(%d,%d,%d,%d) k%dx%d s%d g%d%s%s%s */\n",
              comment_label(n), algo, p.N, p.C, p.in[1], p.in[2], p.N, p.M, p.out[1],
              p.out[2], p.k[1], p.k[2], p.stride[2], p.group,
              n->fold_w ? ", BN folded" : "", n->residual ? ", + residual" : "",
              n->act == RT_ACT_RELU ? ", relu" : n->act == RT_ACT_CLIP ? ", clip" : "");
  if (e->opt->freestanding) {
    e->helpers |= H_CONV;
    text_printf(&e->body, "  sp_conv(%s, %s, W(%zu), %s, %s, %d, %s, %s, &conv%d);\n",
                y, x, woff, b, res, act, flit(n->act_a), flit(n->act_b), id);
  } else {
    const char *fn = choice == ALGO_WINOGRAD    ? "winograd_forward"
                     : choice == ALGO_PACKED    ? "conv_packed_forward"
                     : choice == ALGO_DIRECT3X3 ? "direct3x3_forward"
                                                : "conv_forward";
    text_printf(&e->body, "  { const sp_epilogue ep = {%s, %s, %d, %s, %s};\n", b,
                res, act, flit(n->act_a), flit(n->act_b));
    text_printf(&e->body, "    k->%s(%s, %s, W(%zu), &conv%d, &ep, work); }\n", fn, y, x,
                woff, id);
    text_printf(&e->scratch, "  need = max_size(need, k->%s(&conv%d));\n",
                choice == ALGO_WINOGRAD    ? "winograd_scratch_floats"
                : choice == ALGO_DIRECT3X3 ? "direct3x3_scratch_floats"
                                           : "conv_scratch_floats",
                id);
  }
  if (post)
    emit_act(e, n, y, numel(n->out[0]));
  return 0;
}

/* ---- Gemm / MatMul ---- */

static void emit_sgemm(emitter *e, int ta, int tb, int M, int N, int K, float alpha,
                       const char *a, int lda, const char *b, int ldb, float beta,
                       const char *c, int ldc) {
  if (e->opt->freestanding)
    e->helpers |= H_GEMM;
  text_printf(&e->body, "  %s(%d, %d, %d, %d, %d, %s, %s, %d, %s, %d, %s, %s, %d);\n",
              e->opt->freestanding ? "sp_sgemm" : "k->sgemm_forward", ta, tb, M, N, K,
              flit(alpha), a, lda, b, ldb, flit(beta), c, ldc);
}

static int emit_gemm(emitter *e, const rt_node *n) {
  if (n->n_in < 2)
    return node_error(e, n, "needs inputs A and B");
  const sp_tensor *at = &n->in[0]->t, *bt = &n->in[1]->t, *yt = &n->out[0]->t;
  if (at->rank != 2 || bt->rank != 2)
    return node_error(e, n, "A and B must be 2-D");
  int ta = (int)rt_attr_int(n, "transA", 0), tb = (int)rt_attr_int(n, "transB", 0);
  float alpha = rt_attr_float(n, "alpha", 1.0f), beta = rt_attr_float(n, "beta", 1.0f);
  int M = (int)yt->dims[0], N = (int)yt->dims[1], K = (int)(ta ? at->dims[0] : at->dims[1]);
  char a[64], b[64], y[64];
  if (ref(e, n, n->in[0], a, sizeof a) || ref(e, n, n->in[1], b, sizeof b) ||
      ref(e, n, n->out[0], y, sizeof y))
    return -1;
  text_printf(&e->body, "  /* %s: gemm (%d,%d) = (%d,%d) x (%d,%d)%s%s */\n",
              comment_label(n), M, N, M, K, K, N, n->residual ? ", + residual" : "",
              n->act != RT_ACT_NONE ? ", activation" : "");
  float cbeta = 0.0f;
  const rt_value *cv = rt_in(n, 2);
  if (n->fold_b || (cv && beta != 0.0f)) {
    /* C (or the fused bias) broadcast to (M, N) once, as a constant */
    if (cv && cv->kind != RT_CONST && !n->fold_b)
      return node_error(e, n, "C must be a constant");
    float *full = malloc((size_t)M * N * sizeof(float) + 1);
    if (!full)
      return sp_error_set(e->err, "out of memory");
    for (int i = 0; i < M; ++i)
      for (int j = 0; j < N; ++j) {
        if (n->fold_b) {
          full[(size_t)i * N + j] = n->fold_b[j];
          continue;
        }
        const sp_tensor *c = &cv->t;
        int64_t cm = c->rank == 2 ? c->dims[0] : 1, cn = c->rank >= 1 ? c->dims[c->rank - 1] : 1;
        full[(size_t)i * N + j] =
            beta * rt_f32(cv)[(cm == 1 ? 0 : i) * cn + (cn == 1 ? 0 : j)];
      }
    size_t off = blob_add(e, full, (size_t)M * N);
    free(full);
    text_printf(&e->body, "  memcpy(%s, W(%zu), %zu);\n", y, off,
                (size_t)M * N * sizeof(float));
    cbeta = 1.0f;
  }
  if (n->residual) {
    char r[64];
    if (ref(e, n, n->residual, r, sizeof r))
      return -1;
    if (cbeta != 0.0f) {
      e->helpers |= H_ADD;
      text_printf(&e->body, "  sp_add(%s, %s, %s, %lld);\n", y, y, r, (long long)M * N);
    } else {
      text_printf(&e->body, "  memcpy(%s, %s, %zu);\n", y, r, (size_t)M * N * sizeof(float));
    }
    cbeta = 1.0f;
  }
  emit_sgemm(e, ta, tb, M, N, K, alpha, a, ta ? M : K, b, tb ? K : N, cbeta, y, N);
  emit_act(e, n, y, (int64_t)M * N);
  return 0;
}

static int64_t batch_of(const sp_tensor *t) {
  int64_t b = 1;
  for (int d = 0; d + 2 < t->rank; ++d)
    b *= t->dims[d];
  return b;
}

static int emit_matmul(emitter *e, const rt_node *n) {
  if (n->n_in < 2)
    return node_error(e, n, "needs inputs A and B");
  const sp_tensor *at = &n->in[0]->t, *bt = &n->in[1]->t, *yt = &n->out[0]->t;
  if (at->rank < 2 || bt->rank < 2)
    return node_error(e, n, "1-D operands are not supported");
  int M = (int)at->dims[at->rank - 2], K = (int)at->dims[at->rank - 1];
  int N = (int)bt->dims[bt->rank - 1];
  int64_t ba = batch_of(at), bb = batch_of(bt), by = batch_of(yt);
  char a[64], b[64], y[64];
  if (ref(e, n, n->in[0], a, sizeof a) || ref(e, n, n->in[1], b, sizeof b) ||
      ref(e, n, n->out[0], y, sizeof y))
    return -1;
  text_printf(&e->body, "  /* %s: matmul %lld x (%d,%d) x (%d,%d) */\n", comment_label(n),
              (long long)by, M, K, K, N);
  const int epi = n->fold_b || n->residual || n->act != RT_ACT_NONE;
  if (bb == 1 && epi && !e->opt->freestanding && n->act != RT_ACT_SILU &&
      n->act != RT_ACT_HSWISH) {
    /* one product with fuse.c's bias, residual and activation in its tiles */
    char bias[64] = "NULL", r[64] = "NULL";
    if (n->fold_b)
      snprintf(bias, sizeof bias, "W(%zu)", blob_add(e, n->fold_b, (size_t)N));
    if (n->residual && ref(e, n, n->residual, r, sizeof r))
      return -1;
    text_printf(&e->body, "  k->matmul_epilogue_forward(%lld, %d, %d, %s, %s, %s, %s, %s, %d, %s, %s);\n",
                (long long)(ba * M), N, K, a, b, y, bias, r, (int)n->act, flit(n->act_a),
                flit(n->act_b));
    return 0;
  }
  if (bb == 1) { /* a's batch folds into its rows */
    emit_sgemm(e, 0, 0, (int)(ba * M), N, K, 1.0f, a, K, b, N, 0.0f, y, N);
  } else if (ba == bb || ba == 1) {
    char ai[96], bi[96], yi[96];
    snprintf(ai, sizeof ai, "%s + i * %lld", a, ba == 1 ? 0LL : (long long)M * K);
    snprintf(bi, sizeof bi, "%s + i * %lld", b, (long long)K * N);
    snprintf(yi, sizeof yi, "%s + i * %lld", y, (long long)M * N);
    text_printf(&e->body, "  for (long i = 0; i < %lld; ++i)\n  ", (long long)by);
    emit_sgemm(e, 0, 0, M, N, K, 1.0f, ai, K, bi, N, 0.0f, yi, N);
  } else {
    return node_error(e, n, "batch dims broadcast in a way not supported");
  }
  int64_t rows = by * M;
  if (n->fold_b) {
    e->helpers |= H_BIAS;
    text_printf(&e->body, "  sp_bias_rows(%s, W(%zu), %lld, %d);\n", y,
                blob_add(e, n->fold_b, (size_t)N), (long long)rows, N);
  }
  if (n->residual) {
    char r[64];
    if (ref(e, n, n->residual, r, sizeof r))
      return -1;
    e->helpers |= H_ADD;
    text_printf(&e->body, "  sp_add(%s, %s, %s, %lld);\n", y, y, r, (long long)rows * N);
  }
  emit_act(e, n, y, rows * N);
  return 0;
}

/* ---- elementwise ---- */

static int unary_code(const char *op) {
  static const struct {
    const char *name;
    int code;
  } T[] = {{"Relu", UN_RELU},      {"Sigmoid", UN_SIGMOID}, {"Tanh", UN_TANH},
           {"LeakyRelu", UN_LEAKY}, {"HardSigmoid", UN_HSIGMOID},
           {"HardSwish", UN_HSWISH}, {"Exp", UN_EXP},        {"Neg", UN_NEG},
           {"Abs", UN_ABS},        {"Sqrt", UN_SQRT},       {"Identity", UN_COPY},
           {"Erf", UN_ERF},        {"Reciprocal", UN_RECIP}, {"Elu", UN_ELU},
           {"Softplus", UN_SOFTPLUS}, {"Gelu", UN_GELU}};
  for (size_t i = 0; i < sizeof T / sizeof T[0]; ++i)
    if (!strcmp(op, T[i].name))
      return T[i].code;
  return -1;
}

static int emit_unary(emitter *e, const rt_node *n, int code) {
  char x[64], y[64];
  if (ref(e, n, n->in[0], x, sizeof x) || ref(e, n, n->out[0], y, sizeof y))
    return -1;
  float a = 0.0f, b = 0.0f;
  const char *op = n->proto->op_type;
  if (code == UN_LEAKY)
    a = rt_attr_float(n, "alpha", 0.01f);
  else if (code == UN_ELU)
    a = rt_attr_float(n, "alpha", 1.0f);
  else if (code == UN_HSIGMOID)
    a = rt_attr_float(n, "alpha", 0.2f), b = rt_attr_float(n, "beta", 0.5f);
  else if (code == UN_HSWISH)
    a = 1.0f / 6, b = 0.5f;
  else if (code == UN_GELU && rt_attr_is(n, "approximate", "tanh", "none"))
    return node_error(e, n, "Gelu approximate=tanh is not supported");
  else if (!strcmp(op, "Clip")) {
    a = -3.0e38f, b = 3.0e38f;
    if (n->opset < 11) {
      a = rt_attr_float(n, "min", a);
      b = rt_attr_float(n, "max", b);
    } else {
      for (int i = 1; i < n->n_in && i < 3; ++i) {
        if (!n->in[i])
          continue;
        if (n->in[i]->kind != RT_CONST)
          return node_error(e, n, "min/max must be constants");
        *(i == 1 ? &a : &b) = rt_f32(n->in[i])[0];
      }
    }
  }
  /* fuse.c puts a Relu/Clip after BatchNormalization on the node itself */
  e->helpers |= H_UNARY;
  text_printf(&e->body, "  /* %s: %s */\n  sp_unary(%s, %s, %lld, %d, %s, %s);\n",
              comment_label(n), op, y, x, (long long)numel(n->out[0]), code, flit(a), flit(b));
  emit_act(e, n, y, numel(n->out[0]));
  return 0;
}

static int emit_binary(emitter *e, const rt_node *n, int code) {
  if (n->n_in != 2 || !n->in[0] || !n->in[1])
    return node_error(e, n, "needs two inputs");
  char a[64], b[64], y[64];
  if (ref(e, n, n->in[0], a, sizeof a) || ref(e, n, n->in[1], b, sizeof b) ||
      ref(e, n, n->out[0], y, sizeof y))
    return -1;
  const sp_tensor *yt = &n->out[0]->t;
  int64_t sa[SP_MAX_RANK], sb[SP_MAX_RANK];
  broadcast_strides(&n->in[0]->t, yt, sa);
  broadcast_strides(&n->in[1]->t, yt, sb);
  text_printf(&e->body, "  /* %s: %s */\n", comment_label(n), n->proto->op_type);
  int same_a = n->in[0]->t.numel == yt->numel, same_b = n->in[1]->t.numel == yt->numel;
  if (same_a && same_b && code == BIN_ADD) {
    e->helpers |= H_ADD;
    text_printf(&e->body, "  sp_add(%s, %s, %s, %lld);\n", y, a, b, (long long)yt->numel);
  } else {
    e->helpers |= H_BINARY;
    int rank = yt->rank ? yt->rank : 1;
    text_printf(&e->decl, "static const long bin%d[] = {", n->index);
    for (int d = 0; d < rank; ++d)
      text_printf(&e->decl, "%lld, ", (long long)(yt->rank ? yt->dims[d] : 1));
    for (int d = 0; d < rank; ++d)
      text_printf(&e->decl, "%lld, ", (long long)(yt->rank ? sa[d] : 0));
    for (int d = 0; d < rank; ++d)
      text_printf(&e->decl, "%lld%s", (long long)(yt->rank ? sb[d] : 0),
                  d + 1 < rank ? ", " : "};\n");
    text_printf(&e->body, "  sp_binary(%s, %s, %s, %d, %d, bin%d);\n", y, a, b, code, rank,
                n->index);
  }
  emit_act(e, n, y, yt->numel);
  return 0;
}

/* ---- pooling, normalisation, softmax ---- */

static int emit_pool(emitter *e, const rt_node *n, int is_max) {
  const sp_tensor *x = &n->in[0]->t, *y = &n->out[0]->t;
  if (x->rank != 4)
    return node_error(e, n, "only 2-D pooling is supported");
  if (n->n_out > 1 && n->out[1])
    return node_error(e, n, "MaxPool indices are not supported");
  int64_t ks[2], st[2] = {1, 1}, dl[2] = {1, 1}, pads[4] = {0};
  if (rt_attr_ints(n, "kernel_shape", ks, 2) != 2)
    return node_error(e, n, "needs kernel_shape");
  rt_attr_ints(n, "strides", st, 2);
  rt_attr_ints(n, "dilations", dl, 2);
  rt_attr_ints(n, "pads", pads, 4);
  char ap[32];
  rt_attr_str(n, "auto_pad", ap, sizeof ap, "NOTSET");
  if (strcmp(ap, "NOTSET") && strcmp(ap, "VALID"))
    return node_error(e, n, "auto_pad %s is not supported", ap);
  int include_pad = (int)rt_attr_int(n, "count_include_pad", 0);
  char xs[64], ys[64];
  if (ref(e, n, n->in[0], xs, sizeof xs) || ref(e, n, n->out[0], ys, sizeof ys))
    return -1;
  if (is_max && dl[0] == 1 && dl[1] == 1) {
    e->helpers |= H_MAXPOOL;
    text_printf(&e->body,
                "  /* %s: max pool %lldx%lld */\n  sp_maxpool(%s, %s, %lld, %lld, %lld, %lld, "
                "%lld, %lld, %lld, %lld, %lld, %lld, %lld);\n",
                comment_label(n), (long long)ks[0], (long long)ks[1], ys, xs,
                (long long)(x->dims[0] * x->dims[1]), (long long)x->dims[2],
                (long long)x->dims[3], (long long)y->dims[2], (long long)y->dims[3],
                (long long)ks[0], (long long)ks[1], (long long)st[0], (long long)st[1],
                (long long)pads[0], (long long)pads[1]);
    emit_act(e, n, ys, y->numel);
    return 0;
  }
  e->helpers |= H_POOL;
  text_printf(&e->body,
              "  /* %s: %s %lldx%lld */\n  sp_pool(%s, %s, %lld, %lld, %lld, %lld, %lld, %lld, "
              "%lld, %lld, %lld, %lld, %lld, %lld, %lld, %lld, %lld, %d);\n",
              comment_label(n), is_max ? "max pool" : "average pool", (long long)ks[0],
              (long long)ks[1], ys, xs, (long long)(x->dims[0] * x->dims[1]),
              (long long)x->dims[2], (long long)x->dims[3], (long long)y->dims[2],
              (long long)y->dims[3], (long long)ks[0], (long long)ks[1], (long long)st[0],
              (long long)st[1], (long long)pads[0], (long long)pads[1], (long long)pads[2],
              (long long)pads[3], (long long)dl[0],
              (long long)dl[1], is_max ? 2 : include_pad);
  emit_act(e, n, ys, y->numel);
  return 0;
}

static int emit_global_pool(emitter *e, const rt_node *n, int is_max) {
  const sp_tensor *x = &n->in[0]->t;
  if (x->rank < 3)
    return node_error(e, n, "input must be (N,C,...)");
  char xs[64], ys[64];
  if (ref(e, n, n->in[0], xs, sizeof xs) || ref(e, n, n->out[0], ys, sizeof ys))
    return -1;
  e->helpers |= H_GAP;
  text_printf(&e->body, "  /* %s */\n  sp_global_pool(%s, %s, %lld, %lld, %d);\n",
              comment_label(n), ys, xs, (long long)(x->dims[0] * x->dims[1]),
              (long long)rt_dims_product(x, 2, x->rank), is_max);
  return 0;
}

static int emit_batchnorm(emitter *e, const rt_node *n) {
  if (n->n_in < 5)
    return node_error(e, n, "needs 5 inputs");
  if (rt_attr_int(n, "training_mode", 0))
    return node_error(e, n, "training_mode=1 is not supported (batch statistics)");
  for (int i = 1; i < 5; ++i)
    if (!n->in[i] || n->in[i]->kind != RT_CONST || n->in[i]->t.elem_type != RT_FLOAT)
      return node_error(e, n, "scale, bias, mean and var must be float constants");
  const sp_tensor *x = &n->in[0]->t;
  int64_t C = x->rank > 1 ? x->dims[1] : 1;
  float *ab = malloc(2 * (size_t)C * sizeof(float) + 1);
  if (!ab)
    return sp_error_set(e->err, "out of memory");
  float eps = rt_attr_float(n, "epsilon", 1e-5f);
  for (int64_t c = 0; c < C; ++c) {
    float s = rt_f32(n->in[1])[c] / sqrtf(rt_f32(n->in[4])[c] + eps);
    ab[c] = s;
    ab[C + c] = rt_f32(n->in[2])[c] - rt_f32(n->in[3])[c] * s;
  }
  size_t off = blob_add(e, ab, 2 * (size_t)C);
  free(ab);
  char xs[64], ys[64];
  if (ref(e, n, n->in[0], xs, sizeof xs) || ref(e, n, n->out[0], ys, sizeof ys))
    return -1;
  e->helpers |= H_AFFINE;
  text_printf(&e->body,
              "  /* %s: batch norm as y = a x + b per channel */\n"
              "  sp_channel_affine(%s, %s, W(%zu), W(%zu), %lld, %lld, %lld);\n",
              comment_label(n), ys, xs, off, off + (size_t)C * sizeof(float),
              (long long)x->dims[0], (long long)C,
              (long long)(x->rank > 2 ? rt_dims_product(x, 2, x->rank) : 1));
  emit_act(e, n, ys, x->numel);
  return 0;
}

static int emit_softmax(emitter *e, const rt_node *n, int log) {
  const sp_tensor *x = &n->in[0]->t;
  int axis = rt_axis(rt_attr_int(n, "axis", n->opset < 13 ? 1 : -1), x->rank);
  if (axis < 0)
    return node_error(e, n, "axis out of range");
  int64_t outer = rt_dims_product(x, 0, axis), len, inner;
  if (n->opset < 13) { /* coerced to 2-D at axis */
    len = rt_dims_product(x, axis, x->rank);
    inner = 1;
  } else {
    len = x->dims[axis];
    inner = rt_dims_product(x, axis + 1, x->rank);
  }
  char xs[64], ys[64];
  if (ref(e, n, n->in[0], xs, sizeof xs) || ref(e, n, n->out[0], ys, sizeof ys))
    return -1;
  if (!e->opt->freestanding) {
    text_printf(&e->body, "  /* %s */\n  k->softmax_forward(%s, %s, %lld, %lld, %lld, %d);\n",
                comment_label(n), ys, xs, (long long)outer, (long long)len, (long long)inner,
                log);
    return 0;
  }
  e->helpers |= H_SOFTMAX;
  text_printf(&e->body, "  /* %s */\n  sp_softmax(%s, %s, %lld, %lld, %lld, %d);\n",
              comment_label(n), ys, xs, (long long)outer, (long long)len, (long long)inner,
              log);
  return 0;
}

/* ---- data movement ---- */

static int emit_concat(emitter *e, const rt_node *n) {
  const sp_tensor *y = &n->out[0]->t;
  int axis = rt_axis(rt_attr_int(n, "axis", 0), y->rank);
  if (axis < 0)
    return node_error(e, n, "axis out of range");
  char ys[64];
  if (ref(e, n, n->out[0], ys, sizeof ys))
    return -1;
  int64_t outer = rt_dims_product(y, 0, axis), inner = rt_dims_product(y, axis + 1, y->rank);
  int64_t at = 0;
  e->helpers |= H_ROWS;
  text_printf(&e->body, "  /* %s: concat */\n", comment_label(n));
  for (int i = 0; i < n->n_in; ++i) {
    if (!n->in[i])
      continue;
    char xs[64];
    int64_t len = n->in[i]->t.rank > axis ? n->in[i]->t.dims[axis] : 0;
    if (!len)
      continue;
    if (ref(e, n, n->in[i], xs, sizeof xs))
      return -1;
    text_printf(&e->body, "  sp_copy_rows(%s + %lld, %lld, %s, %lld, %lld, %lld);\n", ys,
                (long long)(at * inner), (long long)(y->dims[axis] * inner), xs,
                (long long)(len * inner), (long long)(len * inner), (long long)outer);
    at += len;
  }
  return 0;
}

/* y = x read with element strides st over dims (rank of them), from x +
 * base: Transpose and Slice. */
static void emit_strided(emitter *e, const rt_node *n, const char *ys, const char *xs,
                         int64_t base, int rank, const int64_t *in_dims,
                         const int64_t *in_st) {
  /* merge dims that are contiguous in x (longer rows, fewer index steps) */
  int64_t dims[SP_MAX_RANK], st[SP_MAX_RANK];
  int r = 0;
  for (int d = 0; d < rank; ++d) {
    if (r && st[r - 1] == in_st[d] * in_dims[d]) {
      dims[r - 1] *= in_dims[d];
      st[r - 1] = in_st[d];
    } else {
      dims[r] = in_dims[d];
      st[r++] = in_st[d];
    }
  }
  rank = r;
  e->helpers |= H_STRIDED;
  text_printf(&e->decl, "static const long strided%d[] = {", n->index);
  for (int d = 0; d < rank; ++d)
    text_printf(&e->decl, "%lld, ", (long long)dims[d]);
  for (int d = 0; d < rank; ++d)
    text_printf(&e->decl, "%lld%s", (long long)st[d], d + 1 < rank ? ", " : "};\n");
  text_printf(&e->body, "  /* %s: %s */\n  sp_strided_copy(%s, %s + %lld, %d, strided%d);\n",
              comment_label(n), n->proto->op_type, ys, xs, (long long)base, rank, n->index);
}

static void contiguous_strides(const sp_tensor *t, int64_t *st) {
  int64_t s = 1;
  for (int d = t->rank - 1; d >= 0; --d) {
    st[d] = s;
    s *= t->dims[d];
  }
}

static int emit_transpose(emitter *e, const rt_node *n) {
  const sp_tensor *x = &n->in[0]->t, *y = &n->out[0]->t;
  int64_t perm[SP_MAX_RANK], xst[SP_MAX_RANK], st[SP_MAX_RANK];
  int np = rt_attr_ints(n, "perm", perm, SP_MAX_RANK);
  if (np < 0)
    for (int d = 0; d < x->rank; ++d)
      perm[d] = x->rank - 1 - d;
  else if (np != x->rank)
    return node_error(e, n, "perm has the wrong length");
  contiguous_strides(x, xst);
  for (int d = 0; d < y->rank; ++d)
    st[d] = xst[perm[d]];
  char xs[64], ys[64];
  if (ref(e, n, n->in[0], xs, sizeof xs) || ref(e, n, n->out[0], ys, sizeof ys))
    return -1;
  emit_strided(e, n, ys, xs, 0, y->rank ? y->rank : 1, y->dims, st);
  return 0;
}

/* The integers of v: a constant's, or what shape inference knows of a
 * computed one (shape arithmetic); -1 when unknown. */
static int known_ints(const emitter *e, const rt_value *v, int64_t *vals, int max) {
  if (!v)
    return -1;
  if (v->kind == RT_CONST)
    return rt_read_ints(v, vals, max);
  const sp_value_info *info = sp_shape_lookup(e->rt->shapes, v->t.name);
  if (!info || !info->has_value || v->t.numel > max || v->t.numel > SP_MAX_KNOWN_VALUES)
    return -1;
  for (int64_t i = 0; i < v->t.numel; ++i)
    vals[i] = info->value[i];
  return (int)v->t.numel;
}

static int emit_slice(emitter *e, const rt_node *n) {
  const sp_tensor *x = &n->in[0]->t, *y = &n->out[0]->t;
  int64_t starts[SP_MAX_RANK], ends[SP_MAX_RANK], axes[SP_MAX_RANK], steps[SP_MAX_RANK];
  int k;
  if (n->opset < 10) {
    k = rt_attr_ints(n, "starts", starts, SP_MAX_RANK);
    if (rt_attr_ints(n, "ends", ends, SP_MAX_RANK) != k)
      return node_error(e, n, "starts and ends differ in length");
    if (rt_attr_ints(n, "axes", axes, SP_MAX_RANK) < 0)
      for (int i = 0; i < k; ++i)
        axes[i] = i;
    for (int i = 0; i < k; ++i)
      steps[i] = 1;
  } else {
    k = known_ints(e, rt_in(n, 1), starts, SP_MAX_RANK);
    if (k < 0 || known_ints(e, rt_in(n, 2), ends, SP_MAX_RANK) != k)
      return node_error(e, n, "starts and ends must be known at generation, of one length");
    if (rt_in(n, 3) && known_ints(e, n->in[3], axes, SP_MAX_RANK) != k)
      return node_error(e, n, "axes must be known at generation");
    if (!rt_in(n, 3))
      for (int i = 0; i < k; ++i)
        axes[i] = i;
    if (rt_in(n, 4) && known_ints(e, n->in[4], steps, SP_MAX_RANK) != k)
      return node_error(e, n, "steps must be known at generation");
    if (!rt_in(n, 4))
      for (int i = 0; i < k; ++i)
        steps[i] = 1;
  }
  int64_t xst[SP_MAX_RANK], st[SP_MAX_RANK], base = 0;
  contiguous_strides(x, xst);
  for (int d = 0; d < x->rank; ++d)
    st[d] = xst[d];
  for (int i = 0; i < k; ++i) {
    int d = rt_axis(axes[i], x->rank);
    if (d < 0 || !steps[i])
      return node_error(e, n, "bad axis or zero step");
    int64_t dim = x->dims[d], s = starts[i];
    if (s < 0)
      s += dim;
    if (steps[i] > 0)
      s = s < 0 ? 0 : s > dim ? dim : s;
    else
      s = s < 0 ? -1 : s > dim - 1 ? dim - 1 : s;
    if (y->dims[d] > 0)
      base += s * xst[d];
    st[d] = xst[d] * steps[i];
  }
  char xs[64], ys[64];
  if (ref(e, n, n->in[0], xs, sizeof xs) || ref(e, n, n->out[0], ys, sizeof ys))
    return -1;
  emit_strided(e, n, ys, xs, base, y->rank ? y->rank : 1, y->dims, st);
  return 0;
}

static int emit_expand(emitter *e, const rt_node *n) {
  const sp_tensor *y = &n->out[0]->t;
  int64_t st[SP_MAX_RANK];
  broadcast_strides(&n->in[0]->t, y, st);
  char xs[64], ys[64];
  if (ref(e, n, n->in[0], xs, sizeof xs) || ref(e, n, n->out[0], ys, sizeof ys))
    return -1;
  int64_t one = 1, zero = 0;
  if (!y->rank)
    emit_strided(e, n, ys, xs, 0, 1, &one, &zero);
  else
    emit_strided(e, n, ys, xs, 0, y->rank, y->dims, st);
  return 0;
}

/* Gather of a float tensor at constant indices: one block copy per index. */
static int emit_gather(emitter *e, const rt_node *n) {
  const sp_tensor *x = &n->in[0]->t;
  int axis = rt_axis(rt_attr_int(n, "axis", 0), x->rank);
  rt_value *iv = rt_in(n, 1);
  int64_t idx[64];
  int k = known_ints(e, iv, idx, 64);
  if (axis < 0 || k < 0)
    return node_error(e, n, "indices must be a constant (at most 64) and axis in range");
  char xs[64], ys[64];
  if (ref(e, n, n->in[0], xs, sizeof xs) || ref(e, n, n->out[0], ys, sizeof ys))
    return -1;
  int64_t outer = rt_dims_product(x, 0, axis), dim = x->dims[axis];
  int64_t inner = rt_dims_product(x, axis + 1, x->rank);
  e->helpers |= H_ROWS;
  text_printf(&e->body, "  /* %s: gather */\n", comment_label(n));
  for (int j = 0; j < k; ++j) {
    int64_t at = idx[j] < 0 ? idx[j] + dim : idx[j];
    if (at < 0 || at >= dim)
      return node_error(e, n, "index %lld out of range", (long long)idx[j]);
    text_printf(&e->body, "  sp_copy_rows(%s + %lld, %lld, %s + %lld, %lld, %lld, %lld);\n", ys,
                (long long)(j * inner), (long long)(k * inner), xs, (long long)(at * inner),
                (long long)(dim * inner), (long long)inner, (long long)outer);
  }
  return 0;
}

/* fuse.c's ReduceMean..Add chain, or LayerNormalization over the last axis. */
static int emit_layernorm(emitter *e, const rt_node *n, int fused) {
  const sp_tensor *x = &n->in[0]->t;
  int64_t cols = x->rank ? x->dims[x->rank - 1] : 1, rows = cols ? x->numel / cols : 0;
  float eps = fused ? n->norm_eps : rt_attr_float(n, "epsilon", 1e-5f);
  char xs[64], ys[64], sc[64] = "NULL", bi[64] = "NULL";
  if (!fused && rt_axis(rt_attr_int(n, "axis", -1), x->rank) != x->rank - 1)
    return node_error(e, n, "only the last axis is supported");
  for (int i = 1; !fused && i < n->n_out; ++i) /* only Y is computed */
    if (n->out[i] && (n->out[i]->is_output || n->out[i]->last_use > n->out[i]->def))
      return node_error(e, n, "the Mean and InvStdDev outputs are not supported");
  if (fused) {
    if (n->fold_w)
      snprintf(sc, sizeof sc, "W(%zu)", blob_add(e, n->fold_w, (size_t)cols));
    if (n->fold_b)
      snprintf(bi, sizeof bi, "W(%zu)", blob_add(e, n->fold_b, (size_t)cols));
  } else if ((rt_in(n, 1) && ref(e, n, n->in[1], sc, sizeof sc)) ||
             (rt_in(n, 2) && ref(e, n, n->in[2], bi, sizeof bi))) {
    return -1;
  }
  if (ref(e, n, n->in[0], xs, sizeof xs) || ref(e, n, n->out[0], ys, sizeof ys))
    return -1;
  if (e->opt->freestanding)
    e->helpers |= H_LAYERNORM;
  text_printf(&e->body, "  /* %s: layer norm%s */\n  %s(%s, %s, %s, %s, %s, %lld, %lld);\n",
              comment_label(n), fused ? " (fused ReduceMean..Add)" : "",
              e->opt->freestanding ? "sp_layernorm" : "k->layernorm_forward", ys, xs, sc, bi,
              flit(eps), (long long)rows, (long long)cols);
  return 0;
}

/* A view (Reshape, Flatten, ...) the planner did not make an alias: copy. */
static int emit_copy(emitter *e, const rt_node *n) {
  rt_value *out = n->out[0];
  if (out->kind == RT_ALIAS)
    return 0; /* same bytes as the input */
  char xs[64], ys[64];
  if (ref(e, n, n->in[0], xs, sizeof xs) || ref(e, n, out, ys, sizeof ys))
    return -1;
  text_printf(&e->body, "  /* %s: %s */\n  memcpy(%s, %s, %lld);\n", comment_label(n),
              n->proto->op_type, ys, xs, (long long)(numel(out) * (int64_t)sizeof(float)));
  return 0;
}

static int all_outputs_known(const emitter *e, const rt_node *n) {
  for (int i = 0; i < n->n_out; ++i) {
    if (!n->out[i])
      continue;
    const sp_value_info *info = sp_shape_lookup(e->rt->shapes, n->out[i]->t.name);
    if (n->out[i]->t.elem_type == RT_FLOAT || !info || !info->has_value)
      return 0;
  }
  return 1;
}

static int emit_node(emitter *e, rt_node *n) {
  const char *op = n->proto->op_type;
  if (n->proto->domain && n->proto->domain[0] && strcmp(n->proto->domain, "ai.onnx"))
    return node_error(e, n, "op %s.%s is not supported", n->proto->domain, op);
  /* shape arithmetic whose result shape inference already knows */
  if (all_outputs_known(e, n)) {
    text_printf(&e->body, "  /* %s: %s, known at generation time */\n", comment_label(n), op);
    return 0;
  }
  if (n->dynamic)
    return node_error(e, n, "%s has an output shape unknown at the given dims", op);
  if (!n->in[0] && n->n_in > 0)
    return node_error(e, n, "missing input");
  if (n->op == rt_kernels_active()->fused_layernorm)
    return emit_layernorm(e, n, 1);
  if (!strcmp(op, "LayerNormalization"))
    return emit_layernorm(e, n, 0);
  if (!strcmp(op, "Expand"))
    return emit_expand(e, n);
  if (!strcmp(op, "Gather"))
    return emit_gather(e, n);
  if (!strcmp(op, "Conv"))
    return emit_conv(e, n);
  if (!strcmp(op, "Gemm"))
    return emit_gemm(e, n);
  if (!strcmp(op, "MatMul"))
    return emit_matmul(e, n);
  if (!strcmp(op, "Clip"))
    return emit_unary(e, n, UN_CLIP);
  int u = unary_code(op);
  if (u >= 0 && !(u == UN_COPY && n->out[0]->kind == RT_ALIAS))
    return emit_unary(e, n, u);
  static const char *const BIN[] = {"Add", "Sub", "Mul", "Div", "Max", "Min", "Pow"};
  for (int i = 0; i < (int)(sizeof BIN / sizeof BIN[0]); ++i)
    if (!strcmp(op, BIN[i]))
      return emit_binary(e, n, i);
  if (!strcmp(op, "MaxPool") || !strcmp(op, "AveragePool"))
    return emit_pool(e, n, op[0] == 'M');
  if (!strcmp(op, "GlobalAveragePool") || !strcmp(op, "GlobalMaxPool"))
    return emit_global_pool(e, n, op[6] == 'M');
  if (!strcmp(op, "BatchNormalization"))
    return emit_batchnorm(e, n);
  if (!strcmp(op, "Softmax") || !strcmp(op, "LogSoftmax"))
    return emit_softmax(e, n, op[0] == 'L');
  if (!strcmp(op, "Concat"))
    return emit_concat(e, n);
  if (!strcmp(op, "Transpose"))
    return emit_transpose(e, n);
  if (!strcmp(op, "Slice"))
    return emit_slice(e, n);
  if (!strcmp(op, "Reshape") || !strcmp(op, "Flatten") || !strcmp(op, "Squeeze") ||
      !strcmp(op, "Unsqueeze") || !strcmp(op, "Identity") || !strcmp(op, "Dropout"))
    return emit_copy(e, n);
  return node_error(e, n, "op %s is not supported", op);
}

/* ---- the helpers printed into NAME.c (plain C99) ---- */

static const struct {
  unsigned bit;
  const char *code;
} HELPERS[] = {
    {H_UNARY,
     "/* y (n) = op(x); a, b: the op's parameters (Clip bounds, alpha, beta) */\n"
     "static void sp_unary(float *y, const float *x, long n, int op, float a, float b) {\n"
     "  long i;\n"
     "  switch (op) {\n"
     "  case 0: for (i = 0; i < n; ++i) y[i] = x[i] > 0.0f ? x[i] : 0.0f; break;\n"
     "  case 1: for (i = 0; i < n; ++i) y[i] = x[i] < a ? a : x[i] > b ? b : x[i]; break;\n"
     "  case 2: for (i = 0; i < n; ++i) y[i] = 1.0f / (1.0f + expf(-x[i])); break;\n"
     "  case 3: for (i = 0; i < n; ++i) y[i] = tanhf(x[i]); break;\n"
     "  case 4: for (i = 0; i < n; ++i) y[i] = x[i] >= 0.0f ? x[i] : a * x[i]; break;\n"
     "  case 5: for (i = 0; i < n; ++i) { float v = a * x[i] + b; y[i] = v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v; } break;\n"
     "  case 6: for (i = 0; i < n; ++i) { float v = a * x[i] + b; y[i] = x[i] * (v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v); } break;\n"
     "  case 7: for (i = 0; i < n; ++i) y[i] = x[i] / (1.0f + expf(-x[i])); break;\n"
     "  case 8: for (i = 0; i < n; ++i) y[i] = 0.5f * x[i] * (1.0f + erff(x[i] * 0.70710678f)); break;\n"
     "  case 9: for (i = 0; i < n; ++i) y[i] = expf(x[i]); break;\n"
     "  case 10: for (i = 0; i < n; ++i) y[i] = -x[i]; break;\n"
     "  case 11: for (i = 0; i < n; ++i) y[i] = fabsf(x[i]); break;\n"
     "  case 12: for (i = 0; i < n; ++i) y[i] = sqrtf(x[i]); break;\n"
     "  case 13: if (y != x) memmove(y, x, (size_t)n * sizeof *y); break;\n"
     "  case 14: for (i = 0; i < n; ++i) y[i] = erff(x[i]); break;\n"
     "  case 15: for (i = 0; i < n; ++i) y[i] = 1.0f / x[i]; break;\n"
     "  case 16: for (i = 0; i < n; ++i) y[i] = x[i] >= 0.0f ? x[i] : a * (expf(x[i]) - 1.0f); break;\n"
     "  default: for (i = 0; i < n; ++i) y[i] = x[i] > 20.0f ? x[i] : log1pf(expf(x[i])); break;\n"
     "  }\n"
     "}\n"},
    {H_ADD,
     "/* y (n) = a + b */\n"
     "static void sp_add(float *y, const float *a, const float *b, long n) {\n"
     "  long i;\n"
     "  for (i = 0; i < n; ++i)\n"
     "    y[i] = a[i] + b[i];\n"
     "}\n"},
    {H_BINARY,
     "/* y (dims) = a op b; t holds dims, then a's and b's element strides at\n"
     " * y's shape (0 along broadcast dims), rank of each */\n"
     "static void sp_binary(float *y, const float *a, const float *b, int op, int rank,\n"
     "                      const long *t) {\n"
     "  const long *dims = t, *sa = t + rank, *sb = t + 2 * rank;\n"
     "  long outer = 1, inner = dims[rank - 1], ia = sa[rank - 1], ib = sb[rank - 1], o, j;\n"
     "  int d;\n"
     "  for (d = 0; d + 1 < rank; ++d)\n"
     "    outer *= dims[d];\n"
     "  for (o = 0; o < outer; ++o) {\n"
     "    long r = o, oa = 0, ob = 0;\n"
     "    for (d = rank - 2; d >= 0; --d) {\n"
     "      long i = r % dims[d];\n"
     "      r /= dims[d];\n"
     "      oa += i * sa[d];\n"
     "      ob += i * sb[d];\n"
     "    }\n"
     "    const float *pa = a + oa, *pb = b + ob;\n"
     "    float *py = y + o * inner;\n"
     "    switch (op) {\n"
     "    case 0: for (j = 0; j < inner; ++j) py[j] = pa[j * ia] + pb[j * ib]; break;\n"
     "    case 1: for (j = 0; j < inner; ++j) py[j] = pa[j * ia] - pb[j * ib]; break;\n"
     "    case 2: for (j = 0; j < inner; ++j) py[j] = pa[j * ia] * pb[j * ib]; break;\n"
     "    case 3: for (j = 0; j < inner; ++j) py[j] = pa[j * ia] / pb[j * ib]; break;\n"
     "    case 4: for (j = 0; j < inner; ++j) py[j] = pa[j * ia] > pb[j * ib] ? pa[j * ia] : pb[j * ib]; break;\n"
     "    case 5: for (j = 0; j < inner; ++j) py[j] = pa[j * ia] < pb[j * ib] ? pa[j * ia] : pb[j * ib]; break;\n"
     "    default: for (j = 0; j < inner; ++j) py[j] = powf(pa[j * ia], pb[j * ib]); break;\n"
     "    }\n"
     "  }\n"
     "}\n"},
    {H_POOL,
     "/* y (NC,OH,OW) pooled from x (NC,H,W) padded by ph, pw before and peh,\n"
     " * pew after; mode 2 max, 1 average counting the padding (not the part of\n"
     " * a ceil_mode window past the padded input), 0 average over the taps\n"
     " * inside x */\n"
     "static void sp_pool(float *y, const float *x, long NC, long H, long W, long OH, long OW,\n"
     "                    long kh, long kw, long sh, long sw, long ph, long pw, long peh,\n"
     "                    long pew, long dh, long dw, int mode) {\n"
     "  long c, oh, ow, i, j;\n"
     "  for (c = 0; c < NC; ++c)\n"
     "    for (oh = 0; oh < OH; ++oh)\n"
     "      for (ow = 0; ow < OW; ++ow) {\n"
     "        float acc = mode == 2 ? -3.402823e38f : 0.0f;\n"
     "        long taps = 0, padded = 0;\n"
     "        for (i = 0; i < kh; ++i) {\n"
     "          long ih = oh * sh - ph + i * dh;\n"
     "          if (ih >= H + peh)\n"
     "            break;\n"
     "          for (j = 0; j < kw; ++j) {\n"
     "            long iw = ow * sw - pw + j * dw;\n"
     "            if (iw >= W + pew)\n"
     "              break;\n"
     "            ++padded;\n"
     "            if (ih < 0 || ih >= H || iw < 0 || iw >= W)\n"
     "              continue;\n"
     "            float v = x[(c * H + ih) * W + iw];\n"
     "            if (mode == 2)\n"
     "              acc = v > acc ? v : acc;\n"
     "            else\n"
     "              acc += v;\n"
     "            ++taps;\n"
     "          }\n"
     "        }\n"
     "        if (mode == 1)\n"
     "          acc /= (float)(padded ? padded : 1);\n"
     "        else if (mode == 0)\n"
     "          acc /= (float)(taps ? taps : 1);\n"
     "        y[(c * OH + oh) * OW + ow] = acc;\n"
     "      }\n"
     "}\n"},
    {H_MAXPOOL,
     "/* y (NC,OH,OW) = max pool of x (NC,H,W), undilated, leading pads ph, pw:\n"
     " * each window clamped to x once, so the taps need no bounds tests */\n"
     "static void sp_maxpool(float *y, const float *x, long NC, long H, long W, long OH,\n"
     "                       long OW, long kh, long kw, long sh, long sw, long ph, long pw) {\n"
     "  long c, oh, ow, i, j;\n"
     "  for (c = 0; c < NC; ++c)\n"
     "    for (oh = 0; oh < OH; ++oh) {\n"
     "      long i0 = oh * sh - ph, i1 = i0 + kh;\n"
     "      const float *xc = x + c * H * W;\n"
     "      float *yr = y + (c * OH + oh) * OW;\n"
     "      i0 = i0 < 0 ? 0 : i0;\n"
     "      i1 = i1 > H ? H : i1;\n"
     "      for (ow = 0; ow < OW; ++ow) {\n"
     "        long j0 = ow * sw - pw, j1 = j0 + kw;\n"
     "        float acc = -3.402823e38f;\n"
     "        j0 = j0 < 0 ? 0 : j0;\n"
     "        j1 = j1 > W ? W : j1;\n"
     "        for (i = i0; i < i1; ++i)\n"
     "          for (j = j0; j < j1; ++j)\n"
     "            acc = xc[i * W + j] > acc ? xc[i * W + j] : acc;\n"
     "        yr[ow] = acc;\n"
     "      }\n"
     "    }\n"
     "}\n"},
    {H_GAP,
     "/* y (NC) = mean (or max) of x (NC,S) */\n"
     "static void sp_global_pool(float *y, const float *x, long NC, long S, int max) {\n"
     "  long c, s;\n"
     "  for (c = 0; c < NC; ++c) {\n"
     "    const float *p = x + c * S;\n"
     "    float acc = max ? p[0] : 0.0f;\n"
     "    for (s = 0; s < S; ++s)\n"
     "      acc = max ? (p[s] > acc ? p[s] : acc) : acc + p[s];\n"
     "    y[c] = max ? acc : acc / (float)S;\n"
     "  }\n"
     "}\n"},
    {H_AFFINE,
     "/* y (N,C,S) = a[c] x + b[c] (an inference BatchNormalization) */\n"
     "static void sp_channel_affine(float *y, const float *x, const float *a, const float *b,\n"
     "                              long N, long C, long S) {\n"
     "  long n, c, s;\n"
     "  for (n = 0; n < N; ++n)\n"
     "    for (c = 0; c < C; ++c) {\n"
     "      const float *px = x + (n * C + c) * S;\n"
     "      float *py = y + (n * C + c) * S;\n"
     "      for (s = 0; s < S; ++s)\n"
     "        py[s] = a[c] * px[s] + b[c];\n"
     "    }\n"
     "}\n"},
    {H_SOFTMAX,
     "/* y, x (outer,len,inner): softmax (log: log-softmax) over len */\n"
     "static void sp_softmax(float *y, const float *x, long outer, long len, long inner,\n"
     "                       int log) {\n"
     "  long o, i, j;\n"
     "  for (o = 0; o < outer; ++o)\n"
     "    for (j = 0; j < inner; ++j) {\n"
     "      const float *px = x + o * len * inner + j;\n"
     "      float *py = y + o * len * inner + j;\n"
     "      float m = px[0], sum = 0.0f;\n"
     "      for (i = 1; i < len; ++i)\n"
     "        m = px[i * inner] > m ? px[i * inner] : m;\n"
     "      for (i = 0; i < len; ++i)\n"
     "        sum += expf(px[i * inner] - m);\n"
     "      for (i = 0; i < len; ++i)\n"
     "        py[i * inner] = log ? px[i * inner] - m - logf(sum) : expf(px[i * inner] - m) / sum;\n"
     "    }\n"
     "}\n"},
    {H_ROWS,
     "/* outer rows of len floats from x (rows xstride apart) to y (ystride) */\n"
     "static void sp_copy_rows(float *y, long ystride, const float *x, long xstride, long len,\n"
     "                         long outer) {\n"
     "  long o;\n"
     "  for (o = 0; o < outer; ++o)\n"
     "    memcpy(y + o * ystride, x + o * xstride, (size_t)len * sizeof *y);\n"
     "}\n"},
    {H_LAYERNORM,
     "/* y, x (rows,cols): each row normalised, then * scale + bias (cols; NULL:\n"
     " * 1 and 0) */\n"
     "static void sp_layernorm(float *y, const float *x, const float *scale, const float *bias,\n"
     "                         float eps, long rows, long cols) {\n"
     "  long r, j;\n"
     "  for (r = 0; r < rows; ++r) {\n"
     "    const float *px = x + r * cols;\n"
     "    float *py = y + r * cols;\n"
     "    double mean = 0.0, var = 0.0;\n"
     "    for (j = 0; j < cols; ++j)\n"
     "      mean += px[j];\n"
     "    mean /= (double)cols;\n"
     "    for (j = 0; j < cols; ++j)\n"
     "      var += (px[j] - mean) * (px[j] - mean);\n"
     "    float inv = (float)(1.0 / sqrt(var / (double)cols + eps)), m = (float)mean;\n"
     "    for (j = 0; j < cols; ++j)\n"
     "      py[j] = (px[j] - m) * inv * (scale ? scale[j] : 1.0f) + (bias ? bias[j] : 0.0f);\n"
     "  }\n"
     "}\n"},
    {H_STRIDED,
     "/* y (dims, packed) = x read with element strides; t: dims then strides */\n"
     "static void sp_strided_copy(float *y, const float *x, int rank, const long *t) {\n"
     "  const long *dims = t, *st = t + rank;\n"
     "  long outer = 1, inner = dims[rank - 1], is = st[rank - 1], o, j;\n"
     "  int d;\n"
     "  for (d = 0; d + 1 < rank; ++d)\n"
     "    outer *= dims[d];\n"
     "  for (o = 0; o < outer; ++o) {\n"
     "    long r = o, off = 0;\n"
     "    for (d = rank - 2; d >= 0; --d) {\n"
     "      off += (r % dims[d]) * st[d];\n"
     "      r /= dims[d];\n"
     "    }\n"
     "    if (is == 1)\n"
     "      memcpy(y + o * inner, x + off, (size_t)inner * sizeof *y);\n"
     "    else\n"
     "      for (j = 0; j < inner; ++j)\n"
     "        y[o * inner + j] = x[off + j * is];\n"
     "  }\n"
     "}\n"},
    {H_BIAS,
     "/* y (rows,N) += bias (N) */\n"
     "static void sp_bias_rows(float *y, const float *bias, long rows, long N) {\n"
     "  long r, j;\n"
     "  for (r = 0; r < rows; ++r)\n"
     "    for (j = 0; j < N; ++j)\n"
     "      y[r * N + j] += bias[j];\n"
     "}\n"},
    {H_GEMM,
     "/* c (M,N) = alpha op(a) op(b) + beta c, row-major, like cblas_sgemm */\n"
     "static void sp_sgemm(int ta, int tb, int M, int N, int K, float alpha, const float *a,\n"
     "                     int lda, const float *b, int ldb, float beta, float *c, int ldc) {\n"
     "  int i, j, p;\n"
     "  for (i = 0; i < M; ++i) {\n"
     "    float *ci = c + (long)i * ldc;\n"
     "    for (j = 0; j < N; ++j)\n"
     "      ci[j] = beta == 0.0f ? 0.0f : beta * ci[j];\n"
     "    for (p = 0; p < K; ++p) {\n"
     "      float av = alpha * (ta ? a[(long)p * lda + i] : a[(long)i * lda + p]);\n"
     "      if (tb) {\n"
     "        for (j = 0; j < N; ++j)\n"
     "          ci[j] += av * b[(long)j * ldb + p];\n"
     "      } else {\n"
     "        const float *bp = b + (long)p * ldb;\n"
     "        for (j = 0; j < N; ++j)\n"
     "          ci[j] += av * bp[j];\n"
     "      }\n"
     "    }\n"
     "  }\n"
     "}\n"},
    {H_CONV,
     "/* y (N,M,out..) = act(conv(x (N,C,in..), w (M,C/group,k..)) + bias + res),\n"
     " * act 1 relu, 2 clip to [lo, hi]; a direct loop nest */\n"
     "static void sp_conv(float *y, const float *x, const float *w, const float *bias,\n"
     "                    const float *res, int act, float lo, float hi,\n"
     "                    const sp_conv_params *p) {\n"
     "  const int G = p->group, Cg = p->C / G, Mg = p->M / G;\n"
     "  const long isp = (long)p->in[0] * p->in[1] * p->in[2];\n"
     "  const long osp = (long)p->out[0] * p->out[1] * p->out[2];\n"
     "  const long ksz = (long)p->k[0] * p->k[1] * p->k[2];\n"
     "  int n, m, c, a, b2, e, od, oh, ow;\n"
     "  for (n = 0; n < p->N; ++n)\n"
     "    for (m = 0; m < p->M; ++m) {\n"
     "      float *yo = y + ((long)n * p->M + m) * osp;\n"
     "      long s;\n"
     "      for (s = 0; s < osp; ++s)\n"
     "        yo[s] = bias ? bias[m] : 0.0f;\n"
     "      for (c = 0; c < Cg; ++c) {\n"
     "        const float *xi = x + ((long)n * p->C + (long)(m / Mg) * Cg + c) * isp;\n"
     "        const float *wk = w + ((long)m * Cg + c) * ksz;\n"
     "        for (a = 0; a < p->k[0]; ++a)\n"
     "          for (b2 = 0; b2 < p->k[1]; ++b2)\n"
     "            for (e = 0; e < p->k[2]; ++e) {\n"
     "              const float wv = wk[((long)a * p->k[1] + b2) * p->k[2] + e];\n"
     "              for (od = 0; od < p->out[0]; ++od) {\n"
     "                const int id = od * p->stride[0] - p->pad[0] + a * p->dil[0];\n"
     "                if (id < 0 || id >= p->in[0])\n"
     "                  continue;\n"
     "                for (oh = 0; oh < p->out[1]; ++oh) {\n"
     "                  const int ih = oh * p->stride[1] - p->pad[1] + b2 * p->dil[1];\n"
     "                  if (ih < 0 || ih >= p->in[1])\n"
     "                    continue;\n"
     "                  const float *xr = xi + ((long)id * p->in[1] + ih) * p->in[2];\n"
     "                  float *yr = yo + ((long)od * p->out[1] + oh) * p->out[2];\n"
     "                  for (ow = 0; ow < p->out[2]; ++ow) {\n"
     "                    const int iw = ow * p->stride[2] - p->pad[2] + e * p->dil[2];\n"
     "                    if (iw >= 0 && iw < p->in[2])\n"
     "                      yr[ow] += wv * xr[iw];\n"
     "                  }\n"
     "                }\n"
     "              }\n"
     "            }\n"
     "      }\n"
     "      for (s = 0; s < osp; ++s) {\n"
     "        float v = yo[s] + (res ? res[((long)n * p->M + m) * osp + s] : 0.0f);\n"
     "        if (act == 1)\n"
     "          v = v > 0.0f ? v : 0.0f;\n"
     "        else if (act == 2)\n"
     "          v = v < lo ? lo : v > hi ? hi : v;\n"
     "        yo[s] = v;\n"
     "      }\n"
     "    }\n"
     "}\n"},
};

/* ---- the files ---- */

static void shape_comment(text *t, const rt_value *v) {
  text_printf(t, "(");
  for (int d = 0; d < v->t.rank; ++d)
    text_printf(t, "%s%lld", d ? "," : "", (long long)v->t.dims[d]);
  text_printf(t, ")");
}

static void print_signature(emitter *e, text *t) {
  text_printf(t, "int %s_run(", e->name);
  for (int i = 0; i < e->rt->n_inputs; ++i)
    text_printf(t, "const float *in%d, ", i);
  for (int i = 0; i < e->rt->n_outputs; ++i)
    text_printf(t, "float *out%d, ", i);
  text_printf(t, "void *scratch)");
}

static void print_header(emitter *e, text *h, size_t arena) {
  text_printf(h,
              "/* %s.h - generated by `sp-translate --emit-c` from %s; do not edit.\n"
              " * %s_run computes the model on one batch: inputs, then outputs, in graph\n"
              " * order (float32, row-major), and scratch: %s_scratch_bytes() bytes,\n"
              " * 64-byte aligned (e.g. aligned_alloc(64, ...)), asked after the thread\n"
              " * count is set. Returns 0%s. */\n"
              "#ifndef %s_H\n#define %s_H\n\n#include <stddef.h>\n\n",
              e->name, comment_text(e->label), e->name, e->name,
              e->opt->external_weights ? " (-1 before a successful NAME_load)" : "",
              e->name, e->name);
  for (int i = 0; i < e->rt->n_inputs; ++i) {
    const rt_value *v = e->rt->inputs[i];
    text_printf(h, "/* in%d: \"%s\" ", i, comment_text(v->t.name));
    shape_comment(h, v);
    text_printf(h, " */\n#define %s_IN%d_RANK %d\n#define %s_IN%d_NUMEL %lld\n", e->name, i,
                v->t.rank, e->name, i, (long long)v->t.numel);
    for (int d = 0; d < v->t.rank; ++d)
      text_printf(h, "#define %s_IN%d_DIM%d %lld\n", e->name, i, d, (long long)v->t.dims[d]);
  }
  for (int i = 0; i < e->rt->n_outputs; ++i) {
    const rt_value *v = e->rt->outputs[i];
    text_printf(h, "/* out%d: \"%s\" ", i, comment_text(v->t.name));
    shape_comment(h, v);
    text_printf(h, " */\n#define %s_OUT%d_RANK %d\n#define %s_OUT%d_NUMEL %lld\n", e->name, i,
                v->t.rank, e->name, i, (long long)v->t.numel);
    for (int d = 0; d < v->t.rank; ++d)
      text_printf(h, "#define %s_OUT%d_DIM%d %lld\n", e->name, i, d, (long long)v->t.dims[d]);
  }
  text_printf(h, "#define %s_ARENA_BYTES %zu\n#define %s_WEIGHTS_BYTES %zu\n\n", e->name, arena,
              e->name, e->blob.n);
  text_printf(h, "size_t %s_scratch_bytes(void);\n", e->name);
  if (!e->opt->freestanding)
    text_printf(h,
                "/* %s_scratch_bytes() bytes on 2 MB pages where the OS allows (the\n"
                " * arena and workspace miss the TLB less); free() releases it. */\n"
                "#define %s_SCRATCH_NEW 1\nvoid *%s_scratch_new(void);\n",
                e->name, e->name, e->name);
  print_signature(e, h);
  text_printf(h, ";\n");
  if (e->opt->external_weights)
    text_printf(h,
                "#define %s_EXTERNAL_WEIGHTS 1\n"
                "/* Reads NAME.weights (%zu bytes) once before %s_run; 0 or -1. */\n"
                "int %s_load(const char *path);\n",
                e->name, e->blob.n, e->name, e->name);
  text_printf(h, "\n#endif\n");
}

static void print_source(emitter *e, text *c, size_t arena) {
  const int fs = e->opt->freestanding;
  text_printf(c,
              "/* %s.c - generated by `sp-translate --emit-c%s` from %s; do not edit.\n"
              " * %zu bytes of arena (liveness-planned), %zu bytes of pre-packed weights;\n"
              " * algorithms chosen for the %s kernel set. */\n",
              e->name, fs ? " --freestanding" : "", comment_text(e->label), arena, e->blob.n,
              fs ? "freestanding" : sp_kernels()->isa);
  text_printf(c, "#include <math.h>\n#include <stddef.h>\n#include <string.h>\n");
  if (e->opt->external_weights)
    text_printf(c, "#include <stdio.h>\n#include <stdlib.h>\n");
  text_printf(c, "\n#include \"%s.h\"\n", e->name);
  if (!fs)
    text_printf(c, "#include \"sp/kernels.h\"\n");
  else
    text_printf(c,
                "\n/* convolution geometry, 1-3 spatial dims stored as 3 (D,H,W) */\n"
                "typedef struct sp_conv_params {\n"
                "  int N, C, M, group;\n  int in[3], out[3];\n"
                "  int k[3], stride[3], dil[3], pad[3];\n} sp_conv_params;\n");
  if (e->opt->external_weights) {
    text_printf(c,
                "\nstatic unsigned char *%s_weights;\n"
                "static const unsigned char *%s_base;\n\n"
                "int %s_load(const char *path) {\n"
                "  FILE *f = fopen(path, \"rb\");\n"
                "  unsigned char *blob = malloc(%zu + 64);\n"
                "  size_t got = 0;\n"
                "  if (f && blob) {\n"
                "    unsigned char *at = blob + (64 - (size_t)blob %% 64) %% 64;\n"
                "    got = fread(at, 1, %zu + 1, f);\n"
                "    if (got == %zu) {\n"
                "      fclose(f);\n"
                "      free(%s_weights);\n"
                "      %s_weights = blob;\n"
                "      %s_base = at;\n"
                "      return 0;\n"
                "    }\n"
                "  }\n"
                "  if (f)\n    fclose(f);\n"
                "  free(blob);\n"
                "  return -1;\n}\n",
                e->name, e->name, e->name, e->blob.n, e->blob.n, e->blob.n, e->name, e->name,
                e->name);
  } else {
    text_printf(c,
                "\n/* NAME.weights linked in: the assembler includes the blob (compile\n"
                " * from this folder, or pass -Wa,-I<folder>) */\n"
                "__asm__(\".section .rodata\\n\"\n"
                "        \".balign 64\\n\"\n"
                "        \".globl %s_weights\\n\"\n"
                "        \".type %s_weights, @object\\n\"\n"
                "        \"%s_weights:\\n\"\n"
                "        \".incbin \\\"%s.weights\\\"\\n\"\n"
                "        \".size %s_weights, . - %s_weights\\n\"\n"
                "        \".previous\\n\");\n"
                "extern const unsigned char %s_weights[];\n",
                e->name, e->name, e->name, e->name, e->name, e->name, e->name);
  }
  text_printf(c,
              "\n#define ARENA_BYTES %zu\n"
              "#define W(off) ((const float *)(const void *)(%s%s + (off)))\n"
              "#define A(off) ((float *)(void *)(arena + (off)))\n\n",
              arena, e->name, e->opt->external_weights ? "_base" : "_weights");
  for (size_t i = 0; i < sizeof HELPERS / sizeof HELPERS[0]; ++i)
    if (e->helpers & HELPERS[i].bit)
      text_printf(c, "%s\n", HELPERS[i].code);
  text_put(c, e->decl.p ? e->decl.p : "", e->decl.n);
  if (!fs && e->scratch.n) /* only a model with conv workspace uses it */
    text_printf(c,
                "\nstatic size_t max_size(size_t a, size_t b) { return a > b ? a : b; }\n");
  text_printf(c, "\nsize_t %s_scratch_bytes(void) {\n  size_t need = 0;\n", e->name);
  if (!fs)
    text_printf(c, "  const sp_kernel_api *k = sp_kernels();\n  (void)k;\n");
  text_put(c, e->scratch.p ? e->scratch.p : "", e->scratch.n);
  text_printf(c, "  return ARENA_BYTES + need * sizeof(float);\n}\n\n");
  if (!fs)
    text_printf(c, "void *%s_scratch_new(void) { return sp_scratch_alloc(%s_scratch_bytes()); }\n\n",
                e->name, e->name);
  print_signature(e, c);
  text_printf(c, " {\n  unsigned char *arena = scratch;\n");
  if (!fs)
    text_printf(c,
                "  float *work = (float *)(void *)(arena + ARENA_BYTES);\n"
                "  const sp_kernel_api *k = sp_kernels();\n"
                "  (void)work;\n  k->init();\n");
  text_printf(c, "  (void)arena;\n");
  for (int i = 0; i < e->rt->n_inputs; ++i)
    text_printf(c, "  (void)in%d;\n", i);
  if (e->opt->external_weights)
    text_printf(c, "  if (!%s_base)\n    return -1;\n", e->name);
  text_put(c, e->body.p ? e->body.p : "", e->body.n);
  text_printf(c, "  return 0;\n}\n");
}

static void print_makefile(emitter *e, text *m) {
  const int fs = e->opt->freestanding;
  text_printf(m,
              "# Generated by `sp-translate --emit-c`: `make` builds lib%s.a.\n"
              "# Link a program with:\n"
              "#   $(CC) main.c lib%s.a $(LDLIBS)\n"
              "CC ?= cc\nAR ?= ar\nCFLAGS ?= -O2%s\n",
              e->name, e->name, fs ? "" : " -fopenmp");
  if (!fs)
    text_printf(m,
                "KERNELS_DIR ?= %s\nSP_INCLUDE ?= %s\n"
                "CPPFLAGS += -I$(SP_INCLUDE)\n"
                "LDLIBS = -L$(KERNELS_DIR) -lsp_kernels -lopenblas -fopenmp -lm\n",
                e->opt->kernels_dir ? e->opt->kernels_dir : "/usr/local/lib",
                e->opt->include_dir ? e->opt->include_dir : "/usr/local/include");
  else
    text_printf(m, "LDLIBS = -lm\n");
  text_printf(m,
              "\nall: lib%s.a\n\n"
              "%s.o: %s.c %s.h%s%s%s\n"
              "\t$(CC) $(CPPFLAGS) $(CFLAGS) -c %s.c -o $@\n\n"
              "lib%s.a: %s.o\n"
              "\t$(AR) rcs $@ $^\n\n"
              "clean:\n\trm -f %s.o lib%s.a\n\n.PHONY: all clean\n",
              e->name, e->name, e->name, e->name,
              e->opt->external_weights ? "" : " ", e->opt->external_weights ? "" : e->name,
              e->opt->external_weights ? "" : ".weights", e->name, e->name, e->name, e->name,
              e->name);
}

static int write_file(const char *dir, const char *name, const char *ext, const text *t,
                      sp_error *err) {
  size_t len = strlen(dir) + strlen(name) + strlen(ext) + 3;
  char *path = malloc(len);
  if (!path)
    return sp_error_set(err, "out of memory");
  snprintf(path, len, "%s/%s%s", dir, name, ext);
  int rc = sp_output_write_all(path, t->p ? t->p : "", t->n, err);
  free(path);
  return rc;
}

static int bind_inputs(sp_runtime *rt, const char *label, const sp_emit_c_options *opt,
                       sp_error *err) {
  for (int i = 0; i < sp_runtime_num_inputs(rt); ++i) {
    const sp_value_info *info = sp_runtime_input_info(rt, i);
    if (info->elem_type != RT_FLOAT)
      return sp_error_set(err, "%s: input '%s': --emit-c compiles float32 inputs only",
                          label, info->name);
    if (info->rank < 0)
      return sp_error_set(err, "%s: input '%s' has no known rank", label, info->name);
    int64_t dims[SP_MAX_RANK], count = 1;
    for (int d = 0; d < info->rank; ++d) {
      dims[d] = info->dims[d];
      if (dims[d] < 0) {
        dims[d] = 1;
        for (int j = 0; j < opt->num_dims; ++j)
          if (info->dim_params[d] && !strcmp(info->dim_params[d], opt->dim_names[j]))
            dims[d] = opt->dim_values[j];
      }
      count *= dims[d];
    }
    float *zeros = calloc((size_t)(count > 0 ? count : 1), sizeof *zeros);
    if (!zeros)
      return sp_error_set(err, "out of memory");
    int rc = sp_runtime_bind(rt, info->name, RT_FLOAT, info->rank, dims, zeros, err);
    free(zeros);
    if (rc)
      return sp_error_prefix(err, label);
  }
  return 0;
}

int sp_emit_c(const char *onnx_path, const char *label, const sp_emit_c_options *opt,
              sp_error *err) {
  sp_runtime *rt = NULL;
  if (sp_runtime_load(onnx_path, &rt, err))
    return -1;
  emitter e = {0};
  e.rt = rt;
  e.opt = opt;
  e.name = opt->name;
  e.label = label;
  e.err = err;
  text h = {0}, c = {0}, mk = {0};
  int rc = -1;
  if (bind_inputs(rt, label, opt, err))
    goto done;
  if (rt_plan(rt, err)) {
    sp_error_prefix(err, label);
    goto done;
  }
  if (!(e.const_off = calloc(rt->n_values + 1, sizeof *e.const_off))) {
    sp_error_set(err, "out of memory");
    goto done;
  }
  for (size_t k = 0; k < rt->n_nodes; ++k)
    if (!rt->nodes[k].skip && emit_node(&e, &rt->nodes[k]))
      goto done;
  for (int i = 0; i < rt->n_outputs; ++i) {
    char ys[64];
    rt_value *v = rt->outputs[i];
    if (v->t.elem_type != RT_FLOAT) {
      sp_error_set(err, "%s: output '%s': --emit-c compiles float32 outputs only", label,
                   v->t.name);
      goto done;
    }
    if (root_of(v)->kind == RT_INPUT || root_of(v)->kind == RT_CONST ||
        root_of(v)->kind == RT_ARENA) {
      if (root_of(v)->kind == RT_CONST) {
        size_t off = blob_add(&e, rt_f32(root_of(v)), (size_t)v->t.numel);
        snprintf(ys, sizeof ys, "W(%zu)", off);
      } else if (root_of(v)->kind == RT_INPUT) {
        int j = 0;
        while (j < rt->n_inputs && rt->inputs[j] != root_of(v))
          ++j;
        snprintf(ys, sizeof ys, "in%d", j);
      } else {
        snprintf(ys, sizeof ys, "A(%zu)", root_of(v)->offset);
      }
    } else {
      sp_error_set(err, "%s: output '%s' has no static shape", label, v->t.name);
      goto done;
    }
    text_printf(&e.body, "  memcpy(out%d, %s, %lld); /* \"%s\" */\n", i, ys,
                (long long)(v->t.numel * (int64_t)sizeof(float)), comment_text(v->t.name));
  }
  print_header(&e, &h, rt->arena_bytes);
  print_source(&e, &c, rt->arena_bytes);
  print_makefile(&e, &mk);
  if (e.decl.oom || e.body.oom || e.scratch.oom || e.blob.oom || h.oom || c.oom || mk.oom) {
    sp_error_set(err, "out of memory");
    goto done;
  }
  if (mkdir(opt->dir, 0777) && errno != EEXIST) {
    sp_error_set(err, "cannot create '%s': %s", opt->dir, strerror(errno));
    goto done;
  }
  if (write_file(opt->dir, opt->name, ".weights", &e.blob, err) ||
      write_file(opt->dir, opt->name, ".h", &h, err) ||
      write_file(opt->dir, opt->name, ".c", &c, err) ||
      write_file(opt->dir, "Makefile", "", &mk, err))
    goto done;
  rc = 0;
done:
  free(e.decl.p), free(e.body.p), free(e.scratch.p), free(e.blob.p), free(e.const_off);
  free(h.p), free(c.p), free(mk.p);
  sp_runtime_free(rt);
  return rc;
}
