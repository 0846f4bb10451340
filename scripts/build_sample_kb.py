"""Build data/knowledge_base/medquad_fertility.jsonl from the MedQuAD corpus (CC BY 4.0).

Usage: python scripts/build_sample_kb.py ../shared/datasets/medquad
"""

from __future__ import annotations

import sys
from pathlib import Path

from shared.knowledge.medquad import read_medquad, write_passages

OUTPUT = (
    Path(__file__).resolve().parent.parent / "data" / "knowledge_base" / "medquad_fertility.jsonl"
)


def main(medquad_dir: Path) -> None:
    keep = frozenset((medquad_dir / "fertility_ids.txt").read_text().split())
    passages = read_medquad(medquad_dir / "corpus.jsonl", keep, category="reproductive-health")
    count = write_passages(OUTPUT, passages)
    print(f"wrote {count} passages to {OUTPUT}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/datasets/medquad"))
