"""YAML config files loaded with line numbers, so every error can name file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

import yaml

from annotate.errors import InputError


class YamlMap(dict):
    """A YAML mapping that remembers where it and each of its keys stand in the file."""

    where: str = ""
    key_where: dict[str, str]

    def at(self, key: str) -> str:
        return self.key_where.get(key, self.where)


def _loader(path: Path) -> type[yaml.SafeLoader]:
    class Loader(yaml.SafeLoader):
        pass

    def construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> YamlMap:
        loader.flatten_mapping(node)
        mapping = YamlMap()
        mapping.where = f"{path}:{node.start_mark.line + 1}"
        mapping.key_where = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if key in mapping:
                raise InputError(f"{path}:{key_node.start_mark.line + 1}: duplicate key '{key}'")
            mapping[key] = loader.construct_object(value_node, deep=True)
            mapping.key_where[key] = f"{path}:{key_node.start_mark.line + 1}"
        return mapping

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    return Loader


def load_yaml(path: Path) -> Any:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not valid UTF-8") from None
    try:
        data = yaml.load(text, Loader=_loader(path))  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        raise InputError(f"{path}{line}: malformed YAML ({err.problem})") from None
    if data is None:
        raise InputError(f"{path}: empty file")
    return data


def check_keys(mapping: Any, where: str, required: Iterable[str], optional: Iterable[str] = ()) -> YamlMap:
    """Refuse a mapping with a missing or unknown key, naming the line."""
    if not isinstance(mapping, dict):
        raise InputError(f"{where}: expected a mapping (key: value)")
    required = tuple(required)
    allowed = set(required) | set(optional)
    at = mapping.at if isinstance(mapping, YamlMap) else (lambda key: where)
    for key in mapping:
        if key not in allowed:
            raise InputError(f"{at(key)}: unknown key '{key}' (expected one of: {', '.join(sorted(allowed))})")
    for key in required:
        if key not in mapping:
            raise InputError(f"{getattr(mapping, 'where', where) or where}: missing key '{key}'")
    return mapping
