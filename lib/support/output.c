/* output.c - the one way sp writes a file (see sp/output.h for the rules). */
#include "sp/output.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int write_error(sp_error *err, const char *path, int e) {
  if (!strcmp(path, "-"))
    return sp_error_set(err, "cannot write standard output: %s", strerror(e ? e : EIO));
  return sp_error_set(err, "cannot write '%s': %s", path, strerror(e ? e : EIO));
}

/* ---- temp files removed on a signal ---- */

/* Temp-file names of open outputs; the handler unlinks them (unlink is
 * async-signal-safe). A slot is claimed before the file exists. */
#define MAX_SLOTS 64
static char *volatile slots[MAX_SLOTS];

static int claim_slot(char *tmp) {
  for (int i = 0; i < MAX_SLOTS; ++i) {
    char *expected = NULL;
    if (__atomic_compare_exchange_n(&slots[i], &expected, tmp, 0,
                                    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
      return i;
  }
  return -1; /* more than 64 at once: written, just not cleaned on a signal */
}

static void release_slot(sp_output *o) {
  if (o->slot >= 0)
    __atomic_store_n(&slots[o->slot], NULL, __ATOMIC_SEQ_CST);
  o->slot = -1;
}

static void remove_temps(int sig) {
  for (int i = 0; i < MAX_SLOTS; ++i) {
    char *tmp = __atomic_load_n(&slots[i], __ATOMIC_SEQ_CST);
    if (tmp)
      unlink(tmp);
  }
  signal(sig, SIG_DFL);
  raise(sig);
}

void sp_output_remove_on_signal(void) {
  static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; ++i) {
    struct sigaction old;
    /* leave a signal the caller ignores (nohup) ignored */
    if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL) {
      struct sigaction sa;
      memset(&sa, 0, sizeof sa);
      sa.sa_handler = remove_temps;
      sigemptyset(&sa.sa_mask);
      sigaction(sigs[i], &sa, NULL);
    }
  }
}

/* ---- opening ---- */

/* The current umask, read without changing it (umask() would race with
 * other threads creating files). */
static mode_t current_umask(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[128];
  unsigned mask = 022;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "Umask: %o", &mask) == 1)
      break;
  if (f)
    fclose(f);
  return (mode_t)mask;
}

/* path with every symlink in its last component followed (a dangling link
 * yields the missing file it names); NULL with errno set on failure. */
static char *final_target(const char *path) {
  char *cur = strdup(path);
  for (int hops = 0; cur && hops < 40; ++hops) {
    struct stat st;
    if (lstat(cur, &st) < 0 || !S_ISLNK(st.st_mode))
      return cur;
    char link[PATH_MAX];
    ssize_t n = readlink(cur, link, sizeof link - 1);
    if (n < 0) {
      free(cur);
      return NULL;
    }
    link[n] = '\0';
    const char *slash = strrchr(cur, '/');
    size_t dir_len = link[0] == '/' || !slash ? 0 : (size_t)(slash - cur + 1);
    char *next = malloc(dir_len + (size_t)n + 1);
    if (next) {
      memcpy(next, cur, dir_len);
      memcpy(next + dir_len, link, (size_t)n + 1);
    }
    free(cur);
    cur = next;
  }
  if (cur) {
    free(cur);
    errno = ELOOP;
  }
  return NULL;
}

int sp_output_open(sp_output *o, const char *path, sp_error *err) {
  memset(o, 0, sizeof *o);
  o->path = path;
  o->slot = -1;
  if (!path || !*path)
    return sp_error_set(err, "cannot write '': empty file name");
  if (!strcmp(path, "-")) {
    o->file = stdout;
    return 0;
  }
  if (!(o->target = final_target(path)))
    return write_error(err, path, errno);
  struct stat st;
  mode_t mode;
  if (stat(o->target, &st) == 0) {
    if (S_ISDIR(st.st_mode)) {
      sp_output_discard(o);
      return write_error(err, path, EISDIR);
    }
    if (!S_ISREG(st.st_mode)) { /* a device or FIFO: never replaced */
      if (!(o->file = fopen(o->target, "wb"))) {
        int e = errno;
        sp_output_discard(o);
        return write_error(err, path, e);
      }
      return 0;
    }
    mode = st.st_mode & 07777;
  } else {
    mode = 0666 & ~current_umask();
  }
  size_t n = strlen(o->target) + sizeof ".tmp.XXXXXX";
  if (!(o->tmp = malloc(n))) {
    sp_output_discard(o);
    return write_error(err, path, ENOMEM);
  }
  snprintf(o->tmp, n, "%s.tmp.XXXXXX", o->target);
  o->slot = claim_slot(o->tmp);
  int fd = mkstemp(o->tmp);
  if (fd < 0) {
    int e = errno;
    release_slot(o);
    free(o->tmp);
    o->tmp = NULL;
    sp_output_discard(o);
    return write_error(err, path, e);
  }
  /* mkstemp makes 0600 files: give the mode the file has or would get */
  if (fchmod(fd, mode) < 0 || !(o->file = fdopen(fd, "wb"))) {
    int e = errno;
    close(fd);
    sp_output_discard(o);
    return write_error(err, path, e);
  }
  /* large buffer: most protobuf appends are a few bytes of tags and names */
  setvbuf(o->file, NULL, _IOFBF, 1 << 20);
  return 0;
}

/* ---- closing ---- */

int sp_output_finish(sp_output *o, int durable, sp_error *err) {
  if (!o->file)
    return write_error(err, o->path, EBADF);
  errno = 0; /* ferror alone sets no errno: EIO then */
  int failed = fflush(o->file) != 0 || ferror(o->file) ||
               (durable && o->tmp && fsync(fileno(o->file)) != 0);
  int e = errno;
  if (o->file != stdout && fclose(o->file) != 0 && !failed) {
    failed = 1;
    e = errno;
  }
  o->file = NULL;
  if (failed) {
    sp_output_discard(o);
    return write_error(err, o->path, e);
  }
  return 0;
}

int sp_output_commit(sp_output *o, sp_error *err) {
  if (o->tmp && rename(o->tmp, o->target) < 0) {
    int e = errno;
    sp_output_discard(o);
    return write_error(err, o->path, e);
  }
  release_slot(o);
  free(o->tmp);
  free(o->target);
  o->tmp = o->target = NULL;
  return 0;
}

int sp_output_close(sp_output *o, sp_error *err) {
  if (sp_output_finish(o, 0, err) < 0)
    return -1;
  return sp_output_commit(o, err);
}

void sp_output_discard(sp_output *o) {
  if (o->file && o->file != stdout)
    fclose(o->file);
  o->file = NULL;
  if (o->tmp)
    unlink(o->tmp);
  release_slot(o);
  free(o->tmp);
  free(o->target);
  o->tmp = o->target = NULL;
}

int sp_output_write_all(const char *path, const void *data, size_t len,
                        sp_error *err) {
  sp_output o;
  if (sp_output_open(&o, path, err) < 0)
    return -1;
  if (len && fwrite(data, 1, len, o.file) != len) {
    int e = errno;
    sp_output_discard(&o);
    return write_error(err, path, e);
  }
  return sp_output_close(&o, err);
}

int sp_output_check_stdout(sp_error *err) {
  errno = 0;
  if (fflush(stdout) != 0 || ferror(stdout))
    return sp_error_set(err, "cannot write standard output: %s",
                        strerror(errno ? errno : EIO));
  return 0;
}
