"""The LLM path of `bloodwork.extract` against the provider emulator: validated JSON, one repair
request, the offline parser after two invalid replies, `failed` when the provider is down, and
generated reports read by the model with a value the offline reader disputes marked for the
user's confirmation.

The emulator's `json_reply` setting makes its JSON-mode answers the markers given here.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from emulator import RunningEmulator
from shared.bloodwork.extraction import EXTRACTION_UNAVAILABLE
from shared.bloodwork.llm_extraction import ModelLabExtractor, lab_extractor
from shared.bloodwork.parser import extract_text, parse_markers
from shared.resources import Resources
from tests.contract.providers import emulated
from tests.contract.test_provider_adapters import outcomes, seed_drawing
from tests.integration.test_bloodwork_extraction import SAMPLE, read, reloaded, stored_report
from tests.lab_generator import GeneratedReport, Printed, generate

pytestmark = pytest.mark.contract

OFFLINE = [m.model_dump(mode="json") for m in parse_markers("\n".join(extract_text(SAMPLE)))]


def printed(marker: dict[str, Any]) -> dict[str, Any]:
    """A marker as a model reads it off the page: reported value and unit, printed range."""
    reference_range = marker["reference_range"]
    if reference_range is not None:
        low, high = _printed_bounds(reference_range["text"])
        reference_range = {"low": low, "high": high, "text": reference_range["text"]}
    return {
        "name": marker["name"],
        "value": marker["reported_value"],
        "unit": marker["reported_unit"],
        "reference_range": reference_range,
    }


def _printed_bounds(text: str) -> tuple[float | None, float | None]:
    if text.startswith("<") or text.startswith("up to"):
        return None, float(text.split()[-1])
    if text.startswith(">"):
        return float(text.split()[-1]), None
    low, high = text.split("-")
    return float(low), float(high)


# What a model reads off the sample: every marker as printed, plus one the product does not
# read for (dropped) and one with a unit spelled differently (unified).
MODEL_READING = {
    "markers": [
        *(printed(marker) for marker in OFFLINE),
        {"name": "Glucose", "value": 92, "unit": "mg/dL", "reference_range": None},
        {
            "name": "Prolactina",
            "value": 636,
            "unit": "uIU/ml",
            "reference_range": {"low": 102, "high": 496, "text": "102 - 496"},
        },
    ]
}


async def extractor(emulator: RunningEmulator, resources: Resources) -> ModelLabExtractor:
    found = lab_extractor(emulated(emulator, resources), resources.redis)
    assert found is not None
    return found


async def test_the_models_markers_are_canonicalised_like_the_parsers(
    emulator: RunningEmulator, resources: Resources
) -> None:
    await emulator.configure(json_reply=MODEL_READING)
    report_id = await stored_report(resources, SAMPLE)
    reader = await extractor(emulator, resources)
    assert reader.name == "groq:llama-3.1-8b-instant → openai:gpt-4o-mini"
    status = await read(resources, report_id, reader)
    assert status == "ready"
    report = await reloaded(resources, report_id)
    *same_as_offline, prolactin = report.markers
    assert same_as_offline == OFFLINE  # same facts, same markers, whichever path read them
    amh = next(m for m in report.markers if m["canonical_name"] == "AMH")
    assert (amh["unit"], amh["reported_unit"], amh["flag"]) == ("ng/mL", "pmol/L", "high")
    assert prolactin["canonical_name"] == "Prolactin" and prolactin["unit"] == "ng/mL"
    assert prolactin["value"] == pytest.approx(30.0) and prolactin["flag"] == "high"
    assert "Prolactin" not in report.missing_markers and "Estradiol" in report.missing_markers
    assert await outcomes(emulator) == {"ok": 1}


async def test_an_invalid_reply_gets_one_repair_request(
    emulator: RunningEmulator, resources: Resources
) -> None:
    seed = seed_drawing(first_below=True, second_below=False, rate=0.5)
    await emulator.configure(json_reply=MODEL_READING, rate_invalid_json=0.5, seed=seed)
    await emulator.reset()
    report_id = await stored_report(resources, SAMPLE)
    reader = await extractor(emulator, resources)
    assert await read(resources, report_id, reader) == "ready"
    assert (await reloaded(resources, report_id)).markers[: len(OFFLINE)] == OFFLINE
    assert await outcomes(emulator) == {"invalid_json": 1, "ok": 1}


async def test_a_reply_in_the_wrong_shape_is_repaired_too(
    emulator: RunningEmulator, resources: Resources
) -> None:
    # The default JSON-mode answer is the review object: valid JSON, not the markers' schema.
    report_id = await stored_report(resources, SAMPLE)
    reader = await extractor(emulator, resources)
    assert await read(resources, report_id, reader) == "ready"
    assert (await reloaded(resources, report_id)).markers == OFFLINE  # the parser's
    assert await outcomes(emulator) == {"ok": 2}  # the reply and its repair, both refused


async def test_invalid_twice_falls_back_to_the_offline_parser(
    emulator: RunningEmulator, resources: Resources, caplog: pytest.LogCaptureFixture
) -> None:
    await emulator.configure(json_reply=MODEL_READING, rate_invalid_json=1.0)
    report_id = await stored_report(resources, SAMPLE)
    reader = await extractor(emulator, resources)
    assert await read(resources, report_id, reader) == "ready"
    assert (await reloaded(resources, report_id)).markers == OFFLINE
    assert await outcomes(emulator) == {"invalid_json": 2}
    assert "offline parser" in caplog.text
    assert "5.4" not in caplog.text and "pmol" not in caplog.text  # no lab values logged


async def test_a_provider_down_for_good_fails_the_report_after_retries(
    emulator: RunningEmulator, resources: Resources, caplog: pytest.LogCaptureFixture
) -> None:
    await emulator.configure(rate_500=1.0)
    settings = emulated(
        emulator, resources, provider_max_attempts=2, provider_backoff_max_seconds=0.01
    )
    reader = lab_extractor(settings, resources.redis)
    assert reader is not None
    report_id = await stored_report(resources, SAMPLE)
    assert await read(resources, report_id, reader) == "failed"
    report = await reloaded(resources, report_id)
    assert report.error == EXTRACTION_UNAVAILABLE and report.markers == []
    assert report.pdf is None
    # Two attempts on each of the chain's two models (Groq 8b, then OpenAI), then no more.
    assert await outcomes(emulator) == {"500": 4}
    assert "5.4" not in caplog.text


async def test_without_a_chat_model_the_offline_parser_reads_the_report(
    emulator: RunningEmulator, resources: Resources
) -> None:
    settings = emulated(emulator, resources, groq_api_key=None, openai_api_key=None)
    assert lab_extractor(settings, resources.redis) is None
    report_id = await stored_report(resources, SAMPLE)
    reader = lab_extractor(settings, resources.redis)
    assert await read(resources, report_id, reader) == "ready"
    assert (await reloaded(resources, report_id)).markers == OFFLINE
    assert await outcomes(emulator) == {}  # the emulator was never asked


def model_reading(report: GeneratedReport) -> dict[str, Any]:
    """What a model reads off a generated report: each fertility result as printed."""
    return {"markers": [_as_read(printed) for printed in report.printed]}


def _as_read(printed: Printed) -> dict[str, Any]:
    numbers = [
        float(n.replace(",", ".")) for n in re.findall(r"\d+(?:[.,]\d+)?", printed.reference)
    ]
    low, high = (
        (None, numbers[0])
        if "<" in printed.reference
        else ((numbers[0], None) if ">" in printed.reference else (numbers[0], numbers[1]))
    )
    return {
        "name": printed.label,
        "value": float(printed.value.replace(",", ".")),
        "unit": printed.unit,
        "reference_range": {"low": low, "high": high, "text": printed.reference},
    }


@pytest.mark.parametrize("seed", [2, 7, 12])
async def test_the_model_reads_generated_reports_and_a_disputed_value_is_marked(
    emulator: RunningEmulator, resources: Resources, seed: int
) -> None:
    report = generate(seed)
    reading = model_reading(report)
    disputed = report.truth[0].canonical
    reading["markers"][0]["value"] *= 10  # a decimal point the model missed
    await emulator.configure(json_reply=reading)
    report_id = await stored_report(resources, report.pdf())
    assert await read(resources, report_id, await extractor(emulator, resources)) == "ready"
    markers = {m["canonical_name"]: m for m in (await reloaded(resources, report_id)).markers}
    assert set(markers) == {truth.canonical for truth in report.truth}
    for truth in report.truth:
        marker = markers[truth.canonical]
        if truth.canonical == disputed:
            assert marker["needs_confirmation"] and marker["value"] != pytest.approx(truth.value)
            assert marker["other_value"] == pytest.approx(truth.value, rel=0.005)
        else:
            assert not marker["needs_confirmation"] and marker["other_value"] is None
            assert marker["value"] == pytest.approx(truth.value, rel=0.005)
            assert marker["unit"] == truth.unit and marker["flag"] == truth.flag
    assert await outcomes(emulator) == {"ok": 1}
