"""Values between the workbench and the sandbox that runs a learner's code: data only.

A frame is 8 bytes of length, a JSON header, then the raw bytes of any arrays. Decoding
builds only plain values (None, bools, numbers, text, tuples, lists, dicts with text keys),
NumPy arrays and scalars of numeric dtypes, and NumPy generators from their state. Nothing
in a frame can run code in the reader, unlike pickle, so a hostile sender can at worst
send wrong values, which the checks then judge as wrong.
"""

from __future__ import annotations

import json
import os
import select
import struct
import time
from typing import Any, BinaryIO

import numpy as np

LENGTH = struct.Struct("<Q")
MAX_FRAME_BYTES = 1 << 30  # a result bigger than 1 GiB is not an exercise's answer
_NUMERIC_KINDS = "biufc"


class Malformed(ValueError):
    """A frame that is not one this module writes."""


class Unsupported:
    """Stands for a value that cannot cross (a generator, a custom object): the checks see
    its type's name, as they would have seen the object itself."""

    def __init__(self, type_name: str):
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<a {self.type_name}>"


def encode(value: Any) -> bytes:
    blobs: list[bytes] = []
    arrays: list[list] = []

    def node(v: Any, depth: int = 0) -> dict:
        if depth > 64:
            return {"u": "a structure nested too deep"}
        if v is None:
            return {"n": None}
        if isinstance(v, (bool, np.bool_)) and not isinstance(v, np.ndarray):
            return {"b": bool(v)}
        if isinstance(v, int):
            return {"i": int(v)}
        if isinstance(v, float):
            return {"f": float(v)}
        if isinstance(v, str):
            return {"s": v}
        if isinstance(v, (np.ndarray, np.generic)):
            array = np.asarray(v)
            if array.dtype.kind not in _NUMERIC_KINDS:
                return {"u": f"array of {array.dtype}"}
            arrays.append([array.dtype.str, list(array.shape)])
            blobs.append(np.ascontiguousarray(array).tobytes())
            return {"a" if isinstance(v, np.ndarray) else "x": len(arrays) - 1}
        if isinstance(v, np.random.Generator):
            return {"g": node(v.bit_generator.state, depth + 1)}
        if isinstance(v, tuple):
            return {"t": [node(item, depth + 1) for item in v]}
        if isinstance(v, list):
            return {"l": [node(item, depth + 1) for item in v]}
        if isinstance(v, dict) and all(isinstance(k, str) for k in v):
            return {"d": [[k, node(item, depth + 1)] for k, item in v.items()]}
        if isinstance(v, Unsupported):
            return {"u": v.type_name}
        return {"u": type(v).__name__}

    header = json.dumps({"tree": node(value), "arrays": arrays}).encode()
    body = LENGTH.pack(len(header)) + header + b"".join(blobs)
    return LENGTH.pack(len(body)) + body


def decode(body: bytes | bytearray) -> Any:
    try:
        (header_length,) = LENGTH.unpack_from(body, 0)
        header = json.loads(bytes(body[LENGTH.size:LENGTH.size + header_length]))
        offset = LENGTH.size + header_length
        arrays = []
        for dtype_text, shape in header["arrays"]:
            dtype = np.dtype(dtype_text)
            if dtype.kind not in _NUMERIC_KINDS or not all(isinstance(n, int) and n >= 0 for n in shape):
                raise Malformed(f"an array of {dtype_text} {shape}")
            size = dtype.itemsize * int(np.prod(shape, dtype=np.int64))
            if offset + size > len(body):
                raise Malformed("an array longer than its frame")
            # A writable copy: the checks and the learner's code may change it in place.
            count = int(np.prod(shape, dtype=np.int64))
            arrays.append(np.frombuffer(body, dtype, count=count, offset=offset).reshape(shape).copy())
            offset += size
        return _value(header["tree"], arrays)
    except Malformed:
        raise
    except (ValueError, KeyError, TypeError, IndexError, struct.error, RecursionError) as exc:
        raise Malformed(f"{type(exc).__name__}: {exc}") from None


def _value(node: Any, arrays: list[np.ndarray]) -> Any:
    if not isinstance(node, dict) or len(node) != 1:
        raise Malformed(f"a node {str(node)[:40]}")
    ((tag, v),) = node.items()
    if tag == "n":
        return None
    if tag in ("b", "i", "f", "s"):
        wanted = {"b": bool, "i": int, "f": (float, int), "s": str}[tag]
        if not isinstance(v, wanted) or (tag == "i" and isinstance(v, bool)):
            raise Malformed(f"{tag} holding {type(v).__name__}")
        return float(v) if tag == "f" else v
    if tag == "a":
        return arrays[v]
    if tag == "x":
        return arrays[v][()]
    if tag == "t":
        return tuple(_value(item, arrays) for item in v)
    if tag == "l":
        return [_value(item, arrays) for item in v]
    if tag == "d":
        return {str(k): _value(item, arrays) for k, item in v}
    if tag == "g":
        return generator_from(_value(v, arrays))
    if tag == "u":
        return Unsupported(str(v))
    raise Malformed(f"an unknown tag {tag!r}")


def generator_from(state: Any) -> np.random.Generator:
    """A NumPy generator in `state`; only NumPy's own bit generators, by name."""
    name = state.get("bit_generator") if isinstance(state, dict) else None
    if name not in ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64"):
        raise Malformed(f"a generator of kind {name!r}")
    bit_generator = getattr(np.random, name)()
    bit_generator.state = state
    return np.random.Generator(bit_generator)


# -- frames on a pipe -------------------------------------------------------------------------

def send(stream: BinaryIO, value: Any) -> None:
    stream.write(encode(value))
    stream.flush()


def read_exactly(fd: int, count: int, deadline: float | None) -> bytearray | None:
    """`count` bytes from `fd`; None at end of file; TimeoutError past `deadline`
    (a `time.monotonic()` value; None waits for ever)."""
    data = bytearray()
    while len(data) < count:
        # What has arrived is read even past the deadline: the deadline bounds waiting.
        if deadline is not None and not select.select([fd], [], [], max(0.0, deadline - time.monotonic()))[0]:
            raise TimeoutError
        chunk = os.read(fd, min(count - len(data), 1 << 20))
        if not chunk:
            return None
        data += chunk
    return data


def receive(fd: int, deadline: float | None = None) -> Any:
    """The next value on `fd`; EOFError when the writer has gone, TimeoutError, Malformed."""
    prefix = read_exactly(fd, LENGTH.size, deadline)
    if prefix is None:
        raise EOFError
    (length,) = LENGTH.unpack(prefix)
    if length > MAX_FRAME_BYTES:
        raise Malformed(f"a frame of {length:,} bytes (at most {MAX_FRAME_BYTES:,})")
    body = read_exactly(fd, length, deadline)
    if body is None:
        raise EOFError
    return decode(body)
