"""YAML config files loaded with line numbers, so every error can name file and line.

Aliases (``*name``) may repeat a value (a merge key, a list that ``yaml.safe_dump`` shares),
but not much more: a few nested aliases (a "billion laughs" file of 400 bytes) stand for
billions of values, which checks and error messages would walk. Past
:data:`MAX_ALIASED_VALUES` values added by aliases, or an alias inside its own value,
the file is refused at load, naming the line of the alias.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterable

import yaml

from annotate.errors import InputError, cut, quote

# The largest shipped config (the taxonomy) has about 800 values in all.
MAX_ALIASED_VALUES = 100_000


class YamlMap(dict):
    """A YAML mapping that remembers where it and each of its keys stand in the file."""

    where: str = ""
    key_where: dict[str, str]

    def at(self, key: str) -> str:
        return self.key_where.get(key, self.where)


def config_loader(path: Path | str) -> type[yaml.SafeLoader]:
    """A SafeLoader for ``path``: mappings are :class:`YamlMap` (lines recorded); a
    duplicate or unhashable key, an alias bomb or an alias inside its own value is an
    :class:`InputError` naming the line."""

    class Loader(yaml.SafeLoader):
        def __init__(self, stream: str) -> None:
            super().__init__(stream)
            self.aliased = 0  # values the aliases so far stand for
            self.sizes: dict[int, int] = {}  # id(node) -> its values, aliases expanded
            self.open_anchors: set[str] = set()  # anchors of the collections being composed

        def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node:
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                where = f"{path}:{event.start_mark.line + 1}: YAML alias *{cut(event.anchor, 40)}"
                if event.anchor in self.open_anchors:
                    raise InputError(f"{where} is inside the value it names")
                node = super().compose_node(parent, index)  # an undefined alias: ComposerError
                self.aliased += self.size(node)
                if self.aliased > MAX_ALIASED_VALUES:
                    raise InputError(f"{where}: the file's aliases stand for more than {MAX_ALIASED_VALUES:,} "
                                     "values (an alias bomb?); write the values out")
                return node
            return super().compose_node(parent, index)

        def compose_sequence_node(self, anchor: str | None) -> yaml.SequenceNode:
            return self.compose_open(super().compose_sequence_node, anchor)

        def compose_mapping_node(self, anchor: str | None) -> yaml.MappingNode:
            return self.compose_open(super().compose_mapping_node, anchor)

        def compose_open(self, compose: Callable[[str | None], yaml.Node], anchor: str | None) -> yaml.Node:
            """Compose a collection, its anchor marked open: an alias to it from inside is a cycle."""
            if anchor is not None:
                self.open_anchors.add(anchor)
            try:
                return compose(anchor)
            finally:
                self.open_anchors.discard(anchor)

        def size(self, node: yaml.Node) -> int:
            """Values in ``node`` once its aliases are written out (capped just past the limit)."""
            if isinstance(node, yaml.ScalarNode):
                return 1
            if id(node) not in self.sizes:
                children = node.value if isinstance(node, yaml.SequenceNode) else [n for kv in node.value for n in kv]
                total = 1
                for child in children:
                    total += self.size(child)
                    if total > MAX_ALIASED_VALUES:
                        break
                self.sizes[id(node)] = total
            return self.sizes[id(node)]

    def construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> YamlMap:
        own = sum(1 for key_node, _ in node.value if key_node.tag != "tag:yaml.org,2002:merge")
        loader.flatten_mapping(node)
        merged = len(node.value) - own  # the pairs of merge keys ("<<: *base") come first
        mapping = YamlMap()
        mapping.where = f"{path}:{node.start_mark.line + 1}"
        mapping.key_where = {}
        own_keys = set()  # a merged key may be given again (that is what merging is for), an own key not
        for index, (key_node, value_node) in enumerate(node.value):
            key = loader.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                raise InputError(f"{path}:{key_node.start_mark.line + 1}: a key must be a plain value, "
                                 f"not {quote(key)}") from None
            if index >= merged:
                if key in own_keys:
                    raise InputError(f"{path}:{key_node.start_mark.line + 1}: duplicate key {quote(key)}")
                own_keys.add(key)
            mapping[key] = loader.construct_object(value_node, deep=True)
            mapping.key_where[key] = f"{path}:{key_node.start_mark.line + 1}"
        return mapping

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    return Loader


def parse_yaml(text: str, path: Path | str) -> Any:
    """YAML text read from ``path`` (a file, or a place such as ``--set x=y``) -> data,
    None when empty; a malformed text is one :class:`InputError` naming the line."""
    try:
        return yaml.load(text, Loader=config_loader(path))  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        raise InputError(f"{path}{line}: malformed YAML ({cut(' '.join(str(err.problem).split()), 120)})") from None
    except yaml.reader.ReaderError as err:
        raise InputError(f"{path}: malformed YAML (character #x{err.character:04x} at offset {err.position}: "
                         f"{err.reason})") from None
    except yaml.YAMLError as err:
        raise InputError(f"{path}: malformed YAML ({cut(' '.join(str(err).split()), 120)})") from None
    except RecursionError:
        raise InputError(f"{path}: malformed YAML (nested too deeply)") from None


def load_yaml(path: Path) -> Any:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not valid UTF-8") from None
    data = parse_yaml(text, path)
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
            raise InputError(f"{at(key)}: unknown key {quote(key)} (expected one of: {', '.join(sorted(allowed))})")
    for key in required:
        if key not in mapping:
            raise InputError(f"{getattr(mapping, 'where', where) or where}: missing key '{key}'")
    return mapping
