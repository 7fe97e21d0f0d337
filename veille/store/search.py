"""Full-text search of mentions: the ``--search`` text turned into a query for each engine.

The search text is words (all required), ``"exact phrases"`` and ``-exclusions`` (``-word`` or
``-"a phrase"``). It is parsed here once, then written out in each engine's own syntax with
every term quoted, so that nothing a user types can break the SQL or the full-text syntax:

- SQLite: an FTS5 ``MATCH`` expression against ``documents_fts`` (title and text, accents folded
  by the ``unicode61 remove_diacritics 2`` tokenizer), ranked by ``bm25`` with the title
  weighing more than the text;
- PostgreSQL: ``websearch_to_tsquery`` against ``documents.search_vector``, with the text search
  configuration of each document's language (see :data:`PG_CONFIGS`), ranked by ``ts_rank_cd``.

Both objects are created by migration 0005 and are not in the models: ``is_search_object``
names them for the models/migrations comparison. A search with no searchable word (only
punctuation, or only stop words on PostgreSQL) matches nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Select,
    and_,
    bindparam,
    case,
    false,
    func,
    literal_column,
    not_,
    or_,
    select,
    table,
)
from sqlalchemy.sql.elements import UnaryExpression

from veille.store.schema import DocumentRow

# The text search configuration per document language (made by migration 0005); other
# languages, and documents of unknown language, use the simple one (no stemming).
PG_CONFIGS = {"fr": "veille_french", "en": "veille_english"}
PG_DEFAULT_CONFIG = "veille_simple"
FTS_TABLE = "documents_fts"
SEARCH_VECTOR = "search_vector"
# How much a hit in the title weighs against one in the text, in the SQLite ranking.
TITLE_WEIGHT = 10.0
# Longer searches keep their first terms: FTS5 refuses too deep an expression tree.
MAX_TERMS = 32

_TERM = re.compile(r'(-?)(?:"([^"]*)"?|([^\s"]+))')
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class SearchTerms:
    """A parsed search: the phrases every result holds, and those none holds."""

    required: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()


def _searchable(phrase: str) -> bool:
    return any(char.isalnum() for char in phrase)


def parse_search(text: str) -> SearchTerms:
    """Split search text into required and excluded phrases (single words are phrases too)."""
    required: list[str] = []
    excluded: list[str] = []
    for match in _TERM.finditer(_CONTROL.sub(" ", text)):
        minus, quoted, word = match.groups()
        phrase = " ".join((quoted if quoted is not None else word).split())
        if not _searchable(phrase) or len(required) + len(excluded) >= MAX_TERMS:
            continue
        (excluded if minus else required).append(phrase)
    return SearchTerms(tuple(required), tuple(excluded))


def _fts5_string(phrase: str) -> str:
    return '"' + phrase.replace('"', '""') + '"'


def fts5_expression(terms: SearchTerms) -> str:
    """Return the FTS5 MATCH expression of terms holding at least one required phrase."""
    required = " AND ".join(_fts5_string(phrase) for phrase in terms.required)
    if not terms.excluded:
        return required
    excluded = " OR ".join(_fts5_string(phrase) for phrase in terms.excluded)
    return f"({required}) NOT ({excluded})"


def websearch_text(terms: SearchTerms) -> str:
    """Return the terms in ``websearch_to_tsquery`` syntax, every phrase quoted."""
    # Quoting each term keeps "or" a word, as on SQLite, rather than an operator.
    parts = [f'"{phrase}"' for phrase in terms.required]
    parts += [f'-"{phrase}"' for phrase in terms.excluded]
    return " ".join(parts)


def is_search_object(name: str | None, type_: str, table_name: str | None = None) -> bool:
    """Tell whether a schema object belongs to the full-text search (made outside the models)."""
    if type_ == "table":
        return name is not None and name.startswith(FTS_TABLE)
    if type_ == "column":
        return table_name == "documents" and name == SEARCH_VECTOR
    if type_ == "index":
        return name == f"ix_documents_{SEARCH_VECTOR}"
    return False


def _sqlite_matches(expression: str, *, rank: bool) -> Any:
    fts = table(FTS_TABLE)
    rowid: ColumnElement[Any] = literal_column(f"{FTS_TABLE}.rowid").label("document_id")
    columns: list[Any] = [rowid]
    if rank:
        weights = f"bm25({FTS_TABLE}, {TITLE_WEIGHT}, 1.0)"
        columns.append(literal_column(weights, Float).label("rank"))
    match = literal_column(FTS_TABLE).op("MATCH")(bindparam(None, expression))
    return select(*columns).select_from(fts).where(match)


def _pg_query(config: str, text: str) -> ColumnElement[Any]:
    return func.websearch_to_tsquery(
        literal_column(f"'{config}'::regconfig"), bindparam(None, text)
    )


def _pg_branches(text: str) -> list[tuple[ColumnElement[bool], ColumnElement[Any]]]:
    """(which documents, their tsquery) for each text search configuration."""
    lang = DocumentRow.lang
    branches = [(lang == code, _pg_query(config, text)) for code, config in PG_CONFIGS.items()]
    others = or_(lang.is_(None), lang.not_in(list(PG_CONFIGS)))
    branches.append((others, _pg_query(PG_DEFAULT_CONFIG, text)))
    return branches


def restrict(
    query: Select[Any], dialect: str, text: str, *, rank: bool = False
) -> tuple[Select[Any], UnaryExpression[Any] | None]:
    """Keep the documents matching ``text``; with ``rank``, also return the best-first ordering.

    ``query`` must select from ``documents``. The ordering is None when there is nothing to rank
    by (a search made of exclusions only).
    """
    terms = parse_search(text)
    if not terms.required and not terms.excluded:
        return query.where(false()), None
    if dialect == "postgresql":
        vector: ColumnElement[Any] = literal_column(f"documents.{SEARCH_VECTOR}")
        branches = _pg_branches(websearch_text(terms))
        query = query.where(or_(*(and_(which, vector.op("@@")(q)) for which, q in branches)))
        if not rank or not terms.required:
            return query, None
        per_language = case(*branches[:-1], else_=branches[-1][1])
        return query, func.ts_rank_cd(vector, per_language).desc()
    if not terms.required:
        only_excluded = " OR ".join(_fts5_string(phrase) for phrase in terms.excluded)
        matching = _sqlite_matches(only_excluded, rank=False)
        return query.where(not_(DocumentRow.id.in_(matching))), None
    hits = _sqlite_matches(fts5_expression(terms), rank=rank).subquery("search_hits")
    query = query.join(hits, hits.c.document_id == DocumentRow.id)
    return query, hits.c.rank.asc() if rank else None
