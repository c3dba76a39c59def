"""The Python twin of MLDeck's image preprocessing (core/ml/image/ImagePipeline.cpp).

Same steps, same arithmetic, so that a model trained in Python on these arrays sees in MLDeck what it
saw in training (resources/contract/images.md, "The pipeline"; the agreement test compares every float):

1. decode with Pillow, apply the EXIF orientation, convert to RGB (alpha dropped; palette expanded;
   16-bit samples keep their high byte);
2. grayscale models: luma = 0.299 R + 0.587 G + 0.114 B in float64, never rounded;
3. resize each axis with a triangle (bilinear) filter whose support grows with the shrink factor
   (antialiased), sample centres at index + 0.5, taps outside the image dropped and the rest renormalised;
   "fit" pads with 0 and "crop" centre-crops, sizes rounded half up, offsets rounded down;
4. (v / 255 - mean) / std per channel, float32, channel-major [C, H, W].

Pillow only decodes (its own resize rounds to 8 bits between passes and differs slightly); numpy does
the rest. Needs numpy and Pillow (Debian: python3-numpy, python3-pil).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

MAX_IMAGE_PIXELS = 50_000_000
RESIZE_MODES = ("stretch", "fit", "crop")


@dataclass
class ImageSpec:
    """The "image" object of an image model's mldeck.json."""

    width: int
    height: int
    channels: int
    resize: str = "stretch"
    mean: Sequence[float] = field(default_factory=list)
    std: Sequence[float] = field(default_factory=list)

    @classmethod
    def from_json(cls, o: dict) -> "ImageSpec":
        channels = int(o["channels"])
        spec = cls(width=int(o["width"]), height=int(o["height"]), channels=channels,
                   resize=o.get("resize", "stretch"), mean=list(o.get("mean", [0.0] * channels)),
                   std=list(o.get("std", [1.0] * channels)))
        spec.validate()
        return spec

    def to_json(self) -> dict:
        return {"width": self.width, "height": self.height, "channels": self.channels,
                "resize": self.resize, "mean": list(self.mean), "std": list(self.std)}

    def validate(self) -> None:
        if not (1 <= self.width <= 4096 and 1 <= self.height <= 4096):
            raise ValueError(f"image size {self.width} x {self.height} outside 1..4096")
        if self.channels not in (1, 3):
            raise ValueError(f"channels must be 1 or 3, not {self.channels}")
        if self.resize not in RESIZE_MODES:
            raise ValueError(f"resize must be one of {RESIZE_MODES}, not {self.resize!r}")
        if len(self.mean) != self.channels or len(self.std) != self.channels:
            raise ValueError("mean and std need one value per channel")
        if not all(math.isfinite(m) for m in self.mean) or not all(math.isfinite(s) and s > 0 for s in self.std):
            raise ValueError("mean must be finite and std finite and above 0")

    @property
    def input_width(self) -> int:
        return self.channels * self.width * self.height


def decode_rgb(data) -> np.ndarray:
    """Encoded bytes (or a path) -> uint8 array [h, w, 3] after the EXIF orientation."""
    from PIL import Image, ImageOps

    if isinstance(data, (bytes, bytearray)):
        data = io.BytesIO(data)
    with Image.open(data) as im:
        if im.width * im.height > MAX_IMAGE_PIXELS:
            raise ValueError(f"image of {im.width} x {im.height} pixels is above {MAX_IMAGE_PIXELS} pixels")
        im = ImageOps.exif_transpose(im)
        if im.mode in ("I;16", "I;16B", "I;16L", "I"):  # 16-bit grayscale: the high byte (Pillow's RGB48 too)
            v8 = (np.asarray(im).astype(np.int64) >> 8).clip(0, 255).astype(np.uint8)
            return np.repeat(v8[:, :, None], 3, axis=2)
        return np.asarray(im.convert("RGB"), dtype=np.uint8)


def _luma(rgb: np.ndarray) -> np.ndarray:
    r, g, b = (rgb[..., c].astype(np.float64) for c in range(3))
    return 0.299 * r + 0.587 * g + 0.114 * b


def _axis_weights(in_size: int, out_size: int, start: int, count: int) -> np.ndarray:
    """Dense [count, in_size] weights of output samples start..start+count (ImagePipeline.cpp axisTaps)."""
    scale = in_size / out_size
    filter_scale = max(scale, 1.0)
    support = filter_scale
    weights = np.zeros((count, in_size), dtype=np.float64)
    for i in range(count):
        centre = (start + i + 0.5) * scale
        lo = max(int(math.floor(centre - support + 0.5)), 0)
        hi = min(int(math.floor(centre + support + 0.5)), in_size)
        j = np.arange(lo, hi, dtype=np.float64)
        w = np.maximum(0.0, 1.0 - np.abs((j - centre + 0.5) / filter_scale))
        weights[i, lo:hi] = w / w.sum()
    return weights


def _round_half_up(x: float) -> int:
    return int(math.floor(x + 0.5))


def prepare_rgb(rgb: np.ndarray, spec: ImageSpec) -> np.ndarray:
    """A decoded uint8 [h, w, 3] image -> float32 [C, H, W], as MLDeck feeds the model."""
    h, w = rgb.shape[:2]
    W, H = spec.width, spec.height
    nw, nh = W, H
    if spec.resize == "fit":
        s = min(W / w, H / h)
        nw = min(max(_round_half_up(w * s), 1), W)
        nh = min(max(_round_half_up(h * s), 1), H)
    elif spec.resize == "crop":
        s = max(W / w, H / h)
        nw = max(_round_half_up(w * s), W)
        nh = max(_round_half_up(h * s), H)
    out_w, out_h = min(nw, W), min(nh, H)
    from_x, from_y = (nw - out_w) // 2, (nh - out_h) // 2
    off_x, off_y = (W - out_w) // 2, (H - out_h) // 2
    wx = _axis_weights(w, nw, from_x, out_w)
    wy = _axis_weights(h, nh, from_y, out_h)

    if spec.channels == 1:
        planes = _luma(rgb)[None, :, :]
    else:
        planes = np.moveaxis(rgb.astype(np.float64), 2, 0)
    resized = wy @ (planes @ wx.T)  # [C, out_h, out_w]

    out = np.empty((spec.channels, H, W), dtype=np.float32)
    for c in range(spec.channels):
        mean, sd = float(spec.mean[c]), float(spec.std[c])
        out[c, :, :] = np.float32((0.0 / 255.0 - mean) / sd)
        out[c, off_y:off_y + out_h, off_x:off_x + out_w] = ((resized[c] / 255.0 - mean) / sd).astype(np.float32)
    return out


def prepare_image(data, spec: ImageSpec | dict) -> np.ndarray:
    """Encoded bytes or a path -> float32 [C, H, W] (MLDeck's prepareImage)."""
    if isinstance(spec, dict):
        spec = ImageSpec.from_json(spec)
    return prepare_rgb(decode_rgb(data), spec)


def image_stats(data) -> dict:
    """Brightness and contrast (mean and std of luma in [0, 1]) and size of the decoded image
    (MLDeck's imageStats; what image drift compares)."""
    rgb = decode_rgb(data)
    luma = _luma(rgb) / 255.0
    return {"brightness": float(luma.mean()), "contrast": float(luma.std()),
            "width": int(rgb.shape[1]), "height": int(rgb.shape[0])}
