from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEST_SECRET = "test-secret-key-for-izana-test-suite-0123456789"
