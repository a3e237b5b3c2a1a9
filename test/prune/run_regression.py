#!/usr/bin/python3
"""Prune regression models: structures that must prune, not pin (issue 4).

Exports the tiny models of export_regression.py (ResNeXt block with a grouped conv,
depthwise conv with multiplier 2, GroupNorm with 4 and with 1 groups) into WORK, then
  1. sp-dependency-groups: every group with an origin is prunable except the
     classifier's (pinned by the graph output) — nothing is pinned by the grouped
     conv, the multiplier or the GroupNorm pattern;
  2. run_prune_zoo.py at ratio 0.5: onnx.checker, ONNX Runtime, params and MACs fall,
     mask vs shrink within 1e-4 (groups a norm reads across are skipped, as in the zoo).

  /usr/bin/python3 test/prune/run_regression.py --sp-opt BIN --work DIR
"""
import argparse
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from export_regression import MODELS  # noqa: E402


def check_groups(sp_opt, model):
    """None when only the graph output pins a group, else the reason."""
    p = subprocess.run([sp_opt, model, '--pass-pipeline',
                        'builtin.module(sp-dependency-groups{dump=-})', '-o', '/dev/null'],
                       capture_output=True, text=True)
    if p.returncode:
        return p.stderr.strip()[-300:]
    for line in p.stdout.splitlines():
        m = re.match(r'group \d+: .*pinned: (.*)', line)
        if m and m.group(1) != 'graph output':
            return line
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--sp-opt', required=True)
    ap.add_argument('--work', required=True)
    args = ap.parse_args()
    models = os.path.join(args.work, 'models')
    subprocess.run([sys.executable, os.path.join(HERE, 'export_regression.py'), models],
                   check=True)
    failed = 0
    for name in MODELS:
        why = check_groups(args.sp_opt, os.path.join(models, f'{name}.onnx'))
        print(f'{name:<20} groups  {"PASS" if why is None else "FAIL  " + why}')
        failed += why is not None
    rc = subprocess.run([sys.executable, os.path.join(HERE, 'run_prune_zoo.py'), '--sp-opt',
                         args.sp_opt, '--zoo', models, '--only', ','.join(MODELS), '--ratios',
                         '0.5', '--work', os.path.join(args.work, 'prune')]).returncode
    return 1 if failed or rc else 0


if __name__ == '__main__':
    sys.exit(main())
