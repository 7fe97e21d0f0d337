"""Brand-targeted tone: mentions scored on the sentences naming their brand, when opted in."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.support.feedserver import FeedServer
from tests.support.project import TEST_HTTP, project_engine_fixture, run  # noqa: F401
from veille.classify import Classifier, sentiment_score, tone_of
from veille.classify.targeted import BrandSentences, split_sentences
from veille.match import compile_query
from veille.process import MentionProcessor, classified_text
from veille.settings import BrandConfig, load_settings
from veille.store import Store
from veille.store.schema import document_table
from veille.types import RawMention

CLASSIFIER = Classifier(["fr", "en"])

FR_TITLE = "Nestlé brille, Danone déçoit"
FR_TEXT = (
    "Nestlé a présenté des résultats excellents, une réussite remarquable et une équipe "
    "formidable. Danone, en revanche, a déçu : une gestion catastrophique et des ventes en chute. "
    "Les analystes saluent la stratégie brillante de Nestlé."
)
EN_TITLE = "Globex shines while Acme stumbles"
EN_TEXT = (
    "Globex delivered a wonderful, brilliant quarter and customers love it. Acme's launch was "
    "a terrible failure and reviewers hated it. Globex is the clear winner, a fantastic success."
)


def targeted(query: str, title: str, text: str) -> tuple[float, float]:
    """(document sentiment, the brand's sentiment) of a document the query matches."""
    brand_query = compile_query(query)
    match = brand_query.match(title=title, text=text)
    assert match.matched
    document = CLASSIFIER.classify(classified_text(title, text))
    score = BrandSentences(brand_query).sentiment(
        title=title,
        text=text,
        lang=document.lang,
        document_sentiment=document.sentiment,
        matched_terms=match.terms,
    )
    return document.sentiment, score


# Sentences


def test_french_sentences_keep_quotes_and_abbreviations_together() -> None:
    text = (
        "M. Dupont l'a dit : « C'est un échec. » Puis il est parti… sans un mot. "
        "Le prix était de 3.5 euros ! Vraiment ?\nUne ligne à part"
    )
    assert split_sentences(text) == [
        "M. Dupont l'a dit : « C'est un échec. »",
        "Puis il est parti… sans un mot.",
        "Le prix était de 3.5 euros !",
        "Vraiment ?",
        "Une ligne à part",
    ]


def test_english_sentences_skip_titles_and_initials() -> None:
    text = 'Dr. J. Smith joined Acme Inc. in May. "It failed," he said. Then 2026 came.'
    assert split_sentences(text) == [
        "Dr. J. Smith joined Acme Inc. in May.",
        '"It failed," he said.',
        "Then 2026 came.",
    ]


def test_social_posts_split_before_handles_hashtags_emoji_and_after_exclamations() -> None:
    assert split_sentences("Merci @Nestle, génial ! @Danone vous êtes nuls.") == [
        "Merci @Nestle, génial !",
        "@Danone vous êtes nuls.",
    ]
    assert split_sentences("#Nestle bravo ! #Danone décevant. #fail encore") == [
        "#Nestle bravo !",
        "#Danone décevant.",
        "#fail encore",
    ]
    assert split_sentences("Top ! 😡 Danone nul") == ["Top !", "😡 Danone nul"]
    # What only ends a post (emoji, hashtags) stays with the sentence it is about.
    for post in (
        "Encore une rupture de stock chez Danone. 😡😡",
        "Danone a encore augmenté ses prix ! #arnaque",
        "Merci @Danone ! 😍😍",
    ):
        assert split_sentences(post) == [post]
    # A word in lower case continues the sentence, after ! and ? too.
    assert split_sentences("Super produit ! danone au top") == ["Super produit ! danone au top"]
    # After a period, a word in lower case still continues the sentence (abbreviations, 3.5).
    one = "Il a vu M. dupont. puis 3.5 fois"
    assert split_sentences(one) == [one]


def test_a_social_post_praising_a_competitor_is_negative_for_the_brand() -> None:
    post = "Merci @Nestle pour ce super produit, génial ! @Danone vous êtes nuls."
    document, danone = targeted("danone", "", post)
    assert tone_of(danone) == "negative" and danone < document


def test_the_query_keeps_the_sentences_about_the_brand() -> None:
    finder = BrandSentences(compile_query('danone* NOT "danone cup"'))
    text = "Danone a déçu. La Danone Cup était belle. Rien à voir."
    assert finder.sentences(title="", text=text, matched_terms=["danone*"]) == ["Danone a déçu."]
    # The context operands of AND are met by the document: sentences naming Orange are kept,
    # not the one about another operator's fibre.
    orange = BrandSentences(compile_query("case:Orange AND (fibre OR forfait)"))
    text = "SFR propose une offre fibre excellente. Orange a déçu ses clients."
    kept = orange.sentences(title="", text=text, matched_terms=["Orange", "fibre"])
    assert kept == ["Orange a déçu ses clients."]


# Scores


def test_a_french_article_praising_a_competitor_is_negative_for_the_brand() -> None:
    document, danone = targeted("danone*", FR_TITLE, FR_TEXT)
    assert tone_of(document) != "negative"  # the whole text is not negative…
    assert tone_of(danone) == "negative"  # …but what it says of Danone is
    _, nestle = targeted("nestlé", FR_TITLE, FR_TEXT)
    assert tone_of(nestle) == "positive"


def test_an_english_article_praising_a_competitor_is_negative_for_the_brand() -> None:
    document, acme = targeted("acme", EN_TITLE, EN_TEXT)
    assert tone_of(document) == "positive"
    assert tone_of(acme) == "negative"
    kept = "Acme stumbles\nAcme's launch was a terrible failure and " \
        "reviewers hated it."  # fmt: skip
    assert acme == pytest.approx(sentiment_score(kept, "en"))


def test_matched_terms_stand_in_when_no_sentence_matches_the_query() -> None:
    # NEAR across a sentence end: no single sentence matches, the sentences naming either do.
    finder = BrandSentences(compile_query("acme NEAR/4 recall"))
    text = "Acme shipped its cars. A recall followed. The weather was fine."
    terms = ["acme", "recall"]
    assert finder.sentences(title="", text=text, matched_terms=terms) == [
        "Acme shipped its cars.",
        "A recall followed.",
    ]


def test_the_document_score_stands_when_no_sentence_names_the_brand() -> None:
    # The phrase runs across a sentence end: the document matches, no sentence holds it.
    query = compile_query('"acme corp"')
    text = "The plant was sold to Acme. Corp leaders were thrilled and grateful, a great day."
    match = query.match(title="", text=text)
    assert match.matched
    finder = BrandSentences(query)
    assert finder.sentences(title="", text=text, matched_terms=match.terms) == []
    score = finder.sentiment(
        title="", text=text, lang="en", document_sentiment=-0.25, matched_terms=match.terms
    )
    assert score == -0.25


def test_only_brands_that_opt_in_get_their_own_tone() -> None:
    brands = [
        BrandConfig(name="Danone", query="danone*", tone="brand"),
        BrandConfig(name="Nestle", query="nestlé"),
    ]
    raw = RawMention(source="feed", url="https://example.org/a", title=FR_TITLE,
                     content_html=FR_TEXT, lang_hint="fr")  # fmt: skip
    [item] = MentionProcessor(brands).process([raw])
    [plain] = MentionProcessor([brands[0].model_copy(update={"tone": "document"}), brands[1]]) \
        .process([raw])  # fmt: skip
    assert {name for name, _ in item.matches} == {"Danone", "Nestle"}
    assert set(item.brand_tones) == {"Danone"} and plain.brand_tones == {}
    assert item.brand_tones["Danone"].tone == "negative"
    assert item.classification == plain.classification  # the document's tone is untouched


# Configuration, store and commands

FEED = f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Économie</title><link>https://presse.example/</link>
<language>fr</language>
<item><title>{FR_TITLE}</title><link>https://presse.example/agro</link>
<description>{FR_TEXT}</description><pubDate>Mon, 02 Mar 2026 08:00:00 GMT</pubDate></item>
</channel></rss>
"""


def write_project(folder: Path, feed_url: str, danone_tone: str) -> Path:
    """A project listening to Danone (with ``danone_tone``) and Nestlé on one feed."""
    config = folder / "config" / "veille.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        f'[[brands]]\nname = "Danone"\nquery = "danone*"\ntone = "{danone_tone}"\n\n'
        f'[[brands]]\nname = "Nestle"\nquery = "nestlé"\n{TEST_HTTP}\n'
        f'[[sources]]\nname = "presse"\nkind = "rss"\nurl = "{feed_url}"\n',
        encoding="utf-8",
    )
    return config


def mentions(config: Path, *args: str) -> list[dict[str, object]]:
    """``veille mentions`` as JSON."""
    result = run(config, "mentions", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def document_scores(config: Path) -> tuple[float, str]:
    """The stored document's own sentiment and tone."""
    store = Store.open(load_settings(config).database_url)
    try:
        with store.engine.connect() as connection:
            row = connection.execute(
                select(document_table.c.sentiment, document_table.c.tone)
            ).one()
    finally:
        store.close()
    return row.sentiment, row.tone


@pytest.fixture
def collected(feed_server: FeedServer, tmp_path: Path) -> Path:
    """The project, collected once with Danone's tone targeted."""
    feed_server.add("/agro.xml", FEED.encode())
    config = write_project(tmp_path, feed_server.url("/agro.xml"), "brand")
    assert run(config, "collect", "--quiet").exit_code == 0
    return config


@pytest.mark.usefixtures("project_engine")
def test_listings_and_statistics_use_the_brand_s_tone(collected: Path) -> None:
    sentiment, tone = document_scores(collected)
    assert tone != "negative"
    by_brand = {m["brand"]: m for m in mentions(collected)}
    assert by_brand["Danone"]["tone"] == "negative"
    assert float(by_brand["Danone"]["sentiment"]) < 0  # type: ignore[arg-type]
    assert (by_brand["Nestle"]["tone"], by_brand["Nestle"]["sentiment"]) == (tone, sentiment)

    negative = mentions(collected, "--tone", "negative", "--brand", "Danone")
    assert [m["brand"] for m in negative] == ["Danone"]
    assert mentions(collected, "--tone", "negative", "--brand", "Nestle") == []
    assert [m["brand"] for m in mentions(collected, "--tone", tone)] == ["Nestle"]

    def tone_stats(brand: str) -> dict[str, object]:
        result = run(collected, "stats", "--by", "tone", "--brand", brand, "--format", "json")
        assert result.exit_code == 0, result.output
        [row] = json.loads(result.stdout)
        return row  # type: ignore[no-any-return]

    danone = tone_stats("Danone")
    assert (danone["key"], danone["negative"], danone["mentions"]) == ("negative", 1.0, 1)
    assert danone["avg_sentiment"] == round(float(by_brand["Danone"]["sentiment"]), 4)  # type: ignore[arg-type]
    assert tone_stats("Nestle")["key"] == tone
    story = run(
        collected, "mentions", "--group-by", "story", "--brand", "Danone", "--format", "json"
    )
    assert json.loads(story.stdout)[0]["negative"] == 1


@pytest.mark.usefixtures("project_engine")
def test_digests_and_alerts_count_the_brand_s_tone(collected: Path) -> None:
    _, tone = document_scores(collected)
    store = Store.open(load_settings(collected).database_url)
    try:
        digest = store.digest_mentions(["Danone", "Nestle"], after_id=None)
        assert {m["brand"]: m["tone"] for m in digest} == {"Danone": "negative", "Nestle": tone}
        now = datetime.now(UTC)
        events = store.alert_events(["Danone", "Nestle"], now - timedelta(days=3650), now)
        assert {brand: negative for brand, _, negative in events} == {
            "Danone": True,
            "Nestle": False,
        }
        for brand, expected in (("Danone", 1), ("Nestle", 0)):
            window = store.alert_window_mentions(
                brand, after=now - timedelta(days=3650), seen_until=now, negative_only=True,
                limit=5,
            )  # fmt: skip
            assert len(window) == expected
    finally:
        store.close()


@pytest.mark.usefixtures("project_engine")
@pytest.mark.parametrize("processes", ["0", "1"])
def test_reclassify_applies_a_changed_brand_tone(
    feed_server: FeedServer, tmp_path: Path, processes: str
) -> None:
    feed_server.add("/agro.xml", FEED.encode())
    url = feed_server.url("/agro.xml")
    config = write_project(tmp_path, url, "document")
    assert run(config, "collect", "--quiet").exit_code == 0
    _, tone = document_scores(config)
    assert {m["brand"]: m["tone"] for m in mentions(config)} == {"Danone": tone, "Nestle": tone}

    write_project(tmp_path, url, "brand")
    # With a worker process, the brand's tone setting reaches the worker.
    workers = ("--processes", processes)
    result = run(config, "reclassify", "--all", "--brand", "Danone", "--quiet", *workers)
    assert result.exit_code == 0, result.output
    # Counted when the tone a mention is listed in changes, not when it only becomes its own.
    changed = int(tone != "negative")
    line = f"{changed} mention(s) scored on their brand's sentences changed tone."
    assert (line in result.stdout) is bool(changed), result.stdout
    assert {m["brand"]: m["tone"] for m in mentions(config)} == {
        "Danone": "negative",
        "Nestle": tone,
    }
    again = run(config, "reclassify", "--all", "--quiet")
    assert "brand's sentences" not in again.stdout  # nothing left to change

    write_project(tmp_path, url, "document")
    back = run(config, "reclassify", "--all", "--quiet")
    assert back.exit_code == 0
    assert (line in back.stdout) is bool(changed), back.stdout
    assert {m["brand"]: m["tone"] for m in mentions(config)} == {"Danone": tone, "Nestle": tone}


@pytest.mark.usefixtures("project_engine")
def test_an_unknown_tone_setting_is_a_configuration_error(tmp_path: Path) -> None:
    config = write_project(tmp_path, "https://example.org/feed.xml", "sentences")
    result = run(config, "mentions")
    assert result.exit_code == 2
    assert "brands[0].tone" in result.output
    assert "'document' or 'brand'" in result.output


@pytest.mark.usefixtures("project_engine")
def test_the_tone_filter_reads_the_document_tone_where_no_brand_opted_in(collected: Path) -> None:
    # The document's tone alone keeps the planner's estimates (and the listing's speed on a
    # million mentions); the coalesced tone is only read where a brand has tones of its own.
    from veille.store.lookups import stored_brand_ids
    from veille.store.queries import tone_condition

    store = Store.open(load_settings(collected).database_url)
    try:
        with store.engine.connect() as connection:
            danone = stored_brand_ids(connection, ["Danone"])
            nestle = stored_brand_ids(connection, ["Nestle"])
            assert "coalesce" in str(tone_condition(connection, "negative", danone)).lower()
            assert "coalesce" not in str(tone_condition(connection, "negative", nestle)).lower()
            assert "coalesce" in str(tone_condition(connection, "negative")).lower()
    finally:
        store.close()


def test_a_post_s_closing_emoji_and_hashtags_count_in_the_brand_s_tone() -> None:
    for post in (
        "Encore une rupture de stock chez Danone. 😡😡",
        "Danone augmente ses prix ! #arnaque",
    ):
        document, danone = targeted("danone", "", post)
        assert tone_of(danone) == "negative" and danone == document
