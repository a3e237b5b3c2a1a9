/* topo.c - topological order of a graph's nodes (Kahn's algorithm).
 *
 * A node that owns subgraphs also depends on the outer values those
 * subgraphs read, so an If whose branch uses %x comes after %x's producer. */
#include <stdlib.h>
#include <string.h>

#include "onnx_internal.h"

#define MAX_GRAPH_DEPTH 64

typedef struct names {
  const char **items;
  size_t count, cap;
} names;

static int push_name(names *list, const char *name) {
  if (sp_grow((void **)&list->items, &list->cap, list->count,
              sizeof *list->items) < 0)
    return -1;
  list->items[list->count++] = name;
  return 0;
}

static int free_names(const Onnx__GraphProto *g, int depth, names *out);

/* Every name g defines itself: inputs, initializers, node outputs. */
static int graph_defs(const Onnx__GraphProto *g, sp_map *defs) {
  sp_map_init(defs);
  for (size_t i = 0; i < g->n_input; ++i)
    if (g->input[i]->name && sp_map_put_str(defs, g->input[i]->name, NULL) < 0)
      return -1;
  for (size_t i = 0; i < g->n_initializer; ++i)
    if (g->initializer[i]->name &&
        sp_map_put_str(defs, g->initializer[i]->name, NULL) < 0)
      return -1;
  for (size_t i = 0; i < g->n_node; ++i)
    for (size_t j = 0; j < g->node[i]->n_output; ++j)
      if (sp_map_put_str(defs, g->node[i]->output[j], NULL) < 0)
        return -1;
  return 0;
}

/* Appends the names the subgraphs of node read from outside themselves. */
static int node_free_names(const Onnx__NodeProto *node, int depth, names *out) {
  for (size_t i = 0; i < node->n_attribute; ++i) {
    const Onnx__AttributeProto *a = node->attribute[i];
    if (a->g && free_names(a->g, depth + 1, out) < 0)
      return -1;
    for (size_t j = 0; j < a->n_graphs; ++j)
      if (free_names(a->graphs[j], depth + 1, out) < 0)
        return -1;
  }
  return 0;
}

/* Appends to out the names g uses but does not define (may repeat). */
static int free_names(const Onnx__GraphProto *g, int depth, names *out) {
  if (depth > MAX_GRAPH_DEPTH)
    return -1;
  sp_map defs = {0};
  names used = {0};
  int rc = graph_defs(g, &defs);
  for (size_t i = 0; rc == 0 && i < g->n_node; ++i) {
    const Onnx__NodeProto *node = g->node[i];
    for (size_t j = 0; rc == 0 && j < node->n_input; ++j)
      rc = push_name(&used, node->input[j]);
    if (rc == 0)
      rc = node_free_names(node, depth, &used);
  }
  for (size_t i = 0; rc == 0 && i < g->n_output; ++i)
    if (g->output[i]->name)
      rc = push_name(&used, g->output[i]->name);
  for (size_t i = 0; rc == 0 && i < used.count; ++i)
    if (used.items[i][0] && !sp_onnx_lookup(&defs, used.items[i], NULL))
      rc = push_name(out, used.items[i]);
  free(used.items);
  sp_map_free(&defs);
  return rc;
}

/* Dependency edges, grouped by consumer: preds[pred_start[i]..[i+1]). */
typedef struct deps {
  size_t *preds, *pred_start;
  size_t count, cap;
} deps;

static int add_uses(const sp_map *producers, const char *const *used, size_t n,
                    deps *d) {
  for (size_t k = 0; k < n; ++k) {
    size_t p;
    if (!used[k][0] || !sp_onnx_lookup(producers, used[k], &p))
      continue;
    if (sp_grow((void **)&d->preds, &d->cap, d->count, sizeof *d->preds) < 0)
      return -1;
    d->preds[d->count++] = p;
  }
  return 0;
}

static int collect_deps(const Onnx__GraphProto *g, const sp_map *producers,
                        deps *d) {
  d->pred_start = malloc((g->n_node + 1) * sizeof *d->pred_start);
  if (!d->pred_start)
    return -1;
  for (size_t i = 0; i < g->n_node; ++i) {
    const Onnx__NodeProto *node = g->node[i];
    d->pred_start[i] = d->count;
    names outer = {0};
    int rc =
        add_uses(producers, (const char *const *)node->input, node->n_input, d);
    if (rc == 0)
      rc = node_free_names(node, 0, &outer);
    if (rc == 0)
      rc = add_uses(producers, outer.items, outer.count, d);
    free(outer.items);
    if (rc < 0)
      return -1;
  }
  d->pred_start[g->n_node] = d->count;
  return 0;
}

/* Min-heap of node indices: among ready nodes the earliest in the file goes
 * first, so an already sorted graph keeps its order. */
static void heap_push(size_t *heap, size_t *n, size_t v) {
  size_t i = (*n)++;
  for (; i > 0 && heap[(i - 1) / 2] > v; i = (i - 1) / 2)
    heap[i] = heap[(i - 1) / 2];
  heap[i] = v;
}

static size_t heap_pop(size_t *heap, size_t *n) {
  size_t top = heap[0], last = heap[--*n], i = 0;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= *n)
      break;
    if (c + 1 < *n && heap[c + 1] < heap[c])
      c++;
    if (last <= heap[c])
      break;
    heap[i] = heap[c];
    i = c;
  }
  if (*n)
    heap[i] = last;
  return top;
}

/* Walks back from an unplaced node through unplaced predecessors; the first
 * node seen twice lies on a cycle. */
static size_t node_on_cycle(const deps *d, const size_t *indegree, size_t n,
                            size_t *seen) {
  size_t u = 0;
  while (indegree[u] == 0)
    u++;
  memset(seen, 0, n * sizeof *seen);
  while (!seen[u]) {
    seen[u] = 1;
    for (size_t k = d->pred_start[u]; k < d->pred_start[u + 1]; ++k)
      if (indegree[d->preds[k]] > 0) {
        u = d->preds[k];
        break;
      }
  }
  return u;
}

/* Successor lists from the predecessor lists (CSR, grouped by producer). */
static int invert(const deps *d, size_t n, size_t **succ_start, size_t **succ) {
  size_t *start = calloc(n + 2, sizeof *start);
  size_t *list = malloc((d->count + 1) * sizeof *list);
  if (!start || !list) {
    free(start), free(list);
    return -1;
  }
  for (size_t k = 0; k < d->count; ++k)
    start[d->preds[k] + 2]++;
  for (size_t i = 2; i < n + 2; ++i)
    start[i] += start[i - 1];
  // start[p + 1] is the fill cursor of p; after filling it is p's end.
  for (size_t i = 0; i < n; ++i)
    for (size_t k = d->pred_start[i]; k < d->pred_start[i + 1]; ++k)
      list[start[d->preds[k] + 1]++] = i;
  *succ_start = start;
  *succ = list;
  return 0;
}

/* Kahn's algorithm over the edges; *placed counts the nodes ordered and
 * indegree keeps what is left, nonzero exactly for unplaced nodes. */
static int kahn(const deps *d, size_t n, size_t *order, size_t *indegree,
                size_t *placed) {
  size_t *succ_start, *succ;
  size_t *heap = malloc((n + 1) * sizeof *heap);
  if (!heap || invert(d, n, &succ_start, &succ) < 0) {
    free(heap);
    return -1;
  }
  size_t heap_n = 0;
  *placed = 0;
  for (size_t i = 0; i < n; ++i) {
    indegree[i] = d->pred_start[i + 1] - d->pred_start[i];
    if (indegree[i] == 0)
      heap_push(heap, &heap_n, i);
  }
  while (heap_n) {
    size_t u = heap_pop(heap, &heap_n);
    order[(*placed)++] = u;
    for (size_t k = succ_start[u]; k < succ_start[u + 1]; ++k)
      if (--indegree[succ[k]] == 0)
        heap_push(heap, &heap_n, succ[k]);
  }
  free(succ_start), free(succ), free(heap);
  return 0;
}

static int build_producers(const Onnx__GraphProto *g, sp_map *producers) {
  sp_map_init(producers);
  for (size_t i = 0; i < g->n_node; ++i)
    for (size_t j = 0; j < g->node[i]->n_output; ++j)
      if (g->node[i]->output[j][0] &&
          sp_onnx_define(producers, g->node[i]->output[j], i, NULL) < 0)
        return -1;
  return 0;
}

int sp_onnx_topo_order(const Onnx__GraphProto *graph, size_t **order,
                       sp_error *err) {
  *order = NULL;
  size_t n = graph->n_node, placed = 0;
  sp_map producers = {0};
  deps d = {0};
  size_t *out = malloc((n + 1) * sizeof *out);
  size_t *indegree = malloc((n + 1) * sizeof *indegree);
  int rc = -1;
  if (out && indegree && build_producers(graph, &producers) == 0 &&
      collect_deps(graph, &producers, &d) == 0 &&
      kahn(&d, n, out, indegree, &placed) == 0)
    rc = 0;
  if (rc < 0) {
    sp_error_set(err, "out of memory or subgraphs nested deeper than %d",
                 MAX_GRAPH_DEPTH);
  } else if (placed < n) {
    char label[300];
    size_t u = node_on_cycle(&d, indegree, n, out);
    sp_error_set(err, "%s is on a cycle",
                 sp_onnx_node_label(graph->node[u], u, label, sizeof label));
    rc = -1;
  }
  if (rc == 0)
    *order = out;
  else
    free(out);
  free(indegree), free(d.preds), free(d.pred_start);
  sp_map_free(&producers);
  return rc;
}
