/* depthwise.c - direct 2D depthwise conv (one input channel per group, any
 * channel multiplier, kernel size, stride, dilation, padding).
 *
 * Each input channel is first copied into a zero-padded buffer split into
 * stride phases: plane (qh,qw) holds padded pixels (r*sh+qh, j*sw+qw). In a
 * plane every tap (kh,kw) of output (oh,ow) sits at the flat index
 * oh*Wq + ow + const, so one long loop over oh*Wq + ow (the Wq - OW columns
 * past OW of each row are computed and dropped) covers many output rows with contiguous
 * loads, with no border tests, for small 7x7 maps as well as 112x112 ones.
 * The loop runs on chunks of rows that fit in L1; bias, residual and the
 * clamp are applied while copying a chunk out. */
#include <math.h>
#include <string.h>

#include "kernels.h"

#ifdef _OPENMP
#include <omp.h>
#endif

/* Flat outputs per chunk: the chunk's sums stay in L1 until copied out. */
#define DW_CHUNK 2048
/* Larger kernels go through im2col + SGEMM, one group at a time. */
#define DW_MAX_TAPS 256

int depthwise_applies(const conv_params *p) {
  return p->C == p->group && p->group > 1 && p->k[0] == 1 && p->in[0] == 1 &&
         p->k[1] * p->k[2] <= DW_MAX_TAPS;
}

/* Eight floats, unaligned: GCC/clang vector extensions give AVX on AVX
 * machines and pairs of SSE ops elsewhere, without intrinsics. */
typedef float v8 __attribute__((vector_size(32), aligned(4)));
#define V8_SLACK 8 /* floats read and written past n by the last vector */
typedef int i8 __attribute__((vector_size(32)));
typedef float v4 __attribute__((vector_size(16), aligned(4)));
#define LD8(p) (*(const v8 *)(p))
#define ST8(p, v) (*(v8 *)(p) = (v))

/* dst[0..n) = src[0..n). Rows are 7 to 112 floats: the last vector
 * overlaps the previous one instead of a scalar tail. */
static inline void dw_copy(float *restrict dst, const float *restrict src,
                           int n) {
  if (n >= 8) {
    for (int i = 0; i < n - 8; i += 8)
      ST8(dst + i, LD8(src + i));
    ST8(dst + n - 8, LD8(src + n - 8));
  } else if (n >= 4) {
    *(v4 *)dst = *(const v4 *)src;
    *(v4 *)(dst + n - 4) = *(const v4 *)(src + n - 4);
  } else {
    for (int i = 0; i < n; ++i)
      dst[i] = src[i];
  }
}

/* dst[0..n) = src[0], src[2], ... src[2n-2] (never reads src[2n-1]). */
static inline void dw_copy_even(float *restrict dst, const float *restrict src,
                                int n) {
#if defined(__clang__) || __GNUC__ >= 12
  if (n >= 8) {
    for (int j = 0;; j += 8) {
      j = j < n - 8 ? j : n - 8;
      v8 a = LD8(src + 2 * j), b = LD8(src + 2 * j + 7);
      ST8(dst + j, __builtin_shufflevector(a, b, 0, 2, 4, 6, 9, 11, 13, 15));
      if (j == n - 8)
        return;
    }
  }
#endif
  for (int j = 0; j < n; ++j)
    dst[j] = src[2 * j];
}

/* min(max(v, lo), hi) lane by lane, as the scalar v < lo ? lo : ... */
static inline v8 v8_clamp(v8 v, v8 lo, v8 hi) {
  i8 below = v < lo, above = v > hi;
  v = (v8)(((i8)lo & below) | ((i8)v & ~below));
  return (v8)(((i8)hi & above) | ((i8)v & ~above));
}

typedef struct dw_geom {
  int Hq, Wq;    /* rows and columns of one stride-phase plane */
  int64_t plane; /* floats per plane, Hq * Wq */
  int rows;      /* output rows per chunk */
  size_t per_thread; /* planes, slack, chunk sums, slack; 64-byte multiple */
} dw_geom;

/* Stride 1, no dilation, odd square kernel up to 7x7 with "same" padding:
 * the output has the input's row pitch, so a flat vector loop over the
 * plane needs no phase split, only zero rows above and below and a mask
 * per column offset against wrapping into the next row. */
#define DW_SAME_MAX_K 7
static int dw_same_applies(const conv_params *p) {
  const int K = p->k[1];
  return p->stride[1] == 1 && p->stride[2] == 1 && p->dil[1] == 1 &&
         p->dil[2] == 1 && K == p->k[2] && K % 2 == 1 && K <= DW_SAME_MAX_K &&
         p->pad[1] == K / 2 && p->pad[2] == K / 2 && p->out[1] == p->in[1] &&
         p->out[2] == p->in[2] && (int64_t)p->out[1] * p->out[2] >= 8;
}

/* Zeros before and after the plane in the "same" path's buffer: every tap
 * of every vector (the last one overlaps back) stays inside. */
static int64_t dw_same_margin(const conv_params *p) {
  return (int64_t)(p->k[1] / 2) * (p->in[2] + 1) + V8_SLACK;
}

/* Stride 2, no dilation, odd square kernel up to 7x7, padding K/2: the
 * input is split into 4 phase planes (row parity, column parity) with the
 * output's row pitch, so again one flat vector loop writes y directly; a
 * tap reads its plane at a fixed offset (rows above or below come from
 * zero margin rows, columns left or right are masked against wrapping). */
static int dw_s2_applies(const conv_params *p) {
  const int K = p->k[1];
  return p->stride[1] == 2 && p->stride[2] == 2 && p->dil[1] == 1 &&
         p->dil[2] == 1 && K == p->k[2] && K % 2 == 1 && K <= DW_SAME_MAX_K &&
         p->pad[1] == K / 2 && p->pad[2] == K / 2 &&
         p->out[1] == (p->in[1] + 2 * (K / 2) - K) / 2 + 1 &&
         p->out[2] == (p->in[2] + 2 * (K / 2) - K) / 2 + 1 &&
         (int64_t)p->out[1] * p->out[2] >= 8;
}

/* Rows of zeros above and below each phase plane, and floats of a plane
 * with its margins (every tap of every vector stays inside). */
static int dw_s2_margin_rows(const conv_params *p) { return p->k[1] / 4 + 1; }
static int64_t dw_s2_plane_floats(const conv_params *p) {
  return (int64_t)(p->out[1] + 2 * dw_s2_margin_rows(p)) * p->out[2] + 2 * V8_SLACK;
}

static dw_geom dw_geometry(const conv_params *p) {
  dw_geom g;
  if (dw_s2_applies(p)) { /* 4 phase planes; K column masks */
    memset(&g, 0, sizeof g);
    int64_t n = (int64_t)p->out[1] * p->out[2];
    size_t f = (size_t)(4 * dw_s2_plane_floats(p) + (int64_t)p->k[1] * n);
    g.per_thread = (f + 15) / 16 * 16;
    return g;
  }
  if (dw_same_applies(p)) { /* margin, plane, margin; K column masks */
    memset(&g, 0, sizeof g);
    int64_t n = (int64_t)p->in[1] * p->in[2];
    size_t f = (size_t)(2 * dw_same_margin(p) + n + (int64_t)p->k[1] * n);
    g.per_thread = (f + 15) / 16 * 16;
    return g;
  }
  const int sh = p->stride[1], sw = p->stride[2];
  /* padded extent the output reads, split into sh x sw phases */
  int Hp = (p->out[1] - 1) * sh + (p->k[1] - 1) * p->dil[1] + 1;
  int Wp = (p->out[2] - 1) * sw + (p->k[2] - 1) * p->dil[2] + 1;
  g.Hq = (Hp + sh - 1) / sh;
  g.Wq = (Wp + sw - 1) / sw;
  g.plane = (int64_t)g.Hq * g.Wq;
  g.rows = DW_CHUNK / g.Wq > 0 ? DW_CHUNK / g.Wq : 1;
  if (g.rows > p->out[1])
    g.rows = p->out[1];
  size_t n = (size_t)sh * sw * g.plane + (size_t)g.rows * g.Wq + 2 * V8_SLACK;
  g.per_thread = (n + 15) / 16 * 16;
  return g;
}

size_t depthwise_scratch_floats(const conv_params *p) {
  return dw_geometry(p).per_thread * (size_t)rt_threads();
}

/* planes (sh*sw, Hq, Wq) = padded, phase-split x (H, W). */
static void dw_pack(float *restrict buf, const float *restrict x,
                    const conv_params *p, const dw_geom *g) {
  const int H = p->in[1], W = p->in[2], sh = p->stride[1], sw = p->stride[2];
  const int ph = p->pad[1], pw = p->pad[2], Wq = g->Wq;
  for (int qw = 0; qw < sw; ++qw) {
    const int off = qw - pw;
    /* columns j with 0 <= j*sw + off < W, found once per phase (idiv is
     * slow next to copying a 7-wide row) */
    int lo = off >= 0 ? 0 : (-off + sw - 1) / sw;
    int hi = W - 1 - off < 0 ? 0 : (W - 1 - off) / sw + 1;
    lo = lo < Wq ? lo : Wq;
    hi = hi < Wq ? hi : Wq;
    hi = hi > lo ? hi : lo;
    for (int qh = 0; qh < sh; ++qh) {
      float *plane = buf + (int64_t)(qh * sw + qw) * g->plane;
      for (int r = 0; r < g->Hq; ++r) {
        float *restrict dst = plane + (int64_t)r * Wq;
        int ih = r * sh + qh - ph;
        if (ih < 0 || ih >= H) {
          for (int j = 0; j < Wq; ++j)
            dst[j] = 0;
          continue;
        }
        const float *restrict src = x + (int64_t)ih * W;
        for (int j = 0; j < lo; ++j)
          dst[j] = 0;
        if (sw == 1)
          dw_copy(dst + lo, src + lo + off, hi - lo);
        else if (sw == 2)
          dw_copy_even(dst + lo, src + 2 * lo + off, hi - lo);
        else
          for (int j = lo; j < hi; ++j)
            dst[j] = src[(int64_t)j * sw + off];
        for (int j = hi; j < Wq; ++j)
          dst[j] = 0;
      }
    }
  }
}

/* t[i] = sum over taps k of w[k] * src[k][i], i < n rounded up to 8. Tap
 * counts fixed so the taps unroll and the weights stay in registers; three
 * partial sums keep the FMA chains short. */
#define DW_TAPS(NAME, T)                                                       \
  static void NAME(float *restrict t, int64_t n, const float *const *src,     \
                   const float *restrict w) {                                  \
    const float *s[T];                                                         \
    v8 wk[T];                                                                  \
    for (int k = 0; k < T; ++k)                                                \
      s[k] = src[k], wk[k] = (v8){0} + w[k];                                   \
    for (int64_t i = 0; i < n; i += 8) {                                       \
      v8 acc[3] = {{0}, {0}, {0}};                                             \
      for (int k = 0; k < T; ++k)                                              \
        acc[k % 3] += wk[k] * *(const v8 *)(s[k] + i);                         \
      *(v8 *)(t + i) = (acc[0] + acc[1]) + acc[2];                             \
    }                                                                          \
  }
DW_TAPS(dw_taps_9, 9)
DW_TAPS(dw_taps_25, 25)

static void dw_taps_any(float *restrict t, int64_t n, const float *const *src,
                        const float *restrict w, int T) {
  for (int64_t i = 0; i < n; i += 8) {
    v8 acc = {0};
    for (int k = 0; k < T; ++k)
      acc += w[k] * *(const v8 *)(src[k] + i);
    *(v8 *)(t + i) = acc;
  }
}

/* y (rows, OW) = clamp(t (rows, Wq) + bias + res): the chunk leaves L1.
 * Overlapping last vectors as in dw_copy (y and res never alias). */
static void dw_store(float *restrict y, const float *restrict t,
                     const float *restrict res, int rows, int OW, int Wq,
                     float bias, float lo, float hi) {
  const v8 b8 = (v8){0} + bias, lo8 = (v8){0} + lo, hi8 = (v8){0} + hi;
  for (int r = 0; r < rows; ++r) {
    const float *tr = t + (int64_t)r * Wq;
    const float *rr = res ? res + (int64_t)r * OW : NULL;
    float *yr = y + (int64_t)r * OW;
    if (OW < 8) {
      for (int ow = 0; ow < OW; ++ow) {
        float v = tr[ow] + bias + (rr ? rr[ow] : 0.0f);
        yr[ow] = v < lo ? lo : v > hi ? hi : v;
      }
      continue;
    }
    for (int i = 0;; i += 8) {
      i = i < OW - 8 ? i : OW - 8;
      v8 v = LD8(tr + i) + b8;
      if (rr)
        v += LD8(rr + i);
      ST8(yr + i, v8_clamp(v, lo8, hi8));
      if (i == OW - 8)
        break;
    }
  }
}

/* mask (K, n): row kw is 1 where column + kw - K/2 of flat position f of
 * an (H, W) plane is inside [0, W), else 0 (row K/2 is all ones). */
static void dw_same_masks(float *mask, int K, int W, int64_t n) {
  for (int kw = 0; kw < K; ++kw)
    for (int64_t f = 0, col = 0; f < n; ++f, col = col + 1 == W ? 0 : col + 1) {
      int64_t c = col + kw - K / 2;
      mask[kw * n + f] = c >= 0 && c < W ? 1.0f : 0.0f;
    }
}

/* y (n) = clamp(bias + res + sum over taps of w * x), x the zero-margined
 * plane with row pitch W (x[f] is pixel f), K fixed per instance so the
 * taps unroll. Column sums are masked once per kernel column. The last
 * vector overlaps the one before (y and res never alias x or each other). */
static inline __attribute__((always_inline)) void
dw_same_plane(float *restrict y, const float *restrict x,
              const float *restrict w, const float *restrict mask, int W,
              int64_t n, float bias, const float *restrict res, float lo,
              float hi, const int K) {
  const int r = K / 2;
  const v8 b8 = (v8){0} + bias, lo8 = (v8){0} + lo, hi8 = (v8){0} + hi;
  v8 wk[DW_SAME_MAX_K * DW_SAME_MAX_K];
  for (int k = 0; k < K * K; ++k)
    wk[k] = (v8){0} + w[k];
  for (int64_t i = 0;; i += 8) {
    i = i < n - 8 ? i : n - 8;
    v8 acc = b8;
    for (int kw = 0; kw < K; ++kw) {
      v8 col = {0};
      for (int kh = 0; kh < K; ++kh)
        col += wk[kh * K + kw] * LD8(x + i + (int64_t)(kh - r) * W + (kw - r));
      acc += kw == r ? col : col * LD8(mask + kw * n + i);
    }
    if (res)
      acc += LD8(res + i);
    ST8(y + i, v8_clamp(acc, lo8, hi8));
    if (i == n - 8)
      break;
  }
}

static void dw_same_plane_3(float *y, const float *x, const float *w,
                            const float *mask, int W, int64_t n, float bias,
                            const float *res, float lo, float hi) {
  dw_same_plane(y, x, w, mask, W, n, bias, res, lo, hi, 3);
}

static void dw_same_plane_5(float *y, const float *x, const float *w,
                            const float *mask, int W, int64_t n, float bias,
                            const float *res, float lo, float hi) {
  dw_same_plane(y, x, w, mask, W, n, bias, res, lo, hi, 5);
}

static void dw_same_plane_7(float *y, const float *x, const float *w,
                            const float *mask, int W, int64_t n, float bias,
                            const float *res, float lo, float hi) {
  dw_same_plane(y, x, w, mask, W, n, bias, res, lo, hi, 7);
}

/* The dw_same_applies case of depthwise_forward. */
static void dw_same_forward(float *out, const float *inp, const float *weight,
                            const conv_params *p, const epilogue *ep,
                            float *scratch, float lo, float hi) {
  const int K = p->k[1], W = p->in[2], mult = p->M / p->group;
  const int64_t n = (int64_t)p->in[1] * W, margin = dw_same_margin(p);
  const size_t per_thread = dw_geometry(p).per_thread;
  void (*plane)(float *, const float *, const float *, const float *, int,
                int64_t, float, const float *, float, float) =
      K == 3 ? dw_same_plane_3 : K == 5 ? dw_same_plane_5 : dw_same_plane_7;
  int64_t work = (int64_t)p->N * p->M * n * K * K;
  (void)work; /* only read by the OpenMP clause */
#pragma omp parallel if (work > 65536)
  {
    int tid = 0;
#ifdef _OPENMP
    tid = omp_get_thread_num();
#endif
    float *buf = scratch + (size_t)tid * per_thread;
    float *x = buf + margin, *mask = x + n + margin;
    memset(buf, 0, margin * sizeof *buf);
    memset(x + n, 0, margin * sizeof *buf);
    dw_same_masks(mask, K, W, n);
    int64_t copied = -1; /* n*C + c now in buf: multiplier outputs reuse it */
#pragma omp for schedule(static)
    for (int64_t nm = 0; nm < (int64_t)p->N * p->M; ++nm) {
      int64_t nimg = p->N == 1 ? 0 : nm / p->M;
      int m = (int)(nm - nimg * p->M);
      int64_t nc = nimg * p->C + (mult == 1 ? m : m / mult);
      if (nc != copied) {
        memcpy(x, inp + nc * n, n * sizeof *x);
        copied = nc;
      }
      plane(out + nm * n, x, weight + (int64_t)m * K * K, mask, W, n,
            ep && ep->bias ? ep->bias[m] : 0.0f,
            ep && ep->residual ? ep->residual + nm * n : NULL, lo, hi);
    }
  }
}

/* For tap offset a = k - K/2 (row or column): the phase (parity) it reads
 * and its offset in phase-plane rows or columns: input 2i + a = 2(i + d) + q. */
static inline int dw_s2_phase(int a) { return a & 1; }
static inline int dw_s2_shift(int a) { return (a - (a & 1)) / 2; }

/* mask (K, n): row kw is 1 where output column ow + shift(kw - K/2) of flat
 * position f of an (OH, OW) map is inside [0, OW). */
static void dw_s2_masks(float *mask, int K, int OW, int64_t n) {
  for (int kw = 0; kw < K; ++kw)
    for (int64_t f = 0, col = 0; f < n; ++f, col = col + 1 == OW ? 0 : col + 1) {
      int64_t c = col + dw_s2_shift(kw - K / 2);
      mask[kw * n + f] = c >= 0 && c < OW ? 1.0f : 0.0f;
    }
}

/* planes (4, margin + OH + margin rows, OW) + slack: plane 2*rq + cq row R
 * holds x (H, W) row 2R + rq, columns 2J + cq (zeros past the input). The
 * margins and slack stay zero from dw_s2_forward's memset. */
static void dw_s2_pack(float *planes, const float *x, const conv_params *p) {
  const int H = p->in[1], W = p->in[2], OH = p->out[1], OW = p->out[2];
  const int64_t pf = dw_s2_plane_floats(p);
  const int64_t top = V8_SLACK + (int64_t)dw_s2_margin_rows(p) * OW;
  for (int rq = 0; rq < 2; ++rq)
    for (int R = 0; R < OH; ++R) {
      float *e = planes + (2 * rq) * pf + top + (int64_t)R * OW;
      float *o = planes + (2 * rq + 1) * pf + top + (int64_t)R * OW;
      int ih = 2 * R + rq;
      if (ih >= H) {
        memset(e, 0, OW * sizeof *e);
        memset(o, 0, OW * sizeof *o);
        continue;
      }
      const float *src = x + (int64_t)ih * W;
      int ne = (W + 1) / 2 < OW ? (W + 1) / 2 : OW, no = W / 2 < OW ? W / 2 : OW;
      dw_copy_even(e, src, ne);
      if (no > 0)
        dw_copy_even(o, src + 1, no);
      for (int j = ne; j < OW; ++j)
        e[j] = 0;
      for (int j = no; j < OW; ++j)
        o[j] = 0;
    }
}

/* y (n = OH*OW) = clamp(bias + res + taps) from the phase planes (plane q
 * at planes + q*pf, its row 0 at top): K fixed per instance. */
static inline __attribute__((always_inline)) void
dw_s2_plane(float *restrict y, const float *restrict planes, int64_t pf,
            int64_t top, const float *restrict w, const float *restrict mask,
            int OW, int64_t n, float bias, const float *restrict res, float lo,
            float hi, const int K) {
  const v8 b8 = (v8){0} + bias, lo8 = (v8){0} + lo, hi8 = (v8){0} + hi;
  v8 wk[DW_SAME_MAX_K * DW_SAME_MAX_K];
  for (int k = 0; k < K * K; ++k)
    wk[k] = (v8){0} + w[k];
  const float *src[DW_SAME_MAX_K * DW_SAME_MAX_K];
  for (int kh = 0; kh < K; ++kh)
    for (int kw = 0; kw < K; ++kw) {
      int ah = kh - K / 2, aw = kw - K / 2;
      src[kh * K + kw] = planes + (2 * dw_s2_phase(ah) + dw_s2_phase(aw)) * pf +
                         top + (int64_t)dw_s2_shift(ah) * OW + dw_s2_shift(aw);
    }
  for (int64_t i = 0;; i += 8) {
    i = i < n - 8 ? i : n - 8;
    v8 acc = b8;
    for (int kw = 0; kw < K; ++kw) {
      v8 col = {0};
      for (int kh = 0; kh < K; ++kh)
        col += wk[kh * K + kw] * LD8(src[kh * K + kw] + i);
      acc += dw_s2_shift(kw - K / 2) == 0 ? col : col * LD8(mask + kw * n + i);
    }
    if (res)
      acc += LD8(res + i);
    ST8(y + i, v8_clamp(acc, lo8, hi8));
    if (i == n - 8)
      break;
  }
}

#define DW_S2_PLANE(K)                                                         \
  static void dw_s2_plane_##K(float *y, const float *planes, int64_t pf,      \
                              int64_t top, const float *w, const float *mask, \
                              int OW, int64_t n, float bias, const float *res, \
                              float lo, float hi) {                            \
    dw_s2_plane(y, planes, pf, top, w, mask, OW, n, bias, res, lo, hi, K);    \
  }
DW_S2_PLANE(3)
DW_S2_PLANE(5)
DW_S2_PLANE(7)

/* The dw_s2_applies case of depthwise_forward. */
static void dw_s2_forward(float *out, const float *inp, const float *weight,
                          const conv_params *p, const epilogue *ep,
                          float *scratch, float lo, float hi) {
  const int K = p->k[1], OW = p->out[2], mult = p->M / p->group;
  const int64_t isp = (int64_t)p->in[1] * p->in[2];
  const int64_t n = (int64_t)p->out[1] * OW, pf = dw_s2_plane_floats(p);
  const int64_t top = V8_SLACK + (int64_t)dw_s2_margin_rows(p) * OW;
  const size_t per_thread = dw_geometry(p).per_thread;
  void (*plane)(float *, const float *, int64_t, int64_t, const float *,
                const float *, int, int64_t, float, const float *, float,
                float) =
      K == 3 ? dw_s2_plane_3 : K == 5 ? dw_s2_plane_5 : dw_s2_plane_7;
  int64_t work = (int64_t)p->N * p->M * n * K * K;
  (void)work; /* only read by the OpenMP clause */
#pragma omp parallel if (work > 65536)
  {
    int tid = 0;
#ifdef _OPENMP
    tid = omp_get_thread_num();
#endif
    float *planes = scratch + (size_t)tid * per_thread, *mask = planes + 4 * pf;
    memset(planes, 0, (size_t)(4 * pf) * sizeof *planes);
    dw_s2_masks(mask, K, OW, n);
    int64_t packed = -1; /* n*C + c now in the planes */
#pragma omp for schedule(static)
    for (int64_t nm = 0; nm < (int64_t)p->N * p->M; ++nm) {
      int64_t nimg = p->N == 1 ? 0 : nm / p->M;
      int m = (int)(nm - nimg * p->M);
      int64_t nc = nimg * p->C + (mult == 1 ? m : m / mult);
      if (nc != packed) {
        dw_s2_pack(planes, inp + nc * isp, p);
        packed = nc;
      }
      plane(out + nm * n, planes, pf, top, weight + (int64_t)m * K * K, mask,
            OW, n, ep && ep->bias ? ep->bias[m] : 0.0f,
            ep && ep->residual ? ep->residual + nm * n : NULL, lo, hi);
    }
  }
}

void depthwise_forward(float *out, const float *inp, const float *weight,
                       const conv_params *p, const epilogue *ep,
                       float *scratch) {
  const int H = p->in[1], W = p->in[2], OH = p->out[1], OW = p->out[2];
  const int KH = p->k[1], KW = p->k[2], sh = p->stride[1], sw = p->stride[2];
  const int dh = p->dil[1], dw = p->dil[2], T = KH * KW;
  const int mult = p->M / p->group;
  const int64_t osp = (int64_t)OH * OW;
  const dw_geom g = dw_geometry(p);
  float lo = -INFINITY, hi = INFINITY;
  if (ep && ep->act == RT_ACT_RELU)
    lo = 0;
  else if (ep && ep->act == RT_ACT_CLIP)
    lo = ep->a, hi = ep->b;
  if (dw_same_applies(p)) {
    dw_same_forward(out, inp, weight, p, ep, scratch, lo, hi);
    return;
  }
  if (dw_s2_applies(p)) {
    dw_s2_forward(out, inp, weight, p, ep, scratch, lo, hi);
    return;
  }
  /* offset of tap k inside its plane, and which plane */
  int64_t tap_off[DW_MAX_TAPS];
  int tap_plane[DW_MAX_TAPS];
  for (int kh = 0; kh < KH; ++kh)
    for (int kw = 0; kw < KW; ++kw) {
      int k = kh * KW + kw, rh = kh * dh, rw = kw * dw;
      tap_plane[k] = (rh % sh) * sw + rw % sw;
      tap_off[k] = (int64_t)(rh / sh) * g.Wq + rw / sw;
    }
  int64_t work = (int64_t)p->N * p->M * osp * T;
  (void)work; /* only read by the OpenMP clause */
#pragma omp parallel if (work > 65536)
  {
    int tid = 0;
#ifdef _OPENMP
    tid = omp_get_thread_num();
#endif
    float *buf = scratch + (size_t)tid * g.per_thread;
    float *sums = buf + (size_t)sh * sw * g.plane + V8_SLACK;
    /* the last vector of a chunk reads up to 7 floats past the planes */
    memset(sums - V8_SLACK, 0, V8_SLACK * sizeof *sums);
    int64_t packed = -1; /* n*C + c now in buf: multiplier outputs reuse it */
    const float *src[DW_MAX_TAPS];
#pragma omp for schedule(static)
    for (int64_t nm = 0; nm < (int64_t)p->N * p->M; ++nm) {
      /* divisions only when there is a batch or a multiplier */
      int64_t nimg = p->N == 1 ? 0 : nm / p->M;
      int m = (int)(nm - nimg * p->M);
      int64_t nc = nimg * p->C + (mult == 1 ? m : m / mult);
      if (nc != packed) {
        dw_pack(buf, inp + nc * H * W, p, &g);
        packed = nc;
      }
      const float *w = weight + (int64_t)m * T;
      float *y = out + nm * osp;
      const float *res = ep && ep->residual ? ep->residual + nm * osp : NULL;
      float bias = ep && ep->bias ? ep->bias[m] : 0;
      for (int oh = 0; oh < OH; oh += g.rows) {
        int rows = OH - oh < g.rows ? OH - oh : g.rows;
        /* the last row stops at OW: its dropped columns are not computed */
        int64_t n = (int64_t)(rows - 1) * g.Wq + OW;
        for (int k = 0; k < T; ++k)
          src[k] = buf + tap_plane[k] * g.plane + (int64_t)oh * g.Wq + tap_off[k];
        if (T == 9)
          dw_taps_9(sums, n, src, w);
        else if (T == 25)
          dw_taps_25(sums, n, src, w);
        else
          dw_taps_any(sums, n, src, w, T);
        dw_store(y + (int64_t)oh * OW, sums, res ? res + (int64_t)oh * OW : NULL,
                 rows, OW, g.Wq, bias, lo, hi);
      }
    }
  }
}
