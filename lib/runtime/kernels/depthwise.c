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

/* The flat path: stride 1 or 2, no dilation, an odd square kernel up to
 * 7x7 with padding K/2. The input plane is copied (stride 1) or split into
 * its four (row, column) parity planes (stride 2) at the output's row pitch,
 * between zero margin rows, so every tap of every output is the plane read
 * at one fixed offset: one flat vector loop writes the output plane with
 * bias, residual and clamp in registers. A tap whose column lies left or
 * right of the output column is masked (0/1 per position) where it would
 * wrap into the neighbouring row. */
#define DW_FLAT_MAX_K 7
static int dw_flat_applies(const conv_params *p) {
  const int K = p->k[1], s = p->stride[1];
  return (s == 1 || s == 2) && p->stride[2] == s && p->dil[1] == 1 &&
         p->dil[2] == 1 && K == p->k[2] && K % 2 == 1 && K <= DW_FLAT_MAX_K &&
         p->pad[1] == K / 2 && p->pad[2] == K / 2 &&
         p->out[1] == (p->in[1] - 1) / s + 1 && p->out[2] == (p->in[2] - 1) / s + 1 &&
         (int64_t)p->out[1] * p->out[2] >= 8;
}

/* Tap offset a = k - K/2 (a row or a column) at stride s: input s*i + a is
 * parity plane dw_flat_phase's entry i + dw_flat_shift. */
static inline int dw_flat_phase(int a, int s) { return s == 1 ? 0 : a & 1; }
static inline int dw_flat_shift(int a, int s) { return s == 1 ? a : (a - (a & 1)) / 2; }

/* Zero rows above and below each plane; floats of a plane with its margins
 * and slack (every tap of every vector stays inside). */
static int dw_flat_margin_rows(const conv_params *p) {
  return dw_flat_shift(p->k[1] / 2, p->stride[1]) + 1;
}
static int64_t dw_flat_plane_floats(const conv_params *p) {
  return (int64_t)(p->out[1] + 2 * dw_flat_margin_rows(p)) * p->out[2] + 2 * V8_SLACK;
}

static dw_geom dw_geometry(const conv_params *p) {
  dw_geom g;
  if (dw_flat_applies(p)) { /* 1 or 4 planes; K column masks */
    memset(&g, 0, sizeof g);
    int64_t n = (int64_t)p->out[1] * p->out[2];
    int planes = p->stride[1] * p->stride[1];
    size_t f = (size_t)(planes * dw_flat_plane_floats(p) + (int64_t)p->k[1] * n);
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

/* mask (K, n): row kw is 1 where the column tap kw reads for flat position
 * f of the (OH, OW) output is inside [0, OW) of its plane. */
static void dw_flat_masks(float *mask, int K, int s, int OW, int64_t n) {
  for (int kw = 0; kw < K; ++kw)
    for (int64_t f = 0, col = 0; f < n; ++f, col = col + 1 == OW ? 0 : col + 1) {
      int64_t c = col + dw_flat_shift(kw - K / 2, s);
      mask[kw * n + f] = c >= 0 && c < OW ? 1.0f : 0.0f;
    }
}

/* planes (s*s, margin + OH + margin rows, OW) + slack from x (H, W): plane
 * s*rq + cq row R holds input row s*R + rq, columns s*J + cq (zeros past
 * the input). The margins and slack stay zero from dw_flat_forward's memset. */
static void dw_flat_pack(float *planes, const float *x, const conv_params *p) {
  const int H = p->in[1], W = p->in[2], OH = p->out[1], OW = p->out[2];
  const int64_t pf = dw_flat_plane_floats(p);
  const int64_t top = V8_SLACK + (int64_t)dw_flat_margin_rows(p) * OW;
  if (p->stride[1] == 1) { /* OW == W: the plane as it is */
    memcpy(planes + top, x, (size_t)H * W * sizeof *x);
    return;
  }
  for (int R = 0; R < OH; ++R) /* input rows in order: one forward stream */
    for (int rq = 0; rq < 2; ++rq) {
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

/* Sixteen floats, for the flat loop in the avx512 set (one zmm): half the
 * instructions of v8 on planes of 16 outputs or more. */
typedef float v16 __attribute__((vector_size(64), aligned(4)));
typedef int i16v __attribute__((vector_size(64)));
#if defined(__AVX512F__)
#define DW_FLAT_WIDE 1
#else
#define DW_FLAT_WIDE 0 /* 2 ymm per v16: measured no faster than v8 */
#endif

/* y (n) = clamp(bias + res + sum over taps of w * src[tap][f]); src from
 * dw_flat_forward, K fixed per instance so the taps unroll. Column sums are
 * masked once per kernel column that is shifted. The last vector overlaps
 * the one before (y and res never alias the planes or each other). VT is
 * v8 or v16, IT its lane mask type, L its lanes (n >= L). */
#define DW_FLAT_BODY(VT, IT, L)                                                \
  {                                                                            \
    const VT b_ = (VT){0} + bias, lo_ = (VT){0} + lo, hi_ = (VT){0} + hi;      \
    VT wk[DW_FLAT_MAX_K * DW_FLAT_MAX_K];                                      \
    for (int k = 0; k < K * K; ++k)                                            \
      wk[k] = (VT){0} + w[k];                                                  \
    for (int64_t i = 0;; i += L) {                                             \
      i = i < n - L ? i : n - L;                                               \
      VT acc = b_;                                                             \
      for (int kw = 0; kw < K; ++kw) {                                         \
        VT col = {0};                                                          \
        for (int kh = 0; kh < K; ++kh)                                         \
          col += wk[kh * K + kw] * *(const VT *)(src[kh * K + kw] + i);        \
        acc += shifted[kw] ? col * *(const VT *)(mask + kw * n + i) : col;     \
      }                                                                        \
      if (res)                                                                 \
        acc += *(const VT *)(res + i);                                         \
      IT below = acc < lo_, above = acc > hi_;                                 \
      acc = (VT)(((IT)lo_ & below) | ((IT)acc & ~below));                      \
      *(VT *)(y + i) = (VT)(((IT)hi_ & above) | ((IT)acc & ~above));           \
      if (i == n - L)                                                          \
        break;                                                                 \
    }                                                                          \
  }

static inline __attribute__((always_inline)) void
dw_flat_plane(float *restrict y, const float *const *src,
              const float *restrict w, const float *restrict mask,
              const int *shifted, int64_t n, float bias,
              const float *restrict res, float lo, float hi, const int K) {
  if (DW_FLAT_WIDE && n >= 16)
    DW_FLAT_BODY(v16, i16v, 16)
  else
    DW_FLAT_BODY(v8, i8, 8)
}

#define DW_FLAT_PLANE(K)                                                       \
  static void dw_flat_plane_##K(float *y, const float *const *src,            \
                                const float *w, const float *mask,            \
                                const int *shifted, int64_t n, float bias,    \
                                const float *res, float lo, float hi) {       \
    dw_flat_plane(y, src, w, mask, shifted, n, bias, res, lo, hi, K);         \
  }
DW_FLAT_PLANE(3)
DW_FLAT_PLANE(5)
DW_FLAT_PLANE(7)

/* The dw_flat_applies case of depthwise_forward. */
static void dw_flat_forward(float *out, const float *inp, const float *weight,
                            const conv_params *p, const epilogue *ep,
                            float *scratch, float lo, float hi) {
  const int K = p->k[1], s = p->stride[1], OW = p->out[2], mult = p->M / p->group;
  const int64_t isp = (int64_t)p->in[1] * p->in[2];
  const int64_t n = (int64_t)p->out[1] * OW, pf = dw_flat_plane_floats(p);
  const int64_t top = V8_SLACK + (int64_t)dw_flat_margin_rows(p) * OW;
  const size_t per_thread = dw_geometry(p).per_thread;
  void (*plane)(float *, const float *const *, const float *, const float *,
                const int *, int64_t, float, const float *, float, float) =
      K == 3 ? dw_flat_plane_3 : K == 5 ? dw_flat_plane_5 : dw_flat_plane_7;
  int shifted[DW_FLAT_MAX_K];
  for (int kw = 0; kw < K; ++kw)
    shifted[kw] = dw_flat_shift(kw - K / 2, s) != 0;
  int64_t work = (int64_t)p->N * p->M * n * K * K;
  (void)work; /* only read by the OpenMP clause */
#pragma omp parallel if (work > 65536)
  {
    const int tid = rt_thread_num();
    float *planes = scratch + (size_t)tid * per_thread, *mask = planes + s * s * pf;
    memset(planes, 0, (size_t)(s * s * pf) * sizeof *planes);
    dw_flat_masks(mask, K, s, OW, n);
    const float *src[DW_FLAT_MAX_K * DW_FLAT_MAX_K];
    for (int kh = 0; kh < K; ++kh)
      for (int kw = 0; kw < K; ++kw) {
        int ah = kh - K / 2, aw = kw - K / 2;
        src[kh * K + kw] =
            planes + (s * dw_flat_phase(ah, s) + dw_flat_phase(aw, s)) * pf + top +
            (int64_t)dw_flat_shift(ah, s) * OW + dw_flat_shift(aw, s);
      }
    int64_t packed = -1; /* n*C + c now in the planes: multiplier outputs reuse it */
#pragma omp for schedule(static)
    for (int64_t nm = 0; nm < (int64_t)p->N * p->M; ++nm) {
      int64_t nimg = p->N == 1 ? 0 : nm / p->M;
      int m = (int)(nm - nimg * p->M);
      int64_t nc = nimg * p->C + (mult == 1 ? m : m / mult);
      if (nc != packed) {
        dw_flat_pack(planes, inp + nc * isp, p);
        packed = nc;
      }
      plane(out + nm * n, src, weight + (int64_t)m * K * K, mask, shifted, n,
            ep && ep->bias ? ep->bias[m] : 0.0f,
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
  if (dw_flat_applies(p)) {
    dw_flat_forward(out, inp, weight, p, ep, scratch, lo, hi);
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
    const int tid = rt_thread_num();
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
