/* sp-report: the HTML page. One file, inline CSS and SVG, no scripts and
 * nothing fetched: it opens the same from a mail attachment as from disk.
 * The channel chart draws one <rect class="bar-after"> per prunable layer
 * (the test counts them); the sensitivity plot follows sp-sensitivity's SVG
 * (ratio on x, the metric on y, one <path> per group). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "sp/output.h"
#include "tool_common.h"

static const char *const palette[] = {"#2b6cb0", "#dd6b20", "#2f855a", "#c53030", "#6b46c1",
                                      "#975a16", "#b83280", "#4a5568", "#9c9c1a", "#0987a0"};
#define PALETTE_SIZE (sizeof palette / sizeof *palette)

/* s with HTML's special characters escaped. */
static void html_text(FILE *f, const char *s) {
  for (; *s; ++s) {
    switch (*s) {
    case '<': fputs("&lt;", f); break;
    case '>': fputs("&gt;", f); break;
    case '&': fputs("&amp;", f); break;
    case '"': fputs("&quot;", f); break;
    default:
      if ((unsigned char)*s >= 0x20)
        fputc(*s, f);
    }
  }
}

/* A long layer name keeps its end, which tells layers apart. */
static void short_name(FILE *f, const char *s, size_t max) {
  size_t n = strlen(s);
  if (n > max) {
    fputs("&#8230;", f);
    s += n - (max - 1);
  }
  html_text(f, s);
}

static void count_text(char *buf, size_t n, double v) {
  if (fabs(v) >= 1e9)
    snprintf(buf, n, "%.2fG", v / 1e9);
  else if (fabs(v) >= 1e6)
    snprintf(buf, n, "%.2fM", v / 1e6);
  else if (fabs(v) >= 1e3)
    snprintf(buf, n, "%.1fK", v / 1e3);
  else
    snprintf(buf, n, "%.0f", v);
}

static const report_layer *find_layer(const report_model *m, const char *name) {
  for (size_t i = 0; i < m->num_layers; ++i)
    if (!strcmp(m->layers[i].name, name))
      return &m->layers[i];
  return NULL;
}

/* One summary card: before -> after and the change, green when it shrank
 * (lower_is_better) or grew. */
static void card(FILE *f, const char *title, const char *before, const char *after,
                 double b, double a, int lower_is_better, const char *unit) {
  fprintf(f, "<div class=\"card\"><div class=\"k\">%s</div><div class=\"v\">%s"
             "<span class=\"arrow\"> &#8594; </span><b>%s</b></div>",
          title, before, after);
  if (b > 0 && a >= 0) {
    double change = (a - b) / b * 100;
    int good = lower_is_better ? a <= b : a >= b;
    if (lower_is_better && a > 0)
      fprintf(f, "<div class=\"d %s\">%+.1f%% &#183; %.2f&#215; %s</div>", good ? "good" : "bad",
              change, b / a, unit);
    else
      fprintf(f, "<div class=\"d %s\">%+.2f %s</div>", good ? "good" : "bad", (a - b) * 100,
              unit);
  }
  fputs("</div>\n", f);
}

static void summary_cards(FILE *f, const report_model *b, const report_model *a) {
  char x[32], y[32];
  fputs("<section class=\"cards\">\n", f);
  count_text(x, sizeof x, (double)b->params);
  count_text(y, sizeof y, (double)a->params);
  card(f, "Parameters", x, y, (double)b->params, (double)a->params, 1, "smaller");
  count_text(x, sizeof x, (double)b->macs);
  count_text(y, sizeof y, (double)a->macs);
  card(f, "MACs per sample", x, y, (double)b->macs, (double)a->macs, 1, "fewer");
  if (b->latency_ms >= 0 && a->latency_ms >= 0) {
    snprintf(x, sizeof x, "%.2f ms", b->latency_ms);
    snprintf(y, sizeof y, "%.2f ms", a->latency_ms);
    card(f, "Latency (batch 1, median)", x, y, b->latency_ms, a->latency_ms, 1, "faster");
  }
  if (b->samples && a->samples) {
    double pb = (double)b->correct / (double)b->samples,
           pa = (double)a->correct / (double)a->samples;
    snprintf(x, sizeof x, "%.2f%%", pb * 100);
    snprintf(y, sizeof y, "%.2f%%", pa * 100);
    card(f, "Top-1 accuracy", x, y, pb, pa, 0, "points");
  }
  fputs("</section>\n", f);
}

/* Horizontal bars, one row per prunable layer of the model before pruning:
 * grey the width before, coloured (by group) the width after. */
static void width_chart(FILE *f, const report_model *b, const report_model *a) {
  const double label_w = 250, bar_w = 560, text_w = 110, row = 20, top = 28;
  size_t rows = 0;
  int64_t widest = 1;
  for (size_t i = 0; i < b->num_layers; ++i)
    if (b->layers[i].group >= 0) {
      rows++;
      widest = b->layers[i].width > widest ? b->layers[i].width : widest;
    }
  fprintf(f, "<section><h2>Output channels per layer</h2>\n<p class=\"note\">%zu layers whose "
             "output channels belong to a prunable group, in graph order. "
             "<span class=\"key before\"></span> before &#160; "
             "<span class=\"key after\"></span> after (coloured by dependency group: "
             "layers of one colour are pruned together).</p>\n",
          rows);
  if (!rows) {
    fputs("<p>No layer has prunable output channels.</p></section>\n", f);
    return;
  }
  const double W = label_w + bar_w + text_w, H = top + row * (double)rows + 8;
  fprintf(f, "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
             "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\">\n",
          W, H, W, H);
  for (int k = 0; k <= 4; ++k) { // grid at quarters of the widest layer
    double x = label_w + bar_w * k / 4.0;
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e2e8f0\"/>"
               "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\" text-anchor=\"middle\">%lld</text>\n",
            x, top - 6, x, H - 4, x, top - 10, (long long)(widest * k / 4));
  }
  size_t r = 0;
  for (size_t i = 0; i < b->num_layers; ++i) {
    const report_layer *l = &b->layers[i];
    if (l->group < 0)
      continue;
    const report_layer *after = find_layer(a, l->name);
    int64_t kept = after ? after->width : 0;
    double y = top + row * (double)r;
    if (r % 2)
      fprintf(f, "<rect x=\"0\" y=\"%.1f\" width=\"%.0f\" height=\"%.0f\" fill=\"#f7fafc\"/>\n",
              y, W, row);
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"name\" text-anchor=\"end\"><title>", label_w - 8,
            y + 14);
    html_text(f, l->name);
    fputs("</title>", f);
    short_name(f, l->name, 34);
    fprintf(f, "</text>\n<rect class=\"bar-before\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
               "height=\"14\" rx=\"2\" fill=\"#cbd5e0\"/>"
               "<rect class=\"bar-after\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"14\" "
               "rx=\"2\" fill=\"%s\"/>\n",
            label_w, y + 3, bar_w * (double)l->width / (double)widest, label_w, y + 3,
            bar_w * (double)kept / (double)widest, palette[(size_t)l->group % PALETTE_SIZE]);
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"val\">%lld &#8594; ", label_w + bar_w + 8,
            y + 14, (long long)l->width);
    if (after)
      fprintf(f, "%lld</text>\n", (long long)kept);
    else
      fputs("removed</text>\n", f);
    r++;
  }
  fputs("</svg></section>\n", f);
}

/* Units of group id left after pruning, from its first layer (-1 unknown). */
static int64_t units_after(const report_model *b, const report_model *a, int id, int *layers) {
  int64_t units = -1;
  *layers = 0;
  for (size_t i = 0; i < b->num_layers; ++i) {
    const report_layer *l = &b->layers[i];
    if (l->group != id)
      continue;
    (*layers)++;
    if (units < 0 && l->block > 0) {
      const report_layer *after = find_layer(a, l->name);
      units = after ? after->width / l->block : 0;
    }
  }
  return units;
}

static void group_table(FILE *f, const report_model *b, const report_model *a) {
  fprintf(f, "<section><h2>Dependency groups</h2>\n<p class=\"note\">A group is a set of "
             "channels that must be removed together (a conv's filters, the BatchNorm after "
             "it, the next conv's inputs, and everything a residual sum ties to them). "
             "%zu groups may be pruned",
          b->num_groups);
  if (b->num_pinned) {
    fprintf(f, "; %zu may not: ", b->num_pinned);
    html_text(f, b->pinned_reasons);
  }
  fputs(".</p>\n<table><tr><th>group</th><th>units kept</th><th class=\"wide\"></th>"
        "<th>pruned</th><th>layers (output channels)</th><th>tensors sliced</th></tr>\n", f);
  for (size_t g = 0; g < b->num_groups; ++g) {
    const report_group *gr = &b->groups[g];
    int layers;
    int64_t kept = units_after(b, a, gr->id, &layers);
    fprintf(f, "<tr><td><span class=\"dot\" style=\"background:%s\"></span>%d%s</td>",
            palette[(size_t)gr->id % PALETTE_SIZE], gr->id, gr->head ? " (heads)" : "");
    if (kept < 0) {
      fprintf(f, "<td>%lld &#8594; ?</td><td></td><td></td>", (long long)gr->units);
    } else {
      double share = (double)kept / (double)gr->units;
      fprintf(f, "<td>%lld &#8594; %lld</td><td><div class=\"meter\"><div style=\"width:%.1f%%;"
                 "background:%s\"></div></div></td><td>%.0f%%</td>",
              (long long)gr->units, (long long)kept, share * 100,
              palette[(size_t)gr->id % PALETTE_SIZE], (1 - share) * 100);
    }
    fputs("<td class=\"layers\">", f);
    int shown = 0;
    for (size_t i = 0; i < b->num_layers; ++i)
      if (b->layers[i].group == gr->id && shown++ < 3) {
        fputs(shown > 1 ? ", " : "", f);
        short_name(f, b->layers[i].name, 30);
      }
    if (layers > 3)
      fprintf(f, " +%d more", layers - 3);
    fprintf(f, "</td><td>%zu</td></tr>\n", gr->num_members);
  }
  fputs("</table></section>\n", f);
}

/* ---- optional JSON inputs ---- */

static cJSON *read_json(const char *path, sp_error *err) {
  size_t size = 0;
  char *text = tool_read_file(path, &size, err);
  if (!text)
    return NULL;
  cJSON *root = cJSON_ParseWithLength(text, size);
  free(text);
  if (!root)
    sp_error_set(err, "%s: not valid JSON", path);
  return root;
}

static int number_array(const cJSON *a, size_t n) {
  if (!cJSON_IsArray(a) || (size_t)cJSON_GetArraySize(a) != n)
    return 0;
  const cJSON *x;
  cJSON_ArrayForEach(x, a) if (!cJSON_IsNumber(x)) return 0;
  return 1;
}

/* sp-sensitivity's json=: {metric, baseline, ratios[], groups[{id, name,
 * units, metric[]}]}. 0, or -1 naming the file and the field. */
static int check_sensitivity(const cJSON *s, const char *path, sp_error *err) {
  const cJSON *ratios = cJSON_GetObjectItem(s, "ratios"), *groups = cJSON_GetObjectItem(s, "groups");
  if (!cJSON_IsNumber(cJSON_GetObjectItem(s, "baseline")) || !cJSON_IsArray(ratios) ||
      !cJSON_GetArraySize(ratios) || !number_array(ratios, (size_t)cJSON_GetArraySize(ratios)) ||
      !cJSON_IsArray(groups))
    return sp_error_set(err, "%s: not an sp-sensitivity table (needs baseline, ratios[] and "
                             "groups[])", path);
  const cJSON *g;
  int i = 0;
  cJSON_ArrayForEach(g, groups) {
    if (!cJSON_IsNumber(cJSON_GetObjectItem(g, "id")) ||
        !number_array(cJSON_GetObjectItem(g, "metric"), (size_t)cJSON_GetArraySize(ratios)))
      return sp_error_set(err, "%s: groups[%d] needs an id and one metric per ratio", path, i);
    i++;
  }
  return 0;
}

/* Plot frame: title, grid, axes and labels; maps data to pixels. */
typedef struct plot {
  double W, H, left, right, top, bottom, x0, x1, y0, y1;
} plot;

static double px(const plot *p, double x) {
  return p->left + (p->W - p->left - p->right) * (x - p->x0) / (p->x1 - p->x0);
}
static double py(const plot *p, double y) {
  return p->H - p->bottom - (p->H - p->top - p->bottom) * (y - p->y0) / (p->y1 - p->y0);
}

static void plot_frame(FILE *f, const plot *p, const char *xlabel, const char *ylabel,
                       double x_scale) {
  fprintf(f, "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
             "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\">\n",
          p->W, p->H, p->W, p->H);
  for (int k = 0; k <= 5; ++k) {
    double x = p->x0 + (p->x1 - p->x0) * k / 5.0, y = p->y0 + (p->y1 - p->y0) * k / 5.0;
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e2e8f0\"/>"
               "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\" text-anchor=\"middle\">%.3g</text>\n",
            px(p, x), p->top, px(p, x), p->H - p->bottom, px(p, x), p->H - p->bottom + 14,
            x / x_scale);
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e2e8f0\"/>"
               "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\" text-anchor=\"end\">%.3g</text>\n",
            p->left, py(p, y), p->W - p->right, py(p, y), p->left - 4, py(p, y) + 4, y);
  }
  fprintf(f, "<path d=\"M%.1f %.1fV%.1fH%.1f\" fill=\"none\" stroke=\"#4a5568\"/>\n", p->left,
          p->top, p->H - p->bottom, p->W - p->right);
  fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"axis\" text-anchor=\"middle\">%s</text>"
             "<text x=\"14\" y=\"%.1f\" class=\"axis\" text-anchor=\"middle\" "
             "transform=\"rotate(-90 14 %.1f)\">%s</text>\n",
          (p->left + p->W - p->right) / 2, p->H - 8, xlabel, (p->top + p->H - p->bottom) / 2,
          (p->top + p->H - p->bottom) / 2, ylabel);
}

static void sensitivity_plot(FILE *f, const cJSON *s, const char *path) {
  const cJSON *ratios = cJSON_GetObjectItem(s, "ratios"), *groups = cJSON_GetObjectItem(s, "groups");
  const cJSON *metric_name = cJSON_GetObjectItem(s, "metric");
  int kl = cJSON_IsString(metric_name) && !strcmp(metric_name->valuestring, "kl");
  double baseline = cJSON_GetObjectItem(s, "baseline")->valuedouble, lo = baseline, hi = baseline;
  const cJSON *g, *v;
  cJSON_ArrayForEach(g, groups) cJSON_ArrayForEach(v, cJSON_GetObjectItem(g, "metric")) {
    lo = fmin(lo, v->valuedouble);
    hi = fmax(hi, v->valuedouble);
  }
  if (hi - lo < 1e-9)
    lo -= 0.5, hi += 0.5;
  plot p = {860, 400, 60, 250, 20, 44, 0, 1, lo, hi};
  fputs("<section><h2>Sensitivity of each group</h2>\n<p class=\"note\">Each prunable group "
        "pruned alone at each ratio, the rest of the model untouched (from <code>", f);
  html_text(f, path);
  fprintf(f, "</code>). Flat curves are groups that can lose more.</p>\n");
  plot_frame(f, &p, "pruning ratio of the group", kl ? "KL divergence (nats)" : "top-1", 1);
  int c = 0, n = cJSON_GetArraySize(ratios);
  cJSON_ArrayForEach(g, groups) {
    const char *color = palette[(size_t)cJSON_GetObjectItem(g, "id")->valueint % PALETTE_SIZE];
    fprintf(f, "<path class=\"curve\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.6\"%s d=\"M%.1f %.1f",
            color, c >= (int)PALETTE_SIZE ? " stroke-dasharray=\"5 3\"" : "", px(&p, 0),
            py(&p, baseline));
    for (int r = 0; r < n; ++r)
      fprintf(f, " L%.1f %.1f", px(&p, cJSON_GetArrayItem(ratios, r)->valuedouble),
              py(&p, cJSON_GetArrayItem(cJSON_GetObjectItem(g, "metric"), r)->valuedouble));
    double ly = p.top + 8 + 15.0 * c;
    if (ly < p.H - p.bottom) { // legend rows that fit
      const cJSON *name = cJSON_GetObjectItem(g, "name");
      fprintf(f, "\"/>\n<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                 "stroke-width=\"2\"/><text x=\"%.1f\" y=\"%.1f\" class=\"tick\">group %d: ",
              p.W - p.right + 10, ly, p.W - p.right + 28, ly, color, p.W - p.right + 32, ly + 4,
              cJSON_GetObjectItem(g, "id")->valueint);
      if (cJSON_IsString(name))
        short_name(f, name->valuestring, 26);
      fputs("</text>\n", f);
    } else {
      fputs("\"/>\n", f);
    }
    c++;
  }
  fputs("</svg></section>\n", f);
}

/* --curve: {"points": [{"macs": M, "accuracy": A, "label": "..."}...]},
 * accuracy in [0, 1]. */
static int check_curve(const cJSON *c, const char *path, sp_error *err) {
  const cJSON *points = cJSON_GetObjectItem(c, "points"), *pt;
  if (!cJSON_IsArray(points) || !cJSON_GetArraySize(points))
    return sp_error_set(err, "%s: needs \"points\": [{\"macs\": M, \"accuracy\": A}, ...]", path);
  int i = 0;
  cJSON_ArrayForEach(pt, points) {
    const cJSON *m = cJSON_GetObjectItem(pt, "macs"), *a = cJSON_GetObjectItem(pt, "accuracy");
    if (!cJSON_IsNumber(m) || m->valuedouble < 0 || !cJSON_IsNumber(a) || a->valuedouble < 0 ||
        a->valuedouble > 1)
      return sp_error_set(err, "%s: points[%d] needs macs >= 0 and accuracy in [0, 1]", path, i);
    i++;
  }
  return 0;
}

static void curve_plot(FILE *f, const cJSON *c, const char *path, const report_model *b,
                       const report_model *a) {
  const cJSON *points = cJSON_GetObjectItem(c, "points"), *pt;
  double x1 = (double)b->macs, lo = 1, hi = 0;
  cJSON_ArrayForEach(pt, points) {
    x1 = fmax(x1, cJSON_GetObjectItem(pt, "macs")->valuedouble);
    lo = fmin(lo, cJSON_GetObjectItem(pt, "accuracy")->valuedouble);
    hi = fmax(hi, cJSON_GetObjectItem(pt, "accuracy")->valuedouble);
  }
  const report_model *ms[2] = {b, a};
  for (int k = 0; k < 2; ++k)
    if (ms[k]->samples) {
      double acc = (double)ms[k]->correct / (double)ms[k]->samples;
      lo = fmin(lo, acc), hi = fmax(hi, acc);
    }
  lo = fmax(0, lo - 0.02), hi = fmin(1, hi + 0.02);
  if (hi - lo < 1e-6)
    lo = fmax(0, lo - 0.05), hi = fmin(1, hi + 0.05);
  plot p = {860, 360, 60, 250, 20, 44, 0, x1 * 1.05 > 0 ? x1 * 1.05 : 1, lo, hi};
  fputs("<section><h2>Accuracy against MACs</h2>\n<p class=\"note\">Points from <code>", f);
  html_text(f, path);
  fputs("</code>; the two models of this report ringed.</p>\n", f);
  plot_frame(f, &p, "MACs per sample (millions)", "top-1", 1e6);
  fputs("<path class=\"curve\" fill=\"none\" stroke=\"#2b6cb0\" stroke-width=\"1.6\" d=\"", f);
  int first = 1;
  cJSON_ArrayForEach(pt, points) {
    fprintf(f, "%s%.1f %.1f", first ? "M" : " L", px(&p, cJSON_GetObjectItem(pt, "macs")->valuedouble),
            py(&p, cJSON_GetObjectItem(pt, "accuracy")->valuedouble));
    first = 0;
  }
  fputs("\"/>\n", f);
  cJSON_ArrayForEach(pt, points) {
    const cJSON *label = cJSON_GetObjectItem(pt, "label");
    double x = px(&p, cJSON_GetObjectItem(pt, "macs")->valuedouble),
           y = py(&p, cJSON_GetObjectItem(pt, "accuracy")->valuedouble);
    fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"#2b6cb0\"/>", x, y);
    if (cJSON_IsString(label)) {
      fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\">", x + 6, y - 6);
      short_name(f, label->valuestring, 24);
      fputs("</text>", f);
    }
    fputc('\n', f);
  }
  for (int k = 0; k < 2; ++k)
    if (ms[k]->samples)
      fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"7\" fill=\"none\" stroke=\"%s\" "
                 "stroke-width=\"2\"/><text x=\"%.1f\" y=\"%.1f\" class=\"tick\">%s</text>\n",
              px(&p, (double)ms[k]->macs),
              py(&p, (double)ms[k]->correct / (double)ms[k]->samples), k ? "#c53030" : "#4a5568",
              px(&p, (double)ms[k]->macs) + 10, py(&p, (double)ms[k]->correct / (double)ms[k]->samples) + 16,
              k ? "after" : "before");
  fputs("</svg></section>\n", f);
}

static const char style[] =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;"
    "color:#1a202c;background:#fff;max-width:960px;margin:24px auto;padding:0 16px}"
    "h1{font-size:24px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 6px;border-bottom:1px "
    "solid #e2e8f0;padding-bottom:4px}code{font-size:13px;background:#edf2f7;padding:1px 4px;"
    "border-radius:3px}.files{color:#4a5568;margin:0}"
    ".cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(200px,1fr));gap:12px;"
    "margin-top:18px}.card{border:1px solid #e2e8f0;border-radius:8px;padding:10px 14px;"
    "background:#f7fafc}.k{color:#4a5568;font-size:12px;text-transform:uppercase;"
    "letter-spacing:.04em}.v{font-size:20px;margin:4px 0}.arrow{color:#a0aec0}"
    ".d{font-size:13px;font-weight:600}.good{color:#2f855a}.bad{color:#c53030}"
    ".note{color:#4a5568;margin:4px 0 10px}.key{display:inline-block;width:12px;height:10px;"
    "border-radius:2px;vertical-align:baseline}.key.before{background:#cbd5e0}"
    ".key.after{background:#2b6cb0}svg text{font-family:inherit}.name{font-size:11px;"
    "fill:#2d3748}.val{font-size:11px;fill:#2d3748}.tick{font-size:10px;fill:#4a5568}"
    ".axis{font-size:12px;fill:#2d3748}table{border-collapse:collapse;width:100%;"
    "font-size:13px}th,td{text-align:left;padding:3px 8px;border-bottom:1px solid #edf2f7}"
    "th{color:#4a5568;font-weight:600;white-space:nowrap}.wide{width:22%}.meter{background:#e2e8f0;"
    "border-radius:3px;height:10px}.meter div{height:10px;border-radius:3px}"
    ".layers{font-size:12px;color:#2d3748}.dot{display:inline-block;width:9px;height:9px;border-radius:50%;margin-right:6px}"
    "footer{color:#718096;font-size:12px;margin-top:28px;border-top:1px solid #e2e8f0;"
    "padding-top:8px}";

int report_write_html(const char *path, const report_model *b, const report_model *a,
                      const report_options *o, sp_error *err) {
  cJSON *sens = NULL, *curve = NULL;
  if (o->sensitivity && (!(sens = read_json(o->sensitivity, err)) ||
                         check_sensitivity(sens, o->sensitivity, err)))
    goto fail;
  if (o->curve && (!(curve = read_json(o->curve, err)) || check_curve(curve, o->curve, err)))
    goto fail;
  sp_output out;
  if (sp_output_open(&out, path, err))
    goto fail;
  FILE *f = out.file;
  fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>sp report: ",
        f);
  html_text(f, a->path);
  fprintf(f, "</title>\n<style>%s</style></head><body>\n<header><h1>Pruning report</h1>"
             "<p class=\"files\">before <code>", style);
  html_text(f, b->path);
  fputs("</code> &#8594; after <code>", f);
  html_text(f, a->path);
  fputs("</code></p></header>\n", f);
  summary_cards(f, b, a);
  width_chart(f, b, a);
  group_table(f, b, a);
  if (sens)
    sensitivity_plot(f, sens, o->sensitivity);
  if (curve)
    curve_plot(f, curve, o->curve, b, a);
  fputs("<footer>Made by sp-report. Parameters and MACs as sp-model-stats counts them "
        "(contractions only, dynamic dims as 1). ", f);
  if (b->latency_ms >= 0)
    fprintf(f, "Latency: sp's runtime, %d runs after 3 warm-up runs, %d thread%s, %s kernels "
               "(fastest run %.2f / %.2f ms). ",
            o->runs, o->threads, o->threads == 1 ? "" : "s", o->isa, b->latency_min_ms,
            a->latency_min_ms);
  if (b->samples) {
    fprintf(f, "Accuracy: top-1 on %lld samples of ", (long long)b->samples);
    html_text(f, o->data_name ? o->data_name : "the data");
    fputs(". ", f);
  }
  fputs("</footer>\n</body></html>\n", f);
  cJSON_Delete(sens);
  cJSON_Delete(curve);
  return sp_output_close(&out, err);
fail:
  cJSON_Delete(sens);
  cJSON_Delete(curve);
  return -1;
}
