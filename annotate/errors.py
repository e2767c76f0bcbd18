"""The one error type the CLI turns into a single readable line and a non-zero exit."""

from __future__ import annotations


class PropaError(Exception):
    """A problem with the user's input or environment, described in one line.

    The message names the bad input (file, line, field, task, URL) and, where there
    is one, the fix. Raise it from plain functions; only the CLI prints it.
    """


class InputError(PropaError):
    """Bad input data: a file, a record, a field, a label."""


class ServerError(PropaError):
    """Label Studio cannot be reached, refuses the token or answers unexpectedly."""


class TransientServerError(ServerError):
    """A failure another try may get past: a dropped connection, a 5xx, 408, 409 or 429."""


QUOTE_LIMIT = 80


def quote(value: object, limit: int = QUOTE_LIMIT) -> str:
    """``repr(value)`` for an error message, cut to ``limit`` characters with "…".

    Built lazily, piece by piece: a nested value that is huge once written out (a YAML
    alias bomb shares one list a billion times) costs no more than ``limit`` characters.
    """
    out: list[str] = []
    size = 0
    for piece in _repr_pieces(value, limit):
        out.append(piece)
        size += len(piece)
        if size > limit:
            break
    return cut("".join(out), limit)


def cut(text: str, limit: int = QUOTE_LIMIT) -> str:
    """``text`` itself, or its first ``limit`` - 1 characters and "…"."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _repr_pieces(value: object, limit: int):
    if isinstance(value, str):
        yield repr(value[:limit + 1])
    elif isinstance(value, dict):
        yield "{"
        for index, (key, item) in enumerate(value.items()):
            yield ", " if index else ""
            yield from _repr_pieces(key, limit)
            yield ": "
            yield from _repr_pieces(item, limit)
        yield "}"
    elif isinstance(value, (list, tuple)):
        yield "[" if isinstance(value, list) else "("
        for index, item in enumerate(value):
            yield ", " if index else ""
            yield from _repr_pieces(item, limit)
        yield "]" if isinstance(value, list) else ("," * (len(value) == 1) + ")")
    elif isinstance(value, (set, frozenset)) and value:
        yield "{"
        for index, item in enumerate(value):
            yield ", " if index else ""
            yield from _repr_pieces(item, limit)
        yield "}"
    else:
        yield repr(value)[:limit + 1]
