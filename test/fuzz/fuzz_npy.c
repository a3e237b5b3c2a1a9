/* fuzz_npy.c - libFuzzer target: arbitrary bytes as a .npy file, as
 * sp-train --train-npy reads them (sp_npy_parse). A header the parser
 * accepts must describe data that lies inside the input, which is read
 * here element by element as the loader converts it; errors are one line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sp/npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* a copy of exactly size bytes, so ASan sees any read past the end */
  uint8_t *copy = malloc(size ? size : 1);
  if (!copy)
    return 0;
  if (size)
    memcpy(copy, data, size);
  sp_npy h;
  sp_error err = {{0}};
  if (sp_npy_parse(copy, size, "fuzz.npy", &h, &err) == 0) {
    if (h.data_offset + (size_t)h.numel * h.item_size != size)
      abort(); /* the data must fill the rest exactly */
    volatile uint64_t sink = 0;
    const uint8_t *p = copy + h.data_offset;
    for (int64_t i = 0; i < h.numel; ++i) {
      uint64_t v = 0;
      memcpy(&v, p + (size_t)i * h.item_size, h.item_size);
      sink += v;
    }
    (void)sink;
  } else if (strchr(err.message, '\n') || !strstr(err.message, "fuzz.npy")) {
    abort(); /* errors are one line naming the file */
  }
  free(copy);
  return 0;
}
