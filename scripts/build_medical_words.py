"""Build shared/knowledge/medical_words.txt: the words of MedQuAD's answers (CC BY 4.0), less the
commonest ones, which grounding takes for the words a question can ask about
(shared/rag/grounding.py).

Usage: python scripts/build_medical_words.py ../shared/datasets/medquad
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from shared.knowledge.focus import tokens
from shared.knowledge.medquad import read_medquad
from shared.knowledge.vocabulary import MEDICAL_WORDS_PATH

# Words in more passages than this share say nothing specific ("may", "disease", "gene").
MAX_PASSAGE_SHARE = 0.2
HEADER = """# Words of MedQuAD's question-answer pairs (the subsets it publishes under CC BY 4.0),
# as shared/knowledge/focus.py:tokens spells them, in at most 20 % of its passages; written by
# scripts/build_medical_words.py. Source: https://github.com/abachaa/MedQuAD (commit 577bd37b),
# CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/). Cite: Asma Ben Abacha and Dina
# Demner-Fushman. A Question-Entailment Approach to Question Answering. BMC Bioinformatics
# 20(1):511, 2019.
"""


def main(medquad_dir: Path) -> None:
    passages = 0
    counts: Counter[str] = Counter()
    for passage in read_medquad(medquad_dir / "corpus.jsonl", None, category="all"):
        passages += 1
        counts.update(set(tokens(f"{passage.title} {passage.question} {passage.body}")))
    words = sorted(
        word
        for word, count in counts.items()
        if count <= MAX_PASSAGE_SHARE * passages and len(word) > 2 and not word.isdigit()
    )
    MEDICAL_WORDS_PATH.write_text(HEADER + "\n".join(words) + "\n", encoding="utf-8")
    print(f"wrote {len(words)} words of {passages} passages to {MEDICAL_WORDS_PATH}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/datasets/medquad"))
