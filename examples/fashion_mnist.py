"""Fashion-MNIST from Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist),
read with gzip + numpy, normalised the way examples/fashion_resnet.onnx expects."""

import gzip
import os

import numpy as np

DATA_DIR = '/usr/share/datasets/fashion-mnist'
MEAN, STD = 0.2860, 0.3530


def read_idx(path):
    """IDX file (gzip) -> numpy array. Header: 2 zero bytes, type code, rank, then one
    big-endian uint32 per dimension; Fashion-MNIST uses type 0x08 (uint8)."""
    with gzip.open(path, 'rb') as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f'{path}: not an unsigned-byte IDX file')
    rank = data[3]
    dims = np.frombuffer(data, dtype='>u4', count=rank, offset=4).astype(np.int64)
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank)
    if body.size != int(np.prod(dims)):
        raise ValueError(f'{path}: {body.size} bytes of data, header says {dims.tolist()}')
    return body.reshape(dims)


def load_split(split, limit=None):
    """split 'train' or 't10k' -> (images float32 (N, 1, 28, 28) normalised, labels int64),
    the first `limit` images only when limit is given."""
    images = read_idx(os.path.join(DATA_DIR, f'{split}-images-idx3-ubyte.gz'))
    labels = read_idx(os.path.join(DATA_DIR, f'{split}-labels-idx1-ubyte.gz'))
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    x = (images.astype(np.float32) / 255.0 - MEAN) / STD
    return x[:, None, :, :], labels.astype(np.int64)
