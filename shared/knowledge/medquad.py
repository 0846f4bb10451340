"""MedQuAD question-answer records (CC BY 4.0) turned into knowledge passages."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from shared.providers.vectorstore.base import Passage

# Third-party texts MedQuAD removed for copyright: never shipped or indexed by default.
EXCLUDED_SOURCES = frozenset(
    {"10_MPlus_ADAM_QA", "11_MPlusDrugs_QA", "12_MPlusHerbsSupplements_QA"}
)

PUBLISHERS = {
    "1_CancerGov_QA": "National Cancer Institute",
    "2_GARD_QA": "Genetic and Rare Diseases Information Center",
    "3_GHR_QA": "MedlinePlus Genetics",
    "4_MPlus_Health_Topics_QA": "MedlinePlus",
    "5_NIDDK_QA": "NIDDK",
    "6_NINDS_QA": "NINDS",
    "7_SeniorHealth_QA": "NIHSeniorHealth",
    "8_NHLBI_QA_XML": "NHLBI",
    "9_CDC_QA": "CDC",
}


def passage_from_medquad(entry: dict[str, str], category: str) -> Passage:
    return Passage(
        id=entry["id"],
        title=entry["focus"],
        question=entry["question"],
        body=entry["answer"],
        source=PUBLISHERS.get(entry["source"], entry["source"]),
        url=entry["url"],
        category=category,
        question_type=entry["qtype"],
    )


def read_medquad(corpus: Path, keep_ids: frozenset[str] | None, category: str) -> Iterator[Passage]:
    """Yield passages from a MedQuAD JSONL corpus, skipping the copyrighted subsets."""
    with corpus.open(encoding="utf-8") as lines:
        for line in lines:
            entry = json.loads(line)
            if entry["source"] in EXCLUDED_SOURCES:
                continue
            if keep_ids is None or entry["id"] in keep_ids:
                yield passage_from_medquad(entry, category)


def write_passages(path: Path, passages: Iterable[Passage]) -> int:
    """One JSON object per line, as `data/knowledge_base/*.jsonl` ships them."""
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for passage in passages:
            out.write(json.dumps(passage.content(), ensure_ascii=False, separators=(",", ":")))
            out.write("\n")
            count += 1
    return count
