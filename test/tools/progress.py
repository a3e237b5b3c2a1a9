"""The progress bar of sp/progress.h for the Python test runners (conformance,
zoo): same look, same rules. On a terminal (stderr a tty) one line redrawn in
place at most ten times a second,
  "conformance [#########...............]  38%  412/1083  ETA 2:41  3 failed"
and erased at the end; nothing when stderr is not a terminal or quiet is set.
SP_PROGRESS=1 in the environment forces it on, SP_PROGRESS=0 off."""
import os
import sys
import time

CELLS = 24


def enabled():
    force = os.environ.get('SP_PROGRESS', '')
    return force != '0' if force else sys.stderr.isatty()


def _duration(seconds):
    t = max(0, int(seconds + 0.5))
    return f'{t // 3600}:{t // 60 % 60:02}:{t % 60:02}' if t >= 3600 else f'{t // 60}:{t % 60:02}'


class Progress:
    def __init__(self, label, total, quiet=False):
        self.label, self.total, self.done = label, total, 0
        self.start = self.drawn = time.monotonic()
        self.active = not quiet and enabled()
        if self.active:
            self._draw('')

    def update(self, done, detail=''):
        self.done = done
        if self.active and (time.monotonic() - self.drawn >= 0.1 or done >= self.total):
            self._draw(detail)

    def say(self, text):
        """Prints a line of output (stdout) above the bar."""
        if self.active:
            sys.stderr.write('\r\033[K')
            sys.stderr.flush()
        print(text, flush=True)
        if self.active:
            self._draw('')

    def finish(self):
        if self.active:
            sys.stderr.write('\r\033[K')
            sys.stderr.flush()
            self.active = False

    def _draw(self, detail):
        done = min(self.done, self.total)
        cells = CELLS * done // self.total if self.total > 0 else 0
        bar = '#' * cells + '.' * (CELLS - cells)
        eta = ''
        if done > 0 and self.total > 0:
            eta = 'ETA ' + _duration((time.monotonic() - self.start) * (self.total - done) / done)
        pct = 100 * done // self.total if self.total > 0 else 0
        line = f'{self.label} [{bar}] {pct:3}%  {done}/{self.total}  {eta}'
        if detail:
            line += '  ' + detail
        sys.stderr.write('\r\033[K' + line)
        sys.stderr.flush()
        self.drawn = time.monotonic()
