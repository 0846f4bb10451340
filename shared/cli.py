"""`izana` command line: the composition root that starts API, worker, migrations and dev mode.

It names `api` and `worker` only by import path, so the layers themselves stay independent.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import os
import time
from collections.abc import Callable, Sequence

from shared.config import Settings, get_settings
from shared.embedded import ServiceUrls, embedded_services, exit_on_sigterm
from shared.log import configure_logging
from shared.processes import start_izana, stop_all

log = logging.getLogger("izana")


def _with_urls(settings: Settings, urls: ServiceUrls) -> Settings:
    os.environ["REDIS_URL"] = urls.redis_url
    os.environ["DATABASE_URL"] = urls.database_url
    return settings.model_copy(
        update={"redis_url": urls.redis_url, "database_url": urls.database_url}
    )


def run_api(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    create_app = importlib.import_module("api.app").create_app
    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
    )


def run_worker(settings: Settings, args: argparse.Namespace) -> None:
    create_worker = importlib.import_module("worker.settings").create_worker
    create_worker(settings).run()


def run_migrate(settings: Settings, args: argparse.Namespace) -> None:
    from shared.db.migrate import upgrade_to_head

    upgrade_to_head(settings.database_url or "")
    log.info("database migrated")


def run_load_kb(settings: Settings, args: argparse.Namespace) -> None:
    from redis.asyncio import Redis

    from shared.db.session import create_engine, create_sessionmaker
    from shared.knowledge.loader import load_if_empty
    from shared.knowledge.version import record_kb_version

    async def load() -> tuple[int, str]:
        engine = create_engine(settings.database_url or "", pool_size=1)
        redis = Redis.from_url(settings.redis_url or "", decode_responses=True)
        try:
            sessionmaker = create_sessionmaker(engine)
            loaded = await load_if_empty(sessionmaker, settings.knowledge_base_path)
            return loaded, await record_kb_version(sessionmaker, redis)
        finally:
            await redis.aclose()
            await engine.dispose()

    loaded, version = asyncio.run(load())
    log.info("knowledge base loaded", extra={"passages": loaded, "kb_version": version})


def run_emulator(settings: Settings, args: argparse.Namespace) -> None:
    from shared.emulator import EmulatorConfig, serve

    config = EmulatorConfig.model_validate_json(args.config) if args.config else EmulatorConfig()
    flags = {"ttft_ms": args.ttft_ms, "tokens_per_second": args.tokens_per_second}
    serve(args.host, args.port, config.updated({k: v for k, v in flags.items() if v is not None}))


def run_dev(settings: Settings, args: argparse.Namespace) -> None:
    """Migrate, load the sample knowledge base, then run one API and one worker until Ctrl-C."""
    run_migrate(settings, args)
    run_load_kb(settings, args)
    env = dict(os.environ)
    children = [
        start_izana(["api", "--host", args.host, "--port", str(args.port)], env),
        start_izana(["worker"], env),
    ]
    print(f"\n  Izana is running: http://{args.host}:{args.port}  (API docs at /docs)")
    print("  Press Ctrl-C to stop.\n", flush=True)
    exit_on_sigterm()
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        stop_all(children, grace_seconds=settings.worker_shutdown_grace_seconds + 10)


Command = Callable[[Settings, argparse.Namespace], None]
COMMANDS: dict[str, tuple[Command, str]] = {
    "dev": (run_dev, "migrate, load the knowledge base, run API + worker (embedded services)"),
    "api": (run_api, "run the HTTP API"),
    "worker": (run_worker, "run an ARQ worker"),
    "migrate": (run_migrate, "apply database migrations"),
    "load-kb": (run_load_kb, "load the sample knowledge base if the store is empty"),
    "emulator": (run_emulator, "run the provider emulator (OpenAI/Groq, Cohere, Pinecone)"),
}


# Commands that use neither Redis nor Postgres, so no embedded server is started for them.
STANDALONE_COMMANDS = frozenset({"emulator"})


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="izana", description="Izana backend")
    commands = root.add_subparsers(dest="command", required=True)
    for name, (_, help_text) in COMMANDS.items():
        command = commands.add_parser(name, help=help_text)
        if name in {"dev", "api"}:
            command.add_argument("--host", default="127.0.0.1")
            command.add_argument("--port", type=int, default=8000)
        if name == "emulator":
            command.add_argument("--host", default="127.0.0.1")
            command.add_argument("--port", type=int, default=8900)
            command.add_argument("--ttft-ms", type=float)
            command.add_argument("--tokens-per-second", type=float)
            command.add_argument("--config", help="settings as a JSON object (docs/emulator.md)")
    return root


def main(argv: Sequence[str] | None = None) -> None:
    args = parser().parse_args(argv)
    settings = get_settings()
    configure_logging(settings.log_level)
    command, _ = COMMANDS[args.command]
    if args.command in STANDALONE_COMMANDS:
        command(settings, args)
        return
    with embedded_services(settings) as urls:
        command(_with_urls(settings, urls), args)


if __name__ == "__main__":
    main()
