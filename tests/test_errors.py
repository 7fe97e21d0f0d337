"""The error tree's shared wording."""

from __future__ import annotations

from veille.errors import MAX_NAMES_LISTED, unknown_name_text


def test_a_few_known_names_are_all_listed() -> None:
    assert unknown_name_text("brand", "acme", ["globex", "Acme Corp"]) == (
        "unknown brand 'acme' (known: Acme Corp, globex)"
    )
    assert unknown_name_text("digest", "x", [], none="none configured") == (
        "unknown digest 'x' (known: none configured)"
    )


def test_many_known_names_give_the_closest_or_the_first() -> None:
    names = [f"feed-{index}" for index in range(1000)]
    assert unknown_name_text("source", "feed-99x", names) == (
        "unknown source 'feed-99x' (did you mean feed-99 or feed-999 or feed-998? 1,000 known)"
    )
    far = unknown_name_text("source", "lemonde", names)
    assert (
        far == "unknown source 'lemonde' (1,000 known, the first: feed-0, feed-1, feed-10, "
        "feed-100, feed-101)"
    )
    listed = [f"s{index}" for index in range(MAX_NAMES_LISTED)]
    assert unknown_name_text("source", "x", listed).count(", ") == MAX_NAMES_LISTED - 1
