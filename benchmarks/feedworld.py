"""Synthetic but realistic feeds for benchmarks: French and English items, some naming a brand.

Each sentence is an opening and an ending with a tone (a few dozen of each), and, unless
``templated``, a clause of topical words and a person's name between them, drawn from the query
benchmark's vocabulary, so that items differ from one another as real articles do. Templated
feeds repeat the same few hundred sentences, which makes every item a near-copy of hundreds of
others: a worst case for story grouping, kept to compare with earlier figures.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape

from benchmarks.querydata import FIRST_NAMES, LAST_NAMES, TOPICAL_WORDS

BRAND = "Danone"
_FR_OPENINGS = [
    "Le groupe {brand} annonce", "Les salariés de {brand} dénoncent", "{brand} lance",
    "Selon les analystes, {brand} prépare", "La direction de {brand} n'a pas commenté",
    "Les consommateurs saluent", "Le marché des produits laitiers recule et",
    "La région accueille une usine qui", "Le gouvernement présente un plan qui",
]  # fmt: skip
_FR_ENDINGS = [
    "une croissance très solide au troisième trimestre.",
    "une réorganisation jugée brutale par les syndicats.",
    "un nouveau yaourt végétal sans sucre ajouté.",
    "des résultats décevants et une baisse des ventes.",
    "un partenariat excellent avec les producteurs locaux.",
    "une hausse des prix qui inquiète les ménages.",
    "un investissement de plusieurs millions d'euros.",
]  # fmt: skip
_EN_OPENINGS = [
    "{brand} reports", "Investors worry that {brand} faces", "{brand} unveils",
    "Analysts say the dairy market shows", "Shoppers complain about", "The company announced",
]  # fmt: skip
_EN_ENDINGS = [
    "strong sales growth in Europe and a great outlook.",
    "a painful recall that hurt its reputation badly.",
    "a new plant-based range aimed at younger buyers.",
    "weak demand and disappointing margins this quarter.",
    "an impressive commitment to sustainable farming.",
]  # fmt: skip


_TOPICS = {french: TOPICAL_WORDS["fr" if french else "en"].split() for french in (True, False)}


def _sentence(rng: random.Random, french: bool, mention: bool, templated: bool) -> str:
    openings, endings = (_FR_OPENINGS, _FR_ENDINGS) if french else (_EN_OPENINGS, _EN_ENDINGS)
    opening = rng.choice(openings)
    if "{brand}" not in opening and mention:
        opening = f"{BRAND} : " + opening
    brand = BRAND if mention else rng.choice(["Lactalis", "Nestlé", "Bel", "Savencia"])
    ending = rng.choice(endings)
    if templated:
        return f"{opening.format(brand=brand)} {ending}"
    topics = " ".join(rng.sample(_TOPICS[french], rng.randint(3, 5)))
    person = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    says = "selon" if french else "says"
    return f"{opening.format(brand=brand)} {ending[:-1]}, {topics}, {says} {person}."


def article_text(seed: int, characters: int, *, french: bool) -> str:
    """An article's text of sentences like the feeds', cut to ``characters`` characters."""
    rng = random.Random(seed)
    text = ""
    while len(text) < characters:
        text += _sentence(rng, french, rng.random() < 0.3, templated=False) + " "
    return text[:characters]


def make_feed(
    index: int, items: int, mention_share: float, seed: int = 0, *, templated: bool = False
) -> bytes:
    """An RSS 2.0 feed with ``items`` items, about ``mention_share`` of them naming the brand."""
    rng = random.Random(seed * 100_003 + index)
    french = index % 3 != 0
    site = f"https://site{index}.example.{'fr' if french else 'com'}"
    start = datetime(2026, 11, 1, tzinfo=UTC)
    entries = []
    for number in range(items):
        mention = rng.random() < mention_share
        title = _sentence(rng, french, mention, templated)
        body = " ".join(_sentence(rng, french, mention and k == 0, templated) for k in range(3))
        published = format_datetime(start + timedelta(minutes=index * 7 + number * 53), usegmt=True)
        entries.append(
            "<item>"
            f"<title>{escape(title)}</title>"
            f"<link>{site}/articles/{number}.html?utm_source=rss&amp;utm_medium=feed</link>"
            f'<guid isPermaLink="false">feed{index}-item{number}</guid>'
            f"<pubDate>{published}</pubDate>"
            f"<description>{escape('<p>' + escape(body) + '</p>')}</description>"
            "</item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>Site {index}</title><link>{site}/</link>"
        f"<language>{'fr' if french else 'en'}</language>" + "".join(entries) + "</channel></rss>"
    ).encode()
