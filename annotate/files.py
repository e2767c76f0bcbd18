"""Reading and writing files: text and JSONL read one line at a time with one error line naming the
file (and the line) for anything wrong in it; outputs written so that a failure never leaves a
half-written file behind."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterator

from annotate.errors import InputError


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


# -- reading ----------------------------------------------------------------------------

def jsonl_records(path: Path, encoding: str | None = None, expected: str = "not text",
                  allow_empty: bool = False) -> Iterator[tuple[str, object]]:
    """``("file:line", record)`` for every non-blank line of a JSONL file, read one line at a
    time (memory does not grow with the file); an error naming the line for malformed JSON,
    and the file for a missing, empty, binary or undecodable one, or one without any record.
    ``expected`` ends the message for a NUL byte ("binary file (...), not a JSONL corpus");
    ``allow_empty`` yields nothing for a file without records, for the caller to say what is missing.

    The one JSONL reader of the project: every JSONL input goes through it (or through
    :func:`located_records`, the same reader telling where each record lies), except the
    append-only prediction file `propa preannotate` resumes (train/preannotate.py), whose torn last
    line is cut off rather than refused."""
    for origin, record, _ in located_records(path, encoding, expected, allow_empty):
        yield origin, record


@dataclass(frozen=True)
class Where:
    """Where a record lies in its file: bytes ``start`` to ``end`` (its line, newline included),
    from line ``line``. A reader handed a ``Where`` reads that part of the file only."""

    start: int
    end: int
    line: int = 1


def located_records(path: Path, encoding: str | None = None, expected: str = "not text", allow_empty: bool = False,
                    part: Where | None = None) -> Iterator[tuple[str, object, Where]]:
    """:func:`jsonl_records` with where each record lies; ``part``: read those bytes only (a part of
    the file that begins at a line's start, as an earlier read located it), numbering its lines from
    ``part.line``. The checks are the same; a part without records is not an error."""
    path = Path(path)
    count = 0
    for number, offset, raw, line in _lines(path, encoding, expected, allow_empty or part is not None, part):
        if not line.strip():
            continue
        origin = f"{path}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise InputError(f"{origin}: malformed JSON ({err.msg} at column {err.colno})") from None
        if "\\u0000" in line and holds_nul(record):  # the only way JSON text spells a NUL
            raise InputError(nul_message(path, expected))
        count += 1
        yield origin, record, Where(offset, offset + len(raw), number)
    if not count and not allow_empty and part is None:
        raise InputError(f"{path}: no records")


def _lines(path: Path, encoding: str | None, expected: str = "not text", allow_empty: bool = False,
           part: Where | None = None) -> Iterator[tuple[int, int, bytes, str]]:
    """``(number, offset, raw bytes, decoded line)`` for the lines of a text file (or of ``part`` of
    it), one at a time, with :func:`read_text_file`'s checks."""
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: a folder, not a file") from None
    offset, first_number = (part.start, part.line) if part is not None else (0, 1)
    blank = True
    with handle:
        handle.seek(offset)
        for number, raw in enumerate(handle, start=first_number):
            if part is not None and offset >= part.end:
                break
            if b"\x00" in raw:
                raise InputError(nul_message(path, expected))
            line = _decode_line(raw, path, encoding, offset, first=offset == 0)
            blank = blank and not line.strip()
            yield number, offset, raw, line
            offset += len(raw)
    if blank and not allow_empty:
        raise InputError(f"{path}: empty file")


def _decode_line(raw: bytes, path: Path, encoding: str | None, offset: int, first: bool) -> str:
    """One line of a text file, decoded as :func:`read_text_file` decodes the whole file."""
    try:
        text = raw.decode("utf-8-sig" if first else "utf-8") if encoding is None else raw.decode(encoding)
    except LookupError:
        raise InputError(f"unknown encoding '{encoding}' (given with --encoding)") from None
    except UnicodeDecodeError as err:
        if encoding is None:
            raise InputError(
                f"{path}: not valid UTF-8 (byte 0x{raw[err.start]:02x} at offset {offset + err.start}); "
                "if you know its encoding, rerun with --encoding (e.g. --encoding cp1252)"
            ) from None
        raise InputError(
            f"{path}: cannot be decoded as {encoding} (offset {offset + err.start}: {err.reason})") from None
    if first and encoding is not None:
        text = text.lstrip("\ufeff")
    return text.rstrip("\r\n")


def nul_message(path: Path, expected: str) -> str:
    """The one line for a NUL character, raw or written ``\\u0000`` in JSON: the same for both."""
    return f"{path}: binary file (it contains NUL bytes), {expected}"


def holds_nul(value: object) -> bool:
    """A NUL character in any string of a decoded JSON value, keys included.

    JSON can carry one escaped as ``\\u0000`` past the raw-byte check; Label Studio and
    most tools downstream treat NUL as the end of a string, so it is refused like a raw one.
    """
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(holds_nul(k) or holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(holds_nul(v) for v in value)
    return False
