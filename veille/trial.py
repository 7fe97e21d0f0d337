"""``veille fetch``: try one collector once, normalise and classify what it gives, store nothing.

It shows what the remote search returned and what veille would keep: every item says whether
the full local query keeps it, and the terms of the query it matched.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from veille.classify import Classifier
from veille.classify.names import name_labels, without_names
from veille.collectors.base import get_collector
from veille.config_sources import validate_options
from veille.errors import ConfigError, SourceError, TransientSourceError
from veille.fetch import Fetcher
from veille.match import compile_query
from veille.normalize import normalize
from veille.process import classified_text, document_view
from veille.settings import HttpSettings
from veille.timeutil import isoformat_utc
from veille.types import SourceState

# The clause of a hint that tells what a pass does about a passing failure ("veille tries again
# at a later pass", "veille waits"): meaningless for one try, which says to run it again instead.
_PASS_CLAUSE = re.compile(r"(?:^|[:;] )veille (?:tries|waits|asks|signs)[^;]*")


def parse_option(text: str) -> tuple[str, Any]:
    """``KEY=VALUE`` from the command line; VALUE is read as JSON when it parses (2, true, […])."""
    key, separator, value = text.partition("=")
    if not separator or not key.strip():
        raise ConfigError(f"expected KEY=VALUE, got {text!r}", key="--option")
    try:
        return key.strip(), json.loads(value)
    except json.JSONDecodeError:
        return key.strip(), value


def trial_options(kind: str, options: Mapping[str, Any], base_url: str | None) -> dict[str, Any]:
    """The collector's options from ``--option`` and ``--base-url``, validated like the config.

    ``--base-url`` moves the sign-in address too (``auth_url``: Bluesky, Reddit) unless an
    ``--option auth_url=…`` gives it: a self-hosted or test service answers both.
    """
    try:
        fields = get_collector(kind).options_model.model_fields
    except ConfigError as exc:
        raise ConfigError(exc.reason, key="KIND", hint=exc.hint) from None
    merged = dict(options)
    if base_url is not None:
        if "base_url" not in fields:
            raise ConfigError(
                f"kind {kind!r} has no base_url option",
                key="--base-url",
                hint="pass its address with --option url=…" if "url" in fields else None,
            )
        merged["base_url"] = base_url
        if "auth_url" in fields:
            merged.setdefault("auth_url", base_url)
    return validate_options(
        kind, merged, file=None, key="--option", option_key="--option {}=…".format, entry_keys=()
    )


def one_off_hint(exc: SourceError) -> str | None:
    """The hint of a source's error as it fits one try: what a pass would do about a passing
    failure (try again at a later pass, wait for a limit) becomes "run the command again"."""
    hint = exc.hint or ""
    kept = _PASS_CLAUSE.sub("", hint).strip(" :;")
    if kept == hint and not isinstance(exc, TransientSourceError):
        return exc.hint
    wait = f" (in {_about(exc.retry_after)})" if exc.retry_after else ""
    again = f"run the command again later{wait}"
    return f"{kept}; {again}" if kept else again


def _about(seconds: float) -> str:
    """A wait as a person says it: ``40 s``, ``about 5 min``, ``about 22 h``."""
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 90 * 60:
        return f"about {round(seconds / 60)} min"
    return f"about {round(seconds / 3600)} h"


@dataclass(frozen=True, slots=True)
class Trial:
    """What one try of a collector gave: a record per item, and the collector's warning."""

    records: list[dict[str, Any]]
    warning: str | None  # what a pass would record for the source (pages left unread, …)


async def fetch_once(
    kind: str,
    query: str,
    *,
    options: Mapping[str, Any],
    http: HttpSettings,
    languages: Sequence[str] = ("fr", "en"),
) -> Trial:
    """Collect once with a fresh state; every item normalised, classified and matched.

    The source is named by its kind; a failure's hint says what to do about one try.
    """
    brand_query = compile_query(query)
    collector_class = get_collector(kind)
    collector = collector_class(kind, collector_class.options_model(**options))
    async with Fetcher(http) as fetcher:
        try:
            collected = await collector.collect(
                fetcher,
                SourceState(),
                query=query if collector_class.per_brand else None,
                since=None,
                languages=tuple(languages),
            )
        except SourceError as exc:
            exc.hint = one_off_hint(exc)
            raise
    classifier = Classifier(languages or None)
    names = name_labels(brand_query.node)
    records = []
    for raw in collected.mentions:
        document = normalize(raw)
        body = classified_text(document.title, document.text)
        lang = classifier.language_of(body, document.lang_hint)
        match = brand_query.match_prepared(document_view(document, lang))
        # Scored as a pass scores it: without the names the query found.
        [classification] = classifier.classify_many(
            [(without_names(body, [t for t in match.terms if t in names]), document.lang_hint)],
            [lang],
        )
        records.append(
            {
                "platform": document.platform,
                "source": kind,
                "site": document.site,
                "url": document.canonical_url or document.url,
                "title": document.title,
                "text": document.text,
                "author": document.author_name or document.author_handle,
                "author_handle": document.author_handle,
                "author_url": document.author_url,
                "published_at": isoformat_utc(document.published_at),
                "lang": classification.lang,
                "sentiment": round(classification.sentiment, 4),
                "tone": classification.tone,
                "kept": match.matched,  # a query of scopes alone (site:…) keeps with no term
                "matched": list(match.terms),
                "reach": document.reach,
                "engagement": document.engagement,
                "metrics": dict(document.metrics),
            }
        )
    return Trial(records, collected.warning)
