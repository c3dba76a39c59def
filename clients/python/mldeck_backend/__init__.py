"""mldeck_backend: MLDeck's backend contract for Python serving backends.

Flags with live updates and the contract's safety rules, Unleash-compatible bucketing, batched
logging with an on-disk spool, champion following with SHA-256-verified loads. See
``resources/contract/python-client.md``.
"""

from .bucketing import bucket, murmur3_x86_32
from .client import PATHS, ClientConfig, MLDeckClient
from .flags import FlagState, parse_flag_fields
from .champion import ChampionRef, ModelLoadError, ServedModel, load_file, load_verified

__all__ = [
    "bucket",
    "murmur3_x86_32",
    "ClientConfig",
    "MLDeckClient",
    "PATHS",
    "FlagState",
    "parse_flag_fields",
    "ChampionRef",
    "ModelLoadError",
    "ServedModel",
    "load_file",
    "load_verified",
]

__version__ = "0.1.0"
