#!/usr/bin/python3
"""Writes the fixture of the image evaluation tests into OUT (a temporary folder of the test):

  OUT/images/<class>/NN.png   a labelled folder of small RGB pictures of three classes (a horizontal bar, a
                              vertical bar, a diagonal), 20, 24 or 28 pixels wide, with noise; plus one JPEG, one
                              wide image (40 x 12: resized like the others), and two files that are not images
                              (a truncated PNG, a text file): MLDeck must skip those two, per key
  OUT/cnn.pt                  a tiny CNN (input [B, 3, 12, 12], output [B, 3] logits) trained briefly on the
                              pictures, TorchScript with its mldeck.json (resources/contract/images.md)
  OUT/weak.pt                 the same network after fewer steps: the challenger of the comparison tests
  OUT/expected.json           per model: the probabilities per key and accuracy and log-loss, computed on the
                              tensors of MLDeck's Python twin pipeline (clients/python/mldeck_backend/image_pipeline.py)

Run with Debian's /usr/bin/python3 (python3-torch, numpy, PIL): make_image_fixture.py OUT
"""
import io
import json
import math
import os
import sys

import numpy as np
import torch
from PIL import Image
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "clients", "python"))
from mldeck_backend import image_pipeline  # noqa: E402

CLASSES = ["bar", "column", "slash"]
SPEC = {"width": 12, "height": 12, "channels": 3, "resize": "stretch",
        "mean": [0.5, 0.5, 0.5], "std": [0.25, 0.25, 0.25]}
EPS = 1e-15  # log-loss clipping, MLDeck's convention (resources/contract/evaluation.md)


def picture(cls, size, rng):
    w, h = size
    img = rng.uniform(0, 160, size=(h, w, 3))
    yy, xx = np.mgrid[0:h, 0:w]
    if cls == "bar":
        mask = np.abs(yy - h / 2) < h / 6
    elif cls == "column":
        mask = np.abs(xx - w / 2) < w / 6
    else:
        mask = np.abs(xx / w - yy / h) < 0.15
    img[mask] += 70
    return np.clip(img, 0, 255).astype(np.uint8)


def write_images(root):
    rng = np.random.default_rng(3)
    for c in CLASSES:
        os.makedirs(os.path.join(root, c), exist_ok=True)
        for i in range(10):
            s = int(rng.choice([20, 24, 28]))
            Image.fromarray(picture(c, (s, s), rng)).save(os.path.join(root, c, f"{i:02d}.png"))
    Image.fromarray(picture("column", (22, 22), rng)).save(os.path.join(root, "column", "photo.jpg"), quality=90)
    Image.fromarray(picture("bar", (40, 12), rng)).save(os.path.join(root, "bar", "wide.png"))
    buf = io.BytesIO()
    Image.fromarray(picture("slash", (24, 24), rng)).save(buf, format="PNG")
    with open(os.path.join(root, "slash", "truncated.png"), "wb") as f:
        f.write(buf.getvalue()[: len(buf.getvalue()) // 2])
    with open(os.path.join(root, "column", "notes.png"), "w") as f:
        f.write("not an image\n")


def load(root):
    keys, xs, ys = [], [], []
    for label, c in enumerate(CLASSES):
        for name in sorted(os.listdir(os.path.join(root, c))):
            if name in ("truncated.png", "notes.png"):
                continue
            key = f"{c}/{name}"
            with open(os.path.join(root, key), "rb") as f:
                xs.append(image_pipeline.prepare_image(f.read(), SPEC))
            keys.append(key)
            ys.append(label)
    return keys, torch.from_numpy(np.stack(xs).astype(np.float32)), torch.tensor(ys)


class TinyCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 6, 3, padding=1)
        self.head = nn.Linear(6 * 3 * 3, len(CLASSES))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.conv(x))
        x = torch.nn.functional.avg_pool2d(x, 4)
        return self.head(x.flatten(1))


def train(x, y, steps):
    torch.manual_seed(0)
    net = TinyCnn()
    opt = torch.optim.Adam(net.parameters(), lr=0.02)
    for _ in range(steps):
        opt.zero_grad()
        nn.functional.cross_entropy(net(x), y).backward()
        opt.step()
    return net.eval()


def main(out):
    root = os.path.join(out, "images")
    write_images(root)
    keys, x, y = load(root)
    expected = {"classes": CLASSES, "skipped": ["column/notes.png", "slash/truncated.png"], "models": {}}
    for name, steps in (("cnn", 6), ("weak", 2)):
        net = train(x, y, steps)
        meta = {"format": "mldeck-model", "format_version": 2, "model": {"name": name, "version": "1"},
                "task": "classification", "target": {"name": "shape"}, "classes": CLASSES, "output": "logits",
                "input": "image", "image": SPEC, "sequence_length": 1}
        torch.jit.save(torch.jit.script(net), os.path.join(out, name + ".pt"),
                       _extra_files={"mldeck.json": json.dumps(meta)})
        with torch.no_grad():
            p = torch.softmax(net(x).double(), dim=1).numpy()
        right = [int(np.argmax(p[i]) == y[i]) for i in range(len(keys))]
        loss = [-math.log(min(max(p[i][y[i]], EPS), 1 - EPS)) for i in range(len(keys))]
        expected["models"][name] = {
            "accuracy": sum(right) / len(keys), "log_loss": sum(loss) / len(keys),
            "probabilities": {k: p[i].tolist() for i, k in enumerate(keys)}}
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f)


if __name__ == "__main__":
    main(sys.argv[1])
