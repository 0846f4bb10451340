"""Sort a text into a knowledge category (a Pinecone namespace) by the terms it uses."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

DEFAULT_CATEGORY = "general"

# Category slug -> patterns, in order of preference: a tie goes to the earlier category.
CATEGORIES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "fertility-treatment": (
            r"\bivf\b", r"\bin[\s-]vitro\b", r"\biuis?\b", r"\binseminations?\b",
            r"\begg[\s-]freezing\b", r"\bembryos?\b", r"\bicsi\b", r"\bovarian\s+stimulation\b",
            r"\bclomiphene\b", r"\bletrozole\b", r"\bgonadotroph?ins?\b",
        ),
        "reproductive-conditions": (
            r"\bpcos\b", r"\bpolycystic\b", r"\bendometriosis\b", r"\bfibroids?\b",
            r"\binfertil(?:e|ity)\b", r"\bovulation\s+disorders?\b", r"\bpremature\s+ovarian\b",
            r"\bhypogonadism\b", r"\bturner(?:'s)?\s+syndrome\b", r"\bklinefelter",
            r"\bvaricoceles?\b",
        ),
        "pregnancy": (
            r"\bpregnan\w*", r"\bprenatal\b", r"\bmiscarriages?\b", r"\bectopic\b",
            r"\bpre-?eclampsia\b", r"\bgestational\b", r"\bchildbirth\b", r"\bpostpartum\b",
            r"\bplacenta\w*",
        ),
        "hormones-and-tests": (
            r"\bfsh\b", r"\blh\b", r"\bamh\b", r"\bo?estradiol\b", r"\bprogesterone\b",
            r"\bprolactin\b", r"\btsh\b", r"\btestosterone\b",
            r"\bhormones?\b(?!\s+replacement)",  # hormone replacement is a menopause term
            r"\bblood\s+tests?\b", r"\bultrasounds?\b", r"\bsemen\s+analys[ie]s\b",
        ),
        "contraception": (
            r"\bcontracepti\w*", r"\bbirth\s+control\b", r"\biuds?\b", r"\bvasectom(?:y|ies)\b",
            r"\btubal\s+ligation\b",
        ),
        "menopause": (
            r"\b(?:peri|post)?menopaus\w*", r"\bhot\s+fl[au]sh\w*", r"\bhormone\s+replacement\b",
        ),
    }
)  # fmt: skip

_MATCHERS: Mapping[str, re.Pattern[str]] = MappingProxyType(
    {slug: re.compile("|".join(patterns), re.IGNORECASE) for slug, patterns in CATEGORIES.items()}
)


def categorize(text: str, default: str = DEFAULT_CATEGORY) -> str:
    """The category whose patterns match most often in `text`; `default` when none matches."""
    counts = {slug: len(matcher.findall(text)) for slug, matcher in _MATCHERS.items()}
    best = max(counts, key=lambda slug: counts[slug])  # max keeps the first of equals
    return best if counts[best] else default
