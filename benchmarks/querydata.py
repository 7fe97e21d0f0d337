"""A deterministic synthetic mention corpus for the query benchmark: documents and mentions.

Rows come in batches, each drawn from its own seeded generator, so the same ``--rows`` gives the
same rows on every engine and every run. What the corpus looks like:

- five brands of skewed volume (the first about 40 % of documents), about one document in
  twelve naming two of them;
- two years of time, volume growing over the period (the last 30 days hold about 5.5 %);
  document ids follow time, as they do when mentions are collected as they appear;
- platforms (news, reddit, mastodon, bluesky, hackernews, youtube, github, blog, forum, lemmy),
  about 3,000 sites and 100,000 authors, both Zipf-like (a few very active, a long tail);
- French or English text (a title and two or three sentences) drawn from a Zipf-distributed
  vocabulary: function words, topical words with their accents, recurring phrases and a long
  tail of rare words standing in for names, so that searches have realistic selectivity;
- tones 55 % neutral, 25 % positive, 20 % negative, with a sentiment score to match;
- hashtags at the end of 60 % of the social posts (not news, blogs or forums): one to three of
  61 topical tags, Zipf-like, and in a third of those posts the brand's own tag, in one of
  three spellings ("#Danone", "#danone", "#DANONE"). They are drawn after everything else, so
  the rest of the corpus is the one it was without them.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

# The end of the corpus: "the last 30 days" are the 30 days before it.
ANCHOR = datetime(2026, 11, 27, tzinfo=UTC)
SPAN = timedelta(days=730)
BRANDS = ("Danone", "Orange", "Renault", "Michelin", "Decathlon")
BRAND_WEIGHTS = (0.40, 0.22, 0.16, 0.12, 0.10)
TWO_BRAND_PERIOD = 12  # every 12th document names a second brand
PLATFORM_WEIGHTS = {
    "news": 0.34, "reddit": 0.14, "mastodon": 0.10, "bluesky": 0.10, "blog": 0.08,
    "youtube": 0.08, "hackernews": 0.05, "github": 0.04, "forum": 0.04, "lemmy": 0.03,
}  # fmt: skip
# Platforms whose documents all come from one site or a few instances.
PLATFORM_SITES = {
    "reddit": ["reddit.com"],
    "bluesky": ["bsky.app"],
    "hackernews": ["news.ycombinator.com"],
    "youtube": ["youtube.com"],
    "github": ["github.com"],
    "mastodon": [f"{name}.social" for name in ("mastodon", "piaille", "mamot", "framapiaf")]
    + [f"toot{n}.community" for n in range(36)],
    "lemmy": ["lemmy.world", "jlai.lu", "sh.itjust.works", "lemmy.ml", "beehaw.org"],
}
OPEN_SITES = 2950  # news, blog and forum sites
AUTHORS = 100_000
TONES = ("neutral", "positive", "negative")
TONE_WEIGHTS = (0.55, 0.25, 0.20)
BATCH = 20_000

FUNCTION_WORDS = {
    "fr": "le la les de des du un une et en à au aux pour par sur dans avec qui que ne pas plus "
    "est sont a ont son sa ses leur ce cette il elle ils nous mais ou très aussi comme",
    "en": "the of and to a in is for on that with as it was by at from are be this an has have "
    "not but its their they we or will more after new about over than which been were",
}
TOPICAL_WORDS = {
    "fr": "prix entreprise groupe marché hausse baisse ventes clients salariés usine production "
    "produits magasin réseau offre qualité rappel grève syndicat direction résultats trimestre "
    "croissance bénéfice perte emplois investissement projet innovation lancement gamme annonce "
    "accord partenariat consommateurs région ville France Europe gouvernement ministre plainte "
    "enquête justice amende concurrence stratégie dirigeant président économie inflation énergie "
    "électrique voiture batterie fibre internet abonnement forfait panne réparation livraison "
    "commande colis boutique sport vélo chaussures pneus yaourt lait eau bouteille plastique "
    "recyclage environnement climat émissions carbone durable bio santé sécurité données "
    "cyberattaque fuite application mobile publicité campagne image marque réputation avis "
    "critique témoignage vidéo chaîne abonnés commentaire fil débat polémique boycott pétition "
    "retraite salaire négociation usagers territoire agriculteurs éleveurs coopérative export "
    "Chine Afrique Amérique Bourse action dividende dette fusion rachat filiale cession "
    "fermeture délocalisation relocalisation chantier logistique entrepôt transport camion "
    "carburant recharge borne hybride moteur sportifs course randonnée montagne océan",
    "en": "price company group market rise drop sales customers workers factory production "
    "products store network offer quality recall strike union management results quarter "
    "growth profit loss jobs investment project innovation launch range announcement deal "
    "partnership consumers region city France Europe government minister lawsuit investigation "
    "court fine competition strategy executive CEO economy inflation energy electric car "
    "battery fiber internet subscription plan outage repair delivery order parcel shop sport "
    "bike shoes tires yogurt milk water bottle plastic recycling environment climate emissions "
    "carbon sustainable organic health safety data hack leak app mobile advertising campaign "
    "brand reputation review criticism video channel subscribers comment thread debate "
    "controversy boycott petition pension wage negotiation users farmers cooperative export "
    "China Africa America stock shares dividend debt merger takeover subsidiary sale closure "
    "offshoring reshoring site logistics warehouse shipping truck fuel charging station hybrid "
    "engine athletes race hiking mountain ocean release bug issue fix feature community",
}
PHRASES = {
    "fr": ["service client", "chiffre d'affaires", "pouvoir d'achat", "rappel de produits",
           "transition énergétique", "plan social"],
    "en": ["customer service", "supply chain", "data breach", "quarterly results",
           "price increase", "electric vehicle"],
}  # fmt: skip
PHRASE_SHARE = 0.3  # documents holding one of their language's recurring phrases
RARE_WORDS = 20_000
RARE_SHARE = 0.12  # of the words of a text
NAMES = (
    "Camille Léa Manon Chloé Inès Sarah Julie Emma Louise Alice Claire Marie Anne Sophie Laura "
    "Lucas Hugo Louis Nathan Thomas Jules Arthur Paul Pierre Nicolas Antoine Julien Marc David "
    "Olivier John Emily Michael Sarah Jessica James Robert Linda Karen Kevin Brian Amanda Ashley",
    "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent Lefebvre "
    "Michel Garcia David Bertrand Roux Vincent Fournier Morel Girard André Mercier Dupont Lambert "
    "Bonnet François Martinez Legrand Smith Johnson Williams Brown Jones Miller Davis Wilson "
    "Anderson Taylor Moore Jackson White Harris Clark Lewis Walker Young King Wright",
)
FIRST_NAMES, LAST_NAMES = (names.split() for names in NAMES)
_TAG_WORDS = (
    "Boycott Grève Rappel Inflation PouvoirDAchat Climat Écologie Vélo Running Recyclage "
    "ServiceClient Panne Fibre 5G Innovation Bourse Emploi Usine MadeInFrance Bio Santé "
    "Cybersécurité Data Pub Marketing Sport Montagne Trail VoitureÉlectrique Recharge "
    "CustomerService Outage Recall Strike Sustainability ClimateAction EV Cycling Hiking "
    "Startup Tech OpenSource Jobs Stocks Earnings Deal Merger Review Unboxing Vlog Fail Love "
    "Promo BlackFriday Soldes Noël Rentrée Paris Lyon Europe Afrique"
)
HASHTAGS = tuple(_TAG_WORDS.split())
HASHTAG_SHARE = 0.6  # of the social posts
BRAND_TAG_SHARE = 1 / 3  # of the posts with hashtags
SOCIAL = frozenset(PLATFORM_WEIGHTS) - {"news", "blog", "forum"}


def _rare_words(count: int) -> list[str]:
    """Pronounceable made-up words (names, places, products): the vocabulary's long tail."""
    rng = random.Random(7)
    consonants, vowels, endings = "bcdfgklmnprstvz", "aeiou", ["", "", "n", "r", "s", "l", "x"]
    words: set[str] = set()
    ordered: list[str] = []
    while len(ordered) < count:
        syllables = rng.randint(2, 4)
        word = "".join(rng.choice(consonants) + rng.choice(vowels) for _ in range(syllables))
        word += rng.choice(endings)
        if word not in words:
            words.add(word)
            ordered.append(word)
    return ordered


def _zipf_cumulative(size: int, exponent: float, offset: int = 0) -> np.ndarray:
    """Cumulative probabilities of ranks 1..size weighing 1 / (rank + offset) ** exponent."""
    weights = 1.0 / (np.arange(1, size + 1) + offset) ** exponent
    cumulative: np.ndarray = np.cumsum(weights)
    return cumulative / cumulative[-1]


RARE = _rare_words(RARE_WORDS)
COMMON = {lang: FUNCTION_WORDS[lang].split() + TOPICAL_WORDS[lang].split() for lang in ("fr", "en")}
# Every word in one array: French common words, English common words, then the shared tail.
ALL_WORDS = np.array(COMMON["fr"] + COMMON["en"] + RARE, dtype=object)
EN_START, RARE_START = len(COMMON["fr"]), len(COMMON["fr"]) + len(COMMON["en"])
COMMON_CUMULATIVE = {lang: _zipf_cumulative(len(words), 1.0) for lang, words in COMMON.items()}
RARE_CUMULATIVE = _zipf_cumulative(len(RARE), 1.0, offset=10)
HASHTAG_CUMULATIVE = _zipf_cumulative(len(HASHTAGS), 1.0)


def _site_names() -> list[str]:
    rng = random.Random(11)
    tlds = ["fr", "fr", "com", "net", "info", "eu", "org", "be", "ch", "ca"]
    names = []
    for index in range(OPEN_SITES):
        first, second = rng.choice(RARE[:3000]), rng.choice(["", "-actu", "-info", "-mag", "-web"])
        names.append(f"{first}{second}{index % 7 or ''}.{rng.choice(tlds)}")
    return names


SITES = _site_names()


def documents_for(rows: int) -> int:
    """The number of documents holding ``rows`` mentions (the last one may lose its second)."""
    full, rest = divmod(rows, TWO_BRAND_PERIOD + 1)
    # Each period of 12 documents holds 13 mentions; its 6th document names two brands.
    return full * TWO_BRAND_PERIOD + (rest - 1 if rest > TWO_BRAND_PERIOD // 2 else rest)


def _capitalized(words: list[str]) -> str:
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def _texts(rng: np.random.Generator, french: np.ndarray, brands: list[list[str]]) -> list[Any]:
    """A title and two or three sentences per document, naming its brands."""
    count = len(brands)
    lengths = rng.integers((6, 10, 10, 10), (12, 22, 22, 22), size=(count, 4))
    lengths[rng.random(count) < 0.5, 3] = 0  # two or three sentences
    per_document = lengths.sum(axis=1)
    in_french = np.repeat(french, per_document)
    uniform = rng.random(len(in_french))
    common = np.where(
        in_french,
        np.searchsorted(COMMON_CUMULATIVE["fr"], uniform),
        EN_START + np.searchsorted(COMMON_CUMULATIVE["en"], uniform),
    )
    rare = RARE_START + np.searchsorted(RARE_CUMULATIVE, rng.random(len(in_french)))
    words = ALL_WORDS[np.where(rng.random(len(in_french)) < RARE_SHARE, rare, common)].tolist()
    places = rng.random((count, 4)).tolist()  # where each brand and the phrase go
    phrases = rng.integers(0, len(PHRASES["fr"]), count).tolist()
    texts = []
    start = 0
    for index, row in enumerate(lengths.tolist()):
        parts = []
        for length in row:
            if length:
                parts.append(words[start : start + length])
                start += length
        title, sentences = parts[0], parts[1:]
        title.insert(row[0] % 3, brands[index][0])
        for brand, place in zip(brands[index], places[index], strict=False):
            sentence = sentences[int(place * len(sentences))]
            sentence.insert(int(place * 1000) % len(sentence), brand)
        if places[index][3] < PHRASE_SHARE:
            phrase = PHRASES["fr" if french[index] else "en"][phrases[index]]
            sentences[-1].insert(row[1] % len(sentences[-1]), phrase)
        texts.append((_capitalized(title), " ".join(_capitalized(s) + "." for s in sentences)))
    return texts


def _tags(brand: str, draws: Any, topical: Any) -> str:
    """One to three topical hashtags, and in a third of the posts the brand's own."""
    tags = [f"#{HASHTAGS[index]}" for index in topical[: 1 + int(draws[1] * 3)]]
    if draws[2] < BRAND_TAG_SHARE:
        spelling = (brand, brand.lower(), brand.upper())[int(draws[2] / BRAND_TAG_SHARE * 3)]
        tags.insert(0, f"#{spelling}")
    return " ".join(tags)


def _time_of(position: float) -> datetime:
    """Map 0..1 to the two-year span, with volume growing linearly to twice the start's."""
    # Inverse of the cumulative distribution of a density proportional to 1 + t on [0, 1].
    fraction = -1.0 + (1.0 + 3.0 * position) ** 0.5
    return ANCHOR - SPAN + SPAN * fraction


@dataclass(frozen=True)
class Batch:
    """Documents (column dictionaries, ids given) and their mentions (brand names, not ids)."""

    documents: list[dict[str, Any]]
    mentions: list[dict[str, Any]]


def _author(index: int, platform: str, draw: float) -> tuple[str | None, str | None]:
    first, last = FIRST_NAMES[index % len(FIRST_NAMES)], LAST_NAMES[index // 41 % len(LAST_NAMES)]
    if platform in ("news", "blog"):
        # Bylines are names; a quarter of news items carry none.
        return (None, None) if draw < 0.25 else (f"{first} {last}", None)
    handle = f"{first}{last}{index}".lower()
    return (f"{first} {last[0]}." if draw < 0.6 else None), handle


def _categorical(rng: np.random.Generator, weights: Any, count: int) -> np.ndarray:
    cumulative = np.cumsum(weights)
    return np.searchsorted(cumulative / cumulative[-1], rng.random(count))


def batches(rows: int, seed: int = 0, size: int = BATCH) -> Iterator[Batch]:
    """Yield the corpus of ``rows`` mentions in batches of ``size`` documents."""
    total = documents_for(rows)
    author_cumulative = _zipf_cumulative(AUTHORS, 1.05)
    site_cumulative = _zipf_cumulative(OPEN_SITES, 1.0)
    platforms = list(PLATFORM_WEIGHTS)
    tech_platforms = [platforms.index("hackernews"), platforms.index("github")]
    emitted = 0
    for start in range(0, total, size):
        count = min(size, total - start)
        rng = np.random.default_rng([seed, start])
        platform_of = _categorical(rng, list(PLATFORM_WEIGHTS.values()), count)
        brand_of = _categorical(rng, BRAND_WEIGHTS, count)
        second_of = rng.integers(1, len(BRANDS), count)
        tone_of = _categorical(rng, TONE_WEIGHTS, count)
        author_of = np.searchsorted(author_cumulative, rng.random(count))
        site_of = np.searchsorted(site_cumulative, rng.random(count))
        instance_of = rng.zipf(1.5, count)
        draws = rng.random((count, 4))  # language, byline, undated, time jitter
        delays = rng.uniform(5, 360, count)
        strength = rng.uniform(0.05, 0.95, count)
        audience = rng.lognormal(6, 2, count)
        likes, reposts = rng.lognormal(2, 1.5, count), rng.lognormal(0.5, 1.2, count)
        english = np.where(np.isin(platform_of, tech_platforms), 0.9, 0.45)
        french = draws[:, 0] >= english
        brands_of = []
        for offset in range(count):
            brands = [BRANDS[brand_of[offset]]]
            if (start + offset) % TWO_BRAND_PERIOD == TWO_BRAND_PERIOD // 2 - 1:
                brands.append(BRANDS[(brand_of[offset] + second_of[offset]) % len(BRANDS)])
            brands_of.append(brands)
        texts = _texts(rng, french, brands_of)
        tag_draws = rng.random((count, 3))  # has tags, how many, brand's tag and its spelling
        tag_of = np.searchsorted(HASHTAG_CUMULATIVE, rng.random((count, 3)))
        documents, mentions = [], []
        for offset in range(count):
            number = start + offset
            doc_id = number + 1
            platform = platforms[platform_of[offset]]
            lang = "fr" if french[offset] else "en"
            brands = brands_of[offset]
            if platform in PLATFORM_SITES:
                instances = PLATFORM_SITES[platform]
                site = instances[min(int(instance_of[offset]), len(instances)) - 1]
            else:
                site = SITES[site_of[offset]]
            author = int(author_of[offset])
            author_name, author_handle = _author(author, platform, draws[offset, 1])
            tone = TONES[tone_of[offset]]
            sentiment = {
                "neutral": (strength[offset] - 0.5) / 9,
                "positive": strength[offset],
                "negative": -strength[offset],
            }[tone]
            title, text = texts[offset]
            if platform in SOCIAL and tag_draws[offset, 0] < HASHTAG_SHARE:
                text += " " + _tags(brands[0], tag_draws[offset], tag_of[offset])
            published = _time_of((number + draws[offset, 3]) / total)
            collected = published + timedelta(minutes=float(delays[offset]))
            reach, engagement, metrics = int(audience[offset]), None, None
            if platform not in ("news", "blog", "forum"):
                counts = {"likes": int(likes[offset]), "reposts": int(reposts[offset])}
                engagement, metrics = sum(counts.values()), counts
            url = f"https://{site}/{doc_id:x}/{title[:40].lower().replace(' ', '-')}"
            documents.append(
                {
                    "id": doc_id, "identity": f"bench:{doc_id}", "canonical_url": url, "url": url,
                    "title": title, "text": text, "author_name": author_name,
                    "author_handle": author_handle,
                    "author_url": f"https://{site}/@{author_handle}" if author_handle else None,
                    "platform": platform, "site": site, "source": platform,
                    "published_at": None if draws[offset, 2] < 0.04 else published,
                    "collected_at": collected, "lang": lang,
                    "sentiment": round(float(sentiment), 4), "tone": tone,
                    "classifier_version": "bench-1", "reach": reach, "engagement": engagement,
                    "metrics": metrics, "fingerprint": f"{doc_id:032x}",
                    "story_id": f"{doc_id:032x}",
                }
            )  # fmt: skip
            for brand in brands[: rows - emitted]:
                mentions.append(
                    {
                        "document_id": doc_id, "brand": brand, "source": platform,
                        "matched_terms": [brand.lower()], "first_seen_at": collected,
                    }
                )  # fmt: skip
                emitted += 1
        yield Batch(documents, mentions)
