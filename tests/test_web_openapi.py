"""Property tests of the JSON API against its own OpenAPI description.

For every operation, requests generated from the description by schemathesis — valid ones, and
invalid ones for operations that take parameters — must never get a 5xx, must get a status
code, content type and body the description declares, and invalid ones must be refused. Then
any text at all (control characters included, which schemathesis does not send) goes into the
declared parameters of each operation: still never a 5xx, and a refusal names the parameter.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import String

from tests.support.browser import TestClient, read_only_twin, save_items, web_corpus
from tests.support.stores import store_fixture  # noqa: F401
from veille.records import STAT_DIMENSIONS
from veille.store import Store
from veille.store.schema import document_table
from veille.web import create_app
from veille.web.openapi import openapi_document

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
EXAMPLES = 40
OPERATIONS = [
    (f"GET {path}", mode)
    for path, item in openapi_document()["paths"].items()
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode is GenerationMode.POSITIVE or item["get"]["parameters"]
]


@pytest.fixture
def reader(store: Store) -> Iterator[Store]:
    save_items(store, web_corpus())
    opened = read_only_twin(store)
    try:
        yield opened
    finally:
        opened.close()


def test_the_description_is_served_and_valid(reader: Store) -> None:
    with TestClient(create_app(reader)) as client:
        served = client.get("/api/openapi.json").json()
    assert served == openapi_document()
    schema = schemathesis.openapi.from_dict(served)
    labels = [result.ok().label for result in schema.get_all_operations()]
    assert sorted(labels) == sorted({label for label, _ in OPERATIONS})


@pytest.mark.parametrize(("label", "mode"), OPERATIONS, ids=lambda v: getattr(v, "value", v))
def test_generated_requests_get_declared_answers(
    reader: Store, label: str, mode: GenerationMode
) -> None:
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", create_app(reader))
    (operation,) = [
        result.ok() for result in schema.get_all_operations() if result.ok().label == label
    ]

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def answers_as_declared(case: schemathesis.Case) -> None:
        case.call_and_validate(checks=CHECKS)

    answers_as_declared()


ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)
QUERIES = [
    (path.replace("{story_id}", "story-1"), [p["name"] for p in item["get"]["parameters"]])
    for path, item in openapi_document()["paths"].items()
    if any(p["in"] == "query" for p in item["get"]["parameters"])
]


@pytest.mark.parametrize(("path", "names"), QUERIES, ids=[path for path, _ in QUERIES])
def test_any_text_in_any_parameter_gets_a_declared_answer(
    reader: Store, path: str, names: list[str]
) -> None:
    names = [name for name in names if name != "story_id"]
    queries = st.dictionaries(st.sampled_from(names), ANY_TEXT, min_size=1, max_size=1)
    with TestClient(create_app(reader)) as client:

        @settings(max_examples=100, deadline=None, database=None)
        @given(query=queries)
        def answers(query: dict[str, str]) -> None:
            response = client.get(path, params=query)
            assert response.status_code in (200, 400, 404), response.text
            if response.status_code != 200:
                body = response.json()
                assert body["parameter"] in query and body["message"]

        answers()


def test_story_ids_are_as_long_as_the_store_keeps_them(reader: Store) -> None:
    column = document_table.c.story_id.type
    assert isinstance(column, String)
    described = openapi_document()["paths"]["/api/stories/{story_id}"]["get"]["parameters"][0]
    assert described["name"] == "story_id"
    assert described["schema"]["maxLength"] == column.length
    with TestClient(create_app(reader)) as client:
        assert client.get("/api/stories/" + "s" * column.length).status_code == 404
        longer = client.get("/api/stories/" + "s" * (column.length + 1))
        assert longer.status_code == 400 and longer.json()["parameter"] == "story_id"
        assert client.get("/stories/" + "s" * (column.length + 1)).status_code == 400


def _undescribed(value: object, schema: dict[str, object], where: str) -> list[str]:
    """The fields of ``value`` (an answer, at ``where``) that ``schema`` does not describe."""
    reference = schema.get("$ref")
    if isinstance(reference, str):
        schema = openapi_document()["components"]["schemas"][reference.rsplit("/", 1)[1]]
    if isinstance(value, list):
        items = schema.get("items", {})
        assert isinstance(items, dict)
        return [field for item in value for field in _undescribed(item, items, where + "[]")]
    properties = schema.get("properties")
    if not isinstance(value, dict) or not isinstance(properties, dict):
        return []
    found = [f"{where}.{name}" for name in value if name not in properties]
    for name, item in value.items():
        if name in properties:
            found += _undescribed(item, properties[name], f"{where}.{name}")
    return found


ANSWERED = [
    "/api/mentions",
    *(f"/api/stats?by={by}" for by in STAT_DIMENSIONS),
    "/api/overview?since=2026-01-01",
    "/api/stories",
    "/api/stories/story-1",
    "/api/sources",
    "/api/brands",
]
# The CSV of each list: the columns of its items' schema, in its order.
LISTS = {
    "/api/mentions": "Mention",
    "/api/stats?by=site": "StatGroup",
    "/api/stories": "Story",
    "/api/stories/story-1": "Sighting",
    "/api/sources": "Source",
}


def test_every_field_of_every_answer_is_described_and_in_the_csv(reader: Store) -> None:
    paths = openapi_document()["paths"]
    with TestClient(create_app(reader)) as client:
        for url in ANSWERED:
            path = url.split("?")[0].replace("story-1", "{story_id}")
            schema = paths[path]["get"]["responses"]["200"]["content"]["application/json"]
            answer = client.get(url)
            assert answer.status_code == 200, url
            assert _undescribed(answer.json(), schema["schema"], url) == []
        schemas = openapi_document()["components"]["schemas"]
        for url, name in LISTS.items():
            separator = "&" if "?" in url else "?"
            header = client.get(f"{url}{separator}format=csv").text.splitlines()[0]
            assert header.split(",") == list(schemas[name]["properties"]), url
