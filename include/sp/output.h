/* sp/output.h - writing an output file so that nothing is lost.
 *
 * Every file sp writes (models, MLIR, tensors, side outputs of passes) goes
 * through here, so the rules hold everywhere (docs/guarantees.md):
 * - a regular file is written to "<target>.tmp.XXXXXX" beside it and renamed
 *   over it only when every byte is written and flushed: a failed or
 *   interrupted write leaves the previous file, never a torn one;
 * - a path that exists and is not a regular file (a device such as /dev/null
 *   or /dev/full, a FIFO) is written in place, never replaced;
 * - a symlink is followed to its final target, which is written atomically
 *   as above: the link stays a link;
 * - a file that exists keeps its mode; a new one gets 0666 & ~umask;
 * - every write is checked (ferror, fflush, fclose): a full disk or a full
 *   device is an error naming the file;
 * - "-" is stdout, checked the same way (and left open);
 * - temp files still open when SIGINT, SIGTERM or SIGHUP arrive are removed
 *   (sp_output_remove_on_signal). */
#ifndef SP_OUTPUT_H
#define SP_OUTPUT_H

#include <stdio.h>

#include "sp/error.h"

typedef struct sp_output {
  const char *path; /* as given, for messages */
  char *target;     /* the file the bytes land in (symlinks resolved) */
  char *tmp;        /* temp file renamed over target; NULL when in place */
  FILE *file;       /* open for writing until finish/discard */
  int slot;         /* signal-cleanup slot of tmp, -1 when none */
} sp_output;

/* Opens path for writing as above. On error fills err ("cannot write
 * 'path': reason") and leaves *o closed. */
int sp_output_open(sp_output *o, const char *path, sp_error *err);

/* Flushes and checks every write so far, fsyncs when durable, closes the
 * file (not stdout). The temp file stays until sp_output_commit. */
int sp_output_finish(sp_output *o, int durable, sp_error *err);

/* Renames a finished temp file over its target (nothing for in-place
 * outputs). */
int sp_output_commit(sp_output *o, sp_error *err);

/* sp_output_finish then sp_output_commit; on error the temp file is gone. */
int sp_output_close(sp_output *o, sp_error *err);

/* Gives up: closes and removes the temp file (safe on a closed output). */
void sp_output_discard(sp_output *o);

/* Writes len bytes of text to path with the rules above (one call). */
int sp_output_write_all(const char *path, const void *data, size_t len,
                        sp_error *err);

/* Installs SIGINT/SIGTERM/SIGHUP handlers that remove the temp files of
 * every output still open, then end the process by the same signal. Call
 * once at the start of a tool's main. */
void sp_output_remove_on_signal(void);

/* Flushes stdout and checks it for write errors (e.g. a full device):
 * 0, or -1 with err set ("cannot write standard output: ..."). */
int sp_output_check_stdout(sp_error *err);

#endif
