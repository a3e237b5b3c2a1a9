/* sp-train - fine-tunes an ONNX classifier on the CPU (lib/train):
 *
 *   sp-train pruned.onnx --data fashion-mnist --epochs 3 --lr 0.01 -o tuned.onnx
 *
 * Trains on the training split, evaluates top-1 on the test split after
 * each epoch, writes -o atomically after each epoch (a checkpoint that is
 * always a whole model). */
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "sp/output.h"
#include "sp/runtime.h"
#include "sp/train.h"

#define FASHION_MNIST "/usr/share/datasets/fashion-mnist"

typedef struct options {
  const char *model, *output, *data, *log, *dump;
  int64_t epochs, batch, threads, limit, seed;
  double mean, std;
  int quiet;
  sp_train_options train;
} options;

static void usage(FILE *out) {
  fprintf(out,
          "usage: sp-train MODEL.onnx --data fashion-mnist[:DIR] -o OUT.onnx [options]\n"
          "\n"
          "  --data fashion-mnist[:DIR]  IDX files (default DIR " FASHION_MNIST "):\n"
          "                              train-* to train on, t10k-* to evaluate\n"
          "  -o, --output FILE           the fine-tuned model, written after each epoch\n"
          "  --epochs N                  passes over the training set (default 1)\n"
          "  --batch B                   batch size (default 64)\n"
          "  --lr LR                     learning rate (default 0.01)\n"
          "  --optimizer sgd|adamw       (default sgd)\n"
          "  --momentum M, --nesterov    SGD momentum (default 0.9)\n"
          "  --weight-decay WD           (default 0)\n"
          "  --schedule constant|step|cosine  learning-rate schedule (default constant)\n"
          "  --warmup STEPS              linear warm-up steps (default 0)\n"
          "  --step-size S, --gamma G    step schedule: lr * G every S steps\n"
          "  --label-smoothing E         (default 0)\n"
          "  --clip-norm C               clip gradients to global L2 norm C\n"
          "  --mean M, --std S           pixels become (p/255 - M) / S (default 0, 1)\n"
          "  --limit N                   train on the first N samples only\n"
          "  --seed S                    shuffling seed (default 1)\n"
          "  --threads T                 kernel threads (default: all cores)\n"
          "  --log FILE                  per-epoch JSON lines (loss, accuracy, time)\n"
          "  --l1-bn L                   add L * sum |BN scale| to the loss (network slimming)\n"
          "  --group-lasso L --groups G  add L * sum over units of the L2 norm of the unit's\n"
          "                              slices in every tensor of its group (G: JSON from\n"
          "                              sp-dependency-groups{export=G})\n"
          "  --dump-gradients DIR        one backward pass on the first batch, each\n"
          "                              parameter's gradient as DIR/<name>.pb; no training\n"
          "  -q, --quiet                 no progress output\n"
          "  -h, --help                  this text\n");
}

static int usage_error(const sp_error *err) {
  fprintf(stderr, "sp-train: error: %s\n", err->message);
  return 2;
}

enum {
  OPT_DATA = 256, OPT_EPOCHS, OPT_BATCH, OPT_LR, OPT_OPTIMIZER, OPT_MOMENTUM,
  OPT_NESTEROV, OPT_WD, OPT_SCHEDULE, OPT_WARMUP, OPT_STEP_SIZE, OPT_GAMMA,
  OPT_SMOOTHING, OPT_CLIP, OPT_MEAN, OPT_STD, OPT_LIMIT, OPT_SEED, OPT_THREADS,
  OPT_LOG, OPT_DUMP, OPT_L1_BN, OPT_GROUP_LASSO, OPT_GROUPS,
};

static int parse_options(int argc, char **argv, options *o) {
  static const struct option longopts[] = {
      {"data", required_argument, NULL, OPT_DATA},
      {"output", required_argument, NULL, 'o'},
      {"epochs", required_argument, NULL, OPT_EPOCHS},
      {"batch", required_argument, NULL, OPT_BATCH},
      {"lr", required_argument, NULL, OPT_LR},
      {"optimizer", required_argument, NULL, OPT_OPTIMIZER},
      {"momentum", required_argument, NULL, OPT_MOMENTUM},
      {"nesterov", no_argument, NULL, OPT_NESTEROV},
      {"weight-decay", required_argument, NULL, OPT_WD},
      {"schedule", required_argument, NULL, OPT_SCHEDULE},
      {"warmup", required_argument, NULL, OPT_WARMUP},
      {"step-size", required_argument, NULL, OPT_STEP_SIZE},
      {"gamma", required_argument, NULL, OPT_GAMMA},
      {"label-smoothing", required_argument, NULL, OPT_SMOOTHING},
      {"clip-norm", required_argument, NULL, OPT_CLIP},
      {"mean", required_argument, NULL, OPT_MEAN},
      {"std", required_argument, NULL, OPT_STD},
      {"limit", required_argument, NULL, OPT_LIMIT},
      {"seed", required_argument, NULL, OPT_SEED},
      {"threads", required_argument, NULL, OPT_THREADS},
      {"log", required_argument, NULL, OPT_LOG},
      {"dump-gradients", required_argument, NULL, OPT_DUMP},
      {"l1-bn", required_argument, NULL, OPT_L1_BN},
      {"group-lasso", required_argument, NULL, OPT_GROUP_LASSO},
      {"groups", required_argument, NULL, OPT_GROUPS},
      {"quiet", no_argument, NULL, 'q'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  memset(o, 0, sizeof *o);
  sp_train_options_default(&o->train);
  o->epochs = 1, o->batch = 64, o->seed = 1, o->std = 1;
  sp_error err = {{0}};
  int c;
  double d;
  while ((c = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
    int rc = 0;
    switch (c) {
    case OPT_DATA: o->data = optarg; break;
    case 'o': o->output = optarg; break;
    case OPT_EPOCHS: rc = cli_parse_int("--epochs", optarg, 1, 100000, &o->epochs, &err); break;
    case OPT_BATCH: rc = cli_parse_int("--batch", optarg, 1, 1 << 20, &o->batch, &err); break;
    case OPT_LIMIT: rc = cli_parse_int("--limit", optarg, 1, INT64_MAX, &o->limit, &err); break;
    case OPT_SEED: rc = cli_parse_int("--seed", optarg, 0, UINT32_MAX, &o->seed, &err); break;
    case OPT_THREADS: rc = cli_parse_int("--threads", optarg, 1, 4096, &o->threads, &err); break;
    case OPT_WARMUP:
      rc = cli_parse_int("--warmup", optarg, 0, INT64_MAX, &o->train.warmup_steps, &err);
      break;
    case OPT_STEP_SIZE:
      rc = cli_parse_int("--step-size", optarg, 1, INT64_MAX, &o->train.step_size, &err);
      break;
#define FLOAT_OPT(ID, NAME, MIN, MAX, FIELD)                                    \
  case ID:                                                                     \
    if (!(rc = cli_parse_double(NAME, optarg, MIN, MAX, &d, &err)))            \
      FIELD = (float)d;                                                        \
    break;
      FLOAT_OPT(OPT_LR, "--lr", 0, 1e6, o->train.lr)
      FLOAT_OPT(OPT_MOMENTUM, "--momentum", 0, 1, o->train.momentum)
      FLOAT_OPT(OPT_WD, "--weight-decay", 0, 1e6, o->train.weight_decay)
      FLOAT_OPT(OPT_GAMMA, "--gamma", 0, 1e6, o->train.gamma)
      FLOAT_OPT(OPT_SMOOTHING, "--label-smoothing", 0, 1, o->train.label_smoothing)
      FLOAT_OPT(OPT_CLIP, "--clip-norm", 0, 1e30, o->train.clip_norm)
      FLOAT_OPT(OPT_L1_BN, "--l1-bn", 0, 1e6, o->train.l1_bn)
      FLOAT_OPT(OPT_GROUP_LASSO, "--group-lasso", 0, 1e6, o->train.group_lasso)
#undef FLOAT_OPT
    case OPT_MEAN: rc = cli_parse_double("--mean", optarg, -1e30, 1e30, &o->mean, &err); break;
    case OPT_STD: rc = cli_parse_double("--std", optarg, 1e-30, 1e30, &o->std, &err); break;
    case OPT_NESTEROV: o->train.nesterov = 1; break;
    case OPT_OPTIMIZER:
      if (!strcmp(optarg, "sgd"))
        o->train.optimizer = SP_OPTIM_SGD;
      else if (!strcmp(optarg, "adamw"))
        o->train.optimizer = SP_OPTIM_ADAMW;
      else
        rc = sp_error_set(&err, "--optimizer: '%s' is not sgd or adamw", optarg);
      break;
    case OPT_SCHEDULE:
      if (!strcmp(optarg, "constant"))
        o->train.schedule = SP_SCHEDULE_CONSTANT;
      else if (!strcmp(optarg, "step"))
        o->train.schedule = SP_SCHEDULE_STEP;
      else if (!strcmp(optarg, "cosine"))
        o->train.schedule = SP_SCHEDULE_COSINE;
      else
        rc = sp_error_set(&err, "--schedule: '%s' is not constant, step or cosine", optarg);
      break;
    case OPT_LOG: o->log = optarg; break;
    case OPT_DUMP: o->dump = optarg; break;
    case OPT_GROUPS: o->train.groups = optarg; break;
    case 'q': o->quiet = 1; break;
    case 'h': usage(stdout); exit(0);
    default: usage(stderr); return 2;
    }
    if (rc)
      return usage_error(&err);
  }
  if (optind != argc - 1) {
    fprintf(stderr, "sp-train: error: expected one model file\n");
    usage(stderr);
    return 2;
  }
  o->model = argv[optind];
  if (!o->data || strncmp(o->data, "fashion-mnist", 13) ||
      (o->data[13] && o->data[13] != ':')) {
    fprintf(stderr, "sp-train: error: --data fashion-mnist[:DIR] is required\n");
    return 2;
  }
  if (!o->output && !o->dump) {
    fprintf(stderr, "sp-train: error: -o OUT.onnx is required\n");
    return 2;
  }
  return 0;
}

static int load_split(const options *o, const char *prefix, sp_dataset *d, sp_error *err) {
  const char *dir = o->data[13] == ':' ? o->data + 14 : FASHION_MNIST;
  char images[4096], labels[4096];
  snprintf(images, sizeof images, "%s/%s-images-idx3-ubyte.gz", dir, prefix);
  snprintf(labels, sizeof labels, "%s/%s-labels-idx1-ubyte.gz", dir, prefix);
  return sp_dataset_load_idx(images, labels, (float)o->mean, (float)o->std, d, err);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint32_t next_random(uint32_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 17;
  *s ^= *s << 5;
  return *s;
}

/* Copies the samples order[first, first + n) into x, labels. */
static void gather(const sp_dataset *d, const int64_t *order, int64_t first, int64_t n, float *x,
                   int64_t *labels) {
  for (int64_t i = 0; i < n; ++i) {
    int64_t s = order ? order[first + i] : first + i;
    memcpy(x + i * d->sample_size, d->x + s * d->sample_size,
           (size_t)d->sample_size * sizeof *x);
    labels[i] = d->labels[s];
  }
}

static void batch_dims(const sp_dataset *d, int64_t n, int64_t *dims) {
  dims[0] = n;
  for (int k = 0; k < d->rank; ++k)
    dims[1 + k] = d->sample_dims[k];
}

static int evaluate(sp_trainer *t, const sp_dataset *test, int64_t batch, float *x,
                    int64_t *labels, double *accuracy, sp_error *err) {
  int64_t correct = 0, dims[5];
  for (int64_t first = 0; first < test->count; first += batch) {
    int64_t n = test->count - first < batch ? test->count - first : batch;
    gather(test, NULL, first, n, x, labels);
    batch_dims(test, n, dims);
    if (sp_trainer_eval(t, x, dims, test->rank + 1, labels, &correct, err))
      return -1;
  }
  *accuracy = test->count ? (double)correct / (double)test->count : 0;
  return 0;
}

/* One backward pass on the first batch; each gradient as DIR/<name>.pb. */
static int dump_gradients(sp_trainer *t, const options *o, const sp_dataset *train, float *x,
                          int64_t *labels, sp_error *err) {
  int64_t n = train->count < o->batch ? train->count : o->batch, dims[5];
  gather(train, NULL, 0, n, x, labels);
  batch_dims(train, n, dims);
  float loss;
  if (sp_trainer_backward(t, x, dims, train->rank + 1, labels, &loss, err))
    return -1;
  printf("loss %.9g\n", (double)loss);
  for (size_t i = 0; i < sp_trainer_num_params(t); ++i) {
    float *grad;
    int64_t numel;
    const char *name = sp_trainer_param(t, i, NULL, &grad, &numel);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.pb", o->dump, name);
    sp_tensor g = {name, 1 /* FLOAT */, 1, {numel}, numel, grad};
    if (sp_tensor_write_pb(path, &g, err))
      return -1;
  }
  return 0;
}

int main(int argc, char **argv) {
  sp_output_remove_on_signal(); /* no temp file outlives Ctrl-C */
  cli_choose_omp_wait(argv);
  options o;
  int rc = parse_options(argc, argv, &o);
  if (rc)
    return rc;
  sp_runtime_set_threads((int)o.threads);
  sp_error err = {{0}};
  sp_dataset train = {0}, test = {0};
  sp_onnx_model *model = NULL;
  sp_trainer *t = NULL;
  float *x = NULL;
  int64_t *labels = NULL;
  FILE *log = NULL;
  rc = -1;
  if (load_split(&o, "train", &train, &err) || load_split(&o, "t10k", &test, &err) ||
      sp_onnx_load(o.model, &model, &err))
    goto out;
  if (o.limit && o.limit < train.count)
    train.count = o.limit;
  const int64_t steps_per_epoch = (train.count + o.batch - 1) / o.batch;
  o.train.total_steps = steps_per_epoch * o.epochs;
  if (sp_trainer_create(model, &o.train, &t, &err))
    goto out;
  x = malloc((size_t)(o.batch * train.sample_size) * sizeof *x);
  labels = malloc((size_t)o.batch * sizeof *labels);
  int64_t *order = malloc((size_t)train.count * sizeof *order);
  if (!x || !labels || !order) {
    free(order);
    sp_error_set(&err, "out of memory");
    goto out;
  }
  if (o.dump) {
    free(order);
    rc = dump_gradients(t, &o, &train, x, labels, &err);
    goto out;
  }
  if (o.log && !(log = fopen(o.log, "w"))) {
    free(order);
    sp_error_set(&err, "cannot write '%s'", o.log);
    goto out;
  }
  const int tty = !o.quiet && isatty(STDERR_FILENO);
  uint32_t seed = (uint32_t)o.seed ? (uint32_t)o.seed : 1;
  for (int64_t i = 0; i < train.count; ++i)
    order[i] = i;
  rc = 0;
  for (int64_t epoch = 1; epoch <= o.epochs && !rc; ++epoch) {
    for (int64_t i = train.count - 1; i > 0; --i) { /* Fisher-Yates */
      int64_t j = next_random(&seed) % (uint64_t)(i + 1), s = order[i];
      order[i] = order[j], order[j] = s;
    }
    double t0 = now_s(), loss_sum = 0;
    int64_t done = 0, dims[5];
    for (int64_t first = 0; first < train.count && !rc; first += o.batch) {
      int64_t n = train.count - first < o.batch ? train.count - first : o.batch;
      gather(&train, order, first, n, x, labels);
      batch_dims(&train, n, dims);
      float loss;
      rc = sp_trainer_step(t, x, dims, train.rank + 1, labels, &loss, &err);
      loss_sum += (double)loss * (double)n;
      done += n;
      if (tty && !rc) {
        double el = now_s() - t0, rate = done / (el > 0 ? el : 1e-9);
        fprintf(stderr, "\repoch %lld/%lld  %3d%%  loss %.4f  %.0f samples/s  ETA %.0fs   ",
                (long long)epoch, (long long)o.epochs, (int)(100 * done / train.count),
                loss_sum / (double)done, rate, (double)(train.count - done) / rate);
      }
    }
    if (rc)
      break;
    double seconds = now_s() - t0, accuracy;
    if ((rc = evaluate(t, &test, o.batch, x, labels, &accuracy, &err)) ||
        (rc = sp_trainer_save(t, o.output, &err)))
      break;
    if (!o.quiet)
      fprintf(stderr, "%sepoch %lld/%lld: loss %.4f, test top-1 %.2f%%, %.1f s (%.0f samples/s)\n",
              tty ? "\r" : "", (long long)epoch, (long long)o.epochs,
              loss_sum / (double)done, 100 * accuracy, seconds, (double)done / seconds);
    if (log)
      fprintf(log,
              "{\"epoch\": %lld, \"loss\": %.6f, \"test_top1\": %.6f, \"seconds\": %.3f, "
              "\"samples_per_second\": %.1f, \"lr\": %.6g}\n",
              (long long)epoch, loss_sum / (double)done, accuracy, seconds,
              (double)done / seconds, (double)sp_trainer_lr(t));
  }
  free(order);
out:
  if (log && fclose(log) && !rc)
    rc = sp_error_set(&err, "cannot write '%s'", o.log);
  if (!rc && sp_output_check_stdout(&err))
    rc = -1;
  if (rc)
    fprintf(stderr, "sp-train: error: %s\n", err.message);
  free(x);
  free(labels);
  sp_trainer_free(t);
  sp_onnx_free(model);
  sp_dataset_free(&train);
  sp_dataset_free(&test);
  return rc ? 1 : 0;
}
