/* sp/error.h - one-line error messages carried back to the caller. */
#ifndef SP_ERROR_H
#define SP_ERROR_H

#include <stdarg.h>

#define SP_ERROR_MAX 1024

/* An error is one line: "<file>: <where>: <what>". Functions return 0 on
 * success and -1 after filling an sp_error. */
typedef struct sp_error {
  char message[SP_ERROR_MAX];
} sp_error;

/* Sets err (if non-NULL) to the printf-style message; always returns -1. */
int sp_error_set(sp_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prepends "prefix: " to an error already set (e.g. the file name). */
int sp_error_prefix(sp_error *err, const char *prefix);

#endif
