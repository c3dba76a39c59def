"""Python half of test_retrain_images' memory case: a tiny CNN whose input is large (RGB 224 x 224, 602,112
bytes of floats per image), exported by python3-torch as an MLDeck image model, and many small distinct PNG
files in a labelled folder. Preprocessed for the model, all the images together exceed the worker's memory
limit; read a batch at a time they fit.

Usage: make_big_input_cnn.py OUTDIR N   (writes OUTDIR/big_cnn.pt and OUTDIR/images/<class>/<i>.png)
"""

import json
import os
import sys

import numpy as np
import torch
from PIL import Image

CLASSES = [str(i) for i in range(10)]
SPEC = {"width": 224, "height": 224, "channels": 3, "resize": "stretch", "mean": [0.5, 0.5, 0.5],
        "std": [0.25, 0.25, 0.25]}


class TinyWideInputCnn(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 5, stride=4)
        self.fc = torch.nn.Linear(4 * 4 * 4, len(CLASSES))

    def forward(self, x):
        x = torch.nn.functional.adaptive_avg_pool2d(torch.relu(self.conv(x)), 4)
        return self.fc(x.flatten(1))


def main(out, n):
    torch.manual_seed(11)
    meta = {"format": "mldeck-model", "format_version": 2, "model": {"name": "big-input-cnn", "version": "1"},
            "task": "classification", "target": {"name": "digit"}, "classes": CLASSES, "output": "logits",
            "input": "image", "image": SPEC}
    torch.jit.save(torch.jit.script(TinyWideInputCnn().eval()), os.path.join(out, "big_cnn.pt"),
                   _extra_files={"mldeck.json": json.dumps(meta)})
    rng = np.random.default_rng(5)
    for i in range(n):
        label = i % len(CLASSES)
        folder = os.path.join(out, "images", CLASSES[label])
        os.makedirs(folder, exist_ok=True)
        pixels = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
        Image.fromarray(pixels, "RGB").save(os.path.join(folder, f"{i}.png"))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
