/* external.c - tensors stored in external-data files beside the model. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "onnx_internal.h"

static const char *tensor_name(const Onnx__TensorProto *t) {
  return t->name ? t->name : "";
}

/* Parses a non-negative decimal integer with nothing after it. */
static int parse_u64(const char *s, uint64_t *out) {
  if (!s || !*s)
    return -1;
  uint64_t v = 0;
  for (; *s; ++s) {
    if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
      return -1;
    v = v * 10 + (uint64_t)(*s - '0');
  }
  *out = v;
  return 0;
}

int sp_onnx_safe_location(const char *location) {
  if (!location || !*location || location[0] == '/')
    return 0;
  for (const char *p = location; *p;) {
    size_t n = strcspn(p, "/");
    if (n == 2 && p[0] == '.' && p[1] == '.')
      return 0;
    p += n;
    p += *p == '/';
  }
  return 1;
}

int sp_onnx_external_keys(const Onnx__TensorProto *t, const char **location,
                          uint64_t *offset, uint64_t *length, sp_error *err) {
  *location = NULL;
  *offset = 0;
  *length = UINT64_MAX;
  for (size_t i = 0; i < t->n_external_data; ++i) {
    const char *key = t->external_data[i]->key;
    const char *value = t->external_data[i]->value;
    if (!key)
      continue;
    int bad = 0;
    if (strcmp(key, "location") == 0)
      *location = value;
    else if (strcmp(key, "offset") == 0)
      bad = parse_u64(value, offset);
    else if (strcmp(key, "length") == 0)
      bad = parse_u64(value, length);
    if (bad)
      return sp_error_set(err,
                          "tensor '%s': external data %s '%s' is not a "
                          "byte count",
                          tensor_name(t), key, value ? value : "");
  }
  if (!*location || !**location)
    return sp_error_set(err, "tensor '%s': external data without a location",
                        tensor_name(t));
  if (!sp_onnx_safe_location(*location))
    return sp_error_set(err,
                        "tensor '%s': external data location '%s' "
                        "escapes the model directory (absolute or '..')",
                        tensor_name(t), *location);
  return 0;
}

static char *join_path(const char *dir, const char *name) {
  size_t n = strlen(dir) + strlen(name) + 2;
  char *path = malloc(n);
  if (path)
    snprintf(path, n, "%s/%s", dir, name);
  return path;
}

/* Rejects files that resolve (through symlinks) outside base_dir. */
static int inside_base(const char *base_dir, const char *path) {
  char base[PATH_MAX], real[PATH_MAX];
  if (!realpath(base_dir, base) || !realpath(path, real))
    return 0;
  size_t n = strlen(base);
  if (n == 1) // base is "/"
    return 1;
  return strncmp(real, base, n) == 0 && real[n] == '/';
}

/* Maps path read-only into *file. */
static int map_file(const char *path, sp_onnx_mapping *file, sp_error *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return sp_error_set(err, "cannot open external data '%s': %s", path,
                        strerror(errno));
  struct stat st;
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return sp_error_set(err, "external data '%s' is not a regular file", path);
  }
  file->size = (size_t)st.st_size;
  file->addr = NULL;
  if (file->size > 0) {
    void *addr = mmap(NULL, file->size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (addr == MAP_FAILED) {
      int e = errno;
      close(fd);
      return sp_error_set(err, "cannot map external data '%s': %s", path,
                          strerror(e));
    }
    file->addr = addr;
  }
  close(fd);
  return 0;
}

/* Resolves and maps location once per model; returns its index. */
static int open_location(sp_onnx_model *model, const char *location,
                         size_t *index, sp_error *err) {
  struct sp_onnx_backing *b = model->backing;
  if (sp_onnx_lookup(&b->file_index, location, index))
    return 0;
  if (!model->base_dir)
    return sp_error_set(err, "external data '%s' needs a base directory",
                        location);
  char *path = join_path(model->base_dir, location);
  sp_onnx_mapping file = {0};
  int rc = -1;
  if (!path)
    sp_error_set(err, "out of memory");
  else if (access(path, F_OK) == 0 && !inside_base(model->base_dir, path))
    sp_error_set(err, "external data '%s' resolves outside '%s'", location,
                 model->base_dir);
  else
    rc = map_file(path, &file, err);
  free(path);
  if (rc < 0)
    return -1;
  file.location = malloc(strlen(location) + 1);
  if (!file.location ||
      sp_grow((void **)&b->files, &b->cap_files, b->num_files,
              sizeof *b->files) < 0 ||
      sp_onnx_define(&b->file_index, strcpy(file.location, location),
                     b->num_files, NULL) < 0) {
    if (file.addr)
      munmap(file.addr, file.size);
    free(file.location);
    return sp_error_set(err, "out of memory");
  }
  b->files[b->num_files] = file;
  *index = b->num_files++;
  return 0;
}

int sp_onnx_external_bytes(sp_onnx_model *model, const Onnx__TensorProto *t,
                           size_t bytes, int aligned, const void **data,
                           sp_error *err) {
  const char *location;
  uint64_t offset, length;
  size_t index;
  if (sp_onnx_external_keys(t, &location, &offset, &length, err) < 0 ||
      open_location(model, location, &index, err) < 0)
    return sp_onnx_file_error(err, model->path);
  const sp_onnx_mapping *file = &model->backing->files[index];
  if (offset > file->size || bytes > file->size - offset)
    return sp_error_set(err,
                        "%s: tensor '%s': external data '%s' has %zu "
                        "bytes, offset %llu + length %zu is past its end",
                        model->path, tensor_name(t), location, file->size,
                        (unsigned long long)offset, bytes);
  if (sp_onnx_aligned_view(model, t, (const uint8_t *)file->addr + offset,
                           bytes, aligned, data) < 0)
    return sp_error_set(err, "%s: out of memory", model->path);
  return 0;
}

static int is_external(const Onnx__TensorProto *t) {
  return t->has_data_location &&
         t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
}

/* Points one external tensor's raw_data at its mapped bytes. */
static int inline_tensor(sp_onnx_model *model, Onnx__TensorProto *t,
                         sp_error *err) {
  if (!t || !is_external(t))
    return 0;
  const void *data;
  size_t size;
  struct sp_onnx_backing *b = model->backing;
  // Only written out again: the bytes may sit at any alignment.
  if (sp_onnx_tensor_bytes_unaligned(model, t, &data, &size, err) < 0)
    return -1;
  if (sp_grow((void **)&b->inlined, &b->cap_inlined, b->num_inlined,
              sizeof *b->inlined) < 0)
    return sp_error_set(err, "%s: out of memory", model->path);
  b->inlined[b->num_inlined++] = (sp_onnx_inlined){t, *t};
  t->has_raw_data = 1;
  t->raw_data.data = (uint8_t *)data; // borrowed: restored before free
  t->raw_data.len = size;
  t->has_data_location = 0;
  t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__DEFAULT;
  t->n_external_data = 0;
  t->external_data = NULL;
  return 0;
}

static int inline_graph(sp_onnx_model *model, Onnx__GraphProto *g, int depth,
                        sp_error *err);

static int inline_attribute(sp_onnx_model *model, Onnx__AttributeProto *a,
                            int depth, sp_error *err) {
  if (inline_tensor(model, a->t, err) < 0)
    return -1;
  for (size_t i = 0; i < a->n_tensors; ++i)
    if (inline_tensor(model, a->tensors[i], err) < 0)
      return -1;
  if (a->g && inline_graph(model, a->g, depth + 1, err) < 0)
    return -1;
  for (size_t i = 0; i < a->n_graphs; ++i)
    if (inline_graph(model, a->graphs[i], depth + 1, err) < 0)
      return -1;
  return 0;
}

static int inline_graph(sp_onnx_model *model, Onnx__GraphProto *g, int depth,
                        sp_error *err) {
  if (depth > 64) // validate rejects deeper nesting; never recurse unbounded
    return sp_error_set(err, "%s: subgraphs nested too deeply", model->path);
  for (size_t i = 0; i < g->n_initializer; ++i)
    if (inline_tensor(model, g->initializer[i], err) < 0)
      return -1;
  for (size_t i = 0; i < g->n_node; ++i)
    for (size_t j = 0; j < g->node[i]->n_attribute; ++j)
      if (inline_attribute(model, g->node[i]->attribute[j], depth, err) < 0)
        return -1;
  return 0;
}

int sp_onnx_inline_external(sp_onnx_model *model, sp_error *err) {
  if (!model || !model->proto || !model->proto->graph)
    return sp_error_set(err, "%s: no graph", model ? model->path : "<none>");
  return inline_graph(model, model->proto->graph, 0, err);
}
