/* sp-finetune{data=fashion-mnist[:DIR] epochs=N lr=... ...}: fine-tunes the
 * module's model in place with the trainer of lib/train, so one sp-opt call
 * goes from a trained model to a pruned and recovered one:
 *
 *   sp-opt m.onnx -o small.onnx --pass-pipeline='builtin.module(sp-prune-cnn,
 *          sp-finetune{data=fashion-mnist mean=0.286 std=0.353 epochs=1})'
 *
 * The module is exported and trained through training_bridge.c; after the
 * last epoch the trained parameters and BatchNormalization running
 * statistics are written into the same nn.Initializer ops. Nothing else in
 * the module changes, and nothing changes at all when training fails. The
 * recipe is sp-train's (same options, defaults and shuffle), so the two give
 * the same weights at the same seed and thread count. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sp/passes.h"
#include "sp/progress.h"
#include "sp/runtime.h"
#include "sp/train.h"
#include "finetune.h"
#include "training_bridge.h"

#define PASS "sp-finetune"
#define FASHION_MNIST "/usr/share/datasets/fashion-mnist"

typedef struct finetune_options {
  const char *dir; /* IDX files: train-* and t10k-*, or NULL */
  /* other data: .npy pairs "X.npy,Y.npy" or input_N.pb/label_N.pb folders */
  const char *train_npy, *val_npy, *train_dir, *val_dir;
  int64_t epochs, batch, limit, seed, threads;
  sp_normalize norm;
  int quiet;
  sp_train_options train;
} finetune_options;

/* The pass arguments as trainer options; -1 (error emitted) on bad data=. */
static int read_options(MlirOperation module, const sp_pass_args *args, finetune_options *o) {
  memset(o, 0, sizeof *o);
  const char *data = sp_pass_arg_string(args, "data");
  o->train_npy = sp_pass_arg_string(args, "train-npy");
  o->val_npy = sp_pass_arg_string(args, "val-npy");
  o->train_dir = sp_pass_arg_string(args, "train-dir");
  o->val_dir = sp_pass_arg_string(args, "val-dir");
  int has_data = data && *data, has_npy = o->train_npy && *o->train_npy,
      has_dir = o->train_dir && *o->train_dir;
  if (has_data + has_npy + has_dir != 1) {
    sp_emit_error(module, PASS ": needs exactly one of data=fashion-mnist[:DIR] (IDX files "
                          "train-* to train on, t10k-* to evaluate), train-npy=X.npy,Y.npy "
                          "and train-dir=DIR");
    return -1;
  }
  if ((o->val_npy && *o->val_npy) + (o->val_dir && *o->val_dir) > has_npy + has_dir) {
    sp_emit_error(module, PASS ": val-npy= or val-dir= (one of them) goes with train-npy= "
                          "or train-dir=; data= evaluates on its t10k-* files");
    return -1;
  }
  if (has_data) {
    if (strncmp(data, "fashion-mnist", 13) || (data[13] && data[13] != ':') ||
        (data[13] == ':' && !data[14])) {
      sp_emit_error(module, PASS ": data='%s' is not fashion-mnist[:DIR] (IDX files; "
                            "train-npy= and train-dir= read other data)", data);
      return -1;
    }
    o->dir = data[13] == ':' ? data + 14 : FASHION_MNIST;
  }
  o->epochs = sp_pass_arg_int(args, "epochs");
  o->batch = sp_pass_arg_int(args, "batch");
  o->limit = sp_pass_arg_int(args, "limit");
  o->seed = sp_pass_arg_int(args, "seed");
  o->threads = sp_pass_arg_int(args, "threads");
  o->norm = (sp_normalize){.channels = 1,
                           .mean = {(float)sp_pass_arg_float(args, "mean")},
                           .std = {(float)sp_pass_arg_float(args, "std")}};
  o->quiet = sp_pass_arg_bool(args, "quiet");
  sp_train_options *t = &o->train;
  sp_train_options_default(t);
  t->optimizer = !strcmp(sp_pass_arg_string(args, "optimizer"), "adamw") ? SP_OPTIM_ADAMW
                                                                         : SP_OPTIM_SGD;
  const char *schedule = sp_pass_arg_string(args, "schedule");
  t->schedule = !strcmp(schedule, "cosine")      ? SP_SCHEDULE_COSINE
                : !strcmp(schedule, "step")      ? SP_SCHEDULE_STEP
                : !strcmp(schedule, "one-cycle") ? SP_SCHEDULE_ONE_CYCLE
                                                 : SP_SCHEDULE_CONSTANT;
  t->pct_start = (float)sp_pass_arg_float(args, "pct-start");
  const char *teacher = sp_pass_arg_string(args, "teacher");
  t->teacher = teacher && *teacher ? teacher : NULL;
  t->kd_temperature = (float)sp_pass_arg_float(args, "kd-temp");
  t->kd_alpha = (float)sp_pass_arg_float(args, "kd-alpha");
  t->loss = !strcmp(sp_pass_arg_string(args, "loss"), "mse") ? SP_LOSS_MSE : SP_LOSS_XENT;
  t->seed = (uint64_t)o->seed;
  t->lr = (float)sp_pass_arg_float(args, "lr");
  t->momentum = (float)sp_pass_arg_float(args, "momentum");
  t->nesterov = sp_pass_arg_bool(args, "nesterov");
  t->weight_decay = (float)sp_pass_arg_float(args, "weight-decay");
  t->label_smoothing = (float)sp_pass_arg_float(args, "label-smoothing");
  t->clip_norm = (float)sp_pass_arg_float(args, "clip-norm");
  t->gate_l1 = (float)sp_pass_arg_float(args, "gate-l1");
  t->warmup_steps = sp_pass_arg_int(args, "warmup");
  t->step_size = sp_pass_arg_int(args, "step-size");
  t->gamma = (float)sp_pass_arg_float(args, "gamma");
  return 0;
}

/* "X.npy,Y.npy" into d. */
static int load_npy_pair(const char *pair, sp_dataset *d, sp_error *err) {
  const char *comma = strchr(pair, ',');
  if (!comma || comma == pair || !comma[1] || strchr(comma + 1, ','))
    return sp_error_set(err, "'%s' is not X.npy,Y.npy", pair);
  char x[4096];
  snprintf(x, sizeof x, "%.*s", (int)(comma - pair), pair);
  return sp_dataset_load_npy(x, comma + 1, d, err);
}

/* The training split (val 0) or the evaluation split (val 1; an empty
 * dataset when there is none) of o's data. */
static int load_split(MlirOperation module, const finetune_options *o, int val,
                      sp_dataset *d) {
  sp_error err = {{0}};
  const char *what;
  int rc;
  if (o->dir) {
    char images[4096], labels[4096];
    const char *split = val ? "t10k" : "train";
    snprintf(images, sizeof images, "%s/%s-images-idx3-ubyte.gz", o->dir, split);
    snprintf(labels, sizeof labels, "%s/%s-labels-idx1-ubyte.gz", o->dir, split);
    rc = sp_dataset_load_idx(images, labels, 0.0f, 1.0f, d, &err); /* normalised per batch */
    what = o->dir;
  } else {
    const char *npy = val ? o->val_npy : o->train_npy, *dir = val ? o->val_dir : o->train_dir;
    if (npy && *npy)
      rc = load_npy_pair(npy, d, &err), what = npy;
    else if (dir && *dir)
      rc = sp_dataset_load_pb_dir(dir, 0, d, &err), what = dir;
    else
      return 0; // no evaluation split
  }
  if (rc) {
    sp_emit_error(module, PASS ": %s", err.message);
    return -1;
  }
  if (d->count == 0) {
    sp_emit_error(module, PASS ": %s holds no %s samples", what, val ? "evaluation" : "training");
    return -1;
  }
  return 0;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Top-1 on every sample of test (running statistics). */
static int evaluate(sp_trainer *t, const sp_dataset *test, const sp_normalize *norm,
                    int64_t batch, float *x, int64_t *labels, double *accuracy, sp_error *err) {
  int64_t correct = 0, dims[5] = {0};
  for (int64_t first = 0; first < test->count; first += batch) {
    int64_t n = test->count - first < batch ? test->count - first : batch;
    sp_dataset_batch(test, norm, first, n, x, labels);
    dims[0] = n;
    for (int k = 0; k < test->rank; ++k)
      dims[1 + k] = test->sample_dims[k];
    if (sp_trainer_eval(t, x, dims, test->rank + 1, labels, &correct, err))
      return -1;
  }
  *accuracy = (double)correct / (double)test->count;
  return 0;
}

/* The epochs: batches from sp-train's loader (the same shuffle, so the two
 * train alike), one step each, evaluate, one line to stderr. */
static int train(sp_train_bridge *b, const finetune_options *o, const sp_dataset *train_set,
                 const sp_dataset *test, double *top1) {
  sp_trainer *t = sp_train_bridge_trainer(b);
  const int64_t batch = o->batch;
  float *x = malloc((size_t)(batch * train_set->sample_size) * sizeof *x);
  int64_t *labels = malloc((size_t)batch * sizeof *labels);
  sp_error err = {{0}};
  sp_loader *loader = NULL;
  const sp_loader_options lo = {.batch = batch, .epochs = o->epochs, .seed = (uint32_t)o->seed,
                                .shuffle = 1, .norm = o->norm, .threaded = 1};
  int rc = 0;
  if (!x || !labels)
    rc = sp_error_set(&err, "out of memory for a batch of %lld", (long long)batch);
  else
    rc = sp_loader_create(train_set, &lo, &loader, &err);
  const int64_t steps = (train_set->count + batch - 1) / batch;
  for (int64_t epoch = 1; epoch <= o->epochs && !rc; ++epoch) {
    double t0 = now_s(), loss_sum = 0;
    char label[64], detail[64];
    snprintf(label, sizeof label, PASS ": epoch %lld/%lld", (long long)epoch,
             (long long)o->epochs);
    sp_progress bar;
    sp_progress_start(&bar, label, steps, o->quiet);
    for (int64_t step = 0; step < steps && !rc; ++step) {
      sp_batch bt;
      float loss;
      if (!(rc = sp_loader_next(loader, &bt, &err)) &&
          !(rc = sp_trainer_step(t, bt.x, bt.dims, bt.rank, bt.labels, &loss, &err)))
        loss_sum += (double)loss * (double)bt.n;
      snprintf(detail, sizeof detail, "loss %.4f", rc ? 0.0 : (double)loss);
      sp_progress_update(&bar, step + 1, detail);
    }
    sp_progress_finish(&bar);
    double seconds = now_s() - t0, accuracy = -1;
    if (!rc && test->count &&
        !(rc = evaluate(t, test, &o->norm, batch, x, labels, &accuracy, &err)) && top1)
      *top1 = accuracy;
    char val[96] = "";
    if (test->count)
      snprintf(val, sizeof val, ", val top-1 %.2f%% (%lld images)", 100 * accuracy,
               (long long)test->count);
    if (!rc && !o->quiet)
      fprintf(stderr,
              PASS ": epoch %lld/%lld: loss %.4f (%lld samples)%s, %.1f s (%.0f samples/s)\n",
              (long long)epoch, (long long)o->epochs, loss_sum / (double)train_set->count,
              (long long)train_set->count, val, seconds,
              (double)train_set->count / (seconds > 0 ? seconds : 1e-9));
  }
  sp_loader_free(loader);
  free(x);
  free(labels);
  return rc ? sp_train_bridge_emit(b, &err) : 0;
}

int sp_finetune_run(MlirOperation module, const sp_pass_args *args) {
  return sp_finetune_apply(module, args, NULL);
}

int sp_finetune_apply(MlirOperation module, const sp_pass_args *args, double *top1) {
  finetune_options o;
  if (read_options(module, args, &o))
    return -1;
  sp_dataset train_set = {0}, test = {0};
  sp_train_bridge *b = NULL;
  int rc = load_split(module, &o, 0, &train_set) || load_split(module, &o, 1, &test) ? -1 : 0;
  if (!rc && o.limit && o.limit < train_set.count)
    train_set.count = o.limit;
  o.train.total_steps = (train_set.count + o.batch - 1) / o.batch * o.epochs;
  if (!rc && o.threads)
    sp_runtime_set_threads((int)o.threads);
  if (!rc)
    rc = sp_train_bridge_create(module, PASS, &o.train, &b);
  if (!rc)
    rc = train(b, &o, &train_set, &test, top1);
  if (!rc)
    rc = sp_train_bridge_write_back(b, NULL);
  if (o.threads)
    sp_runtime_set_threads(0); // back to the default for later passes
  sp_train_bridge_free(b);
  sp_dataset_free(&train_set);
  sp_dataset_free(&test);
  return rc ? -1 : 0;
}
