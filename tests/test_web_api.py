"""The JSON API of ``veille serve``: every endpoint and filter, CSV, and clean 4xx answers."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest

from tests.support.browser import (
    FORMULA_TEXT,
    HOSTILE_URL,
    TestClient,
    save_items,
    served_corpus,
)
from tests.support.stores import T0, later, make_item, store_fixture  # noqa: F401
from veille.records import MENTION_FIELDS, SIGHTING_FIELDS, STAT_DIMENSIONS, STAT_FIELDS, csv_text
from veille.store import BrandSpec, MentionFilter, SourceSpec, Store
from veille.store.stats import STATS_KEYS
from veille.store.story_list import STORY_FIELDS
from veille.timeutil import utcnow
from veille.web import api, create_app

EVERYTHING = MentionFilter(limit=None)


@pytest.fixture
def reader(store: Store) -> Iterator[Store]:
    """The web corpus, and a failing source, behind a read-only store."""
    with served_corpus(store, "gnews: HTTP 503") as opened:
        yield opened


@pytest.fixture
def client(reader: Store) -> Iterator[TestClient]:
    """A client of the application over the read-only store."""
    with TestClient(create_app(reader)) as test_client:
        yield test_client


def letter(mention: dict[str, object]) -> str:
    """Which item of the corpus a mention comes from (a…f)."""
    return "d" if mention["url"] == HOSTILE_URL else str(mention["url"]).rsplit("/", 1)[1]


def letters(mentions: list[dict[str, object]]) -> list[str]:
    return sorted(letter(mention) for mention in mentions)


def get_json(client: TestClient, url: str, status: int = 200) -> dict[str, object]:
    response = client.get(url)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, object] = response.json()
    return body


def test_mentions_lists_every_mention_newest_first_with_the_cli_fields(client: TestClient) -> None:
    body = get_json(client, "/api/mentions")
    mentions = body["mentions"]
    assert isinstance(mentions, list)
    assert (body["total"], body["limit"], body["offset"]) == (7, 50, 0)
    assert letters(mentions) == ["a", "b", "b", "c", "d", "e", "f"]
    assert all(tuple(mention) == MENTION_FIELDS for mention in mentions)
    times = [mention["published_at"] for mention in mentions]
    assert times == sorted(times, reverse=True)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("brand=globex", "bc"),
        ("brand=ACME", "abdef"),
        ("brand=%C3%A0cme", "abdef"),  # "àcme": accents aside, as --brand
        ("brand=acme&brand=globex", "abbcdef"),
        ("brand=", "abbcdef"),
        ("platform=blog", "bb"),
        ("site=lemonde.fr", "abbde"),
        ("site=blog.lemonde.fr", "bb"),
        ("site=blog.lemonde.fr&site=lesechos.fr", "bbf"),  # any of them
        ("site=blog.lemonde.fr&site=", "bb"),
        ("author=élodie", "a"),
        ("author=CRITIC", "bb"),
        ("tone=negative", "bbd"),
        ("tone=neutral", "cef"),
        ("language=en", "bbc"),
        ("language=EN-gb", "bbc"),
        ("since=2026-03-04", "cdef"),
        ("until=2026-03-03", "abb"),
        ("since=2026-03-03&until=2026-03-04", "bbc"),
        ("since=7d", ""),
        ("search=produit", "a"),
        ("search=globex", "bbc"),
        ("search=-globex", "adef"),
        ("brand=globex&tone=negative", "b"),
    ],
)
def test_mentions_filters(client: TestClient, query: str, expected: str) -> None:
    body = get_json(client, f"/api/mentions?{query}")
    assert isinstance(body["mentions"], list)
    assert "".join(letters(body["mentions"])) == expected
    assert body["total"] == len(expected)


def test_mentions_pages_cover_the_list_once(client: TestClient) -> None:
    whole = get_json(client, "/api/mentions")["mentions"]
    assert isinstance(whole, list)
    pages = []
    for offset in (0, 3, 6, 9):
        body = get_json(client, f"/api/mentions?limit=3&offset={offset}")
        assert body["total"] == 7
        assert isinstance(body["mentions"], list)
        pages.extend(body["mentions"])
    assert [m["id"] for m in pages] == [m["id"] for m in whole]


def test_mentions_csv_has_the_cli_fields_and_neutralised_formulas(
    client: TestClient, reader: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small export batches, so that the export goes through several pages.
    monkeypatch.setattr(api, "EXPORT_BATCH", 2)
    response = client.get("/api/mentions?format=csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    assert response.text == csv_text(reader.list_mentions(EVERYTHING), MENTION_FIELDS)
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 7
    hostile = next(row for row in rows if row["url"] == HOSTILE_URL)
    assert hostile["text"] == "'" + FORMULA_TEXT
    limited = client.get("/api/mentions?format=csv&limit=2&tone=negative")
    assert len(list(csv.DictReader(io.StringIO(limited.text)))) == 2


def test_the_api_and_the_command_offer_every_key_the_store_groups_by() -> None:
    assert STAT_DIMENSIONS == STATS_KEYS


@pytest.mark.parametrize("by", STAT_DIMENSIONS)
def test_stats_match_the_store_for_every_dimension(
    client: TestClient, reader: Store, by: str
) -> None:
    body = get_json(client, f"/api/stats?by={by}")
    assert body == {"by": by, "groups": reader.stats(EVERYTHING, by)}


def test_stats_filters_limit_and_csv(client: TestClient) -> None:
    body = get_json(client, "/api/stats?by=site&brand=globex")
    assert isinstance(body["groups"], list)
    assert {group["key"] for group in body["groups"]} == {"blog.lemonde.fr", "news.ycombinator.com"}
    assert body["by"] == "site"
    top = get_json(client, "/api/stats?limit=1")
    assert isinstance(top["groups"], list) and len(top["groups"]) == 1
    assert top["by"] == "platform" and top["groups"][0]["key"] == "news"
    response = client.get("/api/stats?by=tone&format=csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert tuple(rows[0]) == STAT_FIELDS
    assert sorted(row[0] for row in rows[1:]) == ["negative", "neutral", "positive"]


def test_overview_of_a_period(client: TestClient) -> None:
    body = get_json(client, "/api/overview?since=2026-03-01&until=2026-03-10")
    assert body["total"] == 7
    assert body["tones"] == {"negative": 3, "neutral": 3, "positive": 1}
    assert body["avg_sentiment"] == pytest.approx((0.6 - 0.5 * 2 - 0.8) / 7, abs=1e-4)
    days = body["days"]
    assert isinstance(days, list)
    assert [day["day"] for day in days] == [f"2026-03-{n:02d}" for n in range(1, 11)]
    by_day = {day["day"]: (day["positive"], day["neutral"], day["negative"]) for day in days}
    assert by_day["2026-03-02"] == (1, 0, 0)
    assert by_day["2026-03-03"] == (0, 0, 2)
    assert by_day["2026-03-06"] == (0, 2, 0)
    assert sum(day["mentions"] for day in days) == 7
    voice = [(row["key"], row["mentions"]) for row in body["share_of_voice"]]  # type: ignore[attr-defined]
    assert voice == [("acme", 5), ("globex", 2)]
    terms = [(row["key"], row["mentions"]) for row in body["terms"]]  # type: ignore[attr-defined]
    assert terms == [("acme", 5), ("globex", 2)]
    found = get_json(client, "/api/mentions?term=globex&since=2026-03-01&until=2026-03-10")
    assert found["total"] == 2
    assert [(row["key"], row["mentions"]) for row in body["platforms"]] == [  # type: ignore[attr-defined]
        ("news", 4),
        ("blog", 2),
        ("forum", 1),
    ]
    assert {row["key"]: row["mentions"] for row in body["authors"]} == {  # type: ignore[attr-defined]
        "@critic": 2,
        "Élodie Martin": 1,
        "Mallory": 1,
    }
    negative = body["negative"]
    assert isinstance(negative, list)
    assert [letter(mention) for mention in negative] == ["d", "b", "b"]


def test_daily_stats_in_a_time_zone(client: TestClient) -> None:
    utc = get_json(client, "/api/stats?by=day")["groups"]
    paris = get_json(client, "/api/stats?by=day&timezone=Europe/Paris")["groups"]
    assert isinstance(utc, list) and isinstance(paris, list)
    assert sum(row["mentions"] for row in utc) == sum(row["mentions"] for row in paris)
    assert paris == get_json(client, "/api/stats?by=day&timezone=Europe%2FParis")["groups"]


def test_the_overview_volume_comes_by_day_then_by_week(client: TestClient) -> None:
    short = get_json(client, "/api/overview?since=2026-03-01&until=2026-03-10")
    volume = short["volume"]
    assert isinstance(volume, dict) and volume["unit"] == "day"
    assert [bar["start"] for bar in volume["bars"]] == [day["day"] for day in short["days"]]  # type: ignore[index]
    long = get_json(client, "/api/overview?since=2025-10-01&until=2026-03-10")
    volume = long["volume"]
    assert isinstance(volume, dict) and volume["unit"] == "week"
    bars = volume["bars"]
    assert isinstance(bars, list) and len(bars) == 24
    assert (bars[0]["start"], bars[0]["end"]) == ("2025-10-01", "2025-10-05")
    assert (bars[-1]["start"], bars[-1]["end"]) == ("2026-03-09", "2026-03-10")
    assert sum(bar["mentions"] for bar in bars) == long["total"] == 7
    # The days stay days, whatever the chart's unit: 161 of them.
    assert isinstance(long["days"], list) and len(long["days"]) == 161


def test_overview_of_a_brand_and_its_default_period(client: TestClient) -> None:
    globex = get_json(client, "/api/overview?brand=globex&since=2026-03-01")
    assert globex["brands"] == ["globex"] and globex["total"] == 2
    assert get_json(client, "/api/overview?tone=positive&since=2026-03-01")["negative"] == []
    default = get_json(client, "/api/overview")
    since = default["since"]
    assert isinstance(since, str)
    # From the midnight (UTC here) that starts the day 30 days ago: whole days only.
    days_ago = {(utcnow() - timedelta(days=30, minutes=m)).date() for m in (0, 1)}
    assert since in {f"{day.isoformat()}T00:00:00Z" for day in days_ago}


def test_story_lists_every_sighting(client: TestClient) -> None:
    body = get_json(client, "/api/stories/story-1")
    assert body["story_id"] == "story-1" and body["total"] == 2
    assert isinstance(body["mentions"], list)
    assert letters(body["mentions"]) == ["e", "f"]
    assert {mention["story_id"] for mention in body["mentions"]} == {"story-1"}
    response = client.get("/api/stories/story-1?format=csv")
    assert len(list(csv.DictReader(io.StringIO(response.text)))) == 2
    one = get_json(client, "/api/stories/story-1?limit=1&offset=1")
    assert isinstance(one["mentions"], list) and len(one["mentions"]) == 1


def test_a_document_naming_two_brands_is_one_sighting_of_its_story(client: TestClient) -> None:
    # b names acme and globex: two mentions, one document, as --group-by story counts it.
    (both,) = get_json(client, "/api/mentions?search=disappoint&brand=globex")["mentions"]  # type: ignore[misc]
    story_id = both["story_id"]
    body = get_json(client, f"/api/stories/{story_id}")
    assert body["total"] == 1
    (sighting,) = body["mentions"]  # type: ignore[misc]
    assert sighting["brands"] == ["acme", "globex"] and sighting["brand"] == "acme"
    assert sighting["matched"] == ["acme", "globex"]
    assert tuple(sighting) == SIGHTING_FIELDS
    table = list(
        csv.DictReader(io.StringIO(client.get(f"/api/stories/{story_id}?format=csv").text))
    )
    assert len(table) == 1 and table[0]["brands"] == "acme; globex"
    page = client.get(f"/stories/{story_id}?lang=fr").text
    assert "1 apparition" in page and "(1)</span>" in page and "(2)</span>" not in page
    assert "<td>acme, globex</td>" in page


def test_every_story_counts_what_the_stories_listing_counts(
    client: TestClient, reader: Store
) -> None:
    stories = reader.list_stories(MentionFilter(limit=None))
    assert stories
    for story in stories:
        body = get_json(client, f"/api/stories/{story['story_id']}?limit=500")
        assert body["total"] == story["sightings"], story
        sightings = body["mentions"]
        assert isinstance(sightings, list)
        assert len({sighting["site"] for sighting in sightings}) == story["sites"]
        assert sorted({b for sighting in sightings for b in sighting["brands"]}) == story["brands"]


def test_sources_health_and_csv(client: TestClient, reader: Store) -> None:
    body = get_json(client, "/api/sources")
    assert body == {"sources": reader.source_health()}
    rows = {row["name"]: row for row in body["sources"]}  # type: ignore[attr-defined]
    assert rows["gnews"]["consecutive_failures"] == 1
    assert "503" in rows["gnews"]["last_error"]
    assert rows["lemonde"]["last_ok_at"] is not None
    response = client.get("/api/sources?format=csv")
    table = list(csv.DictReader(io.StringIO(response.text)))
    assert tuple(table[0]) == api.SOURCE_FIELDS
    assert {row["name"] for row in table} == {"gnews", "hn", "lemonde"}


def test_brands(client: TestClient) -> None:
    assert get_json(client, "/api/brands") == {"brands": ["acme", "globex"]}
    listed = client.get("/api/brands?format=csv")
    assert listed.headers["content-type"] == "text/csv; charset=utf-8"
    assert listed.text.splitlines() == ["brand", "acme", "globex"]
    assert client.get("/api/brands?format=excel").text.startswith("\ufeffbrand")


def test_the_overview_is_json_only_and_says_where_csv_is(client: TestClient) -> None:
    for output in ("csv", "excel"):
        refused = get_json(client, f"/api/overview?format={output}", 400)
        assert refused["parameter"] == "format"
        assert "/api/mentions and /api/stats give CSV" in str(refused["message"])
    assert "total" in get_json(client, "/api/overview?format=json")


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/api/mentions?tone=happy", "tone"),
        ("/api/mentions?since=yesterday", "since"),
        ("/api/mentions?until=2026-13-01", "until"),
        ("/api/mentions?since=99999999999w", "since"),
        ("/api/mentions?until=99999d", "until"),
        ("/api/mentions?limit=0", "limit"),
        ("/api/mentions?limit=501", "limit"),
        ("/api/mentions?limit=ten", "limit"),
        ("/api/mentions?limit=1e3", "limit"),
        ("/api/mentions?offset=-1", "offset"),
        ("/api/mentions?format=xml", "format"),
        ("/api/mentions?search=a%00b", "search"),
        ("/api/mentions?platform=" + "x" * 501, "platform"),
        ("/api/mentions?site=%01", "site"),
        ("/api/mentions?site=lemonde.fr/economie", "site"),
        ("/api/stats?site=https://www.lemonde.fr/economie", "site"),
        ("/api/mentions?language=french", "language"),
        ("/api/stats?language=" + "é" * 500, "language"),
        ("/api/stats?by=color", "by"),
        ("/api/stats?by=%20platform", "by"),
        ("/api/stats?tone=%09", "tone"),
        ("/api/stats?limit=0", "limit"),
        ("/api/stats?by=day&timezone=Mars/Olympus", "timezone"),
        ("/api/stats?by=day&timezone=../etc/passwd", "timezone"),
        ("/api/overview?since=soon", "since"),
        ("/api/stories/a%00b", "story_id"),
        ("/api/sources?format=pdf", "format"),
    ],
)
def test_bad_parameters_are_named_400s(client: TestClient, url: str, parameter: str) -> None:
    body = get_json(client, url, 400)
    assert body["error"] == "bad_parameter"
    assert body["parameter"] == parameter
    assert str(body["message"]).startswith(f"{parameter}: expected ")


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/api/mentions?brand=initech", "brand"),
        ("/api/overview?brand=initech", "brand"),
        ("/api/stats?brand=acme&brand=initech", "brand"),
        ("/api/mentions?platform=myspace", "platform"),
        ("/api/overview?platform=myspace", "platform"),
        ("/api/mentions?term=initech", "term"),
        ("/api/stats?by=tone&term=initech", "term"),
        ("/api/stories/no-such-story", "story_id"),
        ("/api/nothing-here", None),
    ],
)
def test_unknown_things_are_404s(client: TestClient, url: str, parameter: str | None) -> None:
    body = get_json(client, url, 404)
    assert body["error"] == "not_found" and body["parameter"] == parameter
    if parameter == "brand":
        assert "known: acme, globex" in str(body["message"])
    if parameter == "platform":  # veille's platforms and the stored ones
        assert "unknown platform 'myspace' (known: " in str(body["message"])
        assert "blog" in str(body["message"]) and "news" in str(body["message"])
    if parameter == "term":
        assert "unknown term 'initech' (known: " in str(body["message"])
        assert "globex" in str(body["message"])


def test_platform_and_term_are_read_as_the_command_line_reads_them(reader: Store) -> None:
    # A configured brand no pass has collected yet: its terms are known, and find nothing.
    app = create_app(reader, brands=["Initech"], brand_queries=['"Initech Corp" OR initrode'])
    with TestClient(app) as client:
        assert letters(get_json(client, "/api/mentions?platform=BLOG")["mentions"]) == letters(
            get_json(client, "/api/mentions?platform=blog")["mentions"]
        )
        for term in ("initrode", "initech corp", "%22INITECH%20CORP%22"):
            assert get_json(client, f"/api/mentions?term={term}")["mentions"] == []
        assert get_json(client, "/api/mentions?term=initech", 404)["parameter"] == "term"


def test_other_methods_are_refused_cleanly(client: TestClient) -> None:
    response = client.post("/api/mentions", json={})
    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"
    for path in ("/api/brands", "/api/stories/story-1", "/static/veille.css"):
        refused = client.post(path)
        assert refused.status_code == 405 and refused.headers["allow"] == "GET, HEAD", path
    assert "allowed: GET, HEAD" in client.delete("/api/brands").json()["message"]


def test_extreme_but_valid_values_answer(client: TestClient) -> None:
    for url in (
        "/api/mentions?since=0001-01-01&until=9999-12-31&limit=500&offset=1000000000",
        "/api/mentions?since=0001-01-01T00:00%2B05:00&until=9999-12-31T23:00-05:00",
        "/api/overview?until=9999-12-31&timezone=Pacific/Kiritimati",
        "/?until=9999-12-31",
        "/api/stats?by=day&since=0001-01-01&limit=1000000",
        "/api/mentions?search=%22%22%20-%20OR%20NEAR%20*&author=%25_",
        "/api/mentions?author=" + "é" * 500,
    ):
        assert client.get(url).status_code == 200, url


def test_dates_at_the_ends_of_the_calendar_are_read_and_a_too_long_look_back_is_named(
    client: TestClient,
) -> None:
    everything = get_json(client, "/api/mentions?until=9999-12-31&timezone=America/New_York")
    assert everything["total"] == 7
    too_long = get_json(client, "/api/mentions?since=99999d", 400)
    assert (
        too_long["message"]
        == "since: expected a look-back of at most 100 years (36525d), got '99999d'"
    )
    page = client.get("/mentions?since=99999d&lang=fr").text
    assert "since\u00a0: attendu une durée d&#39;au plus 100 ans (36525d)" in page


def test_an_excel_export_opens_as_a_spreadsheet_in_french_opens_csv(client: TestClient) -> None:
    response = client.get("/api/stats?by=tone&format=excel")
    assert response.status_code == 200
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeffkey;mentions;share;")  # UTF-8 read as such, ";" between cells
    plain = client.get("/api/stats?by=tone&format=csv").content.decode("utf-8")
    first_row = text.splitlines()[1].split(";")
    plain_row = plain.splitlines()[1].split(",")
    assert first_row[0] == plain_row[0]
    assert first_row[2] == plain_row[2].replace(".", ",")  # the share, with a decimal comma
    mentions = client.get("/api/mentions?format=excel&limit=2").content.decode("utf-8")
    assert mentions.startswith("\ufeffid;brand;")


def test_stories_groups_the_filtered_mentions_with_the_cli_fields(client: TestClient) -> None:
    body = get_json(client, "/api/stories")
    stories = body["stories"]
    assert isinstance(stories, list)
    assert (body["total"], body["limit"], body["offset"]) == (5, 50, 0)
    assert all(tuple(story) == STORY_FIELDS for story in stories)
    first = stories[0]
    assert (first["story_id"], first["sightings"], first["sites"]) == ("story-1", 2, 2)
    assert (first["neutral"], first["title"]) == (2, "Acme story")
    seen = [story["last_seen"] for story in stories]
    assert seen == sorted(seen, reverse=True)
    negative = get_json(client, "/api/stories?tone=negative&brand=globex")
    assert negative["total"] == 1
    # A story names the brands of the mentions kept: globex's alone here.
    assert negative["stories"][0]["brands"] == ["globex"]  # type: ignore[index]
    paged = get_json(client, "/api/stories?limit=2&offset=2")
    assert paged["total"] == 5
    assert (
        [s["story_id"] for s in paged["stories"]]
        == [  # type: ignore[attr-defined]
            s["story_id"] for s in stories[2:4]
        ]
    )
    found = get_json(client, "/api/stories?search=produit&since=2026-03-01&timezone=Europe/Paris")
    assert found["total"] == 1
    table = list(csv.reader(io.StringIO(client.get("/api/stories?format=csv").text)))
    assert tuple(table[0]) == STORY_FIELDS and len(table) == 6
    excel = client.get("/api/stories?format=excel&limit=1").content.decode("utf-8")
    assert excel.startswith("\ufeffstory_id;title;") and len(excel.splitlines()) == 2
    assert get_json(client, "/api/stories?by=site", 400)["parameter"] == "by"
    assert get_json(client, "/api/stories?brand=initech", 404)["parameter"] == "brand"


def test_a_removed_brands_story_links_show_its_sightings(store: Store, client: TestClient) -> None:
    # globex shares a story with acme (g names acme, h globex alone), then leaves the
    # configuration: its mentions stay listed by name, and so do its stories' sightings.
    save_items(
        store,
        [
            make_item("g", published_at=later(days=5), fingerprint="story-2"),
            make_item("h", brands=("globex",), published_at=later(days=6), fingerprint="story-2"),
        ],
    )
    store.sync_config(
        [BrandSpec("acme", 'acme OR "acme corp"', ("fr", "en"))],
        [SourceSpec("lemonde", "rss", {"url": "https://www.lemonde.fr/rss/une.xml"})],
    )
    listing = client.get("/mentions?brand=globex&lang=en").text
    assert 'href="/stories/story-2?brand=globex"' in listing
    grouped = client.get("/stories?brand=globex&lang=en").text
    assert 'href="/stories/story-2?brand=globex"' in grouped
    (shared,) = [
        story
        for story in get_json(client, "/api/stories?brand=globex")["stories"]  # type: ignore[attr-defined]
        if story["story_id"] == "story-2"
    ]
    assert shared["brands"] == ["globex"] and shared["sightings"] == 1
    removed = get_json(client, "/api/stories/story-2?brand=globex")
    assert removed["total"] == 1 and removed["brands"] == ["globex"]
    assert letters(removed["mentions"]) == ["h"]  # type: ignore[arg-type]
    active = get_json(client, "/api/stories/story-2")
    assert active["total"] == 1 and letters(active["mentions"]) == ["g"]  # type: ignore[arg-type]
    # A story only globex saw (c) is still shown by its id, as --brand globex lists it.
    (alone,) = get_json(client, "/api/mentions?brand=globex&platform=forum")["mentions"]  # type: ignore[misc]
    assert alone["url"].endswith("/c")
    assert 'href="/stories/' + alone["story_id"] + '?brand=globex"' in listing
    for url in (
        f"/api/stories/{alone['story_id']}",
        f"/api/stories/{alone['story_id']}?brand=globex",
    ):
        body = get_json(client, url)
        assert body["total"] == 1 and body["brands"] == ["globex"]
    page = client.get(f"/stories/{alone['story_id']}?lang=en")
    assert page.status_code == 200 and "1 sighting" in page.text and "Brand: globex" in page.text
    assert get_json(client, "/api/stories/story-2?brand=initech", 404)["parameter"] == "brand"


@pytest.mark.parametrize(
    ("url", "parameter", "hint"),
    [
        (
            "/api/mentions?lang=fr&tone=negative&format=csv",
            "lang",
            "the mention language is 'language'",
        ),
        ("/api/mentions?brnad=acme", "brnad", "did you mean 'brand'?"),
        ("/api/mentions?group_by=story", "group_by", "(known: brand, platform,"),
        ("/api/stats?by=tone&lang=xx", "lang", "'language'"),
        ("/api/overview?limit=5", "limit", "known: brand,"),
        ("/api/stories/story-1?timezone=UTC", "timezone", "(known: brand, limit, offset, format)"),
        ("/api/sources?brand=acme", "brand", "(known: format)"),
        ("/api/brands?lang=en", "lang", "(known: format)"),
        ("/api/openapi.json?x=1", "x", "(known: none)"),
    ],
)
def test_the_api_refuses_a_parameter_it_does_not_take(
    client: TestClient, url: str, parameter: str, hint: str
) -> None:
    body = get_json(client, url, 400)
    assert body["error"] == "unknown_parameter" and body["parameter"] == parameter
    assert str(body["message"]).startswith(f"unknown parameter {parameter!r}")
    assert hint in str(body["message"])


def test_the_token_and_what_the_pages_links_send_are_taken(reader: Store) -> None:
    with TestClient(create_app(reader, token="s3cret")) as client:
        bearer = {"authorization": "Bearer s3cret"}
        assert client.get("/api/brands?token=s3cret", headers=bearer).status_code == 200
        for page in ("/mentions?tone=negative&timezone=Europe/Paris&lang=fr", "/stories/story-1"):
            links = client.get(page, headers=bearer).text
            exports = re.findall(r'href="(/api/[^"]+)"', links)
            assert len(exports) == 2, page
            for export in exports:
                answer = client.get(export.replace("&amp;", "&"), headers=bearer)
                assert answer.status_code == 200, (export, answer.text)
    # The pages ignore what they do not take: a bookmark or a browser may add some.
    with TestClient(create_app(reader)) as client:
        assert client.get("/mentions?utm_source=bookmark&group_by=story").status_code == 200


def test_an_unknown_brand_lists_the_brands_as_api_brands_orders_them(reader: Store) -> None:
    app = create_app(reader, brands=["Zeta", "bêta", "Alpha"])
    with TestClient(app) as client:
        ordered = get_json(client, "/api/brands")["brands"]
        assert ordered == ["acme", "Alpha", "bêta", "globex", "Zeta"]
        body = get_json(client, "/api/mentions?brand=initech", 404)
        assert "(known: acme, Alpha, bêta, globex, Zeta)" in str(body["message"])
        page = client.get("/mentions?brand=initech&lang=fr").text
        assert "connues\u00a0: acme, Alpha, bêta, globex, Zeta" in page
