#!/usr/bin/python3
"""Is a pruned model as fast as the same architecture built at that width?

For densenet121 and convnext_tiny, sp-prune{ratio=0.5 round-to=8} halves every prunable
width, which is exactly torchvision's DenseNet(growth 16, 32 initial features) and
ConvNeXt(48, 96, 192, 384). This script exports those natively half-width models
(random weights), prunes the zoo models, checks the MACs agree, and times original,
pruned and native half-width in ONNX Runtime (1 thread, batch 1, alternating rounds,
best round median). When pruned ~= native, the gap between the latency ratio and the
MACs ratio (bench/prune_speedup.py) belongs to the architecture's memory-bound ops,
not to the pruned model.

  /usr/bin/python3 bench/half_width_reference.py --sp-opt BUILD/tools/sp-opt --zoo BUILD/zoo
"""
import argparse
import os
import subprocess
import sys
import tempfile
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'test', 'tools'))
sys.path.insert(0, os.path.join(HERE, '..', 'test', 'prune'))
sys.path.insert(0, HERE)
import ortlib  # noqa: E402
from prune_speedup import batch1_inputs, macs  # noqa: E402

PIPELINE = 'sp-importance{criterion=l2},sp-prune{ratio=0.5 round-to=8},sp-canonicalize'


def half_width_models():
    import torch
    from torchvision.models.convnext import CNBlockConfig, ConvNeXt
    from torchvision.models.densenet import DenseNet
    return torch, {
        'densenet121': DenseNet(growth_rate=16, block_config=(6, 12, 24, 16),
                                num_init_features=32, bn_size=4),
        'convnext_tiny': ConvNeXt([CNBlockConfig(48, 96, 3), CNBlockConfig(96, 192, 3),
                                   CNBlockConfig(192, 384, 9), CNBlockConfig(384, None, 3)]),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--sp-opt', required=True)
    ap.add_argument('--zoo', required=True)
    ap.add_argument('--runs', type=int, default=20)
    ap.add_argument('--rounds', type=int, default=3)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix='sp-half-')
    torch, natives = half_width_models()
    print(f'{"model":<15} {"orig ms":>8} {"pruned ms":>9} {"native ms":>9} {"pruned/native":>13}')
    with ortlib.OrtServer(threads=1) as ort:
        for name, net in natives.items():
            src = os.path.join(args.zoo, f'{name}.onnx')
            pruned = os.path.join(work, f'{name}-pruned.onnx')
            native = os.path.join(work, f'{name}-half.onnx')
            subprocess.run([args.sp_opt, src, '--pass-pipeline', f'builtin.module({PIPELINE})',
                            '-o', pruned], check=True)
            torch.manual_seed(0)
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')
                torch.onnx.export(net.eval(), torch.randn(1, 3, 224, 224), native,
                                  opset_version=13, input_names=['input'],
                                  output_names=['output'],
                                  training=torch.onnx.TrainingMode.PRESERVE,
                                  dynamic_axes={'input': {0: 'batch'}, 'output': {0: 'batch'}})
            if macs(args.sp_opt, pruned) != macs(args.sp_opt, native):
                print(f'{name}: pruned and native half-width MACs differ')
                return 1
            best, err = ort.bench_rounds([src, pruned, native], inputs=batch1_inputs(src),
                                         runs=args.runs, rounds=args.rounds)
            if err:
                print(f'{name}: ORT failed: {err}')
                return 1
            print(f'{name:<15} {best[src]:8.2f} {best[pruned]:9.2f} {best[native]:9.2f} '
                  f'{best[pruned] / best[native]:13.2f}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
