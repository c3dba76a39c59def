#!/usr/bin/python3
"""Writes an untrained (seeded) classifier as TorchScript with the given mldeck.json, for the classifier
training test: Linear(width, 32) -> ReLU -> Linear(32, outputs), then, for output "probabilities", a
sigmoid ([B], one output: the positive class) or a softmax ([B, K]).

usage: make_test_classifier.py OUT.pt METADATA.json WIDTH
The metadata names the classes (K = 2: one output; else K outputs) and the output kind.
Run with Debian's /usr/bin/python3 (python3-torch).
"""
import json
import sys

import torch
from torch import nn


class Classifier(nn.Module):
    def __init__(self, width: int, outputs: int, probabilities: bool):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(width, 32), nn.ReLU(), nn.Linear(32, outputs))
        self.outputs = outputs
        self.probabilities = probabilities

    def forward(self, x):
        z = self.net(x)
        if self.outputs == 1:
            z = z.squeeze(1)
            return torch.sigmoid(z) if self.probabilities else z
        return torch.softmax(z, dim=1) if self.probabilities else z


def main():
    out, meta_path, width = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(meta_path) as f:
        meta = json.load(f)
    classes = len(meta["classes"])
    torch.manual_seed(7)
    model = Classifier(width, 1 if classes == 2 else classes, meta.get("output", "probabilities") == "probabilities")
    torch.jit.save(torch.jit.script(model), out, _extra_files={"mldeck.json": json.dumps(meta, indent=1)})


if __name__ == "__main__":
    main()
