"""Setting up a veille directory and editing its configuration file."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from veille.config_sources import UniqueNames, feed_address_key, feed_name
from veille.config_template import DEFAULT_SEARCH_SOURCES, brand_block, render_config, source_block
from veille.errors import ConfigError
from veille.opml import OpmlFeed, http_feed, read_opml

if TYPE_CHECKING:
    from veille.settings import Settings


@dataclass(frozen=True, slots=True)
class InitResult:
    """What ``init`` did: where the configuration is and whether it was written."""

    config_path: Path
    written: bool
    sources: int
    not_http: list[str] = field(default_factory=list)  # OPML feeds left out, as on import


def init_config(
    directory: Path,
    *,
    brands: Sequence[str] = (),
    opml: Path | None = None,
    force: bool = False,
    config_path: Path | None = None,
) -> InitResult:
    """Write ``DIRECTORY/config/veille.toml`` (or ``config_path``) unless it exists (``force``
    overwrites it).

    With ``opml`` the sources are exactly its feeds; without, the default search sources.
    """
    config_path = config_path or directory / "config" / "veille.toml"
    if config_path.is_dir():  # not "already exists": no command would read it
        from veille.settings import folder_given

        raise folder_given(config_path)
    # A blank name (an unset variable in a script) is refused, not left out: the user asked
    # for a brand.
    for name in brands:
        _check_brand_name(name)
    _check_distinct(brands)
    feeds, not_http = _http_feeds(read_opml(opml)) if opml is not None else ([], [])
    if opml is not None and not feeds:
        raise ConfigError(
            "the OPML file lists no feed with an http(s) address (no outline with xmlUrl)",
            file=str(opml),
        )
    if config_path.exists() and not force:
        return InitResult(config_path, written=False, sources=0)
    named = _named_feeds(_unique_urls(feeds))
    text = render_config(
        [name.strip() for name in brands],
        named,
        opml_file=str(opml) if opml else None,
    )
    _write_checked(config_path, text, make_folder=True)
    sources = len(named) or len(DEFAULT_SEARCH_SOURCES)
    return InitResult(config_path, written=True, sources=sources, not_http=not_http)


def _check_brand_name(name: str) -> None:
    """Refuse a name the configuration would refuse, before any file is written."""
    from pydantic import ValidationError

    from veille.settings import BrandConfig, printable_name

    try:
        printable_name(name)
        BrandConfig(name=name.strip())  # its default query: the name as a phrase
    except ValidationError as exc:
        message = exc.errors()[0]["msg"].removeprefix("Value error, ")
        raise ConfigError(message, key="--brand") from None
    except ValueError as exc:
        raise ConfigError(str(exc), key="--brand") from None


def _check_distinct(brands: Sequence[str]) -> None:
    """Refuse two --brand that name one brand, as the configuration compares brand names."""
    from veille.normalize.text import name_key

    seen: dict[str, str] = {}
    for name in brands:
        key = name_key(name)
        if key not in seen:
            seen[key] = name
            continue
        other = seen[key]
        if other == name:
            raise ConfigError(f"{name!r} is given twice", key="--brand")
        raise ConfigError(
            f"{other!r} and {name!r} name the same brand (case, accents and the kind of "
            "apostrophe aside): give it once",
            key="--brand",
        )


def _named_feeds(
    feeds: Sequence[OpmlFeed], taken: set[str] | None = None
) -> list[tuple[str, OpmlFeed]]:
    names = UniqueNames(taken)
    return [(names.give(feed_name(feed, names.taken)), feed) for feed in feeds]


@dataclass(frozen=True, slots=True)
class ImportResult:
    """Feeds appended to the configuration, those already there, and those left out."""

    added: list[str]
    skipped: list[str]
    not_http: list[str] = field(default_factory=list)  # addresses a feed source cannot have
    repeated: list[str] = field(default_factory=list)  # addresses given again further down


def append_feeds(
    config_path: Path, feeds: Sequence[OpmlFeed], *, read_at: Iterable[str] = ()
) -> ImportResult:
    """Append feeds as ``[[sources]]`` to the configuration, skipping URLs it already has.

    ``read_at``: the addresses the configuration's feeds that moved permanently are read at,
    which it has too. The file is appended to rather than rewritten, so its comments and
    layout are kept.
    """
    from veille.settings import settings_from_text

    try:
        text = config_path.read_text(encoding="utf-8-sig")  # a byte-order mark is not TOML
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the configuration ({exc})", file=str(config_path)) from None
    # The configuration as every command reads it: ${NAME} references expanded, so that a feed
    # whose address is a secret is compared by its address (the text appended to keeps the
    # reference), and the feeds of the file's OPML entries count too: importing an OPML file
    # the configuration already reads adds nothing.
    sources = settings_from_text(text, config_path).sources
    known = {
        feed_address_key(url)
        for url in (*(source.options.get("url") for source in sources), *read_at)
        if isinstance(url, str)
    }
    taken = {source.name for source in sources}
    usable, not_http = _http_feeds(feeds)
    unique = _unique_urls(usable)
    firsts = {id(feed) for feed in unique}
    repeated = [feed.xml_url for feed in usable if id(feed) not in firsts]
    fresh = [feed for feed in unique if _address_read(feed.xml_url) not in known]
    skipped = [feed.xml_url for feed in unique if _address_read(feed.xml_url) in known]
    named = _named_feeds(fresh, taken)
    if named:
        blocks = "\n".join(source_block(name, feed) for name, feed in named)
        separator = "" if text.endswith("\n") else "\n"
        _write_checked(config_path, f"{text}{separator}\n{blocks}")
    added = [name for name, _ in named]
    return ImportResult(added=added, skipped=skipped, not_http=not_http, repeated=repeated)


def exported_feeds(settings: Settings, moved: Mapping[str, str] | None = None) -> list[OpmlFeed]:
    """The feed sources as OPML feeds (what ``append_feeds`` reads back): every kind that reads
    one feed, with the title, folder and site address the file gives.

    A feed that moved permanently is given at the address it is read at (``moved``, by source
    name), so that another reader does not follow the redirect for ever. An address holding a
    ``${NAME}`` reference is written as the file writes it, reference and all: the secret
    stays in the environment, and the file imported again expands it.
    """
    from veille.timeutil import format_duration

    written = _referencing_addresses(settings.config_path)
    moved = moved or {}
    return [
        OpmlFeed(
            title=source.title or source.name,
            xml_url=written.get(source.name)
            or moved.get(source.name)
            or str(source.options["url"]),
            html_url=source.site_url,
            category=source.category,
            # What OPML has no attribute for, in veille's own: the name keeps the source's state.
            name=source.name,
            kind=None if source.kind == "rss" else source.kind,
            language=source.options.get("language"),
            platform=source.options.get("platform"),
            interval=format_duration(source.interval) if source.interval else None,
        )
        for source in settings.sources
        if isinstance(source.options.get("url"), str)
    ]


def _referencing_addresses(config_path: Path | None) -> dict[str, str]:
    """The ``url`` of each ``[[sources]]`` entry that holds a ``${NAME}`` reference, as written
    in the file, by source name (nothing when the file cannot be read again)."""
    import tomli

    if config_path is None:
        return {}
    try:
        raw: Any = tomli.loads(config_path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, tomli.TOMLDecodeError):
        return {}  # changed since it was read: the addresses veille uses are still right
    entries = raw.get("sources", [])
    if not isinstance(entries, list):
        return {}
    return {
        entry["name"]: entry["url"]
        for entry in entries
        if isinstance(entry, dict)
        and entry.get("kind") != "opml"
        and isinstance(entry.get("name"), str)
        and isinstance(entry.get("url"), str)
        and "${" in entry["url"]
    }


def _http_feeds(feeds: Sequence[OpmlFeed]) -> tuple[list[OpmlFeed], list[str]]:
    """The feeds with an http(s) address (``feed://`` read as ``http://``), and the addresses
    of the others (javascript:, ftp:…)."""
    usable: list[OpmlFeed] = []
    others: list[str] = []
    for feed in feeds:
        usable_feed = http_feed(feed)
        if usable_feed is None:
            others.append(feed.xml_url)
        else:
            usable.append(usable_feed)
    return usable, others


def _write_checked(config_path: Path, text: str, *, make_folder: bool = False) -> None:
    """Replace the configuration with ``text`` once it is known to be a valid one.

    A refused text leaves the file as it was; the new one replaces it whole, with the old one's
    permissions (never half written, even if the disk fills up). ``make_folder``: the missing
    folders of ``config_path`` are made once the text is known valid, and removed again if it
    cannot be written (a failed ``init`` leaves no empty folder behind).
    """
    from veille.settings import settings_from_text

    settings_from_text(text, config_path)
    made = _missing_folders(config_path.parent) if make_folder else []
    partial = config_path.with_name(f".{config_path.name}.new")
    try:
        for folder in made:
            folder.mkdir()
        partial.write_text(text, encoding="utf-8")
        if config_path.exists():
            shutil.copymode(config_path, partial)
        os.replace(partial, config_path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        for folder in reversed(made):
            with contextlib.suppress(OSError):  # not made, or no longer empty: left as it is
                folder.rmdir()
        raise ConfigError(
            f"cannot write the configuration ({exc.strerror or exc})", file=str(config_path)
        ) from None


def _missing_folders(folder: Path) -> list[Path]:
    """The folders to make, outermost first, for ``folder`` to exist."""
    missing: list[Path] = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    return missing[::-1]


def _address_read(address: str) -> str:
    """The key (``feed_address_key``) of the address a feed's ``xmlUrl`` stands for: one
    written with a ``${NAME}`` reference (as ``sources export`` writes it) is compared by its
    value, as the configuration's are; an unset variable is left as written."""
    from veille.settings import ENV_REFERENCE

    def value(match: re.Match[str]) -> str:
        return os.environ.get(match.group(1), match.group(0))

    return feed_address_key(ENV_REFERENCE.sub(value, address) if "${" in address else address)


def _unique_urls(feeds: Sequence[OpmlFeed]) -> list[OpmlFeed]:
    """The feeds, each address (as ``_address_read`` compares them) given by its first."""
    seen: set[str] = set()
    unique = []
    for feed in feeds:
        address = _address_read(feed.xml_url)
        if address not in seen:
            seen.add(address)
            unique.append(feed)
    return unique


def add_brands_hint(brands: Sequence[str]) -> str:
    """The TOML to paste for brands that ``init`` could not add to an existing file."""
    return "\n".join(brand_block(name) for name in brands)
