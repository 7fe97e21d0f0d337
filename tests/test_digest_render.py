"""Digest wording and rendering helpers: subjects, dates, highlighting, links, story grouping."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from veille.digest.render import highlight, safe_url
from veille.digest.selection import group_stories
from veille.digest.wording import (
    count_mentions,
    long_date,
    short_day,
    short_time,
    subject,
    tone_count,
)
from veille.match import Phrase, Term
from veille.match.matcher import BrandQuery

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("brands", "negatives", "language", "expected"),
    [
        ([("Danone", 37)], 5, "fr", "Danone — 37 nouvelles mentions, dont 5 négatives"),
        ([("Danone", 37)], 5, "en", "Danone — 37 new mentions, 5 negative"),
        ([("Danone", 1)], 1, "fr", "Danone — 1 nouvelle mention, dont 1 négative"),
        ([("Danone", 4)], 0, "fr", "Danone — 4 nouvelles mentions"),
        ([("Danone", 0)], 0, "en", "Danone — no new mention"),
        ([("Danone", 0)], 0, "fr", "Danone — aucune nouvelle mention"),
        (
            [("Crédit Agricole", 1234)],
            1234,
            "fr",
            "Crédit Agricole — 1\u202f234 nouvelles mentions, dont 1\u202f234 négatives",
        ),
        ([("Danone", 1234)], 0, "en", "Danone — 1,234 new mentions"),
        (
            [("Danone", 37), ("Michelin", 15)],
            7,
            "fr",
            "veille — 52 nouvelles mentions (Danone 37, Michelin 15), dont 7 négatives",
        ),
        (
            [("Danone", 37), ("Michelin", 0)],
            0,
            "en",
            "veille — 37 new mentions (Danone 37)",
        ),
    ],
)
def test_subjects(
    brands: list[tuple[str, int]], negatives: int, language: str, expected: str
) -> None:
    assert subject(brands, negatives, language) == expected


def test_counts_agree_in_french_and_read_as_french_numbers() -> None:
    assert count_mentions(0, "fr") == "aucune nouvelle mention"
    assert count_mentions(1, "fr") == "1 nouvelle mention"
    assert count_mentions(1234, "fr") == "1\u202f234 nouvelles mentions"
    assert tone_count(0, "negative", "fr") == "0 négative"
    assert tone_count(1234, "negative", "fr") == "1\u202f234 négatives"


def test_dates_per_language() -> None:
    assert long_date(NOW, "fr") == "mardi 24 novembre 2026"
    assert long_date(NOW, "en") == "Tuesday 24 November 2026"
    assert short_day(date(2026, 11, 24), "fr") == "mar. 24/11"
    assert short_day(date(2026, 11, 24), "en") == "Tue 24/11"


def test_a_time_of_another_year_says_its_year() -> None:
    paris = ZoneInfo("Europe/Paris")
    assert short_time(datetime(2026, 11, 24, 9, 15, tzinfo=paris), "fr", now=NOW) == (
        "24 nov. 09:15"
    )
    old = datetime(2019, 5, 3, 18, 35, tzinfo=paris)
    assert short_time(old, "fr", now=NOW) == "3 mai 2019 18:35"
    assert short_time(old, "en", now=NOW) == "3 May 2019 18:35"
    # The year is the one of the time zone the time is given in: in Paris, 2027 has begun.
    new_year = datetime(2027, 1, 1, 0, 30, tzinfo=paris)
    assert short_time(new_year, "fr", now=datetime(2026, 12, 31, 23, 45, tzinfo=UTC)) == (
        "1 janv. 00:30"
    )
    assert short_time(new_year, "fr", now=datetime(2026, 12, 31, 22, 45, tzinfo=UTC)) == (
        "1 janv. 2027 00:30"
    )


def test_highlight_escapes_and_marks_terms_ignoring_case_and_accents() -> None:
    html = str(highlight("<b>L'Oréal</b> & DANONE's danonino", ["oreal", "danon*"]))
    assert html.count("<mark") == 3
    assert "&lt;b&gt;L&#39;" in html and "&lt;/b&gt; &amp; " in html
    assert ">Oréal</mark>" in html and ">DANONE</mark>" in html and ">danonino</mark>" in html


def test_highlight_folds_ligatures_as_the_matcher_does() -> None:
    html = str(
        highlight("Un chef-d'œuvre, le CŒUR, Straße et ﬁnance", ["oeuvre", "cœur", "strasse"])
    )
    assert ">œuvre</mark>" in html and ">CŒUR</mark>" in html and ">Straße</mark>" in html
    assert html.count("<mark") == 3
    # Only whole characters: "o" alone is not marked inside "œ".
    assert str(highlight("œ o", ["o"])).count("<mark") == 1
    assert ">coeur</mark>" in str(highlight("mon coeur", ["cœur"]))


def test_highlight_phrases_whole_words_and_scopes() -> None:
    html = str(highlight("Acme Corp, acmeish, acme", ['"acme corp"', "case:acme", "site:x.fr"]))
    assert html.count("<mark") == 2 and "acmeish" in html and ">Acme Corp</mark>" in html
    assert str(highlight("<i>x</i>", [])) == "&lt;i&gt;x&lt;/i&gt;"


def test_highlight_marks_a_word_the_matcher_reads_across_a_hyphen() -> None:
    html = str(highlight("Coca-Cola investit, co-ca-cola, coca cola", ["cocacola"]))
    assert ">Coca-Cola</mark>" in html and ">co-ca-cola</mark>" in html
    assert html.count("<mark") == 2


def test_highlight_marks_a_phrase_written_as_one_word() -> None:
    html = str(highlight("Grève chez #AirFrance et Air France", ['"Air France"']))
    assert ">AirFrance</mark>" in html and ">Air France</mark>" in html
    assert "<mark" not in str(highlight("#airfranceklm, Lorem", ['"Air France"', "l'oré*"]))


def test_highlight_marks_the_words_of_camel_case_tags_as_the_matcher_reads_them() -> None:
    html = str(highlight("#BoycottDanone, @DanoneFR, danonesque", ["danone"]))
    assert html.count("<mark") == 2 and "#Boycott<mark" in html and "@<mark" in html
    assert ">Danone</mark>FR" in html and "danonesque" in html
    html = str(highlight("#GrèveAirFrance et #FairAir", ['"Air France"', "air"]))
    assert "#Grève<mark" in html and ">AirFrance</mark>" in html and ">Air</mark>" in html


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.lemonde.fr/a?b=1", "https://www.lemonde.fr/a?b=1"),
        ("http://example.org", "http://example.org"),
        ("javascript:alert(1)", None),
        ("JaVaScRiPt:alert(1)", None),
        ("data:text/html,<script>", None),
        ("//evil.example/x", None),
        ("https://exa mple.org", None),
        ("https:///nohost", None),
        (None, None),
    ],
)
def test_only_http_links(url: str | None, expected: str | None) -> None:
    assert safe_url(url) == expected


def _mention(i: int, story: str, tone: str, site: str, engagement: int = 0) -> dict[str, object]:
    return {
        "id": i, "story_id": story, "tone": tone, "site": site, "engagement": engagement,
        "title": f"t{i}", "text": "", "url": None, "author": None, "author_url": None,
        "platform": "news", "sentiment": 0.0, "matched": [], "time": NOW,
    }  # fmt: skip


def test_stories_are_grouped_negative_first_and_capped() -> None:
    mentions = [
        _mention(1, "s1", "neutral", "a.fr"),
        _mention(2, "s1", "negative", "b.fr"),
        _mention(3, "s1", "neutral", "c.fr"),
        _mention(4, "s2", "positive", "d.fr"),
        _mention(5, "s3", "neutral", "e.fr"),
    ]
    lines, hidden = group_stories(mentions, 2)
    assert [line.title for line in lines] == ["t2", "t4"] and hidden == 1
    assert lines[0].others == 2 and lines[0].other_sites == ("a.fr", "c.fr")


def test_other_sites_are_counted_once_each() -> None:
    # Three copies on the lead's own site, two on another, one on no known site.
    mentions = [_mention(i, "s", "neutral", "a.fr") for i in range(1, 4)]
    mentions += [_mention(4, "s", "neutral", "b.fr"), _mention(5, "s", "neutral", "b.fr")]
    mentions.append({**_mention(6, "s", "neutral", "x"), "site": None})
    [line], _hidden = group_stories(mentions, 5)
    assert (line.site, line.others, line.other_sites) == ("a.fr", 1, ("b.fr",))
    [alone], _hidden = group_stories([_mention(i, "t", "neutral", "a.fr") for i in (1, 2)], 5)
    assert (alone.others, alone.other_sites) == (0, ())  # no "+1 other site ()" line
    # Each copy is a sighting, on the lead's site too: the line says how many.
    assert (line.sightings, alone.sightings) == (6, 2)


def test_a_story_shows_its_lead_s_own_time_and_sorts_by_its_last_sighting() -> None:
    early, late = NOW.replace(hour=6), NOW.replace(hour=18)
    mentions = [
        {**_mention(1, "s", "negative", "a.fr"), "time": early},
        {**_mention(2, "s", "neutral", "a.fr"), "time": late},
        {**_mention(3, "u", "negative", "b.fr"), "time": NOW},
    ]
    lines, _hidden = group_stories(mentions, 5)
    assert [(line.title, line.time) for line in lines] == [("t1", early), ("t3", NOW)]


_WORD = st.from_regex(r"[a-zA-Zéèàçœæß]{2,8}", fullmatch=True)
_QUERY_WORDS = st.lists(_WORD, min_size=1, max_size=3)


def _written(words: list[str]) -> list[str]:
    """Ways a post writes a query's words: apart, joined, hyphenated, in a hashtag or a handle,
    in capitals; a single word also cut by a hyphen (which the matcher reads joined)."""
    camel = "".join(word[:1].upper() + word[1:].lower() for word in words)
    forms = [" ".join(words), "".join(words), "-".join(words), "#" + camel, "@Le" + camel]
    forms.append("#" + camel + "2026")
    if len(words) == 1 and len(words[0]) > 2:
        forms.append(words[0][:2] + "-" + words[0][2:].upper())
    return forms


@settings(max_examples=300)
@given(_QUERY_WORDS, st.booleans(), st.data())
def test_what_the_matcher_finds_the_digest_highlights(
    words: list[str], phrase: bool, data: st.DataObject
) -> None:
    leaf = Phrase(" ".join(words)) if phrase or len(words) > 1 else Term(words[0])
    pieces = [*_written(words), *_written(words[::-1]), "avant", "x", ","]
    title = " ".join(data.draw(st.lists(st.sampled_from(pieces), min_size=1, max_size=4)))
    if BrandQuery("generated", leaf).match(title=title, text="").matched:
        assert "<mark" in str(highlight(title, [leaf.label()]))


@pytest.mark.parametrize(
    ("language", "written"),
    [
        ("fr", {1148: "1\u202f148", 1440: "1\u202f440", 220: "220", 1205: "1\u202f205"}),
        ("en", {1148: "1,148", 1440: "1,440", 220: "220", 1205: "1,205"}),
    ],
)
def test_every_number_of_the_digest_is_written_as_its_readers_do(
    language: str, written: dict[int, str]
) -> None:
    from veille.delivery_settings import DigestConfig
    from veille.digest.render import render
    from veille.digest.selection import (
        BrandSection,
        DayBar,
        DigestContent,
        HealthIssue,
        StoryLine,
    )

    story = StoryLine(
        "Danone rappelle des yaourts", "", None, None, None, "exemple.fr", "news", "negative",
        -0.5, NOW, ("danone",),
    )  # fmt: skip
    section = BrandSection(
        "Danone",
        total=1500,
        stories=[story],
        hidden=220,
        days=[DayBar(date(2026, 11, 23), 1148, 100)],
        top_sites=[("exemple.fr", 1440)],
        top_authors=[("Paul Durand", 1205)],
    )
    content = DigestContent(
        config=DigestConfig(name="matin", to=("com@example.org",), language=language),
        generated_at=NOW,
        sections=[section],
        health=[HealthIssue("flux-fr", None, "failing", None, failures=1205, error="HTTP 503")],
        watermark=None,
    )
    _, text, html = render(content, "Europe/Paris")
    for part in (text, html):
        assert written[1148] in part and written[1440] in part and written[1205] in part
        assert f"+{written[220]} " in part
        for raw in ("1148", "1440", "1205"):
            assert raw not in part
