"""The checksum of pfnsim's sealed files (checkpoints, shards), for the tests that edit them by
hand and reseal them, as someone forging one would (fault_tests.py, stateful_checkpoint.py,
hostile_files.py)."""
import json


def fnv1a64(data):
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def as_parsed(v):
    """The value as nlohmann reads it: an integer beyond the 64-bit range is a double."""
    if isinstance(v, dict):
        return {k: as_parsed(x) for k, x in v.items()}
    if isinstance(v, list):
        return [as_parsed(x) for x in v]
    if isinstance(v, int) and not isinstance(v, bool) and not -2**63 <= v < 2**64:
        return float(v)
    return v


def canonical(doc):
    """The text the checksum covers: nlohmann's dump() (sorted keys, no spaces, UTF-8)."""
    return json.dumps(as_parsed(doc), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode()


def reseal(doc):
    """The document with its envelope's checksum recomputed."""
    d = json.loads(json.dumps(doc))
    d["envelope"].pop("checksum", None)
    d["envelope"]["checksum"] = "fnv1a64:%016x" % fnv1a64(canonical(d))
    return d
