"""Writing files so that a failure never leaves a half-written output behind."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path
from typing import IO, Iterator


@contextlib.contextmanager
def atomic_write(path: Path, mode: int | None = None) -> Iterator[IO[str]]:
    """Write a text file through a temporary file renamed into place on success.

    On any error the temporary file is removed and ``path`` keeps what it had before (the
    CLI turns SIGTERM into an exit, so a terminated command cleans up too). The temporary
    file's name carries the writer's pid; one that a killed writer (SIGKILL, power loss)
    left behind is removed by the next write to the same path.
    ``mode`` sets the permission bits before any content is written (for secrets); without
    it the file gets what ``open()`` would give it, 0666 less the umask (mkstemp's 0600
    would hide every output from the user's group whatever their umask says).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_orphans(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode if mode is not None else 0o666 & ~current_umask())
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            yield handle
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def remove_orphans(path: Path) -> list[Path]:
    """Delete the temporary files of ``atomic_write(path)`` whose writer is no longer running."""
    prefix = f".{path.name}."
    removed = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(path.parent):
            if not (entry.name.startswith(prefix) and entry.name.endswith(".tmp")):
                continue
            pid = entry.name[len(prefix):].split(".", 1)[0]
            if pid.isdigit() and not _alive(int(pid)):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def current_umask() -> int:
    """The process umask, read without changing it where the kernel tells it (Linux 4.7+).

    Elsewhere it is read by setting and restoring it, which another thread creating a file
    at that very moment could see; /proc is tried first for that reason.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def file_sha256(path: Path) -> str:
    """sha256 of a file, read in 1 MiB blocks (model weights are hundreds of MB)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
