"""Store reads: mention listings with every filter, statistics and source health."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tests.support.stores import T0, database_url_fixture, later, make_item, store_fixture  # noqa: F401
from veille.errors import StoreError
from veille.store import BrandSpec, MentionFilter, SourceSpec, Store, StoredItem, queries
from veille.types import MatchResult, SourceState, Tone

ALL = MentionFilter(limit=None)

CONTRACT_FIELDS = {
    "id",
    "brand",
    "platform",
    "source",
    "site",
    "url",
    "title",
    "text",
    "author",
    "author_handle",
    "author_url",
    "published_at",
    "collected_at",
    "lang",
    "sentiment",
    "tone",
    "matched",
    "reach",
    "engagement",
    "metrics",
    "story_id",
}


def save(store: Store, items: list[StoredItem], source: str = "lemonde") -> None:
    """Save items as one collection by ``source``."""
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


@pytest.fixture
def corpus(store: Store) -> Store:
    """A store holding six documents (seven mentions) that differ on every filtered field."""
    save(
        store,
        [
            make_item(
                "a",
                tone="positive",
                sentiment=0.6,
                published_at=later(hours=1),
                title="Acme lance un produit",
                author_name="Élodie Martin",
                author_url="https://www.lemonde.fr/signataires/elodie-martin",
                engagement=10,
                metrics={"likes": 7, "reposts": 3},
            ),
            make_item(
                "b",
                brands=("acme", "globex"),
                tone="negative",
                sentiment=-0.5,
                published_at=later(days=1),
                site="blog.lemonde.fr",
                text="100% déçu par acme_corp et globex",
            ),
            make_item("c", tone="neutral", published_at=later(days=2), site="notlemonde.fr"),
            make_item(
                "d",
                brands=("globex",),
                tone="negative",
                sentiment=-0.9,
                published_at=later(days=2, hours=1),
                platform="reddit",
                site="reddit.com",
                author_handle="u/GlobexWatcher",
                lang="en",
                reach=1200,
                engagement=45,
                metrics={"score": 40, "comments": 5, "followers": 1155},
            ),
            make_item("e", published_at=None, platform="blog", lang=None),
        ],
    )
    save(store, [make_item("f", platform="hackernews", published_at=later(-60))], source="hn")
    return store


def ids(mentions: list[dict[str, object]]) -> list[str]:
    """Return the identities of listed mentions (the last segment of their URL), in order."""
    return [str(mention["url"]).rsplit("/", 1)[-1] for mention in mentions]


def listed(store: Store, **criteria: object) -> list[str]:
    """List mentions matching the criteria (no limit) and return their short ids."""
    return ids(store.list_mentions(MentionFilter(limit=None, **criteria)))  # type: ignore[arg-type]


def test_mentions_have_exactly_the_contract_fields(corpus: Store) -> None:
    mentions = corpus.list_mentions(MentionFilter(brands=("globex",), platform="reddit"))
    assert len(mentions) == 1
    (mention,) = mentions
    assert set(mention) == CONTRACT_FIELDS
    assert mention["brand"] == "globex"
    assert mention["source"] == "lemonde"
    assert mention["author"] == "u/GlobexWatcher"
    assert mention["author_handle"] == "u/GlobexWatcher"
    assert mention["url"] == "https://www.lemonde.fr/d"
    assert mention["published_at"] == "2026-03-04T10:30:00Z"
    assert mention["collected_at"] == "2026-03-02T09:30:00Z"
    assert mention["matched"] == ["globex"]
    assert (mention["sentiment"], mention["tone"], mention["lang"]) == (-0.9, "negative", "en")
    assert (mention["reach"], mention["engagement"]) == (1200, 45)
    assert mention["metrics"] == {"score": 40, "comments": 5, "followers": 1155}


def test_mentions_give_the_handle_apart_and_empty_metrics_as_a_dict(corpus: Store) -> None:
    mentions = corpus.list_mentions(ALL)
    by_id = dict(zip(ids(mentions), mentions, strict=True))
    # "author" prefers the name; the handle is still there to filter and read by.
    assert (by_id["a"]["author"], by_id["a"]["author_handle"]) == ("Élodie Martin", None)
    assert by_id["d"]["author_handle"] == "u/GlobexWatcher"
    assert by_id["a"]["metrics"] == {"likes": 7, "reposts": 3}
    assert by_id["c"]["metrics"] == {}
    mention = mentions[0]
    assert list(mention).index("author_handle") == list(mention).index("author") + 1
    assert list(mention).index("metrics") == list(mention).index("engagement") + 1


def test_mentions_are_listed_newest_first_with_collection_time_as_fallback(corpus: Store) -> None:
    # "e" has no publication date: it counts as published when collected (T0).
    assert listed(corpus, brands=("acme",)) == ["c", "b", "a", "e", "f"]
    assert listed(corpus) == ["d", "c", "b", "b", "a", "e", "f"]
    assert len(corpus.list_mentions(MentionFilter(limit=2))) == 2


def test_an_export_reads_the_listing_once_in_batches(store: Store) -> None:
    older = [make_item(f"doc-{i:02d}", published_at=T0 + timedelta(minutes=i)) for i in range(25)]
    save(store, older)
    listed = store.list_mentions(ALL)
    batches = store.iter_mentions(ALL, batch_size=10)
    first = next(batches)
    # Mentions arriving meanwhile are not in the export and shift nothing in it (paging by
    # offset would hand out some rows twice).
    newer = [make_item(f"new-{i}", published_at=T0 + timedelta(hours=1)) for i in range(5)]
    save(store, newer, source="gnews")
    rest = list(batches)
    assert [len(batch) for batch in [first, *rest]] == [10, 10, 5]
    assert [row for batch in [first, *rest] for row in batch] == listed
    assert len(store.list_mentions(ALL)) == 30
    searched = MentionFilter(search="doc", limit=None)
    found = store.list_mentions(searched)
    assert len(found) == 25
    assert [row for batch in store.iter_mentions(searched, 7) for row in batch] == found
    assert list(store.iter_mentions(MentionFilter(brands=("globex",), limit=None))) == []


def test_each_filter_narrows_the_listing(corpus: Store) -> None:
    assert listed(corpus, brands=("globex",)) == ["d", "b"]
    assert listed(corpus, platform="reddit") == ["d"]
    assert listed(corpus, platform=" Reddit ") == ["d"]  # platforms are kept in lower case
    assert listed(corpus, tone="negative", brands=("acme",)) == ["b"]
    assert listed(corpus, lang="EN") == ["d"]
    assert listed(corpus, since=later(days=1), brands=("acme",)) == ["c", "b"]
    assert listed(corpus, until=T0, brands=("acme",)) == ["e", "f"]
    assert listed(corpus, since=later(days=1), until=later(days=1)) == ["b", "b"]


def test_site_filter_covers_subdomains_only(corpus: Store) -> None:
    assert listed(corpus, sites=("lemonde.fr",), brands=("acme",)) == ["b", "a", "e", "f"]
    assert listed(corpus, sites=("www.lemonde.fr",), brands=("acme",)) == ["b", "a", "e", "f"]
    assert listed(corpus, sites=("blog.lemonde.fr",), brands=("acme",)) == ["b"]
    # Several sites: the mentions of any of them.
    assert listed(corpus, sites=("blog.lemonde.fr", "reddit.com")) == ["d", "b", "b"]
    assert listed(corpus, sites=("reddit.com", "notlemonde.fr"), brands=("acme",)) == ["c"]
    assert listed(corpus, sites=("LeMonde.fr",), brands=("acme",)) == ["b", "a", "e", "f"]
    # As copied from the address bar, port and path included: the host is what is compared.
    assert listed(corpus, sites=("https://blog.lemonde.fr/",), brands=("acme",)) == ["b"]
    assert listed(corpus, sites=("https://www.lemonde.fr/",), brands=("acme",)) == [
        "b",
        "a",
        "e",
        "f",
    ]
    assert listed(corpus, sites=("lemonde.fr:8080",), brands=("acme",)) == ["b", "a", "e", "f"]


@pytest.mark.parametrize("collation", [None, "C"])
def test_sql_finds_names_as_folded_in_python(store: Store, collation: str | None) -> None:
    from sqlalchemy import literal, select

    from veille.store.folding import contains_folded, fold

    names = ["Élodie", "ŒUVRE", "Straße", "O’Brien", "Ærø", "Łódź", "Ÿann", "Ñuñez", "Ёлка"]
    # Every letter of Latin-1 and Latin Extended-A, those of names in Europe.
    names.append("".join(chr(code) for code in range(0xC0, 0x180) if code not in (0xD7, 0xF7)))
    with store.engine.connect() as connection:

        def contains(name: str, needle: str) -> bool:
            value = literal(name)
            if collation is not None and connection.dialect.name == "postgresql":
                value = value.collate(collation)  # lower case beyond ASCII: none under "C"
            return bool(
                connection.execute(select(contains_folded(connection, value, needle))).scalar()
            )

        for name in names:
            for needle in (name, fold(name) or "", f"{fold(name)}".upper()):
                assert contains(name, needle), (name, needle)
            assert not contains(name, f"{fold(name)}z")
        assert contains("x Élodie Martin y", "LODIE MART") and contains("Élodie", "ÉLODIE")
        assert contains("Œuvre", "oeuvre") and contains("oeuvre", "Œuvre")
        assert contains("Les Œuvres", "s oeuv") and not contains("Les Œuvres", "so")
        assert contains("100% [x]", "% [X") and not contains("100 x", "% x")


def test_author_filter_matches_name_or_handle_case_insensitively(corpus: Store) -> None:
    assert listed(corpus, author="élodie") == ["a"]
    assert listed(corpus, author="MARTIN") == ["a"]
    assert listed(corpus, author="globexwatcher") == ["d"]
    assert listed(corpus, author="nobody") == []
    # Accents aside too, as a query's author: sets them aside, on either side.
    assert listed(corpus, author="elodie") == listed(corpus, author="ÉLODIE MARTIN") == ["a"]
    assert listed(corpus, author="élödîe") == ["a"]
    assert listed(corpus, author="ELODIE") == ["a"]


def test_search_is_a_case_insensitive_full_text_search_of_title_or_text(corpus: Store) -> None:
    assert listed(corpus, search="LANCE produit") == ["a"]
    assert listed(corpus, search="DÉÇU", brands=("acme",)) == ["b"]
    # Punctuation separates words, and LIKE wildcards mean nothing special.
    assert listed(corpus, search="100%", brands=("acme",)) == ["b"]
    assert listed(corpus, search="acme%corp", brands=("acme",)) == ["b"]
    assert listed(corpus, search="acme_co") == []


def test_a_brand_not_collected_yet_has_no_mention_and_an_unknown_tone_is_an_error(
    corpus: Store,
) -> None:
    # "initech": configured, but no collection has stored it yet.
    assert listed(corpus, brands=("initech",)) == []
    assert listed(corpus, brands=("initech",), tone="negative") == []
    assert listed(corpus, brands=("acme", "initech")) == listed(corpus, brands=("acme",))
    assert corpus.stats(MentionFilter(brands=("initech",)), "platform") == []
    with pytest.raises(StoreError, match="unknown tone"):
        corpus.stats(MentionFilter(tone="angry"), "platform")


def test_stats_by_platform(corpus: Store) -> None:
    rows = corpus.stats(MentionFilter(), "platform")
    assert [(row["key"], row["mentions"]) for row in rows] == [
        ("news", 4),
        ("blog", 1),
        ("hackernews", 1),
        ("reddit", 1),
    ]
    news = rows[0]
    assert news["share"] == pytest.approx(4 / 7)
    assert (news["positive"], news["neutral"], news["negative"]) == (0.25, 0.25, 0.5)
    assert news["avg_sentiment"] == pytest.approx((0.6 - 0.5 - 0.5 + 0.0) / 4)


def test_stats_share_is_of_the_filtered_total(corpus: Store) -> None:
    rows = corpus.stats(MentionFilter(brands=("globex",)), "tone")
    assert rows == [
        {
            "key": "negative",
            "mentions": 2,
            "share": 1.0,
            "positive": 0.0,
            "neutral": 0.0,
            "negative": 1.0,
            "avg_sentiment": pytest.approx(-0.7),
            "engagement": 45,
            "reach": 1200,
        }
    ]


def test_stats_add_up_engagement_and_reach_empty_when_none_is_given(corpus: Store) -> None:
    def figures(
        by: str, timezone: str = "UTC", **criteria: object
    ) -> dict[object, tuple[object, object]]:
        rows = corpus.stats(MentionFilter(**criteria), by, timezone)  # type: ignore[arg-type]
        return {row["key"]: (row["engagement"], row["reach"]) for row in rows}

    # An unknown figure adds nothing; a group of which no service gave any has none, not 0.
    assert figures("author") == {
        None: (None, None),
        "u/GlobexWatcher": (45, 1200),
        "Élodie Martin": (10, None),
    }
    assert figures("platform") == {
        "news": (10, None),
        "reddit": (45, 1200),
        "blog": (None, None),
        "hackernews": (None, None),
    }
    assert figures("tone", brands=("globex",)) == {"negative": (45, 1200)}
    # Days added up into weeks, and quarter hours into the days of a time zone, alike.
    assert figures("week") == {"2026-W10": (55, 1200)}
    assert figures("day", "Europe/Paris", platform="blog") == {"2026-03-02": (None, None)}
    assert set(figures("day", "Europe/Paris").values()) >= {(10, None), (45, 1200)}
    # Like the mention count, a document naming two brands counts once per brand.
    save(corpus, [make_item("g", brands=("acme", "globex"), engagement=5, reach=50)])
    assert figures("platform")["news"] == (20, 100)
    assert figures("platform", brands=("acme",))["news"] == (15, 50)


@pytest.mark.parametrize(
    ("by", "expected"),
    [
        ("brand", [("acme", 5), ("globex", 2)]),
        ("term", [("acme", 5), ("globex", 2)]),
        (
            "site",
            [("lemonde.fr", 3), ("blog.lemonde.fr", 2), ("notlemonde.fr", 1), ("reddit.com", 1)],
        ),
        ("author", [(None, 5), ("u/GlobexWatcher", 1), ("Élodie Martin", 1)]),
        ("tone", [("negative", 3), ("neutral", 3), ("positive", 1)]),
        ("lang", [("fr", 5), ("en", 1), (None, 1)]),
        ("day", [("2026-03-02", 3), ("2026-03-03", 2), ("2026-03-04", 2)]),
        ("week", [("2026-W10", 7)]),
        ("month", [("2026-03", 7)]),
    ],
)
def test_stats_by_each_key(corpus: Store, by: str, expected: list[tuple[object, int]]) -> None:
    rows = corpus.stats(MentionFilter(), by)
    assert [(row["key"], row["mentions"]) for row in rows] == expected
    assert sum(float(str(row["share"])) for row in rows) == pytest.approx(1.0)


def test_stats_by_brand_is_the_share_of_voice_with_each_brands_tone(corpus: Store) -> None:
    rows = {row["key"]: row for row in corpus.stats(MentionFilter(), "brand")}
    assert rows["acme"]["share"] == pytest.approx(5 / 7)
    assert rows["globex"]["negative"] == 1.0 and rows["globex"]["engagement"] == 45
    only = corpus.stats(MentionFilter(brands=("globex",)), "brand")
    assert [(row["key"], row["mentions"], row["share"]) for row in only] == [("globex", 2, 1.0)]


def test_stats_by_term_count_each_matched_term_of_each_mention(store: Store) -> None:
    def matching(identity: str, terms: tuple[str, ...], tone: Tone) -> StoredItem:
        item = make_item(identity, tone=tone)
        return replace(item, matches=(("acme", MatchResult(True, terms)),))

    save(
        store,
        [
            matching("a", ('"acme corp"', "acme*"), "negative"),
            matching("b", ("acme*",), "negative"),
            matching("c", ("#acmefail", "acme*", '"acme corp"'), "positive"),
            matching("d", ("acme*",), "neutral"),
        ],
    )
    rows = {row["key"]: row for row in store.stats(MentionFilter(), "term")}
    assert [row["key"] for row in store.stats(MentionFilter(), "term")] == [
        "acme*", '"acme corp"', "#acmefail",
    ]  # fmt: skip
    assert [rows[key]["mentions"] for key in rows] == [4, 2, 1]
    # Shares are of the mentions listed (4): a mention with two terms counts for both.
    assert rows['"acme corp"']["share"] == 0.5 and rows["acme*"]["share"] == 1.0
    assert rows['"acme corp"']["negative"] == 0.5 and rows["#acmefail"]["positive"] == 1.0
    # Filters apply before the terms are counted.
    negative = store.stats(MentionFilter(tone="negative"), "term")
    assert [(row["key"], row["mentions"], row["share"]) for row in negative] == [
        ("acme*", 2, 1.0), ('"acme corp"', 1, 0.5),
    ]  # fmt: skip
    searched = store.stats(MentionFilter(search="acme"), "term")
    assert {row["key"] for row in searched} == {"acme*", '"acme corp"', "#acmefail"}


def test_stats_by_hashtag_count_each_tag_once_per_mention(store: Store) -> None:
    save(
        store,
        [
            make_item("a", tone="negative", sentiment=-0.6, title="#BoycottDanone !",
                      text="Encore #boycottdanone et #Grève", engagement=10),
            make_item("b", tone="negative", sentiment=-0.4, title="Rappel",
                      text="#BoycottDanone, #rappel", engagement=5),
            make_item("c", tone="positive", sentiment=0.8, title="#Yaourt", text="#Grève #1"),
            make_item("d", title="Sans tag", text="rien, page.html#ancre"),
        ],
    )  # fmt: skip
    rows = store.stats(MentionFilter(), "hashtag")
    assert [(row["key"], row["mentions"]) for row in rows] == [
        ("#BoycottDanone", 2), ("#Grève", 2), ("#Yaourt", 1), ("#rappel", 1),
    ]  # fmt: skip
    boycott = rows[0]
    # A tag counts once per mention, whatever its case; shares are of the 4 mentions listed.
    assert boycott["share"] == 0.5 and boycott["negative"] == 1.0
    assert boycott["avg_sentiment"] == pytest.approx(-0.5) and boycott["engagement"] == 15
    positive = store.stats(MentionFilter(tone="positive"), "hashtag")
    assert [(row["key"], row["share"]) for row in positive] == [("#Grève", 1.0), ("#Yaourt", 1.0)]
    assert store.stats(MentionFilter(search="rien"), "hashtag") == []


def test_stats_of_each_key_read_at_once_are_those_of_one_key_at_a_time(store: Store) -> None:
    tones: tuple[Tone, ...] = ("positive", "neutral", "negative")
    items = [
        make_item(
            f"m{n}",
            brands=(("acme",), ("globex",), ("acme", "globex"))[n % 3],
            tone=tones[n % 3],
            sentiment=(0.6, 0.0, -0.7)[n % 3] + n / 1000,
            platform=("news", "blog", "reddit", "forum")[n % 4],
            site=(f"site{n % 5}.example" if n % 7 else None),
            author_name=(f"Author {n % 6}" if n % 5 else None),
            lang=("fr", "en", None)[n % 3],
            engagement=n if n % 2 else None,
            reach=10 * n,
            # Every 5 hours and 17 minutes from T0 back: days, weeks and months, and times on
            # both sides of midnight in Paris and in New York.
            published_at=T0 - timedelta(minutes=317 * n),
        )
        for n in range(120)
    ]
    save(store, items)
    keys = ("tone", "author", "brand", "platform", "site", "lang", "day", "week", "month")
    for f in (ALL, MentionFilter(brands=("acme",), since=later(days=-10), limit=None)):
        for zone in ("UTC", "Europe/Paris", "America/New_York"):
            at_once = store.stats_of_each(f, keys, zone)
            assert list(at_once) == list(keys)
            for by in keys:
                one = store.stats(f, by, zone)
                assert len(at_once[by]) == len(one) > 0
                for row, expected in zip(at_once[by], one, strict=True):
                    # Means rounded to 4 decimals from sums added in another order.
                    assert row == pytest.approx(expected, abs=1.01e-4), (by, zone)
    with pytest.raises(ValueError, match="hashtag"):
        store.stats_of_each(ALL, ("tone", "hashtag"))


def test_alert_events_are_timed_by_publication_else_by_first_sighting(store: Store) -> None:
    def collect(items: list[StoredItem], now: datetime) -> None:
        run = store.begin_run(now)
        store.save_collection(
            run, "lemonde", None, items, SourceState(), now=now,
            next_check_at=now + timedelta(hours=1), not_modified=False, duration=0.1,
        )  # fmt: skip

    # The source's first collection, long before: the undated items of that one are its
    # backlog, which alerts leave out (tests/test_alerts.py).
    collect([], T0 - timedelta(days=30))
    collect(
        [
            make_item("published-long-ago", published_at=T0 - timedelta(days=5)),
            make_item("published-recently", published_at=T0 - timedelta(hours=2), tone="negative"),
            make_item("undated-seen-now", published_at=None),
            make_item("other-brand", brands=("globex",), published_at=T0),
        ],
        T0,
    )
    collect([make_item("undated-seen-later", published_at=None)], T0 + timedelta(hours=3))
    collect([make_item("dated-ahead", published_at=T0 + timedelta(days=1))], T0 - timedelta(days=3))
    events = store.alert_events(["acme"], T0 - timedelta(days=1), T0 + timedelta(hours=1))
    assert sorted(events) == [
        ("acme", T0 - timedelta(hours=2), True),  # published in the window
        ("acme", T0, False),  # undated: first seen in the window
        ("acme", T0 + timedelta(days=1), False),  # published after the window's start
    ]  # fmt: skip


def test_stats_by_hashtag_of_the_newest_mentions_when_limited(store: Store) -> None:
    save(
        store,
        [
            make_item("old", text="#Ancien #Commun", published_at=later(days=-3)),
            make_item("mid", text="#Commun", published_at=later(days=-2)),
            make_item("new", text="#Nouveau #commun", published_at=later(days=-1)),
        ],
    )
    newest = store.stats(MentionFilter(limit=2), "hashtag")
    # Read: "new" and "mid"; shares are of those two.
    assert [(row["key"], row["mentions"], row["share"]) for row in newest] == [
        ("#Commun", 2, 1.0), ("#Nouveau", 1, 0.5),
    ]  # fmt: skip
    assert len(store.stats(MentionFilter(limit=3), "hashtag")) == 3
    # The other keys count every filtered mention, as before.
    assert store.stats(MentionFilter(limit=1), "tone")[0]["mentions"] == 3


@pytest.mark.parametrize(
    ("term", "identities"),
    [
        ('"acme corp"', ["a", "c"]),
        ("acme corp", ["a", "c"]),  # a phrase's quotes may be left out
        ("ACME Corp", ["a", "c"]),
        ("acme*", ["a", "b", "c", "d"]),
        ("acme", []),  # not a term of the query: acme* is
        ("#acmefail", ["c"]),
        ('"élodie"', ["b"]),  # any case, beyond ASCII too
    ],
)
def test_mentions_found_by_one_term(store: Store, term: str, identities: list[str]) -> None:
    def matching(identity: str, terms: tuple[str, ...]) -> StoredItem:
        return replace(make_item(identity), matches=(("acme", MatchResult(True, terms)),))

    save(
        store,
        [
            matching("a", ('"acme corp"', "acme*")),
            matching("b", ("acme*", '"Élodie"')),
            matching("c", ("#acmefail", "acme*", '"acme corp"')),
            matching("d", ("acme*",)),
        ],
    )
    found = store.list_mentions(MentionFilter(term=term))
    assert sorted(str(row["title"]).removeprefix("Title ") for row in found) == identities
    tones = store.stats(MentionFilter(term=term), "tone")
    assert sum(int(str(row["mentions"])) for row in tones) == len(identities)


def test_a_term_is_found_without_its_accents_as_the_query_writes_it(store: Store) -> None:
    store.sync_config(
        [BrandSpec("acme", 'opérateur OR "société générale" OR acme', ("fr",))],
        [SourceSpec("lemonde", "rss", {"url": "https://www.lemonde.fr/rss/une.xml"})],
    )

    def matching(identity: str, terms: tuple[str, ...]) -> StoredItem:
        return replace(make_item(identity), matches=(("acme", MatchResult(True, terms)),))

    save(store, [matching("a", ("opérateur",)), matching("b", ('"société générale"', "acme"))])

    def found(term: str) -> list[str]:
        rows = store.list_mentions(MentionFilter(term=term))
        return sorted(str(row["title"]).removeprefix("Title ") for row in rows)

    assert found("operateur") == found("OPÉRATEUR") == found("opérateur") == ["a"]
    assert found("societe generale") == found('"Societe Generale"') == ["b"]
    assert found("« Société Générale »") == ["b"]
    assert found("operateurs") == []  # another word, not another spelling


def test_a_term_is_named_as_a_brand_is_and_as_the_query_writes_it(store: Store) -> None:
    store.sync_config(
        [BrandSpec("acme", '"L’Oréal" OR case:Total OR totalenergies', ("fr",))],
        [SourceSpec("lemonde", "rss", {"url": "https://www.lemonde.fr/rss/une.xml"})],
    )

    def matching(identity: str, terms: tuple[str, ...]) -> StoredItem:
        return replace(make_item(identity), matches=(("acme", MatchResult(True, terms)),))

    save(store, [matching("a", ('"L’Oréal"',)), matching("b", ("Total",)), matching("c", ("x",))])

    def found(term: str) -> list[str]:
        rows = store.list_mentions(MentionFilter(term=term))
        return sorted(str(row["title"]).removeprefix("Title ") for row in rows)

    # The kind of apostrophe aside, as --brand sets it aside; the quotes, curly ones too.
    for spelling in ("l'oreal", "L’Oréal", '"l\'oréal"', "“L’Oréal”", "« l'Oréal »"):
        assert found(spelling) == ["a"], spelling
    # A term with its case marker, as the query writes it.
    assert found("case:Total") == found("total") == found("Total") == ["b"]
    assert {'"L’Oréal"', "Total", "totalenergies"} <= set(store.query_terms())
    assert store.knows_term("l’oreal") and store.knows_term("case:Total")
    # A term of a query since changed still names the mentions it found; another, none.
    assert store.knows_term("X") and found("x") == ["c"]
    assert not store.knows_term("nope")


def test_weeks_and_months_add_up_their_days(store: Store) -> None:
    moments = {  # ISO week 9 runs to Sunday 1 March 2026; week 11 starts on Monday 9 March.
        "sat": (datetime(2026, 2, 28, 12, tzinfo=UTC), "positive", 0.8, 10),
        "sun": (datetime(2026, 3, 1, 23, 30, tzinfo=UTC), "negative", -0.4, 0),
        "sun2": (datetime(2026, 3, 8, 8, tzinfo=UTC), "neutral", 0.0, 5),
        "mon": (datetime(2026, 3, 9, 0, 15, tzinfo=UTC), "negative", -0.6, 1),
    }
    save(
        store,
        [
            make_item(name, tone=tone, sentiment=sentiment, published_at=moment, engagement=likes)
            for name, (moment, tone, sentiment, likes) in moments.items()
        ],
    )
    weeks = store.stats(MentionFilter(), "week")
    assert [(row["key"], row["mentions"]) for row in weeks] == [
        ("2026-W09", 2), ("2026-W10", 1), ("2026-W11", 1),
    ]  # fmt: skip
    first = weeks[0]
    assert (first["positive"], first["negative"], first["neutral"]) == (0.5, 0.5, 0.0)
    assert first["avg_sentiment"] == pytest.approx(0.2) and first["engagement"] == 10
    assert first["share"] == 0.5
    months = store.stats(MentionFilter(), "month")
    assert [(row["key"], row["mentions"], row["engagement"]) for row in months] == [
        ("2026-02", 1, 10), ("2026-03", 3, 6),
    ]  # fmt: skip
    assert months[1]["avg_sentiment"] == pytest.approx(-1.0 / 3, abs=1e-4)
    # Filters apply before the grouping, as for every key.
    negative = store.stats(MentionFilter(tone="negative"), "month")
    assert [(row["key"], row["mentions"]) for row in negative] == [("2026-03", 2)]


def test_stats_by_day_uses_the_utc_day(store: Store) -> None:
    late_in_new_york = datetime(2026, 3, 2, 21, 0, tzinfo=timezone(timedelta(hours=-5)))
    save(store, [make_item("ny", published_at=late_in_new_york)])
    assert [row["key"] for row in store.stats(MentionFilter(), "day")] == ["2026-03-03"]


def test_stats_by_day_in_a_time_zone(store: Store) -> None:
    moments = {
        "late": datetime(2026, 3, 2, 23, 30, tzinfo=UTC),  # 00:30 on 3 March in Paris (UTC+1)
        "early": datetime(2026, 3, 2, 0, 30, tzinfo=UTC),  # 01:30 on 2 March in Paris
        "india": datetime(2026, 3, 2, 18, 45, tzinfo=UTC),  # 00:15 on 3 March in Kolkata (+5:30)
        "summer": datetime(2026, 3, 29, 22, 15, tzinfo=UTC),  # 00:15 on 30 March in Paris (+2)
    }
    save(store, [make_item(name, published_at=moment) for name, moment in moments.items()])

    def days(timezone: str) -> list[tuple[object, object]]:
        rows = store.stats(MentionFilter(), "day", timezone)
        return [(row["key"], row["mentions"]) for row in rows]

    assert days("UTC") == [("2026-03-02", 3), ("2026-03-29", 1)]
    assert days("Europe/Paris") == [("2026-03-02", 2), ("2026-03-03", 1), ("2026-03-30", 1)]
    assert days("Asia/Kolkata") == [("2026-03-02", 1), ("2026-03-03", 2), ("2026-03-30", 1)]
    assert days("America/New_York") == [("2026-03-01", 1), ("2026-03-02", 2), ("2026-03-29", 1)]
    # Weeks and months are made of those days: Monday 30 March starts ISO week 14 in Paris.
    weeks = store.stats(MentionFilter(), "week", "Europe/Paris")
    assert [(row["key"], row["mentions"]) for row in weeks] == [("2026-W10", 3), ("2026-W14", 1)]
    months = store.stats(MentionFilter(), "month", "Asia/Kolkata")
    assert [(row["key"], row["mentions"]) for row in months] == [("2026-03", 4)]
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        store.stats(MentionFilter(), "day", "Mars/Olympus")


def test_stats_by_an_unknown_key_is_refused(corpus: Store) -> None:
    with pytest.raises(ValueError, match="platform"):
        corpus.stats(MentionFilter(), "color")


def test_stats_on_nothing_is_empty(store: Store) -> None:
    assert store.stats(MentionFilter(), "platform") == []


def test_source_health_shows_each_source_and_brand(corpus: Store) -> None:
    run = corpus.begin_run(T0)
    corpus.record_failure(run, "gnews", "globex", "HTTP 429", now=later(5), next_check_at=later(65))
    health = {(row["name"], row["brand"]): row for row in corpus.source_health()}
    assert set(health) == {("lemonde", None), ("hn", None), ("gnews", "globex")}
    assert health[("lemonde", None)]["documents"] == 5
    assert health[("lemonde", None)]["kind"] == "rss"
    assert health[("hn", None)]["documents"] == 1
    gnews = health[("gnews", "globex")]
    assert gnews["consecutive_failures"] == 1
    assert gnews["last_error"] == "HTTP 429"
    assert gnews["last_error_at"] == "2026-03-02T09:35:00Z"
    assert gnews["next_check_at"] == "2026-03-02T10:35:00Z"
    assert gnews["last_ok_at"] is None
    assert gnews["active"] is True and gnews["disabled"] is False
    assert gnews["documents"] == 0


@pytest.mark.parametrize("look_per_row", [1, 2, 100])
def test_a_page_without_a_period_is_the_same_from_the_newest_mentions(
    store: Store, look_per_row: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Forty documents, most of them acme's, every fifth also globex's, platforms in turn and
    # three undated; on SQLite a page is first looked for among the newest mentions of all
    # (look_per_row per row of the page), which must give the page of the plain reading.
    save(
        store,
        [
            make_item(
                f"doc-{i:02d}",
                brands=("acme", "globex") if i % 5 == 0 else ("acme",),
                platform=("news", "reddit", "youtube")[i % 3],
                published_at=None if i % 13 == 0 else T0 + timedelta(minutes=i % 17),
            )
            for i in range(40)
        ],
    )
    criteria = [
        {"brands": ("acme",)}, {"brands": ("globex",)}, {"platform": "youtube"},
        {"brands": ("globex",), "platform": "reddit"}, {"brands": ("acme", "globex")},
    ]  # fmt: skip
    pages = [(limit, offset) for limit in (1, 3, 10) for offset in (0, 2, 9)]
    with monkeypatch.context() as plain_reading:
        plain_reading.setattr(queries, "_from_the_newest", lambda connection, f: None)
        plain = {
            (str(c), page): store.list_mentions(
                MentionFilter(limit=page[0], offset=page[1], **c)  # type: ignore[arg-type]
            )
            for c in criteria
            for page in pages
        }
    monkeypatch.setattr(queries, "RECENT_LOOK_PER_ROW", look_per_row)
    for c in criteria:
        for limit, offset in pages:
            f = MentionFilter(limit=limit, offset=offset, **c)  # type: ignore[arg-type]
            assert store.list_mentions(f) == plain[str(c), (limit, offset)], (c, limit, offset)


def test_a_site_is_found_as_written_with_its_accents(store: Store) -> None:
    # Sites are stored in their ASCII form (IDNA): a user writes the one they read.
    url = "https://blog.xn--beaut-fsa.fr/idn"
    save(store, [make_item("idn", site="xn--beaut-fsa.fr", url=url, canonical_url=url)])
    assert listed(store, sites=("beauté.fr",)) == ["idn"]
    assert listed(store, sites=("blog.beauté.fr",)) == ["idn"]
    assert listed(store, sites=("shop.beauté.fr",)) == []
    # And it is shown as written.
    [mention] = store.list_mentions(MentionFilter(limit=None))
    assert mention["site"] == "beauté.fr"
    [row] = store.stats(MentionFilter(), by="site")
    assert row["key"] == "beauté.fr"
