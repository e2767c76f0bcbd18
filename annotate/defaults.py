"""Where the shipped defaults are: the checkout's folders, else the installed copies.

In a checkout (or an editable install) ``configs/`` and ``corpus/gold/`` beside the packages
are read, so editing them takes effect at once. A wheel installs the same files as the
``propa_defaults`` and ``propa_gold`` packages (setup.cfg), read from there when there is no
checkout around the code.
"""

from __future__ import annotations

from pathlib import Path

from annotate.errors import InputError

_CHECKOUT = Path(__file__).resolve().parent.parent


def _installed(package: str) -> Path:
    """The folder of an installed data package (no __init__.py: a namespace package)."""
    from importlib.util import find_spec

    spec = find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise InputError(f"the shipped defaults ({package}) are not installed: reinstall propa, or pass the file "
                         "to use with its option")
    return Path(next(iter(spec.submodule_search_locations)))


def configs_dir() -> Path:
    """The folder of taxonomy.yaml, cues.yaml, sources.yaml and train/*.yaml."""
    here = _CHECKOUT / "configs"
    return here if (here / "taxonomy.yaml").is_file() else _installed("propa_defaults")


def gold_dir() -> Path:
    """The folder of the gold set, gold_fr.jsonl."""
    here = _CHECKOUT / "corpus" / "gold"
    return here if (here / "gold_fr.jsonl").is_file() else _installed("propa_gold")


def shipped(path: Path) -> Path:
    """``path`` as given, or, when it does not exist and names a shipped default
    (``configs/...``), the installed copy: `propa train -c configs/train/tfidf.yaml` works
    from any folder."""
    path = Path(path)
    if path.exists() or not path.parts or path.parts[0] != "configs":
        return path
    installed = configs_dir().joinpath(*path.parts[1:])
    return installed if installed.exists() else path
