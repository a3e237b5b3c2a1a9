/* tools/cli.h - checks shared by sp-run, sp-opt and sp-translate on what
 * they are given. Numbers are parsed strictly: the whole text, base 10,
 * range-checked; "8x", "", " 8", "abc" and out-of-range values are errors,
 * never clamped or read as 0 (as atoi and strtol do). */
#ifndef SP_CLI_H
#define SP_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "sp/error.h"

/* Parses text as an integer in [min, max] into *out. Returns 0, or -1 with
 * err set to "OPTION: 'TEXT' is not an integer" or "... is out of range
 * (MIN to MAX)"; option names what was parsed, e.g. "--threads". */
int cli_parse_int(const char *option, const char *text, int64_t min, int64_t max,
                  int64_t *out, sp_error *err);

/* Parses text as a finite number in [min, max] into *out; errors as above. */
int cli_parse_double(const char *option, const char *text, double min, double max,
                     double *out, sp_error *err);

/* Parses a --dim NAME=VALUE option: NAME non-empty (its length in
 * *name_len), VALUE an integer >= 0 that fits in int64. 0, or -1 with err
 * set ("--dim expects NAME=VALUE, got ...", "--dim batch: ... out of range"). */
int cli_parse_dim(const char *text, size_t *name_len, int64_t *value, sp_error *err);

/* Checks that size bytes read from path are text (MLIR): no NUL byte, which
 * the parser would take as the end of input. 0, or -1 with err set. */
int cli_check_text(const char *path, const char *text, size_t size, sp_error *err);

/* Re-executes the program once with an OpenMP wait policy fitting the load
 * (libgomp reads it before main): spinning briefly on an idle machine,
 * sleeping at once on a busy one; nothing when the user chose one. */
void cli_choose_omp_wait(char **argv);

#endif
