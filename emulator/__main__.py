"""`python -m emulator`: the provider emulator as a process of its own, until Ctrl-C or SIGTERM.

Run it from the repository root: the emulator is dev tooling, not part of the installed product.
"""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Sequence

from emulator.config import EmulatorConfig
from emulator.server import serve


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="python -m emulator",
        description="the provider emulator (OpenAI/Groq, Cohere, Pinecone); docs/emulator.md",
    )
    root.add_argument("--host", default="127.0.0.1")
    root.add_argument("--port", type=int, default=8900)
    root.add_argument("--ttft-ms", type=float)
    root.add_argument("--tokens-per-second", type=float)
    root.add_argument("--config", help="settings as a JSON object (docs/emulator.md)")
    return root


def main(argv: Sequence[str] | None = None) -> None:
    args = parser().parse_args(argv)
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO").upper())
    config = EmulatorConfig.model_validate_json(args.config) if args.config else EmulatorConfig()
    flags = {"ttft_ms": args.ttft_ms, "tokens_per_second": args.tokens_per_second}
    serve(args.host, args.port, config.updated({k: v for k, v in flags.items() if v is not None}))


if __name__ == "__main__":
    main()
