"""What the rules find: an attribution (who, the cue, the kind, what is attributed), and its
dict form, as `propa ingest --sources` stores it and Label Studio predictions carry it."""

from __future__ import annotations

from dataclasses import dataclass

from annotate.text.segment import Span


@dataclass(frozen=True)
class Attribution:
    mention: Span | None
    cue: Span | None
    kind: str
    # which rule found it (rules.LABELS): "source-line", "agentless", "preposition", "opinion", "agent",
    # "subject" or "inverted" (reporting_verb); "quote-continued" (a quote continued, no rule of its own);
    # "tagger" (a span of the source-span tagger where no rule found anything: train.models.span_tagger)
    rule: str
    content: Span | None = None
    refers_to: str = ""
    self_citation: bool = False  # the article's own outlet ("nos informations", its name)
    # where the kind came from: "registry", "rules", "model" (annotate.sources.kinds), "article" (an
    # earlier description of the same name in the article), "pronoun" (what it refers to) or
    # "speaker" (a quote continued from the sentence before)
    kind_by: str = "rules"
    # the source of the article it names (annotate.sources.entities): "s1", "s2"... and its name;
    # "" for an anonymous or vague one, and before the article's mentions are grouped
    entity: str = ""
    entity_name: str = ""

    def to_dict(self) -> dict:
        def part(p: Span | None) -> dict | None:
            return None if p is None else {"start": p.start, "end": p.end, "text": p.text}

        out = {"mention": part(self.mention), "cue": part(self.cue), "kind": self.kind, "rule": self.rule}
        if self.content is not None:
            out["content"] = part(self.content)
        if self.refers_to:
            out["refers_to"] = self.refers_to
        if self.self_citation:
            out["self_citation"] = True
        out["kind_by"] = self.kind_by
        if self.entity:
            out["entity"], out["entity_name"] = self.entity, self.entity_name
        return out

    @classmethod
    def from_dict(cls, record: dict) -> "Attribution":
        """The inverse of :meth:`to_dict` (what `propa ingest --sources` stored)."""
        def part(p: dict | None) -> Span | None:
            return None if p is None else Span(int(p["start"]), int(p["end"]), str(p["text"]))

        return cls(part(record.get("mention")), part(record.get("cue")), str(record["kind"]), str(record["rule"]),
                   part(record.get("content")), str(record.get("refers_to", "")),
                   bool(record.get("self_citation", False)), str(record.get("kind_by", "rules")),
                   str(record.get("entity", "")), str(record.get("entity_name", "")))
