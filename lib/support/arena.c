#include "sp/arena.h"

#include <stdlib.h>
#include <string.h>

typedef struct sp_arena_chunk {
  struct sp_arena_chunk *next;
  size_t used, capacity;
  _Alignas(16) unsigned char data[];
} sp_arena_chunk;

void *sp_arena_alloc(sp_arena *arena, size_t size) {
  size = (size + 15) & ~(size_t)15;
  sp_arena_chunk *c = arena->chunks;
  if (!c || c->used + size > c->capacity) {
    // Large requests get their own chunk so small ones keep packing densely.
    size_t capacity = size > 65536 ? size : 65536;
    c = malloc(sizeof *c + capacity);
    if (!c)
      return NULL;
    c->used = 0;
    c->capacity = capacity;
    c->next = arena->chunks;
    arena->chunks = c;
  }
  void *p = c->data + c->used;
  c->used += size;
  memset(p, 0, size);
  return p;
}

char *sp_arena_strndup(sp_arena *arena, const char *s, size_t n) {
  char *copy = sp_arena_alloc(arena, n + 1);
  if (copy && n)
    memcpy(copy, s, n);
  return copy;
}

char *sp_arena_strdup(sp_arena *arena, const char *s) {
  return sp_arena_strndup(arena, s, strlen(s));
}

void sp_arena_free(sp_arena *arena) {
  for (sp_arena_chunk *c = arena->chunks, *next; c; c = next) {
    next = c->next;
    free(c);
  }
  arena->chunks = NULL;
}
