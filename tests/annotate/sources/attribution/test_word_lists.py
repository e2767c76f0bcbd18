"""The word lists of the attribution rules (configs/attribution.yaml): read once, through
configs_dir(); a repeated word, an unknown or missing list, a missing file is one error naming
the file and, where there is one, the line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import annotate.sources.attribution.word_lists as word_lists
from annotate.errors import InputError
from annotate.sources.attribution import PRONOUNS, load_words, words


def line_of(path: Path, fragment: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if fragment in line)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_the_shipped_lists_load_once() -> None:
    lists = words()
    assert lists is words()
    assert {"déclarer", "mettre_en_garde"} <= lists.reporting_verbs and "ministère" in lists.official_words
    assert lists.preposition_cues[:2] == ("selon", "d'après")  # in the file's order
    assert list(lists.irregular_stems)[:2] == ["démentir", "nier"]
    # "on" quoted, not YAML's true
    assert PRONOUNS == lists.pronouns == {"il", "elle", "ils", "elles", "on", "lui", "eux"}
    assert lists.vague_openings[0] == "un "  # the space kept


def test_a_word_listed_twice_names_the_file_and_its_line(word_file: Path) -> None:
    edit(word_file, "vanter, chuchoter,", "vanter, chuchoter, déclarer,")
    line = line_of(word_file, "vanter, chuchoter, déclarer,")
    with pytest.raises(InputError, match=re.escape(f"{word_file}:{line}: 'déclarer' is listed twice in "
                                                   "reporting_verbs")):
        load_words(word_file)


def test_a_stem_listed_twice_in_a_table(word_file: Path) -> None:
    edit(word_file, "  dire: [di, dis, dit]", "  dire: [di, dis, dit, dis]")
    with pytest.raises(InputError, match=re.escape(f"{word_file}:{line_of(word_file, '  dire: [')}: 'dis' is "
                                                   "listed twice in irregular_stems (dire)")):
        load_words(word_file)


def test_an_unknown_list_is_refused_with_a_suggestion(word_file: Path) -> None:
    with word_file.open("a", encoding="utf-8") as handle:
        handle.write("time_word: [aube]\n")
    line = line_of(word_file, "time_word: [aube]")
    with pytest.raises(InputError, match=re.escape(f"{word_file}:{line}: unknown list 'time_word' (did you mean "
                                                   "'time_words'?)")):
        load_words(word_file)


def test_a_missing_list_is_refused(word_file: Path) -> None:
    text = word_file.read_text(encoding="utf-8")
    word_file.write_text(re.sub(r"\ntime_words: \[[^]]*\]", "", text), encoding="utf-8")
    with pytest.raises(InputError, match=re.escape(f"{word_file}: missing list 'time_words'")):
        load_words(word_file)


def test_a_word_yaml_reads_as_something_else_must_be_quoted(word_file: Path) -> None:
    edit(word_file, 'pronouns: [il, elle, ils, elles, "on", lui, eux]',
         "pronouns: [il, elle, ils, elles, on, lui, eux]")
    with pytest.raises(InputError, match=re.escape(f"{word_file}:{line_of(word_file, 'pronouns: [')}: 'on' in "
                                                   "pronouns is not a word (YAML reads it as True; put it in quotes)")):
        load_words(word_file)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=re.escape(f"{tmp_path / 'attribution.yaml'}: no such file")):
        load_words(tmp_path / "attribution.yaml")


def test_the_lists_are_found_through_configs_dir(word_file: Path, monkeypatch: pytest.MonkeyPatch,
                                                  fresh_word_lists: None) -> None:
    """Where a wheel installs configs/ (propa_defaults), the lists are read from there."""
    monkeypatch.setattr(word_lists, "configs_dir", lambda: word_file.parent)
    assert words().path == str(word_file)
    word_file.unlink()
    words.cache_clear()
    with pytest.raises(InputError, match="attribution.yaml: no such file"):
        words()
