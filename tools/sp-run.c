/* sp-run: execute an ONNX model on the CPU with sp's runtime.
 *
 *   sp-run model.onnx [--input-dir DIR] [--output-dir DIR]
 *          [--random [--seed S]] [--dim NAME=VALUE]... [--threads T]
 *          [--bench N] [--eval-idx IMAGES LABELS [--mean M] [--std S]]
 *
 * Inputs and outputs are TensorProto files in ONNX's test-data layout
 * (input_0.pb, ... in graph-input order; output_0.pb, ...). Exit status:
 * 0 ok, 1 error, 2 usage, 3 the model needs an op or type with no kernel. */
#include <errno.h>
#include <float.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "sp/output.h"
#include "sp/progress.h"
#include "sp/runtime.h"
#include "sp/train.h"

#define MAX_DIMS 32

typedef struct options {
  const char *model, *input_dir, *output_dir;
  int random;
  uint32_t seed;
  const char *dim_names[MAX_DIMS];
  int64_t dim_values[MAX_DIMS];
  int n_dims;
  int threads;
  int bench;
  const char *eval_images, *eval_labels;
  float mean, std;
  int batch;
  int quiet;
  int profile;
} options;

static void usage(FILE *out) {
  fprintf(out,
          "usage: sp-run MODEL.onnx [options]\n"
          "\n"
          "  --input-dir DIR       read DIR/input_0.pb, input_1.pb, ... (by name when every\n"
          "                        file has a name, else in graph-input order)\n"
          "  --output-dir DIR      write DIR/output_0.pb, ... (graph-output order)\n"
          "  --random              random inputs (floats uniform in [0,1), ints 0)\n"
          "  --seed S              seed of --random (default 1)\n"
          "  --dim NAME=VALUE      value of a symbolic dimension (default 1); repeatable\n"
          "  --threads T           kernel and OpenBLAS threads, 1 to 1024 (default: all\n"
          "                        cores)\n"
          "  --bench N             N >= 1 timed runs after 3 warm-up runs; prints\n"
          "                        'latency_ms median=X min=Y'\n"
          "  --eval-idx IMAGES LABELS\n"
          "                        top-1 accuracy of a classifier on IDX files (.gz or\n"
          "                        plain); pixels become (x/255 - mean) / std\n"
          "  --mean M, --std S     normalisation of --eval-idx (default 0 and 1)\n"
          "  --batch B             batch size of --eval-idx (default 100)\n"
          "  --profile[=nodes]     with --bench: time per op type (or per node)\n"
          "                        on stderr\n"
          "  --blas-core           print OpenBLAS's core type (and a hint if it is\n"
          "                        weaker than the CPU) and exit\n"
          "  --version             print the version, the kernel set in use (SP_ISA=\n"
          "                        generic|avx2|avx512 forces one) and the OpenBLAS core\n"
          "  -q, --quiet           no output summary on stdout\n"
          "  -h, --help            this text\n"
          "\n"
          "Numbers are whole base-10 values (--dim, --threads, --bench, --batch, --seed\n"
          "up to 2^32-1); anything else is a usage error. A tensor may have at most 2^59\n"
          "elements. A model importing an opset newer than sp knows (%d) runs with a\n"
          "warning on stderr, its ops read as that opset defines them.\n",
          SP_ONNX_MAX_OPSET);
}

/* Three lines: version; kernel set in use and the ones this CPU runs;
 * OpenBLAS core (and the hint when it is weaker than the CPU). */
static void print_version(void) {
  static const char *const sets[] = {"generic", "avx2", "avx512"};
  printf("sp-run %s\n", SP_VERSION);
  printf("kernels: %s (this CPU runs:", sp_runtime_isa());
  for (size_t i = 0; i < sizeof sets / sizeof sets[0]; ++i)
    if (sp_runtime_isa_supported(sets[i]))
      printf(" %s", sets[i]);
  printf(")\n");
  char hint[256];
  const char *core = sp_runtime_blas_core(), *before = sp_runtime_blas_core_replaced();
  if (before)
    printf("openblas: %s (OpenBLAS chose %s; sp swapped it for this CPU, SP_BLAS_CORE=keep keeps it)\n",
           core, before);
  else
    printf("openblas: %s\n", core);
  if (sp_runtime_blas_check(hint, sizeof hint))
    fprintf(stderr, "%s\n", hint);
}

static int fail(int rc, const sp_error *err) {
  fprintf(stderr, "sp-run: error: %s\n", err->message);
  return rc == SP_RT_UNSUPPORTED ? 3 : 1;
}

/* A bad option value: its message, exit status 2 (usage). */
static int usage_error(const sp_error *err) {
  fprintf(stderr, "sp-run: error: %s\n", err->message);
  return 2;
}

/* sp_runtime_load, with a warning when the model's opset is newer than sp
 * knows: its ops then run as SP_ONNX_MAX_OPSET defines them. */
static int load(const char *path, sp_runtime **rt, sp_error *err) {
  sp_onnx_model *model;
  *rt = NULL;
  if (sp_onnx_load(path, &model, err))
    return -1;
  for (size_t i = 0; i < model->proto->n_opset_import; ++i) {
    const Onnx__OperatorSetIdProto *o = model->proto->opset_import[i];
    if ((!o->domain || !o->domain[0] || !strcmp(o->domain, "ai.onnx")) &&
        o->version > SP_ONNX_MAX_OPSET)
      fprintf(stderr, "sp-run: warning: %s: opset %lld is newer than supported (%d)\n", path,
              (long long)o->version, SP_ONNX_MAX_OPSET);
  }
  return sp_runtime_create(model, 1, rt, err);
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ---- inputs ---- */

/* Reads path (input_K.pb) into *out, saying what is wrong with it when it
 * is a directory or empty rather than a TensorProto. 1 if it does not exist. */
static int read_input_file(const char *path, sp_tensor **out, sp_error *err) {
  struct stat st;
  *out = NULL;
  if (stat(path, &st))
    return errno == ENOENT ? 1 : sp_error_set(err, "%s: %s", path, strerror(errno));
  if (S_ISDIR(st.st_mode))
    return sp_error_set(err, "%s: is a directory, not a TensorProto file", path);
  if (S_ISREG(st.st_mode) && st.st_size == 0)
    return sp_error_set(err, "%s: empty file (0 bytes), not a TensorProto", path);
  return sp_tensor_read_pb(path, out, err);
}

/* Binds DIR/input_0.pb, input_1.pb, ...: by name when every file names a
 * tensor (a name the model has no input for is an error, not a fallback to
 * position), else in graph-input order. */
static int bind_dir(sp_runtime *rt, const char *dir, sp_error *err) {
  struct stat st;
  if (stat(dir, &st))
    return sp_error_set(err, "--input-dir %s: %s", dir, strerror(errno));
  if (!S_ISDIR(st.st_mode))
    return sp_error_set(err, "--input-dir %s: not a directory", dir);
  int n_inputs = sp_runtime_num_inputs(rt);
  sp_tensor *files[256];
  char path[4096];
  int n = 0, rc = 0;
  for (; n < 256; ++n) {
    snprintf(path, sizeof path, "%s/input_%d.pb", dir, n);
    rc = read_input_file(path, &files[n], err);
    if (rc)
      break;
  }
  if (rc == 1)
    rc = 0;
  int by_name = n > 0;
  for (int i = 0; i < n && by_name; ++i)
    by_name = files[i]->name[0] != '\0';
  for (int i = 0; i < n && by_name && !rc; ++i)
    for (int j = 0; j < i && !rc; ++j)
      if (!strcmp(files[i]->name, files[j]->name))
        rc = sp_error_set(err, "%s/input_%d.pb and input_%d.pb both name input '%s'", dir,
                          j, i, files[i]->name);
  if (!rc && n == 0 && n_inputs > 0)
    rc = sp_error_set(err, "--input-dir %s: no input_0.pb (the model has %d input%s)", dir,
                      n_inputs, n_inputs == 1 ? "" : "s");
  else if (!rc && !by_name && n != n_inputs)
    rc = sp_error_set(err, "--input-dir %s: %d input files but the model has %d inputs", dir,
                      n, n_inputs);
  for (int i = 0; i < n && !rc; ++i) {
    const char *name = by_name ? files[i]->name : sp_runtime_input_info(rt, i)->name;
    rc = sp_runtime_bind(rt, name, files[i]->elem_type, files[i]->rank,
                         files[i]->dims, files[i]->data, err);
    if (rc) {
      snprintf(path, sizeof path, "%s/input_%d.pb", dir, i);
      sp_error_prefix(err, path);
    }
  }
  for (int k = 0; k < n_inputs && by_name && !rc; ++k) {
    const char *name = sp_runtime_input_info(rt, k)->name;
    int found = 0;
    for (int i = 0; i < n; ++i)
      found |= !strcmp(files[i]->name, name);
    if (!found)
      rc = sp_error_set(err, "--input-dir %s: no input_N.pb names input '%s'", dir, name);
  }
  for (int i = 0; i < n; ++i)
    sp_tensor_free(files[i]);
  return rc;
}

static uint32_t xorshift(uint32_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 17;
  *s ^= *s << 5;
  return *s;
}

static int bind_random(sp_runtime *rt, const options *o, sp_error *err) {
  uint32_t state = o->seed ? o->seed : 1;
  for (int i = 0; i < sp_runtime_num_inputs(rt); ++i) {
    const sp_value_info *info = sp_runtime_input_info(rt, i);
    if (info->rank < 0)
      return sp_error_set(err, "input '%s' has unknown rank", info->name);
    int64_t dims[SP_MAX_RANK];
    for (int d = 0; d < info->rank; ++d) {
      dims[d] = info->dims[d];
      if (dims[d] < 0) {
        dims[d] = 1;
        for (int k = 0; k < o->n_dims; ++k)
          if (info->dim_params[d] && !strcmp(info->dim_params[d], o->dim_names[k]))
            dims[d] = o->dim_values[k];
      }
    }
    int64_t numel = sp_onnx_dims_numel(dims, (size_t)info->rank);
    if (numel < 0) {
      char what[SP_ERROR_MAX];
      snprintf(what, sizeof what, "--random: input '%s'", info->name);
      return sp_onnx_numel_error(err, what, dims, (size_t)info->rank);
    }
    size_t es = sp_tensor_elem_size(info->elem_type);
    if (!es)
      return sp_error_set(err, "input '%s': element type %d is not supported",
                          info->name, (int)info->elem_type);
    void *data = calloc((size_t)(numel ? numel : 1), es);
    if (!data)
      return sp_error_set(err, "--random: input '%s': out of memory for %lld x %zu bytes",
                          info->name, (long long)numel, es);
    if (info->elem_type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
      for (int64_t k = 0; k < numel; ++k)
        ((float *)data)[k] = (float)(xorshift(&state) / 4294967296.0);
    else if (info->elem_type == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE)
      for (int64_t k = 0; k < numel; ++k)
        ((double *)data)[k] = xorshift(&state) / 4294967296.0;
    int rc = sp_runtime_bind(rt, info->name, info->elem_type, info->rank, dims,
                             data, err);
    free(data);
    if (rc)
      return rc;
  }
  return 0;
}

/* ---- outputs ---- */

static int write_outputs(sp_runtime *rt, const char *dir, sp_error *err) {
  if (mkdir(dir, 0777) && errno != EEXIST)
    return sp_error_set(err, "cannot create directory '%s': %s", dir, strerror(errno));
  char path[4096];
  for (int i = 0; i < sp_runtime_num_outputs(rt); ++i) {
    snprintf(path, sizeof path, "%s/output_%d.pb", dir, i);
    if (sp_tensor_write_pb(path, sp_runtime_output(rt, i), err))
      return -1;
  }
  return 0;
}

static void print_outputs(sp_runtime *rt) {
  for (int i = 0; i < sp_runtime_num_outputs(rt); ++i) {
    const sp_tensor *t = sp_runtime_output(rt, i);
    printf("%s: [", t->name);
    for (int d = 0; d < t->rank; ++d)
      printf("%s%lld", d ? ", " : "", (long long)t->dims[d]);
    printf("]");
    if (t->elem_type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT) {
      printf(" float:");
      for (int64_t k = 0; k < t->numel && k < 8; ++k)
        printf(" %g", ((const float *)t->data)[k]);
      if (t->numel > 8)
        printf(" ...");
    } else if (t->elem_type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64) {
      printf(" int64:");
      for (int64_t k = 0; k < t->numel && k < 8; ++k)
        printf(" %lld", (long long)((const int64_t *)t->data)[k]);
      if (t->numel > 8)
        printf(" ...");
    }
    printf("\n");
  }
}

/* ---- bench ---- */

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static int bench(sp_runtime *rt, int n, sp_error *err) {
  for (int i = 0; i < 3; ++i) {
    int rc = sp_runtime_run(rt, err);
    if (rc)
      return rc;
  }
  double *t = malloc((size_t)n * sizeof *t);
  if (!t)
    return sp_error_set(err, "out of memory");
  for (int i = 0; i < n; ++i) {
    double t0 = now_ms();
    int rc = sp_runtime_run(rt, err);
    if (rc) {
      free(t);
      return rc;
    }
    t[i] = now_ms() - t0;
  }
  qsort(t, (size_t)n, sizeof *t, cmp_double);
  double median = n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
  printf("latency_ms median=%.3f min=%.3f\n", median, t[0]);
  free(t);
  return 0;
}

/* ---- IDX evaluation ---- */

static int eval_idx(sp_runtime *rt, const options *o, sp_error *err) {
  sp_progress bar = {0}; /* inactive until started */
  sp_dataset d;
  if (sp_dataset_load_idx(o->eval_images, o->eval_labels, o->mean, o->std, &d, err))
    return -1;
  int rc = 0;
  if (sp_runtime_num_inputs(rt) != 1) {
    rc = sp_error_set(err, "--eval-idx needs a model with one input");
    goto done;
  }
  const sp_value_info *in = sp_runtime_input_info(rt, 0);
  int64_t dims[SP_MAX_RANK];
  int rank = in->rank > 0 ? in->rank : 4;
  const int64_t rows = d.sample_dims[1], cols = d.sample_dims[2], per = d.sample_size;
  int64_t correct = 0, done_n = 0;
  sp_progress_start(&bar, "sp-run: evaluation", d.count, o->quiet);
  for (int64_t start = 0; start < d.count; start += o->batch) {
    int64_t b = d.count - start < o->batch ? d.count - start : o->batch;
    dims[0] = b;
    if (rank == 4) {
      dims[1] = 1, dims[2] = rows, dims[3] = cols;
    } else if (rank == 3) {
      dims[1] = rows, dims[2] = cols;
    } else {
      dims[1] = per;
    }
    if ((rc = sp_runtime_bind(rt, in->name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, rank, dims,
                              d.x + start * per, err)) ||
        (rc = sp_runtime_run(rt, err)))
      goto done;
    const sp_tensor *y = sp_runtime_output(rt, 0);
    if (y->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT || y->numel % b) {
      rc = sp_error_set(err, "output 0 is not a float (batch, classes) tensor");
      goto done;
    }
    int64_t classes = y->numel / b;
    const float *p = y->data;
    for (int64_t i = 0; i < b; ++i) {
      int64_t best = 0;
      for (int64_t c = 1; c < classes; ++c)
        if (p[i * classes + c] > p[i * classes + best])
          best = c;
      correct += best == d.labels[start + i];
    }
    done_n += b;
    sp_progress_update(&bar, done_n, NULL);
  }
  printf("accuracy top1=%.4f (%lld/%lld)\n", done_n ? (double)correct / done_n : 0.0,
         (long long)correct, (long long)done_n);
done:
  sp_progress_finish(&bar);
  sp_dataset_free(&d);
  return rc;
}

enum {
  OPT_INPUT_DIR = 256, OPT_OUTPUT_DIR, OPT_RANDOM, OPT_SEED, OPT_DIM,
  OPT_THREADS, OPT_BENCH, OPT_EVAL, OPT_MEAN, OPT_STD, OPT_BATCH, OPT_CORE, OPT_PROFILE,
  OPT_VERSION
};

int main(int argc, char **argv) {
  sp_output_remove_on_signal(); // no temp file outlives Ctrl-C
  cli_choose_omp_wait(argv);
  static const struct option longopts[] = {
      {"input-dir", required_argument, NULL, OPT_INPUT_DIR},
      {"output-dir", required_argument, NULL, OPT_OUTPUT_DIR},
      {"random", no_argument, NULL, OPT_RANDOM},
      {"seed", required_argument, NULL, OPT_SEED},
      {"dim", required_argument, NULL, OPT_DIM},
      {"threads", required_argument, NULL, OPT_THREADS},
      {"bench", required_argument, NULL, OPT_BENCH},
      {"eval-idx", required_argument, NULL, OPT_EVAL},
      {"mean", required_argument, NULL, OPT_MEAN},
      {"std", required_argument, NULL, OPT_STD},
      {"batch", required_argument, NULL, OPT_BATCH},
      {"blas-core", no_argument, NULL, OPT_CORE},
      {"version", no_argument, NULL, OPT_VERSION},
      {"profile", optional_argument, NULL, OPT_PROFILE},
      {"quiet", no_argument, NULL, 'q'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  options o = {.seed = 1, .std = 1.0f, .batch = 100};
  sp_error err;
  int64_t num;
  double real;
  int c;
  while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
    switch (c) {
    case OPT_INPUT_DIR: o.input_dir = optarg; break;
    case OPT_OUTPUT_DIR: o.output_dir = optarg; break;
    case OPT_RANDOM: o.random = 1; break;
    case OPT_SEED:
      if (cli_parse_int("--seed", optarg, 0, UINT32_MAX, &num, &err))
        return usage_error(&err);
      o.seed = (uint32_t)num;
      break;
    case OPT_DIM: {
      size_t len;
      if (cli_parse_dim(optarg, &len, &num, &err))
        return usage_error(&err);
      if (o.n_dims == MAX_DIMS) {
        fprintf(stderr, "sp-run: error: --dim: more than %d dims\n", MAX_DIMS);
        return 2;
      }
      optarg[len] = '\0';
      o.dim_names[o.n_dims] = optarg;
      o.dim_values[o.n_dims++] = num;
      break;
    }
    case OPT_THREADS:
      if (cli_parse_int("--threads", optarg, 1, 1024, &num, &err))
        return usage_error(&err);
      o.threads = (int)num;
      break;
    case OPT_BENCH:
      if (cli_parse_int("--bench", optarg, 1, INT_MAX, &num, &err))
        return usage_error(&err);
      o.bench = (int)num;
      break;
    case OPT_EVAL:
      if (optind >= argc) {
        fprintf(stderr, "sp-run: error: --eval-idx wants IMAGES LABELS\n");
        return 2;
      }
      o.eval_images = optarg;
      o.eval_labels = argv[optind++];
      break;
    case OPT_MEAN:
      if (cli_parse_double("--mean", optarg, -FLT_MAX, FLT_MAX, &real, &err))
        return usage_error(&err);
      o.mean = (float)real;
      break;
    case OPT_STD:
      if (cli_parse_double("--std", optarg, -FLT_MAX, FLT_MAX, &real, &err))
        return usage_error(&err);
      if ((float)real == 0) {
        fprintf(stderr, "sp-run: error: --std: %s would divide every pixel by zero\n",
                optarg);
        return 2;
      }
      o.std = (float)real;
      break;
    case OPT_BATCH:
      if (cli_parse_int("--batch", optarg, 1, 1 << 20, &num, &err))
        return usage_error(&err);
      o.batch = (int)num;
      break;
    case OPT_CORE: {
      char hint[256];
      printf("%s\n", sp_runtime_blas_core());
      if (sp_runtime_blas_check(hint, sizeof hint))
        fprintf(stderr, "%s\n", hint);
      return 0;
    }
    case OPT_VERSION:
      print_version();
      return 0;
    case OPT_PROFILE:
      if (optarg && strcmp(optarg, "nodes") && strcmp(optarg, "ops")) {
        fprintf(stderr, "sp-run: error: --profile takes 'ops' or 'nodes'\n");
        return 2;
      }
      o.profile = optarg && !strcmp(optarg, "nodes") ? SP_PROFILE_NODES : SP_PROFILE_OPS;
      break;
    case 'q': o.quiet = 1; break;
    case 'h': usage(stdout); return 0;
    default: usage(stderr); return 2;
    }
  }
  if (optind != argc - 1) {
    usage(stderr);
    return 2;
  }
  o.model = argv[optind];
  sp_runtime_set_threads(o.threads);
  sp_runtime *rt;
  int rc = load(o.model, &rt, &err);
  if (rc)
    return fail(rc, &err);
  if (o.eval_images) {
    rc = eval_idx(rt, &o, &err);
    goto out;
  }
  if (o.input_dir)
    rc = bind_dir(rt, o.input_dir, &err);
  else if (o.random || o.bench)
    rc = bind_random(rt, &o, &err);
  else if (sp_runtime_num_inputs(rt) > 0)
    rc = sp_error_set(&err, "%s: inputs needed: use --input-dir or --random", o.model);
  if (rc)
    goto out;
  if (o.bench > 0) {
    /* timings are where a weaker BLAS core matters: say so once */
    char hint[256];
    if (sp_runtime_blas_check(hint, sizeof hint))
      fprintf(stderr, "%s\n", hint);
    sp_runtime_set_profile(rt, o.profile);
    rc = bench(rt, o.bench, &err);
    if (!rc && o.profile)
      sp_runtime_profile_print(rt, stderr);
  } else {
    rc = sp_runtime_run(rt, &err);
    if (!rc && o.output_dir)
      rc = write_outputs(rt, o.output_dir, &err);
    if (!rc && !o.output_dir && !o.quiet)
      print_outputs(rt);
  }
out:
  sp_runtime_free(rt);
  if (!rc && sp_output_check_stdout(&err))
    rc = -1;
  return rc ? fail(rc, &err) : 0;
}
