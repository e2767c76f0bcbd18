"""What an article's earlier sentences tell the rules about the next one."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Named:
    """A source as the article named it, and its kind."""

    text: str
    kind: str


@dataclass
class ArticleState:
    """Carried from sentence to sentence of one article (one new state per article): a
    pronoun ("a-t-il ajouté") takes the last named source, a bare name ("Reniak") the kind
    its description gave it earlier, a sentence that is only a quote the speaker of the
    quote before."""

    # The last source named (not anonymous or vague) so far, what "il", "elle", "ils" refer to.
    last_named: Named | None = None
    # The kind of each person named with a description ("la ministre, Sofia Reniak" -> official),
    # by name and by last name in lower case, for when the name comes again alone.
    names: dict[str, str] = field(default_factory=dict)
    # Who spoke the quote of the sentence before, or announced one ("X a déclaré :"); a sentence
    # that is only a quote is theirs. Reset by every sentence that is not.
    quote_speaker: Named | None = None

    def remember(self, mention: str, kind: str) -> None:
        """``mention`` is the last named source, unless it names no one."""
        if kind != "anonymous_vague":
            self.last_named = Named(mention, kind)

    def resolve(self, pronoun: str) -> tuple[str, str]:
        """(kind, what it refers to) of a subject pronoun: the last named source; "on" and a
        pronoun before any named source are anonymous."""
        if pronoun.lower() == "on" or self.last_named is None:
            return "anonymous_vague", ""
        return self.last_named.kind, self.last_named.text
