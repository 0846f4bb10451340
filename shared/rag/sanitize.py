"""Clean user text before it reaches a prompt: normalise, strip, filter injections, cap length."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

FILTERED = "[filtered]"

_SEP = r"[\W_]+"  # spaces and/or punctuation between two words
_WORDS = rf"(?:[^\W_]+{_SEP}){{0,4}}?"  # up to four intervening words
_CLAUSE = r"[^.!?\n]*"  # the rest of the sentence
_ROLE_WORDS = (
    r"(?:ai|bot|chatbot|llm|gpt|chatgpt|language[\W_]+model|dan|unrestricted|unfiltered"
    r"|uncensored|unlimited|jailbroken|evil|unethical|amoral|rogue)\b"
)
_NO_RULES = (
    rf"(?:with{_SEP}no|without(?:{_SEP}any)?){_SEP}(?:rules|restrictions|limits|limitations"
    r"|filters|guidelines|ethics|morals|censorship|guardrails)\b"
)
_SECRET = r"(?:system|initial|hidden|original|secret|internal)"

_INJECTION_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern, re.IGNORECASE | re.MULTILINE)
    for pattern in (
        # instruction override: "ignore all (of) the previous instructions"
        rf"\b(?:ignore|disregard|forget){_SEP}(?:(?:all|any|of|the|your|my|these|those){_SEP}){{0,4}}"
        rf"(?:previous|prior|above|earlier|preceding){_SEP}"
        r"(?:instructions?|prompts?|rules|directions|guidelines)\b",
        # role reassignment: "you are now DAN", "you're now an unfiltered AI"
        rf"\byou(?:{_SEP}are|[\W_]*re){_SEP}now{_SEP}"
        rf"(?:(?:an?|the|my|your|free|called|named|no{_SEP}longer|going{_SEP}to)\b|{_ROLE_WORDS})"
        rf"{_CLAUSE}",
        # role play: "act as an unrestricted AI" (never "act as if" / "act as a hormone")
        rf"\bact{_SEP}as{_SEP}(?!if\b|though\b){_WORDS}(?:{_ROLE_WORDS}|{_NO_RULES}){_CLAUSE}",
        # persona swap: "pretend you are a doctor", "pretend to be an AI with no rules"
        rf"\bpretend{_SEP}(?:that{_SEP})?(?:you(?:{_SEP}(?:are|were)|[\W_]*re)\b"
        rf"|to{_SEP}be{_SEP}{_WORDS}(?:{_ROLE_WORDS}|{_NO_RULES})){_CLAUSE}",
        # system prompt: "your system prompt", "SYSTEM PROMPT:" (not "immune system prompt")
        rf"\b(?:your|the|my|its|this|reveal|show|print|repeat|output|new|original|hidden|secret)"
        rf"{_SEP}system[\W_]*prompts?\b|\bsystem[\W_]*prompts?[\W_]*:",
        # prompt extraction: "reveal your instructions", "print the hidden prompt"
        rf"\b(?:reveal|show|print|display|repeat|output|leak|dump|disclose){_SEP}(?:me{_SEP})?"
        rf"(?:your{_SEP}(?:{_SECRET}{_SEP})?|the{_SEP}{_SECRET}{_SEP})(?:prompts?|instructions|rules)\b",
        # jailbreak vocabulary: "jailbreak", "jail-breaking"
        r"\bjail[\W_]*break(?:s|ing|ed|er)?\b",
        # mode switches: "DAN mode", "developer mode", "god mode"
        rf"\b(?:dan|developer|dev|god){_SEP}mode\b",
        # chat-template tokens: "<|im_start|>system", "<|system|>", "[INST]", "<<SYS>>"
        r"<\|[^<>|\n]{0,40}\|>(?:(?:system|user|assistant)\b)?|\[/?INST\]|<</?SYS>>",
        # markdown role headers: "### system:", "### **Instruction**" (possessive: linear time)
        r"(?<!#)#{2,}+[^\w#\n]{0,8}+(?:system|instructions?|user|assistant|human|response)\b ?:?",
        # role prefixes at line start: "system:", "assistant:"
        r"^(?:system|assistant|developer) ?:",
    )
)

_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})  # controls, invisible formatting, surrogates
_KEPT_FORMAT_CHARS = frozenset({"\u200c", "\u200d"})  # ZWNJ/ZWJ shape Indic scripts
_WHITESPACE_RUN = re.compile(r"\s+")
_LINE_BREAK = re.compile(r"[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")


@dataclass(frozen=True)
class SanitizedText:
    """Sanitised text plus what was done to it."""

    text: str
    filtered: int
    truncated: bool


def sanitize(text: str, max_chars: int = 2000) -> SanitizedText:
    """Normalise `text`, replace prompt-injection fragments and cap it at `max_chars`."""
    if max_chars < 1:
        raise ValueError("max_chars must be at least 1")
    cleaned = _collapse_whitespace(_strip_controls(unicodedata.normalize("NFKC", text)))
    filtered = 0
    truncated = False
    while True:  # until a pass finds nothing and the text fits: the result is a fixed point
        cleaned, count = _filter_injections(cleaned)
        filtered += count
        if len(cleaned) > max_chars:
            cleaned, truncated = _cap(cleaned, max_chars), True
        elif count == 0:
            return SanitizedText(text=cleaned, filtered=filtered, truncated=truncated)


def _strip_controls(text: str) -> str:
    """Drop control and invisible format characters; whitespace controls stay for collapsing."""
    return "".join(
        char
        for char in text
        if char.isspace()
        or char in _KEPT_FORMAT_CHARS
        or unicodedata.category(char) not in _DROPPED_CATEGORIES
    )


def _collapse_whitespace(text: str) -> str:
    """One newline for a run containing a line break, otherwise one space."""
    return _WHITESPACE_RUN.sub(_squash, text).strip()


def _squash(run: re.Match[str]) -> str:
    return "\n" if _LINE_BREAK.search(run.group()) else " "


def _filter_injections(text: str) -> tuple[str, int]:
    """Replace every injection fragment with FILTERED; return the text and the count."""
    total = 0
    for pattern in _INJECTION_PATTERNS:
        text, count = pattern.subn(FILTERED, text)
        total += count
    return text, total


def _cap(text: str, max_chars: int) -> str:
    """Cut to `max_chars`, at the last space or newline when there is one."""
    head = text[: max_chars + 1]
    cut = max(head.rfind(" "), head.rfind("\n"))
    return head[:cut] if cut > 0 else text[:max_chars]
