"""Host labels that may pass for another site once decoded (IDN homographs: « lеmonde.fr »).

A simplified form of the policy browsers follow to show a host in Unicode (Chromium's
``IDNSpoofChecker``, after Unicode TS #39 "highly restrictive"): one script per label — Latin
with accents, or one other script, or Latin with one of the Chinese, Japanese or Korean sets —
and no label entirely made of Cyrillic letters that look Latin under a Latin top-level domain.
Scripts are read off the Unicode character names (``CYRILLIC SMALL LETTER IE``), which name
the script of every letter a host can hold.
"""

from __future__ import annotations

import unicodedata

# Han with the scripts its languages write beside it count as one script.
_ONE_SCRIPT_TOGETHER = (
    frozenset({"HAN", "HIRAGANA", "KATAKANA"}),  # Japanese
    frozenset({"HAN", "BOPOMOFO"}),  # Chinese
    frozenset({"HAN", "HANGUL"}),  # Korean
)
# Names whose first word is not the script's.
_SCRIPT_OF_WORD = {"CJK": "HAN", "IDEOGRAPHIC": "HAN", "EXTENDED": "ARABIC"}
# Cyrillic letters that look like Latin ones: "аррӏе" reads as "apple".
_LATIN_LOOKING_CYRILLIC = frozenset("асԁеһіјӏорԗԛѕԝхуъьҽпгѵѡ")
# Read differently by IDNA 2003 and 2008 (ß, ς, zero-width joiners): one name, two hosts.
_DEVIATIONS = frozenset("\u00df\u03c2\u200c\u200d")
# Read as a slash or a dash next to letters of other scripts.
_SLASH_OR_DASH_LIKE = frozenset("ノソゾン丶乀乁丿一ㄧ")
_JAPANESE_OR_HAN = frozenset({"HAN", "HIRAGANA", "KATAKANA"})
# Letters an accent above (a combining dot) turns into another: "i̇", "l̇".
_DOTTED_LOOKALIKES = frozenset("ijlı")


def _script(char: str) -> str | None:
    """The script of a character; None for those of every script (digits, hyphen, accents)."""
    if char.isascii():
        return "LATIN" if char.isalpha() else None
    name = unicodedata.name(char, "UNKNOWN")
    if name.startswith("COMBINING"):
        return None
    word = name.split(" ", 1)[0].split("-", 1)[0]  # ARABIC-INDIC DIGIT ONE: Arabic
    return _SCRIPT_OF_WORD.get(word, word)


def _is_accent(char: str) -> bool:
    """A combining accent of no script of its own (the acute of "é" written apart)."""
    return unicodedata.name(char, "").startswith("COMBINING")


def _one_script(scripts: set[str]) -> bool:
    others = scripts - {"LATIN"}
    if len(scripts) <= 1 or not others:
        return True
    return any(others <= together for together in _ONE_SCRIPT_TOGETHER)


def is_deceptive_label(label: str, *, ascii_tld: bool) -> bool:
    """Whether a decoded host label should be shown in its ASCII (punycode) form instead.

    ``ascii_tld`` says whether the host's top-level domain is ASCII (.com, .fr): a label of
    Latin-looking Cyrillic is only a spoof there, not under .рф.
    """
    if label.isascii():
        return False
    if _DEVIATIONS.intersection(label):
        return True
    scripts = [_script(char) for char in label]
    present = {script for script in scripts if script is not None}
    if not _one_script(present):
        return True
    pairs = list(zip(label, scripts, strict=True))
    if len(present) > 1 and any(s == "LATIN" and not c.isascii() for c, s in pairs):
        return True  # accented Latin beside Chinese, Japanese or Korean
    lettered = [char for char, script in pairs if script]
    if present == {"CYRILLIC"} and ascii_tld and _LATIN_LOOKING_CYRILLIC.issuperset(lettered):
        return True
    for index, char in enumerate(label):
        before = label[index - 1] if index else ""
        if char in _SLASH_OR_DASH_LIKE and before and _script(before) not in _JAPANESE_OR_HAN:
            return True
        if _is_accent(char) and (
            not before
            or before in _DOTTED_LOOKALIKES
            or _script(before) not in ("LATIN", "GREEK", "CYRILLIC")
        ):
            return True
    return False
