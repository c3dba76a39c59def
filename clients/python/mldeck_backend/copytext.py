"""COPY text encoding of log rows (``resources/contract/logging.md``, "COPY text format").

Rows are encoded once, in the writer thread, into the exact lines ``COPY ... FROM STDIN`` takes
(tab-separated, ``\\N`` for NULL, ``t``/``f``, backslash/tab/newline/CR escaped). The same lines go
to PostgreSQL or to the on-disk spool, so a spooled batch is replayed byte for byte.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Optional, Sequence

__all__ = [
    "PREDICTION_COLUMNS",
    "OUTCOME_COLUMNS",
    "FEEDBACK_COLUMNS",
    "COPY_PREDICTIONS",
    "COPY_PREDICTIONS_CLASS",
    "COPY_PREDICTIONS_IMAGE",
    "PREDICTION_FIELDS_CLASS",
    "COPY_OUTCOMES",
    "COPY_FEEDBACK",
    "COPY_FEEDBACK_IMAGE",
    "MAX_IMAGE_KEY",
    "check_image_key",
    "format_ts",
    "escape",
    "numeric_array",
    "text_array",
    "prediction_line",
    "prediction_copy",
    "feedback_copy",
    "outcome_line",
    "feedback_line",
]

PREDICTION_COLUMNS = ("ts", "predicted", "latency_ms", "feature_schema", "failed", "path", "deployment",
                      "request_key", "model_version", "error", "numeric", "categorical")
# Contract v2 (classification.md): a classifier's rows add the served class and the probability
# vector. A row without them is written in the v1 form (the first 12 columns), so a regression
# backend, a database before step 12 and a spool written by an older client all keep working.
PREDICTION_CLASS_COLUMNS = PREDICTION_COLUMNS + ("predicted_class", "probabilities")
PREDICTION_FIELDS_CLASS = len(PREDICTION_CLASS_COLUMNS)
MAX_LOGGED_PROBABILITIES = 20
# Image deployments (step 22, images.md): the key of the image in the deployment's image store, never
# the image. Only rows with a key carry the column, so older databases and spools keep working.
PREDICTION_IMAGE_COLUMNS = PREDICTION_CLASS_COLUMNS + ("image_key",)
MAX_IMAGE_KEY = 1024
OUTCOME_COLUMNS = ("observed_at", "actual", "deployment", "request_key")
FEEDBACK_COLUMNS = ("ts", "positive", "deployment", "request_key", "comment", "user_pseudonym")
FEEDBACK_IMAGE_COLUMNS = FEEDBACK_COLUMNS + ("image_key",)

COPY_PREDICTIONS = f"COPY mldeck.predictions ({', '.join(PREDICTION_COLUMNS)}) FROM STDIN"
COPY_PREDICTIONS_CLASS = f"COPY mldeck.predictions ({', '.join(PREDICTION_CLASS_COLUMNS)}) FROM STDIN"
COPY_PREDICTIONS_IMAGE = f"COPY mldeck.predictions ({', '.join(PREDICTION_IMAGE_COLUMNS)}) FROM STDIN"
COPY_OUTCOMES = f"COPY mldeck.outcomes ({', '.join(OUTCOME_COLUMNS)}) FROM STDIN"
COPY_FEEDBACK = f"COPY mldeck.feedback ({', '.join(FEEDBACK_COLUMNS)}) FROM STDIN"
COPY_FEEDBACK_IMAGE = f"COPY mldeck.feedback ({', '.join(FEEDBACK_IMAGE_COLUMNS)}) FROM STDIN"

_NULL = "\\N"
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def escape(text: str) -> str:
    """COPY text escaping of one field (backslash, tab, newline, carriage return)."""
    return text.translate(_ESCAPES)


def _opt_text(value: Optional[str]) -> str:
    return _NULL if value is None else escape(value)


def format_ts(epoch_s: float) -> str:
    """``timestamptz`` text in UTC with microseconds, e.g. ``2024-05-01 08:00:00.000123+00``."""
    micros = int(round(epoch_s * 1_000_000))
    dt = datetime.fromtimestamp(micros // 1_000_000, tz=timezone.utc)
    return f"{dt:%Y-%m-%d %H:%M:%S}.{micros % 1_000_000:06d}+00"


def _float(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return repr(float(value))  # the shortest text that reads back to the same double


def numeric_array(values: Optional[Sequence[float]]) -> str:
    """``real[]`` literal (no COPY escaping needed: it holds no backslash), or ``\\N``."""
    if values is None:
        return _NULL
    return "{" + ",".join(_float(float(v)) for v in values) + "}"


def text_array(values: Optional[Sequence[Optional[str]]]) -> str:
    """``text[]`` literal with every element quoted, then COPY-escaped; ``None`` elements are NULL."""
    if values is None:
        return _NULL
    parts = []
    for v in values:
        if v is None:
            parts.append("NULL")
        else:
            parts.append('"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"')
    return escape("{" + ",".join(parts) + "}")


def check_image_key(key: str) -> None:
    """Raises ValueError for a key the image store refuses (images.md, "Keys"): not a relative path
    with '/' separators of at most 1024 characters, or with an empty, '.' or '..' component, a
    backslash or a control character."""
    if not isinstance(key, str) or not key:
        raise ValueError("image_key must be a non-empty string")
    if len(key.encode("utf-16-le")) // 2 > MAX_IMAGE_KEY:  # counted as C++ counts: UTF-16 units
        raise ValueError(f"image_key is longer than {MAX_IMAGE_KEY} characters")
    if key.startswith("/") or "\\" in key or any(ord(ch) < 32 or ord(ch) == 127 for ch in key):
        raise ValueError(f"image_key {key!r} must be a relative path with '/' separators, without control characters")
    if any(part in ("", ".", "..") for part in key.split("/")):
        raise ValueError(f"image_key {key!r} has an empty, '.' or '..' component")


def prediction_line(ts: float, predicted: Optional[float], latency_ms: float, feature_schema: int, failed: bool,
                    path: str, deployment: str, request_key: str, model_version: Optional[str],
                    error: Optional[str], numeric: Optional[Sequence[float]],
                    categorical: Optional[Sequence[Optional[str]]], predicted_class: Optional[int] = None,
                    probabilities: Optional[Sequence[float]] = None, image_key: Optional[str] = None) -> str:
    """One line of ``COPY mldeck.predictions`` (without the trailing newline): the v1 columns, plus
    ``predicted_class`` and ``probabilities`` when either is given (COPY_PREDICTIONS_CLASS), plus
    ``image_key`` when given (COPY_PREDICTIONS_IMAGE)."""
    line = "\t".join((
        format_ts(ts),
        _NULL if predicted is None else _float(predicted),
        _float(latency_ms),
        str(int(feature_schema)),
        "t" if failed else "f",
        path,
        escape(deployment),
        escape(request_key),
        _opt_text(model_version),
        _opt_text(error),
        numeric_array(numeric),
        text_array(categorical),
    ))
    if predicted_class is None and probabilities is None and image_key is None:
        return line
    if predicted_class is not None and int(predicted_class) < 0:
        raise ValueError("predicted_class must be a class index >= 0")
    if probabilities is not None and len(probabilities) > MAX_LOGGED_PROBABILITIES:
        raise ValueError(f"at most {MAX_LOGGED_PROBABILITIES} probabilities are logged ({len(probabilities)} given)")
    line = "\t".join((line, _NULL if predicted_class is None else str(int(predicted_class)),
                      numeric_array(probabilities)))
    if image_key is None:
        return line
    check_image_key(image_key)
    return "\t".join((line, escape(image_key)))


def prediction_copy(line: str) -> str:
    """The COPY statement a prediction line belongs to, by its number of fields (12, 14 or 15; escaped
    tabs are not tabs)."""
    fields = line.count("\t") + 1
    if fields == len(PREDICTION_IMAGE_COLUMNS):
        return COPY_PREDICTIONS_IMAGE
    return COPY_PREDICTIONS_CLASS if fields == PREDICTION_FIELDS_CLASS else COPY_PREDICTIONS


def feedback_copy(line: str) -> str:
    """The COPY statement a feedback line belongs to, by its number of fields (6 or 7)."""
    return COPY_FEEDBACK_IMAGE if line.count("\t") + 1 == len(FEEDBACK_IMAGE_COLUMNS) else COPY_FEEDBACK


def outcome_line(observed_at: float, actual: float, deployment: str, request_key: str) -> str:
    """One line of ``COPY mldeck.outcomes``."""
    return "\t".join((format_ts(observed_at), _float(actual), escape(deployment), escape(request_key)))


def feedback_line(ts: float, positive: bool, deployment: str, request_key: str, comment: Optional[str],
                  user_pseudonym: Optional[str], image_key: Optional[str] = None) -> str:
    """One line of ``COPY mldeck.feedback`` (COPY_FEEDBACK_IMAGE when ``image_key`` is given)."""
    line = "\t".join((format_ts(ts), "t" if positive else "f", escape(deployment), escape(request_key),
                      _opt_text(comment), _opt_text(user_pseudonym)))
    if image_key is None:
        return line
    check_image_key(image_key)
    return "\t".join((line, escape(image_key)))
