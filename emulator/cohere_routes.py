"""Cohere's v2 rerank: documents scored by how many of the query's words they contain."""

from __future__ import annotations

import uuid

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from emulator.config import EndpointKind
from emulator.errors import OpenModel, Provider, authorized_body
from emulator.gate import Call, admit
from emulator.state import EmulatorState
from emulator.text import overlap_score


class Document(OpenModel):
    text: str


class RerankRequest(OpenModel):
    model: str
    query: str
    documents: list[str | Document]
    top_n: int | None = Field(default=None, ge=1)


def routes(state: EmulatorState) -> list[Route]:
    async def rerank(request: Request) -> Response:
        body = await authorized_body(request, RerankRequest, Provider.COHERE)
        if isinstance(body, Response):
            return body
        verdict = await admit(state, Call(Provider.COHERE, EndpointKind.RERANK, body.model))
        if isinstance(verdict, Response):
            return verdict
        texts = [doc if isinstance(doc, str) else doc.text for doc in body.documents]
        scored = sorted(
            ((index, overlap_score(body.query, text)) for index, text in enumerate(texts)),
            key=lambda pair: (-pair[1], pair[0]),
        )
        results = [{"index": index, "relevance_score": score} for index, score in scored]
        meta = {"api_version": {"version": "2"}, "billed_units": {"search_units": 1}}
        return JSONResponse(
            {"id": str(uuid.uuid4()), "results": results[: body.top_n], "meta": meta}
        )

    return [Route("/v2/rerank", rerank, methods=["POST"])]
