"""Cue rules: French phrases that signal a technique, found by patterns (configs/cues.yaml).

Rules are small, named, readable patterns, the labeling functions of this project: each
belongs to one technique of the taxonomy. They are matched on a normalised form of the
sentence (lower case, accents and ligatures removed, typographic apostrophes and spaces
made plain) so that one pattern covers « Comme par hasard », "comme par hasard" and
"COMME PAR HASARD"; every hit maps back to exact offsets in the original text.

A rule may carry ``unless`` patterns: a hit is dropped when one of them matches the same
sentence (a named, checkable source after "selon" is not vague sourcing).

Patterns are regular expressions, written in normalised form; a space stands for any run
of white space (" ?" for an optional one), and a pattern only matches whole words.
Compatibility characters are folded too (the "ﬁ" ligature of text copied from a PDF is "fi").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from annotate.defaults import configs_dir
from annotate.errors import InputError, quote
from annotate.taxonomy import Taxonomy
from annotate.yamlconf import check_keys, load_yaml

DEFAULT_CUES = configs_dir() / "cues.yaml"
PATTERN_LIMIT = 1000  # a pattern quoted in an error stays whole (the longest are ~600), so it can be copied
_FOLD = {"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "’": "'", "‘": "'", "ʼ": "'", "`": "'", "´": "'",
         "\u00a0": " ", "\u202f": " ", "\u2009": " ", "«": '"', "»": '"', "“": '"', "”": '"', "–": "-", "—": "-"}


def normalise(text: str) -> tuple[str, list[int]]:
    """(normalised text, for each of its characters the index of the original character)."""
    out: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        folded = _FOLD.get(char)
        if folded is None:
            folded = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)).lower()
        for piece in folded:
            out.append(piece)
            origin.append(index)
    return "".join(out), origin


@dataclass(frozen=True)
class CueRule:
    name: str  # "<technique>/<number>", stable while the file keeps its order
    technique: str
    pattern: re.Pattern[str]
    unless: tuple[re.Pattern[str], ...] = ()


@dataclass(frozen=True)
class CueHit:
    technique: str
    start: int  # offsets into the original text
    end: int
    text: str
    rule: str


@dataclass(frozen=True)
class Cues:
    rules: tuple[CueRule, ...]
    path: str = ""

    @property
    def techniques(self) -> frozenset[str]:
        return frozenset(rule.technique for rule in self.rules)


def _compile(pattern: object, where: str) -> re.Pattern[str]:
    if not isinstance(pattern, str) or not pattern.strip():
        raise InputError(f"{where}: a pattern must be a non-empty string")
    if pattern != normalise(pattern)[0]:
        raise InputError(f"{where}: pattern {quote(pattern, PATTERN_LIMIT)} is not in normalised form (lower case, "
                         f"no accents, straight apostrophes): write {quote(normalise(pattern)[0], PATTERN_LIMIT)}")
    try:
        # Whole words only: "selon des sources" must not fire inside "reselon des sourcesx".
        # A space stands for any run of white space (" ?" for an optional one); the group
        # keeps the word boundaries around every alternative of a top-level "a|b".
        body = pattern.replace(" ?", r"\s*").replace(" ", r"\s+")
        re.compile(body)  # on its own first: wrapped, an unclosed "[" could swallow the wrapping
        return re.compile(r"(?<![\w])(?:" + body + r")(?![\w])")
    except re.error as err:
        raise InputError(f"{where}: pattern {quote(pattern, PATTERN_LIMIT)} is not a valid regular expression "
                         f"({err})") from None


def load_cues(taxonomy: Taxonomy, path: Path | str | None = None) -> Cues:
    """Read configs/cues.yaml; every technique must be in the taxonomy, every pattern valid."""
    path = Path(path) if path is not None else DEFAULT_CUES
    data = check_keys(load_yaml(path), str(path), required=("version", "cues"))
    if not isinstance(data["cues"], list) or not data["cues"]:
        raise InputError(f"{data.at('cues')}: 'cues' must be a non-empty list")
    rules: list[CueRule] = []
    for entry in data["cues"]:
        where = getattr(entry, "where", str(path))
        check_keys(entry, where, required=("technique", "patterns"), optional=("unless", "note"))
        technique = entry["technique"]
        if not isinstance(technique, str) or technique not in taxonomy.technique_by_id:
            raise InputError(f"{entry.at('technique')}: technique '{technique}' is not in {taxonomy.path}")
        patterns, unless = entry["patterns"], entry.get("unless") or []
        if not isinstance(patterns, list) or not patterns or not isinstance(unless, list):
            raise InputError(f"{where}: 'patterns' (and 'unless') must be lists of patterns")
        compiled_unless = tuple(_compile(p, f"{entry.at('unless')}: unless") for p in unless)
        for pattern in patterns:
            number = sum(1 for rule in rules if rule.technique == technique) + 1
            rules.append(CueRule(f"{technique}/{number}", technique,
                                 _compile(pattern, f"{entry.at('patterns')}: {technique}"), compiled_unless))
    return Cues(tuple(rules), str(path))


def find_cues(text: str, cues: Cues) -> list[CueHit]:
    """Every rule hit in ``text`` (offsets into ``text``), sorted; overlapping hits of one
    technique are merged into the longest span."""
    normalised, origin = normalise(text)
    hits: list[CueHit] = []
    for rule in cues.rules:
        if any(block.search(normalised) for block in rule.unless):
            continue
        for match in rule.pattern.finditer(normalised):
            if match.end() == match.start():
                continue
            start, end = origin[match.start()], origin[match.end() - 1] + 1
            hits.append(CueHit(rule.technique, start, end, text[start:end], rule.name))
    hits.sort(key=lambda h: (h.technique, h.start, -h.end))
    merged: list[CueHit] = []
    for hit in hits:
        last = merged[-1] if merged else None
        if last is not None and last.technique == hit.technique and hit.start < last.end:
            if hit.end > last.end:
                merged[-1] = CueHit(last.technique, last.start, hit.end, text[last.start:hit.end], last.rule)
            continue
        merged.append(hit)
    return sorted(merged, key=lambda h: (h.start, h.end, h.technique))
