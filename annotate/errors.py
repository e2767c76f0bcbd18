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
