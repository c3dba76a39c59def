#!/usr/bin/python3
"""The demo image classifier `digits`: a small CNN that reads a handwritten digit (0-9), trained on
scikit-learn's 8 x 8 digits (they ship inside Debian's python3-sklearn: load_digits works offline).

Two commands:

  images --out DIR     writes the digits as PNG files (32 x 32 grayscale, dark ink on light paper, so that
                       MLDeck's pipeline really resizes them) into labelled folders, one subfolder per class:
                         DIR/reference/<class>/dNNNN.png   the reference training set (60 %)
                         DIR/holdout/<class>/dNNNN.png     the fixed holdout (20 %)
                         DIR/store/live/<class>/dNNNN.png  the live pool the simulator serves (20 %); DIR/store
                                                           is the deployment's image store, keys "live/3/d0042.png"
                       NNNN is the digit's index in load_digits; the split is seeded and the files are the same
                       on every run (same Debian packages). Needs numpy, scikit-learn and PIL only (no torch).
                       DIR/digits-images.json says what is there; a second run on a complete DIR does nothing.

  train                makes the images in a temporary folder, reads them through MLDeck's preprocessing
                       twin (clients/python/mldeck_backend/image_pipeline.py: the pixels the model sees are the
                       ones MLDeck computes) and writes next to this script (or --out-dir):
                         digits_cnn.pt           the champion: trained on the whole reference set
                         digits_cnn_degraded.pt  a deliberately degraded one: the same network trained on the
                                                 reference images without any 8 or 9, so it never answers 8 or 9
                                                 (the retrain tests' champion that a retrain must beat)
                         fixtures/digits_expected.json  both models' holdout metrics and probabilities per key
                       Both are TorchScript, input [B, 1, 16, 16] float32, output [B, 10] logits, with their
                       metadata (extra file "mldeck.json", resources/contract/images.md).

Run with Debian's /usr/bin/python3 (python3-torch 1.13, python3-sklearn, python3-pil). See README.md here.
"""
import argparse
import io
import json
import math
import os
import shutil
import sys
import tempfile

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "clients", "python"))

CLASSES = [str(d) for d in range(10)]
PNG_SIZE = 32   # the files: 4 x the 8 x 8 digits, so that the model's 16 x 16 input is a real resize
INPUT_SIZE = 16
SPLIT_SEED = 7
SHARES = {"reference": 0.6, "holdout": 0.2}  # the rest: the live pool
IMAGES_VERSION = 1  # bump when the files change (a complete DIR of another version is rewritten)
DEGRADED_DROPPED = ["8", "9"]
EPS = 1e-15  # log-loss clipping, MLDeck's convention (resources/contract/evaluation.md)


# ---------------------------------------------------------------- the images

def digit_png(pixels):
    """One digit (8 x 8 values 0..16, 16 = ink) as PNG bytes: 32 x 32 grayscale, ink dark on light paper,
    upscaled with PIL's bilinear filter so that the strokes are smooth."""
    paper = np.rint(255.0 - pixels.astype(np.float64) * (255.0 / 16.0)).astype(np.uint8)
    img = Image.fromarray(paper, mode="L").resize((PNG_SIZE, PNG_SIZE), Image.BILINEAR)
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=False)
    return out.getvalue()


def split():
    """{set name: [digit index, ...]} seeded; each class is split in the same shares."""
    from sklearn.datasets import load_digits
    digits = load_digits()
    rng = np.random.default_rng(SPLIT_SEED)
    sets = {"reference": [], "holdout": [], "live": []}
    for c in range(10):
        idx = np.flatnonzero(digits.target == c)
        rng.shuffle(idx)
        n_ref = int(round(len(idx) * SHARES["reference"]))
        n_hold = int(round(len(idx) * SHARES["holdout"]))
        sets["reference"] += idx[:n_ref].tolist()
        sets["holdout"] += idx[n_ref:n_ref + n_hold].tolist()
        sets["live"] += idx[n_ref + n_hold:].tolist()
    return digits, {k: sorted(v) for k, v in sets.items()}


def folder_of(out, name):
    return os.path.join(out, "store", "live") if name == "live" else os.path.join(out, name)


SCRIPT = "resources/models/make_digits_cnn.py"  # the manifest's mark: folders this script made


def write_manifest(path, manifest):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path + ".tmp", "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    os.replace(path + ".tmp", path)


def write_images(out):
    """Writes the three labelled folders under out (see the module doc); returns the manifest."""
    manifest_path = os.path.join(out, "digits-images.json")
    manifest = None
    if os.path.exists(manifest_path):
        with open(manifest_path) as f:
            manifest = json.load(f)
        if manifest.get("version") == IMAGES_VERSION and manifest.get("complete", True):
            print(f"{out}: the digit images are already there ({manifest['counts']})")
            return manifest
    ours = manifest is not None and manifest.get("script") == SCRIPT
    if not ours:  # a folder made by someone else is never deleted
        for name in ("reference", "holdout", "live"):
            if os.path.exists(folder_of(out, name)):
                sys.exit(f"{folder_of(out, name)} exists and was not made by this script: choose another --out")
    write_manifest(manifest_path, {"script": SCRIPT, "complete": False})  # the marker, before anything is written
    # A new version rewrites the live pool: the simulator's drifted copies of the old one go too.
    drifted = os.path.join(out, "store", "image-drift")
    if ours and os.path.exists(drifted):
        shutil.rmtree(drifted)
    digits, sets = split()
    counts = {}
    for name, indices in sets.items():
        root = folder_of(out, name)
        if os.path.exists(root):
            shutil.rmtree(root)  # an incomplete or older run of this script (the marker says so)
        for c in CLASSES:
            os.makedirs(os.path.join(root, c))
        for i in indices:
            with open(os.path.join(root, str(digits.target[i]), f"d{i:04d}.png"), "wb") as f:
                f.write(digit_png(digits.images[i]))
        counts[name] = len(indices)
    manifest = {
        "version": IMAGES_VERSION, "classes": CLASSES, "counts": counts, "png_size": PNG_SIZE,
        "reference": folder_of(out, "reference"), "holdout": folder_of(out, "holdout"),
        "store": os.path.join(out, "store"), "live": folder_of(out, "live"),
        "script": SCRIPT, "complete": True,
    }
    write_manifest(manifest_path, manifest)  # last: a run cut short is done again
    print(f"{out}: wrote {sum(counts.values())} digit images {counts}")
    return manifest


def labelled(root):
    """[(key, label)] of a labelled folder, keys relative to root and sorted (as MLDeck lists them)."""
    items = []
    for label, c in enumerate(CLASSES):
        for name in os.listdir(os.path.join(root, c)):
            items.append((f"{c}/{name}", label))
    return sorted(items)


# ---------------------------------------------------------------- the model

def load_set(root, spec):
    """The images of a labelled folder through MLDeck's pipeline: keys, [N, C, H, W] float32, labels."""
    from mldeck_backend import image_pipeline
    items = labelled(root)
    x = np.stack([image_pipeline.prepare_image(open(os.path.join(root, k), "rb").read(), spec) for k, _ in items])
    return [k for k, _ in items], x.astype(np.float32), np.array([y for _, y in items], dtype=np.int64)


def make_model():
    import torch
    from torch import nn

    class DigitsCnn(nn.Module):
        """[B, 1, 16, 16] -> [B, 10] logits: two 3 x 3 convolutions with max pooling, two dense layers."""

        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(
                nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
            self.head = nn.Sequential(nn.Flatten(), nn.Linear(32 * 4 * 4, 64), nn.ReLU(), nn.Linear(64, 10))

        def forward(self, x):
            return self.head(self.features(x))

    return DigitsCnn()


def train(x, y, epochs, seed):
    import torch
    from torch import nn
    torch.manual_seed(seed)
    model = make_model()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3, weight_decay=1e-4)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(len(yt))
        total = 0.0
        for i in range(0, len(perm), 64):
            idx = perm[i:i + 64]
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        if (epoch + 1) % 5 == 0 or epoch + 1 == epochs:
            print(f"  epoch {epoch + 1}/{epochs} loss {total / len(perm):.4f}", flush=True)
    model.eval()
    return model


def probabilities(module, x):
    import torch
    with torch.no_grad():
        return torch.softmax(module(torch.from_numpy(x)).double(), dim=1).numpy()


def metrics(p, y):
    pred = p.argmax(1)
    clipped = np.clip(p[np.arange(len(y)), y], EPS, 1 - EPS)
    return {"accuracy": float((pred == y).mean()), "log_loss": float(-np.log(clipped).mean()),
            "brier": float(((p - np.eye(10)[y]) ** 2).sum(1).mean())}


def metadata(name, spec, n_train, n_holdout, holdout, note):
    return {
        "format": "mldeck-model", "format_version": 2,
        "model": {"name": name, "version": "1.0.0"},
        "task": "classification",
        "target": {"name": "digit"},
        "classes": CLASSES,
        "output": "logits",
        "input": "image",
        "image": spec,
        "sequence_length": 1,
        "training": {"rows": n_train, "holdout_rows": n_holdout,
                     "holdout_metrics": {k: round(v, 4) for k, v in holdout.items()},
                     "data": "scikit-learn load_digits as 32 x 32 PNG (make_digits_cnn.py images)",
                     "note": note, "script": "resources/models/make_digits_cnn.py"},
    }


def save(module, path, meta):
    import torch
    scripted = torch.jit.script(module)
    torch.jit.save(scripted, path, _extra_files={"mldeck.json": json.dumps(meta, indent=1)})
    print(f"wrote {path} ({os.path.getsize(path) // 1024} KiB)")
    return torch.jit.load(path)


def cmd_train(args):
    import torch
    torch.set_num_threads(args.threads)
    os.makedirs(os.path.join(args.out_dir, "fixtures"), exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="digits-")
    try:
        m = write_images(tmp)
        # The normalisation: mean and std of the reference pixels in [0, 1] after the resize.
        raw = {"width": INPUT_SIZE, "height": INPUT_SIZE, "channels": 1, "resize": "stretch",
               "mean": [0.0], "std": [1.0]}
        _, x_raw, _ = load_set(m["reference"], raw)
        spec = dict(raw, mean=[round(float(x_raw.mean()), 4)], std=[round(float(x_raw.std()), 4)])
        print(f"input 1 x {INPUT_SIZE} x {INPUT_SIZE}, mean {spec['mean']}, std {spec['std']}")
        keys_ref, x_ref, y_ref = load_set(m["reference"], spec)
        keys_hold, x_hold, y_hold = load_set(m["holdout"], spec)
    finally:
        shutil.rmtree(tmp)
    expected = {"classes": CLASSES, "holdout": "holdout (make_digits_cnn.py images)", "keys": keys_hold,
                "labels": y_hold.tolist(), "log_loss_eps": EPS, "models": {}}

    print(f"training digits_cnn on {len(y_ref)} reference images")
    model = train(x_ref, y_ref, args.epochs, args.seed)
    p = probabilities(model, x_hold)
    held = metrics(p, y_hold)
    print("  holdout", held)
    loaded = save(model, os.path.join(args.out_dir, "digits_cnn.pt"),
                  metadata("digits_cnn", spec, len(y_ref), len(y_hold), held, "the demo champion"))
    assert np.array_equal(probabilities(loaded, x_hold), p)
    expected["models"]["digits_cnn.pt"] = dict(metrics=held, probabilities=np.round(p, 6).tolist())

    keep = ~np.isin(y_ref, [CLASSES.index(c) for c in DEGRADED_DROPPED])
    print(f"training digits_cnn_degraded on {int(keep.sum())} reference images (no {', '.join(DEGRADED_DROPPED)})")
    degraded = train(x_ref[keep], y_ref[keep], args.epochs, args.seed)
    p = probabilities(degraded, x_hold)
    held_d = metrics(p, y_hold)
    print("  holdout", held_d)
    save(degraded, os.path.join(args.out_dir, "digits_cnn_degraded.pt"),
         metadata("digits_cnn_degraded", spec, int(keep.sum()), len(y_hold), held_d,
                  f"deliberately degraded: trained without any {' or '.join(DEGRADED_DROPPED)}"))
    expected["models"]["digits_cnn_degraded.pt"] = dict(metrics=held_d, probabilities=np.round(p, 6).tolist())

    with open(os.path.join(args.out_dir, "fixtures", "digits_expected.json"), "w") as f:
        json.dump(expected, f)
        f.write("\n")
    print(f"wrote fixtures/digits_expected.json")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    im = sub.add_parser("images", help="write the digit images into labelled folders under --out")
    im.add_argument("--out", required=True)
    tr = sub.add_parser("train", help="train and export digits_cnn.pt and digits_cnn_degraded.pt")
    tr.add_argument("--out-dir", default=HERE)
    tr.add_argument("--epochs", type=int, default=30)
    tr.add_argument("--seed", type=int, default=7)
    tr.add_argument("--threads", type=int, default=1, help="torch threads (1 is fastest on a busy 2-core box)")
    args = ap.parse_args()
    if args.command == "images":
        os.makedirs(args.out, exist_ok=True)
        write_images(os.path.abspath(args.out))
    else:
        cmd_train(args)


if __name__ == "__main__":
    main()
