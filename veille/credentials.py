"""Secrets from the environment: ``NAME``, else the file named by ``NAME_FILE``.

The same rule for the collectors' credentials and the SMTP password: a blank ``NAME`` (as
``NAME=${SECRET:-}`` leaves it in a compose file) counts as unset, a file is read as UTF-8 (a
byte-order mark left out) and stripped, and a file that cannot be read is said, with its
variable, its path and why, rather than taken for a missing secret.
"""

from __future__ import annotations

import os
from pathlib import Path


class SecretFileError(ValueError):
    """``NAME_FILE`` names a file that cannot be read as a secret."""

    def __init__(self, variable: str, path: str, reason: str) -> None:
        self.variable = variable
        self.path = path
        self.reason = reason
        super().__init__(f"{variable} names {path}, which {reason}")


def environment_secret(name: str) -> str | None:
    """``NAME`` when set and not blank, else the content of the file ``NAME_FILE`` names, else
    None; a SecretFileError when that file cannot be read, is not UTF-8 text or is empty."""
    value = os.environ.get(name, "").strip()
    if value:
        return value
    path = os.environ.get(f"{name}_FILE", "")
    if not path.strip():
        return None
    return read_secret_file(f"{name}_FILE", path)


def read_secret_file(variable: str, path: str) -> str:
    """The secret held by the file ``path`` (named by ``variable``), stripped."""
    try:
        # utf-8-sig: a byte-order mark that some editors write first is no part of the secret.
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SecretFileError(variable, path, f"is not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise SecretFileError(variable, path, f"cannot be read ({exc.strerror or exc})") from None
    secret = text.strip()
    if not secret:
        raise SecretFileError(variable, path, "is empty")
    return secret
