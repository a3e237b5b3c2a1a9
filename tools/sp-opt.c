/* sp-opt: run sp and upstream MLIR passes over `nn` IR or ONNX models.
 *
 *   sp-opt model.onnx --pass-pipeline='builtin.module(sp-model-stats)' -o out.onnx
 *   sp-opt test.mlir --split-input-file --verify-diagnostics
 */
#include <getopt.h>
#include <limits.h>
#include <mlir-c/Diagnostics.h>
#include <mlir-c/Pass.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sp/dialect.h"
#include "sp/output.h"
#include "sp/progress.h"
#include "sp/passes.h"
#include "sp/pipeline.h"
#include "sp/translate.h"
#include "sp/weights.h"
#include "tool_common.h"

/* --- command line -------------------------------------------------------- */

typedef enum emit_kind { EMIT_AUTO, EMIT_MLIR, EMIT_ONNX } emit_kind;

typedef struct options {
  const char *input, *output, *pipeline;
  emit_kind emit;
  int split_input, verify_diagnostics, print_after_all, timing, print_pipeline;
  long elide_limit;
  sp_onnx_save_options save;
  tool_dims dims;
} options;

static void print_named_pipelines(FILE *out) {
  fprintf(out, "\nnamed pipelines (use as --pass-pipeline=NAME; --print-pipeline shows the expansion):\n");
  for (const sp_named_pipeline *p = sp_named_pipelines; p->name; ++p)
    fprintf(out, "  %-24s %s\n      = %s\n", p->name, p->summary, p->expansion);
}

static void usage(FILE *out) {
  fprintf(out,
          "usage: sp-opt [options] [INPUT.mlir|INPUT.onnx|-]\n"
          "\n"
          "  -o, --output FILE            output (.onnx writes ONNX, else MLIR; default stdout)\n"
          "  --emit=mlir|onnx             output format regardless of the extension\n"
          "  --pass-pipeline=PIPELINE     e.g. 'builtin.module(sp-model-stats,canonicalize,cse)'\n"
          "                               sp passes and upstream MLIR passes mix freely\n"
          "                               or the name of a pipeline listed below\n"
          "  --print-pipeline             print the pipeline (names expanded) and exit\n"
          "  --split-input-file           process chunks separated by '// -----' separately\n"
          "  --verify-diagnostics         check 'expected-error' comments instead of printing\n"
          "  --mlir-print-ir-after-all    print the IR after every pass (to stderr)\n"
          "  --mlir-timing                print the time of import, each pass and export\n"
          "  --mlir-elide-resource-strings-if-larger=N\n"
          "                               print weight blobs larger than N bytes as elided\n"
          "  --dim NAME=VALUE             ONNX input: fix a symbolic input dim, e.g. batch=1\n"
          "                               (exact MACs for attention; repeatable)\n"
          "  --external-data[=N]          ONNX output: tensors of >= N bytes (default 1024)\n"
          "                               go to OUTPUT.data\n"
          "  -q, --quiet                  no progress bars (calibration, sensitivity,\n"
          "                               fine-tuning draw one when stderr is a terminal)\n"
          "  -h, --help                   this text and the list of sp passes\n\n"
          "Numbers (N, VALUE) are whole base-10 integers >= 0; anything else is an error.\n"
          "A tensor may have at most 2^59 elements. An ONNX model importing an opset newer\n"
          "than sp knows (%d) is read with a warning, its ops as that opset defines them.\n"
          "Input that is not an .onnx file is MLIR text (a NUL byte in it is an error).\n\n",
          SP_ONNX_MAX_OPSET);
  sp_pass_print_help(out);
  print_named_pipelines(out);
}

enum { OPT_PIPELINE = 256, OPT_EMIT, OPT_SPLIT, OPT_VERIFY, OPT_PRINT_AFTER, OPT_TIMING,
       OPT_ELIDE, OPT_EXTERNAL, OPT_PRINT_PIPELINE, OPT_DIM };

static int usage_error(const sp_error *err) {
  fprintf(stderr, "sp-opt: error: %s\n", err->message);
  return 2;
}

static int parse_options(int argc, char **argv, options *o) {
  static const struct option long_options[] = {
      {"output", required_argument, NULL, 'o'},
      {"pass-pipeline", required_argument, NULL, OPT_PIPELINE},
      {"emit", required_argument, NULL, OPT_EMIT},
      {"split-input-file", no_argument, NULL, OPT_SPLIT},
      {"verify-diagnostics", no_argument, NULL, OPT_VERIFY},
      {"mlir-print-ir-after-all", no_argument, NULL, OPT_PRINT_AFTER},
      {"mlir-timing", no_argument, NULL, OPT_TIMING},
      {"mlir-elide-resource-strings-if-larger", required_argument, NULL, OPT_ELIDE},
      {"external-data", optional_argument, NULL, OPT_EXTERNAL},
      {"dim", required_argument, NULL, OPT_DIM},
      {"print-pipeline", no_argument, NULL, OPT_PRINT_PIPELINE},
      {"quiet", no_argument, NULL, 'q'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  memset(o, 0, sizeof *o);
  o->input = "-";
  o->output = "-";
  sp_error err;
  int64_t num;
  int c;
  while ((c = getopt_long(argc, argv, "o:qh", long_options, NULL)) != -1) {
    switch (c) {
    case 'o': o->output = optarg; break;
    case 'q': sp_progress_set_quiet(1); break;
    case OPT_PIPELINE: o->pipeline = sp_pipeline_expand(optarg); break;
    case OPT_PRINT_PIPELINE: o->print_pipeline = 1; break;
    case OPT_EMIT:
      if (strcmp(optarg, "mlir") == 0) o->emit = EMIT_MLIR;
      else if (strcmp(optarg, "onnx") == 0) o->emit = EMIT_ONNX;
      else {
        fprintf(stderr, "sp-opt: --emit must be mlir or onnx, got '%s'\n", optarg);
        return 2;
      }
      break;
    case OPT_SPLIT: o->split_input = 1; break;
    case OPT_VERIFY: o->verify_diagnostics = 1; break;
    case OPT_PRINT_AFTER: o->print_after_all = 1; break;
    case OPT_TIMING: o->timing = 1; break;
    case OPT_ELIDE:
      if (cli_parse_int("--mlir-elide-resource-strings-if-larger", optarg, 0, LONG_MAX, &num,
                        &err))
        return usage_error(&err);
      o->elide_limit = (long)num;
      break;
    case OPT_EXTERNAL:
      num = 1024;
      if (optarg && cli_parse_int("--external-data", optarg, 0, INT64_MAX, &num, &err))
        return usage_error(&err);
      o->save.external_threshold = num ? (size_t)num : 1;
      break;
    case OPT_DIM:
      if (tool_parse_dim(&o->dims, optarg, &err)) return usage_error(&err);
      break;
    case 'h': usage(stdout); exit(0);
    default: usage(stderr); return 2;
    }
  }
  if (optind < argc)
    o->input = argv[optind++];
  if (optind < argc) {
    fprintf(stderr, "sp-opt: more than one input file given ('%s')\n", argv[optind]);
    return 2;
  }
  if (o->emit == EMIT_AUTO)
    o->emit = tool_is_onnx_path(o->output) ? EMIT_ONNX : EMIT_MLIR;
  if (o->emit == EMIT_ONNX && strcmp(o->output, "-") == 0) {
    fprintf(stderr, "sp-opt: ONNX output needs -o FILE\n");
    return 2;
  }
  if (tool_check_output(o->input, o->output, &err)) {
    fprintf(stderr, "sp-opt: error: %s\n", err.message);
    return 2;
  }
  return 0;
}

/* --- pipeline ------------------------------------------------------------ */

typedef struct upstream_error {
  char message[SP_ERROR_MAX];
} upstream_error;

static void collect_pipeline_error(MlirStringRef s, void *user) {
  upstream_error *u = user;
  size_t n = strlen(u->message);
  snprintf(u->message + n, sizeof u->message - n, "%.*s", (int)s.length, s.data);
}

// Builds a pass manager for one stage; validates upstream text too.
static MlirPassManager stage_pass_manager(MlirContext ctx, sp_stage *s, int print_after,
                                          sp_error *err) {
  (void)print_after;
  MlirPassManager pm = mlirPassManagerCreateOnOperation(ctx, sp_str("builtin.module"));
  if (s->sp_pass) {
    mlirPassManagerAddOwnedPass(pm, sp_pass_create(s->sp_pass, &s->args));
    return pm;
  }
  upstream_error u = {{0}};
  MlirOpPassManager opm = mlirPassManagerGetAsOpPassManager(pm);
  if (mlirLogicalResultIsFailure(
          mlirOpPassManagerAddPipeline(opm, sp_str(s->text), collect_pipeline_error, &u))) {
    for (char *c = u.message; *c; ++c)
      if (*c == '\n') *c = ' ';
    sp_error_set(err, "pass pipeline: cannot use '%s': %s", s->text,
                 u.message[0] ? u.message : "unknown pass or bad option");
    mlirPassManagerDestroy(pm);
    return (MlirPassManager){NULL};
  }
  return pm;
}

/* --- diagnostics verification ------------------------------------------- */

typedef struct expectation {
  MlirDiagnosticSeverity severity;
  int line; /* 0 = any line (e.g. expected-error@unknown) */
  char *message;
  int matched;
} expectation;

typedef struct captured {
  MlirDiagnosticSeverity severity;
  int line;
  char *location;
  char *message;
} captured;

typedef struct verifier {
  expectation *expected;
  size_t n_expected;
  captured *seen;
  size_t n_seen;
} verifier;

static void append_message(MlirStringRef s, void *user) {
  char **m = user;
  size_t n = *m ? strlen(*m) : 0;
  *m = realloc(*m, n + s.length + 1);
  memcpy(*m + n, s.data, s.length);
  (*m)[n + s.length] = 0;
}

// The line of a location printed as loc("file":L:C) (possibly nested).
static int location_line(MlirLocation loc, char **printed) {
  char *text = sp_print_location(loc);
  int line = 0;
  for (const char *p = text; (p = strstr(p, "\":")); ++p)
    if (sscanf(p + 2, "%d", &line) == 1)
      break;
  *printed = text;
  return line;
}

static MlirLogicalResult capture_diagnostic(MlirDiagnostic d, void *user) {
  verifier *v = user;
  v->seen = realloc(v->seen, (v->n_seen + 1) * sizeof *v->seen);
  captured *c = &v->seen[v->n_seen++];
  c->severity = mlirDiagnosticGetSeverity(d);
  c->line = location_line(mlirDiagnosticGetLocation(d), &c->location);
  c->message = NULL;
  mlirDiagnosticPrint(d, append_message, &c->message);
  if (!c->message)
    c->message = strdup("");
  return mlirLogicalResultSuccess();
}

static void verifier_reset(verifier *v) {
  for (size_t i = 0; i < v->n_expected; ++i)
    free(v->expected[i].message);
  for (size_t i = 0; i < v->n_seen; ++i) {
    free(v->seen[i].message);
    free(v->seen[i].location);
  }
  free(v->expected);
  free(v->seen);
  memset(v, 0, sizeof *v);
}

// Collects "expected-error@+1 {{text}}" comments from one chunk.
static void parse_expectations(verifier *v, const char *text, int first_line) {
  static const struct { const char *word; MlirDiagnosticSeverity s; } kinds[] = {
      {"expected-error", MlirDiagnosticError}, {"expected-warning", MlirDiagnosticWarning},
      {"expected-note", MlirDiagnosticNote}, {"expected-remark", MlirDiagnosticRemark}};
  int line = first_line;
  for (const char *p = text; *p;) {
    const char *eol = strchr(p, '\n');
    size_t len = eol ? (size_t)(eol - p) : strlen(p);
    char *l = strndup(p, len);
    for (size_t k = 0; k < 4; ++k) {
      char *at = strstr(l, kinds[k].word);
      if (!at)
        continue;
      char *q = at + strlen(kinds[k].word);
      int target = line;
      if (*q == '@') {
        q++;
        if (strncmp(q, "unknown", 7) == 0) target = 0;
        else if (strncmp(q, "above", 5) == 0) target = line - 1;
        else if (strncmp(q, "below", 5) == 0) target = line + 1;
        else target = line + atoi(q);
      }
      char *open = strstr(q, "{{");
      char *close = open ? strstr(open + 2, "}}") : NULL;
      if (!open || !close || close[2 + strspn(close + 2, " \t\r")] != 0)
        continue; // as in MLIR, the message closes the line
      v->expected = realloc(v->expected, (v->n_expected + 1) * sizeof *v->expected);
      v->expected[v->n_expected++] = (expectation){
          kinds[k].s, target, strndup(open + 2, (size_t)(close - open - 2)), 0};
    }
    free(l);
    if (!eol)
      break;
    p = eol + 1;
    line++;
  }
}

static const char *severity_word(MlirDiagnosticSeverity s) {
  switch (s) {
  case MlirDiagnosticError: return "error";
  case MlirDiagnosticWarning: return "warning";
  case MlirDiagnosticNote: return "note";
  default: return "remark";
  }
}

// Matches what was emitted against what was expected; prints every miss.
static int verifier_check(verifier *v, const char *input) {
  int ok = 1;
  for (size_t i = 0; i < v->n_seen; ++i) {
    captured *c = &v->seen[i];
    int found = 0;
    for (size_t j = 0; j < v->n_expected && !found; ++j) {
      expectation *e = &v->expected[j];
      if (e->matched || e->severity != c->severity || (e->line && e->line != c->line))
        continue;
      if (strstr(c->message, e->message)) {
        e->matched = 1;
        found = 1;
      }
    }
    if (!found) {
      fprintf(stderr, "%s:%d: error: unexpected %s: %s\n", input, c->line,
              severity_word(c->severity), c->message);
      ok = 0;
    }
  }
  for (size_t j = 0; j < v->n_expected; ++j)
    if (!v->expected[j].matched) {
      fprintf(stderr, "%s:%d: error: expected %s \"%s\" was not produced\n", input,
              v->expected[j].line, severity_word(v->expected[j].severity),
              v->expected[j].message);
      ok = 0;
    }
  return ok ? 0 : -1;
}

/* --- driver ------------------------------------------------------------- */

typedef struct timing {
  double import_s, export_s;
} timing;

static void print_timing(const sp_pipeline *p, const timing *t) {
  double total = t->import_s + t->export_s;
  for (size_t i = 0; i < p->count; ++i)
    total += p->stages[i].seconds;
  fprintf(stderr,
          "===-------------------------------------------------------------------------===\n"
          "                         ... Execution time report ...\n"
          "===-------------------------------------------------------------------------===\n"
          "  Total Execution Time: %.4f seconds\n\n"
          "  ----Wall Time----  ----Name----\n",
          total);
  double pct = total > 0 ? 100.0 / total : 0;
  fprintf(stderr, "  %8.4f (%5.1f%%)  input (parse or ONNX import)\n", t->import_s,
          t->import_s * pct);
  for (size_t i = 0; i < p->count; ++i)
    fprintf(stderr, "  %8.4f (%5.1f%%)  %s\n", p->stages[i].seconds, p->stages[i].seconds * pct,
            p->stages[i].text);
  fprintf(stderr, "  %8.4f (%5.1f%%)  output\n", t->export_s, t->export_s * pct);
  fprintf(stderr, "  %8.4f (100.0%%)  Total\n", total);
}

static void print_stderr(MlirStringRef s, void *user) {
  (void)user;
  fwrite(s.data, 1, s.length, stderr);
}

static int run_pipeline(MlirContext ctx, MlirModule module, sp_pipeline *p, const options *o,
                        sp_error *err) {
  MlirOperation op = mlirModuleGetOperation(module);
  for (size_t i = 0; i < p->count; ++i) {
    sp_stage *s = &p->stages[i];
    MlirPassManager pm = stage_pass_manager(ctx, s, o->print_after_all, err);
    if (mlirPassManagerIsNull(pm))
      return -1;
    double t0 = tool_now();
    MlirLogicalResult r = mlirPassManagerRunOnOp(pm, op);
    s->seconds += tool_now() - t0;
    mlirPassManagerDestroy(pm);
    if (mlirLogicalResultIsFailure(r))
      return sp_error_set(err, "pass '%s' failed", s->text);
    if (o->print_after_all) {
      fprintf(stderr, "// -----// IR Dump After %s //----- //\n", s->text);
      MlirOpPrintingFlags flags = mlirOpPrintingFlagsCreate();
      mlirOpPrintingFlagsElideLargeResourceString(flags, 64);
      mlirOperationPrintWithFlags(op, flags, print_stderr, NULL);
      mlirOpPrintingFlagsDestroy(flags);
      fputs("\n\n", stderr);
    }
  }
  return 0;
}

static int write_output(MlirModule module, const options *o, int first_chunk, timing *t,
                        sp_error *err) {
  double t0 = tool_now();
  int rc;
  if (strcmp(o->output, "/dev/null") == 0)
    rc = 0; // nothing to write: skip printing large models
  else if (o->emit == EMIT_ONNX)
    rc = sp_export_onnx(module, o->output, &o->save, err);
  else {
    if (!first_chunk && strcmp(o->output, "-") == 0)
      fputs("// -----\n", stdout);
    rc = tool_write_mlir(module, o->output, o->elide_limit, err);
  }
  t->export_s += tool_now() - t0;
  return rc;
}

// Processes one input chunk (or a whole ONNX model). Returns 0 on success.
static int process_chunk(MlirContext ctx, const char *text, int first_line, const options *o,
                         sp_pipeline *p, int first_chunk, timing *t, verifier *v) {
  sp_error err = {{0}};
  sp_onnx_model *model = NULL;
  MlirModule module = {NULL};
  long errors_before = tool_errors_printed();
  double t0 = tool_now();
  if (v)
    parse_expectations(v, text ? text : "", first_line);
  int rc = 0;
  if (!text) {
    rc = tool_import_onnx(ctx, o->input, &o->dims, &model, &module, &err);
  } else {
    module = tool_parse_mlir(ctx, text, o->input, first_line);
    if (mlirModuleIsNull(module)) {
      rc = -1;
      snprintf(err.message, sizeof err.message, "%s: cannot parse input", o->input);
    } else if (!mlirOperationVerify(mlirModuleGetOperation(module))) {
      rc = -1;
      snprintf(err.message, sizeof err.message, "%s: input does not verify", o->input);
    } else if (sp_weights_verify(mlirModuleGetOperation(module))) {
      rc = -1; // emitted at the op whose weight blob is missing or short
    }
  }
  t->import_s += tool_now() - t0;
  if (rc == 0)
    rc = run_pipeline(ctx, module, p, o, &err);
  // The output of a chunk whose diagnostics are under test is not interesting.
  if (rc == 0 && !v)
    rc = write_output(module, o, first_chunk, t, &err);
  // one line per failure: a pass that emitted its error needs no summary
  if (rc && !v && tool_errors_printed() == errors_before)
    fprintf(stderr, "sp-opt: error: %s\n", err.message);
  if (!mlirModuleIsNull(module))
    mlirModuleDestroy(module);
  sp_onnx_free(model);
  return rc;
}

int main(int argc, char **argv) {
  sp_output_remove_on_signal(); // no temp file outlives Ctrl-C
  options o;
  int rc = parse_options(argc, argv, &o);
  if (rc)
    return rc;
  sp_error err = {{0}};
  sp_pipeline p;
  if (sp_pipeline_parse(o.pipeline, &p, &err)) {
    fprintf(stderr, "sp-opt: %s\n", err.message);
    return 1;
  }
  if (o.print_pipeline) { // the stages, named pipelines within it expanded
    printf("builtin.module(");
    for (size_t i = 0; i < p.count; ++i)
      printf("%s%s", i ? "," : "", p.stages[i].text);
    printf(")\n");
    sp_pipeline_free(&p);
    if (sp_output_check_stdout(&err)) {
      fprintf(stderr, "sp-opt: %s\n", err.message);
      return 1;
    }
    return 0;
  }
  // Training keeps the runtime's threads busy for minutes: choose libgomp's
  // wait policy as sp-train does (spinning made sp-finetune 5x slower on a
  // busy 2-core machine). Only then, since re-executing costs every run.
  for (size_t i = 0; i < p.count; ++i)
    if (p.stages[i].sp_pass && (!strcmp(p.stages[i].sp_pass->argument, "sp-finetune") ||
                                !strcmp(p.stages[i].sp_pass->argument, "sp-iterative-prune"))) {
      cli_choose_omp_wait(argv);
      break;
    }
  MlirContext ctx = sp_context_create(&err);
  if (mlirContextIsNull(ctx)) {
    fprintf(stderr, "sp-opt: %s\n", err.message);
    sp_pipeline_free(&p);
    return 1;
  }
  // Upstream pass names are checked before any input is read.
  for (size_t i = 0; i < p.count; ++i) {
    MlirPassManager pm = stage_pass_manager(ctx, &p.stages[i], 0, &err);
    if (mlirPassManagerIsNull(pm)) {
      fprintf(stderr, "sp-opt: %s\n", err.message);
      sp_pipeline_free(&p);
      sp_context_destroy(ctx);
      return 1;
    }
    mlirPassManagerDestroy(pm);
  }

  verifier v = {0};
  MlirDiagnosticHandlerID handler = 0;
  if (o.verify_diagnostics)
    handler = mlirContextAttachDiagnosticHandler(ctx, capture_diagnostic, &v, NULL);
  else
    tool_install_diagnostics(ctx, o.input);

  timing t = {0, 0};
  int failed = 0;
  if (tool_is_onnx_path(o.input)) {
    failed = process_chunk(ctx, NULL, 1, &o, &p, 1, &t, o.verify_diagnostics ? &v : NULL) != 0;
    if (o.verify_diagnostics)
      failed = verifier_check(&v, o.input) != 0;
  } else {
    size_t size = 0;
    char *text = tool_read_file(o.input, &size, &err);
    if (text && cli_check_text(o.input, text, size, &err)) {
      free(text);
      text = NULL;
    }
    if (!text) {
      fprintf(stderr, "sp-opt: error: %s\n", err.message);
      failed = 1;
    } else {
      // Chunks are separated by lines that are exactly "// -----".
      char *chunk = text;
      int line = 1, first = 1;
      while (chunk) {
        char *sep = NULL;
        if (o.split_input)
          for (char *s = strstr(chunk, "// -----"); s; s = strstr(s + 1, "// -----"))
            if ((s == text || s[-1] == '\n') && (s[8] == '\n' || s[8] == 0)) {
              sep = s;
              break;
            }
        if (sep)
          *sep = 0;
        int chunk_lines = 0;
        for (const char *c = chunk; *c; ++c)
          chunk_lines += *c == '\n';
        int chunk_failed = process_chunk(ctx, chunk, line, &o, &p, first, &t,
                                         o.verify_diagnostics ? &v : NULL) != 0;
        if (o.verify_diagnostics) {
          chunk_failed = verifier_check(&v, o.input) != 0;
          verifier_reset(&v);
        }
        failed |= chunk_failed;
        first = 0;
        line += chunk_lines + (sep ? 1 : 0);
        chunk = sep ? sep + 9 : NULL;
        if (sep && sep[8] == 0)
          chunk = NULL;
      }
      free(text);
    }
  }
  if (o.timing)
    print_timing(&p, &t);
  if (o.verify_diagnostics)
    mlirContextDetachDiagnosticHandler(ctx, handler);
  verifier_reset(&v);
  sp_pipeline_free(&p);
  sp_context_destroy(ctx);
  if (!failed && sp_output_check_stdout(&err)) {
    fprintf(stderr, "sp-opt: %s\n", err.message);
    failed = 1;
  }
  return failed ? 1 : 0;
}
