#!/usr/bin/python3
"""The SciPy side of bench_drift: ks_2samp + NumPy PSI (reference-quantile bins) on the same data.

Usage: bench_drift_scipy.py FILE ROWS FEATURES   (FILE: float64, reference then current per feature)
Prints "scipy_seconds <s>" and "checksum <sum of KS statistics>".
"""
import sys
import time

import numpy as np
from scipy import stats

path, rows, features = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
data = np.fromfile(path, dtype=np.float64).reshape(features, 2, rows)
start = time.perf_counter()
checksum = 0.0
for f in range(features):
    ref, cur = data[f, 0], data[f, 1]
    ks = stats.ks_2samp(ref, cur)
    edges = np.unique(np.quantile(ref, np.linspace(0, 1, 11))[1:-1])
    r = np.bincount(np.searchsorted(edges, ref, side="right"), minlength=len(edges) + 1) / len(ref)
    c = np.bincount(np.searchsorted(edges, cur, side="right"), minlength=len(edges) + 1) / len(cur)
    r = np.where(r == 0, 1e-4, r)
    c = np.where(c == 0, 1e-4, c)
    psi = float(np.sum((c - r) * np.log(c / r)))
    checksum += ks.statistic
print(f"scipy_seconds {time.perf_counter() - start:.3f}")
print(f"checksum {checksum:.9f}")
