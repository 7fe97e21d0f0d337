"""Words of business news that VADER reads in another sense, for the English analyzer.

- "shares" and "share" name stock in "Danone shares fall", "shares of Acme", "share prices",
  "its shares", "market share"; VADER rates the verb of sharing (+1.2), so the news of a fall
  read as praise. They are left unrated there, and stay the verb before an object ("shares
  its recipe", "share this") or after a subject pronoun ("I share your concerns").
- the stock or the sales of a company that fall or rise ("shares fall", "sales plunged",
  "stock soars") are bad or good news: VADER rates none of these verbs;
- a product "recall" is bad news; "I recall", "can't recall", "as you recall" are memory.
"""

from __future__ import annotations

import re


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Each fall, rise or recall found adds this valence (VADER's scale), as a rated word would.
NEWS_VALENCE = 1.5

SHARE_WORDS = frozenset(["share", "shares"])
# After "share(s)": stock for sure ("shares of", "share prices").
_STOCK_AFTER = frozenset(
    ["of", "in", "price", "prices", "buyback", "buybacks", "holder", "holders", "capital"]
)
# Before "share(s)": a determiner, a possessive, a number or "market": the noun.
_STOCK_BEFORE = _words(
    "the its their his her our your my a an some these those all more fewer per market fair "
    "majority minority"
)
# What starts the object of the verb "share" ("shares his thoughts", "share this").
_SHARE_OBJECT = _words(
    "a an the this that these those my your his her its our their it them me us him you "
    "some what how with everything nothing something"
)
_SUBJECT_PRONOUNS = _words("i you he she it we they who everyone everybody")

_NEWS_SUBJECT = (
    r"\b(?:shares|stocks?|(?:share|stock)\s+prices?|sales|profits?|revenues?|earnings)"
    r"\s+(?:(?:have|has|had)\s+)?"
)
_FALL = re.compile(
    _NEWS_SUBJECT + r"(?:fall(?:s|en)?|fell|drop(?:s|ped)?|plunge[sd]?|tumble[sd]?"
    r"|slump(?:s|ed)?|sink(?:s)?|sank|sunk|slide[sd]?|slid|dive[sd]?|tank(?:s|ed)?"
    r"|crash(?:es|ed)?|plummet(?:s|ed)?|dip(?:s|ped)?|decline[sd]?|slip(?:s|ped)?)\b"
)
_RISE = re.compile(
    _NEWS_SUBJECT + r"(?:rise[sn]?|rose|jump(?:s|ed)?|soar(?:s|ed)?|surge[sd]?|climb(?:s|ed)?"
    r"|rall(?:y|ies|ied)|gain(?:s|ed)?|rebound(?:s|ed)?|advance[sd]?)\b"
)
_RECALL = re.compile(r"(?:([\w']+)\s+)?\brecall\b")
# Before "recall" as memory: a subject pronoun, a modal or auxiliary, a negation, "to", "as".
_MEMORY_BEFORE = _words(
    "i you we they can could cannot can't cant couldn't would wouldn't will won't should "
    "may might must do does did don't dont doesn't didn't not never to as also still "
    "vaguely clearly"
)


def names_stock(words: list[str], index: int) -> bool:
    """Whether "share(s)" at ``index`` of VADER's words is the stock, not the verb."""
    word = words[index]
    following = words[index + 1].lower() if index + 1 < len(words) else ""
    if following in _STOCK_AFTER:
        return True
    if following in _SHARE_OBJECT:
        return False
    previous = words[index - 1] if index > 0 else ""
    if previous.lower() in _SUBJECT_PRONOUNS:
        return False
    if not previous or word[0].isupper():  # "Shares fell 3 %", opening a sentence
        return True
    return previous.lower() in _STOCK_BEFORE or previous[0].isupper() or previous.isdigit()


def news_valences(lowered: str) -> list[float]:
    """A valence for each fall, rise and product recall that a lowercased text reports."""
    # Most texts hold none of these words; plain substring tests are the fastest way to know.
    if not (
        "share" in lowered
        or "stock" in lowered
        or "sales" in lowered
        or "profit" in lowered
        or "revenue" in lowered
        or "earnings" in lowered
        or "recall" in lowered
    ):
        return []
    falls = len(_FALL.findall(lowered))
    rises = len(_RISE.findall(lowered))
    recalls = sum(1 for before in _RECALL.findall(lowered) if before not in _MEMORY_BEFORE)
    return [-NEWS_VALENCE] * (falls + recalls) + [NEWS_VALENCE] * rises
