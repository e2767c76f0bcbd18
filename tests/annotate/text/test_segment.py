import pytest

from annotate.text.segment import segment, split_paragraphs, split_sentences


def texts(paragraph: str) -> list[str]:
    return [s.text for s in split_sentences(paragraph)]


@pytest.mark.parametrize("paragraph, expected", [
    # a quote stays with its attribution clause, even when it holds several sentences
    ("« Nous ne céderons pas. Jamais. », a déclaré M. Dupont. Le ministre est parti.",
     ["« Nous ne céderons pas. Jamais. », a déclaré M. Dupont.", "Le ministre est parti."]),
    ("«Assez !» a lancé Mme Leroy devant la foule. Puis elle est partie.",
     ["«Assez !» a lancé Mme Leroy devant la foule.", "Puis elle est partie."]),
    ("« Qui peut y croire ? » s'interroge Mme Dobrevan. Personne ne répond.",
     ["« Qui peut y croire ? » s'interroge Mme Dobrevan.", "Personne ne répond."]),
    ("\u00ab\u00a0Ce n\u2019est pas fini\u00a0!\u00a0\u00bb a-t-il lancé. La salle applaudit.",
     ["\u00ab\u00a0Ce n\u2019est pas fini\u00a0!\u00a0\u00bb a-t-il lancé.", "La salle applaudit."]),
    # a quote that is a whole sentence, followed by another sentence
    ("Il a conclu : « Nous gagnerons. » Le public s'est levé.",
     ["Il a conclu : « Nous gagnerons. »", "Le public s'est levé."]),
    # abbreviations, initials, dotted acronyms
    ("J.-P. Morel travaille à la S.N.C.F. depuis 1998. Le Dr Martin confirme.",
     ["J.-P. Morel travaille à la S.N.C.F. depuis 1998.", "Le Dr Martin confirme."]),
    # an acronym without periods is a word: it can end a sentence
    ("Le vaccin est recommandé par l'OMS. Le ministère a confirmé. Il a parlé à la TNK. Puis rien.",
     ["Le vaccin est recommandé par l'OMS.", "Le ministère a confirmé.", "Il a parlé à la TNK.", "Puis rien."]),
    ("Selon l'art. 12 du code, M. Durand et Mme Petit sont convoqués. Ils viendront.",
     ["Selon l'art. 12 du code, M. Durand et Mme Petit sont convoqués.", "Ils viendront."]),
    ("Voir l’art. 49.3 et cf. p. 12 du rapport. Fin.",
     ["Voir l’art. 49.3 et cf. p. 12 du rapport.", "Fin."]),
    # "14 h." before a capital ends the sentence
    ("La réunion a commencé à 14 h. Le ministre est arrivé ensuite.",
     ["La réunion a commencé à 14 h.", "Le ministre est arrivé ensuite."]),
    # decimals and ellipses
    ("Le taux atteint 3.5 % puis 2,7 %. Il hésite… Puis il part. Et puis... plus rien.",
     ["Le taux atteint 3.5 % puis 2,7 %.", "Il hésite…", "Puis il part.", "Et puis... plus rien."]),
    ("Vraiment ? Oui ! 12 morts ont été recensés.", ["Vraiment ?", "Oui !", "12 morts ont été recensés."]),
    # an unbalanced quote must not glue the paragraph into one sentence
    ("« Il a dit non. Elle a dit oui. Fin.", ["« Il a dit non.", "Elle a dit oui.", "Fin."]),
    ("Source : Divers", ["Source : Divers"]),
])
def test_french_hard_cases(paragraph, expected):
    assert texts(paragraph) == expected


def test_offsets_point_into_the_document():
    document = "Titre de l’article\n\n  Premier paragraphe. Deuxième phrase !\n\nSource : Divers\n"
    rows = list(segment(document))
    assert [(i, s.text) for i, _, s in rows] == [
        (0, "Titre de l’article"), (1, "Premier paragraphe."), (1, "Deuxième phrase !"), (2, "Source : Divers")]
    for _, paragraph, sentence in rows:
        assert document[sentence.start:sentence.end] == sentence.text
        assert document[paragraph.start:paragraph.end] == paragraph.text


def test_blank_lines_are_not_paragraphs():
    assert [p.text for p in split_paragraphs("a\n\n \n\tb\n")] == ["a", "b"]
