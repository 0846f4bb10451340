"""OpenTelemetry traces, on only when an OTLP endpoint is configured (or a test passes an
exporter): then the FastAPI, httpx, Redis and asyncpg instrumentations are installed, and spans
go out in batches. Off, nothing is instrumented and `span` costs one flag check.

A job carries its trace context (W3C `traceparent`) in its payload (`shared/jobs.py`), so the
worker's span of the job continues the trace of the HTTP request that enqueued it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from opentelemetry import propagate, trace
from opentelemetry.instrumentation.instrumentor import (  # type: ignore[attr-defined]
    BaseInstrumentor,
)
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.util.types import AttributeValue

_provider: TracerProvider | None = None
_tracer: trace.Tracer | None = None


def configure_tracing(
    service: str, endpoint: str | None, exporter: SpanExporter | None = None
) -> TracerProvider | None:
    """Trace this process when `endpoint` (the OTLP/HTTP collector's base URL) or `exporter`
    is given: the provider, or None when not tracing. Once per process, before the app or the
    worker starts; a second call keeps the first one's provider."""
    global _provider, _tracer
    if _provider is not None or (endpoint is None and exporter is None):
        return _provider
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service}))
    if exporter is not None:  # tests: each span exported as it ends
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        traces = f"{(endpoint or '').rstrip('/')}/v1/traces"
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=traces)))
    for instrumentor in _client_instrumentors():
        instrumentor.instrument(tracer_provider=provider)
    _provider, _tracer = provider, provider.get_tracer("izana")
    return provider


def stop_tracing() -> None:
    """Remove the instrumentations and flush what is left (process exit, tests)."""
    global _provider, _tracer
    if _provider is None:
        return
    for instrumentor in _client_instrumentors():
        instrumentor.uninstrument()
    _provider.shutdown()
    _provider = _tracer = None


def _client_instrumentors() -> list[BaseInstrumentor]:
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    return [HTTPXClientInstrumentor(), RedisInstrumentor(), AsyncPGInstrumentor()]  # type: ignore[no-untyped-call]


def tracer_provider() -> TracerProvider | None:
    """The provider when this process traces, for the app's own instrumentation."""
    return _provider


def trace_context() -> dict[str, str]:
    """The current trace context as W3C headers (`traceparent`), empty when not tracing."""
    carrier: dict[str, str] = {}
    if _tracer is not None:
        propagate.inject(carrier)
    return carrier


@contextmanager
def span(
    name: str,
    attributes: Mapping[str, AttributeValue] | None = None,
    parent: Mapping[str, str] | None = None,
) -> Iterator[None]:
    """A span around the block, child of `parent` (a `trace_context()`) if given, else of the
    current span; nothing when not tracing."""
    if _tracer is None:
        yield
        return
    context = propagate.extract(parent) if parent else None
    with _tracer.start_as_current_span(name, context=context, attributes=attributes):
        yield
