"""GitHub search: the brand query in GitHub's syntax, and search results as mentions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from veille.collectors.api import from_timestamp
from veille.collectors.figures import figures
from veille.match.ast import And, Field, Near, Node, Not, Or, Phrase, Term
from veille.match.dialects import alternatives, compile_query_for
from veille.match.parser import parse_query
from veille.types import RawMention, plain_as_html

# GraphQL search of discussions: GitHub's discussion search syntax, newest first.
DISCUSSIONS_QUERY = """
query($q: String!, $first: Int!, $after: String) {
  search(type: DISCUSSION, query: $q, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes {
      ... on Discussion {
        id url number title body createdAt upvoteCount
        author { login url }
        repository { nameWithOwner url }
        comments { totalCount }
        reactions { totalCount }
      }
    }
  }
}
""".strip()


def github_keywords(query: str) -> str | None:
    """The brand query as GitHub search keywords (words, "phrases", OR, NOT; AND implied).

    GitHub has no field scopes for ``site:``, ``author:`` or ``lang:`` and treats ``AND`` as
    implicit, so scopes are dropped and the lucene rendering loses its ``AND`` operators. An
    OR with a branch GitHub cannot say is widened to the query's plain keyword alternatives.
    None when nothing is left to search for (a query of scopes or exclusions only).
    """
    node = parse_query(query)
    searchable = _searchable(node)
    if searchable is None or isinstance(searchable, Not):
        words = [f"({text})" if " " in text else text for text in alternatives(node)]
        return " OR ".join(words) or None
    compiled = compile_query_for(searchable, "lucene")
    words = _tokens(compiled)
    return " ".join(word for word in words if word != "AND")


def _searchable(node: Node) -> Node | None:
    """The part of the query GitHub can search for, or None when nothing is left."""
    if isinstance(node, Term) and node.wildcard:
        return Term(node.text, case_sensitive=node.case_sensitive)  # GitHub has no wildcard
    if isinstance(node, Term | Phrase | Near):
        return node
    if isinstance(node, Field):
        return _searchable(node.child) if node.name == "title" else None
    if isinstance(node, Not):
        child = _searchable(node.child)
        return Not(child) if child is not None else None
    children = [_searchable(child) for child in node.children] if isinstance(node, And | Or) else []
    kept = [child for child in children if child is not None]
    if isinstance(node, Or) and len(kept) < len(children):
        return None
    if not kept or all(isinstance(child, Not) for child in kept):
        return None  # exclusions alone search for nothing
    if len(kept) == 1:
        return kept[0]
    return And(tuple(kept)) if isinstance(node, And) else Or(tuple(kept))


def _tokens(text: str) -> list[str]:
    """Whitespace-separated tokens, a "quoted phrase" staying one token."""
    tokens: list[str] = []
    current, quoted = "", False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char.isspace() and not quoted:
            if current:
                tokens.append(current)
            current = ""
        else:
            current += char
    if current:
        tokens.append(current)
    return tokens


def json_object(value: Any) -> dict[str, Any]:
    """``value`` when it is a JSON object, else an empty one (APIs send null for absent)."""
    return value if isinstance(value, dict) else {}


def created_after(moment: datetime) -> str:
    """The ``created:>`` qualifier for a moment, to the second, in UTC."""
    return "created:>" + moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def issue_mention(item: Any, *, source: str) -> RawMention | None:
    """One item of ``/search/issues`` (an issue or a pull request) as a mention."""
    if not isinstance(item, dict) or not isinstance(item.get("html_url"), str):
        return None
    user = json_object(item.get("user"))
    reactions = json_object(item.get("reactions"))
    repository = _repository_name(item.get("repository_url"), item["html_url"])
    metrics, engagement, reach = figures(
        {"comments": item.get("comments"), "likes": reactions.get("total_count")}
    )
    return RawMention(
        source=source,
        url=item["html_url"],
        title=plain_as_html(str(item.get("title") or "")),
        content_html=plain_as_html(str(item.get("body") or "")),  # Markdown, read as text
        author_name=user.get("login"),
        author_handle=user.get("login"),
        author_url=user.get("html_url"),
        published_at=from_timestamp(item.get("created_at")),
        site_name=repository,
        site_url=_repository_url(item["html_url"]),
        platform="github",
        reach=reach,
        engagement=engagement,
        metrics=metrics,
        extra={
            "platform_id": item.get("node_id") or item["html_url"],
            "kind": "pull_request" if item.get("pull_request") else "issue",
            "number": item.get("number"),
            "state": item.get("state"),
            "labels": [
                str(label["name"]) for label in item.get("labels") or [] if isinstance(label, dict)
            ],
            "reactions": {k: v for k, v in reactions.items() if isinstance(v, int) and v},
        },
    )


def discussion_mention(node: Any, *, source: str) -> RawMention | None:
    """One discussion of the GraphQL search as a mention."""
    if not isinstance(node, dict) or not isinstance(node.get("url"), str):
        return None
    author = json_object(node.get("author"))  # None: ghost
    repository = json_object(node.get("repository"))
    metrics, engagement, reach = figures(
        {
            "comments": json_object(node.get("comments")).get("totalCount"),
            "likes": json_object(node.get("reactions")).get("totalCount"),
            "upvotes": node.get("upvoteCount"),
        }
    )
    return RawMention(
        source=source,
        url=node["url"],
        title=plain_as_html(str(node.get("title") or "")),
        content_html=plain_as_html(str(node.get("body") or "")),  # Markdown, read as text
        author_name=author.get("login"),
        author_handle=author.get("login"),
        author_url=author.get("url"),
        published_at=from_timestamp(node.get("createdAt")),
        site_name=repository.get("nameWithOwner"),
        site_url=repository.get("url"),
        platform="github",
        reach=reach,
        engagement=engagement,
        metrics=metrics,
        extra={
            "platform_id": node.get("id") or node["url"],
            "kind": "discussion",
            "number": node.get("number"),
        },
    )


def _repository_name(api_url: Any, html_url: str) -> str | None:
    """``owner/repo`` from ``repository_url`` (``…/repos/owner/repo``), else from the page URL."""
    if isinstance(api_url, str) and "/repos/" in api_url:
        return api_url.rsplit("/repos/", 1)[1].strip("/") or None
    parts = urlsplit(html_url).path.strip("/").split("/")
    return "/".join(parts[:2]) if len(parts) >= 2 else None


def _repository_url(html_url: str) -> str | None:
    """The repository's page from an issue's page (``https://github.com/owner/repo``)."""
    parts = urlsplit(html_url)
    segments = parts.path.strip("/").split("/")
    if len(segments) < 2:
        return None
    return f"{parts.scheme}://{parts.netloc}/{segments[0]}/{segments[1]}"
