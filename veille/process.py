"""From raw items to rows worth storing: normalise, match the brands, classify what matched."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace

from veille import __version__
from veille.classify import CLASSIFIER_VERSION, Classifier, tone_of
from veille.classify.names import name_labels, names_found, without_names
from veille.classify.targeted import BrandSentences
from veille.match import BrandQuery, PreparedText, compile_query, prepare, scoped_fields
from veille.match.evidence import EvidenceFilter, evidence_words
from veille.normalize import normalize, readable_text, rough_readable_text
from veille.normalize.domains import site_host
from veille.settings import BrandConfig
from veille.types import (
    BrandTone,
    Classification,
    Document,
    MatchResult,
    RawMention,
    StoredItem,
)

# One sentence per language the classifiers know best, to load the models every text needs.
_WARM_UP_TEXTS = (
    "Le service client a été vraiment excellent, je recommande.",
    "The customer service was really excellent, I recommend it.",
)


# The most item keys a source remembers (a search answer of a few hundred items fits).
MAX_SEEN_ENTRIES = 1000


def entry_key(raw: RawMention) -> str:
    """A short key of everything an item says: equal keys, equal items, equal processing.

    Its figures (points, views, comments) are left out: they move on every fetch while the
    item stays the same, and a document keeps those of its first sighting.
    """
    if raw.metrics or raw.reach is not None or raw.engagement is not None:
        raw = replace(raw, metrics={}, reach=None, engagement=None)
    return hashlib.blake2b(repr(raw).encode(), digest_size=8).hexdigest()


def processing_setup(brands: Sequence[BrandConfig]) -> str:
    """A key of what processing an item depends on: veille's and the classifier's versions, and
    the brands (queries, languages, tone). Items seen under another setup are processed again."""
    described = repr((__version__, CLASSIFIER_VERSION, tuple(brands)))
    return hashlib.blake2b(described.encode(), digest_size=8).hexdigest()


def unseen(
    raws: Sequence[RawMention], seen: frozenset[str]
) -> tuple[list[RawMention], tuple[str, ...]]:
    """The items not among ``seen`` (keys of ``entry_key``), and the keys of all of them."""
    keys = [entry_key(raw) for raw in raws]
    fresh = [raw for raw, key in zip(raws, keys, strict=True) if key not in seen]
    return fresh, tuple(dict.fromkeys(keys))[:MAX_SEEN_ENTRIES]


def brand_classifier(brands: Sequence[BrandConfig]) -> Classifier:
    """The classifier of a pass: restricted to the languages of every configured brand."""
    languages = sorted({code for brand in brands for code in brand.languages})
    return Classifier(languages or None)


def classified_text(title: str, text: str) -> str:
    """The text whose language and tone are classified: the title, then the text."""
    return f"{title}\n{text}" if text else title


def document_author(author_name: str | None, author_handle: str | None) -> str:
    """The author as brand queries see it: name and handle."""
    return " ".join(filter(None, (author_name, author_handle)))


def matched_view(
    *,
    title: str,
    text: str,
    site: str | None,
    url: str | None,
    author_name: str | None,
    author_handle: str | None,
    lang: str | None,
) -> PreparedText:
    """What brand queries see of a document (stored documents are matched the same way).

    ``site:`` scopes see the host of the document's ``url`` within its ``site``, so that
    ``site:blog.danone.com`` tells a subdomain apart while ``site:danone.com`` keeps them all.
    """
    author = document_author(author_name, author_handle)
    host = site_host(site, url)
    return prepare(title=title, text=text, site=host, author=author, lang=lang)


def document_view(document: Document, lang: str | None) -> PreparedText:
    """What brand queries see of a collected document, its language found."""
    return matched_view(
        title=document.title,
        text=document.text,
        site=document.site,
        url=document.canonical_url or document.url,
        author_name=document.author_name,
        author_handle=document.author_handle,
        lang=lang,
    )


class MentionProcessor:
    """Turns a collector's raw items into stored items for the brands they mention.

    Items that mention no brand are dropped before the (costlier) classification, most of them
    before normalisation, on their words alone (``veille/match/evidence.py``); the same item seen
    twice in one batch is kept once.
    """

    def __init__(self, brands: Sequence[BrandConfig]) -> None:
        self.queries: list[tuple[str, BrandQuery]] = [
            (brand.name, compile_query(brand.query, case_sensitive=brand.case_sensitive))
            for brand in brands
        ]
        self.classifier = brand_classifier(brands)
        # The terms of each query that name its brand: left out when scoring tone.
        self.names = {name: name_labels(query.node) for name, query in self.queries}
        # Brands whose mentions are scored on the sentences naming them (tone = "brand").
        self.targeted = {
            brand.name: BrandSentences(query)
            for brand, (_, query) in zip(brands, self.queries, strict=True)
            if brand.tone == "brand"
        }
        self.evidence = EvidenceFilter(
            evidence_words(query.node, case_sensitive=query.case_sensitive)
            for _, query in self.queries
        )
        # Language is only needed before matching when a query scopes on it.
        self._match_needs_lang = any("lang" in scoped_fields(q.node) for _, q in self.queries)

    def warm_up(self) -> None:
        """Load what processing needs (language models, lexicons, public suffixes) right now.

        Otherwise the first items processed pay for it (about a second), which matters to
        whoever times processing alone. The short-text language model is left to the first
        short text (half a second, 70 MB that a pass of articles never needs;
        veille/classify/lang.py).
        """
        normalize(RawMention(source="warm-up", url="https://www.example.org/", title="warm-up"))
        for sample in _WARM_UP_TEXTS:
            self.classifier.classify(sample)

    def process(self, raws: Sequence[RawMention]) -> list[StoredItem]:
        """The items of ``raws`` that mention at least one brand, classified.

        Their languages are found together, which is faster than one at a time.
        """
        candidates: list[tuple[Document, str]] = []
        seen: set[str] = set()
        for raw in raws:
            if self.evidence.active:
                # Most items are ruled out on their rough text, before their HTML is parsed.
                rough = rough_readable_text(raw)
                if rough is not None and not self.evidence.may_match(*rough):
                    continue
                readable = readable_text(raw)
                if rough is None and not self.evidence.may_match(*readable):
                    continue
                document = normalize(raw, readable)
            else:
                document = normalize(raw)
            if document.identity in seen:
                continue
            seen.add(document.identity)
            candidates.append((document, classified_text(document.title, document.text)))
        languages: list[str | None] | None = None
        if self._match_needs_lang:
            # A query reads the language: every candidate's is found before matching.
            languages = self.classifier.languages_of(
                [(text, document.lang_hint) for document, text in candidates]
            )
        matched: list[tuple[Document, str, list[tuple[str, MatchResult]]]] = []
        matched_languages: list[str | None] = []
        for index, (document, full_text) in enumerate(candidates):
            lang = None if languages is None else languages[index]
            prepared = document_view(document, lang)
            matches = []
            for name, query in self.queries:
                result = query.match_prepared(prepared)
                if result.matched:
                    matches.append((name, result))
            if matches:
                matched.append((document, full_text, matches))
                matched_languages.append(lang)
        texts = [(text, document.lang_hint) for document, text, _matches in matched]
        classifications = self.classifier.classify_many(
            [
                (without_names(text, self.names_in(matches)), hint)
                for (text, hint), (_document, _text, matches) in zip(texts, matched, strict=True)
            ],
            # The language is read off the whole text, names included.
            self.classifier.languages_of(texts) if languages is None else matched_languages,
        )
        return [
            StoredItem(
                document,
                classification,
                tuple(matches),
                self.brand_tones(document, classification, matches),
            )
            for (document, _text, matches), classification in zip(
                matched, classifications, strict=True
            )
        ]

    def names_in(self, matches: Sequence[tuple[str, MatchResult]]) -> list[str]:
        """The terms that found the matched brands' own names in a document."""
        return names_found(((name, result.terms) for name, result in matches), self.names)

    def brand_tones(
        self,
        document: Document,
        classification: Classification,
        matches: Sequence[tuple[str, MatchResult]],
    ) -> dict[str, BrandTone]:
        """The tone of the sentences naming each matched brand configured with tone = "brand"."""
        tones: dict[str, BrandTone] = {}
        for name, result in matches:
            sentences = self.targeted.get(name)
            if sentences is None:
                continue
            score = sentences.sentiment(
                title=document.title,
                text=document.text,
                lang=classification.lang,
                document_sentiment=classification.sentiment,
                matched_terms=result.terms,
                site=site_host(document.site, document.canonical_url or document.url),
                author=document_author(document.author_name, document.author_handle),
            )
            tones[name] = BrandTone(score, tone_of(score))
        return tones
