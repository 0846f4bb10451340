"""The emulator's ASGI app: every provider's routes and the control routes on one state."""

from __future__ import annotations

from starlette.applications import Starlette

from emulator import cohere_routes, control_routes, openai_routes, pinecone_routes
from emulator.state import EmulatorState


def create_app(state: EmulatorState) -> Starlette:
    return Starlette(
        routes=[
            *openai_routes.routes(state),
            *cohere_routes.routes(state),
            *pinecone_routes.routes(state),
            *control_routes.routes(state),
        ]
    )
