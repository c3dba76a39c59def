"""Python half of the image pipeline agreement test (test_image_twin.cpp).

Writes test images of every kind MLDeck must read into OUTDIR, runs the Python twin
(clients/python/mldeck_backend/image_pipeline.py) on each with several specs, and writes each result
as raw little-endian float32 plus cases.json describing them. The C++ test runs its own pipeline on
the same files and compares every float. Also reports, for information, how far Pillow's own
BILINEAR resize lies from the twin.
"""

import json
import os
import struct
import sys
import zlib

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "clients", "python"))
from mldeck_backend.image_pipeline import ImageSpec, decode_rgb, image_stats, prepare_image  # noqa: E402


def pattern(w, h, seed):
    """A smooth gradient with noise: resizing errors show, JPEG keeps detail."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([x * 255.0 / max(w - 1, 1), y * 255.0 / max(h - 1, 1), (x + y) * 127.0 / max(w + h - 2, 1)], -1)
    return np.clip(base + rng.normal(0, 25, base.shape), 0, 255).astype(np.uint8)


def write_rgb48_png(path, rgb):
    """A 16-bit-per-channel RGB PNG (Pillow cannot write one)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    h, w = rgb.shape[:2]
    rows = b"".join(b"\0" + rgb[y].astype(">u2").tobytes() for y in range(h))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def write_images(out):
    files = {}
    rgb = pattern(40, 30, 1)
    Image.fromarray(rgb, "RGB").save(os.path.join(out, "rgb.png"))
    files["rgb.png"] = "PNG RGB 40 x 30"
    Image.fromarray(pattern(37, 23, 2)[..., 0], "L").save(os.path.join(out, "gray.png"))
    files["gray.png"] = "PNG grayscale 37 x 23"
    rgba = np.dstack([pattern(25, 33, 3), (np.arange(25 * 33).reshape(33, 25) % 256).astype(np.uint8)])
    Image.fromarray(rgba, "RGBA").save(os.path.join(out, "rgba.png"))
    files["rgba.png"] = "PNG RGBA 25 x 33 (alpha varies)"
    Image.fromarray(pattern(31, 17, 4), "RGB").quantize(colors=16).save(os.path.join(out, "palette.png"))
    files["palette.png"] = "PNG palette (16 colours) 31 x 17"
    Image.fromarray(pattern(5, 4, 5), "RGB").save(os.path.join(out, "tiny.png"))
    files["tiny.png"] = "PNG RGB 5 x 4 (enlarged)"
    Image.fromarray(pattern(64, 48, 6), "RGB").save(os.path.join(out, "photo.jpg"), quality=90)
    files["photo.jpg"] = "JPEG RGB 64 x 48 (4:2:0)"
    Image.fromarray(pattern(33, 21, 7)[..., 1], "L").save(os.path.join(out, "gray.jpg"), quality=85)
    files["gray.jpg"] = "JPEG grayscale 33 x 21"
    rotated = Image.fromarray(pattern(48, 36, 8), "RGB")
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees clockwise to display
    rotated.save(os.path.join(out, "rotated.jpg"), quality=92, exif=exif.tobytes())
    files["rotated.jpg"] = "JPEG 48 x 36 stored, EXIF orientation 6 (shown 36 x 48)"
    # Every other EXIF orientation (mirrors and transposes included).
    for orientation in (2, 3, 4, 5, 7, 8):
        exif = Image.Exif()
        exif[0x0112] = orientation
        rotated.save(os.path.join(out, f"exif{orientation}.jpg"), quality=92, exif=exif.tobytes())
        files[f"exif{orientation}.jpg"] = f"JPEG 48 x 36 stored, EXIF orientation {orientation}"
    # A JPEG named .png: the content decides.
    Image.fromarray(pattern(20, 20, 9), "RGB").save(os.path.join(out, "misnamed.png"), format="JPEG", quality=95)
    files["misnamed.png"] = "JPEG content named .png"
    gray16 = np.random.default_rng(10).integers(0, 65536, (15, 19)).astype(np.uint16)
    Image.fromarray(gray16, "I;16").save(os.path.join(out, "gray16.png"))
    files["gray16.png"] = "PNG 16-bit grayscale 19 x 15"
    write_rgb48_png(os.path.join(out, "rgb48.png"), np.random.default_rng(11).integers(0, 65536, (13, 22, 3)))
    files["rgb48.png"] = "PNG 16-bit RGB 22 x 13"
    return files


SPECS = [
    {"width": 16, "height": 16, "channels": 1, "resize": "stretch", "mean": [0.5], "std": [0.25]},
    {"width": 16, "height": 16, "channels": 3, "resize": "stretch", "mean": [0.485, 0.456, 0.406],
     "std": [0.229, 0.224, 0.225]},
    {"width": 24, "height": 12, "channels": 3, "resize": "fit", "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]},
    {"width": 12, "height": 20, "channels": 3, "resize": "crop", "mean": [0.1, 0.2, 0.3], "std": [1, 2, 3]},
    {"width": 9, "height": 13, "channels": 1, "resize": "fit"},
    {"width": 11, "height": 7, "channels": 1, "resize": "crop", "mean": [0.4], "std": [0.3]},
    {"width": 80, "height": 64, "channels": 3, "resize": "stretch"},  # enlarges every file
]


def pillow_difference(out, files):
    """Largest |Pillow BILINEAR - twin| over the stretch cases, in 0..255 pixel units (informative)."""
    worst = 0.0
    for name in files:
        rgb = decode_rgb(os.path.join(out, name))
        for w, h in ((16, 16), (80, 64)):
            spec = ImageSpec(width=w, height=h, channels=3, mean=[0.0] * 3, std=[1.0] * 3)
            ours = prepare_image(os.path.join(out, name), spec) * 255.0
            theirs = np.moveaxis(np.asarray(Image.fromarray(rgb).resize((w, h), Image.BILINEAR), np.float64), 2, 0)
            worst = max(worst, float(np.abs(ours - theirs).max()))
    return worst


def main(out):
    files = write_images(out)
    cases = []
    for name in sorted(files):
        for i, spec in enumerate(SPECS):
            result = prepare_image(os.path.join(out, name), spec)
            raw = f"{name}.{i}.f32"
            result.astype("<f4").tofile(os.path.join(out, raw))
            cases.append({"file": name, "spec": spec, "raw": raw})
    stats = {name: image_stats(os.path.join(out, name)) for name in files}
    with open(os.path.join(out, "cases.json"), "w") as f:
        json.dump({"files": files, "cases": cases, "stats": stats,
                   "pillow_max_difference": pillow_difference(out, files)}, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1])
