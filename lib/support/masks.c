/* masks.c - the "sp.masks" metadata codec (sp/masks.h), JSON via cJSON. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sp/masks.h"

int sp_masks_add(sp_masks *m, const char *tensor, int axis, const int64_t *ranges,
                 size_t n_ranges) {
  sp_mask *items = realloc(m->items, (m->n + 1) * sizeof *items);
  if (!items)
    return -1;
  m->items = items;
  sp_mask *e = &items[m->n];
  e->tensor = strdup(tensor);
  e->axis = axis;
  e->n_ranges = n_ranges;
  e->ranges = malloc((2 * n_ranges + 1) * sizeof *e->ranges);
  if (!e->tensor || !e->ranges) {
    free(e->tensor);
    free(e->ranges);
    return -1;
  }
  if (n_ranges) /* ranges may be NULL then */
    memcpy(e->ranges, ranges, 2 * n_ranges * sizeof *ranges);
  m->n++;
  return 0;
}

size_t sp_mask_ranges(const unsigned char *flags, int64_t n, int64_t *ranges) {
  size_t count = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (!flags[i])
      continue;
    if (count && ranges[2 * count - 1] == i)
      ranges[2 * count - 1] = i + 1; /* extends the previous range */
    else
      ranges[2 * count] = i, ranges[2 * count + 1] = i + 1, ++count;
  }
  return count;
}

void sp_masks_free(sp_masks *m) {
  for (size_t i = 0; i < m->n; ++i) {
    free(m->items[i].tensor);
    free(m->items[i].ranges);
  }
  free(m->items);
  m->items = NULL;
  m->n = 0;
}

/* An integer-valued JSON number in [lo, hi]. */
static int json_int(const cJSON *j, double lo, double hi, int64_t *out) {
  if (!cJSON_IsNumber(j))
    return -1;
  double d = j->valuedouble;
  if (d != floor(d) || d < lo || d > hi)
    return -1;
  *out = (int64_t)d;
  return 0;
}

static int parse_entry(const cJSON *e, size_t i, sp_masks *out, sp_error *err) {
  const cJSON *tensor = cJSON_GetObjectItemCaseSensitive(e, "tensor");
  const cJSON *axis = cJSON_GetObjectItemCaseSensitive(e, "axis");
  const cJSON *zeroed = cJSON_GetObjectItemCaseSensitive(e, "zeroed");
  int64_t ax;
  if (!cJSON_IsObject(e) || !cJSON_IsString(tensor) || json_int(axis, 0, 64, &ax) ||
      !cJSON_IsArray(zeroed))
    return sp_error_set(err, SP_MASKS_KEY ": entry %zu needs \"tensor\" (string), \"axis\" "
                        "(0..64) and \"zeroed\" (array)", i);
  size_t n = (size_t)cJSON_GetArraySize(zeroed);
  int64_t *ranges = malloc((2 * n + 1) * sizeof *ranges);
  if (!ranges)
    return sp_error_set(err, "out of memory");
  size_t k = 0;
  const cJSON *r;
  cJSON_ArrayForEach(r, zeroed) {
    if (!cJSON_IsArray(r) || cJSON_GetArraySize(r) != 2 ||
        json_int(cJSON_GetArrayItem(r, 0), 0, 9e15, &ranges[2 * k]) ||
        json_int(cJSON_GetArrayItem(r, 1), 0, 9e15, &ranges[2 * k + 1]) ||
        ranges[2 * k] >= ranges[2 * k + 1] || (k && ranges[2 * k] < ranges[2 * k - 1])) {
      free(ranges);
      return sp_error_set(err, SP_MASKS_KEY ": '%s' axis %d: range %zu is not [start, end) "
                          "with start < end, after the previous range",
                          tensor->valuestring, (int)ax, k);
    }
    ++k;
  }
  int rc = sp_masks_add(out, tensor->valuestring, (int)ax, ranges, n);
  free(ranges);
  return rc ? sp_error_set(err, "out of memory") : 0;
}

int sp_masks_parse(const char *text, sp_masks *out, sp_error *err) {
  memset(out, 0, sizeof *out);
  cJSON *root = cJSON_Parse(text);
  const cJSON *version = cJSON_GetObjectItemCaseSensitive(root, "version");
  const cJSON *masks = cJSON_GetObjectItemCaseSensitive(root, "masks");
  int64_t v;
  int rc = 0;
  if (!root || !cJSON_IsObject(root))
    rc = sp_error_set(err, SP_MASKS_KEY ": not a JSON object");
  else if (json_int(version, 1, 1, &v))
    rc = sp_error_set(err, SP_MASKS_KEY ": \"version\" must be 1");
  else if (!cJSON_IsArray(masks))
    rc = sp_error_set(err, SP_MASKS_KEY ": \"masks\" must be an array");
  size_t i = 0;
  const cJSON *e;
  if (!rc)
    cJSON_ArrayForEach(e, masks) {
      if ((rc = parse_entry(e, i++, out, err)))
        break;
    }
  cJSON_Delete(root);
  if (rc)
    sp_masks_free(out);
  return rc;
}

char *sp_masks_format(const sp_masks *m) {
  cJSON *root = cJSON_CreateObject();
  int ok = root && cJSON_AddNumberToObject(root, "version", 1);
  cJSON *list = ok ? cJSON_AddArrayToObject(root, "masks") : NULL;
  ok = list != NULL;
  for (size_t i = 0; ok && i < m->n; ++i) {
    const sp_mask *e = &m->items[i];
    cJSON *item = cJSON_CreateObject();
    ok = item && cJSON_AddItemToArray(list, item) &&
         cJSON_AddStringToObject(item, "tensor", e->tensor) &&
         cJSON_AddNumberToObject(item, "axis", e->axis);
    cJSON *zeroed = ok ? cJSON_AddArrayToObject(item, "zeroed") : NULL;
    ok = zeroed != NULL;
    for (size_t k = 0; ok && k < e->n_ranges; ++k) {
      double pair[2] = {(double)e->ranges[2 * k], (double)e->ranges[2 * k + 1]};
      cJSON *r = cJSON_CreateDoubleArray(pair, 2);
      ok = r && cJSON_AddItemToArray(zeroed, r);
    }
  }
  char *text = ok ? cJSON_PrintUnformatted(root) : NULL;
  cJSON_Delete(root);
  return text;
}
