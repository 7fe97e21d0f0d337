"""The terms of the brands' queries, as ``--term`` (and the dashboard's ``?term=``) names them."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, Connection, TableValuedAlias, func, select

from veille.store.schema import brand_table, mention_table

# The quotes a phrase may be written in (the query language's: straight, curly, « »).
_QUOTES = '"“”„«»'
_CASE_MARKER = "case:"


def term_key(term: str) -> str:
    """How a term asked for is compared with the queries' terms: its ``case:`` marker, a
    phrase's quotes, case, accents, the kind of apostrophe and spacing aside (``l'oreal`` for
    the query's ``"L’Oréal"``, ``total`` for its ``case:Total``)."""
    from veille.normalize.text import name_key

    text = term.strip()
    while text.startswith(_CASE_MARKER):
        text = text.removeprefix(_CASE_MARKER).strip()
    return name_key(text.strip(_QUOTES + " \t\u00a0\u202f"))


def query_terms(connection: Connection) -> list[str]:
    """The terms the stored brands' queries look for, as a mention stores them (a phrase in
    double quotes, a wildcard with its ``*``, no ``case:``), sorted, each once."""
    return queries_terms(connection.execute(select(brand_table.c.query)).scalars())


def queries_terms(queries: Iterable[str]) -> list[str]:
    """The terms ``queries`` look for, as ``query_terms`` gives them; a query that does not
    parse (stored by an older version that read queries otherwise) gives none."""
    from veille.errors import QueryError
    from veille.match.ast import positive_terms
    from veille.match.parser import parse_query

    labels: set[str] = set()
    for query in queries:
        try:
            labels.update(positive_terms(parse_query(query)))
        except QueryError:
            continue
    return sorted(labels)


def matched_terms(connection: Connection) -> TableValuedAlias:
    """The terms each mention matched, one row each (a function of the mention's row)."""
    if connection.dialect.name == "postgresql":
        terms = func.json_array_elements_text(mention_table.c.matched_terms)
    else:
        terms = func.json_each(mention_table.c.matched_terms)
    return terms.table_valued("value").alias("term")


def _spellings(connection: Connection, term: str) -> list[str]:
    """The stored spellings of ``term``, lower-cased: the queries' terms it names, and itself
    as written, bare and quoted (for terms of a query since changed)."""
    key = term_key(term)
    bare = term.strip()
    while bare.startswith(_CASE_MARKER):
        bare = bare.removeprefix(_CASE_MARKER).strip()
    bare = bare.strip(_QUOTES + " ")
    spellings = {term.strip(), bare, f'"{bare}"'}
    spellings.update(label for label in query_terms(connection) if term_key(label) == key)
    return sorted({spelling.lower() for spelling in spellings})


def found_by(connection: Connection, term: str) -> ColumnElement[bool]:
    """The mention was found by this term of its query (compared as ``term_key`` says)."""
    terms = matched_terms(connection)
    # Any case: lower() is Unicode-aware on SQLite too (veille/store/db.py).
    found = select(terms.c.value).where(func.lower(terms.c.value).in_(_spellings(connection, term)))
    return found.exists()


def some_mention_found_by(connection: Connection, term: str) -> bool:
    """Whether a stored mention was found by ``term`` (of a query since changed, say)."""
    found = select(mention_table.c.id).where(found_by(connection, term)).limit(1)
    return connection.execute(found).first() is not None
