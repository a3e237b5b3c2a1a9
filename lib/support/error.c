#include "sp/error.h"

#include <stdio.h>
#include <string.h>

int sp_error_set(sp_error *err, const char *fmt, ...) {
  if (!err)
    return -1;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof err->message, fmt, ap);
  va_end(ap);
  // Keep it one line: diagnostics are grepped and compared by tests.
  for (char *p = err->message; *p; ++p)
    if (*p == '\n' || *p == '\r')
      *p = ' ';
  return -1;
}

int sp_error_prefix(sp_error *err, const char *prefix) {
  if (!err || !prefix)
    return -1;
  char old[SP_ERROR_MAX];
  memcpy(old, err->message, sizeof old);
  snprintf(err->message, sizeof err->message, "%s: %s", prefix, old);
  return -1;
}
