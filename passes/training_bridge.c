/* Training a module's model with lib/train (training_bridge.h).
 *
 * The export writes one ONNX initializer per nn.Initializer op, in the order
 * of the ops in main's body, so initializer k of the exported model is op k
 * of the module; the mapping is checked (count, element type, shape) rather
 * than trusted. Trained values come back through sp_trainer_save into a
 * second temporary file, the one route that carries BatchNormalization
 * running statistics as well as the parameters. */
#include <errno.h>
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calibration.h"
#include "sp/dialect.h"
#include "sp/hashmap.h"
#include "sp/passes.h"
#include "sp/translate.h"
#include "sp/weights.h"
#include "training_bridge.h"

struct sp_train_bridge {
  MlirOperation module;
  const char *pass;
  char tmpdir[4096];
  char model_path[4200]; /* the exported model, removed once loaded */
  sp_onnx_model *model;
  sp_trainer *trainer;
  MlirOperation *inits; /* nn.Initializer ops of main = initializers of model */
  size_t n_inits;
  sp_map by_name;         /* initializer name -> index + 1 */
  MlirOperation *params;  /* per trainer parameter, its op */
};

static int is_op(MlirOperation op, const char *name) {
  MlirStringRef s = mlirIdentifierStr(mlirOperationGetName(op));
  return s.length == strlen(name) && memcmp(s.data, name, s.length) == 0;
}

int sp_train_bridge_emit(const sp_train_bridge *b, const sp_error *err) {
  const char *m = err->message;
  size_t len = strlen(b->model_path);
  if (len && !strncmp(m, b->model_path, len) && m[len] == ':' && m[len + 1] == ' ')
    m += len + 2;
  sp_emit_at_node(b->module, b->pass, m);
  return -1;
}

/* The nn.Initializer ops of main's body in order; count in *n. */
static MlirOperation *find_initializers(MlirOperation module, size_t *n) {
  MlirOperation fn = sp_find_main(module);
  MlirBlock body = mlirRegionGetFirstBlock(mlirOperationGetRegion(fn, 0));
  size_t cap = 64;
  MlirOperation *ops = malloc(cap * sizeof *ops);
  *n = 0;
  for (MlirOperation op = mlirBlockGetFirstOperation(body); ops && !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    if (!is_op(op, "nn.Initializer"))
      continue;
    if (*n == cap) {
      MlirOperation *grown = realloc(ops, (cap *= 2) * sizeof *ops);
      if (!grown) {
        free(ops);
        return NULL;
      }
      ops = grown;
    }
    ops[(*n)++] = op;
  }
  return ops;
}

/* Whether tensor t has op's result type (element type and static shape). */
static int same_type(MlirOperation op, const Onnx__TensorProto *t) {
  MlirType type = mlirValueGetType(mlirOperationGetResult(op, 0));
  if (!mlirTypeIsARankedTensor(type) ||
      sp_elem_type_to_onnx(mlirShapedTypeGetElementType(type)) != t->data_type ||
      mlirShapedTypeGetRank(type) != (intptr_t)t->n_dims)
    return 0;
  for (size_t d = 0; d < t->n_dims; ++d)
    if (mlirShapedTypeGetDimSize(type, (intptr_t)d) != t->dims[d])
      return 0;
  return 1;
}

/* Checks that initializer k of the exported model is b->inits[k] and
 * indexes them by name. */
static int map_initializers(sp_train_bridge *b) {
  const Onnx__GraphProto *g = b->model->proto->graph;
  if (g->n_initializer != b->n_inits) {
    sp_emit_error(b->module, "%s: the exported model has %zu initializers, the module %zu "
                             "nn.Initializer ops: cannot map trained values back",
                  b->pass, g->n_initializer, b->n_inits);
    return -1;
  }
  for (size_t k = 0; k < b->n_inits; ++k) {
    const Onnx__TensorProto *t = g->initializer[k];
    if (!same_type(b->inits[k], t)) {
      sp_emit_error(b->inits[k], "%s: exported initializer %zu ('%s') does not have this "
                                 "op's type: cannot map trained values back",
                    b->pass, k, t->name);
      return -1;
    }
    if (sp_map_put_str(&b->by_name, t->name, (void *)(k + 1))) {
      sp_emit_error(b->module, "%s: out of memory", b->pass);
      return -1;
    }
  }
  return 0;
}

int sp_train_bridge_create(MlirOperation module, const char *pass,
                           const sp_train_options *options, sp_train_bridge **out) {
  *out = NULL;
  if (mlirOperationIsNull(sp_find_main(module))) {
    sp_emit_error(module, "%s: module has no func.func", pass);
    return -1;
  }
  sp_train_bridge *b = calloc(1, sizeof *b);
  if (!b) {
    sp_emit_error(module, "%s: out of memory", pass);
    return -1;
  }
  b->module = module;
  b->pass = pass;
  sp_map_init(&b->by_name);
  const char *tmp = getenv("TMPDIR");
  snprintf(b->tmpdir, sizeof b->tmpdir, "%s/sp-train-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(b->tmpdir)) {
    sp_emit_error(module, "%s: cannot create a directory in %s: %s", pass,
                  tmp && *tmp ? tmp : "/tmp", strerror(errno));
    b->tmpdir[0] = 0;
    sp_train_bridge_free(b);
    return -1;
  }
  snprintf(b->model_path, sizeof b->model_path, "%s/model.onnx", b->tmpdir);
  sp_error err = {{0}};
  sp_onnx_save_options save = {0};
  int rc = 0;
  if (!(b->inits = find_initializers(module, &b->n_inits))) {
    sp_emit_error(module, "%s: out of memory", pass);
    rc = -1;
  } else if (sp_export_onnx(mlirModuleFromOperation(module), b->model_path, &save, &err)) {
    sp_emit_error(module, "%s: cannot export the model: %s", pass, err.message);
    rc = -1;
  } else if (sp_onnx_load(b->model_path, &b->model, &err)) {
    rc = sp_train_bridge_emit(b, &err);
  }
  unlink(b->model_path); // the loaded model keeps its mapping
  if (!rc && !(rc = map_initializers(b)) &&
      sp_trainer_create(b->model, options, &b->trainer, &err))
    rc = sp_train_bridge_emit(b, &err);
  size_t n_params = rc ? 0 : sp_trainer_num_params(b->trainer);
  if (!rc && !(b->params = calloc(n_params + 1, sizeof *b->params))) {
    sp_emit_error(module, "%s: out of memory", pass);
    rc = -1;
  }
  for (size_t i = 0; !rc && i < n_params; ++i) {
    const char *name = sp_trainer_param(b->trainer, i, NULL, NULL, NULL);
    size_t k = (size_t)sp_map_get_str(&b->by_name, name, NULL);
    if (!k) {
      sp_emit_error(module, "%s: trained parameter '%s' is no initializer of the module",
                    pass, name);
      rc = -1;
    } else {
      b->params[i] = b->inits[k - 1];
    }
  }
  if (rc) {
    sp_train_bridge_free(b);
    return -1;
  }
  *out = b;
  return 0;
}

void sp_train_bridge_free(sp_train_bridge *b) {
  if (!b)
    return;
  sp_trainer_free(b->trainer);
  sp_onnx_free(b->model);
  if (b->tmpdir[0])
    rmdir(b->tmpdir);
  sp_map_free(&b->by_name);
  free(b->inits);
  free(b->params);
  free(b);
}

sp_trainer *sp_train_bridge_trainer(sp_train_bridge *b) { return b->trainer; }

MlirOperation sp_train_bridge_param_op(const sp_train_bridge *b, size_t i) {
  if (i >= sp_trainer_num_params(b->trainer))
    return (MlirOperation){NULL};
  return b->params[i];
}

/* Resource keys are identifiers: the initializer's name with "_tuned". */
static void resource_key(const char *name, char *key, size_t n) {
  snprintf(key, n, "%s_tuned", name);
  for (char *k = key; *k; ++k)
    if (!(*k == '_' || *k == '.' || (*k >= '0' && *k <= '9') || (*k >= 'a' && *k <= 'z') ||
          (*k >= 'A' && *k <= 'Z')))
      *k = '_';
  if (key[0] >= '0' && key[0] <= '9')
    key[0] = 'w';
}

/* Whether data differs from op's value; -1 (error emitted) when op's value
 * cannot be read or has another size. */
static int differs(sp_train_bridge *b, MlirOperation op, const Onnx__TensorProto *t,
                   const void *data, size_t size) {
  MlirAttribute old = mlirOperationGetAttributeByName(op, sp_str("value"));
  const void *before;
  size_t before_size;
  sp_error err = {{0}};
  if (mlirAttributeIsNull(old) || sp_weight_data(old, &before, &before_size, &err)) {
    sp_emit_error(op, "%s: cannot read this initializer's value%s%s", b->pass,
                  err.message[0] ? ": " : "", err.message);
    return -1;
  }
  if (before_size != size) {
    sp_emit_error(op, "%s: trained '%s' has %zu bytes, the initializer %zu", b->pass, t->name,
                  size, before_size);
    return -1;
  }
  return memcmp(before, data, size) != 0;
}

/* Gives op the value data, of the same kind as the one it replaces. */
static int write_value(sp_train_bridge *b, MlirOperation op, const Onnx__TensorProto *t,
                       const void *data, size_t size) {
  MlirAttribute old = mlirOperationGetAttributeByName(op, sp_str("value"));
  MlirType type = mlirValueGetType(mlirOperationGetResult(op, 0));
  MlirAttribute value;
  if (mlirAttributeIsADenseElements(old)) {
    value = mlirDenseElementsAttrRawBufferGet(type, size, data);
  } else {
    char key[160];
    resource_key(t->name, key, sizeof key);
    value = sp_weight_create_copy(type, key, data, size);
  }
  if (mlirAttributeIsNull(value)) {
    sp_emit_error(op, "%s: out of memory for the trained '%s'", b->pass, t->name);
    return -1;
  }
  mlirOperationSetAttributeByName(op, sp_str("value"), value);
  return 0;
}

int sp_train_bridge_write_back(sp_train_bridge *b, size_t *n_written) {
  char path[4200];
  snprintf(path, sizeof path, "%s/trained.onnx", b->tmpdir);
  sp_error err = {{0}};
  sp_onnx_model *trained = NULL;
  int rc = 0;
  if (sp_trainer_save(b->trainer, path, &err) || sp_onnx_load(path, &trained, &err)) {
    sp_emit_error(b->module, "%s: cannot read the trained values back: %s", b->pass,
                  err.message);
    rc = -1;
  }
  unlink(path);
  size_t written = 0;
  const Onnx__GraphProto *g = rc ? NULL : trained->proto->graph;
  // Every tensor is read and compared before the first op changes: a failure
  // leaves the module as it was.
  const void **data = g ? calloc(g->n_initializer + 1, sizeof *data) : NULL;
  size_t *sizes = g ? calloc(g->n_initializer + 1, sizeof *sizes) : NULL;
  if (g && (!data || !sizes)) {
    sp_emit_error(b->module, "%s: out of memory", b->pass);
    rc = -1;
  }
  for (size_t i = 0; !rc && i < g->n_initializer; ++i) {
    const Onnx__TensorProto *t = g->initializer[i];
    size_t k = (size_t)sp_map_get_str(&b->by_name, t->name, NULL);
    if (t->data_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT || !k)
      continue; // only float tensors train; the trainer adds none of its own
    if (sp_onnx_tensor_bytes_unaligned(trained, t, &data[i], &sizes[i], &err)) {
      sp_emit_error(b->module, "%s: cannot read the trained '%s': %s", b->pass, t->name,
                    err.message);
      rc = -1;
      break;
    }
    int d = differs(b, b->inits[k - 1], t, data[i], sizes[i]);
    if (d < 0)
      rc = -1;
    else if (!d)
      data[i] = NULL;
  }
  for (size_t i = 0; !rc && i < g->n_initializer; ++i) {
    if (!data[i])
      continue;
    size_t k = (size_t)sp_map_get_str(&b->by_name, g->initializer[i]->name, NULL);
    rc = write_value(b, b->inits[k - 1], g->initializer[i], data[i], sizes[i]);
    written += !rc;
  }
  free(data);
  free(sizes);
  sp_onnx_free(trained);
  if (n_written)
    *n_written = written;
  return rc ? -1 : 0;
}
