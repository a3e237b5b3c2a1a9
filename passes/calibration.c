/* Running a model on calibration data inside a pass, and block influence for
 * sp-prune{drop-layers calibration=DIR} (sp-recalibrate-bn uses the runner too).
 *
 * The measure is ShortGPT's block influence: 1 - cos(x, y) between a residual
 * block's input x (the shortcut) and output y (the Add result), each flattened
 * per sample (dim 0), averaged over every calibration sample. A block that
 * barely changes its input scores near 0 and goes first.
 *
 * Route (sp_calibration_run): clone the module, return the values to observe
 * (here every shortcut and Add result) as extra graph outputs of the clone (so fusion stays on and no ONNX names have to be
 * guessed), export it to a temporary ONNX file, run it with sp_runtime on
 * each calibration set, read the extra outputs by index. The runs use one
 * thread unless OMP_NUM_THREADS is set: sp-opt keeps libgomp's spinning wait
 * (sp-run switches to passive), and spinning workers made 4 resnet18 images
 * 5x slower on a busy 2-core machine than one thread. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "calibration.h"
#include "sp/progress.h"
#include "sp/dialect.h"
#include "sp/hashmap.h"
#include "sp/passes.h"
#include "sp/runtime.h"
#include "sp/translate.h"

static int is_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The calibration sets of dir: dir itself when it holds input_0.pb, else its
 * test_data_set_* subdirectories, sorted. NULL-terminated, malloc'ed. */
static char **list_sets(MlirOperation module, const char *pass, const char *dir) {
  char path[4096];
  struct stat st;
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
    sp_emit_error(module, "%s: calibration directory '%s': %s", pass, dir,
                  stat(dir, &st) != 0 ? strerror(errno) : "not a directory");
    return NULL;
  }
  char **sets = calloc(2, sizeof *sets);
  snprintf(path, sizeof path, "%s/input_0.pb", dir);
  if (is_file(path)) {
    sets[0] = strdup(dir);
    return sets;
  }
  DIR *d = opendir(dir);
  if (!d) {
    sp_emit_error(module, "%s: calibration directory '%s': %s", pass, dir, strerror(errno));
    free(sets);
    return NULL;
  }
  size_t n = 0, cap = 1;
  for (struct dirent *e; (e = readdir(d));) {
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    if (strncmp(e->d_name, "test_data_set_", 14) || stat(path, &st) || !S_ISDIR(st.st_mode))
      continue;
    if (n == cap)
      sets = realloc(sets, ((cap *= 2) + 1) * sizeof *sets);
    sets[n++] = strdup(path);
    sets[n] = NULL;
  }
  closedir(d);
  if (n == 0) {
    sp_emit_error(module, "%s: calibration directory '%s' has neither input_0.pb nor "
                          "test_data_set_* subdirectories", pass, dir);
    free(sets);
    return NULL;
  }
  qsort(sets, n, sizeof *sets, by_name);
  return sets;
}

static void free_sets(char **sets) {
  for (size_t i = 0; sets && sets[i]; ++i)
    free(sets[i]);
  free(sets);
}

/* The runtime's message without the temporary model's path in front. */
static const char *strip_path(const sp_error *err, const char *path) {
  size_t len = strlen(path);
  const char *m = err->message;
  return strncmp(m, path, len) == 0 && m[len] == ':' && m[len + 1] == ' ' ? m + len + 2 : m;
}

void sp_emit_at_node(MlirOperation module, const char *prefix, const char *msg) {
  MlirOperation at = module;
  const char *q = strstr(msg, "node '");
  if (q) {
    q += 6;
    const char *end = strchr(q, '\'');
    size_t len = end ? (size_t)(end - q) : 0;
    MlirOperation fn = sp_find_main(module);
    MlirBlock body = mlirRegionGetFirstBlock(mlirOperationGetRegion(fn, 0));
    for (MlirOperation op = mlirBlockGetFirstOperation(body); len && !mlirOperationIsNull(op);
         op = mlirOperationGetNextInBlock(op)) {
      char *name = sp_location_name(mlirOperationGetLocation(op), NULL);
      int hit = name && strlen(name) == len && strncmp(name, q, len) == 0;
      free(name);
      if (hit) {
        at = op;
        break;
      }
    }
  }
  sp_emit_error(at, "%s: %s", prefix, msg);
}

static void emit_at_node(MlirOperation module, const char *pass, const char *msg) {
  char prefix[256];
  snprintf(prefix, sizeof prefix, "%s: calibration", pass);
  sp_emit_at_node(module, prefix, msg);
}

static MlirOperation *body_ops(MlirBlock body, size_t *n) {
  size_t cap = 256;
  MlirOperation *ops = malloc(cap * sizeof *ops);
  *n = 0;
  for (MlirOperation op = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    if (*n == cap)
      ops = realloc(ops, (cap *= 2) * sizeof *ops);
    ops[(*n)++] = op;
  }
  return ops;
}

/* The value of the clone at the same place as v of the original. */
static MlirValue cloned_value(MlirValue v, const sp_map *index, MlirBlock clone_body,
                              MlirOperation *clone_ops) {
  if (mlirValueIsABlockArgument(v))
    return mlirBlockGetArgument(clone_body, mlirBlockArgumentGetArgNumber(v));
  intptr_t i = (intptr_t)sp_map_get_ptr(index, mlirOpResultGetOwner(v).ptr, NULL) - 1;
  return mlirOperationGetResult(clone_ops[i], mlirOpResultGetResultNumber(v));
}

/* Builds the clone with values[0..n) (values of module's main) returned
 * after the original results, and exports it to path. slot[i] is the output
 * index of values[i]. 0 or -1 (err set). */
static int export_probe(MlirOperation module, const MlirValue *values, size_t n,
                        const char *path, int *slot, sp_error *err) {
  MlirOperation fn = sp_find_main(module);
  MlirBlock body = mlirRegionGetFirstBlock(mlirOperationGetRegion(fn, 0));
  size_t n_ops = 0, n_clone_ops = 0;
  MlirOperation *ops = body_ops(body, &n_ops);
  sp_map index;
  sp_map_init(&index);
  for (size_t i = 0; i < n_ops; ++i)
    sp_map_put_ptr(&index, ops[i].ptr, (void *)(intptr_t)(i + 1));

  MlirOperation clone = mlirOperationClone(module);
  MlirOperation clone_fn = sp_find_main(clone);
  MlirBlock clone_body = mlirRegionGetFirstBlock(mlirOperationGetRegion(clone_fn, 0));
  MlirOperation *clone_ops = body_ops(clone_body, &n_clone_ops);
  MlirOperation ret = mlirBlockGetTerminator(clone_body);
  intptr_t n_ret = mlirOperationGetNumOperands(ret);
  MlirValue *results = malloc(((size_t)n_ret + n + 1) * sizeof *results);
  for (intptr_t i = 0; i < n_ret; ++i)
    results[i] = mlirOperationGetOperand(ret, i);
  intptr_t n_results = n_ret;
  sp_map added; // clone value -> output index + 1
  sp_map_init(&added);
  for (size_t i = 0; i < n; ++i) {
    MlirValue v = cloned_value(values[i], &index, clone_body, clone_ops);
    intptr_t at = (intptr_t)sp_map_get_ptr(&added, v.ptr, NULL);
    if (!at) {
      results[n_results++] = v;
      at = n_results;
      sp_map_put_ptr(&added, v.ptr, (void *)at);
    }
    slot[i] = (int)(at - 1);
  }
  mlirOperationSetOperands(ret, n_results, results);
  MlirContext ctx = mlirOperationGetContext(module);
  intptr_t n_args = mlirBlockGetNumArguments(clone_body);
  MlirType *types = malloc(((size_t)(n_args + n_results) + 1) * sizeof *types);
  for (intptr_t i = 0; i < n_args; ++i)
    types[i] = mlirValueGetType(mlirBlockGetArgument(clone_body, i));
  for (intptr_t i = 0; i < n_results; ++i)
    types[n_args + i] = mlirValueGetType(results[i]);
  mlirOperationSetAttributeByName(
      clone_fn, sp_str("function_type"),
      mlirTypeAttrGet(mlirFunctionTypeGet(ctx, n_args, types, n_results, types + n_args)));
  sp_onnx_save_options save = {0};
  int rc = sp_export_onnx(mlirModuleFromOperation(clone), path, &save, err);
  mlirOperationDestroy(clone);
  free(types);
  free(results);
  free(ops);
  free(clone_ops);
  sp_map_free(&index);
  sp_map_free(&added);
  return rc;
}

static double elem(const sp_tensor *t, int64_t i) {
  switch (t->elem_type) {
  case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: return ((const float *)t->data)[i];
  case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: return ((const double *)t->data)[i];
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: return (double)((const int64_t *)t->data)[i];
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: return ((const int32_t *)t->data)[i];
  default: return 0;
  }
}

/* Adds cos(x_s, y_s) of every sample s (dim 0) to *sum; returns the count. */
static int64_t add_cosines(const sp_tensor *x, const sp_tensor *y, double *sum) {
  int64_t samples = x->rank > 0 ? x->dims[0] : 1;
  if (samples <= 0 || x->numel != y->numel)
    return 0;
  int64_t per = x->numel / samples;
  int plain = x->elem_type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT &&
              y->elem_type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
  for (int64_t s = 0; s < samples; ++s) {
    double xy = 0, xx = 0, yy = 0;
    if (plain) {
      const float *a = (const float *)x->data + s * per, *b = (const float *)y->data + s * per;
      for (int64_t i = 0; i < per; ++i) {
        xy += (double)a[i] * b[i];
        xx += (double)a[i] * a[i];
        yy += (double)b[i] * b[i];
      }
    } else {
      for (int64_t i = s * per; i < (s + 1) * per; ++i) {
        double a = elem(x, i), b = elem(y, i);
        xy += a * b;
        xx += a * a;
        yy += b * b;
      }
    }
    // Two zero vectors are the same; one zero vector shares nothing.
    *sum += xx == 0 && yy == 0 ? 1.0 : xx == 0 || yy == 0 ? 0.0 : xy / sqrt(xx * yy);
  }
  return samples;
}

/* Binds set/input_K.pb to the graph inputs (by name when every file names a
 * different input, else in order). 0 or -1 (error emitted). */
static int bind_set(MlirOperation module, const char *pass, sp_runtime *rt, const char *set,
                    const char *model) {
  int n_inputs = sp_runtime_num_inputs(rt);
  enum { MAX_FILES = 256 };
  sp_tensor *files[MAX_FILES];
  char *paths[MAX_FILES + 1];
  int n = 0, rc = 0;
  sp_error err;
  for (; n < MAX_FILES; ++n) {
    paths[n] = malloc(strlen(set) + 32);
    sprintf(paths[n], "%s/input_%d.pb", set, n);
    if (!is_file(paths[n]))
      break;
    if (sp_tensor_read_pb(paths[n], &files[n], &err)) {
      sp_emit_error(module, "%s: calibration: %s", pass, err.message);
      rc = -1;
      break;
    }
  }
  int n_paths = n < MAX_FILES ? n + 1 : n;
  int named = n > 0 && !rc;
  for (int i = 0; i < n && named; ++i) {
    int found = 0;
    for (int k = 0; k < n_inputs; ++k)
      found |= !strcmp(files[i]->name, sp_runtime_input_info(rt, k)->name);
    for (int j = 0; j < i; ++j)
      found &= strcmp(files[i]->name, files[j]->name) != 0;
    named = found;
  }
  if (!rc && !named && n < n_inputs) {
    sp_emit_error(module, "%s: calibration: no %s/input_%d.pb for graph input '%s'", pass,
                  set, n, sp_runtime_input_info(rt, n)->name);
    rc = -1;
  } else if (!rc && !named && n > n_inputs) {
    sp_emit_error(module, "%s: calibration: %s has no graph input to bind to (the model "
                          "has %d)", pass, paths[n_inputs], n_inputs);
    rc = -1;
  }
  for (int i = 0; i < n && !rc; ++i) {
    const char *name = named ? files[i]->name : sp_runtime_input_info(rt, i)->name;
    if (sp_runtime_bind(rt, name, files[i]->elem_type, files[i]->rank, files[i]->dims,
                        files[i]->data, &err)) {
      sp_emit_error(module, "%s: calibration: %s does not fit graph input '%s': %s", pass,
                    paths[i], name, strip_path(&err, model));
      rc = -1;
    }
  }
  for (int i = 0; i < n; ++i)
    sp_tensor_free(files[i]);
  for (int i = 0; i < n_paths; ++i)
    free(paths[i]);
  return rc;
}

int sp_calibration_run(MlirOperation module, const char *pass, const char *dir,
                       const MlirValue *values, size_t n, sp_calibration_fn fn, void *user) {
  char **sets = list_sets(module, pass, dir);
  if (!sets)
    return -1;
  const char *tmp = getenv("TMPDIR");
  char tmpdir[4096], path[4200];
  snprintf(tmpdir, sizeof tmpdir, "%s/sp-calibration-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(tmpdir)) {
    sp_emit_error(module, "%s: calibration: cannot create a directory in %s: %s", pass,
                  tmp && *tmp ? tmp : "/tmp", strerror(errno));
    free_sets(sets);
    return -1;
  }
  snprintf(path, sizeof path, "%s/model.onnx", tmpdir);
  int *slot = malloc((n + 1) * sizeof *slot);
  const sp_tensor **out = malloc((n + 1) * sizeof *out);
  sp_runtime *rt = NULL;
  sp_error err;
  int rc = export_probe(module, values, n, path, slot, &err);
  if (rc)
    sp_emit_error(module, "%s: calibration: cannot export the model: %s", pass, err.message);
  else if ((rc = sp_runtime_load(path, &rt, &err)) != 0)
    emit_at_node(module, pass, strip_path(&err, path));
  unlink(path); // the runtime keeps its mapping
  rmdir(tmpdir);
#ifdef _OPENMP
  int threads = omp_get_max_threads();
  if (!getenv("OMP_NUM_THREADS"))
    omp_set_num_threads(1);
#endif
  size_t num_sets = 0;
  while (sets[num_sets])
    ++num_sets;
  char label[96];
  snprintf(label, sizeof label, "%s: calibration", pass);
  sp_progress bar;
  sp_progress_start(&bar, label, (int64_t)num_sets, 0);
  for (size_t s = 0; !rc && sets[s]; ++s) {
    sp_progress_update(&bar, (int64_t)s, NULL);
    if ((rc = bind_set(module, pass, rt, sets[s], path)))
      break;
    if ((rc = sp_runtime_run(rt, &err))) {
      emit_at_node(module, pass, strip_path(&err, path));
      break;
    }
    for (size_t i = 0; i < n; ++i)
      out[i] = sp_runtime_output(rt, slot[i]);
    char batch[4200];
    snprintf(batch, sizeof batch, "%s/input_1.pb", sets[s]);
    if (!is_file(batch))
      snprintf(batch, sizeof batch, "%s/input_0.pb", sets[s]);
    else
      snprintf(batch, sizeof batch, "%s", sets[s]);
    rc = fn(user, batch, out, n);
  }
  sp_progress_update(&bar, (int64_t)num_sets, NULL);
  sp_progress_finish(&bar);
#ifdef _OPENMP
  omp_set_num_threads(threads);
#endif
  sp_runtime_free(rt);
  free(out);
  free(slot);
  free_sets(sets);
  return rc ? -1 : 0;
}

typedef struct influence_sums {
  const sp_residual_block *blocks;
  double *sum;
  int64_t *samples;
} influence_sums;

/* out holds (shortcut, Add result) of every block in turn. */
static int add_block_cosines(void *user, const char *batch, const sp_tensor *const *out,
                             size_t n) {
  influence_sums *acc = user;
  for (size_t b = 0; 2 * b < n; ++b) {
    acc->samples[b] += add_cosines(out[2 * b], out[2 * b + 1], &acc->sum[b]);
    // NaN would rank the blocks arbitrarily: which ones are dropped is a guess.
    if (!isfinite(acc->sum[b])) {
      sp_emit_error(acc->blocks[b].add, "sp-prune: calibration: NaN or Inf reaches this "
                                        "block on calibration batch '%s'", batch);
      return -1;
    }
  }
  return 0;
}

int sp_block_influence(MlirOperation module, const char *dir, const sp_residual_block *blocks,
                       size_t n, double *influence) {
  MlirValue *values = calloc(2 * n + 1, sizeof *values);
  for (size_t b = 0; b < n; ++b) {
    values[2 * b] = blocks[b].shortcut;
    values[2 * b + 1] = mlirOperationGetResult(blocks[b].add, 0);
  }
  influence_sums acc = {blocks, calloc(n + 1, sizeof *acc.sum),
                        calloc(n + 1, sizeof *acc.samples)};
  int rc = sp_calibration_run(module, "sp-prune", dir, values, 2 * n, add_block_cosines, &acc);
  for (size_t b = 0; !rc && b < n; ++b) {
    if (acc.samples[b] == 0) {
      sp_emit_error(blocks[b].add, "sp-prune: calibration: no samples reached this block "
                                   "(empty batch in '%s'?)", dir);
      rc = -1;
    } else {
      influence[b] = 1.0 - acc.sum[b] / (double)acc.samples[b];
    }
  }
  free(acc.samples);
  free(acc.sum);
  free(values);
  return rc ? -1 : 0;
}
