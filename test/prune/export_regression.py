#!/usr/bin/python3
"""Tiny torch models for the structures Torch-Pruning got wrong (issue 4): a ResNeXt
block (grouped 3x3 conv, G=4, with a residual), a depthwise conv with channel
multiplier 2, GroupNorm blocks (torch exports them as Reshape -> InstanceNormalization
-> Reshape -> Mul -> Add at opset 17) with 4 groups and with 1 group; and the ops sp
refused before issue 12 (hidden units of a 2-layer LSTM and a bidirectional GRU).

  /usr/bin/python3 test/prune/export_regression.py OUT_DIR

Writes OUT_DIR/NAME.onnx for every NAME in MODELS (skips files that exist)."""
import os
import sys

import torch
from torch import nn

MODELS = ['resnext_block', 'depthwise_mult', 'groupnorm_block', 'groupnorm_layer', 'lstm_linear',
          'gru_bidir', 'strided_slice', 'channel_gather', 'channel_pad', 'channel_mean', 'einsum_1x1']
# Input shape per model (default: one 3x16x16 image).
INPUTS = {'lstm_linear': (2, 5, 6), 'gru_bidir': (2, 5, 6)}


def randomize(model):
    """Non-trivial BatchNorm statistics and affine parameters (defaults are 0/1)."""
    g = torch.Generator().manual_seed(0)
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
            m.weight.data = 0.5 + torch.rand(m.weight.shape, generator=g)
            m.bias.data = 0.1 * torch.randn(m.bias.shape, generator=g)
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean = 0.1 * torch.randn(m.running_mean.shape, generator=g)
            m.running_var = 0.5 + torch.rand(m.running_var.shape, generator=g)
    return model


class ResNeXtBlock(nn.Module):
    """Stem, then 1x1 -> grouped 3x3 (G=4) -> 1x1 with an identity shortcut."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16),
                                  nn.ReLU())
        self.branch = nn.Sequential(
            nn.Conv2d(16, 32, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
            nn.Conv2d(32, 32, 3, padding=1, groups=4, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
            nn.Conv2d(32, 16, 1, bias=False), nn.BatchNorm2d(16))
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = self.stem(x)
        x = torch.relu(x + self.branch(x))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


class DepthwiseMult(nn.Module):
    """Depthwise conv with channel multiplier 2 (8 -> 16 channels, groups=8)."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
            nn.Conv2d(8, 16, 3, padding=1, groups=8), nn.BatchNorm2d(16), nn.ReLU(),
            nn.Conv2d(16, 8, 1), nn.ReLU())
        self.fc = nn.Linear(8, 10)

    def forward(self, x):
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(self.body(x), 1), 1))


class GroupNormBlock(nn.Module):
    """conv -> GroupNorm -> ReLU twice, with a residual; `groups` norm groups."""

    def __init__(self, groups):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.GroupNorm(groups, 16),
                                  nn.ReLU())
        # The 12-channel conv has no norm after it: a group no norm reads across.
        self.branch = nn.Sequential(nn.Conv2d(16, 24, 3, padding=1), nn.GroupNorm(groups, 24),
                                    nn.ReLU(), nn.Conv2d(24, 12, 1), nn.ReLU(),
                                    nn.Conv2d(12, 16, 1), nn.GroupNorm(groups, 16))
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = self.stem(x)
        x = torch.relu(x + self.branch(x))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


class Recurrent(nn.Module):
    """Linear -> ReLU -> recurrent layer(s) -> Linear on every time step: the hidden
    units (hidden_size 16) are one group per layer, shared by the gates, the state and
    the output the classifier reads."""

    def __init__(self, cell, **kw):
        super().__init__()
        self.embed = nn.Linear(6, 12)
        self.rnn = cell(12, 16, batch_first=True, **kw)
        self.fc = nn.Linear(16 * (2 if kw.get('bidirectional') else 1), 4)

    def forward(self, x):
        y, _ = self.rnn(torch.relu(self.embed(x)))
        return self.fc(y)


class StridedSlice(nn.Module):
    """Even and odd channels of a conv (`h[:, ::2]`, `h[:, 1::2]`: Slice with step 2)
    into two convs that are added: units become pairs of channels."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU())
        self.even = nn.Conv2d(8, 12, 1)
        self.odd = nn.Conv2d(8, 12, 1)
        self.fc = nn.Linear(12, 10)

    def forward(self, x):
        h = self.stem(x)
        y = torch.relu(self.even(h[:, ::2]) + self.odd(h[:, 1::2]))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(y, 1), 1))


class ChannelOps(nn.Module):
    """conv -> ReLU -> `op` on the channels -> 1x1 conv -> classifier: a channel Gather
    (`h[:, [0, 1, 2, 5, 6, 7, 7]]`), a channel Pad (`F.pad` 1 before, 2 after), channel
    centering (`h - h.mean(1, keepdim=True)`) gated by a channel mean without keepdim, or a 1x1 conv written as Einsum (`nchw,dc->ndhw`)."""

    def __init__(self, op):
        super().__init__()
        self.op = op
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU())
        width = {'channel_gather': 7, 'channel_pad': 11}.get(op, 8)
        self.mix = nn.Parameter(torch.randn(8, 8) / 3)
        self.head = nn.Conv2d(width, 12, 1)
        self.fc = nn.Linear(12, 10)

    def forward(self, x):
        h = self.stem(x)
        if self.op == 'channel_gather':
            h = h[:, [0, 1, 2, 5, 6, 7, 7]]
        elif self.op == 'channel_pad':
            h = nn.functional.pad(h, (0, 0, 0, 0, 1, 2))
        elif self.op == 'channel_mean':
            h = (h - h.mean(1, keepdim=True)) * torch.sigmoid(h.mean(1)).unsqueeze(1)
        else:
            h = torch.einsum('nchw,dc->ndhw', h, self.mix)
        y = torch.relu(self.head(h))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(y, 1), 1))


def build(name):
    torch.manual_seed(0)
    return randomize({'resnext_block': ResNeXtBlock, 'depthwise_mult': DepthwiseMult,
                      'groupnorm_block': lambda: GroupNormBlock(4),
                      'groupnorm_layer': lambda: GroupNormBlock(1),
                      'lstm_linear': lambda: Recurrent(nn.LSTM, num_layers=2),
                      'gru_bidir': lambda: Recurrent(nn.GRU, bidirectional=True),
                      'strided_slice': StridedSlice,
                      'channel_gather': lambda: ChannelOps('channel_gather'),
                      'channel_pad': lambda: ChannelOps('channel_pad'),
                      'channel_mean': lambda: ChannelOps('channel_mean'),
                      'einsum_1x1': lambda: ChannelOps('einsum_1x1')}[name]()).eval()


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name in MODELS:
        path = os.path.join(out, f'{name}.onnx')
        if os.path.exists(path):
            continue
        example = torch.randn(*INPUTS.get(name, (1, 3, 16, 16)))
        torch.onnx.export(build(name), example, path + '.tmp', opset_version=17,
                          input_names=['input'], output_names=['logits'], do_constant_folding=True)
        os.replace(path + '.tmp', path)
        print(f'wrote {path}')


if __name__ == '__main__':
    main()
