"""Hiding credentials that travel inside URLs before a URL is shown, logged or stored as an error.

A feed URL may carry a password (``https://user:pass@host/feed``) or a token in its query
(``?token=…``, ``&key=…``); API collectors put keys in the query too. Messages show the URL with
those values replaced by ``***``; the rest of the URL stays as it was, so it can still be
recognised.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote

MASK = "***"

# Query parameter names that carry a credential, compared as words split on "-", "_" and ".".
_SECRET_WORDS = frozenset(
    {
        "key", "apikey", "token", "secret", "password", "passwd", "pwd", "pass", "auth",
        "sig", "signature", "session", "sessionid", "sid", "credential", "credentials",
    }
)  # fmt: skip
_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s\"'<>]+")
# The user part runs to the authority's last "@": a host holds none, a password left unencoded may.
_USERINFO = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*://)([^/?#]*)@")
_WORD_SPLIT = re.compile(r"[-_.\[\]]+")


def _is_secret_name(name: str) -> bool:
    words = _WORD_SPLIT.split(unquote(name).lower())
    return any(word in _SECRET_WORDS for word in words)


def _masked_userinfo(match: re.Match[str]) -> str:
    user, colon, password = match.group(2).partition(":")
    return f"{match.group(1)}{user}{colon}{MASK if password else ''}@"


def _masked_query(query: str) -> str:
    pairs = []
    for pair in query.split("&"):
        name, equals, value = pair.partition("=")
        pairs.append(f"{name}={MASK}" if equals and value and _is_secret_name(name) else pair)
    return "&".join(pairs)


def redact_url(url: str) -> str:
    """``url`` with the password of its user part and its credential parameters hidden."""
    shown = _USERINFO.sub(_masked_userinfo, url, count=1)
    before_fragment, hash_mark, fragment = shown.partition("#")
    address, question_mark, query = before_fragment.partition("?")
    if question_mark:
        before_fragment = f"{address}?{_masked_query(query)}"
    return before_fragment + hash_mark + fragment


def redact_urls(text: str) -> str:
    """``text`` with every URL in it redacted (see :func:`redact_url`)."""
    if "://" not in text:
        return text
    return _URL.sub(_redacted_match, text)


def _redacted_match(match: re.Match[str]) -> str:
    # Punctuation closing a sentence or a parenthesis is not part of the URL.
    url = match.group(0)
    bare = url.rstrip(").,;:]")
    return redact_url(bare) + url[len(bare) :]


class RedactingFilter(logging.Filter):
    """Rewrites a log record's message with the URLs in it redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep the record, its message redacted."""
        message = record.getMessage()
        redacted = redact_urls(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


_FILTER = RedactingFilter()
# Loggers of libraries that log the URLs they request.
_URL_LOGGERS = ("httpx",)


def install_log_redaction() -> None:
    """Redact URLs in what the HTTP libraries log (their request lines name the full URL)."""
    for name in _URL_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
