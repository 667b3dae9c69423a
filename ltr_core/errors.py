"""The base of every error a user (or a plugin's author) has to act on.

The command line prints such an error as one line, ``error: <message>``, and exits with its ``exit_code``
(2 unless a subclass says otherwise); ``LTR_DEBUG=1`` prints the traceback as well. Messages name the file, key,
argument or component at fault and say what to do.
"""

from __future__ import annotations

import os


class UserError(Exception):
    """Bad input or a misbehaving plugin: one line, exit code 2."""

    exit_code = 2


def one_line(text: str) -> str:
    """``text`` with its line breaks and runs of spaces as single spaces (messages are printed as one line)."""
    return " ".join(str(text).split())


def debug_enabled() -> bool:
    """``LTR_DEBUG=1`` (or any value but 0/empty): show full tracebacks."""
    return os.environ.get("LTR_DEBUG", "") not in ("", "0")


class ComponentError(UserError):
    """A component that failed while being built or called, or returned the wrong thing; the message names the
    component and its plugin."""
