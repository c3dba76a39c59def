#!/usr/bin/python3
"""Writes sklearn_reference.json: random classifier outputs and labels with the metrics scikit-learn computes
on them, the reference test_sklearn_reference checks MLDeck's classifierMetrics() against (within 1e-9).

Run with Debian's python3-sklearn: /usr/bin/python3 make_sklearn_reference.py [output.json]
Deterministic (seeded). Conventions, as in core/stats/kpi/ClassificationSums.h:
  - served class: binary P(positive) >= threshold; multi-class the most probable class;
  - log-loss clips each probability to [1e-15, 1 - 1e-15] (log_loss's eps=1e-15), on the probability vectors
    MLDeck evaluates, binary ones too ({1 - p, p}). (Given a binary model's 1-D P(positive), log_loss clips P
    before taking 1 - P: a row with P = 1 and y = 0 then costs -ln(1 - (1 - 1e-15)) = -ln(9.992e-16), 34.5396,
    where clipping the vector gives -ln(1e-15), 34.5388; the first rows here have such probabilities.)
  - Brier: binary brier_score_loss of P(positive); multi-class the mean over rows of sum_k (p_k - [k == y])^2
    (scikit-learn 1.2 has no multi-class Brier; written out here);
  - precision, recall, F1 macro over the K classes (labels=range(K)); every class is predicted and occurs in
    these rows, so scikit-learn's zero_division never applies;
  - ROC AUC: binary of P(positive); multi-class one-vs-rest, macro;
  - PR AUC: average_precision_score; multi-class macro over the one-vs-rest columns;
  - ECE (not in scikit-learn, written out here): 10 bins [0, 0.1), ..., [0.9, 1.0] of the score (binary
    P(positive), multi-class the confidence p[served]), sum over bins of |positives (binary) or right answers
    (multi-class) - sum of scores| / rows.
Some probabilities are exactly 0 or 1 to exercise the clipping.
"""
import json
import sys

import numpy as np
import sklearn
from sklearn import metrics
from sklearn.preprocessing import label_binarize


def ece(score, hit):
    bins = np.minimum((score * 10).astype(int), 9)
    total = 0.0
    for b in range(10):
        m = bins == b
        total += abs(hit[m].sum() - score[m].sum())
    return total / len(score)


def binary_case(rng, name, n, threshold):
    logit = rng.normal(0.0, 2.0, n)
    p = 1 / (1 + np.exp(-logit))
    p[:3] = [0.0, 1.0, 0.0]  # clipped for log-loss
    y = (rng.random(n) < np.clip(p * 0.9 + 0.05, 0, 1)).astype(int)
    y[:3] = [1, 0, 0]  # a certain wrong answer each way and a certain right one
    pred = (p >= threshold).astype(int)
    probs = np.column_stack([1 - p, p])
    return {
        "name": name,
        "classes": 2,
        "threshold": threshold,
        "probabilities": probs.ravel().tolist(),
        "actual": y.tolist(),
        "accuracy": metrics.accuracy_score(y, pred),
        "balanced_accuracy": metrics.balanced_accuracy_score(y, pred),
        "precision": metrics.precision_score(y, pred),
        "recall": metrics.recall_score(y, pred),
        "f1": metrics.f1_score(y, pred),
        "macro_precision": metrics.precision_score(y, pred, average="macro"),
        "macro_recall": metrics.recall_score(y, pred, average="macro"),
        "macro_f1": metrics.f1_score(y, pred, average="macro"),
        "roc_auc": metrics.roc_auc_score(y, p),
        "log_loss": metrics.log_loss(y, probs, eps=1e-15, labels=[0, 1]),
        "brier": metrics.brier_score_loss(y, p),
        "pr_auc": metrics.average_precision_score(y, p),
        "ece": ece(p, y.astype(float)),
        "confusion": metrics.confusion_matrix(y, pred, labels=[0, 1]).ravel().tolist(),
    }


def multiclass_case(rng, name, n, k):
    logits = rng.normal(0.0, 1.5, (n, k))
    probs = np.exp(logits)
    probs /= probs.sum(axis=1, keepdims=True)
    probs[0] = np.eye(k)[0]  # exactly 0 and 1
    probs[1] = np.eye(k)[1]
    y = np.array([rng.choice(k, p=0.8 * row + 0.2 / k) for row in probs])
    y[0], y[1] = 1, 1  # one certain wrong answer, one certain right one
    pred = probs.argmax(axis=1)
    onehot = label_binarize(y, classes=list(range(k)))
    labels = list(range(k))
    return {
        "name": name,
        "classes": k,
        "threshold": 0.5,
        "probabilities": probs.ravel().tolist(),
        "actual": y.tolist(),
        "accuracy": metrics.accuracy_score(y, pred),
        "balanced_accuracy": metrics.balanced_accuracy_score(y, pred),
        "precision_per_class": metrics.precision_score(y, pred, labels=labels, average=None).tolist(),
        "recall_per_class": metrics.recall_score(y, pred, labels=labels, average=None).tolist(),
        "f1_per_class": metrics.f1_score(y, pred, labels=labels, average=None).tolist(),
        "macro_precision": metrics.precision_score(y, pred, labels=labels, average="macro"),
        "macro_recall": metrics.recall_score(y, pred, labels=labels, average="macro"),
        "macro_f1": metrics.f1_score(y, pred, labels=labels, average="macro"),
        "roc_auc": metrics.roc_auc_score(y, probs, multi_class="ovr", average="macro", labels=labels),
        "log_loss": metrics.log_loss(y, probs, eps=1e-15, labels=labels),
        "brier": float(((probs - onehot) ** 2).sum(axis=1).mean()),
        "pr_auc": metrics.average_precision_score(onehot, probs, average="macro"),
        "ece": ece(probs[np.arange(n), pred], (pred == y).astype(float)),
        "confusion": metrics.confusion_matrix(y, pred, labels=labels).ravel().tolist(),
    }


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "sklearn_reference.json"
    rng = np.random.default_rng(20261207)
    cases = [
        binary_case(rng, "binary, threshold 0.5", 500, 0.5),
        binary_case(rng, "binary, threshold 0.35", 500, 0.35),
        multiclass_case(rng, "4 classes", 500, 4),
        multiclass_case(rng, "3 classes", 300, 3),
    ]
    with open(out, "w") as f:
        json.dump({"sklearn": sklearn.__version__, "cases": cases}, f)
        f.write("\n")


if __name__ == "__main__":
    main()
