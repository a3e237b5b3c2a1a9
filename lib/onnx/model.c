/* model.c - loading and freeing ONNX models. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "onnx_internal.h"

int sp_grow(void **items, size_t *cap, size_t count, size_t item_size) {
  if (count < *cap)
    return 0;
  size_t new_cap = *cap ? *cap * 2 : 8;
  void *grown = realloc(*items, new_cap * item_size);
  if (!grown)
    return -1;
  *items = grown;
  *cap = new_cap;
  return 0;
}

/* Top-level ModelProto fields and their wire types, to tell a truncated
 * model from bytes that are not a model at all. */
static const struct {
  unsigned field, wire_type;
  const char *name;
} model_fields[] = {
    {1, 0, "ir_version"},
    {2, 2, "producer_name"},
    {3, 2, "producer_version"},
    {4, 2, "domain"},
    {5, 0, "model_version"},
    {6, 2, "doc_string"},
    {7, 2, "graph"},
    {8, 2, "opset_import"},
    {14, 2, "metadata_props"},
    {20, 2, "training_info"},
    {25, 2, "functions"},
};

static const char *field_name(unsigned field, unsigned wire_type) {
  for (size_t i = 0; i < sizeof model_fields / sizeof *model_fields; ++i)
    if (model_fields[i].field == field &&
        model_fields[i].wire_type == wire_type)
      return model_fields[i].name;
  return NULL;
}

/* Explains why unpacking failed: a well-formed prefix whose last top-level
 * field runs past the end is a truncated file; anything else is not ONNX. */
static int parse_error(const uint8_t *p, size_t n, const char *name,
                       sp_error *err) {
  size_t pos = 0;
  while (pos < n) {
    uint64_t tag, value;
    if (!sp_wire_varint(p, n, &pos, &tag))
      break;
    const char *field = field_name((unsigned)(tag >> 3), (unsigned)(tag & 7));
    if (!field)
      break;
    int ok = sp_wire_varint(p, n, &pos, &value);
    if ((tag & 7) == 2 && ok && value > n - pos)
      return sp_error_set(err,
                          "%s: truncated file (field '%s' needs %llu bytes, "
                          "only %zu left)",
                          name, field, (unsigned long long)value, n - pos);
    if (!ok)
      return sp_error_set(err, "%s: truncated file (inside field '%s')", name,
                          field);
    if ((tag & 7) == 2)
      pos += (size_t)value;
  }
  return sp_error_set(err, "%s: not an ONNX model (protobuf parse failed)",
                      name);
}

static char *dup_string(const char *s) {
  size_t n = strlen(s) + 1;
  char *copy = malloc(n);
  return copy ? memcpy(copy, s, n) : NULL;
}

/* Directory part of path ("." when there is none). */
static char *dir_of(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash)
    return dup_string(".");
  size_t n = slash == path ? 1 : (size_t)(slash - path);
  char *dir = malloc(n + 1);
  if (!dir)
    return NULL;
  memcpy(dir, path, n);
  dir[n] = '\0';
  return dir;
}

/* Raw data at least this big stays in the mapping of a loaded file. */
enum { LIFT_MIN_BYTES = 4096 };

static sp_onnx_model *new_model(const char *name, const char *base_dir) {
  sp_onnx_model *model = calloc(1, sizeof *model);
  if (!model)
    return NULL;
  model->path = dup_string(name);
  model->base_dir = base_dir ? dup_string(base_dir) : NULL;
  model->backing = calloc(1, sizeof *model->backing);
  if (!model->path || (base_dir && !model->base_dir) || !model->backing) {
    sp_onnx_free(model);
    return NULL;
  }
  return model;
}

/* Validates a model whose proto is filled in; frees it on failure. */
static int finish_load(sp_onnx_model *model, sp_onnx_model **out,
                       sp_error *err) {
  if (sp_onnx_validate(model, err) < 0) {
    sp_onnx_free(model);
    return -1;
  }
  *out = model;
  return 0;
}

static int load_bytes(const void *data, size_t size, const char *name,
                      const char *base_dir, sp_onnx_model **out,
                      sp_error *err) {
  *out = NULL;
  if (size == 0)
    return sp_error_set(err, "%s: empty file", name);
  sp_onnx_model *model = new_model(name, base_dir);
  if (!model)
    return sp_error_set(err, "%s: out of memory", name);
  model->proto = onnx__model_proto__unpack(NULL, size, data);
  if (!model->proto) {
    sp_onnx_free(model);
    return parse_error(data, size, name, err);
  }
  return finish_load(model, out, err);
}

int sp_onnx_load_buffer(const void *data, size_t size, const char *name,
                        const char *base_dir, sp_onnx_model **out,
                        sp_error *err) {
  return load_bytes(data, size, name ? name : "<memory>", base_dir, out, err);
}

/* Maps path read-only; *bytes is NULL for an empty file. */
static int map_model(const char *path, void **bytes, size_t *size,
                     sp_error *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return sp_error_set(err, "%s: cannot open: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return sp_error_set(err, "%s: not a regular file", path);
  }
  *size = (size_t)st.st_size;
  *bytes = NULL;
  if (*size > 0) {
    *bytes = mmap(NULL, *size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (*bytes == MAP_FAILED) {
      int e = errno;
      close(fd);
      return sp_error_set(err, "%s: cannot map: %s", path, strerror(e));
    }
  }
  close(fd);
  return 0;
}

int sp_onnx_load(const char *path, sp_onnx_model **out, sp_error *err) {
  *out = NULL;
  void *bytes;
  size_t size;
  if (map_model(path, &bytes, &size, err) < 0)
    return -1;
  char *dir = dir_of(path);
  sp_onnx_model *model = dir ? new_model(path, dir) : NULL;
  free(dir);
  if (!model || !bytes) {
    if (bytes)
      munmap(bytes, size);
    sp_onnx_free(model);
    return bytes ? sp_error_set(err, "%s: out of memory", path)
                 : sp_error_set(err, "%s: empty file", path);
  }
  struct sp_onnx_backing *b = model->backing;
  if (sp_onnx_unpack_lifted(bytes, size, LIFT_MIN_BYTES, &model->proto,
                            &b->lifted, &b->num_lifted)) {
    b->file = bytes; // big raw_data points in: keep it for the model's life
    b->file_size = size;
    return finish_load(model, out, err);
  }
  model->proto = onnx__model_proto__unpack(NULL, size, bytes);
  int rc = model->proto ? 0 : parse_error(bytes, size, path, err);
  munmap(bytes, size);
  if (rc < 0) {
    sp_onnx_free(model);
    return -1;
  }
  return finish_load(model, out, err);
}

/* Puts back the fields sp_onnx_inline_external replaced, so that
 * free_unpacked frees what unpack allocated and nothing else. */
static void restore_inlined(struct sp_onnx_backing *b) {
  for (size_t i = b->num_inlined; i-- > 0;) {
    Onnx__TensorProto *t = b->inlined[i].tensor;
    const Onnx__TensorProto *saved = &b->inlined[i].saved;
    t->has_raw_data = saved->has_raw_data;
    t->raw_data = saved->raw_data;
    t->has_data_location = saved->has_data_location;
    t->data_location = saved->data_location;
    t->n_external_data = saved->n_external_data;
    t->external_data = saved->external_data;
  }
}

static void free_backing(struct sp_onnx_backing *b) {
  for (size_t i = 0; i < b->num_files; ++i) {
    if (b->files[i].addr)
      munmap(b->files[i].addr, b->files[i].size);
    free(b->files[i].location);
  }
  for (size_t i = 0; i < b->num_views; ++i)
    free(b->views[i].owned);
  sp_map_free(&b->file_index);
  sp_map_free(&b->view_index);
  free(b->files);
  free(b->views);
  free(b->inlined);
  free(b->lifted);
  if (b->file)
    munmap(b->file, b->file_size);
  free(b);
}

void sp_onnx_free(sp_onnx_model *model) {
  if (!model)
    return;
  if (model->backing) {
    restore_inlined(model->backing);
    sp_onnx_release_lifted(model->backing->lifted, model->backing->num_lifted);
  }
  if (model->proto)
    onnx__model_proto__free_unpacked(model->proto, NULL);
  if (model->backing)
    free_backing(model->backing);
  free(model->path);
  free(model->base_dir);
  free(model);
}
