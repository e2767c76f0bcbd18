"""`propa serve` and `propa retrain`: a model in Label Studio as annotators work, and learning from them."""

from __future__ import annotations

from pathlib import Path

import click

from annotate.cli.options import (
    batch_option,
    kinds_option,
    make_attributor,
    project_option,
    registry_option,
    runtime_option,
    taxonomy_option,
    threads_option,
    url_option,
)
from annotate.cli.options import load_taxonomy_option as _taxonomy

DEFAULT_BACKEND_PORT = 9090


def predictor_factory(taxonomy, cues_path: Path | None, no_cues: bool, no_sources: bool,
                      registry_path: Path | None, kinds_choice: str, kinds_from: tuple[Path, ...],
                      source_tagger: Path | None, threads: int, runtime: str):
    """model folder -> Predictor, with the cue rules and the attributor loaded once."""
    from annotate.cues import load_cues
    from train.models.model import load_model
    from train.predictor import Predictor

    cues = None if no_cues else load_cues(taxonomy, cues_path)
    attributor = None
    if not no_sources:
        from annotate.sources.registry import load_registry

        attributor = make_attributor(load_registry(registry_path, taxonomy), kinds_choice, kinds_from, source_tagger,
                                     threads)

    def load(model_dir: Path) -> Predictor:
        return Predictor(taxonomy, load_model(model_dir, threads=threads, runtime=runtime), cues, attributor)

    return load


def predictor_options(function):
    for option in reversed([
        click.option("--cues", "cues_path", type=click.Path(dir_okay=False, path_type=Path),
                     help="Cue rules (default: configs/cues.yaml)."),
        click.option("--no-cues", is_flag=True, help="Model scores only, no cue rules."),
        click.option("--no-sources", is_flag=True, help="No source spans (skips the French parser: faster)."),
        registry_option, kinds_option, batch_option, threads_option, runtime_option, taxonomy_option,
    ]):
        function = option(function)
    return function


def work_folder(work: Path | None, project_id: int | str) -> Path:
    from annotate.studio.settings import state_dir

    return Path(work) if work is not None else state_dir() / "backend" / f"project-{project_id}"


@click.command("serve")
@click.option("-m", "--model", "model_dir", required=True, type=click.Path(path_type=Path),
              help="Model folder (`propa train`) to serve, until a retrain replaces it.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=DEFAULT_BACKEND_PORT, show_default=True, type=click.IntRange(1, 65535))
@project_option
@url_option
@click.option("--public-url", default=None,
              help="The address Label Studio calls this backend at  [default: http://HOST:PORT].")
@click.option("--no-connect", is_flag=True, help="Do not register the backend on --project (do it in Label "
                                                  "Studio: Settings > Model); still retrain on its annotations.")
@click.option("--retrain-every", default=50, show_default=True, type=click.IntRange(0),
              help="Retrain after this many new or updated annotations (0: only on \"Start training\").")
@click.option("--base-data", type=click.Path(file_okay=False, path_type=Path),
              help="Dataset the retrains add the annotations to, with train, dev and a fixed test split "
                   "[default: the model's training data].")
@click.option("--work", type=click.Path(file_okay=False, path_type=Path),
              help="Folder of the pulls, merged data and retrained models [default: .propa/backend/project-ID].")
@click.option("--fresh", is_flag=True, help="Serve --model even if a retrain of this work folder won since.")
@predictor_options
def serve_cli(model_dir: Path, host: str, port: int, project: str | None, url: str | None, public_url: str | None,
              no_connect: bool, retrain_every: int, base_data: Path | None, work: Path | None, fresh: bool,
              cues_path: Path | None, no_cues: bool, no_sources: bool, registry_path: Path | None,
              kinds_choice: str, kinds_from: tuple[Path, ...], source_tagger: Path | None, batch_size: int | None,
              threads: int, runtime: str,
              taxonomy_path: str | None) -> None:
    """Serve a model to Label Studio: predictions as annotators open tasks, retrains on their labels.

    Speaks Label Studio's ML backend protocol (/health, /setup, /predict, /webhook). A
    prediction is exactly what `propa preannotate` gives for the sentence: techniques, cue
    spans, sources with kind and reliability. With --project (default: the default project) it
    registers itself there, sets the project's model_version, and retrains after every
    --retrain-every annotations (or on "Start training"): pull, merge with the base data, train
    with the same config, and switch only if the new model is not worse on the base data's test
    split. After a restart it serves the last model that won (--fresh: --model again).

    Basic auth: set PROPA_BACKEND_USER and PROPA_BACKEND_PASSWORD (or backend_user and
    backend_password in .propa/config.yaml); they are registered with the backend on the project.
    """
    import logging
    import threading

    import uvicorn

    from annotate.errors import PropaError
    from annotate.studio.client import LabelStudioClient
    from annotate.studio.push import DEFAULT_PROJECT
    from annotate.studio.settings import backend_auth, resolve_connection
    from train.backend import Backend, RetrainJob, Trainer, create_app, retrain_job
    from train.retrain import current_model

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per API call otherwise
    taxonomy = _taxonomy(taxonomy_path)
    auth = backend_auth()
    conn = resolve_connection(url)
    client = LabelStudioClient(conn)
    project_ref = project or DEFAULT_PROJECT
    found = client.find_project(project_ref)
    if found is None:
        raise PropaError(f"no project titled '{project_ref}' on {conn.url}; push sentences to it first "
                         "(`propa push`), or pass --project with its title or id")
    work = work_folder(work, found.id)
    serving = Path(model_dir) if fresh else current_model(work, model_dir)
    load = predictor_factory(taxonomy, cues_path, no_cues, no_sources, registry_path, kinds_choice, kinds_from,
                             source_tagger, threads, runtime)
    backend = Backend(load(serving), batch_size=batch_size, basic_auth=auth)
    if serving != Path(model_dir):
        click.echo(f"serving {serving} (the last retrain that won, in {work}); --fresh serves {model_dir}",
                   err=True)

    address = (public_url or f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}").rstrip("/")

    def tell_label_studio(outcome) -> None:
        """A retrain won: the backend's title, which is its model_version, and the project's follow."""
        if not no_connect:
            client.connect_backend(found.id, address, backend.version, auth)
        client.update_project(found.id, model_version=backend.version)

    trainer = Trainer(backend, retrain_job(RetrainJob(conn, str(found.id), work, taxonomy_path, base_data)),
                      serving, load, every=retrain_every, on_switch=tell_label_studio)
    backend.on_annotations = trainer.notify
    server = uvicorn.Server(uvicorn.Config(create_app(backend), host=host, port=port, log_level="info",
                                           access_log=False))
    failure: list[str] = []

    def connect() -> None:
        import time

        while not server.started and not server.should_exit:
            time.sleep(0.05)
        if server.should_exit or no_connect:
            return
        try:
            # Titled with its model_version: Label Studio shows the predictions of the version the
            # project names, and a project may name a live backend by its title.
            backend_id, created = client.connect_backend(found.id, address, backend.version, auth)
            client.update_project(found.id, model_version=backend.version)
            if not any(hook.rstrip("/") == f"{address}/webhook" for hook in client.webhook_urls(found.id)):
                click.echo("warning: Label Studio made no webhook to this backend, so annotations will not "
                           "trigger retrains; start its server with SSRF_PROTECTION_ENABLED=false and "
                           "USE_DEFAULT_BANNED_SUBNETS=false (`propa server start` does)", err=True)
        except PropaError as err:
            failure.append(str(err))
            server.should_exit = True
            return
        click.echo(f"{'connected to' if created else 'reconnected to'} project {found.id} "
                   f"({client.project_url(found.id)}) as model backend {backend_id} at {address}; "
                   f"model_version {backend.version}", err=True)

    threading.Thread(target=connect, name="propa-connect", daemon=True).start()
    try:
        server.run()
    finally:
        trainer.close()
    if failure:
        raise PropaError(failure[0])


@click.command("retrain")
@click.option("-m", "--model", "model_dir", required=True, type=click.Path(path_type=Path),
              help="The model served now (its config and training data are reused).")
@project_option
@url_option
@click.option("--base-data", type=click.Path(file_okay=False, path_type=Path),
              help="Dataset the annotations are added to, with train, dev and a fixed test split "
                   "[default: the model's training data].")
@click.option("--work", type=click.Path(file_okay=False, path_type=Path),
              help="Folder of the pulls, merged data and retrained models [default: .propa/backend/project-ID].")
@click.option("-s", "--set", "overrides", multiple=True, metavar="SECTION.FIELD=VALUE",
              help="Override a field of the model's training config for the new model (repeatable).")
@click.option("--no-push", is_flag=True, help="Do not pre-annotate the project's unlabelled tasks afterwards.")
@predictor_options
def retrain_cli(model_dir: Path, project: str | None, url: str | None, base_data: Path | None, work: Path | None,
                overrides: tuple[str, ...], no_push: bool, cues_path: Path | None, no_cues: bool, no_sources: bool,
                registry_path: Path | None, kinds_choice: str, kinds_from: tuple[Path, ...],
                source_tagger: Path | None, batch_size: int | None, threads: int, runtime: str,
                taxonomy_path: str | None) -> None:
    """Learn from a project's annotations once: pull, merge, train, evaluate, pre-annotate, push.

    The annotations are pulled (incrementally) and merged into the model's training data
    (annotated sentences of its dev and test splits stay there); a new model is trained with the
    same config (plus --set), and both are scored on that data's test split. The new model is
    kept only if it is not worse; it then pre-annotates the project's unlabelled tasks, pushed
    with the new model_version. The same loop `propa serve` runs after every N annotations.
    """
    from annotate.errors import PropaError
    from annotate.studio.client import LabelStudioClient
    from annotate.studio.push import DEFAULT_PROJECT, local_lock, push_predictions
    from annotate.studio.settings import resolve_connection
    from annotate.studio.tasks import task_to_sentence
    from train.retrain import current_model, retrain

    taxonomy = _taxonomy(taxonomy_path)
    conn = resolve_connection(url)
    client = LabelStudioClient(conn)
    project_ref = project or DEFAULT_PROJECT
    found = client.find_project(project_ref)
    if found is None:
        raise PropaError(f"no project titled '{project_ref}' on {conn.url}; pass --project with its title or id")
    work = work_folder(work, found.id)
    serving = current_model(work, model_dir)
    outcome = retrain(conn, taxonomy, str(found.id), serving, work, base_data, overrides, threads)
    click.echo(outcome.describe())
    if not outcome.switched or no_push:
        return
    tasks = client.unlabelled_tasks(found.id)
    sentences = [task_to_sentence(task, i) for i, task in enumerate(tasks)]
    load = predictor_factory(taxonomy, cues_path, no_cues, no_sources, registry_path, kinds_choice, kinds_from,
                             source_tagger, threads, runtime)
    predictor = load(outcome.model_dir)
    predictions = {p["sentence_id"]: p for p in predictor.predict(sentences, batch_size=batch_size)}
    pushed = push_predictions(conn, taxonomy, str(found.id), sentences, predictions, predictor.version,
                              lock=local_lock())
    click.echo(f"{len(sentences)} unlabelled tasks pre-annotated with {predictor.version}: {pushed.added} "
               f"predictions added, {pushed.already_there} already there; review at {pushed.project_url}")


COMMANDS = (serve_cli, retrain_cli)
