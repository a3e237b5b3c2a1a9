/* grad_probe.c - one training-mode forward and backward of any ONNX model
 * through the runtime, for the gradient tests (model_grad_test.py): models
 * whose inputs are not images or whose output is not (batch, classes)
 * logits, which sp-train's loss does not cover (token ids, sequence logits).
 *
 *   grad_probe MODEL DIR [--seed N]
 *
 * DIR holds input_<i>.pb for each graph input, dout_0.pb (d loss / d output
 * 0; ones when absent) and params.txt (the initializers to differentiate, one name a line).
 * Every float initializer is bound writable (BatchNormalization moves its
 * running statistics in training mode). Writes DIR/output_0.pb, DIR/grad/
 * <name>.pb for each parameter, and DIR/trainer_params.txt: the parameters
 * sp_trainer would train in this model (lib/train's choice), one a line. */
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

int main(int argc, char **argv) {
  if (argc != 3 && !(argc == 5 && !strcmp(argv[3], "--seed"))) {
    fprintf(stderr, "usage: grad_probe MODEL DIR [--seed N]\n");
    return 2;
  }
  const char *model_path = argv[1], *dir = argv[2];
  sp_error err = {0};
  sp_onnx_model *model;
  if (sp_onnx_load(model_path, &model, &err))
    return fail(model_path, &err);
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
  const Onnx__GraphProto *g = model->proto->graph;
  for (size_t i = 0; i < g->n_initializer; ++i) {
    const Onnx__TensorProto *t = g->initializer[i];
    if (t->data_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
      continue;
    int64_t numel = sp_onnx_tensor_numel(t);
    float *data = malloc((size_t)(numel ? numel : 1) * sizeof *data), *grad = NULL;
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
  sp_runtime_free(rt);
  return 0;
}
