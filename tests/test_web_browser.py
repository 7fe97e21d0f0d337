"""The dashboard in headless Chromium against a real server on 127.0.0.1.

Screenshots of the overview are kept in ``artifacts/web/`` (ignored by git).
"""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.support.browser import (
    HOSTILE_TITLE,
    SAMPLE_DAYS,
    SAMPLE_PERIOD,
    chromium_missing,
    dump_dom,
    fill,
    sample_items,
    screenshot,
    serving,
    web_corpus,
)
from veille.store import MentionFilter, Store
from veille.web import create_app

pytestmark = pytest.mark.skipif(
    chromium_missing(), reason="no chromium (Debian package `chromium`) to drive"
)
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "web"


class Dom(HTMLParser):
    """The elements and the text of a DOM dumped by Chromium."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.texts: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.texts.append(data)

    def named(self, tag: str, css_class: str | None = None) -> list[dict[str, str | None]]:
        return [
            attrs
            for name, attrs in self.elements
            if name == tag and (css_class is None or css_class in str(attrs.get("class")).split())
        ]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Store, Path]]:
    """The sample mentions and the hostile corpus, served read-only; (base URL, store, work)."""
    work = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{work / 'veille.db'}"
    writer = Store.open(url)
    fill(writer, sample_items() + web_corpus(), brands=("Danone", "acme", "globex"))
    writer.close()
    reader = Store.open(url, read_only=True)
    try:
        with serving(create_app(reader)) as base:
            yield base, reader, work
    finally:
        reader.close()


def test_the_overview_renders_its_charts(site: tuple[str, Store, Path]) -> None:
    base, _, work = site
    dom = Dom(dump_dom(f"{base}/?brand=Danone&{SAMPLE_PERIOD}", work / "profile"))
    assert len(dom.named("svg", "chart-volume")) == 1
    assert len(dom.named("svg", "chart-tones")) == 1
    days = dom.named("g", "bar")
    assert len(days) == SAMPLE_DAYS
    assert sum(int(str(day["data-total"])) for day in days) == len(sample_items())
    assert {"tone-positive", "tone-neutral", "tone-negative"} <= {
        str(rect.get("class")) for rect in dom.named("rect")
    }


@pytest.mark.parametrize("language", ["fr", "en"])
def test_screenshots_of_the_overview(site: tuple[str, Store, Path], language: str) -> None:
    base, _, work = site
    shot = screenshot(
        f"{base}/?brand=Danone&{SAMPLE_PERIOD}&lang={language}",
        ARTIFACTS / f"overview-{language}.png",
        work / f"profile-{language}",
        size=(1280, 1700),
    )
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 1700)
    # A blank or unstyled page compresses to little; the drawn dashboard does not.
    assert len(data) > 60_000
    print(f"screenshot: {shot}")


def test_a_filter_changes_the_list(site: tuple[str, Store, Path]) -> None:
    base, reader, work = site
    every = Dom(dump_dom(f"{base}/mentions?brand=Danone&limit=500", work / "profile"))
    negative = Dom(
        dump_dom(f"{base}/mentions?brand=Danone&tone=negative&limit=500", work / "profile")
    )
    expected = reader.list_mentions(MentionFilter(brands=("Danone",), tone="negative", limit=None))
    rows = negative.named("tr", "mention")
    assert len(rows) == len(expected) < len(every.named("tr", "mention"))
    assert [row["data-id"] for row in rows] == [str(m["id"]) for m in expected]
    badges = {str(span["class"]) for span in negative.named("span") if "tone" in str(span["class"])}
    assert badges == {"tone tone-negative"}


def test_a_hostile_mention_stays_text_and_runs_nothing(site: tuple[str, Store, Path]) -> None:
    base, _, work = site
    html = dump_dom(f"{base}/mentions?brand=acme&tone=negative", work / "profile")
    dom = Dom(html)
    # A script that ran would have renamed the page or left an element behind.
    assert "".join(dom.texts).count("pwned") == 1  # once, inside the escaped title
    assert dom.named("script") == [] and dom.named("img") == []
    assert all(not name.startswith("on") for _, attrs in dom.elements for name in attrs)
    hrefs = [str(a.get("href")) for a in dom.named("a")]
    assert not [href for href in hrefs if href.lower().startswith("javascript")]
    assert HOSTILE_TITLE in "".join(dom.texts)
    assert "<title>Mentions · veille</title>" in html
