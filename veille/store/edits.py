"""Edits by a publisher: a stored document seen again, changed, in the feed that gave it.

An item keeps its identity (GUID, link; without them, its source, title and date) when its
publisher corrects it: a headline rewritten into a product recall must not stay stored under
its first wording, nor a brand the new text names be attached to text that does not name it.
A document is only rewritten from the source that stored it: another source giving the same
page (a search result with the title alone, say) would otherwise flip it between two versions
at every pass. Its story stays its own.

An identity is no proof of one article: feeds give one GUID to several (a CMS writing the
site's address into every ``<guid>``, over several passes). An item naming a stored document
by its identity is that document's article only at its page, or, at another page, on its site
under its title (``same_article``): a publisher moving an article (a new slug, a new section),
whose address the document then follows. Otherwise it is another article, stored apart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection, Select, bindparam, delete, select, update

from veille.store.lookups import one_of_parameter, rows_for
from veille.store.schema import document_table, hashtag_table, mention_table

# What an edit replaces; the source, times, site and story stay those of the first sighting.
EDITED_COLUMNS = (
    "title",
    "text",
    "author_name",
    "author_handle",
    "author_url",
    "lang",
    "sentiment",
    "tone",
    "classifier_version",
    "fingerprint",
)


# What an edit at another page of the same article (``same_article``) replaces as well.
# What an edit that stays on its page keeps (the address shown may be a plainer spelling than
# the editing source's own, see document_writes._PlainerAddresses), and a move replaces.
ADDRESS_COLUMNS = ("url", "canonical_url", "page_key")


def same_article(
    row: Mapping[str, Any], page_key: str | None, site: str | None, title: str
) -> bool:
    """Whether a row (``document_values``) naming a stored document by its identity is its article.

    ``page_key``, ``site``, ``title``: the stored document's. A platform's own id always is;
    otherwise, at the document's page (or when either page is unknown), it is; at another
    page, only on the same site under the same title (case, accents and spacing aside): a
    publisher moving the article. Another title at another page is another article that its
    feed gave the same GUID.
    """
    if row["identity"].startswith("id:"):
        return True
    if row["page_key"] is None or page_key is None or row["page_key"] == page_key:
        return True
    if row["site"] is None or row["site"] != site:
        return False
    # Imported here: commands that only read the database never load the normalisation.
    from veille.normalize.text import fold_text

    folded = fold_text(title)
    return bool(folded) and fold_text(row["title"] or "") == folded


@cache
def _stored_versions_query(
    dialect: str,
) -> Select[int, int, str | None, float, str, str | None, str | None, str | None, str, str | None]:
    return select(
        document_table.c.id,
        document_table.c.source_id,
        document_table.c.fingerprint,
        document_table.c.sentiment,
        document_table.c.tone,
        document_table.c.canonical_url,
        document_table.c.page_key,
        document_table.c.site,
        document_table.c.title,
        document_table.c.url,
    ).where(one_of_parameter(dialect, document_table.c.id, "values"))


@cache
def _update_document() -> Any:
    values: dict[str, Any] = {
        column: bindparam(f"new_{column}") for column in (*EDITED_COLUMNS, *ADDRESS_COLUMNS)
    }
    return update(document_table).where(document_table.c.id == bindparam("doc_id")).values(values)


# A rewritten document's id → its tone before the edit: (sentiment, tone).
Edited = Mapping[int, tuple[float, str]]


def update_edited_documents(
    connection: Connection, rows: Sequence[dict[str, Any]], stored_before: Mapping[str, int]
) -> Edited:
    """Rewrite the stored documents that these rows (``document_values``) show edited.

    ``stored_before``: the ids of the rows' identities stored before this save. A row edits its
    document when it comes from the document's own source, is its article (``same_article``)
    and has another content fingerprint or another page, whose address the document then
    takes; the last such row of a document wins. Return the documents rewritten, with their
    tone before (``keep_earlier_tones`` gives it to the mentions the new text no longer names).
    """
    candidates: dict[int, dict[str, Any]] = {}
    for row in rows:
        document_id = stored_before.get(row["identity"])
        if document_id is not None:
            candidates[document_id] = row
    if not candidates:
        return {}
    query = _stored_versions_query(connection.dialect.name)
    before: dict[int, tuple[float, str]] = {}
    addresses: dict[int, dict[str, Any]] = {}
    for (
        document_id,
        source_id,
        content,
        sentiment,
        tone,
        address,
        page,
        site,
        title,
        url,
    ) in rows_for(connection, query, "values", candidates):
        row = candidates[document_id]
        if row["source_id"] != source_id or not same_article(row, page, site, title):
            continue
        moved = row["page_key"] is not None and row["page_key"] != page
        if row["fingerprint"] != content or moved:
            before[document_id] = (sentiment, tone)
            kept = {"url": url, "canonical_url": address, "page_key": page}
            addresses[document_id] = {c: row[c] if moved else kept[c] for c in ADDRESS_COLUMNS}
    edited = {document_id: candidates[document_id] for document_id in before}
    if not edited:
        return {}
    connection.execute(
        _update_document(),
        [
            {"doc_id": document_id}
            | {f"new_{c}": row[c] for c in EDITED_COLUMNS}
            | {f"new_{c}": addresses[document_id][c] for c in ADDRESS_COLUMNS}
            for document_id, row in edited.items()
        ],
    )
    # Imported here, as upsert_documents does: it needs the text normalisation.
    from veille.store.hashtags import save_hashtags

    ids = sorted(edited)
    connection.execute(delete(hashtag_table).where(hashtag_table.c.document_id.in_(ids)))
    save_hashtags(connection, {i: (edited[i]["title"] or "", edited[i]["text"] or "") for i in ids})
    return before


@cache
def _update_mention() -> Any:
    return (
        update(mention_table)
        .where(
            mention_table.c.document_id == bindparam("doc_id"),
            mention_table.c.brand_id == bindparam("brand"),
        )
        .values(
            matched_terms=bindparam("terms"),
            sentiment=bindparam("brand_sentiment"),
            tone=bindparam("brand_tone"),
        )
    )


def update_mentions(connection: Connection, mentions: Sequence[dict[str, Any]]) -> None:
    """Give stored mentions of edited documents the terms and tone of the new text.

    ``mentions``: rows as ``insert_mentions`` builds them. Mentions of brands the new text no
    longer names are kept: they were true of the document as it was seen.
    """
    if mentions:
        connection.execute(
            _update_mention(),
            [
                {
                    "doc_id": row["document_id"],
                    "brand": row["brand_id"],
                    "terms": row["matched_terms"],
                    "brand_sentiment": row["sentiment"],
                    "brand_tone": row["tone"],
                }
                for row in mentions
            ],
        )


@cache
def _keep_earlier_tone() -> Any:
    return (
        update(mention_table)
        .where(
            mention_table.c.document_id == bindparam("doc_id"),
            mention_table.c.brand_id == bindparam("brand"),
            mention_table.c.tone.is_(None),
        )
        .values(sentiment=bindparam("old_sentiment"), tone=bindparam("old_tone"))
    )


def keep_earlier_tones(
    connection: Connection, unnamed: Sequence[tuple[int, int]], edited: Edited
) -> None:
    """Give the mentions an edit no longer names (document id, brand id) the tone they had.

    Such a mention shows its document's tone (it has none of its own): the new text, which no
    longer says anything of its brand, would otherwise speak for it.
    """
    if unnamed:
        connection.execute(
            _keep_earlier_tone(),
            [
                {
                    "doc_id": document_id,
                    "brand": brand_id,
                    "old_sentiment": edited[document_id][0],
                    "old_tone": edited[document_id][1],
                }
                for document_id, brand_id in unnamed
            ],
        )
