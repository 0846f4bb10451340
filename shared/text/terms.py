"""Word-level helpers shared by the lexical steps: content terms and sentences."""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
_LIST_BULLET = re.compile(r"\s+-\s+")

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself
    yourselves get got also may might much many one two please thank thanks hi hello""".split()
)

# What a question asks about a focus, rather than the focus itself.
ASPECT_WORDS = frozenset(
    """symptom symptoms sign signs cause causes caused causing treatment treatments treat
    treated treating cure cured curable therapy therapies diagnosis diagnose diagnosed test tests
    tested testing risk risks risky prevent prevention prevented normal level levels range
    side effect effects affect affects long often common chance chances rate rates success
    help helps work works mean means type types kind kinds happen happens start starts
    stop stops take takes taking safe dangerous serious need needs know tell explain
    best good bad better worse usually possible way ways else another other more less use
    used uses using síntoma síntomas signo signos causa causas tratamiento tratamientos
    diagnóstico prueba pruebas riesgo riesgos nivel niveles normales efecto efectos""".split()
)

# Spanish function words, which the (English) content terms keep.
SPANISH_FUNCTION_WORDS = frozenset(
    """qué que es son la el los las lo de del un una unos unas cuál cuáles cómo cuándo dónde
    se en por para con sin mi mis tu tus hay está están puedo puede""".split()
)


def words(text: str) -> list[str]:
    return [match.group(0).lower() for match in _WORD.finditer(text)]


def content_terms(text: str) -> list[str]:
    """Lower-case words that carry meaning (stopwords and single characters dropped)."""
    return [word for word in words(text) if word not in STOPWORDS and len(word) > 1]


def split_sentences(text: str) -> list[str]:
    """Sentences of a passage; MedQuAD's flattened bullet lists (" - ") also split."""
    pieces: list[str] = []
    for chunk in _LIST_BULLET.split(text):
        pieces.extend(part.strip() for part in _SENTENCE_END.split(chunk))
    return [piece for piece in pieces if piece]
