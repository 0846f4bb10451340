"""Mutated and hostile PDFs through the real upload → worker path: never a 5xx, never a report
left pending, never a dead worker.

The general limit counts requests per client IP, so the fuzz clients connect from several
loopback addresses (127.0.0.2…): the API sees each as its own client, and the other e2e tests'
budget on 127.0.0.1 is left alone. Each upload gets its own session (one pending report and 10
uploads an hour per session).
"""

from __future__ import annotations

import asyncio
import io
import random
import time
import zlib
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pypdf import PdfWriter
from pypdf.generic import EncodedStreamObject, NameObject

from tests.constants import ROOT
from tests.e2e.client import new_session

pytestmark = pytest.mark.e2e

SAMPLES = [path.read_bytes() for path in sorted((ROOT / "data" / "samples").glob("*.pdf"))]
SEED = 20261126
MUTANTS = 220
CONCURRENCY = 8
CLIENT_ADDRESSES = [f"127.0.0.{host}" for host in range(2, 10)]
POLL_SECONDS = 0.2
SETTLE_SECONDS = 45.0  # the longest any accepted report may stay queued or processing
TERMINAL = {"ready", "failed", "needs_ocr"}
PENDING = {"queued", "processing"}


# --- mutations ------------------------------------------------------------------------------


def flip_bytes(rng: random.Random, pdf: bytes) -> bytes:
    data = bytearray(pdf)
    for _ in range(rng.randint(1, 64)):
        data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data)


def truncate(rng: random.Random, pdf: bytes) -> bytes:
    return pdf[: rng.randrange(1, len(pdf))]


def duplicate_range(rng: random.Random, pdf: bytes) -> bytes:
    start = rng.randrange(len(pdf))
    end = min(len(pdf), start + rng.randint(1, 4096))
    at = rng.randrange(len(pdf))
    return pdf[:at] + pdf[start:end] + pdf[at:]


def delete_range(rng: random.Random, pdf: bytes) -> bytes:
    start = rng.randrange(len(pdf))
    return pdf[:start] + pdf[start + rng.randint(1, 4096) :]


def splice(rng: random.Random, pdf: bytes) -> bytes:
    other = rng.choice(SAMPLES)
    return pdf[: rng.randrange(len(pdf))] + other[rng.randrange(len(other)) :]


def corrupt_xref(rng: random.Random, pdf: bytes) -> bytes:
    """Damage the cross-reference table, the trailer or the startxref offset."""
    anchor = rng.choice([b"xref", b"trailer", b"startxref", b"/Root", b"/Size"])
    at = pdf.rfind(anchor)
    if at < 0:
        return flip_bytes(rng, pdf)
    data = bytearray(pdf)
    for _ in range(rng.randint(1, 12)):
        where = min(len(data) - 1, at + rng.randrange(64))
        data[where] = rng.choice(b"0123456789 xX/<>[]\n")
    return bytes(data)


def insert_garbage_stream(rng: random.Random, pdf: bytes) -> bytes:
    """A stream object of random bytes (sometimes claiming FlateDecode) before the xref."""
    body = rng.randbytes(rng.randint(1, 8192))
    flate = b"/Filter /FlateDecode " if rng.random() < 0.5 else b""
    length = len(body) + rng.choice([0, 0, -7, 13, 10**9])
    garbage = b"9999 0 obj\n<< " + flate + b"/Length %d >>\nstream\n" % length
    garbage += body + b"\nendstream\nendobj\n"
    at = pdf.rfind(b"xref")
    at = at if at > 0 and rng.random() < 0.7 else rng.randrange(len(pdf))
    return pdf[:at] + garbage + pdf[at:]


MUTATIONS: list[Callable[[random.Random, bytes], bytes]] = [
    flip_bytes,
    truncate,
    duplicate_range,
    delete_range,
    splice,
    corrupt_xref,
    insert_garbage_stream,
]


def mutants(count: int, seed: int) -> list[tuple[str, bytes]]:
    """`count` mutants, each one to three mutations of a sample, named for the failure report."""
    rng = random.Random(seed)
    made = []
    for index in range(count):
        pdf = rng.choice(SAMPLES)
        steps = [rng.choice(MUTATIONS) for _ in range(rng.randint(1, 3))]
        for step in steps:
            pdf = step(rng, pdf) or pdf[:1]
        made.append((f"#{index} {'+'.join(step.__name__ for step in steps)}", pdf))
    return made


# --- bombs ----------------------------------------------------------------------------------


def written(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def many_pages(pages: int) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(72, 72)
    return written(writer)


def repeated_kids(count: int) -> bytes:
    """A page tree of `count` kids, all the same page object: millions of pages, cheaply."""
    pdf = many_pages(1)
    kids = b"/Count 1\n/Kids [ 4 0 R ]"
    assert kids in pdf
    return pdf.replace(kids, b"/Count %d\n/Kids [ %s]" % (count, b"4 0 R " * count), 1)


def decompression_bomb(megabytes: int) -> bytes:
    """One page whose FlateDecode content stream inflates to `megabytes` MB of spaces."""
    writer = PdfWriter()
    page = writer.add_blank_page(612, 792)
    stream = EncodedStreamObject()
    stream._data = zlib.compress(b"BT (x) Tj ET" + b" " * (megabytes * 1_000_000), 9)
    stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    page[NameObject("/Contents")] = writer._add_object(stream)
    return written(writer)


# --- the client -----------------------------------------------------------------------------


def clients() -> list[httpx.AsyncClient]:
    return [
        httpx.AsyncClient(
            transport=httpx.AsyncHTTPTransport(local_address=address),
            timeout=httpx.Timeout(30.0),
        )
        for address in CLIENT_ADDRESSES
    ]


async def send(client: httpx.AsyncClient, api: str, pdf: bytes) -> dict[str, Any]:
    """Upload `pdf` on a new session and, when accepted, poll its report until it ends."""
    auth = await new_session(client, api)
    files = {"file": ("report.pdf", pdf, "application/pdf")}
    response = await client.post(f"{api}/v1/bloodwork", files=files, headers=auth)
    outcome: dict[str, Any] = {"upload": response.status_code, "body": _json(response)}
    if response.status_code != 202:
        return outcome
    url = f"{api}{response.json()['status_url']}"
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        polled = await client.get(url, headers=auth)
        outcome.update(poll=polled.status_code, body=_json(polled))
        if polled.status_code != 200 or polled.json()["status"] not in PENDING:
            return outcome
        if time.monotonic() > deadline:
            return outcome
        await asyncio.sleep(POLL_SECONDS)


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text[:200]


def problems(name: str, outcome: dict[str, Any]) -> list[str]:
    upload, body = outcome["upload"], outcome["body"]
    if upload >= 500:
        return [f"{name}: upload answered {upload} {body}"]
    if upload == 202:
        if outcome.get("poll") != 200:
            return [f"{name}: poll answered {outcome.get('poll')} {body}"]
        if body["status"] not in TERMINAL:
            return [f"{name}: report left {body['status']}"]
        return []
    error = body.get("error") if isinstance(body, dict) else None
    if not (400 <= upload < 500 and isinstance(error, dict) and {"code", "message"} <= set(error)):
        return [f"{name}: refused with {upload} {body}"]
    return []


async def send_all(api: str, named: list[tuple[str, bytes]]) -> list[dict[str, Any]]:
    gate = asyncio.Semaphore(CONCURRENCY)
    pool = clients()

    async def one(index: int, pdf: bytes) -> dict[str, Any]:
        async with gate:
            return await send(pool[index % len(pool)], api, pdf)

    try:
        return await asyncio.gather(*(one(i, pdf) for i, (_, pdf) in enumerate(named)))
    finally:
        for client in pool:
            await client.aclose()


async def assert_worker_alive(api: str) -> None:
    """A fresh, valid sample is still read to the end after the hostile ones."""
    [outcome] = await send_all(api, [("valid", SAMPLES[0])])
    assert outcome["upload"] == 202, outcome
    assert outcome["body"]["status"] == "ready" and outcome["body"]["markers"], outcome


# --- tests ----------------------------------------------------------------------------------


async def test_mutated_pdfs_never_give_a_5xx_nor_a_stuck_report(api: str) -> None:
    named = mutants(MUTANTS, SEED)
    started = time.monotonic()
    outcomes = await send_all(api, named)
    found = [
        p
        for (name, _), outcome in zip(named, outcomes, strict=True)
        for p in problems(name, outcome)
    ]
    assert not found, "\n".join(found)
    uploads = [outcome["upload"] for outcome in outcomes]
    assert len(uploads) >= 200 and not any(status >= 500 for status in uploads)
    # With this seed about 60 mutants pass the upload checks and reach the worker.
    assert uploads.count(202) >= 40, uploads
    assert time.monotonic() - started < 90
    await assert_worker_alive(api)


BOMB_PAGES = {
    "five_thousand_pages": many_pages(5_000),
    "four_hundred_thousand_kids": repeated_kids(400_000),
}


@pytest.mark.parametrize("case", BOMB_PAGES)
async def test_a_huge_page_tree_is_refused_quickly(api: str, case: str) -> None:
    started = time.monotonic()
    [outcome] = await send_all(api, [(case, BOMB_PAGES[case])])
    assert time.monotonic() - started < 10
    assert not problems(case, outcome), outcome
    assert 400 <= outcome["upload"] < 500, outcome


@pytest.mark.parametrize("megabytes", [300, 60])
async def test_a_decompression_bomb_ends_without_harm(api: str, megabytes: int) -> None:
    """300 MB passes pypdf's 75 MB inflate cap and fails; 60 MB inflates and reads no text."""
    bomb = decompression_bomb(megabytes)
    assert len(bomb) < 1_000_000
    started = time.monotonic()
    [outcome] = await send_all(api, [(f"{megabytes} MB bomb", bomb)])
    assert time.monotonic() - started < SETTLE_SECONDS
    assert not problems("bomb", outcome), outcome
    if outcome["upload"] == 202:
        assert (
            outcome["body"]["status"] in {"failed", "needs_ocr"} or not outcome["body"]["markers"]
        )
    await assert_worker_alive(api)
