"""moto's S3 server on a free local port, with fake credentials for boto3's default chain."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from moto.server import ThreadedMotoServer

from izana.processes import free_port

REGION = "us-east-1"
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "fake-key-for-moto",
    "AWS_SECRET_ACCESS_KEY": "fake-secret-for-moto",
}


@contextlib.contextmanager
def moto_s3() -> Iterator[str]:
    """The server's URL, with the fake credentials (and no real ones) in this process's env."""
    with pytest.MonkeyPatch.context() as env:
        for name, value in FAKE_CREDENTIALS.items():
            env.setenv(name, value)
        env.delenv("AWS_SESSION_TOKEN", raising=False)
        env.delenv("AWS_PROFILE", raising=False)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
        server.start()
        try:
            host, port = server.get_host_and_port()
            yield f"http://{host}:{port}"
        finally:
            server.stop()
