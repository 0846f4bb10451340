"""Chooses the provider behind each Protocol. Offline implementations for now; vendor
adapters (OpenAI, Groq, Cohere, Pinecone) plug in here when their keys are configured."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.config import Settings
from shared.providers.llm.base import LLM
from shared.providers.llm.extractive import ExtractiveAnswerer
from shared.providers.rerank.base import Reranker
from shared.providers.rerank.lexical import LexicalReranker
from shared.providers.vectorstore.base import VectorStore
from shared.providers.vectorstore.memory_bm25 import MemoryBM25Store


@dataclass(frozen=True)
class Providers:
    llm: LLM
    reranker: Reranker
    store: VectorStore

    def describe(self) -> dict[str, str]:
        """Which implementation serves each role (shown by /readyz and the startup log)."""
        return {"llm": self.llm.name, "rerank": self.reranker.name, "vectorstore": self.store.name}


def build_llm(settings: Settings) -> LLM:
    return ExtractiveAnswerer(words_per_second=settings.local_llm_words_per_second)


def build_reranker(settings: Settings) -> Reranker:
    return LexicalReranker()


def build_store(settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> VectorStore:
    return MemoryBM25Store(sessionmaker)


def build_providers(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> Providers:
    return Providers(
        llm=build_llm(settings),
        reranker=build_reranker(settings),
        store=build_store(settings, sessionmaker),
    )
