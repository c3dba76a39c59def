#!/usr/bin/python3
"""Interop check for tests/unit/training: Python's torch.jit.load reads a model MLDeck trained.

usage: predict_torchscript.py MODEL.pt INPUTS.csv
INPUTS.csv holds encoded input vectors (one per line, comma-separated floats, models.md §2); for a sequence
model the rows are time-ordered and windowed here as the contract says. Prints the model's version from its
mldeck.json, then one prediction per line.
"""
import json
import sys

import torch

extra = {"mldeck.json": ""}
model = torch.jit.load(sys.argv[1], _extra_files=extra)
model.eval()
meta = json.loads(extra["mldeck.json"])
with open(sys.argv[2]) as f:
    x = torch.tensor([[float(v) for v in line.split(",")] for line in f if line.strip()], dtype=torch.float32)
length = meta["sequence_length"]
if length > 1:
    idx = torch.arange(x.shape[0]).unsqueeze(1) + torch.arange(-length + 1, 1).unsqueeze(0)
    x = x[idx.clamp(min=0)]
with torch.no_grad():
    out = model(x).reshape(-1)
print(meta["model"]["version"])
for v in out.tolist():
    print(repr(v))
