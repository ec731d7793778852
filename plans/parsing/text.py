"""Small text helpers shared by the parser modules.

Vietnamese text arrives composed (NFC) or decomposed (NFD, typical of Windows-1258 and of some Word
exports), with tabs, no-break spaces and runs of spaces. Every comparison in the parser works on
``clean()`` text; matching is case-insensitive through ``re.IGNORECASE`` (Python folds "Đ"/"đ" and
the accented vowels correctly once the text is NFC).
"""
from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"[\s\u00a0\u2000-\u200b\u202f\u205f\u3000\ufeff]+")
# Two layout columns flattened into one line of text: a tab, or three spaces or more.
COLUMN_GAP = re.compile(r"\t+|[ \u00a0]{3,}")
_TRAILING_PUNCT = re.compile(r"[\s.;,]+$")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def clean(text: str) -> str:
    """NFC, every run of white space (tabs, no-break spaces) made one space, stripped."""
    return _SPACES.sub(" ", nfc(text)).strip()


def strip_list_punct(text: str) -> str:
    """Drop the trailing "." ";" "," of a list item: the item itself is what was written before it."""
    return _TRAILING_PUNCT.sub("", text)


def split_top_level(text: str, separators: str = ";") -> list[str]:
    """Split on any of ``separators`` outside parentheses: "Đoàn ĐBQH tỉnh (đối với cấp tỉnh; ...)"
    keeps its parenthesis whole."""
    parts, depth, current = [], 0, []
    for char in text:
        if char in "([":
            depth += 1
        elif char in ")]" and depth:
            depth -= 1
        if char in separators and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def top_level_positions(text: str, pattern: re.Pattern) -> list[re.Match]:
    """Matches of ``pattern`` that are not inside parentheses."""
    depth_at, depth = [], 0
    for char in text:
        if char in "([":
            depth += 1
        depth_at.append(depth)
        if char in ")]" and depth:
            depth -= 1
    return [m for m in pattern.finditer(text) if depth_at[m.start()] == 0] if text else []


def is_upper_line(text: str) -> bool:
    """A line written in capitals (headers, kind line, signer title): letters present, none lower."""
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and all(not c.islower() for c in letters)


def sentence_case_name(name: str) -> str:
    """"Sở Tài Chính" -> "Sở Tài chính": Vietnamese capitalizes the first syllable of a proper name
    of an office; acronyms (HĐND) and the syllable after "và" or " - " keep their capital."""
    words = name.split(" ")
    out = []
    for i, word in enumerate(words):
        previous = words[i - 1] if i else ""
        keep = i <= 1 or word.isupper() and len(word) > 1 or previous in {"và", "-", "–"}
        out.append(word if keep else word[:1].lower() + word[1:])
    return " ".join(out)
