"""Write the synthetic lab reports to data/samples/: <name>.pdf and its ground truth <name>.json.

Usage, from the repository root: .venv/bin/python -m scripts.make_lab_samples
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.lab_reports import SAMPLES

OUTPUT = Path(__file__).resolve().parent.parent / "data" / "samples"


def main() -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    for report in SAMPLES:
        (OUTPUT / f"{report.name}.pdf").write_bytes(report.pdf())
        truth = json.dumps(report.ground_truth(), indent=2, ensure_ascii=False)
        (OUTPUT / f"{report.name}.json").write_text(truth + "\n", encoding="utf-8")
        print(f"wrote {report.name}.pdf and .json ({report.layout}, {len(report.results)} markers)")


if __name__ == "__main__":
    main()
