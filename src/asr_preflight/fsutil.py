"""Input and output files: inputs read with one-line errors, atomic writes.

:func:`load_input` reads an input file (plan, snapshot, waivers, results) and hands the text to
its parser; a file that cannot be read is the caller's error type naming the path and why.

Atomic file writes: a reader sees the old file or the new one, never half of one.

The data goes to a temporary file in the destination's directory (same filesystem), is flushed
and fsynced, then renamed over the destination with :func:`os.replace`. On any error the
temporary file is removed and the destination is left as it was. With ``overwrite=False`` the
temporary file is hard-linked to the destination instead, which fails if the name exists at that
moment (:class:`FileExistsError`), so a file created meanwhile is never clobbered.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TypeVar

T = TypeVar("T")


def unreadable(exc: OSError | UnicodeDecodeError) -> str:
    """Why an input file could not be read, in words for a one-line error."""
    if isinstance(exc, UnicodeDecodeError):
        return "not UTF-8 text (a file saved by Windows PowerShell may be UTF-16: save it as UTF-8)"
    return str(exc.strerror or exc)


def load_input(
    path: Path, what: str, error: Callable[[str], Exception], parse: Callable[[str, str], T]
) -> T:
    """Read ``path`` (UTF-8) and return ``parse(text, str(path))``. A file that cannot be read
    raises ``error("<path>: cannot read <what>: <why>")``; the parser names the path in its own
    errors (it gets it as the source)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot read {what}: {unreadable(exc)}") from None
    return parse(text, str(path))


def ensure_writable_dir(directory: Path) -> None:
    """Create ``directory`` if needed and prove a file can be created in it (then remove it), so
    that a bad output location fails before minutes of collection, not after. Raises OSError."""
    directory.mkdir(parents=True, exist_ok=True)
    fd, probe = tempfile.mkstemp(prefix=".asr-preflight-", dir=directory)
    os.close(fd)
    os.unlink(probe)


def write_text(path: Path, text: str, *, overwrite: bool = True) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; create the parent directory if needed.
    ``overwrite=False``: FileExistsError if ``path`` exists when the file is put in place."""
    return write_bytes(path, text.encode("utf-8"), overwrite=overwrite)


def write_bytes(path: Path, data: bytes, *, overwrite: bool = True) -> Path:
    """Write ``data`` to ``path`` atomically; create the parent directory if needed."""
    with atomic_open(path, overwrite=overwrite) as handle:
        handle.write(data)
    return path


@contextlib.contextmanager
def atomic_open(path: Path, *, overwrite: bool = True) -> Iterator[IO[bytes]]:
    """A binary file handle whose content replaces ``path`` only when the block succeeds
    (``overwrite=False``: only if ``path`` does not exist then, else FileExistsError)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        if overwrite:
            os.replace(tmp, path)
        else:
            _put_new(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _put_new(tmp: str, path: Path) -> None:
    """Give the finished ``tmp`` the name ``path`` unless that name exists (FileExistsError)."""
    try:
        os.link(tmp, path)  # atomic, and never replaces an existing name (not even a symlink)
    except FileExistsError:
        raise
    except OSError:  # a filesystem without hard links: exclusive create, then copy
        with open(tmp, "rb") as source, open(path, "xb") as target:
            try:
                shutil.copyfileobj(source, target)
                target.flush()
                os.fsync(target.fileno())
            except BaseException:
                os.unlink(path)
                raise
    os.unlink(tmp)


def _umask() -> int:
    # mkstemp creates 0600 files; a report should get the permissions a plain open() would give.
    mask = os.umask(0)
    os.umask(mask)
    return mask
