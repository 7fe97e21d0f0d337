"""MentionProcessor: normalise, match every brand, classify only what matched."""

from __future__ import annotations

from veille.process import MentionProcessor
from veille.settings import BrandConfig
from veille.types import RawMention


def _raw(title: str, content: str = "", guid: str | None = None) -> RawMention:
    return RawMention(source="s", url=f"https://news.example.fr/{guid or title[:10]}", guid=guid,
                      title=title, content_html=content)  # fmt: skip


def test_items_naming_no_brand_are_dropped_and_two_brands_share_one_item() -> None:
    processor = MentionProcessor(
        [BrandConfig(name="Danone"), BrandConfig(name="Michelin", query="michelin")]
    )
    items = processor.process(
        [
            _raw("Danone et Michelin signent un accord", guid="a"),
            _raw("La météo de demain", guid="b"),
            _raw("<b>Michelin</b> ouvre une usine", "<p>Une très bonne nouvelle.</p>", guid="c"),
            _raw("Danone et Michelin signent un accord", guid="a"),  # the same item twice
        ]
    )
    assert [sorted(name for name, _ in item.matches) for item in items] == [
        ["Danone", "Michelin"],
        ["Michelin"],
    ]
    assert items[1].document.title == "Michelin ouvre une usine"
    assert items[1].classification.lang == "fr"
    assert items[1].classification.tone == "positive"
    assert items[0].matches[0][1].terms == ('"Danone"',)


def test_language_scoped_queries_see_the_detected_language() -> None:
    processor = MentionProcessor([BrandConfig(name="Danone", query="danone AND lang:en")])
    items = processor.process(
        [
            _raw("Danone opens a new plant in Ohio and hires workers", guid="en"),
            _raw("Danone ouvre une nouvelle usine et embauche des salariés", guid="fr"),
        ]
    )
    assert [item.document.identity.rsplit(":", 1)[-1] for item in items] == ["en"]


def test_site_scopes_tell_subdomains_apart() -> None:
    # The stored site is the registrable domain; site: also sees the host within it.
    processor = MentionProcessor(
        [
            BrandConfig(name="Danone", query="danone NOT site:blog.danone.com"),
            BrandConfig(name="Abonnés", query="danone site:abonnes.lemonde.fr"),
            BrandConfig(name="Le Monde", query="danone site:lemonde.fr"),
        ]
    )
    items = processor.process(
        [
            RawMention(source="s", url=url, guid=url, title="Danone recrute")
            for url in (
                "https://blog.danone.com/rse",
                "https://www.danone.com/actualites",
                "https://abonnes.lemonde.fr/eco/danone",
                "https://www.lemonde.fr/eco/danone",
            )
        ]
    )
    brands = {item.document.url: sorted(name for name, _ in item.matches) for item in items}
    assert brands == {
        "https://www.danone.com/actualites": ["Danone"],
        "https://abonnes.lemonde.fr/eco/danone": ["Abonnés", "Danone", "Le Monde"],
        "https://www.lemonde.fr/eco/danone": ["Danone", "Le Monde"],
    }
    assert {item.document.site for item in items} == {"danone.com", "lemonde.fr"}


def test_an_aggregator_link_leaves_site_scopes_to_the_publisher() -> None:
    processor = MentionProcessor([BrandConfig(name="Danone", query="danone site:lemonde.fr")])
    item = RawMention(
        source="s",
        url="https://news.google.com/rss/articles/CBMiabc",
        guid="g1",
        title="Danone recrute",
        site_url="https://www.lemonde.fr",
    )
    assert [item.document.site for item in processor.process([item])] == ["lemonde.fr"]


def test_a_footnote_call_or_mark_in_html_does_not_hide_the_brand_before_it() -> None:
    processor = MentionProcessor([BrandConfig(name="Danone", query="danone")])
    items = processor.process(
        [
            _raw("Résultats annuels", "<p>Le chiffre d'affaires de Danone<sup>1</sup> croît.</p>",
                 guid="note"),
            _raw("Nouveauté", "<p>Le yaourt Danone<sup>TM</sup> arrive.</p>", guid="mark"),
            # The parser's way (a table), as the plain reading's.
            _raw("Tableau", "<table><tr><td>Danone<sup><a href='#n2'>2</a></sup></td></tr></table>",
                 guid="table"),
        ]
    )  # fmt: skip
    assert [item.document.identity.rsplit(":", 1)[-1] for item in items] == [
        "note",
        "mark",
        "table",
    ]
    assert items[0].document.text == "Le chiffre d'affaires de Danone¹ croît."
    assert items[1].document.text == "Le yaourt Danone TM arrive."


def test_a_name_typed_without_its_elision_finds_the_press_spelling() -> None:
    processor = MentionProcessor([BrandConfig(name="L'Oréal", query="loreal")])
    items = processor.process(
        [
            _raw("Le groupe L’Oréal rachète une marque coréenne", guid="press"),
            _raw("Chez <b>L&#8217;Or&eacute;al</b>, la beauté", guid="markup"),
            _raw("Il s’agit d’une autre histoire, l’oréal ou pas", guid="words"),
        ]
    )
    assert [item.document.identity.rsplit(":", 1)[-1] for item in items] == ["press", "markup"]
    assert [item.matches[0][1].terms for item in items] == [("loreal",), ("loreal",)]
