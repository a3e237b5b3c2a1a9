/* sp/hashmap.h - open-addressing hash maps keyed by string or pointer.
 *
 * Keys are borrowed (the caller keeps them alive); values are void *.
 * Used everywhere names or MLIR handles are looked up, so lookups stay O(1)
 * on models with tens of thousands of values. */
#ifndef SP_HASHMAP_H
#define SP_HASHMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct sp_map_entry {
  const void *key; /* NULL = empty slot */
  size_t key_len;  /* string keys: strlen; pointer keys: 0 */
  uint64_t hash;
  void *value;
} sp_map_entry;

typedef struct sp_map {
  sp_map_entry *slots;
  size_t capacity; /* power of two */
  size_t count;
} sp_map;

/* Empty map; no allocation until the first insert. */
void sp_map_init(sp_map *map);
/* Frees the slot array (not keys or values). */
void sp_map_free(sp_map *map);

/* String keys (NUL-terminated, borrowed). Returns 0, or -1 on OOM. */
int sp_map_put_str(sp_map *map, const char *key, void *value);
/* Value for key, or NULL. found (may be NULL) tells a stored NULL apart. */
void *sp_map_get_str(const sp_map *map, const char *key, int *found);

/* Pointer keys (compared by address). */
int sp_map_put_ptr(sp_map *map, const void *key, void *value);
void *sp_map_get_ptr(const sp_map *map, const void *key, int *found);

#endif
