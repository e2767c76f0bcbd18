"""`--engine ray` on a real local Ray cluster (``ray.init(num_cpus=2)``, one per test module): the
same predictions as the local engine, sentence by sentence, for sources only, a TF-IDF model (its
sources found by actors of their own too) and a tiny transformer; `propa predict` and `propa
sources profile` the same as locally; the model shipped through the object store; shards kept,
redone or refused on a rerun; a worker killed mid-run and the driver killed mid-run still give
every sentence exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from annotate.cli import cli
from tests.conftest import ROOT, SAMPLES

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.slow  # starts Ray, and its actors load models

GOLD_ARTICLES = ROOT / "corpus" / "gold" / "articles.jsonl"


@pytest.fixture(scope="module", autouse=True)
def local_cluster(tmp_path_factory: pytest.TempPathFactory):
    cache = tmp_path_factory.mktemp("shipped")
    before = os.environ.get("PROPA_SHIP_CACHE")
    os.environ["PROPA_SHIP_CACHE"] = str(cache)  # the workers Ray starts inherit it
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    yield cache
    ray.shutdown()
    if before is None:
        del os.environ["PROPA_SHIP_CACHE"]
    else:
        os.environ["PROPA_SHIP_CACHE"] = before


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def ok(*args) -> str:
    done = run(*args)
    assert done.exit_code == 0, done.output
    return done.output


def local(tmp_path: Path, *args) -> dict[str, dict]:
    out = tmp_path / "local.jsonl"
    ok("preannotate", *args, "-o", out)
    return by_id(out.read_text(encoding="utf-8").splitlines())


def shards(folder: Path) -> list[str]:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return [line for name in sorted(manifest["shards"]) for line in
            (folder / name).read_text(encoding="utf-8").splitlines()]


def by_id(lines: list[str]) -> dict[str, dict]:
    records = [json.loads(line) for line in lines if line.strip()]
    ids = [r["sentence_id"] for r in records]
    assert len(ids) == len(set(ids)), "a sentence written twice"
    return {r["sentence_id"]: r for r in records}


def test_sources_only_on_ray_equals_the_local_engine(tmp_path: Path) -> None:
    expected = local(tmp_path, SAMPLES, "--sources-only")
    out = tmp_path / "ray"
    said = ok("preannotate", SAMPLES, "--sources-only", "--engine", "ray", "-o", out, "--shard-size", 3)
    assert f"{len(expected)} sentences read, {len(expected)} records written in 3 shards by 2 workers, 0 shards " \
           "already" in said
    assert by_id(shards(out)) == expected
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert sum(s["sentences"] for s in manifest["shards"].values()) == len(expected)
    assert sum(s["articles"] for s in manifest["shards"].values()) == 8

    # a rerun keeps every shard; one deleted and a torn partial are redone, nothing twice
    assert "0 sentences read, 0 records written in 0 shards by 2 workers, 3 shards already" in \
        ok("preannotate", SAMPLES, "--sources-only", "--engine", "ray", "-o", out, "--shard-size", 3)
    (out / "shard-00001.jsonl").unlink()
    (out / "shard-00002.jsonl").write_text("{}\n", encoding="utf-8")  # not what the manifest recorded
    (out / ".shard-00002.jsonl.999999999.tmp").write_text('{"torn', encoding="utf-8")  # a killed writer's
    said = ok("preannotate", SAMPLES, "--sources-only", "--engine", "ray", "-o", out, "--shard-size", 3)
    assert "in 2 shards by 2 workers, 1 shards already" in said
    assert by_id(shards(out)) == expected and sorted(p.name for p in out.iterdir()) == \
        ["manifest.json", "shard-00000.jsonl", "shard-00001.jsonl", "shard-00002.jsonl"]
    lines = [json.loads(line)["sentence_id"] for line in (out / "shard-00001.jsonl").read_text().splitlines()]
    assert lines == [sid for sid in expected if sid in set(lines)]  # a shard's lines in input order

    # another shard size or model into the same folder: refused, the folder untouched
    before = (out / "manifest.json").read_bytes()
    refused = run("preannotate", SAMPLES, "--sources-only", "--engine", "ray", "-o", out, "--shard-size", 4)
    assert refused.exit_code == 1 and "written with shard_size 3, not 4; write to another folder" in refused.output
    assert (out / "manifest.json").read_bytes() == before


def test_a_sentence_corpus_and_a_tfidf_model_on_ray_equal_the_local_engine(model_dir: Path, tmp_path: Path) -> None:
    corpus = tmp_path / "gold.jsonl"
    ok("ingest", GOLD_ARTICLES, "-o", corpus)
    expected = local(tmp_path, corpus, "-m", model_dir, "--no-sources")
    out = tmp_path / "ray"
    ok("preannotate", corpus, "-m", model_dir, "--no-sources", "--engine", "ray", "-o", out, "--shard-size", 20)
    assert by_id(shards(out)) == expected
    # the same corpus as two Parquet files named by a pattern
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines()]
    cut = next(i for i in range(len(rows) // 2, len(rows)) if rows[i]["article_id"] != rows[i - 1]["article_id"])
    pq.write_table(pa.Table.from_pylist(rows[:cut]), tmp_path / "gold-1.parquet")
    pq.write_table(pa.Table.from_pylist(rows[cut:]), tmp_path / "gold-2.parquet")
    ok("preannotate", tmp_path / "gold-*.parquet", "-m", model_dir, "--no-sources", "--engine", "ray",
       "-o", tmp_path / "ray-parquet", "--shard-size", 20)
    assert by_id(shards(tmp_path / "ray-parquet")) == expected
    assert any(item["from_name"] != "source" for p in expected.values() for item in p["result"])

    # propa predict: the same lines as locally, in the same order
    ok("predict", model_dir, corpus, "-o", tmp_path / "labels.jsonl")
    ok("predict", model_dir, corpus, "-o", tmp_path / "labels", "--engine", "ray", "--shard-size", 20)
    assert shards(tmp_path / "labels") == (tmp_path / "labels.jsonl").read_text(encoding="utf-8").splitlines()


def test_sources_in_actors_of_their_own_and_a_shipped_model_equal_the_local_engine(
        model_dir: Path, tmp_path: Path, local_cluster: Path) -> None:
    import shutil

    model = tmp_path / "model-to-ship"
    shutil.copytree(model_dir, model)
    expected = local(tmp_path, SAMPLES, "-m", model)
    assert any(item["from_name"] == "source" for p in expected.values() for item in p["result"])
    out = tmp_path / "split"
    ok("preannotate", SAMPLES, "-m", model, "--engine", "ray", "--workers", 1, "--source-workers", 1,
       "-o", out, "--shard-size", 3)
    assert by_id(shards(out)) == expected
    out = tmp_path / "shipped"
    ok("preannotate", SAMPLES, "-m", model, "--engine", "ray", "--ship", "-o", out, "--shard-size", 3)
    assert by_id(shards(out)) == expected
    assert [p.name for p in local_cluster.glob("*/model-to-ship")], "the actors did not load a shipped copy"


def test_a_shipped_model_is_all_an_actor_needs(model_dir: Path, tmp_path: Path) -> None:
    import shutil

    from train.ray_engine import LabelSpec, landed, ship
    from train.models.evaluate import TextRecord, labelled
    from train.models.model import load_model

    model = tmp_path / "model"
    shutil.copytree(model_dir, model)
    spec = LabelSpec(str(model))
    shipped = ship(spec)
    texts = [TextRecord("1", "a", "Selon des sources, tout serait truqué."), TextRecord("2", "a", "Il pleut.")]
    expected = labelled(load_model(model), texts)
    shutil.rmtree(model)  # only the object store has it now
    arrived = landed(spec, shipped, cache=tmp_path / "cache")
    assert Path(arrived.model_dir).parent.parent == tmp_path / "cache" and Path(arrived.model_dir).name == "model"
    assert labelled(load_model(Path(arrived.model_dir)), texts) == expected
    assert landed(spec, shipped, cache=tmp_path / "cache") == arrived  # unpacked once a node


def test_profiles_on_ray_equal_the_local_ones(tmp_path: Path) -> None:
    ok("sources", "profile", GOLD_ARTICLES, "-o", tmp_path / "local.jsonl")
    said = ok("sources", "profile", GOLD_ARTICLES, "-o", tmp_path / "ray", "--engine", "ray", "--shard-size", 10)
    expected = (tmp_path / "local.jsonl").read_text(encoding="utf-8").splitlines()
    assert shards(tmp_path / "ray") == expected
    scores = [json.loads(line)["score"] for line in expected]
    assert f"{len(expected)} articles profiled: mean score {sum(scores) / len(scores):.1f}" in said


def test_a_tiny_transformer_on_ray_equals_the_local_engine(labelled_split: Path, tmp_path: Path) -> None:
    from tests.builders import TINY_CAMEMBERT, write_config

    config = write_config(tmp_path, "cam", labelled_split, camembert=TINY_CAMEMBERT)
    ok("train", "-c", config)
    model = tmp_path / "cam"
    expected = local(tmp_path, SAMPLES, "-m", model, "--threads", 1)
    out = tmp_path / "ray"
    ok("preannotate", SAMPLES, "-m", model, "--engine", "ray", "-o", out, "--shard-size", 4)
    got = by_id(shards(out))
    assert got.keys() == expected.keys()
    for sentence_id, prediction in expected.items():  # the same labels and spans; scores to float precision
        assert got[sentence_id]["result"] == prediction["result"]
        assert got[sentence_id]["model_version"] == prediction["model_version"]
        assert got[sentence_id]["score"] == pytest.approx(prediction["score"], abs=1e-5)


def ray_workers() -> list:
    """The processes of the actors of `map_batches` (Ray names them after the class)."""
    import psutil

    found = []
    for process in psutil.process_iter(["pid", "cmdline"]):
        try:
            if any("MapWorker" in part for part in process.info["cmdline"] or ()):
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def test_a_worker_killed_mid_run_loses_and_doubles_nothing(tmp_path: Path) -> None:
    expected = local(tmp_path, GOLD_ARTICLES, "--sources-only")
    out = tmp_path / "ray"
    killed: list[int] = []

    def kill_one_worker() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not killed:
            manifest = out / "manifest.json"
            done = json.loads(manifest.read_text(encoding="utf-8"))["shards"] if manifest.exists() else {}
            if done:  # the run is under way: kill a worker with shards still to do
                for worker in ray_workers():
                    os.kill(worker.pid, signal.SIGKILL)
                    killed.append(len(done))
                    return
            time.sleep(0.2)

    killer = threading.Thread(target=kill_one_worker)
    killer.start()
    said = run("preannotate", GOLD_ARTICLES, "--sources-only", "--engine", "ray", "-o", out, "--shard-size", 3)
    killer.join()
    assert killed and killed[0] < 18, "no worker was killed while shards were left"
    if said.exit_code != 0:  # Ray could not retry: the finished shards are kept, a rerun does the rest
        assert "rerun to retry" in said.output
        ok("preannotate", GOLD_ARTICLES, "--sources-only", "--engine", "ray", "-o", out, "--shard-size", 3)
    assert by_id(shards(out)) == expected


def test_the_driver_killed_mid_run_then_rerun_gives_every_sentence_once(tmp_path: Path) -> None:
    expected = local(tmp_path, GOLD_ARTICLES, "--sources-only")
    out = tmp_path / "ray"
    address = ray.get_runtime_context().gcs_address  # the job goes to this session's cluster, as to any
    command = [str(Path(sys.executable).parent / "propa"), "preannotate", str(GOLD_ARTICLES), "--sources-only",
               "--engine", "ray", "--address", address, "-o", str(out), "--shard-size", "3"]
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and child.poll() is None:
            manifest = out / "manifest.json"
            if manifest.exists() and json.loads(manifest.read_text(encoding="utf-8"))["shards"]:
                break
            time.sleep(0.1)
        assert child.poll() is None, "the run ended before it could be killed"
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
    partial_run = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["shards"]
    assert 0 < len(partial_run) < 18
    said = ok("preannotate", GOLD_ARTICLES, "--sources-only", "--engine", "ray", "-o", out, "--shard-size", 3)
    assert f"{len(partial_run)} shards already" in said
    assert by_id(shards(out)) == expected


def test_a_shard_that_fails_twice_is_named_and_the_rest_kept(model_dir: Path, tmp_path: Path) -> None:
    from annotate.errors import PropaError
    from train.ray_engine import LabelSpec, RayOptions, run_on_ray

    corpus = tmp_path / "gold.jsonl"
    ok("ingest", GOLD_ARTICLES, "-o", corpus)
    original = corpus.read_bytes()
    stat = corpus.stat()
    lines = original.splitlines(keepends=True)
    article = json.loads(lines[-1])["article_id"]  # the last article: in the last shard
    bad = next(i for i, line in enumerate(lines) if json.loads(line)["article_id"] == article)

    def corrupt(_total) -> None:  # after the driver located the articles, before the workers read them
        broken = lines[:bad] + [b"{" + b" " * (len(lines[bad]) - 2) + b"\n"] + lines[bad + 1:]
        corpus.write_bytes(b"".join(broken))

    spec = LabelSpec(str(model_dir))
    out = tmp_path / "labels"
    with pytest.raises(PropaError) as failed:
        run_on_ray(corpus, spec, out, RayOptions(shard_size=10), total=corrupt)
    last = -(-len({json.loads(line)["article_id"] for line in lines}) // 10) - 1
    assert f"1 shard(s) failed twice (shard-{last:05d}.jsonl)" in str(failed.value)
    assert f"gold.jsonl:{bad + 1}: malformed JSON" in str(failed.value) and "rerun to retry" in str(failed.value)
    kept = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["shards"]
    assert len(kept) == last and f"shard-{last:05d}.jsonl" not in kept  # every other shard written

    corpus.write_bytes(original)  # mended: the same bytes and times, so the shards written stand
    os.utime(corpus, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    summary = run_on_ray(corpus, spec, out, RayOptions(shard_size=10))
    assert (summary.written, summary.skipped) == (1, last)
    ok("predict", model_dir, corpus, "-o", tmp_path / "labels.jsonl")
    assert shards(out) == (tmp_path / "labels.jsonl").read_text(encoding="utf-8").splitlines()
