#!/usr/bin/python3
"""Writes .npy files made by numpy into DIR, for test/unit/test_data.c (which
knows the values below: keep the two in step) and as fuzz seeds of fuzz_npy.

  make_npy_files.py DIR
"""
import os
import sys

import numpy as np


def write(path, a, version=None):
    with open(path, 'wb') as f:
        if version:
            np.lib.format.write_array(f, a, version=version)
        else:
            np.save(f, a)  # numpy's own choice (1.0 here)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    labels = np.array([0, 1, 2, 1, 0])
    # x[i] = i * 0.25 - 1 over (5, 1, 2, 3), every version
    xf = (np.arange(30, dtype=np.float32) * 0.25 - 1).reshape(5, 1, 2, 3)
    write(os.path.join(out, 'x_f4_v1.npy'), xf, (1, 0))
    write(os.path.join(out, 'x_f4_v2.npy'), xf, (2, 0))
    write(os.path.join(out, 'x_f4_v3.npy'), xf, (3, 0))
    # bytes (i * 37) % 256 over (5, 2, 3)
    write(os.path.join(out, 'x_u1.npy'), ((np.arange(30) * 37) % 256).astype(np.uint8)
          .reshape(5, 2, 3))
    write(os.path.join(out, 'y_i8.npy'), labels.astype(np.int64))
    write(os.path.join(out, 'y_i4_v2.npy'), labels.astype(np.int32), (2, 0))
    # refused: column-major, big-endian, float64, float labels, 4 labels for 5 samples
    write(os.path.join(out, 'x_fortran.npy'), np.asfortranarray(xf.reshape(5, 6)))
    write(os.path.join(out, 'x_big_endian.npy'), xf.astype('>f4'))
    write(os.path.join(out, 'x_f8.npy'), xf.astype(np.float64))
    write(os.path.join(out, 'y_f4.npy'), labels.astype(np.float32))
    write(os.path.join(out, 'y_short.npy'), labels[:4].astype(np.int64))


if __name__ == '__main__':
    main()
