"""OpenAI chat models, and any OpenAI-compatible server (vLLM, Ollama, llama.cpp) by base URL."""

from __future__ import annotations

import openai

from shared.providers.llm.openai_compatible import OpenAICompatibleChat
from shared.providers.openai_client import TRANSIENT_ERRORS
from shared.resilience.errors import ModelRef


def openai_chat(client: openai.AsyncOpenAI, provider: str, model: str) -> OpenAICompatibleChat:
    return OpenAICompatibleChat(client, ModelRef(provider, model), TRANSIENT_ERRORS)
