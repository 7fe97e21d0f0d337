"""The dashboard's pages: charts, filters, story, sources, languages, escaping, token, headers."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import pytest

from tests.support.browser import (
    HOSTILE_TITLE,
    HOSTILE_URL,
    TestClient,
    read_only_twin,
    served_corpus,
)
from tests.support.stores import T0, configure, later, store_fixture  # noqa: F401
from veille.store import Store
from veille.web import create_app
from veille.web.security import CONTENT_SECURITY_POLICY, TOKEN_COOKIE, host_name, is_loopback

PERIOD = "since=2026-03-01&until=2026-03-10"
PAGES = (
    "/", f"/?{PERIOD}", "/mentions", "/stories", "/stories/story-1", "/sources", "/mentions?lang=en"
)  # fmt: skip


class Elements(HTMLParser):
    """Every element of a page with its attributes."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def named(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.elements if name == tag]


class FilterForm(HTMLParser):
    """What a browser sends when the page's filter form is submitted as it stands."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.action = ""
        self.sent: list[tuple[str, str]] = []
        self._in_form = False
        self._select: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = {name: value or "" for name, value in attrs}
        if tag == "form" and named.get("class") == "filters":
            self._in_form, self.action = True, named["action"]
        elif not self._in_form:
            return
        elif tag == "select":
            self._select = named["name"]
        elif tag == "option" and self._select and "selected" in named:
            self.sent.append((self._select, named["value"]))
        elif tag == "input" and named.get("value"):
            self.sent.append((named["name"], named["value"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False
        elif tag == "select":
            self._select = None

    def submitted(self, **changes: str) -> str:
        """The address the form goes to, with some fields changed."""
        sent = [(name, value) for name, value in self.sent if name not in changes]
        return self.action + "?" + urlencode([*sent, *changes.items()])


@pytest.fixture
def reader(store: Store) -> Iterator[Store]:
    """The web corpus, and a failing source, behind a read-only store."""
    with served_corpus(store, "gnews: HTTP 503 <b>bold</b>") as opened:
        yield opened


@pytest.fixture
def client(reader: Store) -> Iterator[TestClient]:
    with TestClient(create_app(reader)) as test_client:
        yield test_client


def page(client: TestClient, url: str, status: int = 200, **headers: str) -> Elements:
    response = client.get(url, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    return Elements(response.text)


def mention_ids(elements: Elements) -> list[str]:
    return [str(attrs["data-id"]) for attrs in elements.named("tr") if "data-id" in attrs]


def test_a_long_period_is_drawn_by_week_and_a_longer_one_by_month(client: TestClient) -> None:
    # The corpus's mentions are from 1 to 10 March 2026: since October 2025 is 161 days.
    elements = page(client, "/?since=2025-10-01&until=2026-03-10&lang=en")
    weeks = [attrs for attrs in elements.named("g") if attrs.get("class") == "bar"]
    assert weeks[0]["data-start"] == "2025-10-01" and weeks[0]["data-end"] == "2025-10-05"
    assert weeks[1]["data-start"] == "2025-10-06" and weeks[1]["data-end"] == "2025-10-12"
    assert weeks[-1]["data-start"] == "2026-03-09" and weeks[-1]["data-end"] == "2026-03-10"
    assert sum(int(str(week["data-total"])) for week in weeks) == 7
    html = client.get("/?since=2025-10-01&until=2026-03-10&lang=en").text
    assert "<h2>Volume by week</h2>" in html and "1–5 Oct 2025" in html
    months = page(client, "/?since=2023-12-01&until=2026-03-10")
    bars = [attrs for attrs in months.named("g") if attrs.get("class") == "bar"]
    assert [bar["data-start"] for bar in bars][:2] == ["2023-12-01", "2024-01-01"]
    assert bars[-1]["data-start"] == "2026-03-01" and bars[-1]["data-end"] == "2026-03-10"
    assert len(bars) == 28 and sum(int(str(bar["data-total"])) for bar in bars) == 7
    html = client.get("/?since=2023-12-01&until=2026-03-10&lang=fr").text
    assert "<h2>Volume par mois</h2>" in html and "janvier 2024" in html


def test_overview_draws_its_charts_as_inline_svg(client: TestClient) -> None:
    elements = page(client, f"/?{PERIOD}")
    charts = [attrs["class"] for attrs in elements.named("svg")]
    assert "chart chart-volume" in charts and "chart chart-tones" in charts
    days = [attrs for attrs in elements.named("g") if attrs.get("class") == "bar"]
    assert [day["data-start"] for day in days] == [f"2026-03-{n:02d}" for n in range(1, 11)]
    assert all(day["data-end"] == day["data-start"] for day in days)
    assert sum(int(str(day["data-total"])) for day in days) == 7
    assert "<h2>Volume par jour</h2>" in client.get(f"/?{PERIOD}").text
    bars = {attrs["class"] for attrs in elements.named("rect")}
    assert {"tone-positive", "tone-neutral", "tone-negative"} <= bars
    # The latest negative mentions: d then b (for both of its brands).
    assert len(mention_ids(elements)) == 3
    links = [str(attrs.get("href")) for attrs in elements.named("a")]
    assert "/mentions?since=2026-03-01&until=2026-03-10&platform=blog" in links
    # The matched terms, each linking to the mentions it found.
    assert "terms" in {attrs.get("id") for attrs in elements.named("section")}
    assert "/mentions?since=2026-03-01&until=2026-03-10&term=globex" in links
    assert mention_ids(page(client, "/mentions?term=globex"))
    assert "<h2>Termes trouvés</h2>" in client.get(f"/?{PERIOD}&lang=fr").text
    # Share of voice, as several brands have mentions: each brand links to its mentions.
    assert "brands" in {attrs.get("id") for attrs in elements.named("section")}
    assert "/mentions?since=2026-03-01&until=2026-03-10&brand=globex" in links


def test_overview_of_one_brand(client: TestClient) -> None:
    response = client.get(f"/?brand=globex&{PERIOD}")
    assert response.status_code == 200
    assert re.search(r'<span class="figure" id="total">2</span>', response.text)
    selected = [a for a in Elements(response.text).named("option") if "selected" in a]
    assert [option["value"] for option in selected] == ["globex"]
    # One brand is all of its own mentions: no share of voice.
    assert "brands" not in {attrs.get("id") for attrs in Elements(response.text).named("section")}


def test_the_mention_list_filters_and_pages(client: TestClient, reader: Store) -> None:
    assert len(mention_ids(page(client, "/mentions"))) == 7
    negative = page(client, "/mentions?tone=negative&brand=&platform=")
    assert len(mention_ids(negative)) == 3
    searched = page(client, "/mentions?search=produit")
    assert len(mention_ids(searched)) == 1
    first = page(client, "/mentions?limit=3")
    following = [a["href"] for a in first.named("a") if a.get("rel") == "next"]
    assert following == ["/mentions?limit=3&offset=3", "/mentions?limit=3&offset=3"]
    second = page(client, str(following[0]))
    assert set(mention_ids(first)).isdisjoint(mention_ids(second))
    exports = [str(a["href"]) for a in negative.named("a") if "download" in a]
    # The French page exports CSV as a spreadsheet in French opens it; the English one plain CSV.
    assert exports == ["/api/mentions?tone=negative&format=excel"]
    english = page(client, "/mentions?tone=negative&lang=en")
    assert [str(a["href"]) for a in english.named("a") if "download" in a] == [
        "/api/mentions?tone=negative&format=csv"
    ]
    assert "1–3" in client.get("/mentions?limit=3").text
    past = client.get("/mentions?offset=500")  # a stale link: no "7–7 of 7" beside no mention
    assert past.status_code == 200 and "7–7" not in past.text and 'rel="prev"' in past.text


def test_a_mention_links_to_its_story_and_the_story_lists_its_sightings(
    client: TestClient,
) -> None:
    listing = page(client, "/mentions")
    stories = {str(a["href"]) for a in listing.named("a") if a.get("class") == "story-link"}
    assert "/stories/story-1" in stories
    story = client.get("/stories/story-1")
    assert story.status_code == 200
    assert len(mention_ids(Elements(story.text))) == 2
    assert "lesechos.fr (1)" in story.text and "lemonde.fr (1)" in story.text
    missing = client.get("/stories/nothing-like-it")
    assert missing.status_code == 404 and "nothing-like-it" in missing.text


def story_rows(elements: Elements) -> list[str]:
    return [str(attrs["data-story"]) for attrs in elements.named("tr") if "data-story" in attrs]


def test_the_story_list_groups_filters_pages_and_links_each_story(client: TestClient) -> None:
    french = client.get("/stories")
    assert french.status_code == 200 and "<h1>Récits</h1>" in french.text
    assert "Vu en dernier" in french.text
    listed = Elements(french.text)
    # Six documents, e and f one story seen on two sites, the latest: first, counted twice.
    assert len(story_rows(listed)) == 5 and story_rows(listed)[0] == "story-1"
    links = [str(a["href"]) for a in listed.named("a") if a.get("class") == "story-link"]
    assert len(links) == 5 and links[0] == "/stories/story-1"
    assert all(client.get(link).status_code == 200 for link in links)
    english = client.get("/stories?lang=en")
    assert "<h1>Stories</h1>" in english.text and "Last seen" in english.text
    negative = page(client, "/stories?tone=negative&platform=&lang=en")
    assert len(story_rows(negative)) == 2
    assert [str(a["href"]) for a in negative.named("a") if "download" in a] == [
        "/api/stories?tone=negative&format=csv"
    ]
    assert len(story_rows(page(client, "/stories?search=produit"))) == 1
    first = page(client, "/stories?limit=2")
    following = [a["href"] for a in first.named("a") if a.get("rel") == "next"]
    assert following == ["/stories?limit=2&offset=2", "/stories?limit=2&offset=2"]
    second = page(client, str(following[0]))
    assert len(story_rows(second)) == 2
    assert set(story_rows(first)).isdisjoint(story_rows(second))
    assert "3–4 of 5" in client.get(str(following[0])).text  # the cookie keeps English
    past = client.get("/stories?offset=500&lang=en")
    assert past.status_code == 200 and "5 stories" in past.text and 'rel="prev"' in past.text
    # The mention list leads to its stories, with its filters, and back; the nav leads there.
    mentions = page(client, "/mentions?tone=negative")
    assert "/stories?tone=negative" in [a["href"] for a in mentions.named("a")]
    assert "/mentions?tone=negative" in [a["href"] for a in negative.named("a")]
    nav = page(client, "/sources?timezone=Europe/Paris")
    assert "/stories?timezone=Europe%2FParis" in [a["href"] for a in nav.named("a")]
    assert client.get("/stories?tone=furious").status_code == 400


def test_the_sources_page_shows_health(client: TestClient) -> None:
    response = client.get("/sources")
    assert response.status_code == 200
    rows = {str(attrs["class"]) for attrs in Elements(response.text).named("tr") if attrs}
    assert {"source state-ok", "source state-failing"} <= rows
    assert "gnews: HTTP 503 &lt;b&gt;bold&lt;/b&gt;" in response.text
    assert "jamais" in response.text  # hn never succeeded


def test_feed_text_stays_text_and_only_http_links_are_links(client: TestClient) -> None:
    for url in (f"/?{PERIOD}", "/mentions", "/mentions?tone=negative", "/stories"):
        response = client.get(url)
        elements = Elements(response.text)
        assert elements.named("script") == [] and elements.named("img") == []
        assert all(not name.startswith("on") for _, a in elements.elements for name in a)
        hrefs = [str(a.get("href")) for a in elements.named("a")]
        assert all(href.startswith(("/", "?", "http://", "https://")) for href in hrefs), hrefs
        assert HOSTILE_URL not in hrefs
        assert "&lt;script&gt;document.title=&#34;pwned&#34;&lt;/script&gt;" in response.text
        assert HOSTILE_TITLE not in response.text


def test_pages_send_a_strict_policy_and_no_inline_script_or_style(client: TestClient) -> None:
    for url in (*PAGES, "/static/veille.css", "/api/mentions", "/nowhere"):
        response = client.get(url)
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        if response.headers["content-type"].startswith("text/html"):
            elements = Elements(response.text)
            assert elements.named("script") == []
            assert all("style" not in attrs for _, attrs in elements.elements), url
            sheets = [a["href"] for a in elements.named("link") if a.get("rel") == "stylesheet"]
            assert sheets == ["/static/veille.css"]
    css = client.get("/static/veille.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert ".tone-negative" in css.text


def test_french_first_english_on_request(client: TestClient) -> None:
    assert '<html lang="fr">' in client.get("/mentions").text
    english = client.get("/mentions", headers={"accept-language": "en-GB,en;q=0.9,fr;q=0.5"})
    assert '<html lang="en">' in english.text
    preferring_french = client.get("/mentions", headers={"accept-language": "en;q=0.4,fr"})
    assert '<html lang="fr">' in preferring_french.text
    switched = client.get("/mentions?lang=en")
    assert '<html lang="en">' in switched.text and ">Overview<" in switched.text
    assert switched.cookies.get("veille_lang") == "en"
    assert '<html lang="en">' in client.get("/sources").text  # the switch is remembered
    back = client.get("/sources?lang=fr")
    assert '<html lang="fr">' in back.text and "État des sources" in back.text
    links = Elements(back.text).named("a")
    assert {"href": "/sources?lang=en", "hreflang": "en", "lang": "en"} in links


def test_bad_page_parameters_give_400_pages(client: TestClient) -> None:
    for url, name in (
        ("/mentions?tone=angry", "tone"),
        ("/?since=tomorrow", "since"),
        ("/mentions?limit=0", "limit"),
        ("/sources?lang=de", "lang"),
    ):
        response = client.get(url)
        assert response.status_code == 400, url
        # The page speaks French by default, as its error does; the API's stay in English.
        assert f"{name}\u00a0: attendu" in response.text, url
    unknown = client.get("/mentions?brand=initech")
    assert unknown.status_code == 404 and "marque inconnue &#39;initech&#39;" in unknown.text
    assert "unknown brand" in client.get("/api/mentions?brand=initech").json()["message"]
    for url, french in (
        ("/mentions?platform=myspace", "plateforme inconnue &#39;myspace&#39; (connues\u00a0: "),
        ("/?term=initech", "terme inconnu &#39;initech&#39; (connus\u00a0: "),
    ):
        unknown = client.get(url)
        assert unknown.status_code == 404 and french in unknown.text, url
    language = client.get("/?lang=de")
    assert language.status_code == 400 and "lang\u00a0: attendu fr ou en, reçu" in language.text
    english = client.get("/mentions?tone=angry&lang=en")  # the switch is remembered after it
    assert english.status_code == 400 and "tone: expected one of" in english.text


def test_a_token_guards_every_page_and_call(reader: Store) -> None:
    token = "s3cret-token-for-tests"
    with TestClient(create_app(reader, token=token), follow_redirects=False) as client:
        refused = client.get("/api/mentions")
        assert refused.status_code == 401 and refused.json()["error"] == "unauthorized"
        assert refused.headers["www-authenticate"] == "Bearer"
        assert (
            client.get("/api/mentions", headers={"authorization": "Bearer nope"}).status_code == 401
        )
        bearer = client.get("/api/mentions", headers={"authorization": f"Bearer {token}"})
        assert bearer.status_code == 200
        login = client.get("/mentions")
        assert login.status_code == 401 and 'name="token"' in login.text
        wrong = client.get("/mentions?token=nope")
        assert wrong.status_code == 401 and "pas le bon" in wrong.text
        assert client.get("/static/veille.css").status_code == 200
        elsewhere = client.get(f"/%2Fevil.example/?token={token}")
        assert elsewhere.status_code == 303 and elsewhere.headers["location"] == "/evil.example/"
        client.cookies.clear()
        accepted = client.get(f"/mentions?tone=negative&token={token}")
        assert accepted.status_code == 303
        assert accepted.headers["location"] == "/mentions?tone=negative"
        cookie = accepted.cookies.get(TOKEN_COOKIE)
        assert cookie and token not in cookie
        assert client.get("/mentions?tone=negative").status_code == 200
        assert client.get("/api/stats").status_code == 200
        client.cookies.clear()
        assert client.get("/mentions").status_code == 401


@pytest.mark.parametrize(
    "path", ["/%2Fevil.example/x", "/%2F%2Fevil.example/", "/%5Cevil.example/x"]
)
def test_a_crafted_path_gives_no_link_to_another_site(reader: Store, path: str) -> None:
    # Browsers read "//host/…" and "/\\host/…" as links to that host.
    def links(response_text: str) -> list[str]:
        elements = Elements(response_text)
        found = [a.get("href") or "" for a in elements.named("a")]
        return found + [form.get("action") or "" for form in elements.named("form")]

    with TestClient(create_app(reader)) as client:
        shown = links(client.get(path).text)  # a 404 page, with the language switch
    with TestClient(create_app(reader, token="s3cret-token-for-tests")) as client:
        shown += links(client.get(path).text)  # the access-token form
    assert any(link.endswith("?lang=en") for link in shown)  # the switch keeps the page, here
    assert not [link for link in shown if link.startswith(("//", "/\\"))]


def test_without_a_token_only_loopback_names_are_answered(reader: Store) -> None:
    app = create_app(reader, allowed_hosts=["127.0.0.1", "localhost", "::1"])
    with TestClient(app, base_url="http://127.0.0.1:8080") as client:
        assert client.get("/api/brands").status_code == 200
        assert client.get("/api/brands", headers={"host": "localhost:8080"}).status_code == 200
        assert client.get("/api/brands", headers={"host": "[::1]:8080"}).status_code == 200
        rebound = client.get("/api/brands", headers={"host": "evil.example:8080"})
        assert rebound.status_code == 400 and rebound.json()["error"] == "bad_host"


def test_a_name_not_answered_says_which_are_and_what_lifts_that(reader: Store) -> None:
    app = create_app(reader, allowed_hosts=["localhost", "127.0.0.1", "::1", "127.0.0.1"])
    with TestClient(app, base_url="http://127.0.0.1:8080") as client:
        host = {"host": "foo.localhost:8080"}
        page = client.get("/mentions", headers=host)
        assert page.status_code == 400 and page.headers["content-type"].startswith("text/html")
        assert '<html lang="fr">' in page.text and "Adresse non servie" in page.text
        assert "ne répond pas à l&#39;adresse &#39;foo.localhost&#39;" in page.text
        assert "seulement à localhost, 127.0.0.1, ::1\u00a0:" in page.text
        assert "VEILLE_WEB_TOKEN" in page.text
        english = client.get("/", headers={**host, "accept-language": "en"}).text
        assert "only for localhost, 127.0.0.1, ::1" in english and "VEILLE_WEB_TOKEN" in english
        refused = client.get("/api/brands", headers=host)
        assert refused.status_code == 400 and refused.json()["error"] == "bad_host"
        message = refused.json()["message"]
        assert message.startswith("this server does not answer for 'foo.localhost', only for ")
        assert "VEILLE_WEB_TOKEN" in message
        assert client.get("/static/veille.css", headers=host).status_code == 200


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.10", False),
        ("example.org", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_host_name_drops_the_port() -> None:
    assert host_name("127.0.0.1:8080") == "127.0.0.1"
    assert host_name("[::1]:8080") == "::1"
    assert host_name("Example.org") == "example.org"


def test_an_empty_database_shows_empty_pages(store: Store) -> None:
    reader = read_only_twin(store)
    try:
        with TestClient(create_app(reader)) as client:
            for url in ("/", "/mentions", "/sources", "/?brand=acme&since=2000-01-01"):
                response = client.get(url)
                assert response.status_code == 200, url
            overview = Elements(client.get("/").text)
            assert overview.named("g") == []  # no day to draw
            assert [a["class"] for a in overview.named("svg")] == ["chart chart-tones"]
            assert client.get("/api/overview").json()["days"] == []
    finally:
        reader.close()


def test_counted_words_agree_with_their_counts(client: TestClient) -> None:
    def kpis(url: str) -> list[str]:
        html = client.get(url).text
        return [re.sub(r"<[^>]+>", "", kpi) for kpi in re.findall(r'"kpi">(.*?)</div>', html)]

    one = "/?tone=positive&" + PERIOD  # mention a, alone
    # A share is of the mentions, whatever the count of negative ones: « 0 % négatives ».
    assert kpis(one)[:2] == ["1 mention", "0\u202f% négatives"]
    assert kpis(one + "&lang=en")[:2] == ["1 mention", "0% negative"]
    assert kpis("/?since=2000-01-01&until=2000-01-02&lang=fr")[0] == "0 mention"
    assert kpis("/?since=2000-01-01&until=2000-01-02&lang=en")[0] == "0 mentions"
    assert kpis(f"/?{PERIOD}&lang=fr")[:2] == ["7 mentions", "43\u202f% négatives"]
    # The volume chart's tooltips: each tone agreeing with its count, tones without any left out.
    bars = r'<g class="bar"[^>]*><title>([^<]*)</title>'
    tips = re.findall(bars, client.get(f"/?{PERIOD}&lang=fr").text)
    assert "lun. 02/03 — 1 (1 positive)" in tips and "mar. 03/03 — 2 (2 négatives)" in tips
    assert "dim. 01/03 — 0" in tips
    english = client.get(f"/?{PERIOD}&lang=en").text
    assert "Tue 03/03 — 2 (2 negative)" in english


def test_a_story_counts_its_sightings_and_sites(client: TestClient) -> None:
    story = client.get("/stories/story-1?lang=fr").text
    assert "2 apparitions" in story and "Sites\u00a0:" in story
    english = client.get("/stories/story-1?lang=en").text
    assert "2 sightings" in english and "Sites:" in english
    alone = client.get("/api/mentions?search=produit").json()["mentions"][0]["story_id"]
    single = client.get(f"/stories/{alone}?lang=fr").text
    assert "1 apparition<" in single and "Site\u00a0:" in single
    single_english = client.get(f"/stories/{alone}?lang=en").text
    assert "1 sighting<" in single_english and "Site:" in single_english


def test_the_brand_selector_shows_the_brands_asked_for_and_sends_them_back(
    client: TestClient,
) -> None:
    def chosen(url: str) -> list[str | None]:
        options = Elements(client.get(url).text).named("option")
        return [option["value"] for option in options if "selected" in option]

    # Written without its accents or in capitals, the brand is the one chosen in the list.
    assert chosen("/mentions?brand=%C3%80CME") == ["acme"]
    assert chosen(f"/?brand=%C3%A0cme&{PERIOD}") == ["acme"]
    form = FilterForm(client.get("/mentions?brand=%C3%A0cme").text)
    negative = page(client, form.submitted(tone="negative"))
    assert len(mention_ids(negative)) == 2  # b and d, acme's negatives only
    # Two brands: both chosen in a list that sends them both back.
    both = client.get("/mentions?brand=globex&brand=acme").text
    assert chosen("/mentions?brand=globex&brand=acme") == ["acme", "globex"]
    assert "multiple" in Elements(both).named("select")[0]
    again = FilterForm(both).submitted(tone="negative")
    assert sorted(parse_qsl(again.partition("?")[2])) == [
        ("brand", "acme"), ("brand", "globex"), ("tone", "negative")
    ]  # fmt: skip
    assert len(mention_ids(page(client, again))) == 3  # b for each brand, d


def test_the_sites_asked_for_are_each_in_the_form_and_sent_back(client: TestClient) -> None:
    both = client.get("/mentions?site=blog.lemonde.fr&site=lesechos.fr").text
    fields = [field for field in Elements(both).named("input") if field["name"] == "site"]
    assert [field["value"] for field in fields] == ["blog.lemonde.fr", "lesechos.fr"]
    assert len(mention_ids(page(client, "/mentions?site=blog.lemonde.fr&site=lesechos.fr"))) == 3
    again = FilterForm(both).submitted(tone="negative")
    assert sorted(parse_qsl(again.partition("?")[2])) == [
        ("site", "blog.lemonde.fr"), ("site", "lesechos.fr"), ("tone", "negative")
    ]  # fmt: skip
    # The overview keeps them too, in its hidden fields.
    overview = FilterForm(client.get(f"/?site=blog.lemonde.fr&site=lesechos.fr&{PERIOD}").text)
    assert [value for name, value in overview.sent if name == "site"] == [
        "blog.lemonde.fr",
        "lesechos.fr",
    ]
    # None asked for: one empty field.
    one = [f for f in Elements(client.get("/mentions").text).named("input") if f["name"] == "site"]
    assert [field.get("value") for field in one] == [""]


def test_another_method_gets_its_own_page_and_the_methods_allowed(client: TestClient) -> None:
    french = client.post("/?lang=fr")
    assert french.status_code == 405 and french.headers["allow"] == "GET, HEAD"
    assert "<h1>Méthode non acceptée" in french.text and "Base de données" not in french.text
    assert "la méthode POST n&#39;est pas acceptée ici (acceptées\u00a0: GET, HEAD)" in french.text
    english = client.post("/mentions?lang=en")
    assert english.status_code == 405 and english.headers["allow"] == "GET, HEAD"
    assert "<h1>Method not allowed" in english.text
    assert "POST is not allowed here (allowed: GET, HEAD)" in english.text


def test_an_unreadable_database_gets_a_503_page_in_the_page_language(tmp_path: Path) -> None:
    path = tmp_path / "veille.db"
    writer = Store.open(f"sqlite:///{path}")
    configure(writer)
    with (
        served_corpus(writer, "gnews: HTTP 503") as reader,
        TestClient(create_app(reader)) as client,
    ):
        assert client.get("/sources").status_code == 200
        with sqlite3.connect(path) as damage:  # another program breaks the database
            damage.execute("ALTER TABLE sources RENAME TO sources_gone")
        french = client.get("/sources?lang=fr")
        assert french.status_code == 503 and "Base de données indisponible" in french.text
        assert "la base de données ne peut pas être lue pour l&#39;instant" in french.text
        assert "no such table" not in french.text
        english = client.get("/sources?lang=en")
        assert english.status_code == 503 and "Database unavailable" in english.text
        api = client.get("/api/sources")
        assert api.status_code == 503 and api.json()["error"] == "database_unavailable"
    writer.close()


def test_signing_in_comes_back_to_the_page_as_asked_without_the_token(reader: Store) -> None:
    token = "s3cret-token-for-tests"
    with TestClient(create_app(reader, token=token), follow_redirects=False) as client:
        login = client.get("/mentions?brand=acme&tone=negative&lang=en")
        assert login.status_code == 401 and "Access token" in login.text
        form = FilterForm(login.text)
        assert form.action == "/mentions"
        signed_in = client.get(form.submitted(token=token))
        assert signed_in.status_code == 303
        assert signed_in.headers["location"] == "/mentions?brand=acme&tone=negative&lang=en"
        listing = client.get(signed_in.headers["location"])
        assert listing.status_code == 200 and '<html lang="en">' in listing.text
        assert len(mention_ids(Elements(listing.text))) == 2  # b and d
        client.cookies.clear()
        wrong = client.get("/mentions?brand=acme&token=nope")
        links = [str(a.get("href")) for a in Elements(wrong.text).named("a")]
        assert "/mentions?brand=acme&lang=en" in links
        assert not [link for link in links if "token" in link]
        assert 'value="nope"' not in wrong.text


def test_the_volume_axis_has_no_half_mention(client: TestClient) -> None:
    html = client.get(f"/?tone=positive&{PERIOD}").text  # one mention: an axis from 0 to 1
    assert re.findall(r'<text class="axis" x="34"[^>]*>([^<]*)</text>', html) == ["0", "1"]


def test_a_page_past_the_end_says_so_and_leads_back_to_the_last_page(client: TestClient) -> None:
    past = client.get("/mentions?limit=3&offset=60&lang=fr")
    assert past.status_code == 200 and "Aucune mention ne correspond" not in past.text
    assert "Cette page est au-delà de la fin de la liste, qui compte 7 mentions." in past.text
    previous = [a["href"] for a in Elements(past.text).named("a") if a.get("rel") == "prev"]
    assert previous == ["/mentions?limit=3&lang=fr&offset=6"]
    assert len(mention_ids(page(client, str(previous[0])))) == 1  # the last page: the seventh
    english = client.get("/stories/story-1?offset=100&lang=en")
    assert "This page is past the end of the list, which holds 2 mentions." in english.text
    back = [a["href"] for a in Elements(english.text).named("a") if a.get("rel") == "prev"]
    assert back == ["/stories/story-1?lang=en"]
    nothing = client.get("/mentions?search=absent&offset=50&lang=fr").text
    assert "Aucune mention ne correspond" in nothing and "au-delà" not in nothing


def test_configured_brands_are_known_before_their_first_collection(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'veille.db'}"
    Store.open(url).close()  # as `veille db upgrade` leaves it: no brand stored yet
    reader = Store.open(url, read_only=True)
    try:
        with TestClient(create_app(reader, brands=["Danone", "L'Oréal"])) as client:
            assert client.get("/api/brands").json() == {"brands": ["Danone", "L'Oréal"]}
            listing = client.get("/api/mentions?brand=danone")
            assert listing.status_code == 200 and listing.json()["total"] == 0
            overview = client.get("/?brand=l%E2%80%99oreal&lang=fr")
            assert overview.status_code == 200 and 'id="total">0</span> mention<' in overview.text
            options = Elements(overview.text).named("option")
            assert [o["value"] for o in options if "selected" in o] == ["L'Oréal"]
            assert client.get("/api/overview?brand=initech").status_code == 404
    finally:
        reader.close()
