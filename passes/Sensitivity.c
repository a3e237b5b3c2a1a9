/* sp-sensitivity{data=... ratios=0.1,...,0.9 metric=top1|kl json=FILE svg=FILE}:
 * how much the model loses when each prunable group alone is pruned by each
 * ratio (Li et al. 2017, "Pruning Filters for Efficient ConvNets", sec. 3.2).
 *
 * Which units go is sp-prune's choice: the lowest by sp.importance when it
 * matches the groups (run sp-importance first for another criterion), else
 * L2 with mean reduction; a group loses floor(units * ratio) units, never
 * all. Each variant is a clone of the module pruned in mask mode (the units'
 * weights zeroed, shapes kept, so nothing is rewritten), exported and run by
 * sp_runtime on the data: top-1 against the labels, or the mean KL divergence
 * from the unpruned model's outputs. The module itself does not change.
 *
 * Writes a JSON table (read by sp-prune{ratios-from=FILE target-macs=M}) and
 * an SVG plot, one curve per group, both through sp/output.h (atomic). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "prune_internal.h"
#include "sensitivity.h"
#include "sp/dialect.h"
#include "sp/passes.h"
#include "sp/progress.h"

#define PASS "sp-sensitivity"
#define MAX_RATIOS 64

typedef struct sens_options {
  const char *data, *split, *calibration, *json, *svg;
  double ratios[MAX_RATIOS];
  size_t n_ratios;
  int kl, quiet;
  int64_t limit, batch, threads;
  double mean, std;
} sens_options;

int sp_parse_ratios(MlirOperation module, const char *pass, const char *text, double *ratios,
                    size_t max, size_t *n) {
  const char *p = text;
  *n = 0;
  while (*p) {
    char *end = NULL;
    double r = strtod(p, &end);
    if (end == p || (*end && *end != ',') || !isfinite(r) || r < 0 || r >= 1 || *n == max ||
        (*n && r <= ratios[*n - 1])) {
      sp_emit_error(module, "%s: ratios='%s': expected at most %zu increasing numbers in "
                            "[0, 1) separated by commas", pass, text, max);
      return -1;
    }
    ratios[(*n)++] = r;
    p = *end ? end + 1 : end;
    if (*end && !*p) { // a trailing comma
      sp_emit_error(module, "%s: ratios='%s': a comma ends the list", pass, text);
      return -1;
    }
  }
  if (!*n) {
    sp_emit_error(module, "%s: ratios= is empty", pass);
    return -1;
  }
  return 0;
}

static int read_options(MlirOperation module, const sp_pass_args *args, sens_options *o) {
  memset(o, 0, sizeof *o);
  o->data = sp_pass_arg_string(args, "data");
  o->calibration = sp_pass_arg_string(args, "calibration");
  o->split = sp_pass_arg_string(args, "split");
  o->json = sp_pass_arg_string(args, "json");
  o->svg = sp_pass_arg_string(args, "svg");
  o->kl = !strcmp(sp_pass_arg_string(args, "metric"), "kl");
  o->quiet = sp_pass_arg_bool(args, "quiet");
  o->limit = sp_pass_arg_int(args, "limit");
  o->batch = sp_pass_arg_int(args, "batch");
  o->threads = sp_pass_arg_int(args, "threads");
  o->mean = sp_pass_arg_float(args, "mean");
  o->std = sp_pass_arg_float(args, "std");
  int has_data = o->data && *o->data, has_calibration = o->calibration && *o->calibration;
  if (has_data == has_calibration) {
    sp_emit_error(module, PASS ": needs one of data=fashion-mnist[:DIR] or calibration=DIR "
                          "(input_N.pb/label_N.pb pairs)");
    return -1;
  }
  if (has_data && (strncmp(o->data, "fashion-mnist", 13) ||
                   (o->data[13] && o->data[13] != ':') || (o->data[13] == ':' && !o->data[14]))) {
    sp_emit_error(module, PASS ": data='%s' is not fashion-mnist[:DIR] (IDX files)", o->data);
    return -1;
  }
  if (!(o->json && *o->json) && !(o->svg && *o->svg)) {
    sp_emit_error(module, PASS ": writes nothing without json=FILE or svg=FILE");
    return -1;
  }
  return sp_parse_ratios(module, PASS, sp_pass_arg_string(args, "ratios"), o->ratios, MAX_RATIOS,
                         &o->n_ratios);
}

/* metric[group][ratio] of every prunable group (others NULL). */
typedef struct sens_table {
  double baseline;
  double **metric;
} sens_table;

int64_t sp_units_dropped(const sp_group_info *gi, double ratio) {
  int64_t drop = (int64_t)floor((double)gi->units * ratio + 1e-9);
  return drop < gi->units - 1 ? drop : gi->units - 1;
}

/* The metric of module with group `id` pruned by `drop` units in mask mode
 * (a clone: module stays as it is). */
static int evaluate_variant(MlirOperation module, size_t id, const double *scores,
                            int64_t drop, sp_sens_data *data, const sens_options *o,
                            double *metric) {
  MlirOperation clone = mlirOperationClone(module);
  int rc = 0;
  if (drop > 0) {
    sp_groups *g = sp_groups_analyze(clone);
    if (!g || id >= g->num_groups) {
      if (g)
        sp_emit_error(module, PASS ": the clone of the module has other groups");
      rc = -1;
    } else {
      unsigned char **keep = calloc(g->num_groups + 1, sizeof *keep);
      keep[id] = sp_prune_keep_lowest(&g->groups[id], scores, drop);
      rc = sp_prune_rewrite(g, keep, 1);
      free(keep[id]);
      free(keep);
    }
    sp_groups_free(g);
  }
  if (!rc)
    rc = sp_sens_evaluate(clone, data, o->batch, o->kl, metric);
  mlirOperationDestroy(clone);
  return rc;
}

void sp_group_name(const sp_group_info *gi, char *buf, size_t n) {
  snprintf(buf, n, "?");
  for (size_t m = 0; m < gi->num_members; ++m)
    if (gi->members[m].value->is_weight) {
      sp_groups_value_name(gi->members[m].value, buf, n);
      return;
    }
  if (gi->num_members)
    sp_groups_value_name(gi->members[0].value, buf, n);
}

void sp_json_string(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; ++s) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      fprintf(f, "\\%c", c);
    else if (c < 0x20)
      fprintf(f, "\\u%04x", c);
    else
      fputc(c, f);
  }
  fputc('"', f);
}

/* Predicted loss of a variant: the top-1 drop, or the KL itself. */
static double loss_of(const sens_options *o, const sens_table *t, double metric) {
  return o->kl ? metric : t->baseline - metric;
}

static void write_json(FILE *f, sp_groups *g, const sens_table *t, const sens_options *o,
                       int64_t samples) {
  fprintf(f, "{\n  \"metric\": \"%s\",\n  \"samples\": %lld,\n  \"baseline\": %.9g,\n"
             "  \"ratios\": [",
          o->kl ? "kl" : "top1", (long long)samples, t->baseline);
  for (size_t r = 0; r < o->n_ratios; ++r)
    fprintf(f, "%s%.9g", r ? ", " : "", o->ratios[r]);
  fprintf(f, "],\n  \"groups\": [");
  int first = 1;
  for (size_t id = 0; id < g->num_groups; ++id) {
    if (!t->metric[id])
      continue;
    char name[256];
    sp_group_name(&g->groups[id], name, sizeof name);
    fprintf(f, "%s\n    {\"id\": %zu, \"name\": ", first ? "" : ",", id);
    sp_json_string(f, name);
    fprintf(f, ", \"units\": %lld,\n     \"dropped\": [", (long long)g->groups[id].units);
    for (size_t r = 0; r < o->n_ratios; ++r)
      fprintf(f, "%s%lld", r ? ", " : "",
              (long long)sp_units_dropped(&g->groups[id], o->ratios[r]));
    fprintf(f, "],\n     \"metric\": [");
    for (size_t r = 0; r < o->n_ratios; ++r)
      fprintf(f, "%s%.9g", r ? ", " : "", t->metric[id][r]);
    fprintf(f, "],\n     \"loss\": [");
    for (size_t r = 0; r < o->n_ratios; ++r)
      fprintf(f, "%s%.9g", r ? ", " : "", loss_of(o, t, t->metric[id][r]));
    fprintf(f, "]}");
    first = 0;
  }
  fprintf(f, "\n  ]\n}\n");
}

/* Writes s with XML's special characters escaped. */
static void xml_text(FILE *f, const char *s) {
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

/* The plot: ratio on x (0..1), the metric on y, one <path> per group (the
 * only <path> elements) from the unpruned model's point at ratio 0, axes and
 * ticks as <line>, a legend on the right. */
static void write_svg(FILE *f, sp_groups *g, const sens_table *t, const sens_options *o) {
  static const char *const colors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                       "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                                       "#bcbd22", "#17becf"};
  const double W = 780, H = 420, left = 60, right = 280, top = 30, bottom = 50;
  const double pw = W - left - right, ph = H - top - bottom;
  double lo = t->baseline, hi = t->baseline;
  size_t curves = 0;
  for (size_t id = 0; id < g->num_groups; ++id)
    for (size_t r = 0; t->metric[id] && r < o->n_ratios; ++r) {
      lo = fmin(lo, t->metric[id][r]);
      hi = fmax(hi, t->metric[id][r]);
      curves += r == 0;
    }
  if (hi - lo < 1e-9) { // a flat plot still needs a y range
    lo -= 0.5;
    hi += 0.5;
  }
  const char *ylabel = o->kl ? "KL(unpruned || pruned), nats" : "top-1";
  fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
             "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
             "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"11\">\n"
             "<rect width=\"%.0f\" height=\"%.0f\" fill=\"white\"/>\n"
             "<text x=\"%.1f\" y=\"18\" text-anchor=\"middle\" font-size=\"13\">Sensitivity "
             "of each group pruned alone (%zu groups)</text>\n",
          W, H, W, H, W, H, left + pw / 2, curves);
  // Grid and ticks, then the axes over them.
  for (int k = 0; k <= 10; ++k) {
    double x = left + pw * k / 10.0;
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
               "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.1f</text>\n",
            x, top, x, top + ph, x, top + ph + 14, k / 10.0);
  }
  for (int k = 0; k <= 5; ++k) {
    double v = lo + (hi - lo) * k / 5.0, y = top + ph - ph * k / 5.0;
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
               "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.3g</text>\n",
            left, y, left + pw, y, left - 4, y + 4, v);
  }
  fprintf(f, "<g stroke=\"black\" stroke-width=\"1\">\n"
             "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n"
             "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n</g>\n",
          left, top + ph, left + pw, top + ph, left, top, left, top + ph);
  fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">pruning ratio of the group"
             "</text>\n<text x=\"14\" y=\"%.1f\" text-anchor=\"middle\" "
             "transform=\"rotate(-90 14 %.1f)\">",
          left + pw / 2, H - 12, top + ph / 2, top + ph / 2);
  xml_text(f, ylabel);
  fprintf(f, "</text>\n");
  size_t c = 0;
  for (size_t id = 0; id < g->num_groups; ++id) {
    if (!t->metric[id])
      continue;
    const char *color = colors[c % (sizeof colors / sizeof *colors)];
    // Later curves dashed so ten colours stretch to more groups.
    const char *dash = c >= 10 ? " stroke-dasharray=\"5 3\"" : "";
    fprintf(f, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\"%s d=\"", color, dash);
    // Every curve starts at the unpruned model (ratio 0).
    if (o->ratios[0] > 0)
      fprintf(f, "M%.1f %.1f ", left, top + ph - ph * (t->baseline - lo) / (hi - lo));
    for (size_t r = 0; r < o->n_ratios; ++r)
      fprintf(f, "%s%.1f %.1f", r ? " L" : o->ratios[0] > 0 ? "L" : "M", left + pw * o->ratios[r],
              top + ph - ph * (t->metric[id][r] - lo) / (hi - lo));
    char name[256];
    sp_group_name(&g->groups[id], name, sizeof name);
    double ly = top + 8 + 14.0 * (double)c;
    fprintf(f, "\"/>\n<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
               "stroke-width=\"2\"%s/><text x=\"%.1f\" y=\"%.1f\">group %zu: ",
            left + pw + 12, ly, left + pw + 32, ly, color, dash, left + pw + 36, ly + 4, id);
    xml_text(f, name);
    fprintf(f, " (%lld)</text>\n", (long long)g->groups[id].units);
    c++;
  }
  fprintf(f, "</svg>\n");
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int sp_sensitivity_run(MlirOperation module, const sp_pass_args *args) {
  sens_options o;
  if (read_options(module, args, &o))
    return -1;
  sp_sens_data *data = NULL;
  if (sp_sens_data_load(module, o.data, o.split, o.calibration, o.limit, o.mean, o.std, o.threads,
                        &data))
    return -1;
  sp_groups *g = sp_groups_analyze(module);
  if (!g) {
    sp_sens_data_free(data);
    return -1;
  }
  double **scores = sp_prune_load_scores(g);
  sens_table t = {0, calloc(g->num_groups + 1, sizeof *t.metric)};
  size_t total = 0, done = 0;
  for (size_t id = 0; id < g->num_groups; ++id)
    total += (sp_group_prunable(&g->groups[id]) && scores[id]) ? o.n_ratios : 0;
  int rc = 0;
  if (!total) {
    sp_emit_error(module, PASS ": nothing is prunable (every group is pinned; see "
                          "sp-dependency-groups{dump=-})");
    rc = -1;
  }
  double t0 = now_s();
  sp_progress bar;
  sp_progress_start(&bar, PASS ": evaluations", (int64_t)total, o.quiet);
  // The unpruned run first: it is the KL reference and the baseline.
  if (!rc)
    rc = evaluate_variant(module, 0, NULL, 0, data, &o, &t.baseline);
  for (size_t id = 0; id < g->num_groups && !rc; ++id) {
    const sp_group_info *gi = &g->groups[id];
    if (!sp_group_prunable(gi) || !scores[id])
      continue;
    t.metric[id] = calloc(o.n_ratios, sizeof **t.metric);
    for (size_t r = 0; r < o.n_ratios && !rc; ++r) {
      rc = evaluate_variant(module, id, scores[id], sp_units_dropped(gi, o.ratios[r]), data, &o,
                            &t.metric[id][r]);
      char detail[96];
      snprintf(detail, sizeof detail, "group %zu, ratio %.2f: %s %.4f", id, o.ratios[r],
               o.kl ? "kl" : "top-1", rc ? 0.0 : t.metric[id][r]);
      ++done;
      if (bar.active)
        sp_progress_update(&bar, (int64_t)done, detail);
      else if (!rc && !o.quiet && !sp_progress_silenced()) // logs: a line per evaluation
        fprintf(stderr, PASS ": %zu/%zu evaluations (%s), %.1f s\n", done, total, detail,
                now_s() - t0);
    }
  }
  sp_progress_finish(&bar);
  // Both files open before either is written: an unwritable one leaves neither.
  sp_output json = {0}, svg = {0};
  int has_json = o.json && *o.json, has_svg = o.svg && *o.svg;
  FILE *jf = NULL, *sf = NULL;
  if (!rc && has_json && !(jf = sp_pass_output_open(module, PASS, &json, o.json, stdout)))
    rc = -1;
  if (!rc && has_svg && !(sf = sp_pass_output_open(module, PASS, &svg, o.svg, stdout)))
    rc = -1;
  if (rc) {
    if (jf && jf != stdout)
      sp_output_discard(&json);
  } else {
    if (jf)
      write_json(jf, g, &t, &o, sp_sens_data_count(data));
    if (sf)
      write_svg(sf, g, &t, &o);
    if (jf)
      rc = sp_pass_output_close(module, PASS, &json);
    if (sf && rc && sf != stdout)
      sp_output_discard(&svg); // the table failed: no plot without it
    else if (sf && !rc)
      rc = sp_pass_output_close(module, PASS, &svg);
  }
  for (size_t id = 0; id < g->num_groups; ++id)
    free(t.metric[id]);
  free(t.metric);
  sp_importance_free(g, scores);
  sp_groups_free(g);
  sp_sens_data_free(data);
  return rc ? -1 : 0;
}
