"""GOLD_SIMILARITY_THRESHOLD is what the labelled pairs choose for the default offline embedder,
and with the guard it answers none of their near-misses (docs/benchmarks/gold.md)."""

from __future__ import annotations

import pytest

from bench.gold import load_pairs, lowest_safe_threshold, outcome, score
from shared.config import Settings
from shared.providers.embeddings.local_e5 import LocalE5Embedder

pytestmark = pytest.mark.integration

MIN_RECALL = 0.7  # of the labelled paraphrases, at the default threshold with the guard


async def test_the_default_threshold_answers_no_labelled_near_miss() -> None:
    scored = await score(load_pairs(), LocalE5Embedder())
    default = Settings.model_fields["gold_similarity_threshold"].default
    assert lowest_safe_threshold(scored, guarded=True) == default
    guarded = outcome(scored, default, guarded=True)
    assert guarded.false_hits == 0 and guarded.recall >= MIN_RECALL
    assert outcome(scored, default, guarded=False).false_hits > 0  # the guard is what stops them
