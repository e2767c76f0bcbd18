"""What an article's sentences carry to the next: the last named source for a pronoun, the kind
of a described name, the speaker of a quote."""

from __future__ import annotations

from typing import Callable

from annotate.sources.attribution import ArticleState, Named, ParsedSentence, extract_parsed


def test_a_pronoun_resolves_to_the_last_source_named_in_an_earlier_sentence(
        parse: Callable[..., ParsedSentence]) -> None:
    state = ArticleState()
    first = parse("Le ministre de l'Intérieur, Casimir Noval, a déclaré que la frontière resterait fermée.", state)
    extract_parsed(first.text, first.doc, first.registry, state)
    assert state.last_named == Named("Le ministre de l'Intérieur, Casimir Noval", "official")
    assert state.names == {"casimir noval": "official", "noval": "official"}
    second = parse("« Nous ne céderons pas », a-t-il ajouté.", state)
    (pronoun,) = extract_parsed(second.text, second.doc, second.registry, state)
    assert (pronoun.mention.text, pronoun.kind, pronoun.kind_by) == ("il", "official", "pronoun")
    assert pronoun.refers_to == "Le ministre de l'Intérieur, Casimir Noval"
    assert state.quote_speaker == Named("Le ministre de l'Intérieur, Casimir Noval", "official")
    # The same sentence alone (no state) has no one to refer to.
    (alone,) = extract_parsed(second.text, second.doc, second.registry, None)
    assert (alone.kind, alone.refers_to) == ("anonymous_vague", "")


def test_only_a_named_source_is_remembered_and_on_is_always_vague() -> None:
    state = ArticleState()
    assert state.resolve("il") == ("anonymous_vague", "")
    state.remember("le ministère", "official")
    state.remember("des experts", "anonymous_vague")  # names no one: the ministry stays the last named
    assert state.resolve("Elle") == ("official", "le ministère")
    assert state.resolve("on") == ("anonymous_vague", "")
