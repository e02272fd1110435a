"""Writing files safely: results, checkpoints and metrics are never left half-written, nor lost to a race.

- :func:`atomic_write` writes to a temporary file beside the target and renames it over the target when complete.
  Its temporary files are named ``.NAME.tmp-PID-XXXXXXXX.tmp`` (PID: the writing process): one left by a killed
  process is removed the next time NAME is written, once that process is gone.
- :func:`locked` holds an exclusive lock (``fcntl.flock``) on ``NAME.lock`` beside a file, for a read, change and
  rewrite that must not interleave with another process's (results files that several runs append to).
- :func:`check_output` checks an output path before the work that produces it.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

__all__ = ["atomic_write", "locked", "check_output", "remove_stale_temporaries"]

_STALE_OLD_FORMAT_S = 3600  # temporary files of versions before the PID was in the name: removed after an hour


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists (another user's) or cannot tell: keep its file
    return True


def remove_stale_temporaries(path: str | os.PathLike) -> list[Path]:
    """Remove temporary files of :func:`atomic_write` for ``path`` that a killed process left; returns them.

    A file ``.NAME.tmp-PID-*.tmp`` is removed only when process PID no longer exists on this machine, so a write
    in progress in another process is never disturbed. (On a folder shared between machines a PID says nothing;
    such files are then removed only by hand.) Files of earlier versions, ``.NAME.XXXXXXXX.tmp``, are removed
    once they are an hour old.
    """
    path = Path(path)
    removed = []
    pattern = re.compile(rf"\.{re.escape(path.name)}\.(?:tmp-(\d+)-)?[A-Za-z0-9_]+\.tmp")
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if not match or not entry.is_file(follow_symlinks=False):
            continue
        try:
            stale = (not _alive(int(match[1])) if match[1] else
                     now - entry.stat(follow_symlinks=False).st_mtime > _STALE_OLD_FORMAT_S)
            if stale:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            pass
    return removed


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "w", newline: str | None = None) -> Iterator[IO]:
    """Open a temporary file beside ``path``; on success flush it to disk and rename it over ``path``.

    A crash or an exception at any moment leaves either the old file or the new one, never half of one; an
    exception also removes the temporary file, and a temporary file that a killed process left is removed the next
    time ``path`` is written (:func:`remove_stale_temporaries`). A symbolic link ``path`` stays a link: its target is
    written. The new file gets the permissions an ordinary new file would have.
    """
    path = Path(os.path.realpath(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.tmp-{os.getpid()}-", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, newline=newline) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def locked(path: str | os.PathLike) -> Iterator[None]:
    """Hold an exclusive lock for ``path`` while the block runs: ``fcntl.flock`` on ``NAME.lock`` beside it.

    Every writer that reads, changes and rewrites ``path`` inside ``locked(path)`` sees the others' rows: two
    processes appending at once both land. The lock file stays (removing it would race with a process waiting on
    it); it is empty. The lock is advisory, released when the block ends or the process dies, and works between
    processes of one machine (and on NFS where the server supports locks). Where ``fcntl`` does not exist
    (Windows) the block runs without a lock.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    target = Path(os.path.realpath(path))
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.with_name(target.name + ".lock"), "a") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def check_output(path: str | os.PathLike, *, what: str = "output", suffixes: tuple[str, ...] | None = None) -> Path:
    """Check, before the work, that ``path`` can be written as a file; returns it as a Path.

    Raises ValueError, naming ``what`` and the path, when ``path`` is a folder (or ends in a separator), has a
    suffix outside ``suffixes``, or lies in a folder that cannot be created or written.
    """
    text = os.fspath(path)
    path = Path(text)
    if text.endswith(("/", os.sep)) or path.is_dir():
        raise ValueError(f"{what} {text} is a folder; give a file name{' ending in ' + ' or '.join(suffixes) if suffixes else ''}")
    if suffixes is not None and path.suffix.lower() not in suffixes:
        raise ValueError(f"{what} {text} must end in {' or '.join(suffixes)}, not {path.suffix or 'no suffix'!r}")
    folder = Path(os.path.realpath(path)).parent
    existing = folder
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise ValueError(f"{what} {text} cannot be written: {existing} is not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ValueError(f"{what} {text} cannot be written: the folder {existing} is not writable")
    return path
