"""The real SDK adapters, built by the provider factory, against the emulator over HTTP."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Sequence

import pytest

from emulator import RunningEmulator
from shared.config import Settings
from shared.providers.chat_models import chat_models
from shared.providers.embeddings.base import Embedder
from shared.providers.factory import build_embedders, build_reranker
from shared.providers.llm.base import LLM, AnswerRequest, WrittenAnswer
from shared.providers.llm.chat import ChatMessage, ChatModel
from shared.providers.llm.generated import GeneratedAnswerer
from shared.providers.rerank.cohere import CohereReranker, cohere_client
from shared.providers.vectorstore.base import SearchQuery
from shared.providers.vectorstore.pinecone import PineconeStore, pinecone_index
from shared.rag.assembly import build_llm_roles
from shared.rag.review import Reviewer
from shared.rag.translate import QueryTranslator
from shared.resilience.errors import FailureKind, ProviderFailure
from shared.resources import Resources
from tests.contract.providers import KEY, emulated, guard_for
from tests.unit.passages import passage

pytestmark = pytest.mark.contract

MESSAGES = [ChatMessage("system", "Answer kindly."), ChatMessage("user", "What is IVF?")]


class Collected:
    def __init__(self) -> None:
        self.chunks: list[str] = []
        self.resets = 0

    async def token(self, text: str) -> None:
        self.chunks.append(text)

    async def reset(self, reason: str) -> None:
        self.resets += 1
        self.chunks.clear()


def llm_roles(
    emulator: RunningEmulator, resources: Resources
) -> tuple[LLM, Reviewer, QueryTranslator]:
    settings = emulated(emulator, resources)
    guard = guard_for(settings, resources.redis)
    return build_llm_roles(settings, chat_models(settings), guard)


def first_draft_model(settings: Settings) -> ChatModel:
    return chat_models(settings).draft[0]


async def outcomes(emulator: RunningEmulator) -> dict[str, int]:
    counted: dict[str, int] = (await emulator.stats())["totals"]["outcomes"]
    return {name: count for name, count in counted.items() if count}


async def test_groq_streams_the_draft_with_usage(
    emulator: RunningEmulator, resources: Resources
) -> None:
    settings = emulated(emulator, resources)
    model = first_draft_model(settings)
    assert model.target.key == "groq:llama-3.3-70b-versatile"
    received = Collected()
    completion = await model.stream(MESSAGES, 100, received.token)
    assert "".join(received.chunks) == completion.text
    assert len(completion.text.split()) == 40 and completion.text.endswith(".")
    assert completion.tokens_used is not None and completion.tokens_used > 40


async def test_the_generated_answerer_drafts_through_the_fallback_chain(
    emulator: RunningEmulator, resources: Resources
) -> None:
    llm, _, translator = llm_roles(emulator, resources)
    assert isinstance(llm, GeneratedAnswerer)
    assert llm.name == (
        "groq:llama-3.3-70b-versatile → groq:llama-3.1-8b-instant → openai:gpt-4o-mini"
    )
    out = Collected()
    answer = await llm.write_answer(AnswerRequest("What is IVF?", "en", [passage()]), out)
    assert "".join(out.chunks) == answer.text and answer.language == "en"
    assert await translator.to_english("¿Qué es la FIV?", "es")  # the small model answered


async def test_the_review_reply_is_validated_json(
    emulator: RunningEmulator, resources: Resources
) -> None:
    _, reviewer, _ = llm_roles(emulator, resources)
    draft = WrittenAnswer("IVF joins egg and sperm. [1]", "en")
    review = await reviewer.review("What is IVF?", draft, "en", [])
    # The emulator's review echoes the draft it was sent and proposes three questions.
    assert review.answer == "IVF joins egg and sperm. [1]"
    assert len(review.suggestions) == 3 and all(q.endswith("?") for q in review.suggestions)


def seed_drawing(first_below: bool, second_below: bool, rate: float) -> int:
    """A seed whose first two fault draws fall below / above `rate` as asked."""
    for seed in range(1000):
        rng = random.Random(seed)
        if ((rng.random() < rate), (rng.random() < rate)) == (first_below, second_below):
            return seed
    raise AssertionError("no such seed")


async def test_invalid_review_json_gets_one_repair_request(
    emulator: RunningEmulator, resources: Resources
) -> None:
    _, reviewer, _ = llm_roles(emulator, resources)
    seed = seed_drawing(first_below=True, second_below=False, rate=0.5)
    await emulator.configure(rate_invalid_json=0.5, seed=seed)
    await emulator.reset()
    draft = WrittenAnswer("IVF joins egg and sperm.", "en")
    review = await reviewer.review("What is IVF?", draft, "en", [])
    assert review.answer == draft.text and len(review.suggestions) == 3
    assert await outcomes(emulator) == {"invalid_json": 1, "ok": 1}


async def test_review_json_invalid_twice_keeps_the_draft(
    emulator: RunningEmulator, resources: Resources
) -> None:
    _, reviewer, _ = llm_roles(emulator, resources)
    await emulator.configure(rate_invalid_json=1.0)
    draft = WrittenAnswer("Polycystic ovary syndrome is a hormonal disorder. [1]", "en")
    review = await reviewer.review("What is PCOS?", draft, "en", [passage()])
    assert review.answer == draft.text
    assert review.suggestions  # from the passages' topics instead
    assert await outcomes(emulator) == {"invalid_json": 2}


# Every fault the emulator injects and the failure kind an adapter must turn it into.
FAULTS = [
    ("rate_429", FailureKind.RATE_LIMITED),
    ("rate_500", FailureKind.TRANSIENT),
    ("rate_503", FailureKind.TRANSIENT),
    ("rate_reset", FailureKind.TRANSIENT),
    ("rate_timeout", FailureKind.TRANSIENT),
    ("rate_malformed", FailureKind.TRANSIENT),
    ("rate_truncate", FailureKind.TRANSIENT),
]
UNSTREAMED_FAULTS = [(fault, kind) for fault, kind in FAULTS if fault != "rate_truncate"]


@pytest.mark.parametrize(("fault", "kind"), FAULTS)
async def test_each_chat_fault_becomes_a_provider_failure(
    emulator: RunningEmulator, resources: Resources, fault: str, kind: FailureKind
) -> None:
    settings = emulated(emulator, resources, provider_timeout_seconds=0.5)
    await emulator.configure(**{fault: 1.0}, hang_seconds=3, retry_after_seconds=2)
    received = Collected()
    with pytest.raises(ProviderFailure) as raised:
        await first_draft_model(settings).stream(MESSAGES, 100, received.token)
    assert raised.value.kind is kind
    if fault == "rate_429":
        assert raised.value.retry_after == 2 and raised.value.status == 429
    if fault == "rate_truncate":
        assert received.chunks  # words had arrived before the stream stopped short


async def test_non_streaming_completions_fail_the_same_way(
    emulator: RunningEmulator, resources: Resources
) -> None:
    settings = emulated(emulator, resources)
    await emulator.configure(rate_malformed=1.0)
    with pytest.raises(ProviderFailure) as raised:
        await chat_models(settings).small[0].complete(MESSAGES, 50)
    assert raised.value.kind is FailureKind.TRANSIENT


async def test_without_a_groq_key_openai_drafts(
    emulator: RunningEmulator, resources: Resources
) -> None:
    settings = emulated(emulator, resources, groq_api_key="")  # blank means unset
    assert [m.target.key for m in chat_models(settings).draft] == ["openai:gpt-4o-mini"]
    received = Collected()
    assert (await first_draft_model(settings).stream(MESSAGES, 50, received.token)).text


async def test_generic_openai_compatible_server_takes_every_chat_role(
    emulator: RunningEmulator, resources: Resources
) -> None:
    settings = emulated(
        emulator, resources, llm_base_url=f"{emulator.url}/v1", llm_model="local-large",
        llm_small_model="local-small",
    )  # fmt: skip
    models = chat_models(settings)
    assert [m.target.key for m in models.draft] == ["llm:local-large"]
    assert [m.target.key for m in models.small] == ["llm:local-small"]
    received = Collected()
    completion = await models.draft[0].stream(MESSAGES, 100, received.token)
    assert completion.text and "".join(received.chunks) == completion.text


@pytest.fixture
def embedder(emulator: RunningEmulator, resources: Resources) -> Embedder:
    settings = emulated(emulator, resources)
    (built,) = build_embedders(settings, resources.redis, guard_for(settings, resources.redis))
    return built


async def test_embeddings_are_cached_after_the_first_request(
    embedder: Embedder, emulator: RunningEmulator
) -> None:
    texts = [f"anti-Müllerian hormone {random.random()}", "follicle stimulating hormone"]
    first = await embedder.embed(texts)
    again = await embedder.embed(texts)
    assert [len(vector) for vector in first] == [64, 64]
    for cached, fresh in zip(again, first, strict=True):
        assert cached == pytest.approx(fresh, abs=1e-6)  # stored as float32
    stats = await emulator.stats()
    embedding_requests = sum(
        series["totals"]["requests"] for series in stats["series"] if series["kind"] == "embeddings"
    )
    assert embedding_requests <= 1  # the second call was served from Redis


CANDIDATES = [
    passage(id="thyroid", title="Thyroid", body="The thyroid gland makes hormones."),
    passage(id="amh", title="AMH", body="AMH testing estimates ovarian reserve for IVF."),
]


def cohere_reranker(emulator: RunningEmulator, resources: Resources) -> CohereReranker:
    settings = emulated(emulator, resources, provider_timeout_seconds=0.5)
    client = cohere_client(KEY, emulator.url, settings.provider_timeout_seconds)
    return CohereReranker(client, "rerank-v3.5", guard_for(settings, resources.redis))


async def test_cohere_reranks_by_relevance(emulator: RunningEmulator, resources: Resources) -> None:
    ranked = await cohere_reranker(emulator, resources).rerank("AMH ovarian reserve", CANDIDATES, 1)
    assert [p.id for p in ranked] == ["amh"] and 0 < ranked[0].score <= 1
    await emulator.configure(rate_500=1.0)
    settings = emulated(emulator, resources)
    with_fallback = build_reranker(settings, guard_for(settings, resources.redis))
    assert with_fallback.name == "cohere:rerank-v3.5 → retrieval-order"
    degraded = await with_fallback.rerank("AMH ovarian reserve", CANDIDATES, 1)
    assert [p.id for p in degraded] == ["thyroid"]  # the store's order stood in
    assert (await outcomes(emulator)) == {"ok": 1, "500": 1}  # before and during the fault


@pytest.mark.parametrize(("fault", "kind"), UNSTREAMED_FAULTS)
async def test_cohere_faults_become_provider_failures(
    emulator: RunningEmulator, resources: Resources, fault: str, kind: FailureKind
) -> None:
    reranker = cohere_reranker(emulator, resources)
    await emulator.configure(**{fault: 1.0}, hang_seconds=3)
    with pytest.raises(ProviderFailure) as raised:
        await reranker.rerank("AMH", [passage()], 1)
    assert raised.value.kind is kind


class NoEmbedder:
    """Stands in where nothing is embedded (counting the index's vectors)."""

    name = "none"

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        raise AssertionError("nothing should be embedded here")


NO_EMBEDDER = NoEmbedder()


@pytest.fixture
async def store(
    emulator: RunningEmulator, resources: Resources, embedder: Embedder
) -> AsyncIterator[PineconeStore]:
    settings = emulated(emulator, resources)
    index = pinecone_index(KEY, emulator.url, 2.0)
    yield PineconeStore(index, embedder, guard_for(settings, resources.redis))
    await index.close()


async def test_pinecone_upserts_queries_across_namespaces_and_deletes(
    store: PineconeStore, emulator: RunningEmulator
) -> None:
    await emulator.configure(embedding_dimensions=64)  # the emulated index's dimension
    await store.upsert([passage(id="pcos"), passage(id="ivf", title="IVF", body="IVF steps.")],
                       namespace="treatment")  # fmt: skip
    await store.upsert([passage(id="amh", title="AMH", body="AMH and ovarian reserve.")],
                       namespace="tests")  # fmt: skip
    assert await store.count() == 3
    found = await store.search(SearchQuery(text="AMH ovarian reserve", top_k=2))
    assert found[0].id == "amh" and found[0].title == "AMH" and len(found) == 2
    only = await store.search(SearchQuery(text="AMH", top_k=5, namespace="treatment"))
    assert {p.id for p in only} == {"pcos", "ivf"}
    await store.delete(["ivf"], namespace="treatment")
    assert await store.count() == 2


@pytest.mark.parametrize(("fault", "kind"), UNSTREAMED_FAULTS)
async def test_pinecone_faults_become_provider_failures(
    emulator: RunningEmulator, resources: Resources, fault: str, kind: FailureKind
) -> None:
    settings = emulated(emulator, resources)
    index = pinecone_index(KEY, emulator.url, 0.3)  # the SDK's own retries multiply hangs
    store = PineconeStore(index, NO_EMBEDDER, guard_for(settings, resources.redis))
    await emulator.configure(**{fault: 1.0}, fault_kinds=["pinecone"], hang_seconds=1)
    try:
        with pytest.raises(ProviderFailure) as raised:
            await store.count()
        assert raised.value.kind is kind
    finally:
        await index.close()


@pytest.mark.parametrize(("fault", "kind"), UNSTREAMED_FAULTS)
async def test_embedding_faults_become_provider_failures(
    emulator: RunningEmulator, resources: Resources, fault: str, kind: FailureKind
) -> None:
    settings = emulated(emulator, resources, provider_timeout_seconds=0.5)
    (embedder,) = build_embedders(settings, resources.redis, guard_for(settings, resources.redis))
    await emulator.configure(**{fault: 1.0}, hang_seconds=3)
    with pytest.raises(ProviderFailure) as raised:
        await embedder.embed([f"never embedded before {random.random()}"])
    assert raised.value.kind is kind
