import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEST_SECRET = "test-secret-key-for-izana-test-suite-0123456789"


def unique_question(text: str) -> str:
    """`text` made unique, so no earlier run's cached answer (or a concurrent flight) serves it.
    The mark is a number: no topic of its own, which would have the question declined."""
    return f"{text} (#{uuid.uuid4().int % 10**12})"


# Provider settings a developer may have exported; the tests choose their providers themselves.
PROVIDER_SETTINGS = (
    "OPENAI_API_KEY", "GROQ_API_KEY", "COHERE_API_KEY", "PINECONE_API_KEY", "LLM_API_KEY",
    "LLM_BASE_URL", "PINECONE_INDEX_HOST",
)  # fmt: skip
NO_PROVIDERS = dict.fromkeys(PROVIDER_SETTINGS, "")  # blank means unset


def redis_database(redis_url: str, db: int) -> str:
    """`redis_url` on Redis database `db`: a test's own queue, which no other worker reads."""
    return f"{redis_url}{'&' if '?' in redis_url else '?'}db={db}"
