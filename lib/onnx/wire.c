/* wire.c - the protobuf wire format, read directly.
 *
 * protobuf-c copies every bytes field it unpacks; for a 100 MB model that
 * copy (and the page faults of fresh memory) dominates loading. So before
 * unpacking a mapped file, the big raw_data fields of the main graph's
 * initializers are cut out of a small copy of the message, and afterwards
 * pointed back into the mapping. */
#include <stdlib.h>
#include <string.h>

#include "onnx_internal.h"

enum { MODEL_GRAPH = 7, GRAPH_INITIALIZER = 5, TENSOR_RAW_DATA = 9 };
enum { WIRE_VARINT = 0, WIRE_I64 = 1, WIRE_LEN = 2, WIRE_I32 = 5 };

int sp_wire_varint(const uint8_t *p, size_t n, size_t *pos, uint64_t *v) {
  *v = 0;
  for (unsigned shift = 0; shift < 64 && *pos < n; shift += 7) {
    uint8_t byte = p[(*pos)++];
    *v |= (uint64_t)(byte & 0x7f) << shift;
    if (!(byte & 0x80))
      return 1;
  }
  return 0;
}

/* One field: tag at start; for LEN fields the length varint sits at
 * len_pos and the payload is [begin, end). */
typedef struct field {
  uint64_t number;
  unsigned wire_type;
  size_t start, len_pos, begin, end;
} field;

/* Reads the field at *pos, which must end by n; 0 if malformed. */
static int next_field(const uint8_t *p, size_t n, size_t *pos, field *f) {
  uint64_t tag, len;
  f->start = *pos;
  if (!sp_wire_varint(p, n, pos, &tag))
    return 0;
  f->number = tag >> 3;
  f->wire_type = (unsigned)(tag & 7);
  f->len_pos = *pos;
  switch (f->wire_type) {
  case WIRE_VARINT:
    if (!sp_wire_varint(p, n, pos, &len))
      return 0;
    break;
  case WIRE_I64:
  case WIRE_I32:
    len = f->wire_type == WIRE_I64 ? 8 : 4;
    if (len > n - *pos)
      return 0;
    *pos += len;
    break;
  case WIRE_LEN:
    if (!sp_wire_varint(p, n, pos, &len) || len > n - *pos)
      return 0;
    *pos += len;
    break;
  default: // groups are long deprecated; leave such files to protobuf-c
    return 0;
  }
  f->begin = f->wire_type == WIRE_LEN ? *pos - (size_t)len : *pos;
  f->end = *pos;
  return 1;
}

/* One initializer whose raw_data field is cut out. */
typedef struct lift {
  size_t initializer; /* index among the graph's initializers */
  field tensor, raw;
} lift;

typedef struct lifts {
  lift *items;
  size_t count, cap;
  size_t removed; /* bytes the graph shrinks by */
} lifts;

static size_t varint_size(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}

/* Finds the one raw_data field of a tensor; 0 if none or more than one. */
static int raw_field(const uint8_t *p, const field *tensor, field *raw) {
  size_t pos = tensor->begin;
  int found = 0;
  field f;
  while (pos < tensor->end) {
    if (!next_field(p, tensor->end, &pos, &f))
      return 0;
    if (f.number == TENSOR_RAW_DATA && f.wire_type == WIRE_LEN) {
      *raw = f;
      found++;
    }
  }
  return found == 1;
}

/* Collects the initializers worth lifting; 0 when the graph is malformed
 * (protobuf-c then reports it), -1 when out of memory. */
static int find_lifts(const uint8_t *p, const field *graph, size_t min_len,
                      lifts *out) {
  size_t pos = graph->begin, index = 0;
  field f;
  while (pos < graph->end) {
    if (!next_field(p, graph->end, &pos, &f))
      return 0;
    if (f.number != GRAPH_INITIALIZER || f.wire_type != WIRE_LEN)
      continue;
    lift l = {index++, f, {0}};
    if (!raw_field(p, &f, &l.raw) || l.raw.end - l.raw.begin < min_len)
      continue;
    if (sp_grow((void **)&out->items, &out->cap, out->count,
                sizeof *out->items) < 0)
      return -1;
    size_t cut = l.raw.end - l.raw.start;
    size_t len = f.end - f.begin;
    out->removed += cut + varint_size(len) - varint_size(len - cut);
    out->items[out->count++] = l;
  }
  return 1;
}

/* The one graph field of the model; 0 if absent or repeated (protobuf
 * would merge the copies). */
static int graph_field(const uint8_t *p, size_t n, field *graph) {
  size_t pos = 0;
  int found = 0;
  field f;
  while (pos < n) {
    if (!next_field(p, n, &pos, &f))
      return 0;
    if (f.number == MODEL_GRAPH && f.wire_type == WIRE_LEN) {
      *graph = f;
      found++;
    }
  }
  return found == 1;
}

static uint8_t *put_varint(uint8_t *q, uint64_t v) {
  for (; v >= 0x80; v >>= 7)
    *q++ = (uint8_t)(v | 0x80);
  *q++ = (uint8_t)v;
  return q;
}

static uint8_t *put_bytes(uint8_t *q, const uint8_t *p, size_t begin,
                          size_t end) {
  memcpy(q, p + begin, end - begin);
  return q + (end - begin);
}

/* The model without the lifted raw_data fields, lengths re-encoded. */
static uint8_t *compact(const uint8_t *p, size_t n, const field *graph,
                        const lifts *l, size_t *size) {
  uint8_t *out = malloc(n), *q = out;
  if (!out)
    return NULL;
  q = put_bytes(q, p, 0, graph->len_pos);
  q = put_varint(q, graph->end - graph->begin - l->removed);
  size_t cursor = graph->begin;
  for (size_t i = 0; i < l->count; ++i) {
    const field *t = &l->items[i].tensor, *raw = &l->items[i].raw;
    q = put_bytes(q, p, cursor, t->len_pos);
    q = put_varint(q, t->end - t->begin - (raw->end - raw->start));
    q = put_bytes(q, p, t->begin, raw->start);
    q = put_bytes(q, p, raw->end, t->end);
    cursor = t->end;
  }
  q = put_bytes(q, p, cursor, n);
  *size = (size_t)(q - out);
  return out;
}

/* Points the lifted tensors' raw_data into p; 0 if the unpacked model does
 * not have the initializers the scan saw. */
static int attach(Onnx__ModelProto *proto, const uint8_t *p, const lifts *l,
                  Onnx__TensorProto **tensors) {
  const Onnx__GraphProto *g = proto->graph;
  for (size_t i = 0; i < l->count; ++i)
    if (!g || l->items[i].initializer >= g->n_initializer ||
        g->initializer[l->items[i].initializer]->has_raw_data)
      return 0;
  for (size_t i = 0; i < l->count; ++i) {
    Onnx__TensorProto *t = g->initializer[l->items[i].initializer];
    t->has_raw_data = 1;
    t->raw_data.data = (uint8_t *)p + l->items[i].raw.begin;
    t->raw_data.len = l->items[i].raw.end - l->items[i].raw.begin;
    tensors[i] = t;
  }
  return 1;
}

int sp_onnx_unpack_lifted(const uint8_t *p, size_t n, size_t min_len,
                          Onnx__ModelProto **proto, Onnx__TensorProto ***lifted,
                          size_t *num_lifted) {
  *proto = NULL;
  *lifted = NULL;
  *num_lifted = 0;
  field graph = {0};
  lifts l = {0};
  if (!graph_field(p, n, &graph) || find_lifts(p, &graph, min_len, &l) <= 0 ||
      l.count == 0) {
    free(l.items);
    return 0;
  }
  size_t size;
  uint8_t *small = compact(p, n, &graph, &l, &size);
  Onnx__TensorProto **tensors = malloc(l.count * sizeof *tensors);
  Onnx__ModelProto *m =
      small && tensors ? onnx__model_proto__unpack(NULL, size, small) : NULL;
  free(small);
  if (!m || !attach(m, p, &l, tensors)) {
    if (m)
      onnx__model_proto__free_unpacked(m, NULL);
    free(tensors);
    free(l.items);
    return 0;
  }
  *proto = m;
  *lifted = tensors;
  *num_lifted = l.count;
  free(l.items);
  return 1;
}

void sp_onnx_release_lifted(Onnx__TensorProto **lifted, size_t num_lifted) {
  for (size_t i = 0; i < num_lifted; ++i) {
    lifted[i]->has_raw_data = 0;
    lifted[i]->raw_data.data = NULL;
    lifted[i]->raw_data.len = 0;
  }
}
