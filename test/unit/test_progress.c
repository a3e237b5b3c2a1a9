/* sp/progress.h: the bar's text, its ETA, its rate limit, and that nothing
 * is drawn when quiet or silenced. stderr is redirected to a file per case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sp/progress.h"

static char captured[4096];
static int saved_stderr = -1;
static char path[] = "/tmp/sp-test-progress-XXXXXX";

static void capture_begin(void) {
  fflush(stderr);
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  saved_stderr = dup(STDERR_FILENO);
  dup2(fd, STDERR_FILENO);
  close(fd);
}

/* The text written to stderr since capture_begin, \r turned into \n. */
static const char *capture_end(void) {
  fflush(stderr);
  dup2(saved_stderr, STDERR_FILENO);
  close(saved_stderr);
  FILE *f = fopen(path, "r");
  size_t n = fread(captured, 1, sizeof captured - 1, f);
  fclose(f);
  unlink(path);
  strcpy(path + strlen(path) - 6, "XXXXXX");
  captured[n] = 0;
  for (char *c = captured; *c; ++c)
    if (*c == '\r')
      *c = '\n';
  return captured;
}

static void bar_and_eta(void **state) {
  (void)state;
  setenv("SP_PROGRESS", "1", 1);
  capture_begin();
  sp_progress p;
  sp_progress_start(&p, "step", 8, 0);
  p.start_s -= 20; // 2 of 8 done in 20 s: 60 s to go
  p.drawn_s -= 1;
  sp_progress_update(&p, 2, "loss 0.5");
  sp_progress_update(&p, 3, "too soon"); // within 0.1 s of the last draw: not drawn
  sp_progress_finish(&p);
  const char *out = capture_end();
  assert_non_null(strstr(out, "step [........................]   0%  0/8"));
  assert_non_null(strstr(out, "step [######..................]  25%  2/8  ETA 1:00  loss 0.5"));
  assert_null(strstr(out, "too soon"));
  // finish erases the bar: the next line starts clean
  size_t n = strlen(out);
  assert_true(n >= 4 && !strcmp(out + n - 4, "\n\033[K"));
}

static void last_step_always_drawn(void **state) {
  (void)state;
  setenv("SP_PROGRESS", "1", 1);
  capture_begin();
  sp_progress p;
  sp_progress_start(&p, "x", 4, 0);
  sp_progress_update(&p, 4, NULL); // at once, but the last step
  sp_progress_finish(&p);
  assert_non_null(strstr(capture_end(), "x [########################] 100%  4/4  ETA 0:00"));
}

static void quiet_draws_nothing(void **state) {
  (void)state;
  setenv("SP_PROGRESS", "1", 1);
  capture_begin();
  sp_progress p;
  sp_progress_start(&p, "x", 4, 1);
  sp_progress_update(&p, 4, NULL);
  sp_progress_finish(&p);
  sp_progress_set_quiet(1);
  sp_progress_start(&p, "y", 4, 0);
  sp_progress_update(&p, 4, NULL);
  sp_progress_finish(&p);
  assert_true(sp_progress_silenced());
  sp_progress_set_quiet(0);
  setenv("SP_PROGRESS", "0", 1);
  sp_progress_start(&p, "z", 4, 0);
  sp_progress_update(&p, 4, NULL);
  sp_progress_finish(&p);
  assert_string_equal(capture_end(), "");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(bar_and_eta),
      cmocka_unit_test(last_step_always_drawn),
      cmocka_unit_test(quiet_draws_nothing),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
