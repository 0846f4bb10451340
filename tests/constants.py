import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEST_SECRET = "test-secret-key-for-izana-test-suite-0123456789"


def unique_question(text: str) -> str:
    """`text` made unique, so no earlier run's cached answer (or a concurrent flight) serves it."""
    return f"{text} (ref {uuid.uuid4().hex[:10]})"
