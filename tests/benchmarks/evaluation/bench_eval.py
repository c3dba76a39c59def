#!/usr/bin/python3
"""python3-torch side of bench_evaluation: batch inference of a TorchScript model on a demo CSV.

Times what the C++ evaluator does after reading the file: encode the rows as models.md says
(scaled numerics + one-hot), build windows for sequence models, forward in batches under no_grad.
Prints one JSON line: {"rows": N, "seconds": S, "rows_per_second": R}.
"""
import argparse
import csv
import json
import time

import numpy as np
import torch

ap = argparse.ArgumentParser()
ap.add_argument("--csv", required=True)
ap.add_argument("--model", required=True)
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--batch", type=int, default=8192)
args = ap.parse_args()
torch.set_num_threads(args.threads)

extra = {"mldeck.json": ""}
model = torch.jit.load(args.model, _extra_files=extra)
model.eval()
meta = json.loads(extra["mldeck.json"])
num_f = [f for f in meta["features"] if f["kind"] == "numeric"]
cat_f = [f for f in meta["features"] if f["kind"] == "categorical"]
seq = int(meta.get("sequence_length", 1))

with open(args.csv, newline="") as f:
    rows = list(csv.DictReader(f))
num = np.array([[float(r[f["name"]]) for f in num_f] for r in rows], dtype=np.float32)
cat = [[r[f["name"]] for f in cat_f] for r in rows]

start = time.perf_counter()
mean = torch.tensor([f["mean"] for f in num_f], dtype=torch.float32)
std = torch.tensor([f["std"] for f in num_f], dtype=torch.float32)
parts = [(torch.from_numpy(num) - mean) / std]
for j, f in enumerate(cat_f):
    index = {level: k for k, level in enumerate(f["categories"])}
    oh = torch.zeros(len(cat), len(f["categories"]))
    codes = torch.tensor([index.get(c[j], -1) for c in cat])
    known = codes >= 0
    oh[torch.nonzero(known).squeeze(1), codes[known]] = 1.0
    parts.append(oh)
x = torch.cat(parts, dim=1)
out = []
with torch.no_grad():
    for b in range(0, x.shape[0], args.batch):
        e = min(x.shape[0], b + args.batch)
        if seq > 1:
            idx = torch.arange(b, e).unsqueeze(1) + torch.arange(-seq + 1, 1).unsqueeze(0)
            out.append(model(x[idx.clamp(min=0)]))
        else:
            out.append(model(x[b:e]))
pred = torch.cat(out)
seconds = time.perf_counter() - start
print(json.dumps({"rows": int(pred.shape[0]), "seconds": seconds, "rows_per_second": pred.shape[0] / seconds}))
