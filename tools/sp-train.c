/* sp-train - fine-tunes an ONNX classifier on the CPU (lib/train):
 *
 *   sp-train pruned.onnx --data fashion-mnist --epochs 3 --lr 0.01 -o tuned.onnx
 *   sp-train m.onnx --train-npy x.npy y.npy --val-npy vx.npy vy.npy \
 *            --mean 0.49,0.48,0.45 --std 0.25,0.24,0.26 --augment flip,crop=4 -o t.onnx
 *   sp-train char_lm.onnx --text train.txt --val-text val.txt -o tuned.onnx
 *
 * Trains on the training split (batches prepared on a loader thread),
 * evaluates top-1 on the validation split after each epoch, writes -o
 * atomically after each epoch (a checkpoint that is always a whole model)
 * and OUT.state beside it (what --resume continues from). */
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
#include "sp/shape.h"
#include "sp/progress.h"
#include "sp/train.h"
#ifdef SP_HAVE_MPI
#include "sp/train_mpi.h"
#endif

#define FASHION_MNIST "/usr/share/datasets/fashion-mnist"

/* The processes of a data-parallel run (mpirun -np N sp-train ...): every
 * rank shuffles alike and takes its slice of each global batch; rank 0
 * alone prints and writes. Alone: rank 0 of 1. */
typedef struct world {
  int rank, size;
  sp_collective sum;
} world;
static world the_world = {0, 1, {0}};

typedef struct options {
  const char *model, *output, *data, *log, *dump;
  const char *train_npy[2], *val_npy[2], *train_dir, *val_dir; /* other data than --data */
  const char *text, *val_text; /* character windows for a token model */
  int64_t seq_len, text_stride; /* 0: the model's sequence length */
  int64_t epochs, batch, threads, limit, seed, log_every;
  int eval_only;
  sp_normalize norm;
  sp_augment augment;
  int quiet, no_loader_thread, resume;
  int profile; /* SP_PROFILE_OPS or _NODES: time per op, forward and backward */
  const char **freeze; /* --freeze globs, argv's strings */
  sp_train_options train;
} options;

static void usage(FILE *out) {
  fprintf(out,
          "usage: sp-train MODEL.onnx DATA -o OUT.onnx [options]\n"
          "\n"
          "DATA is one of:\n"
          "  --data fashion-mnist[:DIR]  IDX files (default DIR " FASHION_MNIST "):\n"
          "                              train-* to train on, t10k-* to evaluate\n"
          "  --train-npy X.npy Y.npy     .npy arrays: X float32 or uint8 (N, ...), uint8\n"
          "                              read as p/255; Y int64 or int32 labels (N)\n"
          "  --train-dir DIR             TensorProto pairs DIR/input_N.pb, label_N.pb\n"
          "                              (float samples or batches, int64 labels)\n"
          "  --val-npy X.npy Y.npy, --val-dir DIR  data to evaluate after each epoch\n"
          "  --text FILE                 a text file for a character model (int64 input\n"
          "                              (batch, T), logits (batch, T, V)): token = byte\n"
          "                              value (< V), windows of T bytes, labels the next\n"
          "                              byte of each position; loss and bits per char\n"
          "  --val-text FILE             text to evaluate after each epoch (windows of T)\n"
          "  --seq-len T                 window length when the model's is dynamic\n"
          "  --text-stride S             bytes between training windows (default T)\n"
          "  --eval-only                 evaluate the validation data (or the training\n"
          "                              data without one) and exit; no -o\n"
          "\n"
          "  -o, --output FILE           the fine-tuned model, written after each epoch\n"
          "  --epochs N                  passes over the training set (default 1)\n"
          "  --batch B                   batch size (default 64); under mpirun the global\n"
          "                              batch, each rank taking its share\n"
          "  --lr LR                     learning rate (default 0.01)\n"
          "  --optimizer sgd|adamw       (default sgd)\n"
          "  --momentum M, --nesterov    SGD momentum (default 0.9)\n"
          "  --weight-decay WD           (default 0)\n"
          "  --schedule constant|step|cosine|one-cycle\n"
          "                              learning-rate schedule (default constant);\n"
          "                              one-cycle: OneCycleLR's, peak --lr\n"
          "  --pct-start P               one-cycle: share of steps going up (0.3)\n"
          "  --warmup STEPS              linear warm-up steps (default 0)\n"
          "  --step-size S, --gamma G    step schedule: lr * G every S steps\n"
          "  --loss xent|mse             cross-entropy (default), or mean squared\n"
          "                              error against the teacher's logits (or\n"
          "                              the one-hot labels without --teacher)\n"
          "  --teacher ORIG.onnx         distil from this model (run on each batch)\n"
          "  --kd-temp T, --kd-alpha A   A*T^2*KL(teacher/T || student/T) +\n"
          "                              (1-A)*cross-entropy (default 4, 0.5)\n"
          "  --freeze GLOB               keep parameters whose initializer name\n"
          "                              matches (fnmatch; repeatable) unchanged\n"
          "  --label-smoothing E         (default 0)\n"
          "  --clip-norm C               clip gradients to global L2 norm C\n"
          "  --mean M[,M2,...], --std S[,S2,...]  values become (x - M) / S, per channel\n"
          "                              with lists (x = p/255 for bytes; default 0, 1)\n"
          "  --augment flip[,crop=P]     training batches only: random horizontal flip,\n"
          "                              random crop after padding P zeros (before --mean)\n"
          "  --no-loader-thread          prepare batches on the training thread (same\n"
          "                              batches, for comparison)\n"
          "  --limit N                   train on the first N samples only\n"
          "  --seed S                    shuffling and augmentation seed (default 1): same\n"
          "                              seed and --threads, same output bit for bit\n"
          "  --resume                    continue from -o and OUT.state (written\n"
          "                              after each epoch) with the same options\n"
          "  --threads T                 kernel threads (default: all cores, shared out\n"
          "                              between the ranks of this host under mpirun)\n"
          "  --log FILE                  per-epoch JSON lines (loss, accuracy, time)\n"
          "  --log-every N               also a JSON line every N steps (step, lr, loss)\n"
          "  --l1-bn L                   add L * sum |BN scale| to the loss (network slimming)\n"
          "  --gate-l1 L                 add L * sum |g| over the gates of sp-insert-gates\n"
          "                              (initializers named sp.gate.*) to the loss\n"
          "  --group-lasso L --groups G  add L * sum over units of the L2 norm of the unit's\n"
          "                              slices in every tensor of its group (G: JSON from\n"
          "                              sp-dependency-groups{export=G})\n"
          "  --dump-gradients DIR        one backward pass on the first batch, each\n"
          "                              parameter's gradient as DIR/<name>.pb; no training\n"
          "  --profile[=nodes]           after training: time per op type (or per node),\n"
          "                              forward and backward apart, and the rest of a step\n"
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
  OPT_LOG, OPT_DUMP, OPT_TRAIN_NPY, OPT_VAL_NPY, OPT_TRAIN_DIR, OPT_VAL_DIR, OPT_AUGMENT,
  OPT_NO_LOADER_THREAD, OPT_LOSS, OPT_TEACHER, OPT_KD_TEMP, OPT_KD_ALPHA, OPT_FREEZE,
  OPT_PCT_START, OPT_RESUME, OPT_LOG_EVERY, OPT_L1_BN, OPT_GATE_L1,
  OPT_GROUP_LASSO, OPT_GROUPS, OPT_PROFILE, OPT_TEXT, OPT_VAL_TEXT, OPT_SEQ_LEN,
  OPT_TEXT_STRIDE, OPT_EVAL_ONLY,
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
      {"train-npy", required_argument, NULL, OPT_TRAIN_NPY},
      {"val-npy", required_argument, NULL, OPT_VAL_NPY},
      {"train-dir", required_argument, NULL, OPT_TRAIN_DIR},
      {"val-dir", required_argument, NULL, OPT_VAL_DIR},
      {"augment", required_argument, NULL, OPT_AUGMENT},
      {"no-loader-thread", no_argument, NULL, OPT_NO_LOADER_THREAD},
      {"loss", required_argument, NULL, OPT_LOSS},
      {"teacher", required_argument, NULL, OPT_TEACHER},
      {"kd-temp", required_argument, NULL, OPT_KD_TEMP},
      {"kd-alpha", required_argument, NULL, OPT_KD_ALPHA},
      {"freeze", required_argument, NULL, OPT_FREEZE},
      {"pct-start", required_argument, NULL, OPT_PCT_START},
      {"resume", no_argument, NULL, OPT_RESUME},
      {"log-every", required_argument, NULL, OPT_LOG_EVERY},
      {"l1-bn", required_argument, NULL, OPT_L1_BN},
      {"gate-l1", required_argument, NULL, OPT_GATE_L1},
      {"group-lasso", required_argument, NULL, OPT_GROUP_LASSO},
      {"groups", required_argument, NULL, OPT_GROUPS},
      {"profile", optional_argument, NULL, OPT_PROFILE},
      {"text", required_argument, NULL, OPT_TEXT},
      {"val-text", required_argument, NULL, OPT_VAL_TEXT},
      {"seq-len", required_argument, NULL, OPT_SEQ_LEN},
      {"text-stride", required_argument, NULL, OPT_TEXT_STRIDE},
      {"eval-only", no_argument, NULL, OPT_EVAL_ONLY},
      {"quiet", no_argument, NULL, 'q'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  memset(o, 0, sizeof *o);
  sp_train_options_default(&o->train);
  o->epochs = 1, o->batch = 64, o->seed = 1;
  const char *mean = NULL, *std = NULL;
  if (!(o->freeze = calloc((size_t)argc, sizeof *o->freeze))) {
    fprintf(stderr, "sp-train: error: out of memory\n");
    return 1;
  }
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
      FLOAT_OPT(OPT_KD_TEMP, "--kd-temp", 1e-3, 1e3, o->train.kd_temperature)
      FLOAT_OPT(OPT_KD_ALPHA, "--kd-alpha", 0, 1, o->train.kd_alpha)
      FLOAT_OPT(OPT_PCT_START, "--pct-start", 0, 1, o->train.pct_start)
      FLOAT_OPT(OPT_L1_BN, "--l1-bn", 0, 1e6, o->train.l1_bn)
      FLOAT_OPT(OPT_GATE_L1, "--gate-l1", 0, 1e6, o->train.gate_l1)
      FLOAT_OPT(OPT_GROUP_LASSO, "--group-lasso", 0, 1e6, o->train.group_lasso)
#undef FLOAT_OPT
    case OPT_MEAN: mean = optarg; break;
    case OPT_STD: std = optarg; break;
    case OPT_TRAIN_NPY:
    case OPT_VAL_NPY: {
      const char **pair = c == OPT_TRAIN_NPY ? o->train_npy : o->val_npy;
      if (optind >= argc || argv[optind][0] == '-') {
        fprintf(stderr, "sp-train: error: --%s wants X.npy Y.npy\n",
                c == OPT_TRAIN_NPY ? "train-npy" : "val-npy");
        return 2;
      }
      pair[0] = optarg, pair[1] = argv[optind++];
      break;
    }
    case OPT_TRAIN_DIR: o->train_dir = optarg; break;
    case OPT_TEXT: o->text = optarg; break;
    case OPT_VAL_TEXT: o->val_text = optarg; break;
    case OPT_SEQ_LEN: rc = cli_parse_int("--seq-len", optarg, 1, 1 << 24, &o->seq_len, &err); break;
    case OPT_TEXT_STRIDE:
      rc = cli_parse_int("--text-stride", optarg, 1, 1 << 24, &o->text_stride, &err);
      break;
    case OPT_EVAL_ONLY: o->eval_only = 1; break;
    case OPT_VAL_DIR: o->val_dir = optarg; break;
    case OPT_AUGMENT: rc = sp_augment_parse(optarg, &o->augment, &err); break;
    case OPT_NO_LOADER_THREAD: o->no_loader_thread = 1; break;
    case OPT_PROFILE:
      if (optarg && strcmp(optarg, "ops") && strcmp(optarg, "nodes"))
        rc = sp_error_set(&err, "--profile takes 'ops' or 'nodes', not '%s'", optarg);
      o->profile = optarg && !strcmp(optarg, "nodes") ? SP_PROFILE_NODES : SP_PROFILE_OPS;
      break;
    case OPT_NESTEROV: o->train.nesterov = 1; break;
    case OPT_TEACHER: o->train.teacher = optarg; break;
    case OPT_FREEZE: o->freeze[o->train.n_freeze++] = optarg; break;
    case OPT_RESUME: o->resume = 1; break;
    case OPT_LOG_EVERY:
      rc = cli_parse_int("--log-every", optarg, 1, INT64_MAX, &o->log_every, &err);
      break;
    case OPT_LOSS:
      if (!strcmp(optarg, "xent"))
        o->train.loss = SP_LOSS_XENT;
      else if (!strcmp(optarg, "mse"))
        o->train.loss = SP_LOSS_MSE;
      else
        rc = sp_error_set(&err, "--loss: '%s' is not xent or mse", optarg);
      break;
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
      else if (!strcmp(optarg, "one-cycle"))
        o->train.schedule = SP_SCHEDULE_ONE_CYCLE;
      else
        rc = sp_error_set(&err, "--schedule: '%s' is not constant, step, cosine or one-cycle",
                          optarg);
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
  if (sp_normalize_parse(mean, std, &o->norm, &err))
    return usage_error(&err);
  const int sources = !!o->data + !!o->train_npy[0] + !!o->train_dir + !!o->text;
  if (sources != 1) {
    fprintf(stderr, "sp-train: error: %s\n",
            sources ? "give one of --data, --train-npy, --train-dir, --text"
                    : "--data fashion-mnist[:DIR], --train-npy X Y, --train-dir DIR or "
                      "--text FILE is required");
    return 2;
  }
  if (!o->text && (o->val_text || o->seq_len || o->text_stride)) {
    fprintf(stderr, "sp-train: error: --val-text, --seq-len and --text-stride go with --text\n");
    return 2;
  }
  if (o->text && (o->val_npy[0] || o->val_dir)) {
    fprintf(stderr, "sp-train: error: --text is evaluated on --val-text\n");
    return 2;
  }
  if (o->text && (mean || std || o->augment.flip || o->augment.crop_pad)) {
    fprintf(stderr, "sp-train: error: --mean, --std and --augment do not apply to --text "
                    "(token ids are byte values)\n");
    return 2;
  }
  if (o->data && (strncmp(o->data, "fashion-mnist", 13) ||
                  (o->data[13] && o->data[13] != ':'))) {
    fprintf(stderr, "sp-train: error: --data: '%s' is not fashion-mnist[:DIR]\n", o->data);
    return 2;
  }
  if (o->val_npy[0] && o->val_dir) {
    fprintf(stderr, "sp-train: error: give one of --val-npy, --val-dir\n");
    return 2;
  }
  if (o->eval_only && (o->dump || o->resume)) {
    fprintf(stderr, "sp-train: error: --eval-only goes with neither --dump-gradients nor "
                    "--resume\n");
    return 2;
  }
  if (!o->output && !o->dump && !o->eval_only) {
    fprintf(stderr, "sp-train: error: -o OUT.onnx is required\n");
    return 2;
  }
  if (o->resume && o->dump) {
    fprintf(stderr, "sp-train: error: --resume and --dump-gradients do not go together\n");
    return 2;
  }
  o->train.freeze = o->freeze;
  o->train.seed = (uint64_t)o->seed;
  return 0;
}

/* The IDX files of one split of --data fashion-mnist[:DIR]. */
static void idx_paths(const options *o, const char *prefix, char *images, char *labels,
                      size_t size) {
  const char *dir = o->data[13] == ':' ? o->data + 14 : FASHION_MNIST;
  snprintf(images, size, "%s/%s-images-idx3-ubyte.gz", dir, prefix);
  snprintf(labels, size, "%s/%s-labels-idx1-ubyte.gz", dir, prefix);
}

static int load_split(const options *o, const char *prefix, sp_dataset *d, sp_error *err) {
  char images[4096], labels[4096];
  idx_paths(o, prefix, images, labels, sizeof images);
  /* mean 0, std 1: values p/255; the loader normalises each batch */
  return sp_dataset_load_idx(images, labels, 0.0f, 1.0f, d, err);
}

/* The model's first graph input that is not an initializer. */
static const Onnx__ValueInfoProto *model_input(const sp_onnx_model *m) {
  const Onnx__GraphProto *g = m->proto->graph;
  for (size_t i = 0; g && i < g->n_input; ++i) {
    int init = 0;
    for (size_t k = 0; k < g->n_initializer && !init; ++k)
      init = !strcmp(g->initializer[k]->name, g->input[i]->name);
    if (!init)
      return g->input[i];
  }
  return NULL;
}

/* Declared rank of v (-1 unknown) and its dims (-1 where not static). */
static int declared_shape(const Onnx__ValueInfoProto *v, int64_t *dims) {
  if (!v || !v->type || !v->type->tensor_type || !v->type->tensor_type->shape)
    return -1;
  const Onnx__TensorShapeProto *s = v->type->tensor_type->shape;
  if (s->n_dim > SP_MAX_RANK)
    return -1;
  for (size_t k = 0; k < s->n_dim; ++k)
    dims[k] = s->dim[k]->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE
                  ? s->dim[k]->dim_value : -1;
  return (int)s->n_dim;
}

static void format_dims(char *buf, size_t size, const int64_t *dims, int rank) {
  size_t len = 0;
  buf[0] = 0;
  for (int k = 0; k < rank && len < size; ++k) {
    char dim[32] = "?"; /* a dynamic dim */
    if (dims[k] >= 0)
      snprintf(dim, sizeof dim, "%lld", (long long)dims[k]);
    len += (size_t)snprintf(buf + len, size - len, "%s%s", k ? ", " : "(", dim);
  }
  if (len < size)
    snprintf(buf + len, size - len, rank ? ")" : "()");
}

/* Classes of output 0 (batch, classes): declared, else inferred from d's
 * sample dims; 0 when not static. */
static int64_t model_classes(sp_onnx_model *m, const sp_dataset *d) {
  const Onnx__GraphProto *g = m->proto->graph;
  int64_t out[SP_MAX_RANK];
  if (!g->n_output)
    return 0;
  int rank = declared_shape(g->output[0], out);
  if (rank == 2 && out[1] > 0)
    return out[1];
  const Onnx__ValueInfoProto *in = model_input(m);
  if (!in)
    return 0;
  sp_value_info override = {.name = in->name, .kind = SP_VALUE_TENSOR,
                            .elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT,
                            .rank = d->rank + 1};
  override.dims[0] = 1;
  for (int k = 0; k < d->rank; ++k)
    override.dims[1 + k] = d->sample_dims[k];
  sp_shape_options so = {.input_overrides = &override, .num_input_overrides = 1};
  sp_shape_table *table = NULL;
  int64_t classes = 0;
  if (!sp_infer_shapes(m, &so, &table, NULL)) { /* a failure is the runtime's to report */
    const sp_value_info *y = sp_shape_lookup(table, g->output[0]->name);
    if (y && y->rank == 2 && y->dims[1] > 0)
      classes = y->dims[1];
  }
  sp_shape_table_free(table);
  return classes;
}

/* The label_N.pb of folder dir that holds the labels of sample (into path). */
static void pb_label_file(const char *dir, int64_t sample, char *path, size_t size) {
  snprintf(path, size, "%s", dir);
  int64_t first = 0;
  for (long n = 0;; ++n) {
    char name[4096];
    snprintf(name, sizeof name, "%s/label_%ld.pb", dir, n);
    sp_tensor *t;
    sp_error ignored;
    if (sp_tensor_read_pb(name, &t, &ignored))
      return;
    first += t->numel;
    sp_tensor_free(t);
    if (sample < first) {
      snprintf(path, size, "%s", name);
      return;
    }
  }
}

/* Samples of d (read from what) fit the model's input, and its labels the
 * classes of output 0, where those are static. pb_dir: d came from that
 * folder (errors name the label file). */
static int check_fits(sp_onnx_model *m, const sp_dataset *d, const char *what,
                      const char *labels_what, const char *pb_dir, sp_error *err) {
  const Onnx__ValueInfoProto *in = model_input(m);
  int64_t dims[SP_MAX_RANK];
  const int rank = declared_shape(in, dims);
  int fits = rank < 0 || rank == d->rank + 1;
  for (int k = 1; fits && rank > 0 && k < rank; ++k)
    fits = dims[k] < 0 || dims[k] == d->sample_dims[k - 1];
  if (!fits) {
    char have[128], want[128];
    format_dims(have, sizeof have, d->sample_dims, d->rank);
    format_dims(want, sizeof want, dims + 1, rank - 1);
    return sp_error_set(err, "%s: samples are %s, the model's input '%s' takes %s", what, have,
                        in->name, want);
  }
  const int64_t classes = model_classes(m, d);
  for (int64_t k = 0; classes && d->classes > classes && k < d->count; ++k)
    if (d->labels[k] >= classes) {
      char file[4096];
      if (pb_dir)
        pb_label_file(pb_dir, k, file, sizeof file), labels_what = file;
      return sp_error_set(err, "%s: label %lld of sample %lld is outside [0, %lld), the "
                          "classes of the model's output '%s'", labels_what,
                          (long long)d->labels[k], (long long)k, (long long)classes,
                          m->proto->graph->output[0]->name);
    }
  return 0;
}

/* The training split and the one to evaluate on (count 0 when none). */
/* Output 0's dims for an int64 input (1, seq_len) by shape inference;
 * rank -1 when unknown. */
static int token_logits_dims(sp_onnx_model *m, const Onnx__ValueInfoProto *in, int64_t seq_len,
                             int64_t *dims) {
  sp_value_info override = {.name = in->name, .kind = SP_VALUE_TENSOR,
                            .elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__INT64, .rank = 2,
                            .dims = {1, seq_len}};
  sp_shape_options so = {.input_overrides = &override, .num_input_overrides = 1};
  sp_shape_table *table = NULL;
  int rank = -1;
  if (!sp_infer_shapes(m, &so, &table, NULL)) {
    const sp_value_info *y = sp_shape_lookup(table, m->proto->graph->output[0]->name);
    if (y && y->rank >= 0) {
      rank = y->rank;
      memcpy(dims, y->dims, (size_t)rank * sizeof *dims);
    }
  }
  sp_shape_table_free(table);
  return rank;
}

/* --text and --val-text: the model must take token ids (batch, T) and give
 * logits (batch, T, V); the files become windows of T bytes (token id =
 * byte, each below V) with the next byte of each position as its label. */
static int load_text(const options *o, sp_onnx_model *m, sp_dataset *train, sp_dataset *val,
                     sp_error *err) {
  const Onnx__ValueInfoProto *in = model_input(m);
  if (!in || !m->proto->graph->n_output)
    return sp_error_set(err, "%s: no input or no output", m->path);
  const int32_t type = in->type && in->type->tensor_type ? in->type->tensor_type->elem_type : 0;
  if (type != ONNX__TENSOR_PROTO__DATA_TYPE__INT64)
    return sp_error_set(err, "%s: input '%s' has element type %d; --text feeds token ids "
                        "(int64, element type 7)", m->path, in->name, (int)type);
  int64_t dims[SP_MAX_RANK];
  if (declared_shape(in, dims) != 2)
    return sp_error_set(err, "%s: input '%s' is not (batch, sequence); --text feeds windows "
                        "of characters", m->path, in->name);
  int64_t T = dims[1];
  if (T > 0 && o->seq_len && o->seq_len != T)
    return sp_error_set(err, "%s: input '%s' takes sequences of %lld, not --seq-len %lld",
                        m->path, in->name, (long long)T, (long long)o->seq_len);
  if (T <= 0 && !(T = o->seq_len))
    return sp_error_set(err, "%s: input '%s' has a dynamic sequence length: give --seq-len",
                        m->path, in->name);
  int64_t out[SP_MAX_RANK];
  const int out_rank = token_logits_dims(m, in, T, out);
  if (out_rank != 3 || out[1] != T || out[2] < 1) {
    char have[128] = "unknown";
    if (out_rank >= 0)
      format_dims(have, sizeof have, out, out_rank);
    return sp_error_set(err, "%s: output '%s' is %s for a window of %lld; --text needs "
                        "logits per position (batch, %lld, vocabulary)", m->path,
                        m->proto->graph->output[0]->name, have, (long long)T, (long long)T);
  }
  const int64_t vocab = out[2];
  if (sp_dataset_load_text(o->text, T, o->text_stride ? o->text_stride : T, vocab, train, err))
    return -1;
  /* validation windows do not overlap: each character is scored once */
  return o->val_text ? sp_dataset_load_text(o->val_text, T, T, vocab, val, err) : 0;
}

static int load_data(const options *o, sp_onnx_model *m, sp_dataset *train,
                     sp_dataset *val, sp_error *err) {
  if (o->text)
    return load_text(o, m, train, val, err);
  int64_t dims[SP_MAX_RANK];
  const int input_rank = declared_shape(model_input(m), dims);
  const int sample_rank = input_rank > 1 ? input_rank - 1 : 0;
  const char *what, *labels_what;
  char images[4096], labels[4096];
  if (o->data) {
    if (load_split(o, "train", train, err))
      return -1;
    idx_paths(o, "train", images, labels, sizeof images);
    what = images, labels_what = labels;
  } else if (o->train_npy[0]) {
    if (sp_dataset_load_npy(o->train_npy[0], o->train_npy[1], train, err))
      return -1;
    what = o->train_npy[0], labels_what = o->train_npy[1];
  } else {
    if (sp_dataset_load_pb_dir(o->train_dir, sample_rank, train, err))
      return -1;
    what = labels_what = o->train_dir;
  }
  if (!train->count)
    return sp_error_set(err, "%s: no samples to train on", what);
  if (check_fits(m, train, what, labels_what, o->train_dir, err) ||
      sp_normalize_check(&o->norm, train, what, err))
    return -1;
  if (o->val_npy[0]) {
    if (sp_dataset_load_npy(o->val_npy[0], o->val_npy[1], val, err))
      return -1;
    what = o->val_npy[0], labels_what = o->val_npy[1];
  } else if (o->val_dir) {
    if (sp_dataset_load_pb_dir(o->val_dir, sample_rank, val, err))
      return -1;
    what = labels_what = o->val_dir;
  } else if (o->data) {
    if (load_split(o, "t10k", val, err))
      return -1;
    idx_paths(o, "t10k", images, labels, sizeof images);
    what = images, labels_what = labels;
  } else {
    return 0;
  }
  if (val->rank != train->rank || memcmp(val->sample_dims, train->sample_dims,
                                         sizeof val->sample_dims))
    return sp_error_set(err, "%s: its samples' dims differ from the training data's", what);
  return check_fits(m, val, what, labels_what, o->val_dir, err);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void batch_dims(const sp_dataset *d, int64_t n, int64_t *dims) {
  dims[0] = n;
  for (int k = 0; k < d->rank; ++k)
    dims[1 + k] = d->sample_dims[k];
}

/* This rank's slice of the samples [*first, *first + *n). */
static void shard(int64_t *first, int64_t *n) {
  const int64_t per = *n / the_world.size, extra = *n % the_world.size, r = the_world.rank;
  *first += r * per + (r < extra ? r : extra);
  *n = per + (r < extra);
}

/* Top-1 over every label (each position of a text window) and the mean
 * cross-entropy in nats. */
static int evaluate(sp_trainer *t, const sp_dataset *test, const sp_normalize *norm,
                    int64_t batch, float *x, int64_t *labels, double *accuracy, double *xent,
                    sp_error *err) {
  int64_t correct = 0, rows = 0, dims[5], begin = 0, count = test->count;
  double sums[3] = {0};
  shard(&begin, &count); /* each rank scores its part of the test set */
  for (int64_t first = begin; first < begin + count; first += batch) {
    int64_t n = begin + count - first < batch ? begin + count - first : batch;
    sp_dataset_batch(test, norm, first, n, x, labels);
    batch_dims(test, n, dims);
    if (sp_trainer_eval_xent(t, x, dims, test->rank + 1, labels, &correct, &sums[1], &rows,
                             err))
      return -1;
  }
  sums[0] = (double)correct, sums[2] = (double)rows;
  if (the_world.size > 1 && the_world.sum.sum_f64(the_world.sum.ctx, sums, 3))
    return sp_error_set(err, "summing the test accuracy over processes failed");
  *accuracy = sums[2] > 0 ? sums[0] / sums[2] : 0;
  *xent = sums[2] > 0 ? sums[1] / sums[2] : 0;
  return 0;
}

/* One backward pass on the first batch; each gradient as DIR/<name>.pb. */
static int dump_gradients(sp_trainer *t, const options *o, const sp_dataset *train, float *x,
                          int64_t *labels, sp_error *err) {
  int64_t n = train->count < o->batch ? train->count : o->batch, dims[5];
  sp_dataset_batch(train, &o->norm, 0, n, x, labels);
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

/* Joins the ranks when mpirun started this process; 0 alone. Ranks past
 * 0 keep quiet about usage errors, which every rank finds alike. */
static int join_world(int *argc, char ***argv, sp_error *err) {
  const char *size = getenv("OMPI_COMM_WORLD_SIZE");
  if (!size)
    size = getenv("PMI_SIZE");
#ifdef SP_HAVE_MPI
  (void)size;
  if (!sp_mpi_launched())
    return 0;
  if (sp_mpi_start(argc, argv, &the_world.sum, &the_world.rank, &the_world.size))
    return sp_error_set(err, "MPI did not start");
  return 0;
#else
  (void)argc, (void)argv;
  if (size && strcmp(size, "1"))
    return sp_error_set(err, "started by an MPI launcher, but this sp-train was built "
                             "without MPI (install libopenmpi-dev and rebuild)");
  return 0;
#endif
}

/* After an error on one rank the others would wait in the next sum. */
static void leave_world(int failed) {
#ifdef SP_HAVE_MPI
  if (the_world.size > 1 && failed)
    sp_mpi_abort(1);
  if (sp_mpi_launched())
    sp_mpi_finish();
#else
  (void)failed;
#endif
}

/* Setup (loading the model and data) fails alike or on some ranks only:
 * every rank says whether it failed, the lowest failing rank alone prints,
 * and all stop cleanly. Returns whether any rank failed. */
static int any_rank_failed(int failed, int *print) {
  *print = failed;
  if (the_world.size < 2)
    return failed;
  double *flags = calloc((size_t)the_world.size, sizeof *flags);
  if (!flags || (flags[the_world.rank] = failed,
                 the_world.sum.sum_f64(the_world.sum.ctx, flags, (size_t)the_world.size))) {
    free(flags);
    return 1; /* cannot agree: abort at the end */
  }
  int first = -1;
  for (int r = the_world.size - 1; r >= 0; --r)
    if (flags[r] != 0)
      first = r;
  free(flags);
  *print = failed && first == the_world.rank;
  return first >= 0;
}

static int default_threads(void) {
#ifdef SP_HAVE_MPI
  if (the_world.size > 1) {
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int per = (int)(cores / sp_mpi_local_size());
    return per > 0 ? per : 1;
  }
#endif
  return 0;
}

int main(int argc, char **argv) {
  sp_output_remove_on_signal(); /* no temp file outlives Ctrl-C */
  cli_choose_omp_wait(argv);
  sp_error err = {{0}};
  if (join_world(&argc, &argv, &err)) {
    fprintf(stderr, "sp-train: error: %s\n", err.message);
    return 1;
  }
  options o;
  int saved_stderr = -1;
  if (the_world.rank > 0) { /* the same usage error once, from rank 0 */
    fflush(stderr);
    saved_stderr = dup(STDERR_FILENO);
    FILE *null = fopen("/dev/null", "w");
    if (null)
      dup2(fileno(null), STDERR_FILENO), fclose(null);
  }
  int rc = parse_options(argc, argv, &o);
  if (saved_stderr >= 0)
    fflush(stderr), dup2(saved_stderr, STDERR_FILENO), close(saved_stderr);
  if (rc) {
    free(o.freeze);
    leave_world(0);
    return rc;
  }
  if (the_world.rank > 0)
    o.quiet = 1, o.log = NULL;
  if (the_world.size > 1 && o.dump) {
    if (the_world.rank == 0)
      fprintf(stderr, "sp-train: error: --dump-gradients runs in one process, not under mpirun\n");
    free(o.freeze);
    leave_world(0);
    return 2;
  }
  sp_runtime_set_threads(o.threads ? (int)o.threads : default_threads());
  sp_dataset train = {0}, test = {0};
  sp_onnx_model *model = NULL;
  sp_trainer *t = NULL;
  sp_loader *loader = NULL;
  float *x = NULL;
  int64_t *labels = NULL;
  int started = 0, quiet_failure = 0; /* quiet: another rank failed and said why */
  FILE *log = NULL;
  char *state = NULL;
  rc = -1;
  if (sp_onnx_load(o.model, &model, &err) || load_data(&o, model, &train, &test, &err))
    goto out;
  if (o.limit && o.limit < train.count)
    train.count = o.limit;
  const int64_t steps_per_epoch = (train.count + o.batch - 1) / o.batch;
  o.train.total_steps = steps_per_epoch * o.epochs;
  if (sp_trainer_create(model, &o.train, &t, &err))
    goto out;
  if (the_world.size > 1)
    sp_trainer_set_collective(t, &the_world.sum);
  const int64_t label_size = sp_dataset_label_size(&train); /* a text window's: T */
  const int text = o.text != NULL;
  x = malloc((size_t)(o.batch * train.sample_size) * sizeof *x);
  labels = malloc((size_t)(o.batch * label_size) * sizeof *labels);
  if (!x || !labels) {
    sp_error_set(&err, "out of memory");
    goto out;
  }
  if (o.dump) {
    rc = dump_gradients(t, &o, &train, x, labels, &err);
    goto out;
  }
  if (o.eval_only) { /* the model as it is, on the validation data (else the training data) */
    const sp_dataset *set = test.count ? &test : &train;
    double accuracy, xent;
    if ((rc = evaluate(t, set, &o.norm, o.batch, x, labels, &accuracy, &xent, &err)))
      goto out;
    if (the_world.rank == 0) {
      printf("%s: top-1 %.4f%%, loss %.6f", set == &test ? "val" : "train", 100 * accuracy,
             xent);
      if (text)
        printf(", %.6f bits per character", xent / M_LN2);
      printf(" (%lld samples, %lld labels)\n", (long long)set->count,
             (long long)(set->count * label_size));
    }
    goto out;
  }
  size_t out_len = strlen(o.output);
  if (!(state = malloc(out_len + sizeof ".state"))) {
    sp_error_set(&err, "out of memory");
    goto out;
  }
  memcpy(state, o.output, out_len);
  memcpy(state + out_len, ".state", sizeof ".state");
  int64_t start_epoch = 0;
  if (o.resume) { /* the weights, moments and step count of the last epoch done */
    if (sp_trainer_load_state(t, state, &start_epoch, &err))
      goto out;
    if (sp_trainer_steps(t) != start_epoch * steps_per_epoch) {
      sp_error_set(&err, "%s: %lld steps in %lld epochs, this run takes %lld per epoch "
                   "(another --batch or --limit?)", state, (long long)sp_trainer_steps(t),
                   (long long)start_epoch, (long long)steps_per_epoch);
      goto out;
    }
  }
  const sp_loader_options lo = {
      .batch = o.batch, .epochs = o.epochs, .start_epoch = start_epoch,
      .seed = (uint32_t)o.seed, .shuffle = 1, .augment = o.augment, .norm = o.norm,
      /* SP_TRAIN_LOADER_THREAD=0 as --no-loader-thread, for tests */
      .threaded = !o.no_loader_thread && !(getenv("SP_TRAIN_LOADER_THREAD") &&
                                           !strcmp(getenv("SP_TRAIN_LOADER_THREAD"), "0"))};
  if (start_epoch < o.epochs && sp_loader_create(&train, &lo, &loader, &err))
    goto out;
  if (o.log && !(log = fopen(o.log, o.resume ? "a" : "w"))) {
    sp_error_set(&err, "cannot write '%s'", o.log);
    goto out;
  }
  started = 1;
  if (any_rank_failed(0, &quiet_failure)) { /* another rank's, already said */
    quiet_failure = 1;
    goto out;
  }
  double step_seconds = 0, data_seconds = 0; /* --profile */
  int64_t steps_timed = 0;
  rc = 0;
  if (start_epoch >= o.epochs && the_world.rank == 0) /* nothing left: the state's model */
    rc = sp_trainer_save(t, o.output, &err);
  for (int64_t epoch = start_epoch + 1; epoch <= o.epochs && !rc; ++epoch) {
    double t0 = now_s(), last_line = t0, loss_sum = 0, xent_sum = 0; /* xent: this rank's */
    int64_t done = 0, seen = 0, correct = 0; /* seen, correct: this rank's */
    char label[64];
    snprintf(label, sizeof label, "sp-train: epoch %lld/%lld", (long long)epoch,
             (long long)o.epochs);
    sp_progress bar;
    sp_progress_start(&bar, label, train.count, o.quiet || the_world.rank != 0);
    for (int64_t step = 0; step < steps_per_epoch && !rc; ++step) {
      sp_batch b;
      double ts = now_s();
      if ((rc = sp_loader_next(loader, &b, &err)))
        break;
      data_seconds += now_s() - ts;
      const int64_t n = b.n;
      if (n < the_world.size)
        continue; /* a last batch too small to give every rank a sample */
      int64_t mine = 0, my_n = n, dims[5];
      shard(&mine, &my_n); /* every rank loads the global batch alike */
      memcpy(dims, b.dims, sizeof dims);
      dims[0] = my_n;
      float loss, lr = sp_trainer_lr(t); /* loss: the global batch's */
      sp_runtime_set_profile(sp_trainer_runtime(t), o.profile);
      ts = now_s();
      rc = sp_trainer_step(t, b.x + mine * train.sample_size, dims, b.rank,
                           b.labels + mine * label_size, &loss, &err);
      step_seconds += now_s() - ts, ++steps_timed;
      sp_runtime_set_profile(sp_trainer_runtime(t), 0); /* evaluation is not timed */
      if (rc)
        break;
      seen += my_n;
      loss_sum += (double)loss * (double)n;
      xent_sum += sp_trainer_batch_xent(t) * (double)my_n;
      correct += sp_trainer_batch_correct(t);
      done += n;
      if (log && o.log_every && sp_trainer_steps(t) % o.log_every == 0)
        fprintf(log, "{\"step\": %lld, \"epoch\": %lld, \"lr\": %.9g, \"loss\": %.9g}\n",
                (long long)sp_trainer_steps(t), (long long)epoch, (double)lr, (double)loss);
      double el = now_s() - t0, rate = done / (el > 0 ? el : 1e-9);
      char detail[96];
      snprintf(detail, sizeof detail, "loss %.4f  acc %.2f%%  %.0f samples/s",
               loss_sum / (double)done,
               100.0 * (double)correct / (double)(seen * label_size), rate);
      if (bar.active) {
        sp_progress_update(&bar, done, detail);
      } else if (!o.quiet && now_s() - last_line >= 10) { /* logs: a line every 10 s */
        last_line = now_s();
        fprintf(stderr, "epoch %lld/%lld  %3d%%  %s  ETA %.0fs\n", (long long)epoch,
                (long long)o.epochs, (int)(100 * done / train.count), detail,
                (double)(train.count - done) / rate);
      }
    }
    sp_progress_finish(&bar);
    if (rc)
      break;
    double seconds = now_s() - t0, accuracy = 0, val_xent = 0;
    /* the state after the model: an interruption between the two resumes
     * from the state, which holds every value */
    if ((test.count && (rc = evaluate(t, &test, &o.norm, o.batch, x, labels, &accuracy,
                                      &val_xent, &err))) ||
        (the_world.rank == 0 && ((rc = sp_trainer_save(t, o.output, &err)) ||
                                 (rc = sp_trainer_save_state(t, state, epoch, &err)))))
      break;
    char top1[128] = "", bpc[64] = "";
    const double train_bpc = xent_sum / (double)seen / M_LN2; /* this rank's windows */
    if (test.count && text)
      snprintf(top1, sizeof top1, ", val %.4f bits per character (top-1 %.2f%%)",
               val_xent / M_LN2, 100 * accuracy);
    else if (test.count)
      snprintf(top1, sizeof top1, ", test top-1 %.2f%%", 100 * accuracy);
    if (text)
      snprintf(bpc, sizeof bpc, " (%.4f bits per character)", train_bpc);
    if (!o.quiet)
      fprintf(stderr, "epoch %lld/%lld: loss %.4f%s%s, %.1f s (%.0f samples/s)\n",
              (long long)epoch, (long long)o.epochs,
              loss_sum / (double)done, bpc, top1, seconds, (double)done / seconds);
    if (log) {
      char top1_json[128] = "", bpc_json[64] = "";
      if (test.count)
        snprintf(top1_json, sizeof top1_json, ", \"test_top1\": %.6f, \"test_loss\": %.6f",
                 accuracy, val_xent);
      if (test.count && text)
        snprintf(top1_json + strlen(top1_json), sizeof top1_json - strlen(top1_json),
                 ", \"val_bpc\": %.6f", val_xent / M_LN2);
      if (text)
        snprintf(bpc_json, sizeof bpc_json, ", \"train_bpc\": %.6f", train_bpc);
      fprintf(log,
              "{\"epoch\": %lld, \"loss\": %.6f, \"train_top1\": %.6f%s%s, \"seconds\": %.3f, "
              "\"samples_per_second\": %.1f, \"lr\": %.6g}\n",
              (long long)epoch, loss_sum / (double)done,
              (double)correct / (double)(seen * label_size), bpc_json, top1_json, seconds,
              (double)done / seconds, (double)sp_trainer_lr(t));
      fflush(log); /* a whole line per epoch for whoever follows the log */
    }
  }
  if (!rc && o.profile && the_world.rank == 0 && steps_timed) {
    fprintf(stderr,
            "profile: %lld steps %.3f ms (the forward and backward below, then the loss\n"
            "  and the optimizer update), waiting for batches %.3f ms\n",
            (long long)steps_timed, 1e3 * step_seconds, 1e3 * data_seconds);
    sp_runtime_profile_print(sp_trainer_runtime(t), stderr);
  }
out:
  sp_loader_free(loader); /* joins the loader thread, also after an error */
  if (log && fclose(log) && !rc)
    rc = sp_error_set(&err, "cannot write '%s'", o.log);
  if (!rc && sp_output_check_stdout(&err))
    rc = -1;
  int print_error = rc != 0 && !quiet_failure, agreed = quiet_failure;
  if (!started) { /* meets the ranks that set up fine in any_rank_failed */
    any_rank_failed(rc != 0, &print_error);
    agreed = 1;
  }
  if (rc && print_error && the_world.size > 1)
    fprintf(stderr, "sp-train: error: rank %d: %s\n", the_world.rank, err.message);
  else if (rc && print_error)
    fprintf(stderr, "sp-train: error: %s\n", err.message);
  leave_world(rc != 0 && !agreed);
  free(x);
  free(labels);
  free(state);
  free(o.freeze);
  sp_trainer_free(t);
  sp_onnx_free(model);
  sp_dataset_free(&train);
  sp_dataset_free(&test);
  return rc ? 1 : 0;
}
