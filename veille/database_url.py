"""The PostgreSQL password: from the environment or a file, percent-encoded into the URL.

``VEILLE_DATABASE_PASSWORD`` (or the file ``VEILLE_DATABASE_PASSWORD_FILE`` names, read as the
collectors' credentials are, :mod:`veille.credentials`) is put into the database URL as it is
written, whatever characters it holds: a container secret then needs no shell to build the
URL, and a password with ``@``, ``%`` or ``/`` needs no escaping by hand. Kept apart from
:mod:`veille.settings` and free of SQLAlchemy, which would cost every command a third of a second.
"""

from __future__ import annotations

import os
import re
from urllib.parse import quote

from veille.credentials import SecretFileError, environment_secret
from veille.errors import ConfigError

PASSWORD_VARIABLE = "VEILLE_DATABASE_PASSWORD"
# scheme://userinfo@host…: the authority ends at the first "/", "?" or "#".
_AUTHORITY = re.compile(
    r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<authority>[^/?#]*)(?P<rest>.*)$", re.DOTALL
)
ENCODING_HINT = (
    "percent-encode the password's @ (%40), % (%25), : (%3A) and / (%2F), or give it as written "
    f"in {PASSWORD_VARIABLE}_FILE (or {PASSWORD_VARIABLE})"
)


def check_userinfo(url: str, *, file: str | None, key: str) -> None:
    """Refuse a URL whose password holds an unencoded ``@``: its end would be read as the host
    (and shown in messages as part of it)."""
    match = _AUTHORITY.match(url)
    if match is not None and match["authority"].count("@") > 1:
        raise ConfigError(
            "the password in the database URL holds an '@' that is not percent-encoded",
            file=file,
            key=key,
            hint=ENCODING_HINT,
        )


def with_environment_password(url: str) -> str:
    """``url`` with the password of ``VEILLE_DATABASE_PASSWORD(_FILE)`` in it, when one is set.

    It replaces any password the URL holds. A ConfigError when its file cannot be read, or the
    URL is no PostgreSQL URL with a user.
    """
    try:
        password = environment_secret(PASSWORD_VARIABLE)
    except SecretFileError as exc:
        raise ConfigError(
            f"names {exc.path}, which {exc.reason}",
            key=exc.variable,
            hint="point it at a UTF-8 file holding the password, readable by the user veille "
            "runs as (in the Docker image, the user veille, uid 999)",
        ) from None
    if password is None:
        return url
    variable = _given_variable()
    match = _AUTHORITY.match(url)
    if match is None or not match["scheme"].lower().startswith("postgresql"):
        raise ConfigError(
            "a database password is only for a PostgreSQL database URL, and the database "
            "URL names another",
            key=variable,
            hint="set VEILLE_DATABASE_URL (or [database] url) to postgresql+psycopg://USER@HOST/DB",
        )
    userinfo, at, host = match["authority"].rpartition("@")
    user = userinfo.partition(":")[0]
    if not at or not user:
        raise ConfigError(
            "the database URL names no user for the password",
            key=variable,
            hint="write the user in the URL: postgresql+psycopg://USER@HOST/DB",
        )
    return f"{match['scheme']}{user}:{quote(password, safe='')}@{host}{match['rest']}"


def _given_variable() -> str:
    if os.environ.get(PASSWORD_VARIABLE, "").strip():
        return PASSWORD_VARIABLE
    return f"{PASSWORD_VARIABLE}_FILE"
