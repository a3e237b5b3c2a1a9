/* save.c - writing models atomically, streaming the weights once. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sys/file.h>

#include "onnx_internal.h"
#include "sp/output.h"

static int write_error(sp_error *err, const char *path, int e) {
  return sp_error_set(err, "cannot write '%s': %s", path, strerror(e));
}

/* ProtobufCBuffer that streams packed bytes into a FILE. */
typedef struct file_sink {
  ProtobufCBuffer base;
  FILE *file;
  int error; /* first errno, 0 while all is well */
} file_sink;

static void sink_append(ProtobufCBuffer *buffer, size_t len,
                        const uint8_t *data) {
  file_sink *sink = (file_sink *)buffer;
  if (sink->error || len == 0)
    return;
  if (fwrite(data, 1, len, sink->file) != len)
    sink->error = errno ? errno : EIO;
}

/* One tensor whose fields save changes for the duration of the write. */
typedef struct moved_tensor {
  Onnx__TensorProto *tensor;
  Onnx__TensorProto saved;
  Onnx__StringStringEntryProto entries[3];
  Onnx__StringStringEntryProto *entry_ptrs[3];
  char offset[24], length[24];
} moved_tensor;

typedef struct save_state {
  size_t threshold;
  const char *location; /* external file name as written in the model */
  sp_output data;       /* external-data file, once has_data */
  int has_data;
  const char *path;     /* the model file, for messages */
  const char *data_path;
  uint64_t data_size;
  moved_tensor *moved;
  size_t num_moved, cap_moved;
  sp_error *err;
} save_state;

static int is_external(const Onnx__TensorProto *t) {
  return t->has_data_location &&
         t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
}

static moved_tensor *remember_tensor(save_state *s, Onnx__TensorProto *t) {
  if (sp_grow((void **)&s->moved, &s->cap_moved, s->num_moved,
              sizeof *s->moved) < 0)
    return NULL;
  moved_tensor *m = &s->moved[s->num_moved++];
  memset(m, 0, sizeof *m);
  m->tensor = t;
  m->saved = *t;
  return m;
}

/* Appends zeros then the tensor's bytes to the data file; returns offset. */
static int append_data(save_state *s, const Onnx__TensorProto *t,
                       uint64_t *offset) {
  static const uint8_t zeros[4096];
  size_t len = t->raw_data.len;
  uint64_t align = len >= 65536 ? 4096 : 64;
  uint64_t pad = (align - s->data_size % align) % align;
  if (!s->has_data) {
    if (sp_output_open(&s->data, s->data_path, s->err) < 0)
      return -1;
    s->has_data = 1;
  }
  errno = 0;
  if (fwrite(zeros, 1, pad, s->data.file) != pad ||
      fwrite(t->raw_data.data, 1, len, s->data.file) != len)
    return write_error(s->err, s->data_path, errno ? errno : EIO);
  *offset = s->data_size + pad;
  s->data_size = *offset + len;
  return 0;
}

/* Moves one big tensor's raw_data to the data file for the write. */
static int externalize(save_state *s, Onnx__TensorProto *t) {
  uint64_t offset = 0;
  if (append_data(s, t, &offset) < 0)
    return -1;
  moved_tensor *m = remember_tensor(s, t);
  if (!m)
    return write_error(s->err, s->data_path, ENOMEM);
  snprintf(m->offset, sizeof m->offset, "%llu", (unsigned long long)offset);
  snprintf(m->length, sizeof m->length, "%zu", t->raw_data.len);
  const char *keys[3] = {"location", "offset", "length"};
  const char *values[3] = {s->location, m->offset, m->length};
  for (int i = 0; i < 3; ++i) {
    Onnx__StringStringEntryProto e = ONNX__STRING_STRING_ENTRY_PROTO__INIT;
    e.key = (char *)keys[i]; // borrowed for the write only
    e.value = (char *)values[i];
    m->entries[i] = e;
    m->entry_ptrs[i] = &m->entries[i];
  }
  t->has_raw_data = 0;
  t->raw_data.len = 0;
  t->raw_data.data = NULL;
  t->n_external_data = 3;
  t->external_data = m->entry_ptrs;
  t->has_data_location = 1;
  t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
  return 0;
}

/* Decides where one tensor's bytes go in the written file. */
static int place_tensor(save_state *s, Onnx__TensorProto *t) {
  if (!t)
    return 0;
  if (is_external(t) && !t->has_raw_data)
    return sp_error_set(s->err,
                        "cannot write '%s': tensor '%s' is external "
                        "data without raw_data (see sp_onnx_inline_external)",
                        s->path, t->name ? t->name : "");
  if (s->threshold && t->has_raw_data && t->raw_data.len >= s->threshold)
    return externalize(s, t);
  if (!is_external(t))
    return 0;
  // External on load with bytes supplied by the caller: write them inline.
  moved_tensor *m = remember_tensor(s, t);
  if (!m)
    return sp_error_set(s->err, "out of memory");
  t->has_data_location = 0;
  t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__DEFAULT;
  t->n_external_data = 0;
  t->external_data = NULL;
  return 0;
}

static int place_graph(save_state *s, Onnx__GraphProto *g, int depth);

static int place_attribute(save_state *s, Onnx__AttributeProto *a, int depth) {
  if (place_tensor(s, a->t) < 0)
    return -1;
  for (size_t i = 0; i < a->n_tensors; ++i)
    if (place_tensor(s, a->tensors[i]) < 0)
      return -1;
  if (a->g && place_graph(s, a->g, depth + 1) < 0)
    return -1;
  for (size_t i = 0; i < a->n_graphs; ++i)
    if (place_graph(s, a->graphs[i], depth + 1) < 0)
      return -1;
  return 0;
}

static int place_graph(save_state *s, Onnx__GraphProto *g, int depth) {
  if (depth > 64) // as validate: never recurse unbounded
    return sp_error_set(s->err, "subgraphs nested too deeply");
  for (size_t i = 0; i < g->n_initializer; ++i)
    if (place_tensor(s, g->initializer[i]) < 0)
      return -1;
  for (size_t i = 0; i < g->n_node; ++i)
    for (size_t j = 0; j < g->node[i]->n_attribute; ++j)
      if (place_attribute(s, g->node[i]->attribute[j], depth) < 0)
        return -1;
  return 0;
}

/* Puts every changed tensor back as the caller gave it. */
static void restore_tensors(save_state *s) {
  for (size_t i = s->num_moved; i-- > 0;)
    *s->moved[i].tensor = s->moved[i].saved;
  free(s->moved);
  s->moved = NULL;
  s->num_moved = 0;
}

static int pack_model(const char *path, Onnx__ModelProto *model, int durable,
                      sp_output *out, sp_error *err) {
  if (sp_output_open(out, path, err) < 0)
    return -1;
  file_sink sink = {{sink_append}, out->file, 0};
  errno = 0;
  protobuf_c_message_pack_to_buffer(&model->base, &sink.base);
  if (sink.error) {
    sp_output_discard(out);
    return write_error(err, path, sink.error);
  }
  return sp_output_finish(out, durable, err);
}

static const char *base_name(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

/* The directory holding path, opened (-1 if it cannot be). */
static int open_dir(const char *path) {
  const char *base = base_name(path);
  char dir[4096];
  snprintf(dir, sizeof dir, "%.*s", base == path ? 1 : (int)(base - path),
           base == path ? "." : path);
  return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* "<dir of path>/<name>", or "<dir of path>/<base name of path>.data". */
static char *data_path_for(const char *path, const char *name) {
  const char *base = base_name(path);
  size_t dir_len = (size_t)(base - path);
  size_t n = dir_len + strlen(name ? name : base) + sizeof ".data";
  char *out = malloc(n);
  if (out)
    snprintf(out, n, "%.*s%s%s", (int)dir_len, path, name ? name : base,
             name ? "" : ".data");
  return out;
}

static int save_model(const char *path, Onnx__ModelProto *model,
                      const sp_onnx_save_options *options, save_state *s) {
  sp_output out = {0};
  out.slot = -1;
  int durable = options && options->durable;
  int rc = model->graph ? place_graph(s, model->graph, 0) : 0;
  if (rc == 0 && s->has_data)
    rc = sp_output_finish(&s->data, durable, s->err);
  if (rc == 0)
    rc = pack_model(path, model, durable, &out, s->err);
  restore_tensors(s);
  // Two saves of one model + data pair at once must not end with the model of
  // one and the data of the other: the pair is renamed under a lock on the
  // directory. Data first: a model never points at a data file not in place.
  int dir = rc == 0 && (s->has_data || durable) ? open_dir(path) : -1;
  if (dir >= 0 && s->has_data)
    flock(dir, LOCK_EX);
  if (rc == 0 && s->has_data && (rc = sp_output_commit(&s->data, s->err)) < 0)
    sp_output_discard(&out);
  if (rc == 0)
    rc = sp_output_commit(&out, s->err);
  if (rc < 0 && s->has_data)
    sp_output_discard(&s->data);
  else if (rc == 0 && durable && dir >= 0)
    fsync(dir); // the renames live in the directory
  if (dir >= 0)
    close(dir); // and releases the lock
  return rc;
}

int sp_onnx_save(const char *path, Onnx__ModelProto *model,
                 const sp_onnx_save_options *options, sp_error *err) {
  if (!path || !*path || !model)
    return sp_error_set(err, "cannot write '%s': no model", path ? path : "");
  if (!protobuf_c_message_check(&model->base))
    return sp_error_set(err,
                        "cannot write '%s': the model is not a complete "
                        "protobuf message",
                        path);
  save_state s = {.err = err, .path = path};
  s.threshold = options ? options->external_threshold : 0;
  const char *file = options ? options->external_file : NULL;
  if (s.threshold && file && !sp_onnx_safe_location(file))
    return sp_error_set(err,
                        "cannot write '%s': external file '%s' must be a "
                        "relative path without '..'",
                        path, file);
  char *data_path = s.threshold ? data_path_for(path, file) : NULL;
  if (s.threshold && !data_path)
    return write_error(err, path, ENOMEM);
  s.data_path = data_path;
  // Locations are relative to the model's directory: the data file's name.
  s.location = file ? file : data_path ? base_name(data_path) : NULL;
  int rc = save_model(path, model, options, &s);
  free(data_path);
  return rc;
}
