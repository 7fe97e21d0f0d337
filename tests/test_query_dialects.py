"""Brand queries compiled to remote search syntaxes."""

from __future__ import annotations

import pytest

from veille.match.dialects import alternatives, compile_query_for


@pytest.mark.parametrize(
    ("query", "web", "gdelt", "lucene"),
    [
        ("danone", "danone", "danone", "danone"),
        ('"société générale"', '"société générale"', '"société générale"', '"société générale"'),
        ("danone OR evian", "danone OR evian", "(danone OR evian)", "danone OR evian"),
        ("danone NOT cup", "danone -cup", "danone -cup", "danone AND NOT cup"),
        ("site:lemonde.fr danone", "site:lemonde.fr danone", "domainis:lemonde.fr danone",
         "site:lemonde.fr AND danone"),
        ("title:danone", "intitle:danone", "danone", "title:danone"),
        ("danone NEAR/3 usine", "danone usine", 'near5:"danone usine"', "danone AND usine"),
        ("danone lang:fr", "danone", "danone", "danone"),
        # GDELT refuses two-letter words: that OR cannot be said, so it is dropped rather than
        # narrowed (local matching still applies the whole query).
        ("orange AND (fibre OR 5G)", "orange (fibre OR 5G)", "orange",
         "orange AND (fibre OR 5G)"),
    ],
)  # fmt: skip
def test_dialects(query: str, web: str, gdelt: str, lucene: str) -> None:
    assert compile_query_for(query, "web") == web
    assert compile_query_for(query, "lucene") == lucene
    assert compile_query_for(query, "gdelt") == gdelt


def test_alternatives_expand_or_branches_and_drop_exclusions() -> None:
    assert alternatives('("Danone" OR danone*) NOT "danone cup"') == ["Danone"]
    assert alternatives("orange AND (fibre OR télécom)") == ["orange fibre", "orange télécom"]
    assert alternatives("a OR b OR c OR d OR e OR f", limit=3) == ["a", "b", "c"]
    assert alternatives("danone site:lemonde.fr") == ["danone"]


def test_unknown_dialect() -> None:
    with pytest.raises(ValueError, match="unknown dialect"):
        compile_query_for("danone", "sql")
