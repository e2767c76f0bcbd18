"""The word lists of the attribution rules, read from configs/attribution.yaml.

Loaded once (:func:`words`), checked when loaded: every list of :class:`Words` must be in the
file and no other, each a list of words (a table maps a verb to one), none listed twice in
one list. Each problem is one :class:`InputError` naming the file and the line.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

import yaml

from annotate.defaults import configs_dir
from annotate.errors import InputError, quote
from annotate.yamlconf import YamlMap, config_loader, parse_yaml

WORDS_FILE = "attribution.yaml"  # in configs_dir()
VERSION = 1


@dataclass(frozen=True, eq=False)
class Words:
    """The lists, each as the file's comment above it describes. A ``frozenset`` is looked up;
    a ``tuple`` keeps the file's order (prefixes, the alternatives of a pattern); a table maps a
    verb to its words."""

    reporting_verbs: frozenset[str]
    locutions: Mapping[str, frozenset[str]]
    irregular_stems: Mapping[str, tuple[str, ...]]  # in the file's order: the first verb that fits wins
    reflexive_verbs: frozenset[str]
    governors: frozenset[str]
    needs_content: frozenset[str]
    asking_verbs: frozenset[str]
    silent_when_negated: frozenset[str]
    agent_verbs: frozenset[str]
    preposition_cues: tuple[str, ...]
    not_sources: frozenset[str]
    group_words: frozenset[str]
    clitics: frozenset[str]
    subject_clitics: frozenset[str]
    relatives: frozenset[str]
    stop_words: frozenset[str]
    when_words: frozenset[str]
    time_words: frozenset[str]
    pronouns: frozenset[str]
    first_person: frozenset[str]
    speaker_words: frozenset[str]
    not_speaker_words: frozenset[str]
    official_words: frozenset[str]
    media_words: frozenset[str]
    expert_words: frozenset[str]
    expert_roles: frozenset[str]
    party_words: frozenset[str]
    social_words: frozenset[str]
    anonymous_heads: frozenset[str]
    rank_words: frozenset[str]
    vague_mentions: frozenset[str]
    vague_openings: tuple[str, ...]
    head_skip_words: frozenset[str]
    articles: tuple[str, ...]
    unnamed_openings: tuple[str, ...]
    definite_articles: frozenset[str]
    singular_articles: frozenset[str]
    indefinites: tuple[str, ...]
    plural_openings: frozenset[str]
    name_lead_words: frozenset[str]
    event_nouns: frozenset[str]
    state_markers: tuple[str, ...]
    path: str = ""  # the file read
    sha256: str = ""  # of its bytes: what the model_version of source pre-annotations hashes

    @cached_property
    def speakers(self) -> frozenset[str]:
        """Head nouns of what can speak: the kind lists' words and speaker_words, less
        not_speaker_words (a report, a topic)."""
        return (self.official_words | self.media_words | self.anonymous_heads | self.social_words
                | self.expert_words | self.speaker_words) - self.not_speaker_words

    @cached_property
    def article_openings(self) -> tuple[str, ...]:
        """The articles as a mention's first word: "le ", "l'" (glued to what follows)."""
        return _openings(self.articles)

    @cached_property
    def indefinite_openings(self) -> tuple[str, ...]:
        return _openings(self.indefinites)

    @cached_property
    def preposition_pattern(self) -> re.Pattern[str]:
        """A preposition cue as a whole word or phrase, the longest first, and the space after it."""
        cues = sorted(self.preposition_cues, key=len, reverse=True)
        return re.compile(r"(?<!\w)(" + "|".join(re.escape(c) for c in cues) + r")(?!\w)\s+", re.IGNORECASE)


def _openings(first_words: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(w if w.endswith("'") else w + " " for w in first_words)


_LISTS = tuple(f for f in dataclasses.fields(Words) if f.name not in ("path", "sha256"))


@lru_cache(maxsize=1)
def words() -> Words:
    """The shipped word lists (configs/attribution.yaml), read once."""
    return load_words(configs_dir() / WORDS_FILE)


def load_words(path: Path | str) -> Words:
    """Read and check a word-list file (see configs/attribution.yaml for the format)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file (the word lists of the attribution rules)") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not valid UTF-8") from None
    data = parse_yaml(text, path)
    if data is None:
        raise InputError(f"{path}: empty file")
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping (version: 1, then one key per list)")
    _check_names(data, path)
    if isinstance(data["version"], bool) or data["version"] != VERSION:
        raise InputError(f"{data.at('version')}: version {quote(data['version'])} is not known (expected {VERSION})")
    values: dict[str, Any] = {}
    for field in _LISTS:
        value, where = data[field.name], data.at(field.name)
        # The field's type says what the list becomes: a tuple in the file's order, or a frozenset.
        ordered = str(field.type).startswith(("tuple", "Mapping[str, tuple"))
        if not str(field.type).startswith("Mapping"):
            values[field.name] = _checked(text, path, (field.name,), where, value, ordered)
            continue
        if not isinstance(value, dict) or not value:
            raise InputError(f"{where}: {field.name} must map each verb to a list of words")
        for verb in value:
            if not isinstance(verb, str) or not verb.strip():
                raise InputError(f"{value.at(verb)}: {quote(verb)} in {field.name} is not a word")
        values[field.name] = MappingProxyType({
            verb: _checked(text, path, (field.name, verb), value.at(verb), items, ordered)
            for verb, items in value.items()})
    return Words(**values, path=str(path), sha256=hashlib.sha256(raw).hexdigest())


def _check_names(data: YamlMap, path: Path) -> None:
    """Every list of :class:`Words` is in the file, and no other."""
    expected = ["version", *(f.name for f in _LISTS)]
    for key in data:
        if key not in expected:
            close = difflib.get_close_matches(str(key), expected, n=1)
            hint = f"did you mean '{close[0]}'?" if close else "the lists are the fields of " \
                "annotate.sources.attribution.word_lists.Words"
            raise InputError(f"{data.at(key)}: unknown list {quote(key)} ({hint})")
    for key in expected:
        if key not in data:
            raise InputError(f"{path}: missing list '{key}'")


def _checked(text: str, path: Path, keys: tuple[str, ...], where: str, items: object,
             ordered: bool) -> tuple[str, ...] | frozenset[str]:
    """``items`` as a tuple or a frozenset, after checking each is a word, listed once."""
    name = keys[0] + "".join(f" ({key})" for key in keys[1:])
    if not isinstance(items, list):
        raise InputError(f"{where}: {name} must be a list of words, [a, b, c]")
    seen: set[str] = set()
    for index, item in enumerate(items):
        if not isinstance(item, str) or not item.strip():
            node = _item_node(text, path, keys, index)
            raise InputError(f"{path}:{node.start_mark.line + 1}: {quote(node.value)} in {name} is not a word "
                             f"(YAML reads it as {quote(item)}; put it in quotes)")
        if item in seen:
            line = _item_node(text, path, keys, index).start_mark.line + 1
            raise InputError(f"{path}:{line}: {quote(item)} is listed twice in {name}")
        seen.add(item)
    return tuple(items) if ordered else frozenset(items)


def _item_node(text: str, path: Path, keys: tuple[str, ...], index: int) -> yaml.Node:
    """The YAML node of item ``index`` of the list under ``keys``, for its line (read again,
    only when an error is to be told)."""
    node = yaml.compose(text, Loader=config_loader(path))  # noqa: S506 - a SafeLoader subclass
    for key in keys:
        node = next(value for key_node, value in node.value if key_node.value == key)
    return node.value[index]
