/* direct3x3.c - direct 3x3 pad-1 convolution, stride 1 or 2, for small
 * maps (7x7 .. 28x28), where Winograd's tile transforms and its padding to
 * even tiles cost more than the 2.25x fewer multiplies save (Fashion's
 * 64-channel 7x7 conv: Winograd 0.057 ms, this 0.025 ms on Zen 5, one
 * thread), and stride 2 where im2col's copy costs as much as the product.
 *
 * The input is copied once into a zero-padded (C, H+2, W+2) image; at
 * stride 2 split into its 4 phases (even/odd rows x even/odd columns), each
 * (ceil((H+2)/2), PW = ceil((W+2)/2)). Output (oh, ow) reads tap (kh, kw)
 * at q + off[tap] with q = oh PW + ow (stride 1: PW = W+2, off = kh PW +
 * kw; stride 2: in phase (kh%2, kw%2) at (kh/2) PW + kw/2), so computing
 * every q of the grid (OH, PW) (the extra columns are discarded) makes each
 * tap one contiguous vector load: no im2col and no transforms. Registers
 * hold 6 output channels x 64 positions (or 8 x 48); weights are packed
 * (M/MB, C, 9, MB) so the MB of one tap are adjacent. sp-run's conv and
 * sp-translate --emit-c both choose it by direct3x3_preferred. */
#include <string.h>

#include "kernels.h"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#define QV 16 /* positions per vector */
/* Output channels x vectors per register block, 24 accumulators: 8 x 3
 * when 8 divides M and 6-row blocks would waste more than 5% on zero rows
 * (8, 16, 32 channels), else 6 x 4 (as fast per multiply: Zen 5, one
 * thread, 170 GFLOP/s both at 16-32 channels; 6 x 4 is 8% faster at 512). */
#define MB_MAX 8
#define QB_MAX 4
static int block_rows(int M) {
  return M % 8 == 0 && (6 - M % 6) % 6 * 20 > M ? 8 : 6;
}

/* phase plane geometry: rows, row length (PW), and planes per channel */
typedef struct {
  int s, rows, pw, phases;
  size_t plane, chan; /* floats of one phase plane, of one channel's planes */
} d3_geom;

static d3_geom geometry(const conv_params *p) {
  d3_geom g;
  g.s = p->stride[1];
  g.rows = (p->in[1] + 2 + g.s - 1) / g.s;
  g.pw = (p->in[2] + 2 + g.s - 1) / g.s;
  g.phases = g.s * g.s;
  g.plane = (size_t)g.rows * g.pw;
  g.chan = g.plane * g.phases;
  return g;
}

int direct3x3_applies(const conv_params *p) {
  const int s = p->stride[1];
  return p->group == 1 && p->in[0] == 1 && p->k[0] == 1 && p->k[1] == 3 && p->k[2] == 3 &&
         (s == 1 || s == 2) && p->stride[2] == s && p->dil[1] == 1 && p->dil[2] == 1 &&
         p->pad[1] == 1 && p->pad[2] == 1 && p->out[1] == (p->in[1] - 1) / s + 1 &&
         p->out[2] == (p->in[2] - 1) / s + 1 &&
         p->out[1] * ((p->in[2] + 2 + s - 1) / s) <= 1024;
}

/* Direct 3x3 over Winograd where Winograd's tile transforms (a cost per
 * channel) outweigh its 2.25x fewer multiplies (a saving per channel
 * pair), and over im2col + packed at stride 2 (im2col's copy): outputs of
 * at most 8x8 (F(2x2) tiles pad 7x7 to 8x8) with at most 256 x 256
 * channels, stride 2 to at most 14x14, at most 32 channels in and out on
 * larger maps. Zen 5, one thread, sp-run --profile=nodes min CPU ms,
 * Winograd or packed -> direct (docs/benchmarks.md): alone, stride 1 7x7
 * 64ch 0.063 -> 0.026, 128ch 0.15 -> 0.091, 256ch 0.41 -> 0.34; 14x14 64ch
 * 0.078 -> 0.081, 128ch 0.23 -> 0.31; 28x28 32ch 0.108 -> 0.076; stride 2
 * 128ch 56 -> 28 1.27 -> 1.70. In models: densenet121 128->32ch 7x7 0.102
 * -> 0.030; stride 2 to 14x14 resnet50 256ch 1.50 -> 1.34, resnet18
 * 128->256ch 0.80 -> 0.72; but to 7x7 (weights streamed from memory)
 * resnet18 256->512ch 0.76 -> 0.92, resnet50 512ch 1.75 both, and resnet50
 * 512ch 7x7 stride 1 1.23 -> 1.70. AVX-512 only: the other sets have no
 * vector kernel for it. */
int direct3x3_preferred(const conv_params *p) {
#if defined(__AVX512F__)
  const int64_t out = (int64_t)p->out[1] * p->out[2];
  if (!direct3x3_applies(p) || p->C < 8)
    return 0;
  if (out <= 64)
    return (int64_t)p->C * p->M <= 256 * 256;
  return p->stride[1] == 2 ? out <= 196 : p->C <= 32 && p->M <= 32;
#else
  (void)p;
  return 0;
#endif
}

size_t direct3x3_weights_floats(int M, int C) {
  const int MB = block_rows(M);
  return (size_t)(M + MB - 1) / MB * MB * (size_t)C * 9;
}

/* wd (ceil(M/MB), C, 9, MB) from w (M, C, 3, 3), MB = block_rows(M); rows
 * past M are zero. */
void direct3x3_weights(float *wd, const float *w, int M, int C) {
  const int MB = block_rows(M), blocks = (M + MB - 1) / MB;
  for (int b = 0; b < blocks; ++b)
    for (int c = 0; c < C; ++c)
      for (int t = 0; t < 9; ++t)
        for (int r = 0; r < MB; ++r) {
          int m = b * MB + r;
          wd[(((size_t)b * C + c) * 9 + t) * MB + r] =
              m < M ? w[((size_t)m * C + c) * 9 + t] : 0.0f;
        }
}

static int grid_vectors(const conv_params *p, const d3_geom *g) {
  return (p->out[1] * g->pw + QV - 1) / QV;
}

/* padded image: C x phases planes, then a tail the last vectors of the
 * last plane read past; then per thread (6, grid) results */
size_t direct3x3_scratch_floats(const conv_params *p) {
  const d3_geom g = geometry(p);
  return (size_t)p->C * g.chan + 2 * QV +
         (size_t)rt_threads() * MB_MAX * grid_vectors(p, &g) * QV;
}

/* acc (MB, nv*16) = sum over c, taps of wd (c, tap, MB) x img (c, q0 + tap offset) */
static inline __attribute__((always_inline)) void
block_product(float *acc, const float *img, const float *wd, int C, size_t plane,
              const int *off, int q0, const int nv, int stride, const int MB) {
#if defined(__AVX512F__)
  __m512 a[MB_MAX][QB_MAX];
  for (int r = 0; r < MB; ++r)
    for (int v = 0; v < nv; ++v)
      a[r][v] = _mm512_setzero_ps();
  for (int c = 0; c < C; ++c) {
    const float *x = img + (size_t)c * plane + q0;
    for (int t = 0; t < 9; ++t, wd += MB) {
      const float *xt = x + off[t];
      __m512 xv[QB_MAX];
      for (int v = 0; v < nv; ++v)
        xv[v] = _mm512_loadu_ps(xt + v * QV);
      for (int r = 0; r < MB; ++r) {
        __m512 w = _mm512_set1_ps(wd[r]);
        for (int v = 0; v < nv; ++v)
          a[r][v] = _mm512_fmadd_ps(w, xv[v], a[r][v]);
      }
    }
  }
  for (int r = 0; r < MB; ++r)
    for (int v = 0; v < nv; ++v)
      _mm512_storeu_ps(acc + (size_t)r * stride + q0 + v * QV, a[r][v]);
#else
  float a[MB_MAX][QB_MAX * QV];
  memset(a, 0, sizeof a);
  for (int c = 0; c < C; ++c) {
    const float *x = img + (size_t)c * plane + q0;
    for (int t = 0; t < 9; ++t, wd += MB) {
      const float *xt = x + off[t];
      for (int r = 0; r < MB; ++r)
        for (int l = 0; l < nv * QV; ++l)
          a[r][l] += wd[r] * xt[l];
    }
  }
  for (int r = 0; r < MB; ++r)
    memcpy(acc + (size_t)r * stride + q0, a[r], sizeof(float) * nv * QV);
#endif
}

/* acc (MB, grid) of one block of MB output channels: MB x QB register blocks
 * along the grid, then the 1-3 vectors left */
static inline __attribute__((always_inline)) void
block_grid(float *acc, const float *img, const float *wb, int C, size_t plane, const int *off,
           int grid, const int MB, const int QB) {
  int q0 = 0;
  for (; q0 + QB * QV <= grid; q0 += QB * QV)
    block_product(acc, img, wb, C, plane, off, q0, QB, grid, MB);
  switch ((grid - q0) / QV) {
  case 3: block_product(acc, img, wb, C, plane, off, q0, 3, grid, MB); break;
  case 2: block_product(acc, img, wb, C, plane, off, q0, 2, grid, MB); break;
  case 1: block_product(acc, img, wb, C, plane, off, q0, 1, grid, MB); break;
  default: break;
  }
}

/* out is (N,M,OH,OW), inp is (N,C,H,W), wd from direct3x3_weights; scratch
 * holds direct3x3_scratch_floats(p) floats. */
void direct3x3_forward(float *out, const float *inp, const float *wd, const conv_params *p,
                       const epilogue *ep, float *scratch) {
  const int C = p->C, M = p->M, H = p->in[1], W = p->in[2];
  const int OH = p->out[1], OW = p->out[2];
  const d3_geom g = geometry(p);
  const int pw = g.pw, s = g.s;
  const size_t plane = g.chan;
  const int MB = block_rows(M);
  const int nvec = grid_vectors(p, &g), grid = nvec * QV, blocks = (M + MB - 1) / MB;
  const int threads = rt_threads();
  float *img = scratch, *results = scratch + (size_t)C * plane + 2 * QV;
  const int parallel = threads > 1 && (double)M * C * OH * OW > 2e5;
  int off[9];
  for (int t = 0; t < 9; ++t) {
    int kh = t / 3, kw = t % 3;
    off[t] = (int)(((kh % s) * s + kw % s) * g.plane) + kh / s * pw + kw / s;
  }
  (void)parallel; /* read by the pragma only: unused without OpenMP */
  for (int n = 0; n < p->N; ++n) {
    const float *x = inp + (size_t)n * C * H * W;
    float *y = out + (size_t)n * M * OH * OW;
    const float *res = ep && ep->residual ? ep->residual + (size_t)n * M * OH * OW : NULL;
    /* stride 1: only the border is zeroed (the rest is overwritten every run) */
    if (s == 1)
      memset(img + (size_t)C * plane, 0, sizeof(float) * 2 * QV);
    else
      memset(img, 0, sizeof(float) * ((size_t)C * plane + 2 * QV));
    for (int c = 0; c < C; ++c) {
      float *pc = img + (size_t)c * plane;
      if (s == 1) {
        memset(pc, 0, sizeof(float) * pw);
        memset(pc + (size_t)(H + 1) * pw, 0, sizeof(float) * pw);
      }
      for (int h = 0; h < H; ++h) {
        const float *xr = x + ((size_t)c * H + h) * W;
        if (s == 1) {
          float *row = pc + (size_t)(h + 1) * pw;
          row[0] = row[W + 1] = 0.0f;
          memcpy(row + 1, xr, sizeof(float) * W);
          continue;
        }
        /* padded row h+1, column w+1 is in phase ((h+1)%2, (w+1)%2) at
         * ((h+1)/2, (w+1)/2): even w to the odd-column phase at w/2, odd w
         * to the even-column phase at (w+1)/2 (two unit-stride loops the
         * compiler vectorises) */
        float *even = pc + (size_t)((h + 1) % 2 * 2) * g.plane + (size_t)((h + 1) / 2) * pw;
        float *odd = even + g.plane;
        for (int j = 0; j < (W + 1) / 2; ++j)
          odd[j] = xr[2 * j];
        for (int j = 0; j < W / 2; ++j)
          even[j + 1] = xr[2 * j + 1];
      }
    }
#pragma omp parallel for schedule(static) num_threads(threads) if (parallel)
    for (int b = 0; b < blocks; ++b) {
      float *acc = results + (size_t)rt_thread_num() * MB_MAX * grid;
      const float *wb = wd + (size_t)b * C * 9 * MB;
      if (MB == 8)
        block_grid(acc, img, wb, C, plane, off, grid, 8, 3);
      else
        block_grid(acc, img, wb, C, plane, off, grid, 6, 4);
      /* the grid's valid columns, + bias + residual, activation */
      for (int r = 0; r < MB && b * MB + r < M; ++r) {
        const int m = b * MB + r;
        const float bias = ep && ep->bias ? ep->bias[m] : 0.0f;
        const rt_act act = ep ? ep->act : RT_ACT_NONE;
        const float lo = act == RT_ACT_CLIP ? ep->a : 0.0f;
        const float hi = act == RT_ACT_CLIP ? ep->b : 0.0f;
        for (int h = 0; h < OH; ++h) {
          const float *src = acc + (size_t)r * grid + (size_t)h * pw;
          float *dst = y + ((size_t)m * OH + h) * OW;
          const float *rr = res ? res + ((size_t)m * OH + h) * OW : NULL;
          for (int w = 0; w < OW; ++w) {
            float v = src[w] + bias + (rr ? rr[w] : 0.0f);
            if (act == RT_ACT_RELU)
              v = v > 0.0f ? v : 0.0f;
            else if (act == RT_ACT_CLIP)
              v = v < lo ? lo : v > hi ? hi : v;
            dst[w] = v;
          }
        }
      }
    }
  }
}
