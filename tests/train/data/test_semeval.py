"""SemEval-2023 Task 3 folders: reading, import at both levels, prediction files, scoring.

The small folder is written here, in the task's format, from invented French sentences:
one article with CRLF line endings (where span offsets count two characters per line
break), one with LF and no final newline, one without any technique and no span file.
"""

from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from annotate.cli import cli
from annotate.dataset import NO_TASK, OPTIONAL_COLUMNS, dataset_features, load_dataset_dict, rows_to_dataset
from annotate.errors import InputError
from annotate.taxonomy import load_taxonomy
from tests.builders import (
    CRLF_ID,
    CRLF_LINES,
    LABEL_ROWS,
    LF_ID,
    LF_LINES,
    PARAGRAPH_LABELS,
    PARAGRAPH_SPANS,
    PLAIN_ID,
    PLAIN_LINES,
    RAW,
    SENTENCE_LABELS,
    SPANS,
    span_file,
    write_semeval,
)
from tests.conftest import SHARED_SEMEVAL
from train.data.semeval import (
    ANNOTATOR,
    guess_language,
    import_semeval,
    import_semeval_folders,
    line_offsets,
    read_articles,
    read_labels,
    read_predictions,
    read_spans,
    read_techniques,
    score_semeval,
    semeval_lines,
    write_predictions,
)

TAX = load_taxonomy()

# -- reading ---------------------------------------------------------------------------

def test_read_articles_normalises_line_endings(semeval: Path) -> None:
    articles = read_articles(semeval)
    assert sorted(articles) == [CRLF_ID, LF_ID, PLAIN_ID]
    assert articles[CRLF_ID] == "\n".join(CRLF_LINES) + "\n"
    assert articles[LF_ID] == "\n".join(LF_LINES)
    assert all("\r" not in text for text in articles.values())


def test_line_offsets_number_raw_and_normalised_lines_alike() -> None:
    assert line_offsets("a\r\n\r\nbc\rd\n") == [(0, 1), (3, 3), (5, 7), (8, 9), (10, 10)]
    assert line_offsets("a\n\nbc\nd\n") == [(0, 1), (2, 2), (3, 5), (6, 7), (8, 8)]
    assert line_offsets("") == [(0, 0)]


def test_read_spans_shifts_crlf_offsets(semeval: Path) -> None:
    raw = RAW[CRLF_ID]
    document = read_articles(semeval)[CRLF_ID]
    spans = read_spans(span_file(semeval, CRLF_ID), raw, document)
    assert [(t, document[s:e]) for t, s, e in spans] == [(t, text.replace("\r\n", "\n")) for t, text in SPANS[CRLF_ID]]
    # line 5 comes after four CRLF: its offsets move back by four characters
    killer = raw.index("Personne ne peut le nier")
    assert ("Conversation_Killer", killer - 4, killer - 4 + len("Personne ne peut le nier")) in spans


def test_read_labels(semeval: Path) -> None:
    labels = read_labels(semeval / "labels.txt")
    assert len(labels) == len(LABEL_ROWS)
    assert labels[(CRLF_ID, 1)] == []
    assert labels[(LF_ID, 3)] == ["False_Dilemma-No_Choice"]
    assert labels[(CRLF_ID, 5)] == ["Conversation_Killer", "Consequential_Oversimplification", "Appeal_to_Popularity"]


def test_semeval_lines_needs_only_articles(semeval: Path) -> None:
    (semeval / "labels.txt").unlink()
    lines = semeval_lines(semeval)
    assert lines[:4] == [(CRLF_ID, 1, CRLF_LINES[0]), (CRLF_ID, 3, CRLF_LINES[2]), (CRLF_ID, 5, CRLF_LINES[4]),
                         (CRLF_ID, 7, CRLF_LINES[6])]
    assert [(a, n) for a, n, _ in lines] == [(a, n) for a, n, _ in LABEL_ROWS]
    assert (PLAIN_ID, 3, PLAIN_LINES[2].strip()) in lines


# -- import ----------------------------------------------------------------------------

def check_row_text_and_spans(rows: list[dict], documents: dict[str, str]) -> None:
    for row in rows:
        assert row["id"] == f"{row['article_id']}:{row['start']}-{row['end']}"
        assert documents[row["article_id"]][row["start"]:row["end"]] == row["text"]
        for span in row["annotations"][0]["spans"]:
            assert row["text"][span["start"]:span["end"]] == span["text"]


def test_paragraph_level(semeval: Path) -> None:
    rows = import_semeval(semeval, TAX)
    assert len(rows) == 10
    assert set(rows[0]) == set(dataset_features(TAX)) - {"decisions"}
    assert set(OPTIONAL_COLUMNS) == {"decisions", "language"}
    assert all(row["language"] == "" for row in rows)  # not given, and the folder name does not say
    assert [(r["article_id"], r["start"]) for r in rows] == sorted((r["article_id"], r["start"]) for r in rows)
    check_row_text_and_spans(rows, read_articles(semeval))
    by_text = {row["text"]: row for row in rows}
    assert {text: row["labels"] for text, row in by_text.items()} == PARAGRAPH_LABELS
    for text, row in by_text.items():
        assert {(s["label"], s["text"]) for s in row["annotations"][0]["spans"]} == PARAGRAPH_SPANS.get(text, set())
    # offsets are into the normalised document: the CRLF title line ends 2 characters before line 3, not 4
    line3 = by_text[CRLF_LINES[2]]
    start = len(CRLF_LINES[0]) + 2
    assert line3["id"] == f"{CRLF_ID}:{start}-{start + len(CRLF_LINES[2])}"
    assert line3["paragraph_index"] == 1 and line3["paragraph"] == line3["text"]
    assert line3["title"] == CRLF_LINES[0] and line3["task_id"] == NO_TASK
    assert line3["ties"] == [] and line3["outlet"] == line3["date"] == ""
    annotation = line3["annotations"][0]
    assert annotation["annotator"] == ANNOTATOR and annotation["labels"] == line3["labels"]
    assert [(s["start"], s["end"], s["label"]) for s in annotation["spans"]] == sorted(
        (s["start"], s["end"], s["label"]) for s in annotation["spans"])
    # a trimmed line keeps offsets into the untrimmed document
    plain = by_text[PLAIN_LINES[2].strip()]
    assert plain["start"] == len(PLAIN_LINES[0]) + 2 + 2 and plain["paragraph_index"] == 1
    assert len(rows_to_dataset(rows, TAX)) == 10


def test_sentence_level(semeval: Path) -> None:
    rows = import_semeval(semeval, TAX, level="sentence")
    assert len(rows) == 14
    check_row_text_and_spans(rows, read_articles(semeval))
    assert {row["text"]: row["labels"] for row in rows} == SENTENCE_LABELS
    prefect = next(row for row in rows if row["text"].startswith("Le préfet"))
    assert prefect["paragraph"] == LF_LINES[4] and prefect["paragraph_index"] == 2
    assert prefect["annotations"][0]["spans"] == []
    question = next(row for row in rows if row["text"] == "Et ses partenaires ?")
    assert [(s["label"], s["text"]) for s in question["annotations"][0]["spans"]] == [
        ("Whataboutism", "Et ses partenaires ?")]
    assert [(r["article_id"], r["start"]) for r in rows] == sorted((r["article_id"], r["start"]) for r in rows)


def test_without_spans_folder(semeval: Path) -> None:
    for file in (semeval / "spans").iterdir():
        file.unlink()
    (semeval / "spans").rmdir()
    rows = import_semeval(semeval, TAX)
    assert len(rows) == 10
    assert all(row["annotations"][0]["spans"] == [] for row in rows)
    assert {row["text"]: row["labels"] for row in rows} == PARAGRAPH_LABELS
    with pytest.raises(InputError, match="--level paragraph") as err:
        import_semeval(semeval, TAX, level="sentence")
    assert "spans" in str(err.value)


def append(path: Path, line: str) -> None:
    with path.open("a", encoding="utf-8", newline="") as handle:
        handle.write(line)


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_bytes().decode("utf-8")
    assert old in text
    path.write_bytes(text.replace(old, new, 1).encode("utf-8"))


def remove_line(path: Path, startswith: str) -> None:
    lines = path.read_bytes().decode("utf-8").splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith(startswith)]
    assert len(kept) == len(lines) - 1
    path.write_bytes("".join(kept).encode("utf-8"))


@pytest.mark.parametrize("mutate, level, expected", [
    (lambda f: replace_in(f / "labels.txt", "Loaded_Language", "Propagande_Pure"), "paragraph",
     ["labels.txt:2:", "Propagande_Pure"]),
    (lambda f: append(f / "labels.txt", f"{CRLF_ID}\tdeux\t\n"), "paragraph", ["labels.txt:11:", "deux"]),
    (lambda f: append(f / "labels.txt", f"{CRLF_ID}\t9\tDoubt\tSlogans\n"), "paragraph", ["labels.txt:11:", "columns"]),
    (lambda f: append(f / "labels.txt", f"{CRLF_ID}\t3\t\n"), "paragraph", ["labels.txt:11:", "duplicate"]),
    (lambda f: append(f / "labels.txt", f"{CRLF_ID}\t2\t\n"), "paragraph", ["labels.txt:11:", "blank"]),
    (lambda f: append(f / "labels.txt", f"{LF_ID}\t6\t\n"), "paragraph", ["labels.txt:11:", "blank"]),
    (lambda f: append(f / "labels.txt", f"{LF_ID}\t40\t\n"), "paragraph", ["labels.txt:11:", "past the end"]),
    (lambda f: append(f / "labels.txt", "9999\t1\t\n"), "paragraph", ["labels.txt:11:", "article9999.txt"]),
    (lambda f: remove_line(f / "labels.txt", f"{LF_ID}\t7\t"), "paragraph", ["labels.txt", f"article {LF_ID} line 7"]),
    (lambda f: (f / "labels.txt").unlink(), "paragraph", ["labels.txt", "no such file"]),
    (lambda f: append(span_file(f, LF_ID), f"{LF_ID}\tLoaded_Language\t10\t{len(RAW[LF_ID]) + 1}\n"), "paragraph",
     [f"article{LF_ID}-labels-subtask-3.txt:3:", f"10-{len(RAW[LF_ID]) + 1}"]),
    (lambda f: append(span_file(f, LF_ID), f"{LF_ID}\tPropagande_Pure\t0\t5\n"), "paragraph",
     [f"article{LF_ID}-labels-subtask-3.txt:3:", "Propagande_Pure"]),
    (lambda f: span_file(f, LF_ID).unlink(), "paragraph", [f"article{LF_ID}-labels-subtask-3.txt", "labels.txt"]),
    (lambda f: span_file(f, LF_ID).unlink(), "sentence", [f"article{LF_ID}-labels-subtask-3.txt", "labels.txt"]),
    # the spans lose a technique labels.txt keeps: no sentence-level gold to trust
    (lambda f: remove_line(span_file(f, CRLF_ID), f"{CRLF_ID}\tConversation_Killer"), "sentence",
     [f"article{CRLF_ID}-labels-subtask-3.txt", "labels.txt:3", "Conversation_Killer"]),
    (lambda f: (f / "articles").rename(f / "textes"), "paragraph", ["articles", "no such folder"]),
    (lambda f: (f / "articles" / f"article{PLAIN_ID}.txt").write_bytes(b""), "paragraph",
     [f"article{PLAIN_ID}.txt", "empty"]),
    (lambda f: (f / "articles" / f"article{PLAIN_ID}.txt").write_bytes("Titre\n\nCafé".encode("latin-1")),
     "paragraph", [f"article{PLAIN_ID}.txt:3:", "UTF-8"]),
    (lambda f: None, "word", ["unknown level"]),
])
def test_import_errors_name_the_file(semeval: Path, mutate, level: str, expected: list[str]) -> None:
    mutate(semeval)
    with pytest.raises(InputError) as err:
        import_semeval(semeval, TAX, level=level)
    for part in expected:
        assert part in str(err.value)


def test_inconsistent_spans_still_import_at_paragraph_level(semeval: Path) -> None:
    remove_line(span_file(semeval, CRLF_ID), f"{CRLF_ID}\tConversation_Killer")
    rows = import_semeval(semeval, TAX)
    assert {row["text"]: row["labels"] for row in rows} == PARAGRAPH_LABELS


# -- several folders, several languages ------------------------------------------------

def two_languages(tmp_path: Path) -> tuple[Path, Path]:
    """The small folder twice, as French and as English data: the same article ids in both."""
    return (write_semeval(tmp_path / "semeval2023-fr" / "train"),
            write_semeval(tmp_path / "semeval2023-multi" / "en" / "train"))


def test_two_languages_get_a_language_column_and_prefixed_ids(tmp_path: Path) -> None:
    french, english = two_languages(tmp_path)
    alone = import_semeval(french, TAX)
    rows = import_semeval_folders([french, english], TAX)
    assert len(rows) == 20 and len({row["id"] for row in rows}) == 20
    assert Counter(row["language"] for row in rows) == {"fr": 10, "en": 10}
    assert {row["article_id"] for row in rows} == {f"{code}/{a}" for code in ("fr", "en")
                                                   for a in (CRLF_ID, LF_ID, PLAIN_ID)}
    for row in rows:
        assert row["id"] == f"{row['article_id']}:{row['start']}-{row['end']}"
        assert row["article_id"].startswith(row["language"] + "/")
    # Only the ids change: the French rows are those of the folder imported alone.
    french_rows = [row for row in rows if row["language"] == "fr"]
    assert [row["id"] for row in french_rows] == [f"fr/{row['id']}" for row in alone]
    assert [(r["text"], r["labels"], r["annotations"]) for r in french_rows] == [
        (r["text"], r["labels"], r["annotations"]) for r in alone]
    assert len(rows_to_dataset(rows, TAX)) == 20


def test_one_folder_alone_keeps_its_ids_and_gets_its_language(tmp_path: Path) -> None:
    french, _ = two_languages(tmp_path)
    rows = import_semeval_folders([french], TAX)
    assert [row["id"] for row in rows] == [row["id"] for row in import_semeval(french, TAX)]
    assert rows[0]["id"].startswith(f"{CRLF_ID}:") and {row["language"] for row in rows} == {"fr"}
    given = import_semeval_folders([french], TAX, languages=["en"])
    assert {row["language"] for row in given} == {"en"} and given[0]["id"] == rows[0]["id"]


@pytest.mark.parametrize(("path", "language"), [
    ("data/semeval2023-fr/train", "fr"),
    ("shared/data/semeval2023-multi/ge/dev", "ge"),
    ("x/po/train", "po"),
    ("x/RU/train", "ru"),
    ("fr/corpora/en/train", "en"),  # the component nearest the folder wins
    ("x/semeval2023-de", "de"),
    ("data/semeval/train", None),
    ("data/french/train", None),
    ("data/semeval2023-multi/train", None),
])
def test_guess_language(path: str, language: str | None) -> None:
    assert guess_language(Path(path)) == language


def test_guess_language_from_the_current_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "it" / "dev"
    folder.mkdir(parents=True)
    monkeypatch.chdir(folder)
    assert guess_language(Path(".")) == "it"
    assert guess_language(Path("../../it/dev/..")) == "it"


def test_languages_given_once_per_folder(tmp_path: Path) -> None:
    first, second = write_semeval(tmp_path / "a"), write_semeval(tmp_path / "b")
    rows = import_semeval_folders([first, second], TAX, languages=["pt-BR", "es"])
    assert {row["language"] for row in rows} == {"pt-BR", "es"}
    assert rows[0]["id"].startswith(f"pt-BR/{CRLF_ID}:")


def test_a_language_that_cannot_be_guessed_among_several_folders(tmp_path: Path) -> None:
    french, _ = two_languages(tmp_path)
    unknown = write_semeval(tmp_path / "mystery")
    with pytest.raises(InputError, match=f"{unknown}: cannot tell its language.*pass --language"):
        import_semeval_folders([french, unknown], TAX)
    # alone, it imports with an unknown language, as before the column existed
    assert {row["language"] for row in import_semeval_folders([unknown], TAX)} == {""}


@pytest.mark.parametrize(("languages", "message"), [
    (["fr"], "--language given 1 time"),
    (["fr", "en", "it"], "--language given 3 time"),
    (["fr", "e n"], "language 'e n' is not a code"),
    (["fr", "en/gb"], "language 'en/gb' is not a code"),
    (["fr", ""], "language '' is not a code"),
])
def test_bad_languages(tmp_path: Path, languages: list[str], message: str) -> None:
    french, english = two_languages(tmp_path)
    with pytest.raises(InputError, match=message):
        import_semeval_folders([french, english], TAX, languages=languages)


def test_two_folders_of_one_language(tmp_path: Path) -> None:
    train = write_semeval(tmp_path / "en" / "train")
    dev = write_semeval(tmp_path / "en" / "dev", renamed={CRLF_ID: "8001", LF_ID: "8002", PLAIN_ID: "8003"})
    rows = import_semeval_folders([train, dev], TAX)
    assert len({row["id"] for row in rows}) == 20 and {row["language"] for row in rows} == {"en"}
    assert {row["article_id"] for row in rows} >= {f"en/{CRLF_ID}", "en/8001"}
    clash = write_semeval(tmp_path / "en" / "test")  # the same ids as train
    with pytest.raises(InputError, match=f"{clash}: article {CRLF_ID} is also in {train}"):
        import_semeval_folders([train, dev, clash], TAX)


def run_cli(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_import_command_with_two_languages(tmp_path: Path) -> None:
    french, english = two_languages(tmp_path)
    result = run_cli("import-semeval", french, english, "-o", tmp_path / "data")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("fr: 3 articles, 10 paragraphs (4 with a technique); "
                                    "en: 3 articles, 10 paragraphs (4 with a technique); "
                                    "6 articles, 20 paragraphs in all -> ")
    dataset = load_dataset_dict(tmp_path / "data", TAX)["all"]
    assert Counter(dataset["language"]) == {"fr": 10, "en": 10}
    assert len(set(dataset["id"])) == 20

    result = run_cli("import-semeval", french, english, "--language", "fr", "--language", "it",
                     "-o", tmp_path / "given")
    assert result.exit_code == 0, result.output
    assert Counter(load_dataset_dict(tmp_path / "given")["all"]["language"]) == {"fr": 10, "it": 10}

    result = run_cli("import-semeval", french, "-o", tmp_path / "alone")
    assert result.output.startswith("fr: 3 articles, 10 paragraphs (4 with a technique) -> ")
    assert list(load_dataset_dict(tmp_path / "alone")["all"]["id"]) == [r["id"] for r in import_semeval(french, TAX)]


def test_import_command_errors_are_one_line(tmp_path: Path) -> None:
    french, english = two_languages(tmp_path)
    unknown = write_semeval(tmp_path / "mystery")
    for args, fragment in [((french, unknown), f"{unknown}: cannot tell its language"),
                           ((french, english, "--language", "fr"), "--language given 1 time(s) for 2 folder(s)")]:
        result = run_cli("import-semeval", *args, "-o", tmp_path / "data")
        assert result.exit_code == 1, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: ") and fragment in lines[0], result.output
    assert not (tmp_path / "data").exists()


# -- predictions and scoring -----------------------------------------------------------

def test_predictions_round_trip(tmp_path: Path) -> None:
    out = tmp_path / "pred" / "fr.txt"
    rows = [("7001", 1, []), ("7001", 3, ["Doubt", "Slogans"]), ("7002", 5, ["Loaded_Language"])]
    assert write_predictions(iter(rows), out) == 3
    assert out.read_text(encoding="utf-8") == "7001\t1\t\n7001\t3\tDoubt,Slogans\n7002\t5\tLoaded_Language\n"
    assert read_predictions(out) == {(a, n): t for a, n, t in rows}
    with pytest.raises(InputError, match="predicted twice"):
        write_predictions(rows + [("7001", 1, ["Doubt"])], out)
    assert read_predictions(out) == {(a, n): t for a, n, t in rows}  # the failed write left the file alone
    with pytest.raises(InputError, match="fr.txt"):
        write_predictions([("7001", 1, ["Doubt,Slogans"])], out)


def test_read_predictions_accepts_a_missing_empty_column(tmp_path: Path) -> None:
    # the official scorer strips trailing white space, so "id<TAB>line" means no technique
    path = tmp_path / "pred.txt"
    path.write_text("7001\t1\n7001\t3\tDoubt\n", encoding="utf-8")
    assert read_predictions(path) == {("7001", 1): [], ("7001", 3): ["Doubt"]}
    path.write_text("7001\n", encoding="utf-8")
    with pytest.raises(InputError, match="pred.txt:1:"):
        read_predictions(path)


def test_score_by_hand() -> None:
    gold = {("1", 1): ["Doubt"], ("1", 3): ["Doubt", "Slogans"], ("2", 1): ["Doubt"]}
    pred = {("1", 1): ["Doubt"], ("1", 3): ["Doubt"], ("2", 1): ["Slogans"]}
    scores = score_semeval(gold, pred, ["Doubt", "Slogans", "Repetition"])
    # Doubt: TP 2, FN 1, FP 0 -> P 1, R 2/3, F1 0.8; Slogans: TP 0, FP 1, FN 1 -> 0;
    # Repetition never occurs -> 0, and still counts in the macro average (as the official scorer)
    # micro: TP 2, FP 1, FN 2 -> P 2/3, R 1/2, F1 4/7
    assert scores["rows"] == 3
    assert scores["micro_precision"] == pytest.approx(2 / 3)
    assert scores["micro_recall"] == pytest.approx(1 / 2)
    assert scores["micro_f1"] == pytest.approx(4 / 7)
    assert scores["macro_f1"] == pytest.approx(0.8 / 3)
    assert scores["per_label"]["Doubt"] == pytest.approx({"precision": 1.0, "recall": 2 / 3, "f1": 0.8, "support": 3})
    assert scores["per_label"]["Slogans"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert scores["per_label"]["Repetition"]["support"] == 0
    perfect = score_semeval(gold, gold, ["Doubt", "Slogans"])
    assert perfect["micro_f1"] == perfect["macro_f1"] == 1.0


@pytest.mark.parametrize("pred, expected", [
    ({("1", 1): ["Doubt"]}, "no prediction for article 1 line 3"),
    ({("1", 1): [], ("1", 3): [], ("9", 9): []}, "article 9 line 9"),
    ({("1", 1): ["Propagande_Pure"], ("1", 3): []}, "Propagande_Pure"),
])
def test_score_errors(pred: dict, expected: str) -> None:
    gold = {("1", 1): ["Doubt"], ("1", 3): []}
    with pytest.raises(InputError, match=expected) as err:
        score_semeval(gold, pred, ["Doubt", "Slogans"], predicted_origin="pred.txt")
    assert "pred.txt" in str(err.value)


def test_read_techniques(tmp_path: Path) -> None:
    folder = tmp_path / "train"
    folder.mkdir()
    fallback = read_techniques(folder)
    assert len(fallback) == 23
    assert not {t.id for t in TAX.techniques if t.category == "sourcing"} & set(fallback)
    (tmp_path / "techniques.txt").write_text("Doubt\nSlogans\n", encoding="utf-8")
    assert read_techniques(folder) == ["Doubt", "Slogans"]
    (folder / "techniques.txt").write_text("Doubt\nDoubt\n", encoding="utf-8")
    with pytest.raises(InputError, match="techniques.txt:2:"):
        read_techniques(folder)


# -- the real French training split (not in the repository) -------------------------------

TRAIN = SHARED_SEMEVAL / "train"
needs_shared = pytest.mark.skipif(not SHARED_SEMEVAL.exists(), reason="the shared SemEval-2023 data is not here")


@pytest.fixture(scope="module")
def shared_rows() -> dict[str, list[dict]]:
    return {level: import_semeval(TRAIN, TAX, level=level) for level in ("paragraph", "sentence")}


@needs_shared
def test_shared_paragraph_level(shared_rows: dict[str, list[dict]]) -> None:
    documents = read_articles(TRAIN)
    assert len(documents) == 158
    rows = shared_rows["paragraph"]
    gold = read_labels(TRAIN / "labels.txt")
    assert len(rows) == len(gold) == 2259
    assert Counter(t for row in rows for t in row["labels"]) == Counter(t for ts in gold.values() for t in ts)
    check_row_text_and_spans(rows, documents)
    assert sum(len(row["annotations"][0]["spans"]) for row in rows) >= 5595


@needs_shared
def test_shared_spans_match_the_raw_text() -> None:
    documents = read_articles(TRAIN)
    count = 0
    for article_id, document in documents.items():
        raw = (TRAIN / "articles" / f"article{article_id}.txt").read_bytes().decode("utf-8")
        path = TRAIN / "spans" / f"article{article_id}-labels-subtask-3.txt"
        raw_spans = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        for (technique, start, end), (_, raw_technique, raw_start, raw_end) in zip(
                read_spans(path, raw, document), raw_spans, strict=True):
            assert technique == raw_technique
            assert document[start:end] == raw[int(raw_start):int(raw_end)].replace("\r\n", "\n")
            count += 1
    assert count == 5595


@needs_shared
def test_shared_sentence_labels_add_up_to_paragraph_labels(shared_rows: dict[str, list[dict]]) -> None:
    paragraphs = {(row["article_id"], row["paragraph_index"]): set(row["labels"]) for row in shared_rows["paragraph"]}
    union: dict[tuple[str, int], set[str]] = {key: set() for key in paragraphs}
    for row in shared_rows["sentence"]:
        union[(row["article_id"], row["paragraph_index"])] |= set(row["labels"])
    assert union == paragraphs
    check_row_text_and_spans(shared_rows["sentence"], read_articles(TRAIN))


@needs_shared
def test_shared_gold_scores_itself_perfectly() -> None:
    gold = read_labels(TRAIN / "labels.txt")
    techniques = read_techniques(TRAIN)
    assert len(techniques) == 23 and set(techniques) == set(read_techniques(Path("/nonexistent/folder")))
    assert [(a, n) for a, n, _ in semeval_lines(TRAIN)] == sorted(gold)
    scores = score_semeval(gold, gold, techniques)
    assert scores["micro_f1"] == 1.0 and scores["rows"] == 2259
