"""Story ids given at write time, stories listed, and the digest and story page that use them."""

from __future__ import annotations

import hashlib
from datetime import datetime

import pytest

from tests.support.browser import TestClient, read_only_twin
from tests.support.stores import T0, later, make_item, store_fixture  # noqa: F401
from tests.test_stories import OIL_TEXT, OIL_TITLE
from veille.digest.selection import group_stories
from veille.store import MentionFilter, Store, StoredItem, queries, story_list
from veille.types import SourceState
from veille.web import create_app

WIRE = (
    "Le groupe agroalimentaire a annoncé mardi la fermeture de son usine de Villefranche, qui "
    "emploie 240 salariés, en invoquant la baisse des ventes de produits laitiers frais."
)


def _fingerprint(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def wire_item(
    identity: str, site: str, title: str, text: str = WIRE, **fields: object
) -> StoredItem:
    """One copy of a story as a site publishes it (its own identity, URL and fingerprint)."""
    return make_item(
        identity,
        title=title,
        text=text,
        site=site,
        url=f"https://www.{site}/{identity}",
        canonical_url=f"https://www.{site}/{identity}",
        fingerprint=_fingerprint(title + text),
        **fields,
    )


ORIGINAL = ("afp-1", "lemonde.fr", "Danone ferme son usine de Villefranche, 240 emplois menacés")
COPY = ("lp-1", "lepoint.fr", "DIRECT - Danone ferme l'usine de Villefranche : 240 emplois menacés")
UNRELATED = ("lp-2", "lepoint.fr", "Danone lance un yaourt végétal au lait d'avoine en Espagne")


def save(store: Store, source: str, now: datetime, *items: StoredItem) -> None:
    run = store.begin_run(now)
    store.save_collection(
        run, source, None, list(items), SourceState(),
        now=now, next_check_at=now, not_modified=False, duration=0.0,
    )  # fmt: skip


def stories_by_url(store: Store) -> dict[str, str]:
    mentions = store.list_mentions(MentionFilter(limit=None))
    return {str(m["url"]): str(m["story_id"]) for m in mentions}


def test_a_near_copy_from_another_source_joins_the_story(store: Store) -> None:
    save(store, "lemonde", T0, wire_item(*ORIGINAL))
    save(store, "gnews", later(hours=3), wire_item(*COPY, text=WIRE[:100] + "…"))
    save(store, "gnews", later(hours=4), wire_item(*UNRELATED, text=""))
    stories = stories_by_url(store)
    original = _fingerprint(ORIGINAL[2] + WIRE)
    assert stories["https://www.lemonde.fr/afp-1"] == original
    assert stories["https://www.lepoint.fr/lp-1"] == original
    assert stories["https://www.lepoint.fr/lp-2"] not in (original, None)


def test_exact_copies_group_whatever_their_age(store: Store) -> None:
    first = make_item("old", fingerprint="same-text", title="Acme", text="")
    save(store, "lemonde", T0, first)
    copy = make_item("new", fingerprint="same-text", title="Acme", text="", site="lesechos.fr")
    save(store, "gnews", later(days=60), copy)
    assert set(stories_by_url(store).values()) == {"same-text"}


def test_a_batch_groups_within_itself(store: Store) -> None:
    save(store, "lemonde", T0, wire_item(*ORIGINAL), wire_item(*COPY), wire_item(*UNRELATED))
    stories = stories_by_url(store)
    assert stories["https://www.lepoint.fr/lp-1"] == stories["https://www.lemonde.fr/afp-1"]
    assert stories["https://www.lepoint.fr/lp-2"] != stories["https://www.lemonde.fr/afp-1"]


def test_a_copy_after_the_window_starts_its_own_story(store: Store) -> None:
    save(store, "lemonde", T0, wire_item(*ORIGINAL))
    save(store, "gnews", later(days=15), wire_item(*COPY))
    stories = stories_by_url(store)
    assert stories["https://www.lepoint.fr/lp-1"] != stories["https://www.lemonde.fr/afp-1"]


def test_storing_again_changes_no_story(store: Store) -> None:
    items = [wire_item(*ORIGINAL), wire_item(*COPY), wire_item(*UNRELATED)]
    save(store, "lemonde", T0, *items)
    before = stories_by_url(store)
    save(store, "lemonde", later(hours=1), *reversed(items))
    assert stories_by_url(store) == before


def test_stories_list_one_row_per_story_newest_first(store: Store) -> None:
    save(store, "lemonde", T0, wire_item(*ORIGINAL, published_at=later(hours=1), tone="negative"))
    save(store, "gnews", later(hours=2), wire_item(*COPY, published_at=later(hours=2)))
    save(
        store,
        "gnews",
        later(hours=3),
        wire_item(*UNRELATED, published_at=later(hours=1, minutes=30)),
    )
    stories = store.list_stories(MentionFilter(limit=10))
    assert [s["title"] for s in stories] == [ORIGINAL[2], UNRELATED[2]]  # headline: first sighting
    story = stories[0]
    assert story["sightings"] == 2 and story["sites"] == 2 and story["brands"] == ["acme"]
    assert (story["positive"], story["neutral"], story["negative"]) == (0, 1, 1)
    assert (
        story["first_seen"] == "2026-03-02T10:30:00Z"
        and story["last_seen"] == "2026-03-02T11:30:00Z"
    )
    assert stories[1]["sightings"] == 1
    assert store.list_stories(MentionFilter(sites=("lemonde.fr",), limit=10))[0]["sightings"] == 1
    assert len(store.list_stories(MentionFilter(limit=1))) == 1


def test_the_digest_shows_a_story_once_with_its_other_sites(store: Store) -> None:
    save(store, "lemonde", T0, wire_item(*ORIGINAL), wire_item(*UNRELATED))
    save(store, "gnews", later(hours=1), wire_item(*COPY))
    mentions = store.digest_mentions(["acme"], after_id=None)
    lines, hidden = group_stories(mentions, limit=10)
    assert len(lines) == 2 and hidden == 0
    story = next(line for line in lines if line.others)
    assert story.others == 1 and story.other_sites == ("lepoint.fr",)


def test_the_story_page_lists_every_sighting(store: Store) -> None:
    save(store, "lemonde", T0, wire_item(*ORIGINAL))
    save(store, "gnews", later(hours=1), wire_item(*COPY))
    story_id = _fingerprint(ORIGINAL[2] + WIRE)
    reader = read_only_twin(store)
    try:
        with TestClient(create_app(reader)) as client:
            response = client.get(f"/stories/{story_id}")
            api = client.get(f"/api/stories/{story_id}").json()
    finally:
        reader.close()
    assert response.status_code == 200
    assert "lemonde.fr" in response.text and "lepoint.fr" in response.text
    assert sorted(m["site"] for m in api["mentions"]) == ["lemonde.fr", "lepoint.fr"]


@pytest.mark.parametrize(
    ("page_max", "look_per_row"), [(story_list.STORY_PAGE_MAX, 100), (4, 100), (1000, 1)]
)
def test_a_page_of_stories_is_that_page_of_every_story(
    store: Store, page_max: int, look_per_row: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Past page_max stories (offset included), the page is cut from every story grouped; on
    # SQLite a brand's page with no period is first looked for among the newest
    # look_per_row × (offset + limit) mentions of all.
    monkeypatch.setattr(story_list, "STORY_PAGE_MAX", page_max)
    monkeypatch.setattr(queries, "RECENT_LOOK_PER_ROW", look_per_row)
    # Twelve stories of one to three copies, several last seen at the same moment (the story
    # id then orders them), two brands; make_item's titles differ, so only exact copies
    # (one fingerprint) group.
    items = []
    for story in range(12):
        for copy in range(1 + story % 3):
            items.append(
                make_item(
                    f"s{story}c{copy}",
                    brands=("acme",) if story % 4 else ("acme", "globex"),
                    fingerprint=f"story-{story}",
                    published_at=later(hours=story // 3 + copy, days=-2),
                    tone=("positive", "negative", "neutral")[(story + copy) % 3],
                )
            )
    save(store, "lemonde", T0, *items)
    since = later(hours=2, days=-2)
    for criteria in (
        {},
        {"brands": ("globex",)},
        {"brands": ("acme",)},
        {"tone": "negative"},
        {"since": since},
    ):
        every = store.list_stories(MentionFilter(limit=None, **criteria))  # type: ignore[arg-type]
        assert every, criteria
        for limit in (1, 2, 3, 5, 50):
            for offset in (0, 1, 4, 11):
                f = MentionFilter(limit=limit, offset=offset, **criteria)  # type: ignore[arg-type]
                assert store.list_stories(f) == every[offset : offset + limit], (limit, offset)


@pytest.mark.parametrize("order", ["headline first", "article first", "one batch"])
def test_a_headline_without_text_joins_the_story_of_its_article(store: Store, order: str) -> None:
    # Google News gives the headline alone; the publisher's feed the headline and its text.
    headline = wire_item("gn-1", "nbcnews.com", OIL_TITLE, text="", published_at=T0)
    article = wire_item("nbc-1", "nbcnews.com", OIL_TITLE, text=OIL_TEXT, published_at=T0)
    if order == "one batch":
        save(store, "gnews", later(hours=1), headline, article)
    else:
        first, second = (headline, article) if order == "headline first" else (article, headline)
        save(store, "gnews", later(hours=1), first)
        save(store, "lemonde", later(hours=2), second)
    assert len(set(stories_by_url(store).values())) == 1


def test_a_short_generic_headline_without_text_starts_its_own_story(store: Store) -> None:
    save(store, "lemonde", T0, wire_item("live-1", "lemonde.fr", "Live", text=OIL_TEXT))
    save(store, "gnews", later(hours=1), wire_item("live-2", "lemonde.fr", "Live", text=""))
    assert len(set(stories_by_url(store).values())) == 2


def _quote(day: int) -> StoredItem:
    # A daily quote page: the same headline and text but for the day and the session's figures.
    return wire_item(
        f"quote-{day}",
        "boursier.com",
        f"Danone : cours de l'action du {day} novembre 2026",
        text=(
            f"L'action Danone a terminé la séance du {day} novembre 2026 à 61,{day + 10} euros, "
            "sur un volume d'échanges proche de sa moyenne, dans un marché parisien hésitant."
        ),
        published_at=later(days=day - 23),
    )


def test_each_day_of_a_template_headline_is_a_story_of_its_own(store: Store) -> None:
    for day in (23, 24, 25):
        save(store, "lemonde", later(days=day - 23), _quote(day))
    stories = store.list_stories(MentionFilter(limit=10))
    assert [story["title"] for story in stories] == [
        f"Danone : cours de l'action du {day} novembre 2026" for day in (25, 24, 23)
    ]
    assert [story["sightings"] for story in stories] == [1, 1, 1]


def test_two_companies_results_are_two_stories(store: Store) -> None:
    def results(company: str, figure: str) -> StoredItem:
        return wire_item(
            company,
            "zonebourse.com",
            f"{company} : résultats du troisième trimestre 2026",
            text=(
                f"{company} a publié ce matin ses résultats du troisième trimestre 2026. Le "
                f"produit net bancaire ressort à {figure} milliards, conforme aux attentes des "
                "analystes, et le groupe confirme ses objectifs annuels. Le titre évolue en "
                "hausse à la Bourse de Paris."
            ),
        )

    save(store, "lemonde", T0, results("BNP Paribas", "12,1"))
    save(store, "lemonde", later(days=2), results("Société Générale", "6,8"))
    assert len(set(stories_by_url(store).values())) == 2
