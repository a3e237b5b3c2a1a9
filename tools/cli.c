#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* strtoll/strtod skip leading blanks; a number on the command line has none. */
static int starts_like_number(const char *text) {
  return text && *text && !isspace((unsigned char)*text);
}

int cli_parse_int(const char *option, const char *text, int64_t min, int64_t max,
                  int64_t *out, sp_error *err) {
  char *end = NULL;
  errno = 0;
  long long v = starts_like_number(text) ? strtoll(text, &end, 10) : 0;
  if (!end || end == text || *end)
    return sp_error_set(err, "%s: '%s' is not an integer", option, text ? text : "");
  if (errno == ERANGE || v < min || v > max)
    return sp_error_set(err, "%s: %s is out of range (%lld to %lld)", option, text,
                        (long long)min, (long long)max);
  *out = v;
  return 0;
}

int cli_parse_double(const char *option, const char *text, double min, double max,
                     double *out, sp_error *err) {
  char *end = NULL;
  errno = 0;
  double v = starts_like_number(text) ? strtod(text, &end) : 0;
  if (!end || end == text || *end || isnan(v))
    return sp_error_set(err, "%s: '%s' is not a number", option, text ? text : "");
  if (errno == ERANGE || !isfinite(v) || v < min || v > max)
    return sp_error_set(err, "%s: %s is out of range (%g to %g)", option, text, min, max);
  *out = v;
  return 0;
}

int cli_parse_dim(const char *text, size_t *name_len, int64_t *value, sp_error *err) {
  const char *eq = strchr(text, '=');
  if (!eq || eq == text)
    return sp_error_set(err, "--dim expects NAME=VALUE, got '%s'", text);
  char label[160];
  snprintf(label, sizeof label, "--dim %.*s", (int)(eq - text < 128 ? eq - text : 128), text);
  *name_len = (size_t)(eq - text);
  return cli_parse_int(label, eq + 1, 0, INT64_MAX, value, err);
}

int cli_check_text(const char *path, const char *text, size_t size, sp_error *err) {
  const char *nul = memchr(text, 0, size);
  if (nul)
    return sp_error_set(err,
                        "%s: NUL byte at offset %zu: not MLIR text (an ONNX model is "
                        "read from a file named *.onnx)",
                        strcmp(path, "-") ? path : "<stdin>", (size_t)(nul - text));
  return 0;
}

/* Whether other runnable threads hold half the cores or more right now
 * (/proc/loadavg's count includes this process and often one transient
 * kernel or shell thread); 1 when it cannot tell. */
static int machine_busy(void) {
  FILE *f = fopen("/proc/loadavg", "r");
  if (!f)
    return 1;
  double l1, l5, l15;
  int running = 0, total = 0;
  int ok = fscanf(f, "%lf %lf %lf %d/%d", &l1, &l5, &l15, &running, &total) == 5;
  fclose(f);
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  return !ok || running - 1 > (cores > 1 ? cores / 2 : 0);
}

/* libgomp reads its wait policy when it is loaded, before main: re-exec once
 * with one chosen here unless the user set OMP_WAIT_POLICY or GOMP_SPINCOUNT.
 * Idle machine: a short spin (GOMP_SPINCOUNT=10000, tens of microseconds)
 * bridges back-to-back kernels; sleeping at once costs a futex wake-up per
 * parallel region (resnet18, 2 threads: 24 ms spinning, 27-38 ms passive).
 * Busy machine: a spinning thread takes the core the working one needs
 * (86 ms vs 48 ms with one other busy process), so threads sleep at once. */
void cli_choose_omp_wait(char **argv) {
  if (getenv("OMP_WAIT_POLICY") || getenv("GOMP_SPINCOUNT"))
    return;
  if (machine_busy())
    setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
  else
    setenv("GOMP_SPINCOUNT", "10000", 1);
  execv("/proc/self/exe", argv);
  /* exec failed: carry on with the default policy */
}
