"""Agreement and adjudication on a real Label Studio: three annotators who signed up like
people annotate gold sentences with chosen disagreements; the figures equal the ones
worked out by hand (tests/annotate/quality/test_agreement.py), and the review project shows the
disagreements, takes a reviewer's answer, and is not filled twice."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from annotate.quality.adjudicate import adjudicate
from annotate.quality.agreement import agreement_report
from annotate.cli import cli
from annotate.text.corpus import ingest
from annotate.studio.client import LabelStudioClient
from annotate.studio.pull import pull
from annotate.taxonomy import load_taxonomy
from tests.conftest import ROOT
from tests.integration.conftest import signup_annotator
from tests.integration.test_round_trip import choices, per_region, span
from tests.builders import CHOSEN, HAND_ALPHA, HAND_KAPPA, SL

pytestmark = pytest.mark.integration
TAX = load_taxonomy()
GOLD_ROWS = ROOT / "corpus" / "gold" / "gold_fr.jsonl"


def pick_gold_sentences() -> tuple[list[dict], list[dict]]:
    """Two gold sentences whose only technique is speculative_link, two clean ones."""
    from annotate.quality.gold import read_gold_rows

    rows = read_gold_rows(GOLD_ROWS)
    linked = [r for r in rows if r["labels"] == [SL]][:2]
    clean = [r for r in rows if not r["labels"] and not r["hard_negative"] and len(r["text"]) > 40][:2]
    return rows, linked + clean


def test_three_annotators_agreement_adjudication_and_review(server, admin, tmp_path, monkeypatch):
    monkeypatch.setenv("LABEL_STUDIO_URL", server.conn.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", server.conn.api_key)
    corpus = tmp_path / "gold.jsonl"
    ingest([ROOT / "corpus" / "gold" / "articles.jsonl"], corpus, progress=False)
    runner = CliRunner()
    done = runner.invoke(cli, ["push", str(corpus), "--project", "Accord", "--overlap", "3",
                               "--overlap-share", "0.2"])
    assert done.exit_code == 0, done.output
    project = admin.find_project("Accord")
    assert (project.maximum_annotations, project.overlap_cohort_percentage) == (3, 20)

    gold_rows, chosen = pick_gold_sentences()
    tasks = admin.task_ids_by_sentence(project.id)
    annotators = [LabelStudioClient(signup_annotator(admin, f"juge-{name}@propa.test", f"Mot-de-passe-{name}!",
                                                     personal_token=name == "b"))
                  for name in ("a", "b", "c")]
    for sentence, picks in zip(chosen, CHOSEN.values()):
        text = sentence["text"]
        for k, (client, pick) in enumerate(zip(annotators, picks)):
            result = [choices("technique_sourcing", SL)] if pick == "1" else []
            if sentence is chosen[0] and k < 2:  # a: [0, 10), b: [5, 12): overlap, not exact
                piece = text[0:10] if k == 0 else text[5:12]
                result.append(span(f"c{k}", "cue", text, piece, SL))
            if sentence is chosen[1] and k != 1:  # the same source span; a and c differ on its kind
                result += [span("s1", "source", text, text[:4], "source"),
                           per_region("s1", "source_kind", text, text[:4],
                                      "official" if k == 0 else "anonymous_vague")]
            client.create_annotation(tasks[sentence["id"]], result, lead_time=3.0)

    pulled = pull(server.conn, TAX, "Accord", tmp_path / "pulled")
    assert pulled.counts.rows == 4 and pulled.counts.annotations == 12
    from tests.conftest import read_jsonl

    rows = read_jsonl(tmp_path / "pulled" / "annotations.jsonl")
    report = agreement_report(rows, TAX, gold_rows=gold_rows, min_items=2)
    technique = next(t for t in report["techniques"] if t["technique"] == SL)
    assert technique["items"] == 4 and technique["alpha"] == pytest.approx(HAND_ALPHA)
    kappas = {pair.replace("juge-", "").replace("@propa.test", "@x.org"): value["kappa"]
              for pair, value in technique["kappa"].items()}
    assert kappas == pytest.approx(HAND_KAPPA)
    ab = report["spans"]["juge-a@propa.test | juge-b@propa.test"]
    assert (ab["cues_overlap_f1"], ab["cues_exact_f1"]) == (1.0, 0.0)
    ac = report["spans"]["juge-a@propa.test | juge-c@propa.test"]
    assert (ac["sources_overlap_f1"], ac["sources_overlap_same_kind_f1"]) == (1.0, 0.0)
    assert report["gold"]["juge-c@propa.test"]["micro_f1"] == pytest.approx(0.8)
    assert report["flagged"] == [SL]

    # Adjudication with review: the two disagreements go to a review project, once.
    done = runner.invoke(cli, ["adjudicate", str(tmp_path / "pulled"), "-o", str(tmp_path / "adj"), "--review",
                               "--project", "Accord"])
    assert done.exit_code == 0, done.output
    assert "4 sentences: 2 unanimous, 2 with a disagreement" in done.output
    assert "2 sentences sent, 0 answered by a reviewer" in done.output
    review = admin.find_project("Accord : revue")
    review_tasks = admin.task_ids_by_sentence(review.id)
    assert set(review_tasks) == {chosen[1]["id"], chosen[3]["id"]}
    task = admin.sdk.tasks.get(id=review_tasks[chosen[1]["id"]])
    view = task.data["answers_html"]
    assert all(f"juge-{n}@propa.test" in view for n in "abc") and "Lien spéculatif" in view
    assert task.data["text"] == chosen[1]["text"]
    predictions = admin.sdk.predictions.list(task=task.id)
    assert [p.result[0]["value"]["choices"] for p in predictions] == [[SL]]  # majority 2/3, pre-filled
    assert admin.get_project(review.id).model_version == predictions[0].model_version

    # A reviewer decides the tie-free but disputed s4: speculative_link after all.
    admin.create_annotation(review_tasks[chosen[3]["id"]], [choices("technique_sourcing", SL)])
    resolved, counts, summary = adjudicate(rows, TAX, "majority", client=admin, review_project="Accord : revue")
    assert (summary.sent, summary.answered, summary.waiting, summary.created) == (0, 1, 1, False)
    by_id = {row["id"]: row for row in resolved}
    reviewed = by_id[chosen[3]["id"]]
    assert reviewed["labels"] == [SL]
    assert reviewed["decisions"] == [{"label": SL, "decision": "review", "how": f"reviewer {admin.user.email}"}]
    assert by_id[chosen[1]["id"]]["decisions"][0]["how"] == "majority 2/3"
    assert len(admin.task_ids_by_sentence(review.id)) == 2  # nothing sent twice
