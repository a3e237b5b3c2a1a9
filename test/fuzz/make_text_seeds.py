#!/usr/bin/python3
"""Seeds of the text fuzzers: DIR/pipeline/* (pass pipelines: the named ones,
every sp pass with its options at their defaults, malformed brackets) and
DIR/mlir/* (the lit tests' MLIR inputs, each `// -----` case on its own).

  make_text_seeds.py SOURCE_DIR DIR
"""
import glob
import os
import sys


def main():
    src, out = sys.argv[1], sys.argv[2]
    pdir, mdir = os.path.join(out, 'pipeline'), os.path.join(out, 'mlir')
    os.makedirs(pdir, exist_ok=True)
    os.makedirs(mdir, exist_ok=True)
    pipelines = [
        'builtin.module(sp-canonicalize{fold-bn=true},canonicalize,cse)',
        'builtin.module(sp-canonicalize,sp-dependency-groups,sp-importance{criterion=l2},'
        'sp-prune{ratio=0.5 round-to=8},sp-canonicalize)',
        'sp-prune{ratio=0.3 drop-layers=2 calibration=calib/}',
        'sp-model-stats{json=- table=none per-op=true}',
        'sp-importance{criterion=lamp reduce=mean normalize=max}',
        'sp-recalibrate-bn{calibration=d}',
        'builtin.module(func.func(cse),sp-dependency-groups{dump=- dot=g.dot})',
        'builtin.module(sp-prune{ratio=1.5}', 'sp-prune{ratio=}', '{}(,)', 'sp-',
    ]
    for i, p in enumerate(pipelines):
        with open(os.path.join(pdir, f'p{i}'), 'w') as f:
            f.write(p)
    # weights through a conv: whole, short, elided and missing blobs
    conv = ('''func.func @main(%x: tensor<1x2x4x4xf32>) -> tensor<1x4x4x4xf32> {
  %w = "nn.Initializer"() {value = dense_resource<w> : tensor<4x2x1x1xf32>, onnx.names = ["w"]} : () -> tensor<4x2x1x1xf32>
  %y = "nn.Conv"(%x, %w) {onnx.names = ["y"]} : (tensor<1x2x4x4xf32>, tensor<4x2x1x1xf32>) -> tensor<1x4x4x4xf32>
  return %y : tensor<1x4x4x4xf32>
}
''')
    blobs = {'whole': '"0x04000000' + '0000803F' * 8 + '"', 'short': '"0x040000000000"',
             'elided': '"__elided__"', 'missing': None}
    n = 0
    for name, blob in blobs.items():
        text = conv if blob is None else (
            conv + '{-#\n  dialect_resources: {\n    builtin: {\n      w: ' + blob +
            '\n    }\n  }\n#-}\n')
        with open(os.path.join(mdir, f'conv_{name}.mlir'), 'w') as f:
            f.write(text)
    for path in sorted(glob.glob(os.path.join(src, 'test', 'lit', '**', '*.mlir'), recursive=True)):
        text = open(path, errors='replace').read()
        for case in text.split('\n// -----\n'):
            body = '\n'.join(l for l in case.splitlines() if not l.startswith('// '))
            if body.strip() and len(body) < 16384:
                with open(os.path.join(mdir, f'm{n}.mlir'), 'w') as f:
                    f.write(body)
                n += 1


if __name__ == '__main__':
    main()
