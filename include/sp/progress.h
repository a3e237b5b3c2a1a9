/* sp/progress.h - one progress bar with an ETA for every long step.
 *
 * Calibration passes, sensitivity sweeps, training epochs, accuracy runs and
 * conformance runs all report through here, so they look and behave alike:
 * on a terminal (stderr is a tty) a single line is redrawn in place,
 *   "sp-train: epoch 2/3 [#########...........]  45%  212/469  ETA 0:31  loss 0.41"
 * at most ten times a second; when stderr is not a terminal (logs, CI, pipes)
 * or quiet is set, nothing is drawn. SP_PROGRESS=1 in the environment forces
 * the bar on (tests), SP_PROGRESS=0 off. */
#ifndef SP_PROGRESS_H
#define SP_PROGRESS_H

#include <stdint.h>

typedef struct sp_progress {
  char label[96];   /* "sp-train: epoch 1/3" */
  int64_t total;    /* steps in the whole step; <= 0: unknown (no bar, no ETA) */
  int64_t done;
  double start_s, drawn_s; /* monotonic seconds */
  int active;       /* drawing (a terminal and not quiet) */
} sp_progress;

/* Starts a bar of total steps named label; draws nothing when quiet or when
 * stderr is not a terminal. */
void sp_progress_start(sp_progress *p, const char *label, int64_t total, int quiet);

/* Sets the steps done so far and redraws (rate-limited); detail (may be
 * NULL) is shown after the ETA, e.g. the running loss. */
void sp_progress_update(sp_progress *p, int64_t done, const char *detail);

/* Erases the bar so that the next line of output starts clean. */
void sp_progress_finish(sp_progress *p);

/* 1 when a bar started with quiet=0 would be drawn. */
int sp_progress_enabled(void);

/* Silences every bar of the process (a tool's --quiet), whatever each
 * caller's own quiet says. */
void sp_progress_set_quiet(int quiet);
/* 1 after sp_progress_set_quiet(1): callers drop their plain progress lines
 * (the ones printed when stderr is not a terminal) too. */
int sp_progress_silenced(void);

#endif
