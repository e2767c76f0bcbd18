"""Who a French sentence cites: attribution extraction with spaCy's French pipeline and rules.

An attribution is a source mention (who), a cue (the reporting verb or the preposition
that attributes) and, when there is one, the attributed content. spaCy's named entities
alone miss most sources (NOTES.md: a ministry tagged as a place, outlet names cut in
two), so the rules work on the dependency parse and on the words around a cue:

- a reporting verb (configs/attribution.yaml; lemma from spaCy) with its subject before it ("le
  ministère a indiqué que"), or after it when inverted (", a rapporté le quotidien X",
  "« ... », affirme le ministère", "a-t-il ajouté" -> the pronoun);
- "selon X", "d'après X", "de l'avis de X", "aux dires de X", "cité par X", "de source X";
- "Source : X" lines; agentless forms ("il est rapporté que", "il se dit que", "on dit que",
  "a-t-on appris");
- the subject found through what the small model parses badly: a title before a name ("Le
  maire, Bertrand Olivet, a appelé"), an incise ("L'ONG X, qui ..., a jugé"), adverbs inside
  the verb group ("a certes démenti", "confient d'ailleurs que"), a relative ("Des experts que
  nous avons consultés affirment"), a clitic after the verb ("explique-t-il", "nous dit-on"),
  locutions ("fait état", "laisse entendre", "est formel"), an infinitive after "se borne à",
  "a beau", reflexive verbs ("s'inquiètent"); agents a few words after their participle
  ("publiée dès le 3 mai par X"), and the publisher of figures ("selon les chiffres publiés
  par X").

Negated silence ("ce que la commission n'a pas commenté"), passives ("aucun décès n'a été
signalé") and rhetorical subjects ("ceux qui", "les mêmes") are not attributions.

The mention's kind (official, state media, independent media, expert/NGO, anonymous or
vague, social media, other) comes from the source registry when the mention names a
registered source, else from the words of the mention (``kind_of``); a pronoun takes the
kind of the last named source of the article. The curly apostrophe is replaced by ' before
parsing (same length: offsets are unchanged).

The package, in the order a sentence goes through it:

- ``word_lists``: ``words()``, the word lists of configs/attribution.yaml, loaded once and checked;
- ``syntax``: spaCy's pipeline and what is read around a verb (reporting verb, verb group,
  negation, the tagger's mistakes); ``phrases``: noun phrases and subjects over the parse;
  ``spans``: spans of the text (clean cuts, "X et Y", a name's description, the content);
- ``mention_kind``: ``kind_of``, a mention's kind from its words;
- ``rules``: the rules, one small function each, in the order of ``RULES``;
- ``state``: ``ArticleState``, what an article's sentences carry to the next;
- ``extraction``: ``extract`` / ``extract_parsed`` / ``extract_article``: the rules in turn,
  then what they share (kinds settled, content, a quote continued);
- ``record``: ``Attribution`` and its dict form; ``stored``: ``Attributor`` (batches),
  ``StoredAttributions`` (read back from a corpus), ``mark_self_citation``.
"""

from __future__ import annotations

from annotate.sources.attribution.extraction import extract, extract_article, extract_parsed
from annotate.sources.attribution.mention_kind import kind_of
from annotate.sources.attribution.record import Attribution
from annotate.sources.attribution.rules import LABELS, RULES, ParsedSentence, Rule
from annotate.sources.attribution.state import ArticleState, Named
from annotate.sources.attribution.stored import Attributor, StoredAttributions, mark_self_citation
from annotate.sources.attribution.syntax import french_pipeline, reporting_lemma
from annotate.sources.attribution.word_lists import Words, load_words, words

__all__ = [
    "LABELS", "PRONOUNS", "RULES", "ArticleState", "Attribution", "Attributor", "Named", "ParsedSentence", "Rule",
    "StoredAttributions", "Words", "extract", "extract_article", "extract_parsed", "french_pipeline", "kind_of",
    "load_words", "mark_self_citation", "reporting_lemma", "words",
]


def __getattr__(name: str):
    """``PRONOUNS`` (what annotate.sources.kinds imports), read from the word lists when first
    asked for, not at import."""
    if name == "PRONOUNS":
        return words().pronouns
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
