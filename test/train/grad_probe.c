/* grad_probe.c - one training-mode forward and backward of any ONNX model
 * through the runtime, for the gradient tests (model_grad_test.py): models
 * whose inputs are not images or whose output is not (batch, classes)
 * logits, which sp-train's loss does not cover (token ids, sequence logits).
 *
 *   grad_probe MODEL DIR [--seed N]
 *   grad_probe MODEL DIR --trainer
 *
 * DIR holds input_<i>.pb for each graph input, dout_0.pb (d loss / d output
 * 0; ones when absent) and params.txt (the initializers to differentiate, one name a line).
 * Every float initializer is bound writable (BatchNormalization moves its
 * running statistics in training mode). Writes DIR/output_0.pb, DIR/grad/
 * <name>.pb for each parameter, and DIR/trainer_params.txt: the parameters
 * sp_trainer would train in this model (lib/train's choice), one a line.
 *
 * With --trainer it goes through lib/train instead: sp_trainer_backward on
 * input_0.pb (as floats, the trainer's interface) and labels.pb (int64, one
 * per row of the logits), writing DIR/loss.txt and DIR/trainer_grad/
 * <name>.pb for each parameter the trainer trains. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp/onnx.h"
#include "sp/runtime.h"
#include "sp/train.h"

static int fail(const char *what, sp_error *err) {
  fprintf(stderr, "grad_probe: %s: %s\n", what, err ? err->message : "");
  return 1;
}

/* sp_trainer_backward on DIR's input_0.pb and labels.pb. */
static int trainer_gradients(sp_onnx_model *model, const char *dir) {
  char path[4096];
  sp_error err = {0};
  sp_trainer *t;
  sp_train_options opt;
  sp_train_options_default(&opt);
  sp_tensor *x, *labels;
  snprintf(path, sizeof path, "%s/input_0.pb", dir);
  if (sp_tensor_read_pb(path, &x, &err))
    return fail(path, &err);
  snprintf(path, sizeof path, "%s/labels.pb", dir);
  if (sp_tensor_read_pb(path, &labels, &err))
    return fail(path, &err);
  if (labels->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__INT64)
    return fail("labels.pb is not int64", NULL);
  float *xf = malloc((size_t)(x->numel ? x->numel : 1) * sizeof *xf);
  for (int64_t i = 0; i < x->numel; ++i)
    xf[i] = x->elem_type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64
                ? (float)((const int64_t *)x->data)[i]
                : ((const float *)x->data)[i];
  float loss;
  if (sp_trainer_create(model, &opt, &t, &err) ||
      sp_trainer_backward(t, xf, x->dims, x->rank, labels->data, &loss, &err))
    return fail("sp_trainer_backward", &err);
  snprintf(path, sizeof path, "%s/loss.txt", dir);
  FILE *f = fopen(path, "w");
  if (!f)
    return fail(path, NULL);
  fprintf(f, "%.9g\n", (double)loss);
  fclose(f);
  for (size_t i = 0; i < sp_trainer_num_params(t); ++i) {
    float *v, *g;
    int64_t numel;
    const char *name = sp_trainer_param(t, i, &v, &g, &numel);
    sp_tensor gt = {name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 1, {numel}, numel, g};
    snprintf(path, sizeof path, "%s/trainer_grad/%s.pb", dir, name);
    if (sp_tensor_write_pb(path, &gt, &err))
      return fail(path, &err);
  }
  sp_trainer_free(t);
  sp_tensor_free(x);
  sp_tensor_free(labels);
  free(xf);
  sp_onnx_free(model);
  return 0;
}

int main(int argc, char **argv) {
  int use_trainer = argc == 4 && !strcmp(argv[3], "--trainer");
  if (argc != 3 && !use_trainer && !(argc == 5 && !strcmp(argv[3], "--seed"))) {
    fprintf(stderr, "usage: grad_probe MODEL DIR [--seed N | --trainer]\n");
    return 2;
  }
  const char *model_path = argv[1], *dir = argv[2];
  sp_error err = {0};
  sp_onnx_model *model;
  if (sp_onnx_load(model_path, &model, &err))
    return fail(model_path, &err);
  if (use_trainer)
    return trainer_gradients(model, dir);
  char path[4096], line[1024];
  /* what lib/train would train */
  sp_trainer *trainer;
  sp_train_options opt;
  sp_train_options_default(&opt);
  if (sp_trainer_create(model, &opt, &trainer, &err))
    return fail("sp_trainer_create", &err);
  snprintf(path, sizeof path, "%s/trainer_params.txt", dir);
  FILE *tp = fopen(path, "w");
  if (!tp)
    return fail(path, NULL);
  for (size_t i = 0; i < sp_trainer_num_params(trainer); ++i) {
    float *v, *g;
    int64_t numel;
    fprintf(tp, "%s\n", sp_trainer_param(trainer, i, &v, &g, &numel));
  }
  fclose(tp);
  sp_trainer_free(trainer);

  sp_runtime *rt;
  if (sp_runtime_create(model, 1, &rt, &err))
    return fail("sp_runtime_create", &err);
  sp_runtime_set_training(rt, 1);
  if (argc == 5)
    sp_runtime_set_seed(rt, strtoull(argv[4], NULL, 10));
  /* every float initializer writable; the listed ones with gradients */
  snprintf(path, sizeof path, "%s/params.txt", dir);
  FILE *pf = fopen(path, "r");
  if (!pf)
    return fail(path, NULL);
  const Onnx__GraphProto *g = model->proto->graph;
  char **names = NULL;
  float **grads = NULL;
  int64_t *sizes = NULL;
  size_t n_params = 0;
  while (fgets(line, sizeof line, pf)) {
    line[strcspn(line, "\n")] = 0;
    if (!line[0])
      continue;
    names = realloc(names, (n_params + 1) * sizeof *names);
    names[n_params++] = strdup(line);
  }
  fclose(pf);
  grads = calloc(n_params + 1, sizeof *grads);
  sizes = calloc(n_params + 1, sizeof *sizes);
  float **bound = calloc(g->n_initializer + 1, sizeof *bound); /* freed last */
  size_t n_bound = 0;
  for (size_t i = 0; i < g->n_initializer; ++i) {
    const Onnx__TensorProto *t = g->initializer[i];
    if (t->data_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
      continue;
    int64_t numel = sp_onnx_tensor_numel(t);
    float *data = malloc((size_t)(numel ? numel : 1) * sizeof *data), *grad = NULL;
    bound[n_bound++] = data;
    for (size_t p = 0; p < n_params; ++p)
      if (!strcmp(names[p], t->name)) {
        grad = grads[p] = calloc((size_t)(numel ? numel : 1), sizeof *grad);
        sizes[p] = numel;
      }
    if (sp_runtime_bind_parameter(rt, t->name, data, grad, &err))
      return fail(t->name, &err);
  }
  for (size_t p = 0; p < n_params; ++p)
    if (!grads[p]) {
      fprintf(stderr, "grad_probe: '%s' is not a float initializer\n", names[p]);
      return 1;
    }
  for (int i = 0; i < sp_runtime_num_inputs(rt); ++i) {
    snprintf(path, sizeof path, "%s/input_%d.pb", dir, i);
    sp_tensor *x;
    if (sp_tensor_read_pb(path, &x, &err))
      return fail(path, &err);
    const sp_value_info *info = sp_runtime_input_info(rt, i);
    if (sp_runtime_bind(rt, info->name, x->elem_type, x->rank, x->dims, x->data, &err))
      return fail(path, &err);
    sp_tensor_free(x);
  }
  if (sp_runtime_run(rt, &err))
    return fail("forward", &err);
  const sp_tensor *y = sp_runtime_output(rt, 0);
  snprintf(path, sizeof path, "%s/output_0.pb", dir);
  if (sp_tensor_write_pb(path, y, &err))
    return fail(path, &err);
  /* d loss / d output 0: dout_0.pb, or ones when DIR has none */
  snprintf(path, sizeof path, "%s/dout_0.pb", dir);
  sp_tensor *dout = NULL;
  float *ones = NULL;
  FILE *probe_file = fopen(path, "rb");
  if (probe_file) {
    fclose(probe_file);
    if (sp_tensor_read_pb(path, &dout, &err))
      return fail(path, &err);
    if (dout->numel != y->numel || dout->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT) {
      fprintf(stderr, "grad_probe: %s: %lld floats for an output of %lld\n", path,
              (long long)dout->numel, (long long)y->numel);
      return 1;
    }
  } else {
    ones = malloc((size_t)(y->numel ? y->numel : 1) * sizeof *ones);
    for (int64_t i = 0; i < y->numel; ++i)
      ones[i] = 1;
  }
  const float **douts = calloc((size_t)sp_runtime_num_outputs(rt), sizeof *douts);
  douts[0] = dout ? dout->data : ones;
  if (sp_runtime_backward(rt, douts, &err))
    return fail("backward", &err);
  for (size_t p = 0; p < n_params; ++p) {
    sp_tensor t = {names[p], ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 1, {sizes[p]},
                   sizes[p], grads[p]};
    snprintf(path, sizeof path, "%s/grad/%s.pb", dir, names[p]);
    if (sp_tensor_write_pb(path, &t, &err))
      return fail(path, &err);
  }
  if (dout)
    sp_tensor_free(dout);
  free(ones);
  free(douts);
  sp_runtime_free(rt);
  for (size_t i = 0; i < n_bound; ++i)
    free(bound[i]);
  for (size_t p = 0; p < n_params; ++p)
    free(names[p]), free(grads[p]);
  free(bound), free(names), free(grads), free(sizes);
  return 0;
}
