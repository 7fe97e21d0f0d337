"""Numbers as French and English readers write them, for e-mails and pages alike."""

from __future__ import annotations


def format_number(value: float | int, language: str, decimals: int = 0) -> str:
    """ "1 234,5" in French (narrow no-break spaces), "1,234.5" in English."""
    text = f"{value:,.{decimals}f}"
    if language == "fr":
        text = text.replace(",", "\u202f").replace(".", ",")
    return text


def takes_plural(count: float, language: str) -> bool:
    """Whether a word counted by ``count`` is plural: in French from 2 on (« 0 mention »,
    « 1,5 jour »), in English whenever the count is not 1 ("0 mentions")."""
    return abs(count) >= 2 if language == "fr" else count != 1
