"""The training commands as a user types them: SemEval folder -> dataset -> split -> model
-> evaluation and prediction files; errors as one line and exit status 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from annotate.cli import cli
from tests.conftest import ROOT, SAMPLES, read_jsonl

TFIDF = ROOT / "configs" / "train" / "tfidf.yaml"


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def ok(*args):
    result = run(*args)
    assert result.exit_code == 0, result.output
    return result.output


def test_semeval_folder_to_official_predictions(semeval: Path, tmp_path: Path) -> None:  # noqa: F811
    out = ok("import-semeval", semeval, "-o", tmp_path / "data")
    assert "3 articles, 10 paragraphs" in out
    out = ok("data", "split", tmp_path / "data", "-o", tmp_path / "split", "--dev", 0.3, "--test", 0)
    assert out.startswith("train 8 rows/2 articles, dev 2 rows/1 articles ->")
    stats = json.loads(ok("data", "stats", tmp_path / "split", "--json"))
    assert stats["train"]["rows"] + stats["dev"]["rows"] == 10
    assert stats["train"]["articles"] + stats["dev"]["articles"] == 3

    ok("train", "-c", TFIDF, "--data", tmp_path / "split", "-o", tmp_path / "model", "--set", "tfidf.min_df=1")
    predictions = tmp_path / "pred.txt"
    out = ok("predict", tmp_path / "model", semeval, "--format", "semeval", "-o", predictions)
    assert "10 predictions" in out
    lines = [line.split("\t") for line in predictions.read_text(encoding="utf-8").splitlines()]
    gold = [line.split("\t") for line in (semeval / "labels.txt").read_text(encoding="utf-8").splitlines()]
    assert sorted((a, n) for a, n, _ in lines) == sorted((a, n) for a, n, _ in gold)
    out = ok("evaluate", tmp_path / "model", "--semeval", semeval, "--json", tmp_path / "semeval.json")
    report = json.loads((tmp_path / "semeval.json").read_text(encoding="utf-8"))
    assert report["rows"] == 10 and 0 <= report["micro_f1"] <= 1
    assert f"micro-F1 {report['micro_f1']:.4f}" in out


def test_train_evaluate_predict(labelled_split: Path, tmp_path: Path) -> None:  # noqa: F811
    model = tmp_path / "model"
    out = ok("train", "-c", TFIDF, "--data", labelled_split, "-o", model, "--seed", 3)
    assert "dev (" in out and "model_version model@" in out
    out = ok("evaluate", model, labelled_split, "--split", "test", "--json", tmp_path / "test.json")
    report = json.loads((tmp_path / "test.json").read_text(encoding="utf-8"))
    assert report["split"] == "test" and set(report["per_label"]) >= {"vague_sourcing", "Loaded_Language"}
    assert "vague_sourcing" in out and "micro-F1" in out

    ok("ingest", SAMPLES, "-o", tmp_path / "sentences.jsonl")
    ok("predict", model, tmp_path / "sentences.jsonl", "-o", tmp_path / "pred.jsonl")
    sentences = read_jsonl(tmp_path / "sentences.jsonl")
    predicted = read_jsonl(tmp_path / "pred.jsonl")
    assert [p["id"] for p in predicted] == [s["id"] for s in sentences]
    first = predicted[0]
    assert first["model_version"].startswith("model@") and len(first["scores"]) == 26
    for row in predicted:
        meta = json.loads((model / "propa_model.json").read_text(encoding="utf-8"))
        # Scores are rounded to 4 digits in the file: compare with a margin of that size.
        assert all(row["scores"][name] >= meta["thresholds"][name] - 1e-4 for name in row["labels"])

    # Articles are split into sentences on the way: the same ids as ingest gives.
    ok("predict", model, SAMPLES, "-o", tmp_path / "from-articles.jsonl")
    assert [p["id"] for p in read_jsonl(tmp_path / "from-articles.jsonl")] == [s["id"] for s in sentences]


def one_line_error(result, *fragments: str) -> None:
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    for fragment in fragments:
        assert fragment in lines[0]


def test_errors_are_one_line(labelled_split: Path, tmp_path: Path) -> None:  # noqa: F811
    bad = tmp_path / "bad.yaml"
    bad.write_text("family: tfidf\ndata: x\noutput: y\nlearning_rate: 3\n", encoding="utf-8")
    one_line_error(run("train", "-c", bad), f"{bad}:4", "unknown key 'learning_rate'")
    one_line_error(run("train", "-c", TFIDF, "--data", tmp_path / "nowhere"), "no such dataset",
                   f"propa data split DATA -o {tmp_path / 'nowhere'}")
    one_line_error(run("train", "-c", TFIDF, "--set", "tfidf.colour=blue"), "unknown key 'colour'")
    one_line_error(run("evaluate", tmp_path / "no-model", labelled_split), "no such model folder")
    one_line_error(run("evaluate", tmp_path, labelled_split), "not a complete model folder")
    one_line_error(run("import-semeval", tmp_path, "-o", tmp_path / "d"), "articles")
    one_line_error(run("data", "split", labelled_split, "-o", tmp_path / "s", "--dev", 0), "--dev")


@pytest.mark.slow
def test_pretrain_then_train_from_it(labelled_split: Path, tmp_path: Path) -> None:  # noqa: F811
    tiny = ["max_length=48", "epochs=1", "threads=1", "scratch.vocab_size=300", "scratch.hidden_size=32",
            "scratch.layers=1", "scratch.heads=2", "scratch.intermediate_size=64", "scratch.max_position=64"]
    pretrain_args = ["pretrain", "-c", ROOT / "configs" / "train" / "pretrain-scratch.yaml", "--texts", labelled_split,
                     "--split", "train", "-o", tmp_path / "pre"]
    for assignment in tiny:
        pretrain_args += ["--set", assignment]
    out = ok(*pretrain_args)
    assert "pre-trained on" in out and (tmp_path / "pre" / "model.safetensors").is_file()
    one_line_error(run(*pretrain_args), "already holds a model", "--overwrite")

    train_args = ["train", "-c", ROOT / "configs" / "train" / "camembert-scratch.yaml", "--data", labelled_split,
                  "-o", tmp_path / "tuned", "--from-pretrained", tmp_path / "pre"]
    for assignment in ("camembert.epochs=1", "camembert.max_length=48", "camembert.threads=1"):
        train_args += ["--set", assignment]
    out = ok(*train_args)
    assert "trained camembert" in out and "(1 epoch)" in out
    one_line_error(run(*train_args, "--resume"), "no checkpoint to resume from")


def test_preannotate_command(labelled_split: Path, tmp_path: Path) -> None:  # noqa: F811
    ok("train", "-c", TFIDF, "--data", labelled_split, "-o", tmp_path / "model")
    out = ok("preannotate", SAMPLES, "-m", tmp_path / "model", "-o", tmp_path / "pred.jsonl")
    assert "162 sentences pre-annotated" in out and "0 already in" in out
    out = ok("preannotate", SAMPLES, "-m", tmp_path / "model", "-o", tmp_path / "pred.jsonl")
    assert "0 sentences pre-annotated" in out and "162 already in" in out
    one_line_error(run("preannotate", tmp_path / "nothing", "-m", tmp_path / "model", "-o", tmp_path / "p.jsonl"),
                   "nothing")
    assert not (tmp_path / "p.jsonl").exists()
