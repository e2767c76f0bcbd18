"""Agreement and adjudication on a small case worked out by hand (pure functions; the
same case runs against a real Label Studio in tests/integration/test_agreement_review.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from annotate.quality.adjudicate import adjudicate, answers_html, review_label_config, vote
from annotate.quality.agreement import agreement_report, cohen_kappa, format_agreement, krippendorff_alpha, span_f1
from annotate.cli import cli
from annotate.errors import InputError
from annotate.taxonomy import label_config, load_taxonomy
from tests.builders import ANNOTATORS, CHOSEN, HAND_ALPHA, HAND_KAPPA, SL, VS

TAX = load_taxonomy()


def span(label: str, start: int, end: int, kind: str = "") -> dict:
    return {"label": label, "start": start, "end": end, "text": "x" * (end - start), "kind": kind, "reliability": ""}


def hand_rows() -> list[dict]:
    rows = []
    for sentence, picks in CHOSEN.items():
        annotations = []
        for annotator, pick in zip(ANNOTATORS, picks):
            spans = []
            if sentence == "s1" and annotator != "c@x.org":  # a: [0, 10), b: [5, 12): overlap, not exact
                spans = [span(SL, 0, 10) if annotator == "a@x.org" else span(SL, 5, 12)]
            if sentence == "s2" and annotator != "b@x.org":  # same source span, kinds differ
                spans = [span("source", 0, 4, "official" if annotator == "a@x.org" else "anonymous_vague")]
            annotations.append({"annotation_id": 0, "annotator": annotator, "labels": [SL] if pick == "1" else [],
                                "spans": spans, "lead_time": 1.0})
        rows.append({"id": sentence, "task_id": 0, "article_id": "a", "paragraph_index": 1, "start": 0, "end": 20,
                     "text": "x" * 20, "paragraph": "x" * 20, "title": "t", "outlet": "", "date": "",
                     "labels": [], "ties": [], "annotations": annotations})
    return rows


GOLD = [{"id": "s1", "text": "x", "labels": [SL], "cues": [], "sources": []},
        {"id": "s2", "text": "x", "labels": [SL], "cues": [], "sources": []},
        {"id": "s3", "text": "x", "labels": [], "cues": [], "sources": []},
        {"id": "s4", "text": "x", "labels": [], "cues": [], "sources": []}]


def test_alpha_and_kappa_equal_the_hand_values() -> None:
    report = agreement_report(hand_rows(), TAX, min_items=2)
    technique = next(t for t in report["techniques"] if t["technique"] == SL)
    assert technique["items"] == 4 and technique["positives"] == 6
    assert technique["alpha"] == pytest.approx(HAND_ALPHA)
    assert {pair: k["kappa"] for pair, k in technique["kappa"].items()} == pytest.approx(HAND_KAPPA)
    assert all(k["items"] == 4 for k in technique["kappa"].values())
    assert technique["flag"].startswith("low agreement") and report["flagged"] == [SL]
    nobody = next(t for t in report["techniques"] if t["technique"] == VS)
    assert nobody["alpha"] is None and nobody["flag"] == "never chosen"


def test_spans_and_gold() -> None:
    report = agreement_report(hand_rows(), TAX, gold_rows=GOLD, min_items=2)
    ab = report["spans"]["a@x.org | b@x.org"]
    assert ab["cues_overlap_f1"] == 1.0 and ab["cues_exact_f1"] == 0.0 and ab["items"] == 4
    ac = report["spans"]["a@x.org | c@x.org"]
    assert ac["sources_overlap_f1"] == 1.0 and ac["sources_overlap_same_kind_f1"] == 0.0
    assert ac["cues_overlap_f1"] == 0.0  # a marked a cue on s1, c none
    c = report["gold"]["c@x.org"]  # tp 2 (s1, s2), fp 1 (s4), fn 0
    assert (c["items"], c["precision"], c["recall"], c["micro_f1"]) == (4, pytest.approx(2 / 3), 1.0,
                                                                          pytest.approx(0.8))
    assert report["gold"]["a@x.org"]["micro_f1"] == 1.0
    table = format_agreement(report)
    assert "speculative_link" in table and "0.39" in table and "low agreement" in table


def test_too_few_items_is_not_a_verdict() -> None:
    report = agreement_report(hand_rows(), TAX)  # default: at least 10 shared sentences
    technique = next(t for t in report["techniques"] if t["technique"] == SL)
    assert technique["flag"] == "too few items" and report["flagged"] == []


def test_statistics_edge_cases() -> None:
    assert krippendorff_alpha([[1, 1], [1, 1]]) is None  # no variation
    assert krippendorff_alpha([[1, 0, float("nan")], [1, 0, 1]]) == pytest.approx(1.0)
    assert cohen_kappa([0, 0], [0, 0]) is None
    assert cohen_kappa([1, 0], [1, 0]) == 1.0
    assert span_f1([("X", 0, 5, "")], [("X", 5, 9, "")], exact=False) == (0, 1, 1)  # touching is not overlap
    assert span_f1([("X", 0, 5, ""), ("X", 1, 3, "")], [("X", 2, 4, "")], exact=False) == (1, 2, 1)


@pytest.mark.parametrize("strategy, expert, s2, s4", [
    ("majority", None, ([SL], "kept", "majority 2/3"), ([], "dropped", "majority 1/3")),
    ("union", None, ([SL], "kept", "union 2/3"), ([SL], "kept", "union 1/3")),
    ("intersection", None, ([], "dropped", "intersection 2/3"), ([], "dropped", "intersection 1/3")),
    ("expert", "b@x.org", ([], "dropped", "expert b@x.org"), ([], "dropped", "expert b@x.org")),
    ("expert", "c@x.org", ([SL], "kept", "expert c@x.org"), ([SL], "kept", "expert c@x.org")),
])
def test_strategies(strategy: str, expert: str | None, s2: tuple, s4: tuple) -> None:
    resolved, counts, review = adjudicate(hand_rows(), TAX, strategy, expert)
    by_id = {row["id"]: row for row in resolved}
    for sentence, (labels, decision, how) in (("s2", s2), ("s4", s4)):
        assert by_id[sentence]["labels"] == labels
        assert by_id[sentence]["decisions"] == [{"label": SL, "decision": decision, "how": how}]
    assert by_id["s3"]["decisions"] == [] and by_id["s3"]["labels"] == []
    assert (counts.sentences, counts.disagreements, counts.unanimous) == (4, 2, 2) and review is None


def test_majority_tie_goes_to_review_and_spans_follow_the_vote() -> None:
    rows = hand_rows()[:1]
    rows[0]["annotations"] = rows[0]["annotations"][:2]
    rows[0]["annotations"][1]["labels"] = [SL, VS]
    rows[0]["annotations"][1]["spans"] = [span(SL, 0, 10)]
    (row,), counts, _ = adjudicate(rows, TAX, "majority")
    assert row["labels"] == [SL] and row["ties"] == [VS] and counts.undecided == 1
    assert {"label": VS, "decision": "review", "how": "majority 1/2"} in row["decisions"]
    assert [(s["start"], s["end"]) for s in row["spans"]] == [(0, 10)]  # both marked [0, 10)


def test_bad_requests() -> None:
    with pytest.raises(InputError, match="expert 'z@x.org' annotated none"):
        adjudicate(hand_rows(), TAX, "expert", "z@x.org")
    with pytest.raises(InputError, match="needs --expert"):
        vote({"a": []}, "expert")
    with pytest.raises(InputError, match="no annotated sentence"):
        adjudicate([], TAX, "majority")


def test_review_view_shows_every_answer_side_by_side() -> None:
    row = hand_rows()[1]
    view = answers_html(row, TAX)
    assert view.count("<td") == 3 and "Lien spéculatif" in view and "(aucune technique)" in view
    config = review_label_config(label_config(TAX))
    assert config.index('name="answers"') < config.index("Phrase à annoter")


def test_cli(tmp_path: Path) -> None:
    pulled = tmp_path / "pulled"
    pulled.mkdir()
    (pulled / "annotations.jsonl").write_text("".join(json.dumps(r) + "\n" for r in hand_rows()), encoding="utf-8")
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps(r) + "\n" for r in GOLD), encoding="utf-8")
    runner = CliRunner()
    done = runner.invoke(cli, ["agreement", str(pulled), "--gold", str(gold), "--min-items", "2",
                               "--json", str(tmp_path / "agreement.json")])
    assert done.exit_code == 0, done.output
    assert "3 annotators, 4 sentences annotated, 4 by two people or more" in done.output
    saved = json.loads((tmp_path / "agreement.json").read_text(encoding="utf-8"))
    assert saved["flagged"] == [SL]
    done = runner.invoke(cli, ["adjudicate", str(pulled), "-o", str(tmp_path / "adj")])
    assert done.exit_code == 0, done.output
    assert "4 sentences: 2 unanimous, 2 with a disagreement" in done.output
    lines = [json.loads(line) for line in (tmp_path / "adj" / "adjudicated.jsonl").read_text().splitlines()]
    assert [row["labels"] for row in lines] == [[SL], [SL], [], []]
    from annotate.dataset import load_dataset_dict

    dataset = load_dataset_dict(tmp_path / "adj" / "dataset", TAX)["all"]
    assert dataset[1]["decisions"] == [{"label": SL, "decision": "kept", "how": "majority 2/3"}]
    (pulled / "annotations.jsonl").write_text("{not json\n", encoding="utf-8")
    done = runner.invoke(cli, ["agreement", str(pulled)])
    assert done.exit_code == 1 and "annotations.jsonl" in done.output


def test_overlap_settings() -> None:
    from annotate.studio.push import overlap_settings

    assert overlap_settings(None, None) == {}
    assert overlap_settings(3, 0.2) == {"maximum_annotations": 3, "overlap_cohort_percentage": 20}
    assert overlap_settings(2, None) == {"maximum_annotations": 2, "overlap_cohort_percentage": 100}
    with pytest.raises(InputError, match="--overlap-share needs --overlap"):
        overlap_settings(None, 0.5)
