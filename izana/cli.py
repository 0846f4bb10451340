"""`izana` command line: the composition root that starts API, worker, migrations and dev mode.

It names `api` and `worker` only by import path, so the layers themselves stay independent.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from izana.embedded import ServiceUrls, embedded_services, exit_on_sigterm
from izana.processes import Supervisor, wait_until_ready
from shared.config import Settings, get_settings
from shared.log import configure_logging

if TYPE_CHECKING:
    from shared.knowledge.ingest.ingestor import IngestReport

log = logging.getLogger("izana")

# How long `izana dev` waits for /readyz before it says the stack is not ready.
DEV_READY_SECONDS = 180.0

# The MedQuAD corpus beside the repository (see docs/benchmarks/retrieval.md).
DEFAULT_EVAL_CORPUS = (
    Path(__file__).resolve().parent.parent.parent
    / "shared"
    / "datasets"
    / "medquad"
    / "corpus.jsonl"
)


def _with_urls(settings: Settings, urls: ServiceUrls) -> Settings:
    os.environ["REDIS_URL"] = urls.redis_url
    os.environ["DATABASE_URL"] = urls.database_url
    return settings.model_copy(
        update={"redis_url": urls.redis_url, "database_url": urls.database_url}
    )


def run_api(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    from api.app import create_app

    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
        # Only the configured proxies may name the client (uvicorn's default trusts loopback).
        proxy_headers=bool(settings.forwarded_allow_ips),
        forwarded_allow_ips=settings.forwarded_allow_ips or None,
    )


def run_worker(settings: Settings, args: argparse.Namespace) -> None:
    import uvloop

    from worker.settings import create_worker

    # ARQ's worker takes the loop the policy makes; uvloop's costs less CPU per socket write.
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    create_worker(settings).run()


def run_migrate(settings: Settings, args: argparse.Namespace) -> None:
    from shared.db.migrate import upgrade_to_head

    upgrade_to_head(settings.database_url or "")
    log.info("database migrated")


def run_ingest(settings: Settings, args: argparse.Namespace) -> None:
    """Ingest (or with --delete remove) files; exits 1 when any file failed."""
    from shared.knowledge.ingest.progress import terminal_progress
    from shared.knowledge.names import check_name
    from shared.rag.assembly import build_providers, product_ingestor
    from shared.resources import open_resources

    paths = [Path(path) for path in args.paths] or [settings.knowledge_base_path]
    try:
        check_name("collection", args.collection)
        if args.category is not None:
            check_name("category", args.category)
    except ValueError as error:
        raise SystemExit(f"izana ingest: {error}") from error

    async def ingest() -> IngestReport:
        async with open_resources(settings) as resources:
            providers = build_providers(resources)
            progress = terminal_progress()
            ingestor = product_ingestor(
                resources, providers, args.collection, args.category, progress
            )
            return await (ingestor.delete(paths) if args.delete else ingestor.ingest(paths))

    report = asyncio.run(ingest())
    log.info(
        "knowledge base ingested",
        extra={"collection": report.collection, "kb_version": report.version,
               "files": len(report.files), "failed": len(report.failed)},
    )  # fmt: skip
    if report.failed:
        raise SystemExit(1)


def run_eval(settings: Settings, args: argparse.Namespace) -> None:
    """Index the corpus once (cached), run every query, write the run file, print latencies."""
    from shared.knowledge.ingest.progress import terminal_progress
    from shared.rag import evaluation
    from shared.resources import open_resources

    try:
        collection = evaluation.check_collection(args.index)
        queries = evaluation.read_queries(Path(args.queries))
    except (ValueError, OSError) as error:
        raise SystemExit(f"izana eval: {error}") from error

    async def evaluate() -> dict[str, object]:
        async with open_resources(settings) as resources:
            providers = evaluation.evaluation_providers(resources, collection)
            started = time.perf_counter()
            report = await evaluation.build_index(
                resources, providers, Path(args.corpus), collection, terminal_progress()
            )
            if report.failed:
                raise SystemExit(
                    f"izana eval: cannot index {args.corpus}: {report.failed[0].error}"
                )
            index_seconds = round(time.perf_counter() - started, 1)
            await providers.store.warm()  # loads the index and models before the clock starts
            config = evaluation.run_config(settings, args.top_k)
            results = [await evaluation.run_query(q, providers, config) for q in queries]
            evaluation.write_run(Path(args.out), results)
            return {
                "queries": len(results),
                "index": {"collection": collection, "seconds": index_seconds,
                          "files": [outcome.summary() for outcome in report.files]},
                "providers": providers.describe(),
                "latency_ms": evaluation.latency_summary(results),
            }  # fmt: skip

    print(json.dumps(asyncio.run(evaluate())), flush=True)


def run_dev(settings: Settings, args: argparse.Namespace) -> None:
    """Migrate, load the sample knowledge base, then run one API and one worker until Ctrl-C,
    restarting either when it dies."""
    run_migrate(settings, args)
    run_ingest(settings, parser().parse_args(["ingest"]))
    supervisor = Supervisor(
        {"api": ["api", "--host", args.host, "--port", str(args.port)], "worker": ["worker"]},
        dict(os.environ),
    )
    exit_on_sigterm()
    try:
        supervisor.start()
        _announce_when_ready(supervisor, f"http://{args.host}:{args.port}")
        supervisor.watch()
    except KeyboardInterrupt:
        pass
    finally:
        supervisor.stop(grace_seconds=settings.worker_shutdown_grace_seconds + 10)


def _announce_when_ready(supervisor: Supervisor, url: str) -> None:
    """Print the URL once /readyz answers 200 (a worker has loaded its models), or say why not."""
    print("\n  Starting the API and the worker (the worker loads its models first)…", flush=True)
    if wait_until_ready(supervisor, url, DEV_READY_SECONDS):
        print(f"\n  Izana is running: {url}  (API docs at /docs)")
    else:
        print(
            f"\n  Izana is not ready after {DEV_READY_SECONDS:.0f} s: {url}/readyz does not answer"
            " 200. The API and the worker keep running (and are restarted if they die); see"
            " the logs above and GET /readyz for the failing check."
        )
    print("  Press Ctrl-C to stop.\n", flush=True)


Command = Callable[[Settings, argparse.Namespace], None]
COMMANDS: dict[str, tuple[Command, str]] = {
    "dev": (run_dev, "migrate, load the knowledge base, run API + worker (embedded services)"),
    "api": (run_api, "run the HTTP API"),
    "worker": (run_worker, "run an ARQ worker"),
    "migrate": (run_migrate, "apply database migrations"),
    "ingest": (
        run_ingest,
        "ingest PDF, Markdown, text and QA-pair JSONL files into the knowledge base",
    ),
    "eval": (
        run_eval,
        "run the retrieval path over a queries file, in score_retrieval.py's format",
    ),
}


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="izana", description="Izana backend")
    commands = root.add_subparsers(dest="command", required=True)
    for name, (_, help_text) in COMMANDS.items():
        command = commands.add_parser(name, help=help_text)
        if name in {"dev", "api"}:
            command.add_argument("--host", default="127.0.0.1")
            command.add_argument("--port", type=int, default=8000)
        if name == "ingest":
            _ingest_arguments(command)
        if name == "eval":
            _eval_arguments(command)
    return root


def _ingest_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "paths", nargs="*", help="files or directories (default: KNOWLEDGE_BASE_PATH)"
    )
    command.add_argument("--delete", action="store_true", help="remove these files' passages")
    command.add_argument(
        "--collection", default="kb", help="the knowledge base to write (default kb)"
    )
    command.add_argument("--category", help="put every passage in this category (namespace)")


def _eval_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("--queries", required=True, help='JSONL of {"qid", "question"}')
    command.add_argument("--out", required=True, help='run file to write: {"qid", "ranked"} lines')
    command.add_argument("--index", default="medquad", help="evaluation collection name")
    command.add_argument("--corpus", default=str(DEFAULT_EVAL_CORPUS), help="corpus JSONL to index")
    command.add_argument("--top-k", type=int, default=10, help="ids per query (default 10)")


def main(argv: Sequence[str] | None = None) -> None:
    args = parser().parse_args(argv)
    settings = get_settings()
    configure_logging(settings.log_level)
    command, _ = COMMANDS[args.command]
    with embedded_services(settings) as urls:
        command(_with_urls(settings, urls), args)


if __name__ == "__main__":
    main()
