"""French sentiment rules: negation, elision, intensifiers, contrast, emphasis, accents."""

from __future__ import annotations

import pytest

from veille.classify.french import FrenchSentimentAnalyzer, french_analyzer, normalise


@pytest.fixture(scope="module")
def score() -> FrenchSentimentAnalyzer:
    return french_analyzer()


@pytest.mark.parametrize(
    "text",
    [
        "ce produit n'est pas terrible",
        "c'est pas top",
        "je n'aime pas ce film",
        "j'aime pas du tout",
        "je ne le recommande pas",
        "ce n'est plus bon",
        "aucun intérêt",
        "un film sans intérêt",
        "rien de bon là-dedans",
        "ce service n'est guère efficace",
        "peu convaincant",
    ],
)
def test_negated_praise_is_negative(score: FrenchSentimentAnalyzer, text: str) -> None:
    assert score.compound(text) <= -0.05


@pytest.mark.parametrize(
    "text",
    [
        "je n'ai jamais été aussi satisfait",
        "j'adore",
        "pas mal du tout",
        "livraison sans problème",
        "c'est génial",
        "un film à ne pas manquer",
    ],
)
def test_positive_sentences(score: FrenchSentimentAnalyzer, text: str) -> None:
    assert score.compound(text) >= 0.05


def test_negation_flips_the_plain_word(score: FrenchSentimentAnalyzer) -> None:
    assert score.compound("c'est bon") > 0 > score.compound("ce n'est pas bon")
    assert score.compound("c'est nul") < 0 < score.compound("ce n'est pas nul")


def test_never_as_superlative_is_not_negation(score: FrenchSentimentAnalyzer) -> None:
    assert score.compound("je n'ai jamais été aussi déçu") < -0.3
    assert score.compound("je n'ai jamais été déçu") > 0


def test_elision_is_split(score: FrenchSentimentAnalyzer) -> None:
    # "j'adore" and "l'excellent" only score when the elided article is split off.
    assert score.compound("j'adore") == score.compound("j' adore")
    assert score.compound("l'excellent accueil") > 0.3
    assert score.compound("qu’il est beau") > 0  # typographic apostrophe


def test_intensifiers_strengthen_and_diminishers_soften(score: FrenchSentimentAnalyzer) -> None:
    good = score.compound("bon")
    assert score.compound("très bon") > good
    assert score.compound("vraiment très bon") > score.compound("très bon")
    assert score.compound("trop bien") > score.compound("bien")
    assert score.compound("super bien") > score.compound("bien")
    assert 0 < score.compound("assez bon") < good
    assert 0 < score.compound("plutôt bon") < good
    assert score.compound("un peu décevant") > score.compound("décevant")
    assert score.compound("peu intéressant") < 0 < score.compound("intéressant")


def test_contrast_favours_the_clause_after_mais(score: FrenchSentimentAnalyzer) -> None:
    assert score.compound("les acteurs sont bons mais le scénario est nul") < 0
    assert score.compound("le scénario est nul mais les acteurs sont excellents") > 0


def test_contrast_stays_inside_its_sentence(score: FrenchSentimentAnalyzer) -> None:
    alone = score.compound("Super service.")
    with_other = score.compound("Super service. Cher mais efficace.")
    assert with_other > alone


def test_emphasis(score: FrenchSentimentAnalyzer) -> None:
    assert score.compound("c'est génial !!!") > score.compound("c'est génial")
    assert score.compound("c'est nul !!!") < score.compound("c'est nul")
    assert score.compound("le service est GÉNIAL") > score.compound("le service est génial")
    assert score.compound("géniaaaal") > score.compound("génial")
    assert score.compound("nullll") < 0


def test_emoji_and_emoticons(score: FrenchSentimentAnalyzer) -> None:
    assert score.compound("livraison reçue 😍") > 0
    assert score.compound("livraison reçue 😢") < 0
    assert score.compound("livraison reçue :)") > 0
    assert score.compound("livraison reçue :(") < 0


def test_accent_insensitive(score: FrenchSentimentAnalyzer) -> None:
    assert score.compound("c'est genial") == score.compound("c'est génial")
    assert score.compound("tres decu") == score.compound("très déçu") < 0


def test_idioms(score: FrenchSentimentAnalyzer) -> None:
    assert score.compound("un vrai coup de cœur") > 0.3
    assert score.compound("une perte de temps") < -0.3
    assert score.compound("n'importe quoi") < 0


def test_neutral_text_scores_zero(score: FrenchSentimentAnalyzer) -> None:
    assert score.compound("Le conseil municipal se réunit mardi à 18 heures.") == 0.0
    assert score.compound("") == 0.0


def test_scores_are_bounded() -> None:
    assert normalise(1e9) <= 1.0
    assert normalise(-1e9) >= -1.0
    assert normalise(0.0) == 0.0


def test_elision_written_with_a_space(score: FrenchSentimentAnalyzer) -> None:
    # Tokenised text ("n' aime") reads like written text ("n'aime").
    assert score.compound("je n' aime pas ce film") == score.compound("je n'aime pas ce film") < 0
    assert score.compound("c' est génial") == score.compound("c'est génial") > 0


def test_negation_reaches_across_articles_and_degree_words(
    score: FrenchSentimentAnalyzer,
) -> None:
    # "bon" is five words after "pas", but only one of them is a content word.
    assert score.compound("ce n'est pas du tout un très bon film") < 0


def test_negation_stops_at_the_clause_boundary(score: FrenchSentimentAnalyzer) -> None:
    assert score.compound("pas de pub, génial") > 0
    assert score.compound("pas génial") < 0


def test_informal_pas_alone_negates(score: FrenchSentimentAnalyzer) -> None:
    assert score.compound("c'est pas bon") < 0 < score.compound("c'est bon")
    assert score.compound("j'aime pas") < 0 < score.compound("j'aime")
    assert score.compound("c'est pas au top") < 0 < score.compound("c'est au top")


def test_concession_weighs_less(score: FrenchSentimentAnalyzer) -> None:
    conceded = score.compound("malgré un excellent casting, le film est moyen")
    stated = score.compound("un excellent casting, le film est moyen")
    assert conceded < stated


def test_complaints_weigh_more_than_praise(score: FrenchSentimentAnalyzer) -> None:
    # "génial" (+3.0) and "nul" (-2.6) in one clause: the negative expression counts 1.5 times.
    assert score.compound("génial, nul") < 0


def test_inflected_forms_are_rated_like_their_base(score: FrenchSentimentAnalyzer) -> None:
    assert score.compound("des séries addictives") > 0
    assert score.compound("j'adorais cette série") > 0
    assert score.compound("des épisodes captivants") > 0


def test_frequent_neutral_words_are_not_rated(score: FrenchSentimentAnalyzer) -> None:
    # Mistranslations in the translated lexicon: a child, "once", a wall, please.
    for text in ["un enfant", "une fois", "le mur", "répondez svp", "vraiment ?"]:
        assert score.compound(text) == 0.0, text


def test_bien_as_adverb_and_merci_de_as_request(score: FrenchSentimentAnalyzer) -> None:
    assert score.compound("bien avant la sortie") == 0.0
    assert score.compound("merci de me rappeler") == 0.0
    assert score.compound("merci pour votre aide") > 0


def test_more_emoji(score: FrenchSentimentAnalyzer) -> None:
    assert score.compound("livraison reçue 👍") > 0
    assert score.compound("livraison reçue 👎") < 0
    assert score.compound("livraison reçue 💔") < 0
    assert score.compound("livraison reçue ❤️") > 0  # with the emoji presentation selector


def test_numbers_are_not_emoticons(score: FrenchSentimentAnalyzer) -> None:
    # VADER's table reads "143" as slang for "I love you"; here it is a price.
    assert score.compound("prix : 143 euros") == 0.0


def test_french_smiling_eyes(score: FrenchSentimentAnalyzer) -> None:
    assert score.compound("merci ^^") > score.compound("merci") > 0
    assert score.compound("^_^") > 0


def test_never_again_is_negation(score: FrenchSentimentAnalyzer) -> None:
    assert score.compound("je ne serai jamais plus satisfait de ce service") < 0


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("Appel au boycott de la marque après la polémique", -1),
        ("La cyberattaque a paralysé le service client", -1),
        ("Plan de licenciements chez le fabricant", -1),
        ("Pratiques commerciales trompeuses : une amende record pour l'opérateur", -1),
        ("La marque primée pour la fiabilité de ses produits", 1),
        ("Le jury a plébiscité la start-up, pionnière du recyclage", 1),
    ],
)
def test_what_a_brand_watches_for_in_the_press(
    score: FrenchSentimentAnalyzer, text: str, sign: int
) -> None:
    assert score.compound(text) * sign > 0


def test_a_relaunch_is_not_a_relapse(score: FrenchSentimentAnalyzer) -> None:
    assert score.compound("La relance du projet est prévue en mars") == 0.0


@pytest.mark.parametrize(
    "address",
    [
        "https://www.bravo.fr/excellent",
        "www.genial.fr",
        "contact.parfait@joie.fr",
        "@Bonheur",
        "@super_top",
    ],
)
def test_addresses_and_handles_are_not_the_writer_s_words(
    score: FrenchSentimentAnalyzer, address: str
) -> None:
    assert score.compound(f"Le rapport est en ligne : {address}") == 0.0
    # Nor do their dots and colons cut a sentence: the negation still reaches "satisfait".
    assert score.compound(f"je ne suis {address} pas satisfait") < 0
    assert score.compound(f"Merci {address} !") == score.compound("Merci !")


def test_an_at_sign_inside_a_word_is_kept(score: FrenchSentimentAnalyzer) -> None:
    assert score.compound("super@") > 0


@pytest.mark.parametrize(
    "text",
    [
        "Remboursement toujours pas reçu",
        "Colis jamais arrivé",
        "Livraison pas arrivée",
        "Commande pas encore reçue",
        "Toujours rien reçu",
        "L'appli ne marche plus depuis la mise à jour",
        "ça fonctionne pas",
        "Le service client ne répond jamais",
        "Je déconseille cette banque",
    ],
)
def test_a_failing_service_in_customers_words_is_negative(
    score: FrenchSentimentAnalyzer, text: str
) -> None:
    assert score.compound(text) < 0


def test_working_and_received_alone_carry_no_tone(score: FrenchSentimentAnalyzer) -> None:
    assert score.compound("Colis reçu hier") == 0.0
    assert score.compound("ça marche") == 0.0
    assert score.compound("ça marche pas mal") > 0


def test_pas_after_a_determiner_is_the_noun(score: FrenchSentimentAnalyzer) -> None:
    # "un grand pas vers le succès" is a step forward, not a negated success.
    assert score.compound("Danone fait un grand pas vers le succès.") >= 0.05
    assert score.compound("Un pas décisif vers une meilleure qualité.") >= 0.05
    assert score.compound("ce premier pas est une réussite") >= 0.05
    # The negation is still read where "pas" follows a verb or a pronoun.
    assert score.compound("ce n'est pas un succès") <= -0.05
    assert score.compound("c'est pas un succès") <= -0.05
    assert score.compound("c'est même pas bon") <= -0.05  # "not even"
    # An adjective alone before "pas" says nothing: the negation stands.
    assert score.compound("c'est bon pas bon ?") <= -0.05
    assert score.compound("Bon pas génial") <= -0.05
    assert score.compound("Pas à pas, un bon travail") >= 0.05


def test_loin_d_etre_and_personne_ne_negate(score: FrenchSentimentAnalyzer) -> None:
    assert score.compound("C'est loin d'être parfait.") <= -0.05
    assert score.compound("C'est loin d'être mauvais.") >= 0.05
    assert score.compound("Personne n'est satisfait.") <= -0.05
    assert score.compound("Personne ne recommande ce produit.") <= -0.05
    # Far from a place is no negation, nor is "personne" as a noun.
    assert score.compound("loin de Paris, un hôtel parfait") >= 0.05
    assert score.compound("une personne adorable") >= 0.05


def test_customer_service_complaints(score: FrenchSentimentAnalyzer) -> None:
    for text in (
        "Pas de réponse du service client depuis trois semaines.",
        "Aucune réponse du service client.",
        "Rien ne va chez Danone.",
        "Commande jamais remboursée.",
        "Personne ne répond au téléphone.",
        "Personne ne décroche au service client.",
        "Toujours pas de remboursement.",
        "Aucun remboursement depuis un mois.",
        "Aucune nouvelle de ma commande depuis trois semaines.",
        "On attend toujours le remboursement.",
        "Commande toujours en attente.",
    ):
        assert score.compound(text) <= -0.05, text
    # In the press a « chantier » is a building site or a project, not a mess.
    assert score.compound("Le chantier de l'usine avance.") >= 0.0
    assert score.compound("Les chantiers de la réforme reprennent.") == 0.0
    # « nouvelle » as an adjective: no new tax is no complaint.
    assert score.compound("Aucune nouvelle taxe cette année, une bonne chose.") >= 0.05


def test_ne_a_personne_negates_the_verb(score: FrenchSentimentAnalyzer) -> None:
    # « à personne » is "to nobody", with or without « ne ».
    for text in (
        "Je ne le recommande à personne",
        "Je ne recommande à personne cet opérateur",
        "Je ne le conseille à personne",
        "Je le recommande à personne",
        "Ce service ne plaît à personne",
        "Je ne recommande personne",
    ):
        assert score.compound(text) <= -0.05, text
    assert score.compound("Je le recommande à tout le monde") >= 0.05
    assert score.compound("Je le recommande à une personne de confiance") >= 0.05


def test_future_and_conditional_forms_are_rated(score: FrenchSentimentAnalyzer) -> None:
    assert score.compound("Je ne le recommanderais jamais") <= -0.05
    assert score.compound("Je ne le recommanderai jamais") <= -0.05
    assert score.compound("Je le recommanderais sans hésiter") >= 0.05
    assert score.compound("Je vous le conseillerais") >= 0.05
    assert score.compound("Ce film vous plaira et vous ravira") >= 0.05  # -ire, -ir verbs
    assert score.compound("Ils trahiront leurs clients") <= -0.05
    # « j'aimerais », « je souhaiterais » ask politely: no praise.
    assert score.compound("J'aimerais être remboursé") == 0.0
    assert score.compound("Je souhaiterais une réponse") == 0.0


def test_plus_jamais_opening_a_sentence_refuses(score: FrenchSentimentAnalyzer) -> None:
    for text in (
        "Plus jamais chez eux",
        "Plus jamais ça",
        "Plus jamais !",
        "Colis arrivé cassé, plus jamais chez eux.",
        "Jamais plus je n'irai chez eux",
    ):
        assert score.compound(text) <= -0.3, text
    # « Plus jamais de panne » is "no more breakdowns".
    assert score.compound("Plus jamais de panne depuis la mise à jour") >= 0.05
    # Inside a sentence it is the negation it always was.
    assert score.compound("Je ne serai plus jamais déçu") >= 0.05


def test_a_price_rise_is_bad_news_and_a_fall_good_news(score: FrenchSentimentAnalyzer) -> None:
    for text in (
        "Orange augmente ses prix",
        "Lidl augmente ses prix",
        "Orange augmente ses tarifs de 10 %",
        "Hausse des prix chez Orange",
        "Prix en hausse chez Orange",
        "Orange augmente encore ses forfaits fibre",
    ):
        assert score.compound(text) <= -0.05, text
    assert score.compound("Lidl baisse ses prix") >= 0.05
    assert score.compound("Les prix baissent chez Lidl") >= 0.05
    assert score.compound("Orange n'augmente pas ses prix") >= 0.05
    # A rise alone is neither good nor bad.
    assert score.compound("Le chiffre d'affaires augmente") == 0.0
    assert score.compound("Orange augmente le débit de la fibre") == 0.0
    assert score.compound("une augmentation") == 0.0


def test_not_buying_warns_others_off(score: FrenchSentimentAnalyzer) -> None:
    for text in (
        "N'achetez pas chez Lidl",
        "N'achetez rien chez Lidl",
        "Je n'achèterai plus jamais chez eux",
        "Je ne le rachèterai pas",
        "Ne commandez jamais sur ce site",
    ):
        assert score.compound(text) <= -0.05, text
    # Buying is no opinion; a past purchase not made is a fact; « pas cher » is praise.
    assert score.compound("J'achète chez Lidl") == 0.0
    assert score.compound("Danone rachète une startup") == 0.0
    assert score.compound("Je n'ai pas acheté ce produit") == 0.0
    assert score.compound("Je l'achète pas cher") >= 0.05


def test_plus_que_compares_and_does_not_negate(score: FrenchSentimentAnalyzer) -> None:
    assert score.compound("Je l'aime plus que tout") >= 0.05
    assert score.compound("Je ne l'aime plus") <= -0.05
    assert score.compound("J'aime plus ce produit") <= -0.05  # informal « ne … plus »
