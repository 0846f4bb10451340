"""`scripts/bench.py bloodwork-accuracy`: how well the offline reader reads lab reports it has
never seen, by each axis of their layout.

`--reports` seeded reports of tests/lab_generator.py (each axis of how labs print results varied
independently) are read as a worker reads an upload: the PDF's text (`read_pages`, through OCR
for a scan) and then the offline reader. Each report is also scanned (`--scanned` of them):
its pages rendered to images at 200 dpi, slightly rotated, blurred and noised, and saved as an
image-only PDF. Precision and recall are given for the value (in the canonical unit, within
0.5 %), the unit, the reference range, the flag and the list of missing key markers, overall
and by axis value.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from bench.report import BENCHMARKS_DIR, machine, markdown_table, measured_run, publish
from shared.bloodwork.extraction import read_offline, read_pages
from shared.bloodwork.models import Marker
from shared.bloodwork.ocr import ocr_available
from shared.bloodwork.parser import missing_key_markers
from shared.bloodwork.reports import Outcome
from tests.lab_generator import AXES, GeneratedReport, TrueMarker, generate

FIELDS = ("value", "unit", "range", "flag", "missing")
TARGETS = {
    "digital": {"value": 0.99, "unit": 0.99, "flag": 0.99, "range": 0.97},
    "scanned": {"value": 0.9},
}
PRECISION_TARGETS = {"digital": 0.99, "scanned": 0.98}
RELATIVE_TOLERANCE = 0.005
SCAN_DPI = 200


@dataclass
class Counts:
    """Per field: correct readings, readings given, readings the truth holds."""

    correct: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    given: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    expected: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, other: Counts) -> None:
        for mine, theirs in (
            (self.correct, other.correct),
            (self.given, other.given),
            (self.expected, other.expected),
        ):
            for name, count in theirs.items():
                mine[name] += count

    def scores(self) -> dict[str, dict[str, float | None]]:
        return {
            name: {
                "precision": _share(self.correct[name], self.given[name]),
                "recall": _share(self.correct[name], self.expected[name]),
            }
            for name in FIELDS
        }


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _close(read: float | None, true: float | None) -> bool:
    if read is None or true is None:
        return read is None and true is None
    return abs(read - true) <= max(RELATIVE_TOLERANCE * abs(true), 1e-9)


def compared(report: GeneratedReport, markers: Sequence[Marker]) -> Counts:
    """What the reader got right of one report."""
    counts = Counts()
    read = {marker.canonical_name: marker for marker in reversed(markers)}  # the first of a name
    truth = {marker.canonical: marker for marker in report.truth}
    for marker in read.values():
        counts.given["value"] += 1
        counts.given["unit"] += 1
        counts.given["range"] += marker.reference_range is not None
        counts.given["flag"] += marker.flag is not None
    for true in truth.values():
        counts.expected["value"] += 1
        counts.expected["unit"] += 1
        counts.expected["range"] += true.low is not None or true.high is not None
        counts.expected["flag"] += true.flag is not None
        if (found := read.get(true.canonical)) is not None:
            _score_marker(counts, found, true)
    missing_read = set(missing_key_markers(list(markers)))
    counts.given["missing"] += len(missing_read)
    counts.expected["missing"] += len(report.missing)
    counts.correct["missing"] += len(missing_read & set(report.missing))
    return counts


def _score_marker(counts: Counts, marker: Marker, true: TrueMarker) -> None:
    unit_right = not marker.unit_unknown and marker.unit == true.unit
    counts.correct["unit"] += unit_right
    counts.correct["value"] += unit_right and _close(marker.value, true.value)
    counts.correct["flag"] += true.flag is not None and marker.flag == true.flag
    printed = marker.reference_range
    counts.correct["range"] += (
        printed is not None
        and unit_right
        and _close(printed.low, true.low)
        and _close(printed.high, true.high)
    )


def read_report(pdf: bytes) -> list[Marker]:
    """The markers a worker's offline reader finds in an upload."""
    report = read_pages(pdf)
    return [] if isinstance(report, Outcome) else read_offline(report)


def _measure(seed_and_kind: tuple[int, str]) -> tuple[int, str, Counts]:
    seed, kind = seed_and_kind
    report = generate(seed)
    pdf = report.pdf() if kind == "digital" else report.scan(SCAN_DPI)
    return seed, kind, compared(report, read_report(pdf))


def measured(jobs: Iterable[tuple[int, str]], processes: int) -> dict[str, Any]:
    """Counts overall and by axis value, for each kind of report."""
    overall: dict[str, Counts] = defaultdict(Counts)
    by_axis: dict[str, dict[str, dict[str, Counts]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(Counts))
    )
    with ProcessPoolExecutor(processes) as pool:
        for seed, kind, counts in pool.map(_measure, jobs, chunksize=4):
            overall[kind].add(counts)
            for axis, value in generate(seed).axes.items():
                by_axis[kind][axis][value].add(counts)
    return {
        kind: {
            "reports": None,
            "overall": counts.scores(),
            "by_axis": {
                axis: {value: by_axis[kind][axis][value].scores() for value in AXES[axis]}
                for axis in AXES
            },
        }
        for kind, counts in overall.items()
    }


def run(reports: int, scans: int, processes: int) -> dict[str, Any]:
    jobs = [(seed, "digital") for seed in range(reports)]
    scan = ocr_available()
    if scan:
        jobs += [(seed, "scanned") for seed in range(scans)]
    with measured_run() as timing:
        results = measured(jobs, processes)
    results["digital"]["reports"] = reports
    if scan:
        results["scanned"]["reports"] = scans
    return {"machine": machine(), "run": timing, "ocr": scan, **results}


def markdown(report: dict[str, Any]) -> str:
    kinds = [kind for kind in ("digital", "scanned") if kind in report]
    parts = [
        "# Reading generated lab reports\n\n",
        f"Measured {report['machine']['measured_at']} by `python scripts/bench.py "
        f"bloodwork-accuracy` in {report['run']['seconds']} s. "
        + ", ".join(f"{report[kind]['reports']} {kind} reports" for kind in kinds)
        + " from `tests/lab_generator.py` (seeds 0 onward), read by the offline reader as a "
        "worker reads an upload"
        + ("" if report["ocr"] else "; Tesseract is not installed here, so no scanned reports")
        + ".\n",
    ]
    for kind in kinds:
        parts.append(f"\n## {kind.capitalize()} reports\n\n{_overall_table(report, kind)}\n")
        parts.append(f"\nBy axis value (value recall, unit, range and flag recall):\n\n"
                     f"{_axis_table(report, kind)}\n")  # fmt: skip
    return "".join(parts) + _HOW


def _overall_table(report: dict[str, Any], kind: str) -> str:
    rows = []
    for name in FIELDS:
        scores = report[kind]["overall"][name]
        target = TARGETS.get(kind, {}).get(name)
        rows.append(
            [
                name,
                scores["precision"],
                scores["recall"],
                "-" if target is None else f"R ≥ {target}",
            ]
        )
    return markdown_table(["field", "precision", "recall", "target"], rows)


def _axis_table(report: dict[str, Any], kind: str) -> str:
    rows = []
    for axis, values in report[kind]["by_axis"].items():
        for value, scores in values.items():
            rows.append(
                [axis, value]
                + [scores[name]["recall"] for name in ("value", "unit", "range", "flag")]
                + [scores["value"]["precision"]]
            )
    return markdown_table(
        ["axis", "value", "value R", "unit R", "range R", "flag R", "value P"], rows
    )


_HOW = """
## How it is measured

- A reading is right when its marker is the printed one (by canonical name) and its value, or
  range bounds, equal the truth's in the canonical unit within 0.5 %; a unit is right when it is
  the canonical unit (a unit the reader could not convert counts as wrong). Precision divides
  the right readings by those given (a result outside the fertility panel taken for a marker
  counts against it); recall divides them by those printed.
- *missing*: the key markers (FSH, AMH, LH, estradiol, TSH, prolactin) the report lacks, as the
  reader lists them.
- Scanned reports: each page rendered at 200 dpi, rotated by up to 1.2°, blurred and noised
  (all seeded by the report's seed, so a run repeats), saved as an image-only PDF, then read
  through Tesseract (shared/bloodwork/ocr.py) as an upload would be.
"""


def plot(report: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    kinds = [kind for kind in ("digital", "scanned") if kind in report]
    figure, axes = plt.subplots(1, len(kinds), figsize=(5 * len(kinds), 3.5), squeeze=False)
    for axis, kind in zip(axes[0], kinds, strict=True):
        overall = report[kind]["overall"]
        positions = range(len(FIELDS))
        axis.bar(
            [p - 0.2 for p in positions],
            [overall[f]["precision"] or 0 for f in FIELDS],
            0.4,
            label="precision",
        )
        axis.bar(
            [p + 0.2 for p in positions],
            [overall[f]["recall"] or 0 for f in FIELDS],
            0.4,
            label="recall",
        )
        axis.set_xticks(list(positions), FIELDS)
        axis.set_ylim(0, 1.05)
        axis.set_title(f"{kind} ({report[kind]['reports']} reports)")
        axis.legend(loc="lower left")
    figure.tight_layout()
    figure.savefig(BENCHMARKS_DIR / "bloodwork-accuracy.png", dpi=120)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--reports", type=int, default=300, help="digital reports")
    parser.add_argument("--scanned", type=int, default=60, help="scanned reports")
    parser.add_argument("--processes", type=int, default=2)


def run_from_args(args: argparse.Namespace) -> str:
    report = run(args.reports, args.scanned, args.processes)
    text = markdown(report)
    publish("bloodwork-accuracy", report, text)
    plot(report)
    return text
