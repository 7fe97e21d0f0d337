"""A brand's own name is no opinion: « Super U », « Bonne Maman », « Le Bon Coin » are scored
as names, not as praise.

Before a mention's tone is scored, the words its brand query matched (the matched terms, as the
query writes them: ``"bonne maman"``, ``danon*``) are taken out of the text. They are found as
the matcher finds them: ignoring case and accents, the words of a phrase apart or joined
(« #BonneMaman »), the last word of a wildcard term as a prefix. The language is still read
off the whole text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from veille.match.literal import accent_blind
from veille.match.tokens import query_words


@lru_cache(maxsize=4096)
def _term_pattern(term: str) -> re.Pattern[str] | None:
    """The pattern finding a matched term's words in a text; None when it has none."""
    wildcard = term.endswith("*") and not term.startswith('"')
    words = query_words(term.strip('"').removesuffix("*"))
    if not words:
        return None
    # Apart, or joined as in a hashtag or a handle (« #BonneMaman », « @SuperU »).
    body = r"[\W_]*".join(accent_blind(word) for word in words)
    tail = r"[^\W_]*" if wildcard else ""
    return re.compile(rf"(?<![^\W_]){body}{tail}(?![^\W_])", re.IGNORECASE)


def without_names(text: str, terms: Iterable[str]) -> str:
    """``text`` with what the matched ``terms`` found in it left out, for scoring its tone."""
    for term in terms:
        pattern = _term_pattern(term)
        if pattern is not None:
            text = pattern.sub(" ", text)
    return text
