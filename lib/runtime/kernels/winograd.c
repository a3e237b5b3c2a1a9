/* winograd.c - 3x3 stride-1 convolutions as Winograd F(2x2, 3x3): 2.25x fewer
 * multiplications than im2col + SGEMM. Weights are transformed and packed
 * once per plan. The 4x4 input tiles are taken a chunk at a time: input
 * transform, 16 products (M,C) @ (C,chunk) with the packed
 * micro-kernel, output transform with the epilogue, all on one thread's
 * private scratch. Threads split the chunks (big maps) or the output channels
 * (small maps), so no thread reads what another one wrote until the output. */
#include <math.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "kernels.h"

#define WINO_MAX_W 8192
/* Bytes of one chunk's transformed input and products. Each chunk reads all
 * 16 transformed weight matrices once; measured on resnet18/50 (1 MB L2),
 * fewer weight passes beat keeping the chunk in L2: 512 KB 41.0 ms, 4 MB
 * 38.8 ms (resnet18, one thread). */
#define CHUNK_BYTES (4 * 1024 * 1024)
/* Threads split the tiles into groups of at least this many; the threads
 * left over split the output channels of a tile group (each of them
 * transforms that group's input itself). */
#define TILES_PER_THREAD 64
#define PANEL_ROWS 6 /* pointwise_pack's panel height */

int winograd_applies(const conv_params *p) {
  return p->group == 1 && p->k[0] == 1 && p->in[0] == 1 && p->k[1] == 3 &&
         p->k[2] == 3 && p->stride[1] == 1 && p->stride[2] == 1 &&
         p->dil[1] == 1 && p->dil[2] == 1 && p->C >= 16 && p->M >= 16 &&
         p->out[1] >= 4 && p->out[2] >= 4 && p->in[2] <= WINO_MAX_W;
}

static size_t chunk_bytes; /* 0: CHUNK_BYTES; set by tests */

void winograd_set_chunk_bytes(size_t bytes) { chunk_bytes = bytes; }

/* How one image's tiles are shared among threads and cut into chunks. */
typedef struct wino_geom {
  int TH, TW, T;      /* tile rows, tiles per row, tiles */
  int chunk;          /* most tiles per chunk: whole 16-column strips */
  int tile_groups, channel_groups; /* thread t: tile group t / channel_groups */
  size_t per_thread;  /* scratch floats of one thread */
} wino_geom;

static wino_geom wino_geometry(const conv_params *p, int threads) {
  wino_geom g;
  g.TH = (p->out[1] + 1) / 2, g.TW = (p->out[2] + 1) / 2, g.T = g.TH * g.TW;
  /* 2 threads: tiles on 56x56 and 28x28 maps, channels on 14x14 and 7x7 */
  int tg = g.T / TILES_PER_THREAD;
  tg = tg < 1 ? 1 : tg > threads ? threads : tg;
  g.channel_groups = (threads + tg - 1) / tg;
  g.tile_groups = threads / g.channel_groups;
  int mine = (g.T + g.tile_groups - 1) / g.tile_groups;
  size_t bytes = chunk_bytes ? chunk_bytes : CHUNK_BYTES;
  int chunk = (int)(bytes / (16 * sizeof(float) * (size_t)(p->C + p->M)));
  chunk = chunk < 16 ? 16 : chunk / 16 * 16;
  g.chunk = chunk < mine ? chunk : mine;
  g.per_thread = (size_t)16 * g.chunk * ((size_t)p->C + (size_t)p->M) +
                 4 * (size_t)(2 * g.TW + 2);
  return g;
}

size_t winograd_scratch_floats(const conv_params *p) {
  const int threads = rt_threads();
  const size_t split = wino_geometry(p, threads).per_thread * (size_t)threads;
  const size_t whole = wino_geometry(p, 1).per_thread * (size_t)threads; /* by image */
  return threads > 1 && p->N >= threads && whole > split ? whole : split;
}

/* B^T d B of the 4x4 tiles tw in [lo, hi) of one tile row whose columns are
 * all inside the input; rows[i] are the 4 input rows (or zeros), v[k] the
 * 16 outputs, tile tw at v[k][tw - shift]. Branch-free over tw: vectorises. */
static void input_tiles(float *const *v, const float *const *rows, int pw,
                        int lo, int hi, int shift) {
  const float *r0 = rows[0], *r1 = rows[1], *r2 = rows[2], *r3 = rows[3];
  float *v0 = v[0], *v1 = v[1], *v2 = v[2], *v3 = v[3], *v4 = v[4], *v5 = v[5],
        *v6 = v[6], *v7 = v[7], *v8 = v[8], *v9 = v[9], *v10 = v[10],
        *v11 = v[11], *v12 = v[12], *v13 = v[13], *v14 = v[14], *v15 = v[15];
  /* the 16 outputs and the inputs never overlap */
#pragma GCC ivdep
  for (int tw = lo; tw < hi; ++tw) {
    int b = 2 * tw - pw, o = tw - shift;
    float t[4][4];
    for (int j = 0; j < 4; ++j) {
      t[0][j] = r0[b + j] - r2[b + j];
      t[1][j] = r1[b + j] + r2[b + j];
      t[2][j] = r2[b + j] - r1[b + j];
      t[3][j] = r1[b + j] - r3[b + j];
    }
    v0[o] = t[0][0] - t[0][2];
    v1[o] = t[0][1] + t[0][2];
    v2[o] = t[0][2] - t[0][1];
    v3[o] = t[0][1] - t[0][3];
    v4[o] = t[1][0] - t[1][2];
    v5[o] = t[1][1] + t[1][2];
    v6[o] = t[1][2] - t[1][1];
    v7[o] = t[1][1] - t[1][3];
    v8[o] = t[2][0] - t[2][2];
    v9[o] = t[2][1] + t[2][2];
    v10[o] = t[2][2] - t[2][1];
    v11[o] = t[2][1] - t[2][3];
    v12[o] = t[3][0] - t[3][2];
    v13[o] = t[3][1] + t[3][2];
    v14[o] = t[3][2] - t[3][1];
    v15[o] = t[3][1] - t[3][3];
  }
}

/* Floats of the 4 zero-padded input rows of one tile row. */
static int padded_row_floats(const wino_geom *g) { return 2 * g->TW + 2; }

/* v (16, C, n) = B^T d B of tiles [t0, t0 + n) of image x (C, H, W). The 4
 * input rows of a tile row are first copied with their zero padding into
 * prow (4 padded_row_floats), so every tile is an inside one: on 16x16 maps
 * 44% of the tiles touch the padding, and gathering those one at a time
 * with bounds checks was most of the transform's time. */
static void input_chunk(float *v, float *prow, const float *x, const conv_params *p,
                        const wino_geom *g, int t0, int n) {
  const int C = p->C, H = p->in[1], W = p->in[2], ph = p->pad[1], pw = p->pad[2];
  const int PW = padded_row_floats(g);
  /* columns j of a padded row hold input column j - pw: [lead, lead + len) */
  const int lead = pw < PW ? pw : PW, len = W < PW - lead ? W : PW - lead;
  for (int c = 0; c < C; ++c) {
    const float *xc = x + (size_t)c * H * W;
    float *vk[16];
    for (int k = 0; k < 16; ++k)
      vk[k] = v + ((size_t)k * C + c) * n;
    for (int t = t0; t < t0 + n;) {
      int th = t / g->TW, a = t - th * g->TW;
      int b = g->TW < a + (t0 + n - t) ? g->TW : a + (t0 + n - t);
      int shift = t0 - th * g->TW; /* tile tw of this row is at tw - shift */
      const float *rows[4];
      for (int i = 0; i < 4; ++i) {
        int ih = th * 2 - ph + i;
        float *dst = prow + (size_t)i * PW;
        rows[i] = dst;
        if (ih < 0 || ih >= H || len <= 0) {
          memset(dst, 0, (size_t)PW * sizeof *dst);
          continue;
        }
        memset(dst, 0, (size_t)lead * sizeof *dst);
        memcpy(dst + lead, xc + (size_t)ih * W, (size_t)len * sizeof *dst);
        memset(dst + lead + len, 0, (size_t)(PW - lead - len) * sizeof *dst);
      }
      input_tiles(vk, rows, 0, a, b, shift);
      t += b - a;
    }
  }
}

/* NaN passes through, as in the other epilogues. */
static inline float clampf(float v, float lo, float hi) {
  return v < lo ? lo : v > hi ? hi : v;
}

/* A^T q A of the tiles [lo, hi) of one tile row into output rows y0, y1
 * (columns 2tw, 2tw+1, all inside), + bias + residual rows r0, r1 (or
 * NULL), clamped to [lo_v, hi_v]; tile tw's products at q[k][tw - shift]. */
static inline __attribute__((always_inline)) void
output_tiles_ep(float *restrict y0, float *restrict y1, const float *r0,
                const float *r1, const float *const *q, int lo, int hi,
                int shift, float bias, float lo_v, float hi_v, const int res) {
  const float *q0 = q[0], *q1 = q[1], *q2 = q[2], *q3 = q[3], *q4 = q[4],
              *q5 = q[5], *q6 = q[6], *q7 = q[7], *q8 = q[8], *q9 = q[9],
              *q10 = q[10], *q11 = q[11], *q12 = q[12], *q13 = q[13],
              *q14 = q[14], *q15 = q[15];
#pragma GCC ivdep
  for (int tw = lo; tw < hi; ++tw) {
    int o = tw - shift;
    float t0[4], t1[4];
    t0[0] = q0[o] + q4[o] + q8[o];
    t0[1] = q1[o] + q5[o] + q9[o];
    t0[2] = q2[o] + q6[o] + q10[o];
    t0[3] = q3[o] + q7[o] + q11[o];
    t1[0] = q4[o] - q8[o] - q12[o];
    t1[1] = q5[o] - q9[o] - q13[o];
    t1[2] = q6[o] - q10[o] - q14[o];
    t1[3] = q7[o] - q11[o] - q15[o];
    float a = t0[0] + t0[1] + t0[2] + bias, b = t0[1] - t0[2] - t0[3] + bias;
    float c = t1[0] + t1[1] + t1[2] + bias, d = t1[1] - t1[2] - t1[3] + bias;
    if (res) {
      a += r0[2 * tw], b += r0[2 * tw + 1];
      c += r1[2 * tw], d += r1[2 * tw + 1];
    }
    y0[2 * tw] = clampf(a, lo_v, hi_v);
    y0[2 * tw + 1] = clampf(b, lo_v, hi_v);
    y1[2 * tw] = clampf(c, lo_v, hi_v);
    y1[2 * tw + 1] = clampf(d, lo_v, hi_v);
  }
}

/* y (M, OH, OW) channels [m0, m1) of tiles [t0, t0 + n) from the products
 * mo (16, M, n), with the epilogue. */
static void output_chunk(float *y, const float *mo, const conv_params *p,
                         const wino_geom *g, int t0, int n, int m0, int m1,
                         const epilogue *ep) {
  const int M = p->M, OH = p->out[1], OW = p->out[2];
  float lo_v = -INFINITY, hi_v = INFINITY;
  if (ep && ep->act == RT_ACT_RELU)
    lo_v = 0;
  else if (ep && ep->act == RT_ACT_CLIP)
    lo_v = ep->a, hi_v = ep->b;
  for (int m = m0; m < m1; ++m) {
    float *ym = y + (size_t)m * OH * OW;
    const float *rm = ep && ep->residual ? ep->residual + (size_t)m * OH * OW : NULL;
    float bias = ep && ep->bias ? ep->bias[m] : 0.0f;
    const float *qk[16];
    for (int k = 0; k < 16; ++k)
      qk[k] = mo + ((size_t)k * M + m) * n;
    for (int t = t0; t < t0 + n;) {
      int th = t / g->TW, a = t - th * g->TW;
      int b = g->TW < a + (t0 + n - t) ? g->TW : a + (t0 + n - t);
      int shift = t0 - th * g->TW;
      int full = 2 * th + 1 < OH ? OW / 2 : 0; /* tiles with 2x2 outputs inside */
      int fb = full < b ? full : b;
      fb = fb < a ? a : fb;
      float *y0 = ym + (size_t)(2 * th) * OW, *y1 = y0 + OW;
      if (fb > a) {
        if (rm)
          output_tiles_ep(y0, y1, rm + (size_t)(2 * th) * OW,
                          rm + (size_t)(2 * th + 1) * OW, qk, a, fb, shift,
                          bias, lo_v, hi_v, 1);
        else
          output_tiles_ep(y0, y1, NULL, NULL, qk, a, fb, shift, bias, lo_v,
                          hi_v, 0);
      }
      for (int tw = fb; tw < b; ++tw) { /* the right or bottom edge */
        int o = tw - shift;
        float q[4][4];
        for (int k = 0; k < 16; ++k)
          q[k / 4][k % 4] = qk[k][o];
        float s[2][4]; /* A^T q */
        for (int j = 0; j < 4; ++j) {
          s[0][j] = q[0][j] + q[1][j] + q[2][j];
          s[1][j] = q[1][j] - q[2][j] - q[3][j];
        }
        for (int i = 0; i < 2; ++i) {
          int oh = th * 2 + i;
          if (oh >= OH)
            continue;
          float r[2] = {s[i][0] + s[i][1] + s[i][2], s[i][1] - s[i][2] - s[i][3]};
          for (int j = 0; j < 2; ++j) {
            int ow = tw * 2 + j;
            if (ow >= OW)
              continue;
            size_t at = (size_t)oh * OW + ow;
            float val = r[j] + bias + (rm ? rm[at] : 0.0f);
            ym[at] = clampf(val, lo_v, hi_v);
          }
        }
      }
      t += b - a;
    }
  }
}

size_t winograd_weights_floats(int M, int C) {
  return 16 * pointwise_packed_floats(M, C);
}

/* up is 16 pointwise_pack panels of (M, C): G g G^T of every 3x3 filter;
 * w is (M, C, 3, 3). u (M, C) is one product's weights before packing. */
void winograd_weights(float *up, float *u, const float *w, int M, int C) {
  const size_t packed = pointwise_packed_floats(M, C);
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) {
      for (int m = 0; m < M; ++m)
        for (int c = 0; c < C; ++c) {
          const float *f = w + ((size_t)m * C + c) * 9;
          float t[3]; /* row i of G g */
          for (int s = 0; s < 3; ++s) {
            float g0 = f[s], g1 = f[3 + s], g2 = f[6 + s];
            t[s] = i == 0   ? g0
                   : i == 1 ? 0.5f * (g0 + g1 + g2)
                   : i == 2 ? 0.5f * (g0 - g1 + g2)
                            : g2;
          }
          u[(size_t)m * C + c] = j == 0   ? t[0]
                                 : j == 1 ? 0.5f * (t[0] + t[1] + t[2])
                                 : j == 2 ? 0.5f * (t[0] - t[1] + t[2])
                                          : t[2];
        }
      pointwise_pack(up + (size_t)(i * 4 + j) * packed, u, M, C);
    }
}

static int threads_here(void) {
#ifdef _OPENMP
  return omp_get_num_threads();
#else
  return 1;
#endif
}

/* One image: y (M,OH,OW) from x (C,H,W), thread tid of nt splitting it as
 * g (made for g_threads) says, scratch the thread's own. */
static void winograd_image(float *y, const float *x, const float *up, const conv_params *p,
                           const wino_geom *g, int g_threads, const epilogue *e,
                           float *scratch, int tid, int nt) {
  const int C = p->C, M = p->M;
  const size_t packed = pointwise_packed_floats(M, C);
  const int panels = (M + PANEL_ROWS - 1) / PANEL_ROWS;
  float *v = scratch + (size_t)tid * g->per_thread; /* (16, C, chunk) */
  float *mo = v + (size_t)16 * C * g->chunk;        /* (16, M, chunk) */
  /* nt < g_threads when the runtime gave fewer: the split follows nt */
  const int cgs = nt == g_threads ? g->channel_groups : 1, tgs = nt / cgs;
  const int tgi = tid / cgs, cgi = tid % cgs;
  int t_lo = (int)((int64_t)g->T * tgi / tgs), t_hi = (int)((int64_t)g->T * (tgi + 1) / tgs);
  int p0 = panels * cgi / cgs, p1 = panels * (cgi + 1) / cgs;
  if (tgi >= tgs)
    t_hi = t_lo; /* a thread left over */
  const int m0 = p0 * PANEL_ROWS, m1 = p1 * PANEL_ROWS < M ? p1 * PANEL_ROWS : M;
  for (int t0 = t_lo; t0 < t_hi && p1 > p0; t0 += g->chunk) {
    int cnt = t_hi - t0 < g->chunk ? t_hi - t0 : g->chunk;
    input_chunk(v, mo + (size_t)16 * M * g->chunk, x, p, g, t0, cnt);
    for (int k = 0; k < 16; ++k)
      packed_gemm_panels(mo + (size_t)k * M * cnt, v + (size_t)k * C * cnt, up + k * packed,
                         M, C, cnt, p0, p1);
    output_chunk(y, mo, p, g, t0, cnt, m0, m1, e);
  }
}

size_t winograd_image_scratch_floats(const conv_params *p) {
  return wino_geometry(p, 1).per_thread;
}

void winograd_forward_image(float *out, const float *inp, const float *up,
                            const conv_params *p, const epilogue *ep, float *scratch) {
  const wino_geom g = wino_geometry(p, 1);
  winograd_image(out, inp, up, p, &g, 1, ep, scratch, 0, 1);
}

/* The epilogue of image n: its residual moved to that image. */
static epilogue image_epilogue(const epilogue *ep, const conv_params *p, int n) {
  epilogue e = {NULL, NULL, RT_ACT_NONE, 0, 0};
  if (ep) {
    e = *ep;
    if (e.residual)
      e.residual += (size_t)n * p->M * p->out[1] * p->out[2];
  }
  return e;
}

/* out is (N,M,OH,OW), inp is (N,C,H,W), up from winograd_weights. Threads
 * take whole images when there are at least as many (a training batch):
 * one parallel region, no input transformed twice; else they split each
 * image's tiles or channels. */
void winograd_forward(float *out, const float *inp, const float *up,
                      const conv_params *p, const epilogue *ep,
                      float *scratch) {
  const int C = p->C, M = p->M, H = p->in[1], W = p->in[2];
  const int OH = p->out[1], OW = p->out[2];
  const int threads = rt_threads();
  if (threads > 1 && p->N >= threads) {
    const wino_geom g1 = wino_geometry(p, 1);
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int n = 0; n < p->N; ++n) {
      const epilogue e = image_epilogue(ep, p, n);
      winograd_image(out + (size_t)n * M * OH * OW, inp + (size_t)n * C * H * W, up, p, &g1,
                     1, ep ? &e : NULL, scratch + (size_t)rt_thread_num() * g1.per_thread, 0,
                     1);
    }
    return;
  }
  const wino_geom g = wino_geometry(p, threads);
  const int parallel = threads > 1 && (double)M * C * g.T > 1e5;
  (void)parallel; /* read by the pragma only: unused without OpenMP */
  for (int n = 0; n < p->N; ++n) {
    const epilogue e = image_epilogue(ep, p, n);
    float *y = out + (size_t)n * M * OH * OW;
    const float *x = inp + (size_t)n * C * H * W;
#pragma omp parallel num_threads(threads) if (parallel)
    winograd_image(y, x, up, p, &g, threads, ep ? &e : NULL, scratch, rt_thread_num(),
                   threads_here());
  }
}
