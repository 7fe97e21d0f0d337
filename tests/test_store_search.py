"""Full-text search of mentions (``veille mentions --search``) on SQLite (FTS5) and PostgreSQL."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect, text

from tests.support.stores import T0, database_url_fixture, later, make_item, store_fixture  # noqa: F401
from veille.store import MentionFilter, Store, StoredItem
from veille.store.db import (
    create_store_engine,
    downgrade_database,
    head_revision,
    upgrade_database,
)
from veille.store.search import SearchTerms, fts5_expression, parse_search, websearch_text
from veille.types import SourceState


def save(store: Store, items: list[StoredItem]) -> None:
    """Save items as one collection by the lemonde source."""
    run = store.begin_run(T0)
    store.save_collection(
        run,
        "lemonde",
        None,
        items,
        SourceState(),
        now=T0,
        next_check_at=later(hours=1),
        not_modified=False,
        duration=0.1,
    )


def found(store: Store, search: str, **filters: object) -> list[str]:
    """Return the titles the search lists, in its order."""
    rows = store.list_mentions(MentionFilter(search=search, limit=None, **filters))  # type: ignore[arg-type]
    return [str(row["title"]) for row in rows]


@pytest.fixture
def corpus(store: Store) -> Store:
    """A store holding French, English and undetermined documents."""
    save(
        store,
        [
            make_item("a", title="Société Générale et acme", text="Un partenariat annoncé."),
            make_item("b", title="Acme lance un produit", text="Le lancement des voitures."),
            make_item("c", title="Rappel de produits acme", text="Un rappel massif, acme déçoit."),
            make_item("d", title="Acme recalls cars", text="Acme cars were recalled.", lang="en"),
            make_item("e", title="acme", text="Sans langue, Ÿ et ÉTÉ.", lang=None),
        ],
    )
    return store


def test_accents_and_case_are_folded(corpus: Store) -> None:
    assert found(corpus, "societe generale") == ["Société Générale et acme"]
    assert found(corpus, "SOCIÉTÉ") == ["Société Générale et acme"]
    assert found(corpus, "decoit") == ["Rappel de produits acme"]
    assert found(corpus, "ete") == ["acme"]


def test_every_word_is_required(corpus: Store) -> None:
    assert found(corpus, "acme rappel") == ["Rappel de produits acme"]
    assert found(corpus, "acme rappel partenariat") == []


def test_phrases_keep_their_word_order(corpus: Store) -> None:
    assert found(corpus, '"acme lance"') == ["Acme lance un produit"]
    assert found(corpus, '"lance acme"') == []
    assert found(corpus, '"rappel massif"') == ["Rappel de produits acme"]


def test_exclusions_drop_the_documents_holding_them(corpus: Store) -> None:
    assert found(corpus, "acme -rappel -cars -partenariat -lance") == ["acme"]
    assert sorted(found(corpus, 'acme -"un rappel massif"')) == [
        "Acme lance un produit",
        "Acme recalls cars",
        "Société Générale et acme",
        "acme",
    ]
    assert found(corpus, "-acme") == []
    assert sorted(found(corpus, "-rappel -recalled")) == sorted(
        ["Société Générale et acme", "Acme lance un produit", "acme"]
    )


def test_a_title_hit_ranks_above_a_body_hit(store: Store) -> None:
    # The body hit is the newer one: without a search it would be listed first.
    save(
        store,
        [
            make_item("title", title="Grève chez acme", text="Rien de plus.", published_at=T0),
            make_item(
                "body",
                title="Actualité du jour",
                text="Les salariés d'acme sont en grève depuis lundi.",
                published_at=later(days=1),
            ),
        ],
    )
    assert found(store, "greve") == ["Grève chez acme", "Actualité du jour"]
    assert [row["title"] for row in store.list_mentions(MentionFilter())] == [
        "Actualité du jour",
        "Grève chez acme",
    ]


def test_french_words_are_stemmed_on_postgresql(corpus: Store) -> None:
    if corpus.engine.dialect.name != "postgresql":
        pytest.skip("stemming is PostgreSQL's; FTS5 matches words as written")
    assert found(corpus, "voiture") == ["Acme lance un produit"]
    assert found(corpus, "recall") == ["Acme recalls cars"]
    # Documents of no known language are not stemmed: « langues » does not find « langue ».
    assert found(corpus, "langues") == []


def test_words_inside_addresses_and_file_names_are_words(store: Store) -> None:
    # PostgreSQL's parser reads a host, an address, an e-mail address or a file name as one
    # word; punctuation separates words there too, as in FTS5.
    save(
        store,
        [
            make_item(
                "a", title="Visit danone.com for details", text="https://www.danone.com/recall"
            ),
            make_item("b", title="News", text="https://www.loreal.com/news", lang="en"),
            make_item("c", title="Contact", text="Write to presse.fr@evian-group.com", lang=None),
            make_item("d", title="Rapport", text="Voir /srv/docs/bilan_annuel.pdf et v2.1"),
            make_item("e", title="Rappel", text="Un recall, sans adresse."),
        ],
    )
    assert found(store, "danone") == ["Visit danone.com for details"]
    assert sorted(found(store, "recall")) == ["Rappel", "Visit danone.com for details"]
    assert found(store, "loreal") == ["News"]
    assert found(store, "news loreal com") == ["News"]
    assert found(store, "evian") == found(store, "presse") == ["Contact"]
    assert found(store, "bilan annuel pdf") == ["Rapport"]
    # The address as written finds it still, and the words of a phrase are kept in order.
    assert found(store, "danone.com") == ["Visit danone.com for details"]
    assert found(store, "www.danone.com/recall") == ["Visit danone.com for details"]
    assert found(store, "presse.fr@evian-group.com") == ["Contact"]
    assert found(store, "/srv/docs/bilan_annuel.pdf") == ["Rapport"]
    assert found(store, '"recall danone"') == []
    assert found(store, "recall -danone.com") == ["Rappel"]


def test_search_narrows_statistics_too(corpus: Store) -> None:
    rows = corpus.stats(MentionFilter(search="rappel OR recalls"), "lang")
    assert rows == []  # "OR" is a word like any other, and no document holds it
    rows = corpus.stats(MentionFilter(search="acme -rappel"), "lang")
    assert {row["key"]: row["mentions"] for row in rows} == {"fr": 2, "en": 1, None: 1}


def test_documents_added_updated_or_deleted_later_are_searched_as_they_are(
    corpus: Store,
) -> None:
    save(corpus, [make_item("f", title="Nouveau café acme", text="Ouvert hier.")])
    assert found(corpus, "cafe") == ["Nouveau café acme"]
    with corpus.engine.begin() as connection:
        connection.execute(
            text("UPDATE documents SET title = 'Nouveau thé' WHERE title LIKE '%caf%'")
        )
    assert found(corpus, "cafe") == []
    assert found(corpus, "the nouveau") == ["Nouveau thé"]
    with corpus.engine.begin() as connection:
        connection.execute(text("DELETE FROM documents WHERE title = 'Nouveau thé'"))
    assert found(corpus, "nouveau") == []


def test_a_search_with_nothing_to_search_for_matches_nothing(corpus: Store) -> None:
    assert found(corpus, "!!! « » --") == []


def test_parsing_quotes_every_term() -> None:
    terms = parse_search('acme "société  générale" -rappel -"le monde" or "x" -"')
    assert terms == SearchTerms(("acme", "société générale", "or", "x"), ("rappel", "le monde"))
    assert fts5_expression(terms) == (
        '("acme" AND "société générale" AND "or" AND "x") NOT ("rappel" OR "le monde")'
    )
    assert websearch_text(terms) == '"acme" "société générale" "or" "x" -"rappel" -"le monde"'
    assert websearch_text(parse_search("danone.com -a@b.fr")) == '"danone com" -"a b fr"'
    assert parse_search('a"b NEAR(c) title:d') == SearchTerms(("a", "b NEAR(c) title:d"))
    assert fts5_expression(parse_search('NEAR(c) "x""')) == '"NEAR(c)" AND "x"'


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(search=st.text(max_size=60))
def test_any_search_text_runs(corpus: Store, search: str) -> None:
    rows = corpus.list_mentions(MentionFilter(search=search, limit=None))
    assert len(rows) <= 5
    corpus.stats(MentionFilter(search=search), "platform")


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(
    words=st.lists(
        st.text(st.sampled_from("ab\"-()*:^ NEARANDOT\\'\x00"), min_size=1, max_size=8),
        max_size=8,
    )
)
def test_search_syntax_characters_never_break_the_query(corpus: Store, words: list[str]) -> None:
    corpus.list_mentions(MentionFilter(search=" ".join(words), limit=None))


STAMP = "2026-03-02 09:30:00"


def _insert_document(engine_url: str) -> None:
    engine = create_store_engine(engine_url)
    try:
        assert upgrade_database(engine, "0004") == "0004"
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO brands (id, name, query, languages, options, active, created_at,"
                    " updated_at) VALUES (1, 'acme', 'acme', '[]', '{}', :yes, :t, :t)"
                ),
                {"yes": True, "t": STAMP},
            )
            connection.execute(
                text(
                    "INSERT INTO documents (id, identity, title, text, platform, collected_at,"
                    " lang, sentiment, tone, classifier_version, fingerprint, story_id)"
                    " VALUES (1, 'guid:a', 'Acme déçoit', 'Les clients se plaignent.', 'news',"
                    " :t, 'fr', -0.5, 'negative', 'v1', 'f', 'f')"
                ),
                {"t": STAMP},
            )
            connection.execute(
                text(
                    "INSERT INTO mentions (document_id, brand_id, matched_terms, first_seen_at)"
                    " VALUES (1, 1, '[\"acme\"]', :t)"
                ),
                {"t": STAMP},
            )
    finally:
        engine.dispose()


def search_objects(url: str) -> set[str]:
    """Return the full-text search tables and columns present in the database."""
    engine = create_store_engine(url)
    try:
        with engine.connect() as connection:
            inspector = inspect(connection)
            tables = {name for name in inspector.get_table_names() if "fts" in name}
            columns = {column["name"] for column in inspector.get_columns("documents")}
        return tables | (columns & {"search_vector"})
    finally:
        engine.dispose()


def test_the_migration_indexes_stored_documents_and_downgrades_cleanly(database_url: str) -> None:
    _insert_document(database_url)
    assert search_objects(database_url) == set()
    engine = create_store_engine(database_url)
    try:
        assert upgrade_database(engine) == head_revision()
    finally:
        engine.dispose()
    store = Store.open(database_url)
    try:
        assert search_objects(database_url)
        assert found(store, "decoit") == ["Acme déçoit"]
        assert found(store, "clients") == ["Acme déçoit"]
        assert downgrade_database(store.engine, "0004") == "0004"
        assert search_objects(database_url) == set()
        with store.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM mentions")).scalar_one() == 1
        assert store.upgrade() == head_revision()
        assert found(store, "decoit") == ["Acme déçoit"]
    finally:
        store.close()
