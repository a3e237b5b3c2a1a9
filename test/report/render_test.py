#!/usr/bin/env python3
"""report.render: sp-report's page for the shipped ResNet pruned by half,
with accuracy, a sensitivity table and an accuracy-vs-MACs curve, checked as
text and as pixels.

- The page is self-contained: no <script>, nothing it would fetch.
- The width chart has one bar per prunable layer, counted independently from
  sp-dependency-groups{export=} (a Conv whose weight's axis 0 is a member of a
  prunable group), and every bar's after/before length ratio equals the
  output channels of the pruned ONNX file over the original's (read with onnx).
- The sensitivity plot has one curve per group of the sensitivity table.
- Headless Chromium renders it to a PNG (decoded with zlib + struct) that is
  not blank: enough non-white pixels and the bars' colour present.
Exit 77 (skipped) when /usr/bin/chromium is missing."""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import png_pixels  # noqa: E402

import onnx  # noqa: E402
from onnx import numpy_helper  # noqa: E402,F401

PRUNE = ('builtin.module(sp-canonicalize,sp-dependency-groups,sp-importance{criterion=l2},'
         'sp-prune{ratio=0.5},sp-canonicalize)')
SVG = '{http://www.w3.org/2000/svg}'


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode:
        sys.exit(f'FAIL: {" ".join(cmd)} exited {p.returncode}:\n{p.stderr}')
    return p


def conv_widths(path):
    """ONNX node name -> output channels of every Conv with a weight initializer."""
    m = onnx.load(path)
    dims = {t.name: list(t.dims) for t in m.graph.initializer}
    return {n.name: dims[n.input[1]][0] for n in m.graph.node
            if n.op_type == 'Conv' and n.input[1] in dims}, m


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--sp-opt', required=True)
    ap.add_argument('--sp-report', required=True)
    ap.add_argument('--model', required=True)
    ap.add_argument('--work', required=True)
    ap.add_argument('--chromium', default='/usr/bin/chromium')
    ap.add_argument('--keep-png', help='copy the rendered PNG here (docs/img)')
    a = ap.parse_args()
    if not os.access(a.chromium, os.X_OK):
        print(f'SKIP: {a.chromium} is not installed (Debian package chromium)')
        return 77
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    w = lambda name: os.path.join(a.work, name)  # noqa: E731

    run([a.sp_opt, a.model, '-o', w('small.onnx'), f'--pass-pipeline={PRUNE}'])
    run([a.sp_opt, a.model, '-o', '/dev/null', '--pass-pipeline=builtin.module('
         f'sp-dependency-groups{{export={w("groups.json")}}},'
         'sp-sensitivity{data=fashion-mnist mean=0.2860 std=0.3530 limit=300 '
         f'ratios=0.25,0.5,0.75 quiet json={w("sens.json")}}})'])
    curve = {'points': [{'label': 'unpruned', 'macs': 9345920, 'accuracy': 0.92},
                        {'label': 'ratio 0.5 + 1 epoch', 'macs': 2364864, 'accuracy': 0.88},
                        {'label': 'ratio 0.75 + 1 epoch', 'macs': 600000, 'accuracy': 0.80}]}
    json.dump(curve, open(w('curve.json'), 'w'))
    run([a.sp_report, a.model, w('small.onnx'), '-o', w('report.html'), '--data',
         'fashion-mnist', '--mean', '0.2860', '--std', '0.3530', '--limit', '500', '--runs', '5',
         '--sensitivity', w('sens.json'), '--curve', w('curve.json'), '-q'])
    page = open(w('report.html'), encoding='utf-8').read()

    failures = []
    if re.search(r'<script|\bsrc=|\bhref=|url\(|@import', page, re.I):
        failures.append('the page loads or runs something (script, src=, href=, url(), @import)')

    # Expected bars: Convs whose weight (axis 0) is a member of a prunable group.
    groups = json.load(open(w('groups.json')))['groups']
    prunable_weights = {m['tensor'] for g in groups if g['prunable'] for m in g['members']
                        if m['kind'] == 'initializer' and m['axis'] == 0}
    before, before_model = conv_widths(a.model)
    after, _ = conv_widths(w('small.onnx'))
    weight_of = {n.name: n.input[1] for n in before_model.graph.node if n.op_type == 'Conv'}
    expected = [n for n in before if weight_of[n] in prunable_weights]
    if not expected:
        failures.append('the fixture has no prunable Conv: the test would check nothing')

    charts = re.findall(r'<svg class="chart".*?</svg>', page, re.S)
    if len(charts) != 3:
        failures.append(f'{len(charts)} charts, expected 3 (widths, sensitivity, curve)')
    else:
        width_svg = ET.fromstring(charts[0])
        bars_after = width_svg.findall(f'{SVG}rect[@class="bar-after"]')
        bars_before = width_svg.findall(f'{SVG}rect[@class="bar-before"]')
        names = [t.find(f'{SVG}title').text for t in width_svg.findall(f'{SVG}text')
                 if t.find(f'{SVG}title') is not None]
        if len(bars_after) != len(expected) or len(bars_before) != len(expected):
            failures.append(f'{len(bars_after)} after / {len(bars_before)} before bars, expected '
                            f'{len(expected)} (one per prunable layer: {expected})')
        if names != expected:
            failures.append(f'bar labels {names} are not the prunable layers {expected}')
        for name, b, af in zip(names, bars_before, bars_after):
            got = float(af.get('width')) / float(b.get('width'))
            want = after.get(name, 0) / before[name]
            if abs(got - want) > 0.01:
                failures.append(f'{name}: bar ratio {got:.3f}, the models say {want:.3f}')
        sens = json.load(open(w('sens.json')))
        curves = ET.fromstring(charts[1]).findall(f'{SVG}path[@class="curve"]')
        if len(curves) != len(sens['groups']):
            failures.append(f'{len(curves)} sensitivity curves, the table has '
                            f'{len(sens["groups"])} groups')
    if 'Top-1 accuracy' not in page or 'on 500 samples' not in page:
        failures.append('no accuracy card for --data (500 samples)')

    png = w('report.png')
    p = subprocess.run([a.chromium, '--headless', '--disable-gpu', '--no-sandbox',
                        f'--user-data-dir={w("chromium-profile")}', '--hide-scrollbars',
                        f'--screenshot={png}', '--window-size=1200,2000',
                        'file://' + os.path.abspath(w('report.html'))],
                       capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, HOME=a.work))
    if p.returncode or not os.path.exists(png):
        sys.exit(f'FAIL: chromium exited {p.returncode} without {png}:\n{p.stderr[-2000:]}')
    width, height, ch, rows = png_pixels.decode(png)
    pixels = width * height
    ink = bar = 0
    for r in rows:
        for i in range(0, len(r), ch):
            red, green, blue = r[i], r[i + 1], r[i + 2]
            if red < 240 or green < 240 or blue < 240:
                ink += 1
            # #2b6cb0, the first group's colour (bars, legend, table meters)
            if abs(red - 0x2b) < 12 and abs(green - 0x6c) < 12 and abs(blue - 0xb0) < 12:
                bar += 1
    print(f'rendered {width}x{height}: {ink / pixels:.1%} ink, {bar} bar-blue pixels')
    if (width, height) != (1200, 2000):
        failures.append(f'screenshot is {width}x{height}, not 1200x2000')
    if ink < 0.03 * pixels:
        failures.append(f'the rendering is nearly blank ({ink} non-white pixels of {pixels})')
    if bar < 1000:
        failures.append(f'only {bar} pixels of the bar colour: the chart did not render')
    if a.keep_png:
        shutil.copyfile(png, a.keep_png)
    for f in failures:
        print('FAIL:', f)
    if not failures:
        print(f'OK: {len(expected)} bars, {len(charts)} charts, PNG not blank')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
