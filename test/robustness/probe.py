"""Shared helpers of the robustness tests (test/robustness/*_test.py): each test file
is a list of probes a hostile but fair user would try; every probe builds its inputs
in a fresh temporary directory, runs one sp command, and checks what the guarantees
in docs/guarantees.md promise: a non-zero exit with one clear error line naming the
file or node, no crash (no signal, no sanitizer report), outputs written whole or not
at all, inputs untouched.

    import probe
    @probe.case
    def empty_output_name(t):            # t: a Probe bound to a temporary dir
        model = t.model(...)             # or write files under t.dir
        r = t.run('sp-run', model, '--random')
        r.fails(r'node .* output name is empty')
    if __name__ == '__main__': probe.main()

Run: <test>.py --build BUILD_DIR [-k NAME]; prints one line per case and
'N passed, M failed'.
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import traceback

CASES = []


def case(fn):
    CASES.append(fn)
    return fn


class Failure(AssertionError):
    pass


class Result:
    def __init__(self, argv, proc):
        self.argv, self.rc = argv, proc.returncode
        self.out, self.err = proc.stdout, proc.stderr

    def _where(self):
        return (f"\n  $ {' '.join(self.argv)}\n  exit {self.rc}\n  stderr: "
                f"{self.err.strip()[:600]!r}")

    def no_crash(self):
        if self.rc < 0:
            raise Failure(f'killed by signal {signal.Signals(-self.rc).name}{self._where()}')
        if re.search(r'AddressSanitizer|UndefinedBehaviorSanitizer|runtime error:|LeakSanitizer',
                     self.err):
            raise Failure(f'sanitizer report{self._where()}')
        return self

    def ok(self):
        self.no_crash()
        if self.rc != 0:
            raise Failure(f'want exit 0{self._where()}')
        return self

    def fails(self, pattern=None, rc=None):
        """Non-zero exit, no crash, exactly one stderr line (warnings, notes and hints
        aside) and it matches pattern."""
        self.no_crash()
        if self.rc == 0:
            raise Failure(f'want a non-zero exit{self._where()}')
        if rc is not None and self.rc != rc:
            raise Failure(f'want exit {rc}{self._where()}')
        # every stderr line but warnings, notes and hints is an error line
        errors = [l for l in self.err.splitlines() if l.strip() and not
                  re.search(r'(^|: )(warning|note|hint):', l)]
        if len(errors) != 1:
            raise Failure(f'want one error line, got {len(errors)}{self._where()}')
        if pattern and not re.search(pattern, errors[0]):
            raise Failure(f'error line does not match {pattern!r}{self._where()}')
        return self


class Probe:
    def __init__(self, build, directory):
        self.build, self.dir = build, directory

    def tool(self, name):
        return os.path.join(self.build, 'tools', name)

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def run(self, tool, *args, stdin=None, env=None, timeout=120):
        argv = [self.tool(tool)] + [str(a) for a in args]
        e = dict(os.environ, **(env or {}))
        p = subprocess.run(argv, capture_output=True, text=True, errors='replace',
                           input=stdin, env=e, timeout=timeout)
        return Result(argv, p)

    def model(self, graph_or_model, name='model.onnx', opset=13, check=False):
        """Saves an onnx GraphProto (or ModelProto) under the probe dir."""
        import onnx
        from onnx import helper
        m = graph_or_model
        if isinstance(m, onnx.GraphProto):
            m = helper.make_model(m, opset_imports=[helper.make_opsetid('', opset)])
        if check:
            onnx.checker.check_model(m)
        p = self.path(name)
        onnx.save(m, p)
        return p


def expect(cond, msg):
    if not cond:
        raise Failure(msg)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', required=True)
    ap.add_argument('-k', default='', help='run only cases whose name contains this')
    args = ap.parse_args()
    passed = failed = 0
    for fn in CASES:
        if args.k not in fn.__name__:
            continue
        with tempfile.TemporaryDirectory(prefix='sp-probe-') as d:
            try:
                fn(Probe(os.path.abspath(args.build), d))
                print(f'ok   {fn.__name__}')
                passed += 1
            except Failure as e:
                print(f'FAIL {fn.__name__}: {e}')
                failed += 1
            except Exception:  # a broken probe is a failure too
                print(f'FAIL {fn.__name__}: {traceback.format_exc()}')
                failed += 1
    print(f'{passed} passed, {failed} failed')
    sys.exit(1 if failed or not passed else 0)
