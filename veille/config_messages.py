"""What a refused setting should have been, in words: pydantic's errors said for a TOML file.

Pydantic speaks of Python ("a valid tuple", "a valid dictionary or instance of HttpSettings",
"String should match pattern '^[A-Za-z0-9_.-]+$'"); the reader of an error wrote TOML. Each kind
of error becomes an expectation in the file's terms: a list of …, a table [x], a name of such
characters, a required setting with an example, an unknown setting with the known ones.
"""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from veille.delivery_settings import DIGEST_NAME_PATTERN

# What a list setting holds, by its key, with an example of it written in the file.
_LIST_OF = {
    "languages": 'language codes, e.g. languages = ["fr", "en"]',
    "to": 'e-mail addresses, e.g. to = ["com@example.org"]',
    "brands": 'brand names, e.g. brands = ["Danone"]',
    "category": 'folder names, e.g. category = ["Presse", "Économie"], or one: category = "Presse"',
}
# The arrays of tables of the file's top level.
_TABLES = ("brands", "sources", "digests")
# An example of a required setting, by its key.
_REQUIRED_EXAMPLE = {
    "name": 'name = "…"',
    "kind": 'kind = "rss"',
    "to": 'to = ["com@example.org"]',
}
# The patterns the models use, said in words.
_PATTERNS = {
    r"^[^\s].*$": "expected a name that does not start with a space",
    DIGEST_NAME_PATTERN: "expected a name of letters, digits, '.', '_' and '-' (no space), "
    'e.g. name = "équipe-com"',
}
# Keys of the top-level model that the file does not write as such.
_NOT_IN_FILE = ("config_path", "database_url")


def plain_message(
    error: Any, location: list[Any], root: type[BaseModel], *, file_root: bool = True
) -> str:
    """The expectation a pydantic ``error`` at ``location`` (of ``root``) stands for.

    ``file_root``: ``root`` is the whole file, whose tables are [sections] and [[arrays]];
    otherwise (a source's options) the keys of one table.
    """
    top = file_root and len(location) == 1
    kind = error["type"]
    context = error.get("ctx") or {}
    key = next((str(part) for part in reversed(location) if isinstance(part, str)), "")
    if kind == "extra_forbidden":
        known = known_keys(root, location[:-1])
        return f"unknown setting (known: {', '.join(known)})" if known else "unknown setting"
    if kind == "missing":
        example = _REQUIRED_EXAMPLE.get(key)
        return (
            f"required setting is missing (e.g. {example})"
            if example
            else ("required setting is missing")
        )
    if kind in ("list_type", "tuple_type", "set_type"):
        return f"expected a list of {_list_items(key, top=top)}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"expected {_table(location, key, top=top, file_root=file_root)}"
    if kind == "string_pattern_mismatch":
        return _PATTERNS.get(str(context.get("pattern")), str(error["msg"]))
    if kind == "string_type":
        if location and isinstance(location[-1], int):  # an item of a list
            return "expected text in quotes"
        return f'expected text in quotes, e.g. {key or "key"} = "…"'
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return "expected a whole number"
    if kind in ("float_type", "float_parsing"):
        return "expected a number"
    if kind in ("bool_type", "bool_parsing"):
        return "expected true or false"
    if kind == "literal_error" and "expected" in context:
        return f"expected {context['expected']}"
    if kind == "too_short" and isinstance(error.get("input"), list | tuple):
        least = context.get("min_length", 1)
        return f"expected at least {'one item' if least == 1 else f'{least} items'} in the list"
    return str(error["msg"]).removeprefix("Value error, ")


def known_keys(root: type[BaseModel], location: list[Any]) -> list[str]:
    """The keys the table at ``location`` may hold, as the file writes them (aliases)."""
    model = _model_at(root, location)
    if model is None:
        return []
    keys = [
        field.alias or name
        for name, field in model.model_fields.items()
        if not (model is root and name in _NOT_IN_FILE)
    ]
    # The file's [database] table is read before validation, into database_url.
    return ["database", *keys] if model is root and "database_url" in model.model_fields else keys


def _list_items(key: str, *, top: bool) -> str:
    if top and key in _TABLES:
        return f"[[{key}]] tables"
    return _LIST_OF.get(key, f"values, e.g. {key or 'key'} = […]")


def _table(location: list[Any], key: str, *, top: bool, file_root: bool) -> str:
    if file_root and len(location) == 2 and isinstance(location[1], int) and key in _TABLES:
        return f"a [[{key}]] table"
    if top:
        return f"a table [{key}]"
    return f"a table, e.g. {key or 'key'} = {{ … }}"


def _model_at(root: type[BaseModel], location: list[Any]) -> type[BaseModel] | None:
    """The model of the table at ``location`` (list indexes skipped), or None."""
    model: type[BaseModel] = root
    for part in location:
        if isinstance(part, int):
            continue
        field = _field(model, str(part))
        inner = _model_in(field.annotation) if field is not None else None
        if inner is None:
            return None
        model = inner
    return model


def _field(model: type[BaseModel], key: str) -> FieldInfo | None:
    for name, field in model.model_fields.items():
        if key in (name, field.alias):
            return field
    return None


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model an annotation holds: itself, or inside a tuple, list or optional."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (tuple, list, typing.Union, types.UnionType):
        for argument in typing.get_args(annotation):
            found = _model_in(argument)
            if found is not None:
                return found
    return None
