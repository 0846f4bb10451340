"""Build shared/knowledge/medical_words.txt: the words of MedQuAD's answers (CC BY 4.0), less the
commonest ones, each with how many passages use it and how common it is in general English
(wordfreq's Zipf frequency), which grounding uses to tell the specific words a question asks
about (shared/rag/grounding.py).

Usage: python scripts/build_medical_words.py ../shared/datasets/medquad
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from wordfreq import zipf_frequency

from shared.knowledge.focus import tokens
from shared.knowledge.medquad import read_medquad
from shared.knowledge.vocabulary import MEDICAL_WORDS_PATH

# Words in more passages than this share say nothing specific ("may", "disease", "gene").
MAX_PASSAGE_SHARE = 0.2
HEADER = """# Words of MedQuAD's question-answer pairs (the subsets it publishes under CC BY 4.0),
# as shared/knowledge/focus.py:tokens spells them, in at most 20 % of its passages: each with the
# number of passages that use it (of {passages}) and its Zipf frequency in English (log10 of its
# uses per billion words; 0: rarer than once per billion). Written by
# scripts/build_medical_words.py.
# MedQuAD: https://github.com/abachaa/MedQuAD (commit 577bd37b), CC BY 4.0
# (https://creativecommons.org/licenses/by/4.0/). Cite: Asma Ben Abacha and Dina
# Demner-Fushman. A Question-Entailment Approach to Question Answering. BMC Bioinformatics
# 20(1):511, 2019.
# Zipf frequencies: wordfreq 3.1 (https://github.com/rspeer/wordfreq), its data CC BY-SA 4.0
# (https://creativecommons.org/licenses/by-sa/4.0/); this file, derived from it, is shared
# under CC BY-SA 4.0 too. Cite: Robyn Speer. rspeer/wordfreq: v3.0 (2022), Zenodo,
# https://doi.org/10.5281/zenodo.7199437.
"""


def main(medquad_dir: Path) -> None:
    passages = 0
    counts: Counter[str] = Counter()
    for passage in read_medquad(medquad_dir / "corpus.jsonl", None, category="all"):
        passages += 1
        counts.update(set(tokens(f"{passage.title} {passage.question} {passage.body}")))
    words = sorted(
        (word, count)
        for word, count in counts.items()
        if count <= MAX_PASSAGE_SHARE * passages and len(word) > 2 and not word.isdigit()
    )
    lines = [f"{word} {count} {zipf_frequency(word, 'en'):.2f}" for word, count in words]
    header = HEADER.format(passages=passages)
    MEDICAL_WORDS_PATH.write_text(header + "\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(words)} words of {passages} passages to {MEDICAL_WORDS_PATH}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/datasets/medquad"))
