"""Python half of test_image_model.cpp: a tiny CNN exported by python3-torch as an MLDeck image model.

Writes into OUTDIR: cnn.pt (3 classes, RGB 10 x 12, crop, normalised, logits), wrong_channels.pt (the same
network whose mldeck.json says 1 channel: MLDeck must refuse it at load), a few PNG/JPEG images, and
expected.json with the probabilities torch gives on the twin pipeline's arrays of those images.
"""

import json
import os
import sys

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "clients", "python"))
from mldeck_backend.image_pipeline import prepare_image  # noqa: E402

SPEC = {"width": 10, "height": 12, "channels": 3, "resize": "crop", "mean": [0.5, 0.4, 0.3], "std": [0.2, 0.25, 0.3]}
CLASSES = ["circle", "square", "cross"]


class TinyCnn(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3, padding=1)
        self.fc = torch.nn.Linear(4 * 6 * 5, 3)

    def forward(self, x):
        x = torch.nn.functional.max_pool2d(torch.relu(self.conv(x)), 2)
        return self.fc(x.flatten(1))


def metadata(spec):
    return {"format": "mldeck-model", "format_version": 2, "model": {"name": "tiny-cnn", "version": "1"},
            "task": "classification", "target": {"name": "shape"}, "classes": CLASSES, "output": "logits",
            "input": "image", "image": spec}


def main(out):
    torch.manual_seed(7)
    net = TinyCnn().eval()
    scripted = torch.jit.script(net)
    torch.jit.save(scripted, os.path.join(out, "cnn.pt"), _extra_files={"mldeck.json": json.dumps(metadata(SPEC))})
    wrong = dict(SPEC, channels=1, mean=[0.5], std=[0.2])
    torch.jit.save(scripted, os.path.join(out, "wrong_channels.pt"),
                   _extra_files={"mldeck.json": json.dumps(metadata(wrong))})
    rng = np.random.default_rng(3)
    names = []
    for i, (w, h) in enumerate([(10, 12), (31, 17), (8, 40), (64, 64)]):
        name = f"img{i}." + ("jpg" if i == 3 else "png")
        Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8), "RGB").save(os.path.join(out, name))
        names.append(name)
    x = np.stack([prepare_image(os.path.join(out, n), SPEC) for n in names])
    with torch.no_grad():
        p = torch.softmax(net(torch.from_numpy(x)).double(), dim=1).numpy()
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump({"images": names, "probabilities": p.tolist()}, f)


if __name__ == "__main__":
    main(sys.argv[1])
