#include "sp/hashmap.h"

#include <stdlib.h>
#include <string.h>

// FNV-1a: short keys (tensor names), good enough spread, no dependencies.
static uint64_t hash_bytes(const void *data, size_t len) {
  const unsigned char *p = data;
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < len; ++i)
    h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

// Finalizer of splitmix64: pointers have low-entropy low bits.
static uint64_t hash_ptr(const void *key) {
  uint64_t x = (uint64_t)(uintptr_t)key;
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

void sp_map_init(sp_map *map) { memset(map, 0, sizeof *map); }

void sp_map_free(sp_map *map) {
  free(map->slots);
  sp_map_init(map);
}

static int same_key(const sp_map_entry *e, const void *key, size_t len,
                    uint64_t hash) {
  if (e->hash != hash || e->key_len != len)
    return 0;
  return len ? memcmp(e->key, key, len) == 0 : e->key == key;
}

static sp_map_entry *find_slot(const sp_map *map, const void *key, size_t len,
                               uint64_t hash) {
  size_t mask = map->capacity - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    sp_map_entry *e = &map->slots[i];
    if (!e->key || same_key(e, key, len, hash))
      return e;
  }
}

static int grow(sp_map *map) {
  size_t capacity = map->capacity ? map->capacity * 2 : 16;
  sp_map_entry *old = map->slots;
  size_t old_capacity = map->capacity;
  map->slots = calloc(capacity, sizeof *map->slots);
  if (!map->slots) {
    map->slots = old;
    return -1;
  }
  map->capacity = capacity;
  for (size_t i = 0; i < old_capacity; ++i)
    if (old[i].key)
      *find_slot(map, old[i].key, old[i].key_len, old[i].hash) = old[i];
  free(old);
  return 0;
}

static int put(sp_map *map, const void *key, size_t len, uint64_t hash,
               void *value) {
  // Keep the load factor under 1/2 so probes stay short.
  if ((map->count + 1) * 2 > map->capacity && grow(map) != 0)
    return -1;
  sp_map_entry *e = find_slot(map, key, len, hash);
  if (!e->key) {
    e->key = key;
    e->key_len = len;
    e->hash = hash;
    map->count++;
  }
  e->value = value;
  return 0;
}

static void *get(const sp_map *map, const void *key, size_t len,
                 uint64_t hash, int *found) {
  if (found)
    *found = 0;
  if (!map->capacity)
    return NULL;
  sp_map_entry *e = find_slot(map, key, len, hash);
  if (!e->key)
    return NULL;
  if (found)
    *found = 1;
  return e->value;
}

// String keys use length+1 so the empty string "" is distinct from pointer keys.
int sp_map_put_str(sp_map *map, const char *key, void *value) {
  size_t len = strlen(key) + 1;
  return put(map, key, len, hash_bytes(key, len), value);
}

void *sp_map_get_str(const sp_map *map, const char *key, int *found) {
  size_t len = strlen(key) + 1;
  return get(map, key, len, hash_bytes(key, len), found);
}

int sp_map_put_ptr(sp_map *map, const void *key, void *value) {
  return put(map, key, 0, hash_ptr(key), value);
}

void *sp_map_get_ptr(const sp_map *map, const void *key, int *found) {
  return get(map, key, 0, hash_ptr(key), found);
}
