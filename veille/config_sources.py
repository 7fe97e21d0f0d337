"""The ``[[sources]]`` entries of the configuration, expanded and checked against their collector.

An entry is ``name``, ``kind``, an optional ``interval`` and the collector's own options; an
entry of kind ``opml`` stands for every feed of an OPML file (as ``rss`` sources).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import ValidationError

from veille.config_messages import plain_message
from veille.errors import ConfigError
from veille.redaction import redact_url
from veille.settings import SourceConfig, is_web_address, key_name, printable_name

if TYPE_CHECKING:
    from veille.opml import OpmlFeed

log = logging.getLogger(__name__)

# What the configuration's check said, so that it is said once per run: a command that writes
# the file (`sources import`) reads it up to three times, checking what it would write.
_TOLD: set[tuple[int, str]] = set()


def _tell(level: int, message: str, *args: object) -> None:
    """Log ``message % args`` at ``level``, unless this process already did."""
    told = (level, message % args)
    if told not in _TOLD:
        _TOLD.add(told)
        log.log(level, message, *args)


_COMMON_KEYS = ("name", "kind", "interval")
_DISPLAY_KEYS = ("title", "category", "site_url")  # what a feed reader shows of a source


def slugify(text: str) -> str:
    """A short ASCII name made of lower-case words joined by dashes."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:60].rstrip("-") or "source"


_DEFAULT_PORTS = {"http": 80, "https": 443}


def feed_address_key(address: str) -> str:
    """What two spellings of one feed address have alike, to find a feed read twice.

    The scheme and host are compared in lower case (``HTTP://Host/`` is ``http://host/``), a
    default port (``:80``, ``:443``) and a fragment (``#…``, never sent) are left out, and an
    empty path is ``/``; the path and query, which the server reads, stay as written.
    """
    text = address.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:  # a port out of range, an IPv6 host left open: compared as written
        return text
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return text
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    user, at, _ = parts.netloc.rpartition("@")
    return urlunsplit((scheme, f"{user}{at}{host}", parts.path or "/", parts.query, ""))


def name_for_feed(title: str | None, url: str) -> str:
    """A source name for a feed: its title, else its host and path."""
    if title and title.strip() and title.strip() != url:
        return slugify(title)
    parts = urlsplit(url)
    return slugify(f"{parts.hostname or ''} {parts.path}")


# What a one-line value may not hold: control characters and the line and paragraph separators.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def one_line(text: str) -> str:
    """``text`` on one line, its control characters and runs of spacing made single spaces."""
    return " ".join(_CONTROL.sub(" ", text).split())


def takes_option(kind: str, option: str) -> bool:
    """Whether sources of ``kind`` take ``option`` (``url``: whether they read one feed)."""
    from veille.collectors.base import get_collector

    try:
        return option in get_collector(kind).options_model.model_fields
    except ConfigError:
        return False


def feed_entry(feed: OpmlFeed) -> dict[str, Any]:
    """The ``[[sources]]`` entry of an OPML feed, but its name: kind, url, settings, and what a
    feed reader shows of it (title, folders, site)."""
    kind = feed.kind if feed.kind and takes_option(feed.kind, "url") else "rss"
    entry: dict[str, Any] = {"kind": kind, "url": feed.xml_url}
    title = one_line(feed.title) if feed.title != feed.xml_url else ""
    if title:
        entry["title"] = title
    category = [folder for folder in map(one_line, feed.category) if folder]
    if category:
        entry["category"] = category[0] if len(category) == 1 else category
    if feed.html_url and is_web_address(one_line(feed.html_url)):
        entry["site_url"] = one_line(feed.html_url)
    for option in ("language", "platform"):
        value = getattr(feed, option)
        if value and takes_option(kind, option):
            entry[option] = one_line(value)
    if feed.interval:
        entry["interval"] = one_line(feed.interval)
    return entry


def feed_name(feed: OpmlFeed, taken: set[str]) -> str:
    """The name of an OPML feed's source: the one it had when exported (``veille:name``, so
    that its state is kept) unless another source has it, else one made of its title or
    address."""
    if feed.name and feed.name not in taken:
        try:
            return printable_name(feed.name)
        except ValueError:
            pass
    return name_for_feed(feed.title, feed.xml_url)


def expand_sources(entries: Any, config_path: Path) -> list[dict[str, Any]]:
    """Source dicts ready for validation: OPML entries expanded, options checked by kind."""
    file = str(config_path)
    if not isinstance(entries, list):
        raise ConfigError("expected a list of [[sources]] tables", file=file, key="sources")
    expanded: list[dict[str, Any]] = []
    from_opml: set[int] = set()  # the places in `expanded` of the feeds of OPML entries
    keys: list[str] = []  # the key of the entry each source of `expanded` comes from
    # The names the file gives are theirs wherever they are: a feed of an OPML file named alike,
    # even one listed before them, is renamed ("fr-2"), as two feeds of one file are.
    names = UniqueNames(
        {
            entry["name"]
            for entry in entries
            if isinstance(entry, dict)
            and entry.get("kind") != "opml"
            and isinstance(entry.get("name"), str)
        }
    )
    declared: set[str] = set()
    for index, entry in enumerate(entries):
        key = f"sources[{index}]"
        if not isinstance(entry, dict):
            raise ConfigError("expected a table", file=file, key=key)
        kind = entry.get("kind")
        if kind is None:
            raise ConfigError(
                'required setting is missing (e.g. kind = "rss")', file=file, key=f"{key}.kind"
            )
        if not isinstance(kind, str) or not kind.strip():
            raise ConfigError(
                f'expected the kind of source in quotes, e.g. kind = "rss" (got {kind!r})',
                file=file,
                key=f"{key}.kind",
            )
        if kind == "opml":
            for feed, source in _opml_sources(entry, config_path, key):
                source["name"] = names.give(feed_name(feed, names.taken))
                if source.get("title") == source["name"]:  # as init and import write it
                    del source["title"]
                from_opml.add(len(expanded))
                expanded.append(source)
                keys.append(key)
            continue
        options = {k: v for k, v in entry.items() if k not in (*_COMMON_KEYS, *_DISPLAY_KEYS)}
        validated = validate_options(kind, options, file=file, key=key)
        name = entry.get("name")
        if name is None and isinstance(options.get("url"), str):
            name = names.give(name_for_feed(None, options["url"]))
        elif name is None:  # only a feed is named after its address
            raise ConfigError(
                f"required setting is missing: a source of kind {kind!r} needs a name "
                f'(e.g. name = "{kind}-1")',
                file=file,
                key=f"{key}.name",
            )
        elif isinstance(name, str):
            if name in declared:  # told here, where the index is the file's own
                raise ConfigError(
                    f"duplicate name {name!r}; names must be unique",
                    file=file,
                    key=f"{key}.name",
                )
            declared.add(name)
        expanded.append(
            {
                "name": name,
                "kind": kind,
                "interval": entry.get("interval"),
                **{k: entry[k] for k in _DISPLAY_KEYS if k in entry},
                "options": validated,
            }
        )
        keys.append(key)
    return _each_feed_once(expanded, from_opml, keys, file)


def _each_feed_once(
    expanded: list[dict[str, Any]], from_opml: set[int], keys: list[str], file: str
) -> list[dict[str, Any]]:
    """The sources with each feed address read by one: a feed would be fetched twice a pass and
    its items counted from two sources.

    A feed of an OPML entry whose address a ``[[sources]]`` entry declares, or an OPML feed
    listed before, is left out (its name stays taken, so the others keep theirs); two
    ``[[sources]]`` entries of one address are the user's to settle, and told.
    """
    # Addresses are compared by feed_address_key: `HTTP://Host:80/f#top` is `http://host/f`.
    declared: dict[str, str] = {}  # address → the key of the [[sources]] entry declaring it
    for place, source in enumerate(expanded):
        url = source["options"].get("url")
        if place in from_opml or not isinstance(url, str):
            continue
        address = feed_address_key(url)
        if address in declared:
            _tell(
                logging.WARNING,
                "%s: %s.url: the same feed address as %s.url: the feed is fetched twice a pass"
                " and its items counted from two sources; remove one of them",
                file,
                keys[place],
                declared[address],
            )
        else:
            declared[address] = keys[place]
    kept: list[dict[str, Any]] = []
    listed: set[str] = set()
    repeated: dict[str, list[str]] = {}  # OPML entry key → the addresses it read once
    for place, source in enumerate(expanded):
        url = source["options"].get("url")
        if place in from_opml:
            address = feed_address_key(url)
            if address in declared or address in listed:
                repeated.setdefault(keys[place], []).append(url)
                continue
            listed.add(address)
        kept.append(source)
    for key, urls in repeated.items():
        _tell(
            logging.INFO,
            "%s: %s.file: %d feed(s) left out, their address read by another source: %s",
            file,
            key,
            len(urls),
            ", ".join(redact_url(url) for url in urls),
        )
    return kept


def validate_options(
    kind: str,
    options: dict[str, Any],
    *,
    file: str | None,
    key: str,
    option_key: Callable[[str], str] | None = None,
    entry_keys: tuple[str, ...] = ("name", "interval", *_DISPLAY_KEYS),
) -> dict[str, Any]:
    """Check a source's options against its collector's model; errors name the key.

    ``option_key`` names an option in errors (default: ``key.option``, as the file writes it);
    ``entry_keys``: the keys beside the options that an unknown option's message lists too.
    """
    from veille.collectors.base import get_collector

    if option_key is None:
        option_key = f"{key}.{{}}".format
    try:
        collector = get_collector(kind)
    except ConfigError as exc:
        raise ConfigError(exc.reason, file=file, key=option_key("kind"), hint=exc.hint) from None
    try:
        model = collector.options_model.model_validate(options)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(key_name(part) for part in error["loc"])
        if error["type"] == "extra_forbidden":
            known = ", ".join([*collector.options_model.model_fields, *entry_keys])
            message = f"unknown option for kind {kind!r} (known: {known})"
        elif error["type"] == "missing":
            message = f"required option for kind {kind!r} is missing"
            message += _mistyped(exc, field, option_key)
        else:
            message = plain_message(
                error, list(error["loc"]), collector.options_model, file_root=False
            )
            if f"got {error.get('input')!r}" not in message:  # unless the check named it already
                message += f" (got {error.get('input')!r})"
        raise ConfigError(message, file=file, key=option_key(field) if field else key) from None
    return model.model_dump(mode="json", exclude_none=True)


def _mistyped(exc: ValidationError, missing: str, option_key: Callable[[str], str]) -> str:
    """Besides a missing option, the unknown ones given, most likely it mistyped ("uri")."""
    import difflib

    unknown = [
        ".".join(key_name(part) for part in error["loc"])
        for error in exc.errors()
        if error["type"] == "extra_forbidden"
    ]
    if not unknown:
        return ""
    close = difflib.get_close_matches(missing, unknown, n=1)
    named = ", ".join(option_key(name) for name in unknown)
    if close:
        return f"; {option_key(close[0])} is no option: did you mean {missing}?"
    return f"; unknown option(s) given: {named}"


def _opml_sources(
    entry: dict[str, Any], config_path: Path, key: str
) -> list[tuple[OpmlFeed, dict[str, Any]]]:
    """The feeds of an OPML entry and their sources, to be named."""
    file_value = entry.get("file")
    if not isinstance(file_value, str) or not file_value:
        raise ConfigError(
            "expected the path of an OPML file", file=str(config_path), key=f"{key}.file"
        )
    unknown = set(entry) - {"kind", "file", "interval", "platform"}
    if unknown:
        raise ConfigError(
            f"unknown setting(s) {', '.join(map(key_name, sorted(unknown)))} for kind 'opml'",
            file=str(config_path),
            key=key,
        )
    from veille.opml import http_feed, read_opml  # XML is only needed for opml entries

    opml_path = Path(file_value)
    if not opml_path.is_absolute():
        opml_path = config_path.parent / opml_path
    try:
        feeds = read_opml(opml_path)
    except ConfigError as exc:
        raise ConfigError(
            f"{opml_path}: {exc.reason}", file=str(config_path), key=f"{key}.file"
        ) from None
    sources = []
    left_out = []
    for outline in feeds:
        # As `init --opml` and `sources import` do: a feed no rss source could read is left
        # out and told, rather than refusing the whole configuration for it.
        feed = http_feed(outline)
        if feed is None:
            left_out.append(outline.xml_url)
            continue
        options = feed_entry(feed)
        kind = options.pop("kind")
        # The entry's settings are those of its feeds that give none of their own.
        own_interval = options.pop("interval", None)
        shown = {k: options.pop(k) for k in _DISPLAY_KEYS if k in options}
        if entry.get("platform") and "platform" not in options and takes_option(kind, "platform"):
            options["platform"] = entry["platform"]
        try:
            # A problem of the entry's own `platform` is named as the file writes it (and one of
            # its `interval` by the settings' check, as before).
            options = validate_options(kind, options, file=str(config_path), key=key)
            SourceConfig.model_validate(
                {"name": "x", "kind": kind, "interval": own_interval, **shown}
            )
        except (ConfigError, ValidationError) as exc:
            if isinstance(exc, ConfigError) and exc.key == f"{key}.platform":
                raise
            reason = exc.reason if isinstance(exc, ConfigError) else _first_problem(exc)
            raise ConfigError(
                f"{opml_path}: feed {feed.title!r}: {reason}",
                file=str(config_path),
                key=f"{key}.file",
            ) from None
        interval = own_interval or entry.get("interval")
        source = {"kind": kind, "interval": interval, **shown, "options": options}
        sources.append((feed, source))
    if left_out:
        _tell(
            logging.WARNING,
            "%s: %s: left out %d feed(s) of %s, their address not http(s): %s",
            config_path,
            f"{key}.file",
            len(left_out),
            opml_path,
            ", ".join(redact_url(address) for address in left_out),
        )
    return sources


def _first_problem(exc: ValidationError) -> str:
    error = exc.errors()[0]
    field = ".".join(key_name(part) for part in error["loc"])
    message = error["msg"].removeprefix("Value error, ")
    if f"got {error.get('input')!r}" not in message:  # unless the check named it already
        message += f" (got {error.get('input')!r})"
    return f"{field}: {message}"


class UniqueNames:
    """Names given one by one: a name already taken becomes its first free ``-2``, ``-3``, ….

    Each name remembers where its counter stopped, so that 20,000 feeds titled alike are named
    in linear time, with the names the counter started from 2 each time would give (the names
    taken only grow, so the ones it skipped are still taken).
    """

    def __init__(self, taken: set[str] | None = None) -> None:
        self.taken = set() if taken is None else taken  # the caller's set, kept up to date
        self._next: dict[str, int] = {}

    def give(self, name: str) -> str:
        """``name``, else ``name-N`` with the least N ≥ 2 not taken; taken from now on."""
        if name not in self.taken:
            self.taken.add(name)
            return name
        counter = self._next.get(name, 2)
        while f"{name}-{counter}" in self.taken:
            counter += 1
        self._next[name] = counter + 1
        candidate = f"{name}-{counter}"
        self.taken.add(candidate)
        return candidate
