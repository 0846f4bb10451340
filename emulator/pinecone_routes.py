"""Pinecone's REST data plane: upsert, query, delete and describe_index_stats, in memory.

The index's dimension is the `embedding_dimensions` setting and its metric is cosine.
Metadata filters are refused with a 400 rather than silently ignored.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pydantic import ConfigDict, Field
from pydantic.alias_generators import to_camel
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from emulator.config import EndpointKind
from emulator.errors import OpenModel, Provider, error_response, missing_key, parse_body
from emulator.gate import Call, admit
from emulator.state import EmulatorState
from emulator.vectors import Stored, namespace_name

P = Provider.PINECONE
NO_FILTERS = "Invalid request: metadata filters are not supported by the emulator"


class PineconeModel(OpenModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


M = TypeVar("M", bound=PineconeModel)


class VectorIn(PineconeModel):
    id: str = Field(min_length=1)
    values: list[float]
    metadata: dict[str, Any] | None = None


class UpsertRequest(PineconeModel):
    vectors: list[VectorIn] = Field(min_length=1)
    namespace: str = ""


class QueryRequest(PineconeModel):
    top_k: int = Field(ge=1, le=10_000)
    namespace: str = ""
    vector: list[float] | None = None
    id: str | None = None
    include_values: bool = False
    include_metadata: bool = False
    filter: dict[str, Any] | None = None


class DeleteRequest(PineconeModel):
    namespace: str = ""
    ids: list[str] | None = None
    delete_all: bool = False
    filter: dict[str, Any] | None = None


class StatsRequest(PineconeModel):
    filter: dict[str, Any] | None = None


def routes(state: EmulatorState) -> list[Route]:
    def dimension_error(values: list[float]) -> Response | None:
        expected = state.config.embedding_dimensions
        if len(values) == expected:
            return None
        message = f"Vector dimension {len(values)} does not match the index dimension {expected}"
        return error_response(P, 400, message)

    async def upsert(body: UpsertRequest) -> Response:
        for vector in body.vectors:
            if problem := dimension_error(vector.values):
                return problem
        if isinstance(verdict := await admit(state, _call("upsert")), Response):
            return verdict
        stored = {v.id: Stored(tuple(v.values), v.metadata) for v in body.vectors}
        state.vectors.upsert(namespace_name(body.namespace), stored)
        return JSONResponse({"upsertedCount": len(stored)})

    async def query(body: QueryRequest) -> Response:
        if body.filter:
            return error_response(P, 400, NO_FILTERS)
        if (body.vector is None) == (body.id is None):
            return error_response(P, 400, "Invalid request: give exactly one of vector and id")
        if body.vector is not None and (problem := dimension_error(body.vector)):
            return problem
        if isinstance(verdict := await admit(state, _call("query")), Response):
            return verdict
        namespace = namespace_name(body.namespace)
        vector: tuple[float, ...] | None = tuple(body.vector) if body.vector else None
        if body.id is not None:
            found = state.vectors.get(namespace, body.id)
            vector = found.values if found else None
        matches = state.vectors.query(namespace, vector, body.top_k) if vector else []
        return JSONResponse(
            {
                "matches": [
                    {
                        "id": match.id,
                        "score": match.score,
                        "values": list(match.stored.values) if body.include_values else [],
                        **_metadata(match.stored, body.include_metadata),
                    }
                    for match in matches
                ],
                "namespace": body.namespace,
                "usage": {"readUnits": 1},
            }
        )

    async def delete(body: DeleteRequest) -> Response:
        if body.filter:
            return error_response(P, 400, NO_FILTERS)
        if body.ids is None and not body.delete_all:
            return error_response(P, 400, "Invalid request: give ids or deleteAll")
        if isinstance(verdict := await admit(state, _call("delete")), Response):
            return verdict
        namespace = namespace_name(body.namespace)
        if body.delete_all:
            state.vectors.delete_all(namespace)
        else:
            state.vectors.delete(namespace, body.ids or [])
        return JSONResponse({})

    async def describe_index_stats(body: StatsRequest) -> Response:
        if body.filter:
            return error_response(P, 400, NO_FILTERS)
        if isinstance(verdict := await admit(state, _call("describe_index_stats")), Response):
            return verdict
        counts = state.vectors.counts()
        return JSONResponse(
            {
                "namespaces": {name: {"vectorCount": count} for name, count in counts.items()},
                "dimension": state.config.embedding_dimensions,
                "indexFullness": 0.0,
                "totalVectorCount": sum(counts.values()),
                "metric": "cosine",
                "vectorType": "dense",
            }
        )

    return [
        _route("/vectors/upsert", UpsertRequest, upsert, ["POST"]),
        _route("/query", QueryRequest, query, ["POST"]),
        _route("/vectors/delete", DeleteRequest, delete, ["POST"]),
        _route("/describe_index_stats", StatsRequest, describe_index_stats, ["GET", "POST"]),
    ]


def _call(operation: str) -> Call:
    """Pinecone calls are counted with the operation in place of a model."""
    return Call(P, EndpointKind.PINECONE, operation)


def _metadata(stored: Stored, include: bool) -> dict[str, Any]:
    return {"metadata": stored.metadata} if include and stored.metadata is not None else {}


def _route(
    path: str, model: type[M], handler: Callable[[M], Awaitable[Response]], methods: list[str]
) -> Route:
    """The endpoint checks the API key and parses the body (a GET has none) for `handler`."""

    async def endpoint(request: Request) -> Response:
        if denied := missing_key(request, P):
            return denied
        if request.method == "GET":
            return await handler(model())
        body = await parse_body(request, model, P)
        return body if isinstance(body, Response) else await handler(body)

    return Route(path, endpoint, methods=methods)
