"""Which chat models serve the draft and the small-model roles, from the configured keys.

- `LLM_BASE_URL` set: every chat role goes to that one OpenAI-compatible server.
- Otherwise Groq drafts with its large model and falls back to its small one, then to OpenAI
  when that key is set too; `LLM_FALLBACK_MODELS` replaces that tail ("provider:model", …).
- No key at all: no chat models (the offline extractive answerer is used).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from shared.config import Settings
from shared.providers.llm.chat import ChatModel
from shared.providers.llm.groq_chat import groq_chat, groq_client
from shared.providers.llm.openai_chat import openai_chat
from shared.providers.openai_client import openai_client

LOCAL_SERVER_KEY = "not-needed"  # most self-hosted servers ignore the key but the SDK wants one


@dataclass(frozen=True)
class ChatModels:
    draft: list[ChatModel]
    small: list[ChatModel]


def _model_factories(settings: Settings) -> dict[str, Callable[[str], ChatModel]]:
    """provider → a function building that provider's chat model by name."""
    timeouts = (settings.provider_timeout_seconds, settings.provider_connect_timeout_seconds)
    connections = settings.provider_max_connections
    factories: dict[str, Callable[[str], ChatModel]] = {}
    if settings.llm_base_url:
        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else LOCAL_SERVER_KEY
        llm = openai_client(key, settings.llm_base_url, *timeouts, connections)
        factories["llm"] = lambda model: openai_chat(llm, "llm", model)
    if settings.groq_api_key:
        groq = groq_client(
            settings.groq_api_key.get_secret_value(), settings.groq_base_url, *timeouts, connections
        )
        factories["groq"] = lambda model: groq_chat(groq, model)
    if settings.openai_api_key:
        api_key = settings.openai_api_key.get_secret_value()
        openai = openai_client(api_key, settings.openai_base_url, *timeouts, connections)
        factories["openai"] = lambda model: openai_chat(openai, "openai", model)
    return factories


def _resolve(reference: str, factories: dict[str, Callable[[str], ChatModel]]) -> ChatModel:
    provider, _, model = reference.partition(":")
    if provider not in factories or not model:
        raise ValueError(
            f"LLM_FALLBACK_MODELS entry {reference!r} needs the form provider:model with a "
            f"configured provider ({', '.join(sorted(factories)) or 'none configured'})"
        )
    return factories[provider](model)


def _default_chains(
    settings: Settings, factories: dict[str, Callable[[str], ChatModel]]
) -> ChatModels:
    draft: list[ChatModel] = []
    small: list[ChatModel] = []
    if "groq" in factories:
        draft += [
            factories["groq"](settings.groq_draft_model),
            factories["groq"](settings.groq_small_model),
        ]
        small.append(factories["groq"](settings.groq_small_model))
    if "openai" in factories:
        draft.append(factories["openai"](settings.openai_chat_model))
        small.append(factories["openai"](settings.openai_chat_model))
    return ChatModels(draft, small)


def chat_models(settings: Settings) -> ChatModels:
    factories = _model_factories(settings)
    if "llm" in factories:
        model = settings.llm_model or settings.llm_small_model
        if not model:
            raise ValueError("LLM_BASE_URL needs LLM_MODEL (and optionally LLM_SMALL_MODEL)")
        small = settings.llm_small_model or model
        return ChatModels([factories["llm"](model)], [factories["llm"](small)])
    chains = _default_chains(settings, factories)
    if settings.llm_fallback_models and chains.draft:
        tail = [_resolve(reference, factories) for reference in settings.llm_fallback_models]
        return ChatModels([chains.draft[0], *tail], chains.small)
    return chains
