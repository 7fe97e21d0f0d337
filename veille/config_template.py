"""The annotated ``veille.toml`` that ``veille init`` writes."""

from __future__ import annotations

import json
from collections.abc import Sequence

from veille.opml import OpmlFeed
from veille.settings import CollectSettings, HttpSettings, name_phrase
from veille.timeutil import format_duration

# Search sources every new brand gets when no OPML file is given: each runs once per brand with
# its query (news search in the brand's languages, Hacker News, GDELT, Mastodon hashtags).
DEFAULT_SEARCH_SOURCES = (
    ("google-news", "google_news"),
    ("hacker-news", "hackernews"),
    ("gdelt", "gdelt"),
    ("mastodon", "mastodon"),
)


def toml_string(value: str) -> str:
    """A TOML basic string (JSON escaping is a subset TOML accepts)."""
    return json.dumps(value, ensure_ascii=False)


def brand_block(name: str) -> str:
    """A ``[[brands]]`` table whose query is the name as an exact phrase."""
    return (
        "[[brands]]\n"
        f"name = {toml_string(name)}\n"
        f"query = {toml_string(name_phrase(name))}\n"
        'languages = ["fr", "en"]\n'
    )


def source_block(name: str, feed: OpmlFeed) -> str:
    """A ``[[sources]]`` table for one feed of an OPML file: its kind, address and settings,
    and the title, folders and site a feed reader shows (given back by `sources export`)."""
    from veille.config_sources import feed_entry

    entry = feed_entry(feed)
    if entry.get("title") == name:
        del entry["title"]
    lines = [f"name = {toml_string(name)}"]
    for key in ("title", "category", "kind", "url", "site_url", "language", "platform"):
        if key in entry:
            value = entry[key]
            text = (
                toml_string(value)
                if isinstance(value, str)
                else f"[{', '.join(map(toml_string, value))}]"
            )
            lines.append(f"{key} = {text}")
    if "interval" in entry:
        lines.append(f"interval = {toml_string(entry['interval'])}")
    return "[[sources]]\n" + "".join(f"{line}\n" for line in lines)


def search_source_block(name: str, kind: str) -> str:
    """A ``[[sources]]`` table for a search collector with its default options."""
    return f"[[sources]]\nname = {toml_string(name)}\nkind = {toml_string(kind)}\n"


def render_config(
    brands: Sequence[str],
    sources: Sequence[tuple[str, OpmlFeed]],
    *,
    opml_file: str | None = None,
) -> str:
    """The whole annotated configuration file (the default search sources when no feed)."""
    http, collect = HttpSettings(), CollectSettings()
    parts = [_HEADER]
    if brands:
        parts.extend(brand_block(name) for name in brands)
    else:
        parts.append(_EXAMPLE_BRAND)
    parts.append(_SOURCES_HEADER)
    if opml_file:
        parts.append(f"# Feeds imported from {opml_file}.\n")
    parts.extend(source_block(name, feed) for name, feed in sources)
    if not sources:
        parts.append(_SEARCH_HEADER)
        parts.extend(search_source_block(name, kind) for name, kind in DEFAULT_SEARCH_SOURCES)
        parts.append(_MORE_SOURCES)
    parts.append(
        _SETTINGS.format(
            interval=format_duration(collect.interval),
            adaptive=str(collect.adaptive).lower(),
            min_interval=format_duration(collect.min_interval),
            max_interval=format_duration(collect.max_interval),
            max_backoff=format_duration(collect.max_backoff),
            claim_lease=format_duration(collect.claim_lease),
            processes=toml_string(collect.processes)
            if isinstance(collect.processes, str)
            else collect.processes,
            **{
                key: toml_string(v) if isinstance(v, str) else v
                for key, v in http.model_dump().items()
            },
        )
    )
    return "\n".join(parts)


_HEADER = """\
# veille configuration. This file is the source of truth for brands and sources; the database
# mirrors it. Values may refer to environment variables as ${NAME} (keep secrets out of here).

# Where mentions are stored. Default: veille.db beside this file (SQLite); a relative SQLite
# path is taken from this file's folder too.
# VEILLE_DATABASE_URL overrides it, e.g. postgresql+psycopg://veille:${PGPASSWORD}@db/veille
# (or postgresql+psycopg://veille@db/veille with VEILLE_DATABASE_PASSWORD_FILE naming a file
# that holds the password, which veille puts into the URL percent-encoded).
# [database]
# url = "sqlite:///veille.db"

# Brands to listen for. `query` is a boolean query:
#   terms, "exact phrases" (or « … », “ … ”), AND, OR, NOT (or -term, –term), parentheses,
#   wildcard danon*,
#   proximity a NEAR/5 b, scopes title: site: author: lang:, case-sensitive terms case:Orange.
#   Operators are in capitals and English: or, and, ET, OU, SAUF are words (with a warning).
# Matching ignores accents and case unless case_sensitive = true (for brands that are words).
# A phrase is also found written as one word ("Air France" finds #airfrance), and camel-case
# hashtags and handles word by word (danone finds #BoycottDanone).
# `languages` are the languages mentions are expected in (ISO 639-1 codes veille can detect:
#   the 114 of its language model, from "af" to "zu"; an unknown code is refused on reading):
#   language detection picks among them, unless an item declares another language and its
#   text agrees (a German post stays German).
"""

_EXAMPLE_BRAND = """\
# [[brands]]
# name = "Danone"
# query = '"Danone" OR danone* NOT "danone cup"'
# languages = ["fr", "en"]
# case_sensitive = false
"""

_SOURCES_HEADER = """\
# Sources. kind = "rss" takes an RSS or Atom feed `url` (optional: `platform`, `language`,
# `interval`, e.g. interval = "30m"; `title`, `category` and `site_url`, what a feed reader
# shows, are given back by `veille sources export`). kind = "opml" with file = "feeds.opml"
# (relative to this file) stands for every feed of an OPML file. `veille sources import
# FILE.opml` appends feeds.
"""

_SEARCH_HEADER = """\
# Search sources run once per brand, with the brand's query compiled to each service's syntax;
# every result is matched again here with the full query. Options are documented in README.
"""

_MORE_SOURCES = """\
# More sources (see README, "Sources", for options and credentials):
# [[sources]]
# name = "le-monde-economie"
# kind = "rss"
# url = "https://www.lemonde.fr/economie/rss_full.xml"
#
# [[sources]]
# name = "reddit"
# kind = "reddit"            # needs VEILLE_REDDIT_CLIENT_ID and VEILLE_REDDIT_CLIENT_SECRET
#
# [[sources]]
# name = "bluesky"
# kind = "bluesky"           # needs VEILLE_BLUESKY_HANDLE and VEILLE_BLUESKY_APP_PASSWORD
"""

_SETTINGS = """
# When sources are checked: every `interval` at first (a source's own `interval` wins), then,
# with `adaptive`, half as long after a check that found the source changed and 1.5 times as
# long after one that found it unchanged, between `min_interval` and `max_interval`; a feed's
# ttl, Cache-Control max-age or Expires lengthen the wait. A failing source waits twice as long
# after each failure, at most `max_backoff`.
# Workers sharing one PostgreSQL database claim each due source for `claim_lease`; the
# sources of a worker that died mid-pass are given back by the next pass that finds it dead,
# else due again when the lease ends.
# `processes` read feeds and normalise, match and classify items on other CPUs while the pass
# fetches and stores: "auto" starts one fewer than the CPUs (at most 4) for a pass over 20
# sources or more; 0 keeps all the work in one process (less memory: each process loads the
# language models). `veille reclassify` re-scores in as many ("auto": every CPU, at most 4, for
# 20,000 documents or more) unless its --processes says otherwise.
[collect]
interval = "{interval}"
adaptive = {adaptive}
min_interval = "{min_interval}"
max_interval = "{max_interval}"
max_backoff = "{max_backoff}"
claim_lease = "{claim_lease}"
processes = {processes}

# HTTP politeness and limits (VEILLE_HTTP_<NAME> overrides, e.g. VEILLE_HTTP_CONCURRENCY=50).
[http]
concurrency = {concurrency}        # requests in flight at once
per_host = {per_host}             # requests in flight to one host
connect_timeout = {connect_timeout}   # seconds
read_timeout = {read_timeout}      # seconds between two reads
total_timeout = {total_timeout}     # seconds for a whole request
max_body_bytes = {max_body_bytes}  # larger bodies are refused
max_redirects = {max_redirects}
retries = {retries}               # extra tries on timeouts, 429, 5xx
backoff_seconds = {backoff_seconds}     # first retry delay, doubled each try
max_retry_after = {max_retry_after}   # longer waits (Retry-After, rate-limit reset) defer it
user_agent = {user_agent}

# When `veille schedule` runs each job: cron expressions (minute hour day month weekday) in
# `timezone`; a job starting more than `misfire_grace` late (the machine asleep) is logged as
# missed, then caught up once. The digest and the dashboard (`veille serve`) give their times
# and count their days in `timezone` too.
[schedule]
timezone = "Europe/Paris"
collect = "0 6 * * *"
digest = "0 8 * * *"
alerts = "0 * * * *"
# prune = "30 3 * * 0"       # weekly, what is older than [retention] older_than; none by default
misfire_grace = "1h"

# How long mentions are kept by the scheduled prune ([schedule] prune above); at least a day.
# [retention]
# older_than = "365d"

# The mail server digests are sent through. Every key can also come from the environment:
# VEILLE_SMTP_HOST, _PORT, _SECURITY (none|starttls|ssl), _USER, _PASSWORD (or
# VEILLE_SMTP_PASSWORD_FILE), _FROM. Keep the password out of this file.
[smtp]
host = "localhost"
# port = 587                 # default: 25 (none), 587 (starttls), 465 (ssl)
security = "starttls"
# user = "veille"
# password = "${{SMTP_PASSWORD}}"
from = "veille@localhost"
timeout = 30

# Digests of new mentions: one email per digest, with what is new since the last one the mail
# server accepted. `brands` empty: every brand; `period` is the window of the chart and tops.
# [[digests]]
# name = "equipe-com"
# to = ["communication@example.org"]
# brands = ["Danone"]
# language = "fr"             # fr or en
# period = "1d"
# max_mentions = 60
# send_when_empty = false

# Spike alerts, checked by `veille alerts` (hourly under `veille schedule`): per brand, the last
# hour against the 12 before it and the last day against the 14 before it, for every mention and
# for negative ones alone. `to` empty: spikes are recorded and printed, no e-mail is sent.
[alerts]
# to = ["communication@example.org"]
language = "fr"             # fr or en
sensitivity = 3.0           # a window must hold this many times its usual number of mentions
min_mentions = 5            # fewer mentions in a window never alert
cooldown = "6h"             # after an alert, the same brand, signal and horizon stay quiet
"""
