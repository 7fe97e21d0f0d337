"""The evidence test that drops items before matching never drops an item a query matches."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.test_query_properties import _LEAVES, QUERIES
from veille.match import And, Field, Near, Node, Not, Or, Phrase, Term, compile_query
from veille.match.evidence import EvidenceFilter, evidence_words
from veille.match.matcher import BrandQuery
from veille.process import MentionProcessor
from veille.settings import BrandConfig
from veille.types import RawMention


def _leaf_texts(node: Node) -> list[str]:
    if isinstance(node, Term | Phrase):
        return [node.text]
    if isinstance(node, Near):
        return [node.left.text, node.right.text]
    if isinstance(node, Field | Not):
        return _leaf_texts(node.child)
    return [text for child in node.children for text in _leaf_texts(child)]


def _variants(text: str) -> list[str]:
    """Ways a document may write a query's words: as written, in capitals, hyphen-joined,
    split by a hyphen (which the matcher also reads joined), or in a camel-case hashtag or
    handle (which the matcher reads word by word)."""
    words = text.split()
    middle = len(text) // 2
    split = text[:middle] + "-" + text[middle:]
    camel = "".join(word[:1].upper() + word[1:] for word in words)
    tags = ["#" + camel, "@Le" + camel, "#" + camel + "2024", "#X" + text.title()]
    # After an elision, as a name: « L’Oréal » for loreal.
    elided = [f"{text[:1]}’{text[1:].title()}"]
    return [text, text.upper(), text.title(), "-".join(words), "".join(words), split, *tags,
            *elided]  # fmt: skip


@st.composite
def _queries_and_documents(draw: st.DrawFn) -> tuple[Node, bool, str, str]:
    node = draw(QUERIES)
    pieces = [variant for text in _leaf_texts(node) for variant in _variants(text)]
    pieces += ["avant", "après", "<b>", "</b>", "&amp;", "-", "l'", "x"]
    words = st.lists(st.sampled_from(pieces), max_size=8).map(" ".join)
    return node, draw(st.booleans()), draw(words), draw(words)


@settings(max_examples=1000)
@given(_queries_and_documents())
def test_a_text_the_filter_drops_is_never_matched(
    case: tuple[Node, bool, str, str],
) -> None:
    node, case_sensitive, title, text = case
    query = BrandQuery("generated", node, case_sensitive=case_sensitive)
    evidence = EvidenceFilter([evidence_words(node, case_sensitive=case_sensitive)])
    if query.match(title=title, text=text, site="example.fr", lang="fr").matched:
        assert evidence.may_match(title, text)


@settings(max_examples=1000)
@given(_LEAVES, st.data())
def test_a_text_a_word_or_phrase_matches_holds_its_evidence(
    leaf: Term | Phrase, data: st.DataObject
) -> None:
    pieces = [*_variants(leaf.text), "avant", "-", "x"]
    title = " ".join(data.draw(st.lists(st.sampled_from(pieces), min_size=1, max_size=3)))
    if BrandQuery("generated", leaf).match(title=title, text="").matched:
        assert EvidenceFilter([evidence_words(leaf)]).may_match(title, "")


def _filter(query: str) -> EvidenceFilter:
    return EvidenceFilter([evidence_words(compile_query(query).node)])


def test_a_text_without_the_brand_is_dropped() -> None:
    evidence = _filter('danone OR "société générale"')
    assert evidence.active
    assert not evidence.may_match("Les marchés ouvrent en hausse", "Le CAC 40 gagne 1 %")
    assert evidence.may_match("SOCIÉTÉ Générale publie ses résultats", "")
    assert evidence.may_match("Titre", "Un yaourt Danone")


def test_words_are_found_as_the_matcher_finds_them() -> None:
    assert _filter("cocacola").may_match("Coca-Cola lance une boisson", "")
    assert _filter("loreal").may_match("Le groupe L’Oréal", "")
    assert _filter("danon*").may_match("Les Danoneries", "")
    assert _filter("oeuvre").may_match("Une Œuvre", "")
    assert _filter("title:danone").may_match("Danone", "")


def test_queries_that_need_no_word_let_every_text_through() -> None:
    for query in ("site:lemonde.fr", "site:lemonde.fr lang:fr", "author:dupont", "case:Orange"):
        assert not _filter(query).active, query
    # One query without evidence is enough: the filter cannot rule anything out.
    mixed = EvidenceFilter([evidence_words(compile_query("danone").node), None])
    assert not mixed.active
    assert mixed.may_match("rien", "")


def test_evidence_of_combined_queries() -> None:
    danone, evian = Term("danone"), Term("évian")
    # danone is also found in « D’Anone » (a name after an elision): "anone" is in both.
    assert evidence_words(Or((danone, evian))) == {"anone", "evian"}
    assert evidence_words(And((danone, Not(evian)))) == {"anone"}
    assert evidence_words(Or((danone, Not(evian)))) is None
    assert evidence_words(And((danone, Not(Term("longer than danone"))))) == {"anone"}
    assert evidence_words(And((Term("michelin"), Not(evian)))) == {"michelin"}
    assert evidence_words(Phrase("pouvoir d'achat")) == {"pouvoir"}
    assert evidence_words(Near(Term("grève"), Phrase("air france"), 3)) == {"france"}
    assert evidence_words(danone, case_sensitive=True) is None


def test_the_processor_keeps_the_same_items_with_and_without_the_filter() -> None:
    raws = [
        RawMention(source="s", url="https://a.fr/1", title="Danone rachète une start-up"),
        RawMention(source="s", url="https://a.fr/2", title="Rien à voir", content_html="Météo"),
        RawMention(source="s", url="https://a.fr/3", title="Dan\x00one et <b>Dan</b>one"),
        RawMention(source="s", url="https://a.fr/4", title="Bourse", content_html="&#68;anone"),
        RawMention(source="s", url="https://a.fr/5", title="Le groupe DANONE-Évian", guid="g"),
    ]
    brand = BrandConfig(name="Danone", query="danone OR danoneevian", languages=("fr",))
    filtered = MentionProcessor([brand])
    unfiltered = MentionProcessor([brand])
    unfiltered.evidence = EvidenceFilter([None])
    kept = filtered.process(raws)
    assert kept == unfiltered.process(raws)
    assert [item.document.canonical_url for item in kept] == [
        "https://a.fr/1",
        "https://a.fr/3",
        "https://a.fr/4",
        "https://a.fr/5",
    ]


def test_a_status_naming_the_brand_only_in_tags_is_kept() -> None:
    # Mastodon's markup for a hashtag and a handle, as statuses carry it.
    tag = '<a href="https://piaille.fr/tags/BoycottDanone" class="mention hashtag">#<span>'
    handle = '<span class="h-card"><a href="https://x.fr/@AirFrance" class="mention">@<span>'
    statuses = {
        "https://a.fr/1": f"<p>{tag}BoycottDanone</span></a></p>",
        "https://a.fr/2": f"<p>Merci {handle}AirFrance</span></a></span></p>",
        "https://a.fr/3": "<p>#boycottdanonesque</p>",
    }
    raws = [RawMention(source="s", url=url, content_html=html) for url, html in statuses.items()]
    brands = [
        BrandConfig(name="Danone", query="danone", languages=("fr",)),
        BrandConfig(name="Air France", query='"Air France"', languages=("fr",)),
    ]
    kept = MentionProcessor(brands).process(raws)
    found = {
        item.document.canonical_url: [name for name, match in item.matches if match.matched]
        for item in kept
    }
    assert found == {"https://a.fr/1": ["Danone"], "https://a.fr/2": ["Air France"]}


_HTML_PIECES = st.sampled_from(
    [
        "<p>", "</p>", "<b>", "</b>", "<br/>", "<i/>", "<P>", '<a href="x>y">', "</a>", "<b",
        "<script>", "</script>", "<style>", "</style>", "<svg>", "</svg>", "<math>", "<?x>",
        "</3>", "</>", "<![CDATA[y]]>", "<!--", "-->", "<title>", "</title>", "<textarea>",
        "&amp;", "&lt;", "&gt;", "&#68;", "&#x44;", "&eacute;", "&eacute", "&notin;", "&not",
        "&#0;", "&#x1F600;", "&;", "&", "<", ">", '"', "'", "=", " ", "\n", "Dan", "one",
        "é", "E\u0301", "x", "l'", "coca-", "cola", "DANONE", "<sup>", "</sup>", "<sub>", "1",
        "TM",
    ]
)  # fmt: skip


@settings(max_examples=1500)
@given(st.lists(_HTML_PIECES, max_size=12).map("".join))
# A dropped element's neighbours join into one word in the parsed text.
@example("&#68;<svg>&eacute;<b>x")
@example("Dan<script>x</script>one")
def test_the_rough_text_holds_every_word_the_parsed_text_holds(html: str) -> None:
    from veille.match.tokens import query_words
    from veille.normalize.text import fold_case_and_accents, html_to_text, rough_text

    rough = rough_text(html)
    if rough is None:
        return
    haystack = fold_case_and_accents(rough)
    for word in query_words(html_to_text(html)):
        assert word in haystack, (html, rough, html_to_text(html))
