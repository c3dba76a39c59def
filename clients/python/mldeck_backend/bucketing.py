"""Bucketing of request keys, exactly as ``resources/contract/bucketing.md`` fixes it.

``bucket(deployment, key) = murmur3_x86_32(UTF-8 bytes of "<deployment>:<key>", seed 0) % 100 + 1``

The hash is Austin Appleby's MurmurHash3, x86 32-bit variant, as an unsigned 32-bit integer.
This module is pure Python (no dependency); it is checked against
``resources/contract/bucket_vectors.json`` by ``tests/integration/python/test_bucketing.py``.
"""

from __future__ import annotations

import struct
from typing import Union

__all__ = ["murmur3_x86_32", "bucket", "bucket_of_bytes"]

_MASK = 0xFFFFFFFF
_C1 = 0xCC9E2D51
_C2 = 0x1B873593


def _blocks(data: bytes, nblocks: int) -> tuple:
    # struct keeps its own cache of compiled formats: no state of ours.
    return struct.unpack_from(f"<{nblocks}I", data)


def murmur3_x86_32(data: bytes, seed: int = 0) -> int:
    """MurmurHash3 x86 32-bit of ``data`` with ``seed``, as an unsigned 32-bit integer."""
    h = seed & _MASK
    n = len(data)
    nblocks = n >> 2
    if nblocks:
        for k in _blocks(data, nblocks):
            k = (k * _C1) & _MASK
            k = ((k << 15) | (k >> 17)) & _MASK
            k = (k * _C2) & _MASK
            h ^= k
            h = ((h << 13) | (h >> 19)) & _MASK
            h = (h * 5 + 0xE6546B64) & _MASK
    tail = n & 3
    if tail:
        k = int.from_bytes(data[n - tail:], "little")
        k = (k * _C1) & _MASK
        k = ((k << 15) | (k >> 17)) & _MASK
        k = (k * _C2) & _MASK
        h ^= k
    h ^= n
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _MASK
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & _MASK
    h ^= h >> 16
    return h


def bucket_of_bytes(data: bytes) -> int:
    """The bucket (1..100) of already encoded ``b"<deployment>:<key>"``."""
    return murmur3_x86_32(data, 0) % 100 + 1


def bucket(deployment: str, key: Union[str, int]) -> int:
    """The bucket (1..100) of request ``key`` in ``deployment``.

    ``key`` is used as text (an ``int`` is formatted in decimal, as ``str(key)``). The text is
    encoded as UTF-8 with no normalisation; lone surrogates (which have no UTF-8 form) are
    encoded with ``surrogatepass`` so that the function never raises.
    """
    text = f"{deployment}:{key}"
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        data = text.encode("utf-8", "surrogatepass")
    return murmur3_x86_32(data, 0) % 100 + 1
