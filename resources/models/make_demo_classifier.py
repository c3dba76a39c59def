#!/usr/bin/python3
"""Trains the MLDeck demo classifier `accept` (will the driver accept the ride offer) and exports it as
TorchScript, the way a data scientist would.

Input: a CSV written by `mldeckctl demo-data --task accept` (feature columns in schema order, accepted, ts).
Output (next to this script unless --out-dir):
  accept_mlp.pt                  MLP, binary classifier, classes ["declined", "accepted"]: forward gives
                                 P(accepted) per row, shape [B], float64 (sigmoid of the logit in double
                                 precision, so the probability depends on the float32 logit only)
  fixtures/accept_holdout.csv    the last rows of the time-ordered holdout, cells as read
  fixtures/accept_expected.json  the probabilities this script's scripted model gives for those rows, and
                                 scikit-learn's metrics on them (the reference of the eval tests)
  fixtures/accept_logistic.pt    a logistic regression on the same inputs, output [B, 2] logits
                                 ("output": "logits"): the challenger of the comparison tests
The metadata (extra file "mldeck.json", format 2) is described in resources/contract/models.md.

Run with Debian's /usr/bin/python3 (python3-torch 1.13, python3-sklearn). See README.md in this folder.
"""
import argparse
import csv
import json
import os

import numpy as np
import sklearn
import torch
from sklearn import metrics as skm
from torch import nn

FORMAT_VERSION = 2
LABEL = "accepted"
CLASSES = ["declined", "accepted"]
THRESHOLD = 0.5
# log-loss clips a probability to [EPS, 1 - EPS] (MLDeck's convention, resources/contract/evaluation.md);
# scikit-learn 1.2 would otherwise use the float64 machine epsilon.
EPS = 1e-15
NUMERIC = ["distance_km", "planned_duration_min", "hour", "weekday", "traffic_index", "rain_mm",
           "temperature_c", "driver_load", "pickup_km", "fare_eur", "surge", "driver_accept_rate", "shift_hours"]
CATEGORICAL = {  # levels in one-hot order; the generator's schema order
    "pickup_zone": ["center", "old_town", "business_district", "university", "airport", "harbor",
                    "suburbs_north", "suburbs_south"],
    "vehicle_type": ["sedan", "van", "premium", "moto"],
}
FIXTURE_ROWS = 3000


def read_csv(path):
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in NUMERIC + list(CATEGORICAL) + [LABEL] if c not in reader.fieldnames]
        if missing:
            raise SystemExit(f"{path}: missing columns {missing}")
        rows = list(reader)
    num = np.array([[float(r[c]) for c in NUMERIC] for r in rows], dtype=np.float32)
    cat = [[r[c] for c in CATEGORICAL] for r in rows]
    y = np.array([int(r[LABEL]) for r in rows], dtype=np.int64)
    return rows, num, cat, y


def encode(num, cat, mean, std):
    """The input encoding of models.md: scaled numerics (float32), then one-hot per categorical."""
    scaled = (torch.from_numpy(num) - torch.tensor(mean, dtype=torch.float32)) / torch.tensor(std, dtype=torch.float32)
    onehots = []
    for j, levels in enumerate(CATEGORICAL.values()):
        oh = torch.zeros(len(cat), len(levels))
        for i, row in enumerate(cat):
            if row[j] in levels:
                oh[i, levels.index(row[j])] = 1.0
        onehots.append(oh)
    return torch.cat([scaled] + onehots, dim=1)


class AcceptMlp(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(width, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 1))

    def logit(self, x):
        return self.net(x).squeeze(-1)

    def forward(self, x):  # [B, D] -> [B] P(accepted), float64
        return torch.sigmoid(self.logit(x).double())


class AcceptLogistic(nn.Module):
    """The simpler model a team starts with: one linear layer, both classes' logits (softmax in MLDeck)."""

    def __init__(self, width):
        super().__init__()
        self.linear = nn.Linear(width, 1)

    def logit(self, x):
        return self.linear(x).squeeze(-1)

    def forward(self, x):  # [B, D] -> [B, 2] logits of (declined, accepted)
        z = self.logit(x).unsqueeze(-1)
        return torch.cat([torch.zeros_like(z), z], dim=1)


def train(model, x, y, epochs, lr, batch):
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=1e-5)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    yt = torch.from_numpy(y).float()
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(len(yt))
        total = 0.0
        for i in range(0, len(perm), batch):
            idx = perm[i:i + batch]
            opt.zero_grad()
            loss = nn.functional.binary_cross_entropy_with_logits(model.logit(x[idx]), yt[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        sched.step()
        print(f"  epoch {epoch + 1}/{epochs} loss {total / len(perm):.4f}", flush=True)
    model.eval()
    return model


def sklearn_metrics(p, y):
    """scikit-learn's figures for P(accepted) p and true classes y (0/1), the served class p >= THRESHOLD."""
    pred = (p >= THRESHOLD).astype(np.int64)
    return {
        "accuracy": skm.accuracy_score(y, pred),
        "precision": skm.precision_score(y, pred),
        "recall": skm.recall_score(y, pred),
        "f1": skm.f1_score(y, pred),
        "roc_auc": skm.roc_auc_score(y, p),
        "average_precision": skm.average_precision_score(y, p),
        "log_loss": skm.log_loss(y, p, eps=EPS, labels=[0, 1]),
        "brier": skm.brier_score_loss(y, p),
    }


def metadata(mean, std, n_train, n_holdout, holdout, name="accept_mlp", output="probabilities"):
    features = [{"name": n, "kind": "numeric", "mean": float(m), "std": float(s)} for n, m, s in zip(NUMERIC, mean, std)]
    features += [{"name": n, "kind": "categorical", "categories": levels} for n, levels in CATEGORICAL.items()]
    return {
        "format": "mldeck-model", "format_version": FORMAT_VERSION,
        "model": {"name": name, "version": "1.0.0"},
        "task": "classification",
        "target": {"name": LABEL},
        "classes": CLASSES,
        "decision_threshold": THRESHOLD,
        "output": output,
        "feature_schema": 1,
        "features": features,
        "sequence_length": 1,
        "training": {"rows": n_train, "holdout_rows": n_holdout,
                     "holdout_metrics": {k: round(v, 4) for k, v in holdout.items()},
                     "script": "resources/models/make_demo_classifier.py"},
    }


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--csv", required=True, help="training data from `mldeckctl demo-data --task accept`")
    ap.add_argument("--out-dir", default=here)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (1 is fastest on a busy 2-core box)")
    args = ap.parse_args()
    os.makedirs(os.path.join(args.out_dir, "fixtures"), exist_ok=True)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)

    rows, num, cat, y = read_csv(args.csv)
    n = len(y)
    cut = int(n * 0.8)  # time-ordered split: the holdout is the most recent 20 %
    mean = num[:cut].astype(np.float64).mean(0).round(5)
    std = num[:cut].astype(np.float64).std(0).round(5)
    x = encode(num, cat, mean, std)
    print(f"{n} rows, {cut} train / {n - cut} holdout; accepted {y[:cut].mean():.3f} (train), "
          f"{y[cut:].mean():.3f} (holdout)")

    print("training accept_mlp")
    model = train(AcceptMlp(x.shape[1]), x[:cut], y[:cut], args.epochs, 2e-3, 256)
    scripted = torch.jit.script(model)
    with torch.no_grad():
        p_hold = scripted(x[cut:]).numpy()
        assert np.array_equal(p_hold, model(x[cut:]).numpy())
    holdout = sklearn_metrics(p_hold, y[cut:])
    print("  holdout", {k: round(v, 4) for k, v in holdout.items()})
    path = os.path.join(args.out_dir, "accept_mlp.pt")
    meta = metadata(mean, std, cut, n - cut, holdout)
    torch.jit.save(scripted, path, _extra_files={"mldeck.json": json.dumps(meta, indent=1)})
    print(f"wrote {path} ({os.path.getsize(path) // 1024} KiB)")

    print("training accept_logistic")
    logistic = train(AcceptLogistic(x.shape[1]), x[:cut], y[:cut], max(1, args.epochs // 2), 5e-3, 256)
    with torch.no_grad():
        p_logistic = torch.softmax(logistic(x[cut:]).double(), dim=1)[:, 1].numpy()
    logistic_holdout = sklearn_metrics(p_logistic, y[cut:])
    print("  holdout", {k: round(v, 4) for k, v in logistic_holdout.items()})
    logistic_meta = metadata(mean, std, cut, n - cut, logistic_holdout, "accept_logistic", "logits")
    torch.jit.save(torch.jit.script(logistic), os.path.join(args.out_dir, "fixtures", "accept_logistic.pt"),
                   _extra_files={"mldeck.json": json.dumps(logistic_meta, indent=1)})

    # The fixture: the last rows of the holdout as read, and what the saved file gives for them, parsed
    # from the CSV text again (as MLDeck reads it: numbers as float32).
    fixture = rows[-FIXTURE_ROWS:]
    fx_csv = os.path.join(args.out_dir, "fixtures", "accept_holdout.csv")
    with open(fx_csv, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=NUMERIC + list(CATEGORICAL) + [LABEL, "ts"], lineterminator="\n")
        w.writeheader()
        for r in fixture:
            w.writerow({k: r[k] for k in w.fieldnames})
    _, fnum, fcat, fy = read_csv(fx_csv)
    loaded = torch.jit.load(path)
    with torch.no_grad():
        p = loaded(encode(fnum, fcat, mean, std)).numpy()
    expected = {
        "model": "accept_mlp.pt",
        "data": "accept_holdout.csv",
        "rows": len(fy),
        "decision_threshold": THRESHOLD,
        "log_loss_eps": EPS,
        "sklearn_version": sklearn.__version__,
        "sklearn": sklearn_metrics(p, fy),
        "p_accepted": [float(v) for v in p],
    }
    with open(os.path.join(args.out_dir, "fixtures", "accept_expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    print(f"wrote {fx_csv} and accept_expected.json: sklearn {expected['sklearn']}")


if __name__ == "__main__":
    main()
