"""Python side of sp's ONNX Runtime reference: a client for test/ort/ort_server.js,
TensorProto .pb helpers, and output comparison with ONNX backend-test tolerances.

Run with /usr/bin/python3 (Debian's onnx and numpy). Typical use:

    with ortlib.OrtServer() as ort:
        reply, outs = ort.run('model.onnx', test_data_set='dir/test_data_set_0')
        if not reply['ok']: ...
        ref = ortlib.load_test_data_set('dir/test_data_set_0')[1]
        reason = ortlib.compare_outputs(ref, outs)   # None when equal within tolerance
"""

import glob
import json
import os
import queue
import re
import shutil
import subprocess
import tempfile
import threading

import numpy as np
import onnx
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ORT_DIR = os.path.normpath(os.path.join(HERE, '..', 'ort'))
SERVER_JS = os.path.join(ORT_DIR, 'ort_server.js')

# onnx/backend/test/loader/__init__.py: every node/simple/pytorch-* case uses these (only
# `real` cases may override them in data.json); runner/__init__.py compares with
# np.testing.assert_allclose(out, ref, rtol, atol) after asserting equal dtypes, and
# np.testing.assert_array_equal for object (string) arrays.
BACKEND_RTOL = 1e-3
BACKEND_ATOL = 1e-7

NP_TO_ORT = {
    np.dtype('float32'): 'float32', np.dtype('float64'): 'float64',
    np.dtype('float16'): 'float16', np.dtype('int8'): 'int8', np.dtype('uint8'): 'uint8',
    np.dtype('int16'): 'int16', np.dtype('uint16'): 'uint16', np.dtype('int32'): 'int32',
    np.dtype('uint32'): 'uint32', np.dtype('int64'): 'int64', np.dtype('uint64'): 'uint64',
    np.dtype('bool'): 'bool',
}
ORT_TO_NP = {v: k for k, v in NP_TO_ORT.items()}


class OrtUnavailable(RuntimeError):
    """node or the onnxruntime-node package is missing."""


def find_node():
    node = os.environ.get('SP_NODE') or shutil.which('node') or shutil.which('nodejs')
    if not node:
        raise OrtUnavailable('node not found (install nodejs; see .ci/install-deps)')
    return node


def use_kernel_set(sp_run, isa):
    """Makes every sp-run this process starts use kernel set isa (SP_ISA).
    Returns False (after saying why) when this CPU cannot run it: the caller
    skips (exit 77, ctest's SKIP_RETURN_CODE)."""
    os.environ['SP_ISA'] = isa
    version = subprocess.run([sp_run, '--version'], capture_output=True, text=True,
                             check=True).stdout
    if f'kernels: {isa} ' in version:
        return True
    print(f'skipped: this CPU cannot run the {isa} kernels\n{version}')
    return False


def check_installed():
    """Raise OrtUnavailable with a fix-it hint when onnxruntime-node is not installed."""
    find_node()
    if not os.path.isdir(os.path.join(ORT_DIR, 'node_modules', 'onnxruntime-node')):
        raise OrtUnavailable(
            f'onnxruntime-node is not installed in {ORT_DIR}/node_modules; run `make deps` '
            f'or `cd {ORT_DIR} && npm ci --ignore-scripts`')


# ------------------------------------------------------------------ TensorProto files

def load_pb(path):
    """TensorProto file -> numpy array."""
    return numpy_helper.to_array(onnx.load_tensor(path))


def save_pb(array, path, name=''):
    """numpy array -> TensorProto file."""
    tensor = numpy_helper.from_array(np.asarray(array), name=name)
    with open(path, 'wb') as f:
        f.write(tensor.SerializeToString())


def _numbered(directory, prefix):
    files = glob.glob(os.path.join(directory, f'{prefix}_*.pb'))
    return sorted(files, key=lambda p: int(re.search(r'_(\d+)\.pb$', p).group(1)))


def load_test_data_set(directory):
    """ONNX test_data_set_N dir -> (inputs, outputs), lists of numpy arrays in file order.
    Only tensors: a SequenceProto/OptionalProto file fails to parse as a tensor."""
    return ([load_pb(p) for p in _numbered(directory, 'input')],
            [load_pb(p) for p in _numbered(directory, 'output')])


def non_tensor_io(model):
    """Names of graph inputs/outputs whose type is not a tensor (sequence, map, optional)."""
    inits = {i.name for i in model.graph.initializer}
    vals = [v for v in model.graph.input if v.name not in inits] + list(model.graph.output)
    return [v.name for v in vals if v.type.WhichOneof('value') != 'tensor_type']


# ------------------------------------------------------------------ comparison

def compare_outputs(ref, out, rtol=BACKEND_RTOL, atol=BACKEND_ATOL, names=None):
    """ONNX backend-test semantics: same count, dtype and shape; object arrays equal;
    otherwise |out - ref| <= atol + rtol * |ref| elementwise (NaN == NaN).
    Returns None when equal, else a one-line reason naming the first bad output."""
    if len(ref) != len(out):
        return f'{len(out)} outputs, expected {len(ref)}'
    for k, (r, o) in enumerate(zip(ref, out)):
        label = f'output {k}' + (f" '{names[k]}'" if names and k < len(names) else '')
        r, o = np.asarray(r), np.asarray(o)
        if r.dtype != o.dtype:
            return f'{label}: dtype {o.dtype}, expected {r.dtype}'
        if r.shape != o.shape:
            return f'{label}: shape {list(o.shape)}, expected {list(r.shape)}'
        if r.dtype == object or r.dtype.kind in 'SU':
            if not np.array_equal(r, o):
                return f'{label}: strings differ'
            continue
        if r.dtype == np.bool_ or r.dtype.kind in 'iu':
            bad = r != o
            if bad.any():
                return f'{label}: {int(bad.sum())}/{r.size} elements differ'
            continue
        rf, of = r.astype(np.float64), o.astype(np.float64)
        with np.errstate(invalid='ignore', over='ignore'):
            diff = np.abs(of - rf)
            same_nonfinite = (np.isnan(rf) & np.isnan(of)) | (np.isinf(rf) & (rf == of))
            bad = ~same_nonfinite & ~(diff <= atol + rtol * np.abs(rf))
        if bad.any():
            finite = ~np.isnan(diff) & ~np.isinf(diff)
            max_abs = float(diff[bad & finite].max()) if (bad & finite).any() else float('nan')
            return (f'{label}: {int(bad.sum())}/{r.size} elements differ, max abs diff '
                    f'{max_abs:.3g} (rtol={rtol:g}, atol={atol:g})')
    return None


def scaled_max_diff(ref, out):
    """max |out - ref| / max(|ref|) over all outputs (scale 1 when ref is all zero);
    inf on any shape/dtype mismatch or NaN disagreement."""
    if len(ref) != len(out):
        return float('inf')
    worst = 0.0
    for r, o in zip(ref, out):
        r, o = np.asarray(r), np.asarray(o)
        if r.shape != o.shape or r.dtype != o.dtype:
            return float('inf')
        if r.size == 0:
            continue
        if r.dtype.kind not in 'fc':
            if not np.array_equal(r, o):
                return float('inf')
            continue
        rf, of = r.astype(np.float64), o.astype(np.float64)
        if not np.array_equal(np.isnan(rf), np.isnan(of)):
            return float('inf')
        finite = ~np.isnan(rf)
        if not finite.any():
            continue
        scale = float(np.abs(rf[finite]).max()) or 1.0
        worst = max(worst, float(np.abs(of[finite] - rf[finite]).max()) / scale)
    return worst


# ------------------------------------------------------------------ server client

class OrtServer:
    """One ort_server.js process. Not thread-safe: give each worker thread its own.
    A request that times out or crashes the server gets {'ok': False, 'stage':
    'timeout'|'crash', ...} and the server is restarted on the next request."""

    def __init__(self, threads=1, timeout=600, stderr_path=None):
        check_installed()
        self.threads = threads
        self.timeout = timeout
        self.stderr_path = stderr_path
        self.proc = None
        self.lines = None
        self.next_id = 0
        self.tmp = tempfile.mkdtemp(prefix='sp-ort-')

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _start(self):
        self._stderr = (open(self.stderr_path, 'ab') if self.stderr_path
                        else tempfile.TemporaryFile(dir=self.tmp))
        self.proc = subprocess.Popen(
            [find_node(), SERVER_JS], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self._stderr, cwd=ORT_DIR, bufsize=0)
        self.lines = queue.Queue()
        threading.Thread(target=self._pump, args=(self.proc, self.lines), daemon=True).start()

    @staticmethod
    def _pump(proc, lines):
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    def _stderr_tail(self):
        try:
            self._stderr.flush()
            self._stderr.seek(0)
            text = self._stderr.read()[-2000:].decode('utf-8', 'replace').strip()
            return text.splitlines()[-1] if text else ''
        except (OSError, ValueError):
            return ''

    def _kill(self):
        if self.proc:
            self.proc.kill()
            self.proc.wait()
            self.proc = None
            self._stderr.close()

    def request(self, req, timeout=None):
        """Send one request dict, return the reply dict."""
        if self.proc is None or self.proc.poll() is not None:
            self._kill()
            self._start()
        self.next_id += 1
        req = dict(req, id=self.next_id)
        req.setdefault('threads', self.threads)
        try:
            self.proc.stdin.write((json.dumps(req) + '\n').encode())
        except BrokenPipeError:
            pass
        try:
            line = self.lines.get(timeout=timeout or self.timeout)
        except queue.Empty:
            self._kill()
            return {'ok': False, 'stage': 'timeout',
                    'error': f'ORT took longer than {timeout or self.timeout}s'}
        if line is None:
            code = self.proc.wait()
            tail = self._stderr_tail()
            self._kill()
            return {'ok': False, 'stage': 'crash',
                    'error': f'ORT server died (exit {code})' + (f': {tail}' if tail else '')}
        reply = json.loads(line)
        if reply.get('id') != self.next_id:
            self._kill()
            return {'ok': False, 'stage': 'crash', 'error': 'ORT server reply out of order'}
        return reply

    def _input_specs(self, inputs, directory):
        specs = {}
        for i, (name, arr) in enumerate(inputs.items()):
            arr = np.ascontiguousarray(arr)
            if arr.dtype not in NP_TO_ORT:
                raise TypeError(f'input {name}: dtype {arr.dtype} not supported')
            path = os.path.join(directory, f'input_{i}.bin')
            arr.tofile(path)
            specs[name] = {'dtype': NP_TO_ORT[arr.dtype], 'dims': list(arr.shape),
                           'data_file': path}
        return specs

    def run(self, model, inputs=None, test_data_set=None, outputs_dir=None, **extra):
        """Run model on inputs ({name: ndarray}) and/or a test_data_set dir.
        Returns (reply, outputs) with outputs a list of arrays in the session's output
        order (None when the reply is not ok)."""
        work = tempfile.mkdtemp(dir=self.tmp)
        try:
            req = {'op': 'run', 'model': os.path.abspath(model),
                   'outputs_dir': outputs_dir or work, 'output_format': 'pb'}
            if inputs:
                req['inputs'] = self._input_specs(inputs, work)
            if test_data_set:
                req['test_data_set'] = os.path.abspath(test_data_set)
            req.update(extra)
            reply = self.request(req)
            if not reply.get('ok'):
                return reply, None
            return reply, [load_pb(o['file']) for o in reply['outputs']]
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def bench(self, model, inputs=None, runs=20, warmup=3, **extra):
        """Timed runs after warm-up; reply has median_ms/min_ms/mean_ms/max_ms."""
        work = tempfile.mkdtemp(dir=self.tmp)
        try:
            req = {'op': 'bench', 'model': os.path.abspath(model), 'runs': runs,
                   'warmup': warmup}
            if inputs:
                req['inputs'] = self._input_specs(inputs, work)
            req.update(extra)
            return self.request(req)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def bench_rounds(self, models, inputs=None, runs=20, rounds=3, warmup=3):
        """Times models in alternating rounds (each a median of runs) and keeps each
        model's best round, so a load spike from other processes hits no model alone.
        Returns ({model: best median_ms}, None), or (None, error) on the first failure."""
        best = {}
        for _ in range(rounds):
            for m in models:
                r = self.bench(m, inputs=inputs, runs=runs, warmup=warmup)
                if not r.get('ok'):
                    return None, f'{os.path.basename(m)}: {r.get("error")}'
                best[m] = min(best.get(m, float('inf')), r['median_ms'])
        return best, None

    def info(self, model):
        return self.request({'op': 'info', 'model': os.path.abspath(model)})

    def close(self):
        if self.proc and self.proc.poll() is None:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self._kill()
        shutil.rmtree(self.tmp, ignore_errors=True)
