"""The `propa` command. One module per command group, each command a thin wrapper over a plain
function of annotate/ or train/; only this package prints. This is the one place where annotate/
meets train/.

Every error a user can cause ends as one line on stderr and exit status 1 (annotate.cli.base).
"""

from __future__ import annotations

import os
import signal
import sys
import click

from annotate.cli import backend, data, models, preannotate, quality, report, server, sources, studio, taxonomy, text
from annotate.cli.base import PropaGroup


@click.group(cls=PropaGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="propa")
def cli() -> None:
    """Find propaganda techniques and weak sourcing in French news.

    \b
    The annotation loop:
      propa ingest corpus/samples -o sentences.jsonl   articles -> sentences
      propa server start                               a local Label Studio
      propa push sentences.jsonl                       sentences -> tasks
      (annotate in Label Studio)
      propa pull --out data/annotated                  annotations -> dataset
      propa agreement data/annotated                   who agrees on what
      propa adjudicate data/annotated --review         one answer per sentence
      propa data split data/adjudicated/dataset -o data/split
      propa train -c configs/train/tfidf.yaml          dataset -> model
      propa evaluate models/tfidf data/split           metrics per label
      propa preannotate NEW -m models/tfidf --push     predictions back into Label Studio
      propa preannotate NEW -m models/tfidf --push --kinds-from data/annotated
                                                       ... with source kinds learnt from corrections
      propa serve -m models/tfidf                      ... or live: predicts as tasks open, learns
      propa uptake data/annotated                      what the pre-annotations were worth
      propa sources profile NEW                        who each article cites
      propa report NEW --predictions P -o report       pages an editor opens in a browser

    \b
    Where each step's code lives (the commands below, in the same order):
      annotate/text/        articles -> sentences           ingest
      annotate/studio/      Label Studio: server, tasks     server, push, pull
      annotate/quality/     agreement, adjudication, gold   agreement, uptake, adjudicate, gold
      annotate/sources/     registry, attribution rules     sources
      annotate/taxonomy.py  techniques, labeling config     taxonomy
      train/data/           datasets: import, split         import-semeval, data
      train/models/         training, evaluation, ONNX      train, pretrain, evaluate, export-onnx, encoder
      train/preannotate.py  predictions -> Label Studio     preannotate, predict (train/ray_engine.py: on Ray)
      train/backend.py      a model live in Label Studio    serve, retrain
      annotate/report/      HTML pages: articles, corpus    report

    State (the local server, its log and the connection config) lives in ./.propa,
    or in $PROPA_HOME.
    """


# In the data flow's order, which `propa --help` keeps (PropaGroup lists commands as added).
for _module in (text, server, studio, quality, sources, taxonomy, data, models, preannotate, backend, report):
    for _command in _module.COMMANDS:
        cli.add_command(_command)


def main() -> None:
    # SIGTERM (a `kill`, a job scheduler's time limit) ends the command like Ctrl-C does, so
    # that temporary files are removed and export snapshots deleted on the way out.
    signal.signal(signal.SIGTERM, _terminated)
    if not sys.stderr.isatty():  # a log file: its lines are read, bars would redraw in it
        os.environ.setdefault("TQDM_DISABLE", "1")
    cli(prog_name="propa")


def _terminated(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    main()
