"""Brand-targeted tone: score the sentences that name a brand rather than the whole document.

An article that praises a competitor and criticises the brand reads as positive or balanced as a
whole; for the brand it is negative. For brands configured with ``tone = "brand"`` the mention's
sentiment is the sentiment of the kept sentences, scored by the document's analyzer
(:func:`veille.classify.sentiment_score` with the document's language):

1. the sentences the brand's query matches, read as a *sentence query*: an AND's first operand
   that looks for words is the brand, its further word operands are context the document as a
   whole already met (``case:Orange AND (fibre OR forfait)`` keeps the sentences naming Orange,
   not those about fibre), while exclusions (NOT) and site:, lang:, author: scopes still apply,
   the last three to the document's own site, language and author;
2. when no sentence matches (a NEAR or a phrase across a sentence end), the sentences holding
   one of the terms the document matched;
3. when none does either, the document's own score.

A kept sentence is cut into clauses at contrast and comparison connectives
(:mod:`veille.classify.clauses`): in « Orange propose une offre excellente, mais Bouygues
Telecom déçoit » only the first clause is about Orange.

Everything here is pure and deterministic.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from veille.classify import sentiment_score
from veille.classify.clauses import is_headline, names_someone, split_clauses
from veille.classify.names import name_labels, without_names
from veille.match import And, BrandQuery, Field, Near, Node, Or, Phrase, Term, positive_terms
from veille.match.parser import format_query

# Words whose period does not end a sentence (compared case-folded, without the period).
ABBREVIATIONS = frozenset(
    {
        # French
        "m", "mm", "mme", "mmes", "mlle", "mlles", "dr", "pr", "me", "mgr", "st", "ste", "cf",
        "etc", "env", "av", "bd", "ex", "p", "pp", "n", "no", "vol", "chap", "fig", "éd",
        "janv", "févr", "avr", "juil", "sept", "oct", "nov", "déc", "c.-à-d", "c-à-d",
        # English
        "mr", "mrs", "ms", "prof", "sr", "jr", "inc", "ltd", "co", "corp", "vs", "e.g", "i.e",
        "approx", "dept", "est", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "dec",
        "u.s", "u.k", "a.m", "p.m",
    }
)  # fmt: skip

# End punctuation, closing quotes and brackets that stay with the sentence, then blank space.
_END = re.compile(r"[.!?…]+[\s\u00a0\u202f]*[»\"”’)\]]*(?=\s)")
# What may start the next sentence: opening quotes, dashes and brackets, then a capital or digit,
# a handle or hashtag (« @Danone vous êtes nuls »), or an emoji.
_NEXT_START = re.compile(
    r"\s*[«\"“‘(\[\-–—]?[\s\u00a0\u202f]*([@#]?[^\W_]|[\u2600-\u27bf\U0001f300-\U0001faff])"
)
# What ends a post without saying anything more: hashtags, handles, emoji, punctuation. Left
# with the sentence before it, which it is about (« … chez Danone. 😡 », « … ! #arnaque »).
_ONLY_TAGS = re.compile(r"(?:[#@][^\W_]+|[^\w]|_)*")
_WORD_BEFORE = re.compile(r"([\w.\-]+)$")
_SINGLE_PERIOD = re.compile(r"\.(?![.!?…])")


def split_sentences(text: str) -> list[str]:
    """Split text into sentences: at . ! ? … before a capital, a digit, a handle, a hashtag or
    an emoji followed by words, and at line breaks.

    Abbreviations (« M. », "Dr.", "etc.") and initials ("J. Smith") do not end a sentence;
    closing « » and quotes stay with the sentence they close.
    """
    sentences: list[str] = []
    for line in text.splitlines():
        start = 0
        for end in _END.finditer(line):
            following = _NEXT_START.match(line, end.end())
            if following is None:
                continue
            first = following.group(1)
            tag_or_emoji = len(first) > 1 or not first.isalnum()
            if not (first.isupper() or first.isdigit() or tag_or_emoji):
                continue
            if tag_or_emoji and _ONLY_TAGS.fullmatch(line, end.end()):
                continue
            if _SINGLE_PERIOD.match(end.group()) and _abbreviated(line[start : end.start()]):
                continue
            sentences.append(line[start : end.end()].strip())
            start = end.end()
        sentences.append(line[start:].strip())
    return [sentence for sentence in sentences if sentence]


def _abbreviated(before: str) -> bool:
    """Whether the word before a single period is an abbreviation or an initial."""
    found = _WORD_BEFORE.search(before)
    if found is None:
        return False
    word = found.group(1).strip(".-").casefold()
    return (len(word) == 1 and word.isalpha()) or word in ABBREVIATIONS


def sentence_node(node: Node) -> Node:
    """The query a single sentence must match to be about the brand (see the module docstring)."""
    if isinstance(node, Or):
        return Or(tuple(sentence_node(child) for child in node.children))
    if isinstance(node, Field) and node.name == "title":
        # A title: scope says where the document must name the brand, not which sentence does.
        return sentence_node(node.child)
    if isinstance(node, And):
        kept: list[Node] = []
        subject_found = False
        for child in node.children:
            if not positive_terms(child):
                kept.append(child)  # NOT, site:, lang:, author: apply to every sentence
            elif not subject_found:
                kept.append(sentence_node(child))
                subject_found = True
        return kept[0] if len(kept) == 1 else And(tuple(kept))
    return node


def _leaves(node: Node) -> list[Term | Phrase]:
    """The terms and phrases a document is matched on (not excluded ones, not author names)."""
    if isinstance(node, Term | Phrase):
        return [node]
    if isinstance(node, Near):
        return [node.left, node.right]
    if isinstance(node, And | Or):
        return [leaf for child in node.children for leaf in _leaves(child)]
    if isinstance(node, Field) and node.name == "title":
        return _leaves(node.child)
    return []


def _clauses_about(sentence: str, names_brand: Callable[[str], bool]) -> str:
    """The clauses of a sentence about the brand: those naming it, and those naming nobody
    else that go on from one kept (« …, mais trop cher »); the whole sentence when no clause
    names the brand on its own.

    A connective that opened a clause whose clause before it is left out goes too: what it
    contrasted is gone.
    """
    clauses = split_clauses(sentence)
    if len(clauses) == 1:
        return sentence
    naming = [names_brand(clause.text) for clause in clauses]
    if not any(naming):
        return sentence
    capitals_name = not is_headline(sentence)
    kept: list[bool] = []
    for clause, names in zip(clauses, naming, strict=True):
        goes_on = clause.resumes is not None and kept[clause.resumes]
        kept.append(names or (goes_on and not (capitals_name and names_someone(clause.body()))))
    text = ""
    for index, clause in enumerate(clauses):
        if not kept[index]:
            continue
        if index > 0 and not kept[index - 1]:
            text = text.rstrip() + " " + clause.body().lstrip()
        else:
            text += clause.text
    return text.strip()


class BrandSentences:
    """A brand query compiled for sentences: finds the sentences of a document about the brand."""

    def __init__(self, query: BrandQuery) -> None:
        self.query = query
        self.names = name_labels(query.node)
        node = sentence_node(query.node)
        self.sentence_query = BrandQuery(
            format_query(node), node, case_sensitive=query.case_sensitive
        )

    def sentences(
        self,
        *,
        title: str,
        text: str,
        matched_terms: Sequence[str],
        site: str | None = None,
        author: str | None = None,
        lang: str | None = None,
    ) -> list[str]:
        """The sentences of title and text that are about the brand, each cut to its clauses
        about the brand (`_clauses_about`); empty when none is."""
        sentences = split_sentences(title) + split_sentences(text)

        def names(query: BrandQuery, text: str) -> bool:
            return query.match(title="", text=text, site=site, author=author, lang=lang).matched

        def matching(query: BrandQuery) -> list[str]:
            return [
                _clauses_about(sentence, lambda clause: names(query, clause))
                for sentence in sentences
                if names(query, sentence)
            ]

        kept = matching(self.sentence_query)
        if kept:
            return kept
        wanted = set(matched_terms)
        leaves = list(dict.fromkeys(x for x in _leaves(self.query.node) if x.label() in wanted))
        if not leaves:
            return []
        node: Node = leaves[0] if len(leaves) == 1 else Or(tuple(leaves))
        return matching(
            BrandQuery(format_query(node), node, case_sensitive=self.query.case_sensitive)
        )

    def sentiment(
        self,
        *,
        title: str,
        text: str,
        lang: str | None,
        document_sentiment: float,
        matched_terms: Sequence[str],
        site: str | None = None,
        author: str | None = None,
    ) -> float:
        """The sentiment of the sentences about the brand, else the document's sentiment."""
        kept = self.sentences(
            title=title, text=text, matched_terms=matched_terms, site=site, author=author, lang=lang
        )
        if not kept:
            return document_sentiment
        # The brand's name, in every kept sentence, is no opinion (« Bonne Maman »).
        names = [term for term in matched_terms if term in self.names]
        return sentiment_score(without_names("\n".join(kept), names), lang)
