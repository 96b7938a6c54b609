"""Reading HDF5 files that may be hostile, with one clear error per way they can fail (h5py is an optional extra).

A file is only trusted for what it stores inside itself: every object must be reached by a
hard link (no soft or external links), every dataset must keep its bytes in the file (no
external storage, no virtual datasets, no compression or plugin filters), and the arrays it
declares must fit in the bytes the file really has on disk. All of this is checked from the
metadata, before a single array is read, so an 11 KB file cannot make us allocate gigabytes.

Files we write also carry a checksum seal in their user block (see ``write_seal``), checked
before the HDF5 library parses a byte of them.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from nn.extras import missing_extra

FLETCHER32 = 3  # H5Z_FILTER_FLETCHER32: a checksum, it stores every byte (the only filter allowed)


class BadFileError(ValueError):
    """A file refused as damaged, unsafe or not what it should be; the message names the file and the problem."""


def require_h5py(purpose: str) -> Any:
    """The h5py module, or an ImportError that says how to install it."""
    try:
        import h5py
    except ImportError as e:
        raise missing_extra(purpose, "h5py", "h5") from e
    return h5py


def open_for_reading(path: str | os.PathLike, who: str, what: str = "file") -> Any:
    """An open ``h5py.File``: FileNotFoundError when absent, BadFileError (a ValueError) when not readable HDF5."""
    h5py = require_h5py(who)
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{who}: no {what} at {path}")
    try:
        return h5py.File(path, "r")
    except OSError as e:
        raise BadFileError(f"{who}: {path} is not a readable HDF5 file (truncated or corrupt?): {e}") from e


def file_size(f: Any) -> int:
    """The size in bytes of the open file ``f`` on disk: no array read from it may need more."""
    return os.stat(f.filename).st_size


def has_link(group: Any, name: str | bytes) -> bool:
    """Whether ``group`` has a member called ``name``, without following the link (``name in group`` would
    open the file an external link points to)."""
    return bool(group.id.links.exists(_encoded(name)))


def member(group: Any, name: str | bytes, where: str) -> Any:
    """``group[name]`` when it is reached by a hard link; BadFileError for a soft, external or user-defined link.

    The link is examined, never followed, so a forged file cannot make us open another file.
    """
    h5l = require_h5py("reading HDF5").h5l
    key = _encoded(name)
    kind = group.id.links.get_info(key).type
    if kind == h5l.TYPE_EXTERNAL:
        filename, _ = group.id.links.get_val(key)
        raise BadFileError(f"{where} is an external link to {os.fsdecode(filename)!r}; "
                           "only data inside the file is read")
    if kind == h5l.TYPE_SOFT:
        target = group.id.links.get_val(key).decode("utf-8", "replace")
        raise BadFileError(f"{where} is a soft link to {target!r}; only plain datasets and groups are read")
    if kind != h5l.TYPE_HARD:
        raise BadFileError(f"{where} is a user-defined HDF5 link; only plain datasets and groups are read")
    return group[name]


def declared_nbytes(ds: Any, where: str, kinds: str = "fiu") -> int:
    """The bytes that reading ``ds`` will allocate, after checking it is a plain, in-file, numeric dataset.

    ``kinds`` are the allowed NumPy dtype kinds (f float, i int, u unsigned, S fixed-length bytes).
    The dataset must store at least as many bytes as its shape and dtype declare, so its
    array can never be larger than what the file holds.
    """
    h5py = require_h5py("reading HDF5")
    if not isinstance(ds, h5py.Dataset):
        raise BadFileError(f"{where} is a {type(ds).__name__.lower()}, expected a dataset")
    if ds.shape is None:
        raise BadFileError(f"{where} is an empty dataset (no dataspace)")
    try:
        dtype = ds.dtype
    except TypeError as e:  # an HDF5 type with no NumPy equivalent
        raise BadFileError(f"{where} has an unsupported HDF5 type: {e}") from e
    if dtype.kind not in kinds or dtype.fields is not None or dtype.subdtype is not None:
        expected = "numbers or fixed-length strings" if "S" in kinds else "numbers"
        raise BadFileError(f"{where} has dtype {dtype}; expected {expected}")
    dcpl = ds.id.get_create_plist()
    if ds.is_virtual:
        raise BadFileError(f"{where} is a virtual dataset (its data lives in other files); refused")
    if dcpl.get_external_count() > 0:
        names = [os.fsdecode(dcpl.get_external(i)[0]) for i in range(dcpl.get_external_count())]
        raise BadFileError(f"{where} keeps its data in external files {names}; only data inside the file is read")
    filters = [dcpl.get_filter(i)[0] for i in range(dcpl.get_nfilters())]
    if any(fid != FLETCHER32 for fid in filters):
        raise BadFileError(f"{where} is stored with HDF5 filters {filters} (compression?); only uncompressed "
                           "datasets are read")
    nbytes = math.prod(ds.shape) * dtype.itemsize
    stored = ds.id.get_storage_size()
    if stored < nbytes:
        raise BadFileError(f"{where} declares shape {ds.shape} {dtype} ({_size(nbytes)}) but the file stores "
                           f"only {_size(stored)} for it")
    return nbytes


def check_fits(total: int, f: Any, who: str) -> None:
    """BadFileError when arrays declaring ``total`` bytes could not possibly be stored in the file ``f``."""
    size = file_size(f)
    if total > size:
        raise BadFileError(f"{who}: {f.filename} declares {_size(total)} of arrays but is only {_size(size)} on disk "
                           "(damaged or forged)")


def read_array(ds: Any, where: str) -> np.ndarray:
    """The whole dataset as an array; BadFileError (naming ``where``) when its bytes cannot be read."""
    try:
        return np.asarray(ds[()])
    except (OSError, RuntimeError, ValueError, KeyError) as e:
        raise BadFileError(f"{where} cannot be read, the file is damaged: {e}") from e


def _encoded(name: str | bytes) -> bytes:
    return name if isinstance(name, bytes) else name.encode()  # h5py gives bytes for names that are not UTF-8


def _size(nbytes: int) -> str:
    if nbytes < 1000:
        return f"{nbytes} bytes"
    unit, scale = next((u, s) for u, s in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)) if nbytes >= s)
    return f"{nbytes / scale:.1f} {unit}"


# ----- the checksum seal ------------------------------------------------------------------------------------
# A file we write keeps, in its HDF5 user block (bytes HDF5 itself skips), a SHA-256 of each array's bytes
# and one of every other byte. Checking it before h5py parses anything means a corrupt file is refused by
# name instead of being handed to the HDF5 C library, which can crash on damaged metadata.

SEAL_MAGIC = b"tinygrad-nb seal 1 "
MAX_SEAL_BYTES = 1 << 24
_CHUNK = 1 << 20


def userblock_size(n_arrays: int) -> int:
    """A user block (a power of two, at least 512 bytes) large enough for the seal of ``n_arrays`` arrays."""
    need, size = 256 + 200 * n_arrays, 512
    while size < need:
        size *= 2
    return size


def write_seal(path: str | os.PathLike, userblock: int) -> None:
    """Seal the closed HDF5 file ``path``, created with ``userblock_size=userblock``: digests into its user block."""
    h5py = require_h5py("saving")
    regions: list[tuple[int, int, str]] = []

    def note(name: str, obj: Any) -> None:  # arrays with bytes of their own in the file (not compact, not empty)
        if isinstance(obj, h5py.Dataset) and obj.id.get_storage_size() > 0 and (obj.id.get_offset() or 0) >= userblock:
            regions.append((obj.id.get_offset(), obj.id.get_storage_size(), name.rsplit("/", 1)[-1]))

    with h5py.File(path, "r") as f:
        f.visititems(note)
    regions.sort()
    with open(path, "rb") as fh:
        digests, rest = _digests(fh, [(off, n) for off, n, _ in regions], userblock)
    arrays = [[name, off, n, digest] for (off, n, name), digest in zip(regions, digests)]
    seal = SEAL_MAGIC + json.dumps({"userblock": userblock, "arrays": arrays, "rest": rest}).encode() + b"\n"
    if len(seal) > userblock:
        raise RuntimeError(f"the checksum seal ({len(seal)} bytes) does not fit the user block ({userblock} bytes)")
    with open(path, "rb+") as out:
        out.write(seal)


def verify_seal(path: str | os.PathLike, who: str) -> bool:
    """False when ``path`` carries no seal; True when every byte matches it; else BadFileError naming the array."""
    with open(path, "rb") as fh:
        head = fh.read(len(SEAL_MAGIC))
        if head != SEAL_MAGIC:
            return False
        line = _first_line(fh, MAX_SEAL_BYTES)
        userblock, arrays, rest = _parse_seal(line, path, who)
        digests, found_rest = _digests(fh, [(off, n) for _, off, n, _ in arrays], userblock)
    for (name, _, _, expected), found in zip(arrays, digests):
        if found != expected:
            raise BadFileError(f"{who}: {path}: {name} does not match its checksum; the file is corrupt")
    if found_rest != rest:
        raise BadFileError(f"{who}: {path}: the file's HDF5 structure does not match its checksum; the file is "
                           "corrupt or was changed after it was saved")
    return True


def _first_line(fh: Any, limit: int) -> bytes:
    """The bytes up to the next newline (at most ``limit``), read a block at a time."""
    blocks: list[bytes] = []
    while sum(map(len, blocks)) < limit:
        block = fh.read(65536)
        blocks.append(block.split(b"\n", 1)[0])
        if not block or b"\n" in block:
            break
    return b"".join(blocks)


def _parse_seal(line: bytes, path: str | os.PathLike, who: str) -> tuple[int, list[tuple[str, int, int, str]], str]:
    damaged = BadFileError(f"{who}: {path}: the checksum seal at the start of the file is damaged")
    try:
        seal = json.loads(line)
        userblock, rest = seal["userblock"], seal["rest"]
        arrays = [(str(name), off, n, str(digest)) for name, off, n, digest in seal["arrays"]]
    except (ValueError, KeyError, TypeError, RecursionError):
        raise damaged from None
    numbers = [userblock] + [v for _, off, n, _ in arrays for v in (off, n)]
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in numbers) or not isinstance(rest, str):
        raise damaged
    ends = [userblock] + [off + n for _, off, n, _ in arrays]
    if any(off < end for (_, off, _, _), end in zip(arrays, ends)):  # regions in order, inside the file, apart
        raise damaged
    return userblock, arrays, rest


def _digests(fh: Any, regions: list[tuple[int, int]], start: int) -> tuple[list[str], str]:
    """SHA-256 of each (offset, length) region of the open file, in order, and of every other byte after ``start``."""
    rest, found, pos = hashlib.sha256(), [], start
    for off, n in regions:
        _feed(fh, pos, off - pos, rest)
        h = hashlib.sha256()
        _feed(fh, off, n, h)
        found.append(h.hexdigest())
        pos = off + n
    _feed(fh, pos, None, rest)
    return found, rest.hexdigest()


def _feed(fh: Any, start: int, count: int | None, h: Any) -> None:
    """Hash ``count`` bytes (None: to the end) from ``start``, a block at a time; a short file hashes what is there."""
    fh.seek(start)
    while count is None or count > 0:
        block = fh.read(_CHUNK if count is None else min(_CHUNK, count))
        if not block:
            return
        h.update(block)
        if count is not None:
            count -= len(block)
