"""``atomic_path``: write a file so that a crash never leaves it half-written.

    with atomic_path("model.h5") as tmp:
        write_everything_to(tmp)
    # now model.h5 is the new file; on an exception it is the old one (or absent) and tmp is gone

The temporary file sits beside the target, named ``.{name}.{host}.{pid}.{random}.tinygrad-nb.tmp``.
A writer killed mid-write (SIGKILL, power loss) cannot remove its own, so every call first
removes the stale ones in its folder: those whose writer process on this host is gone, and
any that nobody has touched for ``stale_after`` seconds (a week by default: a writer on
another host, whose pid we cannot check, or a dead writer whose pid has been reused). The
temporary file of a live writer on this host is removed only by that age rule, and no save
leaves its file untouched for a week.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import socket
import stat
import time
from collections.abc import Iterator
from pathlib import Path

TEMP_SUFFIX = ".tinygrad-nb.tmp"
STALE_AFTER_S = 7 * 24 * 3600.0
_TEMP_NAME = re.compile(r"\A\..+\.(?P<host>[A-Za-z0-9-]*)\.(?P<pid>[0-9]{1,10})\.[0-9a-f]{8}"
                        + re.escape(TEMP_SUFFIX) + r"\Z")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, who: str = "", stale_after: float = STALE_AFTER_S) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success fsync it and move it into place with ``os.replace``.

    Before anything is created it refuses, naming the path: an empty path (ValueError), a
    folder (IsADirectoryError), a device or pipe (ValueError), a missing folder
    (FileNotFoundError) or one it cannot write (PermissionError). ``who`` prefixes those
    messages ("save: ..."). A file that is replaced keeps its permission bits (a 0600 model
    stays 0600, and its temporary file is never more open than that); a new file gets the
    usual ones from the umask. Stale temporary files in the folder are removed first.
    """
    prefix = f"{who}: " if who else ""
    target = _checked_target(path, prefix)
    existing_mode = mode_of(target)
    remove_stale_temporaries(target.parent, stale_after)
    tmp, mode = _create_temporary(target, existing_mode)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
        fsync_folder(target.parent)
    finally:
        with contextlib.suppress(OSError):  # gone already after a successful replace
            os.remove(tmp)


def remove_stale_temporaries(folder: str | os.PathLike, stale_after: float = STALE_AFTER_S) -> list[Path]:
    """Remove the temporary files (and staging folders) of dead writers in ``folder``; returns those removed.

    Never raises: an entry that cannot be examined or removed is left alone.
    """
    removed = []
    with contextlib.suppress(OSError), os.scandir(Path(folder)) as entries:
        for entry in entries:
            with contextlib.suppress(OSError):
                if _is_stale(entry, stale_after):
                    if entry.is_dir(follow_symlinks=False):
                        shutil.rmtree(entry.path)
                    else:
                        os.remove(entry.path)
                    removed.append(Path(entry.path))
    return removed


def temporary_name(name: str) -> str:
    """The name of a temporary file or folder for ``name``, which ``remove_stale_temporaries`` recognises."""
    return f".{name[:100]}.{_host_tag()}.{os.getpid()}.{secrets.token_hex(4)}{TEMP_SUFFIX}"


def mode_of(target: Path) -> int | None:
    """The permission bits of the file being replaced, or None when there is none."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        return None


def _checked_target(path: str | os.PathLike, prefix: str) -> Path:
    try:
        text = os.fsdecode(path)
    except TypeError:
        raise TypeError(f"{prefix}the path must be a str or os.PathLike, got {type(path).__name__}") from None
    if not text:
        raise ValueError(f"{prefix}the path is empty; give a file name such as 'model.h5'")
    target = Path(text)
    if target.is_dir():
        raise IsADirectoryError(f"{prefix}{target} is a folder; give a file path such as {target / 'model.h5'}")
    if target.exists() and not target.is_file():
        raise ValueError(f"{prefix}{target} exists and is not a regular file (a device, pipe or socket?)")
    folder = target.parent
    if not folder.exists():
        raise FileNotFoundError(f"{prefix}the folder {folder} does not exist; create it first")
    if not folder.is_dir():
        raise NotADirectoryError(f"{prefix}{folder} is not a folder, so {target} cannot be written")
    if not os.access(folder, os.W_OK):
        raise PermissionError(f"{prefix}the folder {folder} is not writable")
    return target


def _create_temporary(target: Path, existing_mode: int | None) -> tuple[Path, int]:
    """A new empty temporary file beside ``target`` and the mode the finished file must get."""
    tmp = target.parent / temporary_name(target.name)
    # A new file: 0o666 less the umask, applied by the kernel (no racy os.umask call). A replaced
    # file: its own bits (plus owner rw while we write), so a 0600 model is never readable by others.
    create_mode = 0o666 if existing_mode is None else (existing_mode & 0o777) | 0o600
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), create_mode)
    try:
        mode = stat.S_IMODE(os.fstat(fd).st_mode) if existing_mode is None else existing_mode
    finally:
        os.close(fd)
    return tmp, mode


def fsync_folder(folder: Path) -> None:
    """Make the rename itself durable; not every platform can open a folder, which is fine."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _is_stale(entry: os.DirEntry, stale_after: float) -> bool:
    match = _TEMP_NAME.match(entry.name)
    if match is None or entry.is_symlink():
        return False
    if time.time() - entry.stat(follow_symlinks=False).st_mtime > stale_after:
        return True
    return match["host"] == _host_tag() and not _pid_alive(int(match["pid"]))


def _host_tag() -> str:
    """This machine's name as it appears in temporary file names (a pid only means something on its own host)."""
    return re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:32]


def _pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this host (a zombie counts as alive until it is reaped)."""
    if pid <= 0 or os.name == "nt":  # on Windows os.kill would terminate the process: let the age decide
        return True
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):  # no such process (or no such pid at all)
        return False
    except OSError:  # EPERM: it exists but belongs to someone else
        return True
    return True
