#!/usr/bin/python3
"""Writes drift_fixtures.json: inputs and the values SciPy/NumPy give for them.

Run with Debian's interpreter (python3-scipy): /usr/bin/python3 make_drift_fixtures.py
The unit test tst_drift_statistics compares MLDeck's drift statistics with these values (1e-6).
Cases cover every branch of the KS p-value as scipy.stats.ks_2samp(method='auto') takes it:
exact (equal and unequal sizes), asymptotic with small n (Pomeranz, Durbin matrix), large n
(Pelz-Good, Smirnov sum) and ties.
"""
import json
import os

import numpy as np
import scipy
from scipy import stats
from scipy.spatial import distance

rng = np.random.default_rng(20240501)


def sample(n, shift=0.0, scale=1.0, decimals=6):
    return np.round(rng.normal(shift, scale, n), decimals)


def psi_and_js(ref, cur, bins=10, floor=1e-4):
    edges = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1))[1:-1])
    r = np.bincount(np.searchsorted(edges, ref, side="right"), minlength=len(edges) + 1) / len(ref)
    c = np.bincount(np.searchsorted(edges, cur, side="right"), minlength=len(edges) + 1) / len(cur)
    js = distance.jensenshannon(r, c)
    r = np.where(r == 0, floor, r)
    c = np.where(c == 0, floor, c)
    return float(np.sum((c - r) * np.log(c / r))), float(js)


big_ref = sample(10050)
numeric_cases = []
specs = [
    ("exact_equal", sample(500), sample(500, 0.2)),
    ("exact_equal_same", sample(800), sample(800)),
    ("exact_unequal", sample(300), sample(700, 0.15)),
    ("exact_unequal_same", sample(1000), sample(1500)),
    ("exact_large", sample(5000), sample(7000, 0.05, 1.1)),
    ("exact_ties", sample(800, decimals=1), sample(900, 0.1, decimals=1)),
    ("asymp_pomeranz", None, sample(100, 0.25)),
    ("asymp_small_same", None, sample(120)),
    ("asymp_dmtw", None, sample(150)),
    ("asymp_smirnov_small", None, sample(130, 1.0)),
    ("asymp_pelzgood", None, sample(8000, 0.02)),
    ("asymp_smirnov", None, sample(9000, 0.15)),
    ("asymp_zero", None, sample(9000, 3.0)),
    ("asymp_scale", None, sample(3000, 0.0, 1.3)),
]
for name, ref, cur in specs:
    ref_key = "big" if ref is None else name
    ref_values = big_ref if ref is None else ref
    ks = stats.ks_2samp(ref_values, cur)  # method='auto', two-sided: SciPy's default
    psi, js = psi_and_js(ref_values, cur)
    numeric_cases.append({
        "name": name,
        "reference": ref_key,
        "reference_values": None if ref is None else ref.tolist(),
        "current": cur.tolist(),
        "ks_statistic": float(ks.statistic),
        "ks_pvalue": float(ks.pvalue),
        "wasserstein": float(stats.wasserstein_distance(ref_values, cur)),
        "reference_std": float(np.std(ref_values)),
        "psi": psi,
        "jensenshannon_binned": js,
    })

categorical_cases = []
for name, ref_counts, cur_counts in [
    ("three_levels", [120, 80, 50], [100, 90, 70]),
    ("five_levels_drift", [300, 200, 100, 50, 25], [150, 220, 180, 90, 10]),
    ("new_level", [500, 300, 0], [400, 300, 60]),
    ("binary_yates", [640, 360], [560, 440]),
    ("binary_same", [520, 480], [515, 485]),
]:
    table = np.array([ref_counts, cur_counts], dtype=float)
    table = table[:, table.sum(axis=0) > 0]
    chi2, p, dof, _ = stats.chi2_contingency(table)
    n1, n2 = sum(ref_counts), sum(cur_counts)
    p1, p2 = ref_counts[0] / n1, cur_counts[0] / n2
    P = (p1 * n1 + p2 * n2) / (n1 + n2)
    z = (p1 - p2) / np.sqrt(P * (1 - P) * (1.0 / n1 + 1.0 / n2))
    categorical_cases.append({
        "name": name,
        "reference_counts": ref_counts,
        "current_counts": cur_counts,
        "chi2": float(chi2),
        "chi2_pvalue": float(p),
        "dof": int(dof),
        "jensenshannon": float(distance.jensenshannon(ref_counts, cur_counts)),
        "z": float(z),
        "z_pvalue": float(2 * (1 - stats.norm.cdf(abs(z)))),
    })

# The survival function of the one-sample KS statistic, which the asymptotic path relies on.
kstwo_cases = []
for n, x in [(50, 0.05), (50, 0.2), (100, 0.1), (140, 0.3), (141, 0.02), (500, 0.03), (500, 0.1),
             (5000, 0.01), (5000, 0.03), (200000, 0.002), (200000, 0.004), (100, 0.6), (80, 0.0125)]:
    kstwo_cases.append({"n": n, "x": x, "sf": float(stats.kstwo.sf(x, n))})

out = {
    "generator": "tests/unit/drift/make_drift_fixtures.py",
    "scipy": scipy.__version__,
    "numpy": np.__version__,
    "references": {"big": big_ref.tolist()},
    "numeric": numeric_cases,
    "categorical": categorical_cases,
    "kstwo": kstwo_cases,
}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "drift_fixtures.json")
with open(path, "w") as f:
    json.dump(out, f, separators=(",", ":"))
print(f"wrote {path}")
