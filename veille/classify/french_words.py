"""The French function words that the sentiment rules react to (accent-free, as tokenised)."""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


NE = frozenset({"ne", "n'"})
# Words that negate what follows on their own, in standard and informal French alike
# ("pas bon", "c'est pas bon", "jamais satisfait", "rien de bon", "aucun intérêt", "sans goût").
NEGATORS = _words("pas jamais rien aucun aucune aucuns aucunes guere nullement ni sans")
# Words that negate only as the second half of "ne … plus / point / personne".
NE_COMPLETERS = frozenset(["plus", "point", "personne"])
# After a determiner, "pas" is the noun (a step): "un pas vers", "ce pas", and after one of
# these adjectives following a determiner: "un grand pas", "ce premier pas". Alone, an adjective
# says nothing ("c'est bon pas bon ?", "bon pas génial").
PAS_DETERMINERS = _words("un le ce du au mon ton son notre votre leur")
PAS_ADJECTIVES = _words("premier grand petit nouveau dernier faux vrai bon seul immense")
# "loin d'être bon" negates what follows, as "pas" would; "personne n'est satisfait" too.
NEGATING_OPENERS = frozenset(["loin", "personne"])
ELISIONS_OF_DE = frozenset(["de", "d'"])
# Words that complete a negation when they follow the verb: "je n'aime pas", "j'aime pas".
POSTVERBAL_NEGATORS = _words("pas plus jamais rien guere point aucun aucune personne")
# After "jamais", these turn the sentence into a superlative: "jamais été aussi satisfait".
COMPARATIVES = frozenset(["aussi", "autant", "si", "tant", "plus", "mieux", "pire"])
# Pronouns that stand before a verb; "j'aime pas" is negated by the "pas" that follows.
CLITICS = _words(
    "je j' tu il elle on nous vous ils elles ca cela c' l' le la les m' t' me te lui leur "
    "y en s' se"
)
# Words that a negation reaches across without using up its scope: articles, determiners,
# auxiliaries and degree adverbs ("pas un très bon film", "jamais été convaincu").
SCOPE_TRANSPARENT = _words(
    "un une le la les de du des ce cet cette ces mon ma mes ton ta tes son sa ses leur "
    "leurs notre votre tres si trop vraiment tellement assez aussi super bien ete etait "
    "etre ai a as avons avez ont eu est sont tout"
)
INTENSIFIERS = _words(
    "tres trop vraiment tellement super hyper ultra extremement totalement completement "
    "absolument vachement carrement franchement particulierement tant si incroyablement "
    "enormement hautement archi mega grave plus bien fort profondement terriblement vrai "
    "vraie veritable"
)
DIMINISHERS = _words("assez plutot moyennement legerement relativement presque quasiment")
# "peu intéressant", "moins bien": a weak negation of the word that follows.
WEAK_NEGATORS = frozenset(["peu", "moins"])
CONTRAST_MARKERS = frozenset(["mais", "cependant", "pourtant", "toutefois", "neanmoins"])
CONTRAST_PAIRS = frozenset({("par", "contre"), ("en", "revanche"), ("sauf", "que")})
# What ends a contrast scan quickly: every word that can make up a contrast marker.
CONTRAST_WORDS = CONTRAST_MARKERS | {second for _first, second in CONTRAST_PAIRS}
# A concession ("bien que les acteurs soient bons, …") weighs less than the main clause.
CONCESSIVE_MARKERS = frozenset(["malgre", "quoique", "quoiqu'"])
CONCESSIVE_PAIRS = frozenset({("bien", "que"), ("bien", "qu'"), ("meme", "si"), ("meme", "s'")})
# "bien" before one of these is a degree or discourse adverb ("bien des", "bien avant",
# "bien plus", "bien évidemment"), not praise.
BIEN_AS_ADVERB_BEFORE = _words(
    "le la les l' un une des du a au aux avant apres dans en pour sur sous entre "
    "evidemment entendu souvent longtemps assez moins plus trop que qu' au-dela loin"
)
# "Bon, …" / "Bien, …" opening a sentence mark a turn in the talk, not a judgement.
DISCOURSE_OPENERS = frozenset(["bon", "bien", "bref"])
# « plus que » / « plus qu' » after a verb compares ("je l'aime plus que tout"): no negation.
THAN = frozenset(["que", "qu'"])
# Opening a sentence, « plus jamais » / « jamais plus » refuses for good (« Plus jamais ça »,
# « Plus jamais chez eux »); before « de », it is "no more" of what follows (« plus jamais de
# panne »), read as a negation.
NEVER_AGAIN = frozenset({("plus", "jamais"), ("jamais", "plus")})
# A rise in prices is bad news for the customers who pay them, a fall good news: a word of a
# rise or fall with a word of a price within three words either side (« Orange augmente ses
# tarifs », « hausse des prix », « les prix baissent », « la facture augmente »).
PRICE_NOUNS = _words("prix tarif tarifs forfait forfaits facture factures")
PRICE_RISES = _words(
    "hausse hausses augmente augmentent augmentation augmentations flambee flambent envolee"
)
PRICE_FALLS = _words("baisse baisses baissent diminue diminuent diminution")
PRICE_MOVES = PRICE_RISES | PRICE_FALLS
PRICE_WINDOW = 3
