/* A progress bar with an ETA on stderr when it is a terminal (sp/progress.h). */
#include "sp/progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BAR_CELLS 24

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int process_quiet;

void sp_progress_set_quiet(int quiet) { process_quiet = quiet; }

int sp_progress_silenced(void) { return process_quiet; }

int sp_progress_enabled(void) {
  if (process_quiet)
    return 0;
  const char *force = getenv("SP_PROGRESS");
  if (force && *force)
    return strcmp(force, "0") != 0;
  return isatty(STDERR_FILENO);
}

/* "1:05:09", "4:02" or "0:07". */
static void format_duration(double s, char *buf, size_t n) {
  long t = s < 0 ? 0 : (long)(s + 0.5);
  if (t >= 3600)
    snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
  else
    snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
}

static void draw(sp_progress *p, const char *detail) {
  char line[512], eta[32] = "", bar[BAR_CELLS + 1];
  double elapsed = now_s() - p->start_s;
  int n;
  if (p->total > 0) {
    int64_t done = p->done < p->total ? p->done : p->total;
    int cells = (int)(BAR_CELLS * done / p->total);
    for (int i = 0; i < BAR_CELLS; ++i)
      bar[i] = i < cells ? '#' : '.';
    bar[BAR_CELLS] = 0;
    // The ETA needs a rate: none before the first step is done.
    if (done > 0)
      format_duration(elapsed * (double)(p->total - done) / (double)done, eta, sizeof eta);
    n = snprintf(line, sizeof line, "%s [%s] %3d%%  %lld/%lld  %s%s", p->label, bar,
                 (int)(100 * done / p->total), (long long)done, (long long)p->total,
                 *eta ? "ETA " : "", *eta ? eta : "");
  } else {
    format_duration(elapsed, eta, sizeof eta);
    n = snprintf(line, sizeof line, "%s  %lld  %s", p->label, (long long)p->done, eta);
  }
  if (n < 0)
    return;
  if (detail && *detail && (size_t)n < sizeof line)
    n += snprintf(line + n, sizeof line - (size_t)n, "  %s", detail);
  if (n >= (int)sizeof line)
    n = (int)sizeof line - 1;
  // \r to the line's start, ESC[K erases the previous bar (a terminal is all we draw on).
  fprintf(stderr, "\r\033[K%s", line);
  fflush(stderr);
  p->drawn_s = now_s();
}

void sp_progress_start(sp_progress *p, const char *label, int64_t total, int quiet) {
  memset(p, 0, sizeof *p);
  snprintf(p->label, sizeof p->label, "%s", label);
  p->total = total;
  p->start_s = now_s();
  p->active = !quiet && sp_progress_enabled();
  if (p->active)
    draw(p, NULL);
}

void sp_progress_update(sp_progress *p, int64_t done, const char *detail) {
  p->done = done;
  if (!p->active)
    return;
  // Ten redraws a second at most, but always the last step.
  if (now_s() - p->drawn_s < 0.1 && !(p->total > 0 && done >= p->total))
    return;
  draw(p, detail);
}

void sp_progress_finish(sp_progress *p) {
  if (!p->active)
    return;
  fputs("\r\033[K", stderr);
  fflush(stderr);
  p->active = 0;
}
