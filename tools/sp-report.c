/* sp-report: one HTML page that shows what pruning did to a model.
 *
 *   sp-report BEFORE.onnx AFTER.onnx -o report.html [--data fashion-mnist]
 *             [--sensitivity sens.json] [--curve curve.json]
 *
 * Per-layer output channels before and after as a bar chart, parameters,
 * MACs, latency measured in sp's runtime, top-1 accuracy when data is given,
 * the dependency groups and how much each lost, and the sensitivity and
 * accuracy-vs-MACs curves when their files are given. The page is
 * self-contained (inline CSS and SVG, no scripts, nothing fetched) and
 * written atomically. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "report.h"
#include "sp/output.h"
#include "sp/runtime.h"
#include "tool_common.h"

static void usage(FILE *f) {
  fputs("usage: sp-report BEFORE.onnx AFTER.onnx -o REPORT.html [options]\n"
        "  -o, --output FILE      the HTML page (written atomically)\n"
        "  --data SPEC            top-1 accuracy of both models on: fashion-mnist[:DIR]\n"
        "                         (the t10k split of Debian's dataset-fashion-mnist),\n"
        "                         IMAGES,LABELS (IDX, .gz or plain) or X.npy,Y.npy\n"
        "  --mean M[,M...]        normalisation of --data, as sp-train (default 0)\n"
        "  --std S[,S...]         (default 1)\n"
        "  --limit N              the first N samples of --data only\n"
        "  --batch N              evaluation batch (default 256)\n"
        "  --sensitivity FILE     plot sp-sensitivity's json= table\n"
        "  --curve FILE           plot accuracy against MACs: {\"points\": [{\"macs\": M,\n"
        "                         \"accuracy\": A, \"label\": \"...\"}, ...]} (A in [0, 1])\n"
        "  --runs N               timed runs per model (default 20, after 3 warm-up runs)\n"
        "  --threads N            runtime threads (default 1)\n"
        "  -q, --quiet            no progress bar\n"
        "  -h, --help             this text\n",
        f);
}

enum { OPT_DATA = 256, OPT_MEAN, OPT_STD, OPT_LIMIT, OPT_BATCH, OPT_SENS, OPT_CURVE, OPT_RUNS,
       OPT_THREADS };

int main(int argc, char **argv) {
  sp_output_remove_on_signal();
  static const struct option longs[] = {
      {"output", required_argument, NULL, 'o'},  {"data", required_argument, NULL, OPT_DATA},
      {"mean", required_argument, NULL, OPT_MEAN}, {"std", required_argument, NULL, OPT_STD},
      {"limit", required_argument, NULL, OPT_LIMIT}, {"batch", required_argument, NULL, OPT_BATCH},
      {"sensitivity", required_argument, NULL, OPT_SENS},
      {"curve", required_argument, NULL, OPT_CURVE}, {"runs", required_argument, NULL, OPT_RUNS},
      {"threads", required_argument, NULL, OPT_THREADS}, {"quiet", no_argument, NULL, 'q'},
      {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
  const char *output = NULL, *data_spec = NULL, *mean = NULL, *std = NULL;
  report_options ro = {NULL, NULL, NULL, 20, 1, NULL};
  int64_t limit = 0, batch = 256, num;
  int quiet = 0, c;
  sp_error err = {{0}};
  while ((c = getopt_long(argc, argv, "o:qh", longs, NULL)) != -1) {
    switch (c) {
    case 'o': output = optarg; break;
    case OPT_DATA: data_spec = optarg; break;
    case OPT_MEAN: mean = optarg; break;
    case OPT_STD: std = optarg; break;
    case OPT_SENS: ro.sensitivity = optarg; break;
    case OPT_CURVE: ro.curve = optarg; break;
    case 'q': quiet = 1; break;
    case 'h': usage(stdout); return 0;
    case OPT_LIMIT:
    case OPT_BATCH:
    case OPT_RUNS:
    case OPT_THREADS: {
      const char *name = c == OPT_LIMIT ? "--limit" : c == OPT_BATCH ? "--batch"
                         : c == OPT_RUNS ? "--runs" : "--threads";
      if (cli_parse_int(name, optarg, 1, c == OPT_RUNS || c == OPT_THREADS ? 100000 : INT_MAX,
                        &num, &err)) {
        fprintf(stderr, "sp-report: error: %s\n", err.message);
        return 2;
      }
      if (c == OPT_LIMIT) limit = num;
      else if (c == OPT_BATCH) batch = num;
      else if (c == OPT_RUNS) ro.runs = (int)num;
      else ro.threads = (int)num;
      break;
    }
    default: usage(stderr); return 2;
    }
  }
  if (argc - optind != 2 || !output) {
    fprintf(stderr, "sp-report: error: %s\n",
            argc - optind != 2 ? "expected two models, BEFORE.onnx AFTER.onnx"
                               : "-o REPORT.html is required");
    usage(stderr);
    return 2;
  }
  const char *before_path = argv[optind], *after_path = argv[optind + 1];
  if (tool_check_output(before_path, output, &err) || tool_check_output(after_path, output, &err)) {
    fprintf(stderr, "sp-report: error: %s\n", err.message);
    return 2;
  }
  sp_runtime_set_threads(ro.threads);
  ro.isa = sp_runtime_isa();
  report_model before, after;
  report_data *data = NULL;
  int rc = report_model_read(before_path, 1, &before, &err);
  if (!rc)
    rc = report_model_read(after_path, 0, &after, &err);
  else
    after = (report_model){0};
  if (!rc && data_spec && !(rc = report_data_load(data_spec, mean, std, limit, &data, &err)))
    ro.data_name = report_data_name(data);
  if (!rc)
    rc = report_measure(&before, ro.runs, data, batch, quiet, &err);
  if (!rc)
    rc = report_measure(&after, ro.runs, data, batch, quiet, &err);
  if (!rc)
    rc = report_write_html(output, &before, &after, &ro, &err);
  if (rc)
    fprintf(stderr, "sp-report: error: %s\n", err.message);
  else if (!quiet)
    fprintf(stderr, "sp-report: wrote %s (%lld -> %lld MACs, %.2f -> %.2f ms)\n", output,
            (long long)before.macs, (long long)after.macs, before.latency_ms, after.latency_ms);
  report_data_free(data);
  report_model_free(&before);
  report_model_free(&after);
  return rc ? 1 : 0;
}
