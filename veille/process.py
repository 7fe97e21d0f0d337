"""From raw items to rows worth storing: normalise, match the brands, classify what matched."""

from __future__ import annotations

from collections.abc import Sequence

from veille.classify import Classifier
from veille.match import BrandQuery, compile_query, prepare, scoped_fields
from veille.normalize import normalize
from veille.settings import BrandConfig
from veille.store import StoredItem
from veille.types import RawMention


class MentionProcessor:
    """Turns a collector's raw items into stored items for the brands they mention.

    Items that mention no brand are dropped before the (costlier) classification; the same item
    seen twice in one batch is kept once.
    """

    def __init__(self, brands: Sequence[BrandConfig]) -> None:
        self.queries: list[tuple[str, BrandQuery]] = [
            (brand.name, compile_query(brand.query, case_sensitive=brand.case_sensitive))
            for brand in brands
        ]
        languages = sorted({code for brand in brands for code in brand.languages})
        self.classifier = Classifier(languages or None)
        # Language is only needed before matching when a query scopes on it.
        self._match_needs_lang = any("lang" in scoped_fields(q.node) for _, q in self.queries)

    def process(self, raws: Sequence[RawMention]) -> list[StoredItem]:
        """The items of ``raws`` that mention at least one brand, classified."""
        items: list[StoredItem] = []
        seen: set[str] = set()
        for raw in raws:
            document = normalize(raw)
            if document.identity in seen:
                continue
            seen.add(document.identity)
            full_text = f"{document.title}\n{document.text}" if document.text else document.title
            classification = None
            lang = None
            if self._match_needs_lang:
                classification = self.classifier.classify(full_text, lang_hint=document.lang_hint)
                lang = classification.lang
            prepared = prepare(
                title=document.title,
                text=document.text,
                site=document.site,
                author=" ".join(filter(None, (document.author_name, document.author_handle))),
                lang=lang,
            )
            matches = []
            for name, query in self.queries:
                result = query.match_prepared(prepared)
                if result.matched:
                    matches.append((name, result))
            if not matches:
                continue
            if classification is None:
                classification = self.classifier.classify(full_text, lang_hint=document.lang_hint)
            items.append(StoredItem(document, classification, tuple(matches)))
        return items
