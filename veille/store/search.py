"""Full-text search of mentions: the ``--search`` text turned into a query for each engine.

The search text is words (all required), ``"exact phrases"`` and ``-exclusions`` (``-word`` or
``-"a phrase"``). It is parsed here once, then written out in each engine's own syntax with
every term quoted, so that nothing a user types can break the SQL or the full-text syntax:

- SQLite: an FTS5 ``MATCH`` expression against ``documents_fts`` (title and text, accents folded
  by the ``unicode61 remove_diacritics 2`` tokenizer), ranked by ``bm25`` with the title
  weighing more than the text;
- PostgreSQL: ``websearch_to_tsquery`` against ``documents.search_vector``, with the text search
  configuration of each document's language (see :data:`PG_CONFIGS`), ranked by ``ts_rank_cd``.
  PostgreSQL's parser reads a host, a web or e-mail address or a file name as one word
  (``www.danone.com/recall``): the vector is built from the title and text with the
  characters joining their words (:data:`PG_SEPARATORS`) read as spaces (migration 0018), and
  the search text is read the same way, so that ``danone`` finds them, as on SQLite, and
  ``danone.com`` is the phrase « danone com ».

Both objects are created by migration 0005 and are not in the models: ``is_search_object``
names them for the models/migrations comparison. A search with no searchable word (only
punctuation, or only stop words on PostgreSQL) matches nothing.

Ranking every match of a frequent word means reading every matching document (PostgreSQL keeps
no ranking data in its index), which takes seconds on a large database. A ranked listing
therefore ranks the mentions of the most recently stored matching documents, up to
:data:`RANKED_MENTIONS` of them, and lists the older matches after those, newest first. A search
matching fewer mentions is ranked whole. The candidates are found by walking the matching
documents newest first, which stops early for a frequent word; they are first looked for among
the :data:`RECENT_DOCUMENTS` documents stored last, a range any plan reads quickly, so that the
planner's estimate of a phrase's frequency (too low when its words go together) cannot send it
through every document holding the words. When that range holds too few, one wider range,
sized by the matches it did hold, is searched before the whole index. A search with a start of
period is already bounded to recent documents and skips those steps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Connection,
    Float,
    Integer,
    Row,
    Select,
    bindparam,
    case,
    false,
    func,
    literal_column,
    not_,
    select,
    table,
)

from veille.store.schema import document_table

# The text search configuration per document language (made by migration 0005); other
# languages, and documents of unknown language, use the simple one (no stemming).
PG_CONFIGS = {"fr": "veille_french", "en": "veille_english"}
PG_DEFAULT_CONFIG = "veille_simple"
# Read as spaces in the documents' title and text and in the search text, on PostgreSQL (as
# migration 0018 builds search_vector): the characters joining the words of addresses.
PG_SEPARATORS = "./@"
_PG_SPACES = str.maketrans(PG_SEPARATORS, " " * len(PG_SEPARATORS))
FTS_TABLE = "documents_fts"
SEARCH_VECTOR = "search_vector"
# How much a hit in the title weighs against one in the text, in the SQLite ranking.
TITLE_WEIGHT = 10.0
# Longer searches keep their first terms: FTS5 refuses too deep an expression tree.
MAX_TERMS = 32
# A ranked listing ranks the mentions of at most this many of the newest matching documents.
RANKED_MENTIONS = 500
# How many of the last stored documents the ranking candidates are first looked for in.
RECENT_DOCUMENTS = 50_000
# How much wider than the matches seen in the recent documents say is needed a search looks next.
WIDENING_MARGIN = 1.5

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
    """Return the terms in ``websearch_to_tsquery`` syntax, every phrase quoted.

    The characters of :data:`PG_SEPARATORS` are read as spaces, as in the search vector.
    """
    # Quoting each term keeps "or" a word, as on SQLite, rather than an operator.
    parts = [f'"{phrase}"' for phrase in terms.required]
    parts += [f'-"{phrase}"' for phrase in terms.excluded]
    return " ".join(parts).translate(_PG_SPACES)


def is_search_object(name: str | None, type_: str, table_name: str | None = None) -> bool:
    """Tell whether a schema object belongs to the full-text search (made outside the models)."""
    if type_ == "table":
        return name is not None and name.startswith(FTS_TABLE)
    if type_ == "column":
        return table_name == "documents" and name == SEARCH_VECTOR
    if type_ == "index":
        return name == f"ix_documents_{SEARCH_VECTOR}"
    return False


class Restriction(NamedTuple):
    """A query kept to the matches of a search, with what a ranked listing needs."""

    query: Select[Any]
    # The relevance of each row, higher first; None when not ranked or nothing to rank by.
    score: ColumnElement[float] | None
    # The matching document's id, as the engine walks it in order (the FTS5 rowid on SQLite).
    document_id: ColumnElement[int]


def _sqlite_matches(expression: str, *, rank: bool) -> Any:
    fts = table(FTS_TABLE)
    rowid: ColumnElement[Any] = literal_column(f"{FTS_TABLE}.rowid", Integer).label("document_id")
    columns: list[Any] = [rowid]
    if rank:
        # bm25 is lower for better matches; negated, every engine's score is higher-is-better.
        weights = f"-bm25({FTS_TABLE}, {TITLE_WEIGHT}, 1.0)"
        columns.append(literal_column(weights, Float).label("score"))
    match = literal_column(FTS_TABLE).op("MATCH")(bindparam(None, expression))
    return select(*columns).select_from(fts).where(match)


def _pg_query(config: str, text: str) -> ColumnElement[Any]:
    return func.websearch_to_tsquery(
        literal_column(f"'{config}'::regconfig"), bindparam(None, text)
    )


def _pg_matches(vector: ColumnElement[Any], text: str) -> tuple[list[Any], ColumnElement[Any]]:
    """The conditions of a document matching ``text``, and the tsquery of its language."""
    lang = document_table.c.lang
    queries = {code: _pg_query(config, text) for code, config in PG_CONFIGS.items()}
    default = _pg_query(PG_DEFAULT_CONFIG, text)
    own = case(*((lang == code, q) for code, q in queries.items()), else_=default)
    every = default
    for q in queries.values():
        every = every.op("||")(q)
    # The query in every language's spelling is what the GIN index can find, in one scan; the
    # document's own language then decides. (One indexed condition per language made the
    # planner intersect each with the language index: 30 ms of a 40 ms search.)
    return [vector.op("@@")(every), vector.op("@@")(own)], own


def restrict(query: Select[Any], dialect: str, text: str, *, rank: bool = False) -> Restriction:
    """Keep the documents matching ``text``; with ``rank``, also give each row's relevance.

    ``query`` must select from ``documents``. The score is None when there is nothing to rank
    by (a search made of exclusions only).
    """
    terms = parse_search(text)
    document_id: ColumnElement[int] = document_table.c.id
    if not terms.required and not terms.excluded:
        return Restriction(query.where(false()), None, document_id)
    if dialect == "postgresql":
        vector: ColumnElement[Any] = literal_column(f"documents.{SEARCH_VECTOR}")
        conditions, own = _pg_matches(vector, websearch_text(terms))
        query = query.where(*conditions)
        if not rank or not terms.required:
            return Restriction(query, None, document_id)
        return Restriction(query, func.ts_rank_cd(vector, own, type_=Float), document_id)
    if not terms.required:
        only_excluded = " OR ".join(_fts5_string(phrase) for phrase in terms.excluded)
        matching = _sqlite_matches(only_excluded, rank=False)
        return Restriction(query.where(not_(document_table.c.id.in_(matching))), None, document_id)
    hits = _sqlite_matches(fts5_expression(terms), rank=rank).subquery("search_hits")
    query = query.join(hits, hits.c.document_id == document_table.c.id)
    return Restriction(query, hits.c.score if rank else None, hits.c.document_id)


def candidates(
    connection: Connection, restriction: Restriction, *, bounded: bool = False
) -> tuple[list[Row[Any]], int | None]:
    """The rows of the newest matching documents to rank, and where the older matches begin.

    ``restriction`` is a ranked one whose query selects ``document_id`` among its columns. The
    rows come with their ``score``: those of the newest matching documents, up to
    :data:`RANKED_MENTIONS` rows and whole documents. The id returned is that of the newest
    matching document left out (the older matches are those of ids up to it), None when every
    match is among the rows. ``bounded`` says the restriction already keeps a range of recent
    documents (a period): it is then searched whole, at once.
    """
    if restriction.score is None:
        raise ValueError("candidates need a ranked restriction")
    # Ordered by the document id alone: FTS5 then walks its index backwards and stops early.
    query = (
        restriction.query.add_columns(restriction.score.label("score"))
        .order_by(restriction.document_id.desc())
        .limit(RANKED_MENTIONS)
    )

    def matches_after(document_id: int) -> list[Row[Any]]:
        return list(connection.execute(query.where(restriction.document_id > document_id)))

    rows: list[Row[Any]] = []
    newest = None if bounded else connection.execute(select(func.max(document_table.c.id))).scalar()
    if newest is not None and newest > RECENT_DOCUMENTS:
        rows = matches_after(newest - RECENT_DOCUMENTS)
        if 0 < len(rows) < RANKED_MENTIONS:
            # Too few matches: look once where those seen say enough lie (with a margin),
            # rather than step by step; past half the documents, the whole index is read.
            wider = int(RECENT_DOCUMENTS * WIDENING_MARGIN * RANKED_MENTIONS / len(rows))
            if wider < newest / 2:
                rows = matches_after(newest - wider)
    if len(rows) < RANKED_MENTIONS:
        rows = list(connection.execute(query))
    if len(rows) < RANKED_MENTIONS:
        return rows, None
    # The limit may cut the last document's mentions apart: it goes with the older matches.
    left_out = rows[-1].document_id
    return [row for row in rows if row.document_id != left_out], left_out
