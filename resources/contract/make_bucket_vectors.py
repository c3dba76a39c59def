#!/usr/bin/python3
"""Writes bucket_vectors.json: test vectors for the MLDeck bucketing rule.

This is a SECOND, independent implementation of MurmurHash3 x86 32-bit, written in plain
Python from Austin Appleby's reference (smhasher MurmurHash3.cpp). It does not call MLDeck's
C++ code, so the C++ unit test that checks itself against the file compares two implementations.

    bucket = murmur3_x86_32(UTF-8 bytes of "<deployment>:<key>", seed 0) % 100 + 1

Run:  /usr/bin/python3 resources/contract/make_bucket_vectors.py   (rewrites the JSON next to it)
      /usr/bin/python3 resources/contract/make_bucket_vectors.py --check   (only compares)
"""

import json
import os
import random
import sys

MASK = 0xFFFFFFFF


def _rotl(x, r):
    return ((x << r) | (x >> (32 - r))) & MASK


def murmur3_x86_32(data: bytes, seed: int = 0) -> int:
    c1, c2 = 0xCC9E2D51, 0x1B873593
    h = seed & MASK
    n = len(data)
    end = n - (n % 4)
    for i in range(0, end, 4):
        k = int.from_bytes(data[i:i + 4], "little")
        k = (k * c1) & MASK
        k = _rotl(k, 15)
        k = (k * c2) & MASK
        h ^= k
        h = _rotl(h, 13)
        h = (h * 5 + 0xE6546B64) & MASK
    tail = data[end:]
    if tail:
        k = int.from_bytes(tail, "little")  # same as the reference's fall-through switch
        k = (k * c1) & MASK
        k = _rotl(k, 15)
        k = (k * c2) & MASK
        h ^= k
    h ^= n & MASK
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & MASK
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & MASK
    h ^= h >> 16
    return h


# Published MurmurHash3_x86_32 reference values (smhasher verification inputs, as quoted widely).
REFERENCE = [
    (b"", 0, 0x00000000),
    (b"", 1, 0x514E28B7),
    (b"", 0xFFFFFFFF, 0x81F16F39),
    (b"\xff\xff\xff\xff", 0, 0x76293B50),
    (b"\x21\x43\x65\x87", 0, 0xF55B516B),
    (b"\x21\x43\x65\x87", 0x5082EDEE, 0x2362F9DE),
    (b"\x21\x43\x65", 0, 0x7E4A8634),
    (b"\x21\x43", 0, 0xA0F7B07A),
    (b"\x21", 0, 0x72661CF4),
    (b"\x00\x00\x00\x00", 0, 0x2362F9DE),
    (b"\x00\x00\x00", 0, 0x85F0B427),
    (b"\x00\x00", 0, 0x30F4C306),
    (b"\x00", 0, 0x514E28B7),
    (b"hello", 0, 0x248BFA47),
    (b"aaaa", 0x9747B28C, 0x5A97808A),
    (b"Hello, world!", 0x9747B28C, 0x24884CBA),
    (b"The quick brown fox jumps over the lazy dog", 0x9747B28C, 0x2FA826CD),
]


def self_check():
    for data, seed, expected in REFERENCE:
        got = murmur3_x86_32(data, seed)
        if got != expected:
            sys.exit(f"self-check failed: murmur3({data!r}, seed={seed:#x}) = {got:#010x}, expected {expected:#010x}")


def bucket(deployment: str, key: str) -> int:
    return murmur3_x86_32(f"{deployment}:{key}".encode("utf-8"), 0) % 100 + 1


def cases():
    rng = random.Random(20240601)  # fixed: the file must be reproducible
    deployments = ["eta", "pricing", "a", "fraud-score", "eta_v2"]
    fixed_keys = [
        "", "0", "1", "42", "user-1", "booking:12345", "a:b:c", " ", "key with spaces", "\t",
        "café", "Straße", "日本語のキー", "🚕🚕", "e\u0301", "Ωmega", "ключ", "مفتاح", "\u0000", "a\u0000b",
        "x" * 3, "x" * 4, "x" * 5, "x" * 7, "x" * 8, "x" * 255, "x" * 1000, "ü" * 333, "🚕" * 64,
        "BOOKING-2024-06-01-000001", "00000000-0000-0000-0000-000000000000",
    ]
    out = []
    for d in deployments:
        for k in fixed_keys:
            out.append((d, k))
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_:. éü中🚕"
    for _ in range(120):
        d = rng.choice(deployments)
        length = rng.choice([1, 2, 3, 4, 5, 6, 8, 11, 16, 23, 36, 64])
        out.append((d, "".join(rng.choice(alphabet) for _ in range(length))))
    for i in range(40):  # numeric ids, as backends often use
        out.append(("eta", str(rng.randrange(0, 10**12))))
    return out


def build():
    vectors = []
    for d, k in cases():
        h = murmur3_x86_32(f"{d}:{k}".encode("utf-8"), 0)
        vectors.append({"deployment": d, "key": k, "hash": h, "bucket": h % 100 + 1})
    return {
        "description": "MLDeck bucketing test vectors: bucket = murmur3_x86_32(UTF-8 '<deployment>:<key>', seed 0) "
                       "% 100 + 1. hash is the unsigned 32-bit murmur3 value. See bucketing.md.",
        "generator": "resources/contract/make_bucket_vectors.py (independent pure-Python MurmurHash3)",
        "reference": [{"input_hex": data.hex(), "seed": seed, "hash": expected} for data, seed, expected in REFERENCE],
        "count": len(vectors),
        "vectors": vectors,
    }


def main():
    self_check()
    doc = build()
    text = json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bucket_vectors.json")
    if "--check" in sys.argv[1:]:
        with open(path, encoding="utf-8") as f:
            if f.read() != text:
                sys.exit(f"{path} is out of date: rerun {sys.argv[0]}")
        print(f"{path}: up to date, {doc['count']} vectors")
        return
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {path}: {doc['count']} vectors (self-check passed: {len(REFERENCE)} reference values)")


if __name__ == "__main__":
    main()
