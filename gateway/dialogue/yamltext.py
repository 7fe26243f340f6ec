"""Parse YAML text safely into plain data, remembering the line of every node.

Scripts are edited by admins in a web form, so the text is untrusted: the size,
the nesting depth and the number of nodes (which alias expansion multiplies,
the "billion laughs") are capped before anything is built, and every cap fails
fast with a ScriptError instead of a hang or a RecursionError.

Scalars follow the YAML 1.2 core schema, not PyYAML's 1.1 one: only
``true``/``false`` are booleans, so an option value ``no`` or ``on`` stays text.
"""

from __future__ import annotations

import re
from typing import TypeAlias

import yaml

from .errors import ScriptError

MAX_BYTES = 256 * 1024
MAX_DEPTH = 24
MAX_NODES = 50_000

_LOADER: type[yaml.SafeLoader | yaml.CSafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_INT = re.compile(r"[-+]?[0-9]+\Z")
_OPEN = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_CLOSE = (yaml.MappingEndEvent, yaml.SequenceEndEvent)

#: What ``parse`` returns: YAML 1.2 core-schema scalars, lists and string-keyed mappings.
Node: TypeAlias = "None | bool | int | str | list[Node] | dict[str, Node]"
#: Keys and indexes leading to a node, e.g. ("steps", 2, "options").
Path: TypeAlias = tuple[str | int, ...]


class Parsed:
    """Plain data plus where each piece came from.

    ``lines`` maps a path of keys and indexes, e.g. ("steps", 2, "options"),
    to a 1-based line; ``duplicates`` lists (path, line) of keys given twice.
    """

    def __init__(self, data: Node, lines: dict[Path, int], duplicates: list[tuple[Path, int]]):
        self.data = data
        self.lines = lines
        self.duplicates = duplicates

    def line(self, path: Path) -> int | None:
        """The line of ``path``, or of its closest ancestor that has one."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get(())


def parse(text: str, what: str = "script") -> Parsed:
    if not isinstance(text, str):
        raise ScriptError(f"the {what} must be text, not {type(text).__name__}")
    if len(text) > MAX_BYTES or len(text.encode("utf-8")) > MAX_BYTES:
        raise ScriptError(f"the {what} is larger than {MAX_BYTES // 1024} KB")
    try:
        _check_depth(text, what)
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise ScriptError(f"the {what} is not valid YAML: {exc.problem}", line=line) from None
    except yaml.YAMLError as exc:
        raise ScriptError(f"the {what} is not valid YAML: {exc}") from None
    lines: dict[Path, int] = {}
    duplicates: list[tuple[Path, int]] = []
    budget = [MAX_NODES]
    data = _convert(node, (), 0, lines, duplicates, budget, what) if node is not None else None
    return Parsed(data, lines, duplicates)


def _check_depth(text: str, what: str) -> None:
    # The event stream is produced without recursion, so a pathological
    # "[[[[..." is caught here before compose() would recurse through it.
    depth = 0
    for event in yaml.parse(text, Loader=_LOADER):
        if isinstance(event, _OPEN):
            depth += 1
            if depth > MAX_DEPTH:
                raise ScriptError(
                    f"the {what} is nested deeper than {MAX_DEPTH} levels",
                    line=event.start_mark.line + 1 if event.start_mark else None,
                )
        elif isinstance(event, _CLOSE):
            depth -= 1


def _convert(
    node: yaml.Node,
    path: Path,
    depth: int,
    lines: dict[Path, int],
    duplicates: list[tuple[Path, int]],
    budget: list[int],
    what: str,
) -> Node:
    budget[0] -= 1
    if budget[0] < 0:
        raise ScriptError(
            f"the {what} expands to more than {MAX_NODES} values (too many aliases?)",
            line=node.start_mark.line + 1,
        )
    if depth > MAX_DEPTH:  # aliases can stack anchors deeper than the text shows
        raise ScriptError(
            f"the {what} is nested deeper than {MAX_DEPTH} levels", line=node.start_mark.line + 1
        )
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.ScalarNode):
        return _scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return [
            _convert(item, path + (i,), depth + 1, lines, duplicates, budget, what)
            for i, item in enumerate(node.value)
        ]
    result: dict[str, Node] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise ScriptError(
                f"the {what} uses a list or mapping as a key", line=key_node.start_mark.line + 1
            )
        key = _scalar(key_node)
        key = "" if key is None else str(key)
        if key in result:
            duplicates.append((path + (key,), key_node.start_mark.line + 1))
        value = _convert(value_node, path + (key,), depth + 1, lines, duplicates, budget, what)
        result[key] = value
        lines[path + (key,)] = key_node.start_mark.line + 1
    return result


def _scalar(node: yaml.ScalarNode) -> Node:
    value: str = node.value
    if node.style:  # quoted or block scalars are always text (plain: None or '')
        return value
    if _INT.match(value):
        return int(value)
    lowered = value.lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    if lowered in ("", "~", "null"):
        return None
    return value
