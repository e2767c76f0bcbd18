"""Sentence -> Label Studio task -> Sentence: what the model backend reads back from a task."""

from __future__ import annotations

import pytest

from annotate.errors import InputError
from annotate.studio.tasks import sentence_to_task, task_to_sentence
from annotate.text.corpus import read_sentences
from tests.conftest import SAMPLES


def test_a_task_gives_its_sentence_back() -> None:
    sentences = list(read_sentences(SAMPLES))
    for number, sentence in enumerate(sentences):
        assert task_to_sentence({"id": number, **sentence_to_task(sentence)}) == sentence


def test_a_task_from_elsewhere_gets_an_id_and_its_text_as_context() -> None:
    sentence = task_to_sentence({"id": 7, "data": {"text": "Selon des sources, oui."}})
    assert (sentence.id, sentence.article_id, sentence.start, sentence.end) == ("task:7", "task:7", 0, 23)
    assert sentence.paragraph == sentence.text


@pytest.mark.parametrize("task, message", [
    ({"id": 3, "data": {"sentence": "x"}}, "task 3: no 'text' in its data"),
    ({"id": 3, "data": {"text": "  "}}, "task 3: no 'text' in its data"),
    ({"id": 3, "data": {"text": "x", "start": "a"}}, "task 3: 'start', 'end' and 'paragraph_index' must be integers"),
    ("nope", "task 0: expected an object with 'data'"),
])
def test_a_task_without_a_sentence_is_one_clear_error(task, message: str) -> None:
    with pytest.raises(InputError, match=message):
        task_to_sentence(task)
