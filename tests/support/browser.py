"""The dashboard under test: mentions to show, a uvicorn server on 127.0.0.1, headless Chromium.

``python -m tests.support.browser [OUT.png]`` fills a SQLite database with the sample mentions,
serves the dashboard and photographs its overview (default ``docs/dashboard.png``).
"""

from __future__ import annotations

import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import uvicorn
from starlette.applications import Starlette

from tests.support.stores import T0, later, make_item
from veille.store import BrandSpec, SourceSpec, Store, StoredItem
from veille.types import SourceState
from veille.web import create_app

with warnings.catch_warnings():
    # Starlette's test client asks for httpx2 now; httpx still drives it fully.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

__all__ = ["TestClient"]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SAMPLE_START = datetime(2026, 2, 1, tzinfo=UTC)
SAMPLE_DAYS = 28
# The sample's period, for links that show it whatever today's date.
SAMPLE_PERIOD = "since=2026-02-01&until=2026-02-28"
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars",
)  # fmt: skip


def chromium_missing() -> bool:
    """Tell whether there is no Chromium to drive."""
    return not Path(CHROMIUM).is_file()


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    """Wait until something accepts connections on 127.0.0.1:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


@contextmanager
def serving(app: Starlette) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free 127.0.0.1 port in a thread; yield its base URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )


def dump_dom(url: str, profile: Path) -> str:
    """The DOM Chromium built for ``url``, serialised after the page loaded."""
    return _chromium(profile, "--dump-dom", url).stdout


def screenshot(url: str, out: Path, profile: Path, size: tuple[int, int] = (1280, 1700)) -> Path:
    """Photograph ``url`` at the given window size into ``out`` (PNG)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    _chromium(profile, f"--screenshot={out.resolve()}", f"--window-size={size[0]},{size[1]}", url)
    return out


SITES = (
    ("lemonde.fr", "news", ("Élodie Martin", "Jean Dupont")),
    ("lesechos.fr", "news", ("Claire Petit", "Marc Leroy")),
    ("bfmtv.com", "news", ("Sophie Bernard",)),
    ("news.ycombinator.com", "forum", ("pg_fan", "throwaway42")),
    ("mastodon.social", "social", ("@yaourt@mastodon.social", "@lea@mastodon.social")),
    ("reddit.com", "forum", ("u/consommateur", "u/frenchfood")),
    ("youtube.com", "video", ("Chaîne Conso",)),
)
HEADLINES = {
    "positive": ("{b} lance une gamme sans sucre ajouté", "{b} salué pour ses emballages recyclés"),
    "neutral": ("{b} publie ses résultats trimestriels", "Ce que l'on sait du plan de {b}"),
    "negative": ("Rappel produit : {b} retire des yaourts", "Grève dans une usine {b}"),
}


def sample_items(brand: str = "Danone", count: int = 240, seed: int = 7) -> list[StoredItem]:
    """Mentions of ``brand`` over the sample period: sites, authors and tones that vary."""
    rng = random.Random(seed)
    items = []
    for index in range(count):
        site, platform, authors = rng.choices(SITES, weights=(5, 3, 2, 2, 3, 2, 1))[0]
        day = rng.randrange(SAMPLE_DAYS)
        # A bad-news spike in the third week, as a dashboard is there to show.
        weights = (2, 5, 6) if 14 <= day <= 17 else (3, 5, 2)
        tone = rng.choices(("positive", "neutral", "negative"), weights=weights)[0]
        sentiment = {"positive": 0.55, "neutral": 0.0, "negative": -0.6}[tone]
        published = SAMPLE_START + timedelta(days=day, minutes=rng.randrange(24 * 60))
        identity = f"{site}-{index}"
        items.append(
            make_item(
                identity,
                brands=(brand,),
                tone=tone,
                sentiment=round(sentiment + rng.uniform(-0.3, 0.3), 2),
                title=rng.choice(HEADLINES[tone]).format(b=brand),
                text=f"Article {index} de {site} au sujet de {brand}.",
                site=site,
                platform=platform,
                author_name=rng.choice(authors),
                url=f"https://{site}/{identity}",
                canonical_url=f"https://{site}/{identity}",
                published_at=published,
                engagement=rng.randrange(0, 400),
            )
        )
    return items


def fill(store: Store, items: list[StoredItem], brands: tuple[str, ...] = ("Danone",)) -> None:
    """Declare the brands and one source, and save the items as one collection."""
    store.sync_config(
        [BrandSpec(name, name) for name in brands],
        [SourceSpec("lemonde", "rss", {"url": "https://www.lemonde.fr/rss/une.xml"})],
    )
    now = SAMPLE_START + timedelta(days=SAMPLE_DAYS)
    run = store.begin_run(now)
    store.save_collection(
        run,
        "lemonde",
        None,
        items,
        SourceState(),
        now=now,
        next_check_at=now + timedelta(hours=1),
        not_modified=False,
        duration=0.1,
    )


HOSTILE_TITLE = '<script>document.title="pwned"</script>"><img src=x onerror=alert(1)>'
HOSTILE_URL = "javascript:alert(document.cookie)"
FORMULA_TEXT = '=HYPERLINK("http://evil.example","click")'


def web_corpus() -> list[StoredItem]:
    """Seven mentions (six documents) that differ on every filter, a hostile one and a story.

    - a: acme, positive, news on lemonde.fr, by Élodie Martin, French, "produit";
    - b: acme and globex, negative, blog.lemonde.fr, by @critic, English;
    - c: globex, neutral, forum on news.ycombinator.com, English;
    - d: acme, negative, a hostile title, a ``javascript:`` link and a formula as text;
    - e, f: acme, neutral, one story (``story-1``) seen on two sites.
    """
    return [
        make_item(
            "a",
            tone="positive",
            sentiment=0.6,
            published_at=later(hours=1),
            title="Acme lance un produit",
            author_name="Élodie Martin",
            author_url="https://www.lemonde.fr/signataires/elodie-martin",
            engagement=10,
        ),
        make_item(
            "b",
            brands=("acme", "globex"),
            tone="negative",
            sentiment=-0.5,
            lang="en",
            published_at=later(days=1),
            title="Acme and Globex disappoint",
            site="blog.lemonde.fr",
            platform="blog",
            author_handle="@critic",
        ),
        make_item(
            "c",
            brands=("globex",),
            lang="en",
            published_at=later(days=2),
            title="Globex on Hacker News",
            site="news.ycombinator.com",
            platform="forum",
            engagement=5,
        ),
        make_item(
            "d",
            tone="negative",
            sentiment=-0.8,
            published_at=later(days=3),
            title=HOSTILE_TITLE,
            text=FORMULA_TEXT,
            url=HOSTILE_URL,
            canonical_url=HOSTILE_URL,
            author_name="Mallory",
            author_url="javascript:alert(2)",
        ),
        make_item("e", published_at=later(days=4), fingerprint="story-1", title="Acme story"),
        make_item(
            "f",
            published_at=later(days=4, hours=2),
            fingerprint="story-1",
            title="Acme story",
            site="lesechos.fr",
        ),
    ]


def save_items(store: Store, items: list[StoredItem], source: str = "lemonde") -> None:
    """Save items as one collection by ``source`` at T0."""
    run = store.begin_run(T0)
    store.save_collection(
        run,
        source,
        None,
        items,
        SourceState(),
        now=T0,
        next_check_at=later(hours=1),
        not_modified=False,
        duration=0.1,
    )


def read_only_twin(store: Store) -> Store:
    """A read-only store on the same database, as ``veille serve`` opens it."""
    return Store.open(store.engine.url.render_as_string(hide_password=False), read_only=True)


@contextmanager
def served_corpus(store: Store, failure: str) -> Iterator[Store]:
    """The web corpus and one source (gnews) failing with ``failure``, behind a read-only store."""
    save_items(store, web_corpus())
    run = store.begin_run(T0)
    store.record_failure(run, "gnews", None, failure, now=T0, next_check_at=later(hours=2))
    opened = read_only_twin(store)
    try:
        yield opened
    finally:
        opened.close()


def main(out: Path) -> None:
    """Photograph the overview of the sample mentions into ``out``."""
    with tempfile.TemporaryDirectory() as work:
        url = f"sqlite:///{Path(work) / 'veille.db'}"
        writer = Store.open(url)
        fill(writer, sample_items())
        writer.close()
        store = Store.open(url, read_only=True)
        try:
            with serving(create_app(store)) as base:
                page = f"{base}/?brand=Danone&{SAMPLE_PERIOD}&lang=fr"
                screenshot(page, out, Path(work) / "profile", size=(1280, 1900))
        finally:
            store.close()
    print(f"dashboard screenshot written to {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/dashboard.png"))
