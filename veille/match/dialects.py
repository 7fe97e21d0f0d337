"""Brand queries compiled to the search syntax of remote services.

Remote search is fuzzy and each service understands a different subset of boolean syntax, so a
compiled query aims at recall: it keeps what the service understands (terms, phrases, OR,
exclusions, a site scope) and drops the rest. Every result is matched again locally with the
full query, which is what decides.

Dialects:

- ``web``: Google News, Bing News, YouTube — ``a b`` (AND), ``a OR b``, ``-x``, ``"phrase"``,
  ``site:``, ``intitle:``.
- ``gdelt``: GDELT DOC 2.0 — like ``web`` but OR only inside parentheses, ``domainis:`` for
  sites, ``near5:"a b"`` for proximity, words of at least three letters.
- ``lucene``: Reddit, GitHub, Bluesky — ``AND``/``OR``/``NOT`` with parentheses and quotes.
- plain keyword search (Hacker News, Lemmy, Stack Exchange, Mastodon): see :func:`alternatives`.
"""

from __future__ import annotations

from veille.match.ast import And, Field, Near, Node, Not, Or, Phrase, Term
from veille.match.parser import parse_query

DIALECTS = ("web", "gdelt", "lucene")


def compile_query_for(query: str | Node, dialect: str) -> str:
    """The query in a remote dialect (``web``, ``gdelt`` or ``lucene``)."""
    if dialect not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r}; expected one of {', '.join(DIALECTS)}")
    node = parse_query(query) if isinstance(query, str) else query
    return (_render(node, dialect, top=True) or "").strip()


def alternatives(query: str | Node, *, limit: int = 5) -> list[str]:
    """Plain keyword searches that together cover the query (at most ``limit`` of them).

    For services that only take words, all of them required: the query is expanded into its
    OR-alternatives, each the positive words and phrases of one branch, without operators;
    exclusions, sites and languages are left to local matching.
    """
    node = parse_query(query) if isinstance(query, str) else query
    searches: dict[str, str] = {}  # folded → as written, so "Danone" and "danone" are one search
    for words in _expand(node, limit):
        text = " ".join(words).strip()
        if text:
            searches.setdefault(text.casefold(), text)
    return list(searches.values())[:limit]


def _expand(node: Node, limit: int) -> list[tuple[str, ...]]:
    """The query in disjunctive form: each alternative is the words it requires."""
    if isinstance(node, Term | Phrase):
        return [(node.text,)]
    if isinstance(node, Near):
        return [(node.left.text, node.right.text)]
    if isinstance(node, Or):
        return [words for child in node.children for words in _expand(child, limit)][:limit]
    if isinstance(node, And):
        combined: list[tuple[str, ...]] = [()]
        for child in node.children:
            combined = [a + b for a in combined for b in _expand(child, limit)][:limit]
        return combined
    if isinstance(node, Field) and node.name in ("title", "author"):
        return _expand(node.child, limit)
    return [()]  # NOT, site:, lang: add no word to search for


def _word(term: Term | Phrase, dialect: str) -> str | None:
    if isinstance(term, Phrase):
        return f'"{term.text}"'
    if dialect == "gdelt" and len(term.text) < 3:
        return None  # GDELT refuses words shorter than three letters
    if term.wildcard and dialect == "lucene":
        return f"{term.text}*"
    return term.text


def _render(node: Node, dialect: str, *, top: bool = False) -> str | None:
    """The node in the dialect, or None when the dialect cannot say it (left to local matching)."""
    if isinstance(node, Term | Phrase):
        return _word(node, dialect)
    if isinstance(node, Near):
        if dialect == "gdelt" and isinstance(node.left, Term) and isinstance(node.right, Term):
            return f'near{node.distance + 2}:"{node.left.text} {node.right.text}"'
        parts = [_word(node.left, dialect), _word(node.right, dialect)]
        joined = [part for part in parts if part]
        return _join(joined, " AND " if dialect == "lucene" else " ", top=top)
    if isinstance(node, And):
        rendered = [_render(child, dialect) for child in node.children]
        kept = [part for part in rendered if part]
        return _join(kept, " AND " if dialect == "lucene" else " ", top=top)
    if isinstance(node, Or):
        rendered = [_render(child, dialect) for child in node.children]
        if any(part is None for part in rendered):
            return None  # an OR with a branch the service cannot express would narrow it
        text = " OR ".join(part for part in rendered if part)
        return text if top and dialect != "gdelt" else f"({text})"
    if isinstance(node, Not):
        inner = _render(node.child, dialect)
        if inner is None:
            return None
        if dialect == "lucene":
            return f"NOT {inner}"
        return f"-{inner}" if isinstance(node.child, Term | Phrase) else None
    if isinstance(node, Field):
        return _render_field(node, dialect)
    return None


def _render_field(node: Field, dialect: str) -> str | None:
    child = node.child
    if node.name == "site" and isinstance(child, Term | Phrase):
        prefix = {"web": "site:", "gdelt": "domainis:", "lucene": "site:"}[dialect]
        return f"{prefix}{child.text}"
    if node.name == "title" and isinstance(child, Term | Phrase):
        word = _word(child, dialect)
        if word is None:
            return None
        return {"web": f"intitle:{word}", "gdelt": word, "lucene": f"title:{word}"}[dialect]
    if node.name == "title":
        return _render(child, dialect)
    return None  # lang: is asked through each service's own parameter; author: is local


def _join(parts: list[str], separator: str, *, top: bool) -> str | None:
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    text = separator.join(parts)
    return text if top else f"({text})"
