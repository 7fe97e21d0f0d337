"""The configuration file seen by a running daemon: noticing an edit, and saying what it changed.

The daemon reads ``veille.toml`` again before each job when its contents, or those of the OPML
files it names, changed since it last looked (compared by hash: an edit that keeps the size and
the modification time is noticed too). Its collect writes the configuration's brands and
sources into the database, so running on an outdated copy would undo the user's edits.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import tomli

from veille.schedule.jobs import Fields
from veille.schedule.logfmt import listed
from veille.settings import Settings, load_settings


def _opml_files(data: bytes, config_path: Path) -> list[Path]:
    """The OPML files the configuration's ``kind = "opml"`` sources name (none if unreadable)."""
    try:
        raw = tomli.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, tomli.TOMLDecodeError):
        return []
    sources: Any = raw.get("sources", [])
    files = []
    for entry in sources if isinstance(sources, list) else []:
        if isinstance(entry, dict) and entry.get("kind") == "opml":
            name = entry.get("file")
            if isinstance(name, str) and name:
                path = Path(name)
                files.append(path if path.is_absolute() else config_path.parent / path)
    return files


def fingerprint(config_path: Path) -> str:
    """A digest of the configuration file and of the OPML files it names, as they are now."""
    digest = hashlib.sha256()
    try:
        data = config_path.read_bytes()
    except OSError as exc:  # gone or unreadable: a state of its own, reported when read
        return f"unreadable:{type(exc).__name__}:{exc.errno}"
    digest.update(data)
    for path in _opml_files(data, config_path):
        digest.update(b"\0" + str(path).encode())
        try:
            digest.update(b"\0" + path.read_bytes())
        except OSError as exc:
            digest.update(f"\0unreadable:{exc.errno}".encode())
    return digest.hexdigest()


class ConfigWatcher:
    """Tells whether the configuration file changed since it was last looked at."""

    def __init__(self, config_path: Path) -> None:
        self.path = config_path
        self._seen = fingerprint(config_path)

    def changed(self) -> bool:
        """Whether the file (or an OPML file it names) changed since the last call."""
        now = fingerprint(self.path)
        if now == self._seen:
            return False
        self._seen = now
        return True

    def read(self) -> Settings:
        """The configuration as the file holds it now; a ConfigError says what is wrong."""
        return load_settings(self.path)


def _names(items: tuple[Any, ...]) -> list[str]:
    return [item.name for item in items]


def changes(old: Settings, new: Settings) -> Fields:
    """What an edit changed, at a glance: the tables that differ, the brands and sources now,
    those added and removed (a few names each)."""
    changed = [
        name
        for name in Settings.model_fields
        if name not in ("config_path", "database_url") and getattr(old, name) != getattr(new, name)
    ]
    fields: Fields = {
        "changed": ",".join(changed) or "none",
        "brands": len(new.brands),
        "sources": len(new.sources),
    }
    for table in ("brands", "sources"):
        before, after = _names(getattr(old, table)), _names(getattr(new, table))
        added = [name for name in after if name not in before]
        removed = [name for name in before if name not in after]
        if added:
            fields[f"{table}_added"] = listed(added)
        if removed:
            fields[f"{table}_removed"] = listed(removed)
    return fields
