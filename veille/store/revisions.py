"""Schema revisions read without Alembic: the scripts' identifiers and the database's mark.

Every command checks that the database is at the revision the code expects; importing Alembic
for that alone took most of a short command's start-up. The revision scripts declare
``revision`` and ``down_revision`` as plain string assignments, read here as text; a test
checks that this agrees with Alembic's own reading. Alembic is imported only to migrate.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

from sqlalchemy import Connection, inspect, text

from veille.errors import StoreError
from veille.store.schema import metadata

VERSION_TABLE = "alembic_version"


def _assigned_strings(script: Path) -> dict[str, str | None]:
    """The module-level ``revision`` and ``down_revision`` of a revision script."""
    found: dict[str, str | None] = {}
    for node in ast.parse(script.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.AnnAssign):
            targets: list[ast.expr] = [node.target]
        elif isinstance(node, ast.Assign):
            targets = node.targets
        else:
            continue
        value = node.value
        for target in targets:
            named = isinstance(target, ast.Name) and target.id in ("revision", "down_revision")
            if named and isinstance(value, ast.Constant) and isinstance(value.value, str | None):
                found[target.id] = value.value  # type: ignore[attr-defined]
    return found


@cache
def script_revisions(versions_dir: Path) -> dict[str, str | None]:
    """Each revision of the scripts in ``versions_dir`` → the revision it follows."""
    revisions: dict[str, str | None] = {}
    for script in sorted(versions_dir.glob("*.py")):
        found = _assigned_strings(script)
        if "revision" in found:
            revision = found["revision"]
            if revision is None:
                raise StoreError(f"the migration {script.name} has no revision identifier")
            revisions[revision] = found.get("down_revision")
    return revisions


def head_of(revisions: dict[str, str | None]) -> str:
    """The one revision no other follows."""
    heads = set(revisions) - {down for down in revisions.values() if down is not None}
    if len(heads) != 1:
        found = ", ".join(sorted(heads)) or "none"
        raise StoreError(f"the migrations have {found} as latest revision, not exactly one")
    return heads.pop()


def recorded_revision(connection: Connection) -> str | None:
    """The revision recorded in the database, None when it has none."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    rows = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    if len(rows) > 1:
        raise StoreError(f"the database records several schema revisions: {', '.join(rows)}")
    return rows[0] if rows else None


def is_later_revision(revision: str, head: str) -> bool:
    """Whether a revision unknown here reads as a later veille's: numbered after ``head``."""
    return revision.isdigit() and head.isdigit() and int(revision) > int(head)


def other_tables(connection: Connection) -> list[str]:
    """The tables of the database that are not veille's, by name.

    Veille's are those of its schema, Alembic's revision table and, on SQLite, the full-text
    index's (``documents_fts`` and the tables FTS5 keeps beside it).
    """
    ours = set(metadata.tables) | {VERSION_TABLE}
    names = inspect(connection).get_table_names()
    return sorted(n for n in names if n not in ours and not n.startswith("documents_fts"))


def some_of(names: list[str], shown: int = 5) -> str:
    """A few names, and how many more: ``clients, orders, … (12 tables)``."""
    if len(names) <= shown:
        return ", ".join(names)
    return f"{', '.join(names[:shown])}, … ({len(names)} tables)"
