/* sp/arena.h - bump allocator for structures freed all at once. */
#ifndef SP_ARENA_H
#define SP_ARENA_H

#include <stddef.h>

typedef struct sp_arena {
  struct sp_arena_chunk *chunks;
} sp_arena;

/* Zeroed, 16-byte aligned memory that lives until sp_arena_free; NULL on OOM. */
void *sp_arena_alloc(sp_arena *arena, size_t size);
/* Copy of the NUL-terminated s (or of n bytes plus a NUL with strndup form). */
char *sp_arena_strdup(sp_arena *arena, const char *s);
char *sp_arena_strndup(sp_arena *arena, const char *s, size_t n);
/* Frees every allocation of the arena. */
void sp_arena_free(sp_arena *arena);

#endif
