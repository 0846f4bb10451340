"""MedQuAD question-answer records (CC BY 4.0) turned into knowledge passages."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from pydantic import BaseModel

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


class PassageRecord(BaseModel):
    """A knowledge passage as stored and shipped in `data/knowledge_base/*.jsonl`."""

    id: str
    title: str
    question: str
    body: str
    source: str
    url: str
    category: str
    question_type: str


def passage_from_medquad(entry: dict[str, str], category: str) -> PassageRecord:
    return PassageRecord(
        id=entry["id"],
        title=entry["focus"],
        question=entry["question"],
        body=entry["answer"],
        source=PUBLISHERS.get(entry["source"], entry["source"]),
        url=entry["url"],
        category=category,
        question_type=entry["qtype"],
    )


def read_medquad(
    corpus: Path, keep_ids: frozenset[str] | None, category: str
) -> Iterator[PassageRecord]:
    """Yield passages from a MedQuAD JSONL corpus, skipping the copyrighted subsets."""
    with corpus.open(encoding="utf-8") as lines:
        for line in lines:
            entry = json.loads(line)
            if entry["source"] in EXCLUDED_SOURCES:
                continue
            if keep_ids is None or entry["id"] in keep_ids:
                yield passage_from_medquad(entry, category)


def read_passages(path: Path) -> Iterator[PassageRecord]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield PassageRecord.model_validate_json(line)


def write_passages(path: Path, passages: Iterable[PassageRecord]) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for passage in passages:
            out.write(passage.model_dump_json() + "\n")
            count += 1
    return count
