#!/usr/bin/python3
"""Trains the MLDeck demo models the way a data scientist would, and exports them as TorchScript.

Input: a CSV written by `mldeckctl demo-data` (feature columns in schema order, delay_min, ts).
Output (next to this script unless --out-dir):
  eta_mlp.pt   MLP regressor (torch.jit.script), sequence_length 1
  eta_lstm.pt  LSTM 64 -> LSTM 32 -> Dense over the last SEQ_LEN requests (torch.jit.script)
  fixtures/    interop fixture for tests/unit/ml: rows + predictions computed here, a model
               without metadata, and two files that are zips but not TorchScript.
Each model carries its metadata as the TorchScript extra file "mldeck.json"
(format: resources/contract/models.md).

Run with Debian's /usr/bin/python3 (python3-torch 1.13). See README.md in this folder.
"""
import argparse
import csv
import json
import math
import os
import zipfile

import numpy as np
import torch
from torch import nn

FORMAT_VERSION = 1
SEQ_LEN = 12
TARGET = "delay_min"
NUMERIC = ["distance_km", "planned_duration_min", "hour", "weekday", "traffic_index", "rain_mm",
           "temperature_c", "driver_load"]
CATEGORICAL = {  # levels in one-hot order; the generator's schema order
    "pickup_zone": ["center", "old_town", "business_district", "university", "airport", "harbor",
                    "suburbs_north", "suburbs_south"],
    "vehicle_type": ["sedan", "van", "premium", "moto"],
}


def read_csv(path):
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in NUMERIC + list(CATEGORICAL) + [TARGET] if c not in reader.fieldnames]
        if missing:
            raise SystemExit(f"{path}: missing columns {missing}")
        rows = list(reader)
    num = np.array([[float(r[c]) for c in NUMERIC] for r in rows], dtype=np.float32)
    cat = [[r[c] for c in CATEGORICAL] for r in rows]
    y = np.array([float(r[TARGET]) for r in rows], dtype=np.float32)
    return rows, num, cat, y


def encode(num, cat, mean, std):
    """The input encoding of models.md: scaled numerics, then one-hot per categorical (unknown: all zero)."""
    scaled = (torch.from_numpy(num) - torch.tensor(mean, dtype=torch.float32)) / torch.tensor(std, dtype=torch.float32)
    onehots = []
    for j, levels in enumerate(CATEGORICAL.values()):
        oh = torch.zeros(len(cat), len(levels))
        for i, row in enumerate(cat):
            if row[j] in levels:
                oh[i, levels.index(row[j])] = 1.0
        onehots.append(oh)
    return torch.cat([scaled] + onehots, dim=1)


def windows(x, length):
    """[N, D] time-ordered rows -> [N, length, D]: row i's window ends at i; before row 0, row 0 repeats."""
    idx = torch.arange(x.shape[0]).unsqueeze(1) + torch.arange(-length + 1, 1).unsqueeze(0)
    return x[idx.clamp(min=0)]


def heuristic(num):
    """The baseline of core/demo (heuristicDelay), for the metrics in the metadata."""
    planned, traffic, rain = num[:, 1], num[:, 4], num[:, 5]
    return 2.5 + 0.09 * planned * np.maximum(0.0, traffic - 2.5) + np.where(rain > 0, 2.0, 0.0)


class EtaMlp(nn.Module):
    def __init__(self, width, y_mean, y_std):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(width, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 1))
        self.register_buffer("y_mean", torch.tensor(y_mean))
        self.register_buffer("y_std", torch.tensor(y_std))

    def forward(self, x):  # [B, D] -> [B] minutes
        return self.net(x).squeeze(-1) * self.y_std + self.y_mean


class EtaLstm(nn.Module):
    """The team's Keras model, LSTM(64, return_sequences) -> LSTM(32) -> Dense(1), in PyTorch."""

    def __init__(self, width, y_mean, y_std):
        super().__init__()
        self.lstm1 = nn.LSTM(width, 64, batch_first=True)
        self.lstm2 = nn.LSTM(64, 32, batch_first=True)
        self.head = nn.Linear(32, 1)
        self.register_buffer("y_mean", torch.tensor(y_mean))
        self.register_buffer("y_std", torch.tensor(y_std))

    def forward(self, x):  # [B, L, D] -> [B] minutes
        h1, _ = self.lstm1(x)
        h2, _ = self.lstm2(h1)
        return self.head(h2[:, -1, :]).squeeze(-1) * self.y_std + self.y_mean


def train(model, x, y, epochs, lr, batch):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    yt = torch.from_numpy(y)
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(len(yt))
        total = 0.0
        for i in range(0, len(perm), batch):
            idx = perm[i:i + batch]
            opt.zero_grad()
            loss = nn.functional.huber_loss(model(x[idx]), yt[idx], delta=3.0)
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        sched.step()
        print(f"  epoch {epoch + 1}/{epochs} loss {total / len(perm):.4f}", flush=True)
    model.eval()
    return model


def metrics(pred, y):
    err = pred.astype(np.float64) - y.astype(np.float64)
    ss_tot = ((y - y.mean()) ** 2).sum()
    return {"mae": round(float(np.abs(err).mean()), 4), "rmse": round(float(math.sqrt((err ** 2).mean())), 4),
            "r2": round(float(1 - (err ** 2).sum() / ss_tot), 4)}


def metadata(name, seq_len, mean, std, n_train, holdout):
    features = [{"name": n, "kind": "numeric", "mean": float(m), "std": float(s)} for n, m, s in zip(NUMERIC, mean, std)]
    features += [{"name": n, "kind": "categorical", "categories": levels} for n, levels in CATEGORICAL.items()]
    return {
        "format": "mldeck-model", "format_version": FORMAT_VERSION,
        "model": {"name": name, "version": "1.0.0"},
        "task": "regression",
        "target": {"name": TARGET, "unit": "min"},
        "feature_schema": 1,
        "features": features,
        "sequence_length": seq_len,
        "training": {"rows": n_train, "holdout_rows": holdout["rows"], "holdout_metrics": holdout["metrics"],
                     "heuristic_holdout_metrics": holdout["heuristic"],
                     "script": "resources/models/make_demo_models.py"},
    }


def save(model, example, meta, path):
    scripted = torch.jit.script(model)
    with torch.no_grad():  # the scripted module must agree with the eager one
        assert torch.allclose(scripted(example), model(example), atol=1e-6)
    torch.jit.save(scripted, path, _extra_files={"mldeck.json": json.dumps(meta, indent=1)})
    print(f"wrote {path} ({os.path.getsize(path) // 1024} KiB)")
    return scripted


def write_fixture(out_dir, rows, cat, x, mlp, lstm):
    """A time-ordered slice of the holdout, plus one row with an unknown zone, and the predictions made here."""
    fx = os.path.join(out_dir, "fixtures")
    os.makedirs(fx, exist_ok=True)
    start = len(rows) - 40
    picked = list(range(start, len(rows)))
    fixture_rows = [dict(rows[i]) for i in picked]
    fixture_rows[-1]["pickup_zone"] = "moon_base"  # not a known level: all-zero one-hot
    fcat = [[r[c] for c in CATEGORICAL] for r in fixture_rows]
    fnum = np.array([[float(r[c]) for c in NUMERIC] for r in fixture_rows], dtype=np.float32)
    with open(os.path.join(fx, "eta_fixture.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=NUMERIC + list(CATEGORICAL) + [TARGET, "ts"], lineterminator="\n")
        w.writeheader()
        for r in fixture_rows:
            w.writerow({k: r[k] for k in w.fieldnames})
    return fx, fnum, fcat


def write_traced_fixture(out_dir):
    """eta_mlp.pt's weights in an eager EtaMlp exported with torch.jit.trace (not script), with the
    predictions Python makes for the fixture rows: the interop check for traced models."""
    fx = os.path.join(out_dir, "fixtures")
    extra = {"mldeck.json": ""}
    scripted = torch.jit.load(os.path.join(out_dir, "eta_mlp.pt"), _extra_files=extra)
    meta = json.loads(extra["mldeck.json"])
    num_meta = [f for f in meta["features"] if f["kind"] == "numeric"]
    mean = np.array([f["mean"] for f in num_meta], dtype=np.float64)
    std = np.array([f["std"] for f in num_meta], dtype=np.float64)
    _, fnum, fcat, _ = read_csv(os.path.join(fx, "eta_fixture.csv"))
    fxx = encode(fnum, fcat, mean, std)
    eager = EtaMlp(fxx.shape[1], 0.0, 1.0)
    eager.load_state_dict(scripted.state_dict())
    eager.eval()
    with torch.no_grad():
        traced = torch.jit.trace(eager, fxx[:4])
        meta["name"] = "eta_mlp_traced"
        torch.jit.save(traced, os.path.join(fx, "eta_mlp_traced.pt"), _extra_files={"mldeck.json": json.dumps(meta, indent=1)})
        pred = traced(fxx).numpy()
        assert np.allclose(pred, scripted(fxx).numpy(), atol=1e-5)
    with open(os.path.join(fx, "eta_expected_traced.csv"), "w") as f:
        f.write("eta_mlp_traced\n")
        for a in pred:
            f.write(f"{a:.9g}\n")
    print(f"wrote {fx}/eta_mlp_traced.pt and eta_expected_traced.csv")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--csv", help="training data from `mldeckctl demo-data`")
    ap.add_argument("--traced-only", action="store_true",
                    help="only (re)write fixtures/eta_mlp_traced.pt from the existing eta_mlp.pt (seconds, no training)")
    ap.add_argument("--out-dir", default=here)
    ap.add_argument("--epochs", type=int, default=25)
    ap.add_argument("--lstm-epochs", type=int, default=8)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (1 is fastest on a busy 2-core box)")
    args = ap.parse_args()
    if args.traced_only:
        write_traced_fixture(args.out_dir)
        return
    if not args.csv:
        ap.error("--csv is required unless --traced-only")
    os.makedirs(args.out_dir, exist_ok=True)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)

    rows, num, cat, y = read_csv(args.csv)
    n = len(y)
    cut = int(n * 0.8)  # time-ordered split: the holdout is the most recent 20 %
    mean = num[:cut].astype(np.float64).mean(0).round(5)
    std = num[:cut].astype(np.float64).std(0).round(5)
    x = encode(num, cat, mean, std)
    y_mean, y_std = float(y[:cut].mean()), float(y[:cut].std())
    heur = {"rows": n - cut, "heuristic": metrics(heuristic(num[cut:]), y[cut:])}
    print(f"{n} rows, {cut} train / {n - cut} holdout; heuristic holdout {heur['heuristic']}")

    print("training eta_mlp")
    mlp = train(EtaMlp(x.shape[1], y_mean, y_std), x[:cut], y[:cut], args.epochs, 2e-3, 256)
    with torch.no_grad():
        mlp_hold = {**heur, "metrics": metrics(mlp(x[cut:]).numpy(), y[cut:])}
    print("  eta_mlp holdout", mlp_hold["metrics"])

    print(f"training eta_lstm (window {SEQ_LEN})")
    xs = windows(x, SEQ_LEN)
    lstm = train(EtaLstm(x.shape[1], y_mean, y_std), xs[:cut], y[:cut], args.lstm_epochs, 4e-3, 512)
    with torch.no_grad():
        lstm_hold = {**heur, "metrics": metrics(lstm(xs[cut:]).numpy(), y[cut:])}
    print("  eta_lstm holdout", lstm_hold["metrics"])

    mlp_s = save(mlp, x[:4], metadata("eta_mlp", 1, mean, std, cut, mlp_hold), os.path.join(args.out_dir, "eta_mlp.pt"))
    lstm_s = save(lstm, xs[:4], metadata("eta_lstm", SEQ_LEN, mean, std, cut, lstm_hold),
                  os.path.join(args.out_dir, "eta_lstm.pt"))

    # Interop fixture: the C++ side must reproduce these predictions from the CSV alone.
    fx, fnum, fcat = write_fixture(args.out_dir, rows, cat, x, mlp_s, lstm_s)
    fxx = encode(fnum, fcat, mean, std)
    with torch.no_grad():
        p_mlp = mlp_s(fxx).numpy()
        p_lstm = lstm_s(windows(fxx, SEQ_LEN)).numpy()
    with open(os.path.join(fx, "eta_expected.csv"), "w") as f:
        f.write("eta_mlp,eta_lstm\n")
        for a, b in zip(p_mlp, p_lstm):
            f.write(f"{a:.9g},{b:.9g}\n")

    # A model without metadata: y = 1*a + 2*b + 3*c + 0.5 on three raw numeric inputs.
    tiny = nn.Linear(3, 1)
    with torch.no_grad():
        tiny.weight.copy_(torch.tensor([[1.0, 2.0, 3.0]]))
        tiny.bias.fill_(0.5)
    torch.jit.save(torch.jit.script(tiny), os.path.join(fx, "no_metadata.pt"))
    # Metadata that must be refused: malformed JSON, and a schema whose input the model cannot take.
    tiny_s = torch.jit.script(tiny)
    torch.jit.save(tiny_s, os.path.join(fx, "bad_json.pt"), _extra_files={"mldeck.json": '{"format": "mldeck-model", '})
    wrong = metadata("wrong_width", 1, mean, std, cut, mlp_hold)  # 20 encoded inputs for a 3-input model
    torch.jit.save(tiny_s, os.path.join(fx, "wrong_width.pt"), _extra_files={"mldeck.json": json.dumps(wrong)})
    # Two zips that are not TorchScript: what torch.save() gives, and an arbitrary zip.
    torch.save(tiny.state_dict(), os.path.join(fx, "state_dict.pt"))
    with zipfile.ZipFile(os.path.join(fx, "not_torchscript.zip"), "w") as z:
        z.writestr("readme.txt", "just a zip\n")
    write_traced_fixture(args.out_dir)
    print(f"wrote fixtures in {fx}")


if __name__ == "__main__":
    main()
