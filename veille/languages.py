"""The languages veille tells apart: the ISO 639-1 codes of py3langid's model.

A plain set, so that a configuration's languages are checked as it is read, without loading the
model (tests/test_lang.py checks that it is the model's own list).
"""

from __future__ import annotations

_CODES = (
    "af am an ar as az ba be bg bn br bs ca cs cy da de dz el en eo es et eu fa fi fo fr fy "
    "ga gd gl gu ha he hi hr ht hu hy id ig is it ja jv ka kk km kn ko ku ky la lb lg ln lo "
    "lt lv mg mk ml mn mr ms mt my ne nl nn no oc om or pa pl ps pt qu ro ru rw sa se si sk "
    "sl sn so sq sr st sv sw ta te tg th tk tl tr tt ug uk ur uz vi vo wa xh yo zh zu"
)
DETECTABLE_LANGUAGES = frozenset(_CODES.split())


def language_code(value: str) -> str | None:
    """The code of a language asked for ("fr", "FR", "fr-FR", "fr_CA" → "fr"); None if unknown.

    Stored mentions carry ISO 639-1 codes only: a regional form asks for its language.
    """
    primary = value.strip().replace("_", "-").split("-", 1)[0].lower()
    return primary if primary in DETECTABLE_LANGUAGES else None
