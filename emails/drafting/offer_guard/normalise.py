"""Normalise text for the offer guard, keeping the way back to the original.

Matching runs on a plain form of the text so lookalikes cannot slip past; every
character of that form records where it came from, so a phrase can be reported
as the reviewer wrote it.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_PLAIN = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u2044": "/",
        "\u066a": "%",
        # Cyrillic and Greek letters drawn like Latin ones.
        "\u0430": "a",
        "\u0435": "e",
        "\u0451": "e",
        "\u043e": "o",
        "\u0440": "p",
        "\u0441": "c",
        "\u0443": "y",
        "\u0445": "x",
        "\u0456": "i",
        "\u0455": "s",
        "\u0458": "j",
        "\u0501": "d",
        "\u0410": "A",
        "\u0412": "B",
        "\u0415": "E",
        "\u041a": "K",
        "\u041c": "M",
        "\u041d": "H",
        "\u041e": "O",
        "\u0420": "P",
        "\u0421": "C",
        "\u0422": "T",
        "\u0425": "X",
        "\u0406": "I",
        "\u0405": "S",
        "\u03bf": "o",
        "\u03b1": "a",
        "\u03b5": "e",
        "\u03c1": "p",
        "\u03bd": "v",
        "\u0391": "A",
        "\u0392": "B",
        "\u0395": "E",
        "\u0397": "H",
        "\u0399": "I",
        "\u039a": "K",
        "\u039c": "M",
        "\u039d": "N",
        "\u039f": "O",
        "\u03a1": "P",
        "\u03a4": "T",
        "\u03a7": "X",
        "\u0261": "g",
    }
)
# Single letters separated by one space, dot, hyphen, underscore or asterisk.
_SPACED_LETTERS = re.compile(
    r"(?<![^\W\d_])(?:[A-Za-z][ ._*-]){2,}[A-Za-z](?![^\W\d_])"
)


@lru_cache(maxsize=4096)
def _fold(char: str) -> str:
    """Return `char` as the guard reads it: compatibility form, no marks."""
    folded = unicodedata.normalize("NFKD", char.translate(_PLAIN)).translate(_PLAIN)
    return "".join(
        c
        for c in folded
        if unicodedata.category(c) not in {"Mn", "Me", "Cf", "Cc"} or c.isspace()
    )


# Runs of printable ASCII, runs of whitespace, or one other character.
_CHUNKS = re.compile(r"[!-~]+|\s+|.", re.DOTALL)
_WORDS = re.compile(r"[A-Za-z]+")
_UNITS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_TEENS = ("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen")
_TEENS += ("seventeen", "eighteen", "nineteen")
_TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_NUMBER_WORDS = (
    {word: value for value, word in enumerate(_UNITS + _TEENS, start=1)}
    | {word: 10 * tens for tens, word in enumerate(_TENS, start=2)}
    | {"fourty": 40, "hundred": 100, "thousand": 1000}
)
_NUMBER_GAP = re.compile(r"[ -]|[ -]and[ -]")


def text_normalise(text: str) -> tuple[str, list[int]]:
    """Return the text to match and, per character, its index in `text`."""
    chars: list[str] = []
    origin: list[int] = []
    space = False
    for m in _CHUNKS.finditer(text):
        piece, start = m.group(), m.start()
        if "!" <= piece[0] <= "~":
            chars.append(piece)
            origin.extend(range(start, m.end()))
            space = False
            continue
        for c in " " if piece.isspace() else _fold(piece):
            if c.isspace():
                if space:
                    continue
                c, space = " ", True
            else:
                space = False
            chars.append(c)
            origin.append(start)
    normal = "".join(chars)
    if _SPACED_LETTERS.search(normal):
        keep = [True] * len(normal)
        for m in _SPACED_LETTERS.finditer(normal):
            for i in range(m.start() + 1, m.end(), 2):
                keep[i] = False
        normal = "".join(c for c, k in zip(normal, keep, strict=True) if k)
        origin = [o for o, k in zip(origin, keep, strict=True) if k]
    return _numbers_as_digits(normal, origin)


def _number_parse(words: list[str]) -> tuple[int, int]:
    """Return the value of the longest number at the start of `words`, and its
    length in words (0 if none): "a hundred and five" is 105, "two three" is 2.
    """
    total = current = used = 0
    last = ""
    for index, word in enumerate(words):
        if word == "a":
            if index or words[1:2] not in (["hundred"], ["thousand"]):
                break
            current, last = 1, word
            continue
        value = _NUMBER_WORDS[word]
        if value == 100:
            if current >= 100 or last in ("hundred", "thousand"):
                break
            current = (current or 1) * 100
        elif value == 1000:
            total, current = total + (current or 1) * 1000, 0
        elif not (
            not last
            or last in ("hundred", "thousand")
            or (20 <= _NUMBER_WORDS.get(last, 0) < 100 and value < 10)
        ):
            break
        else:
            current += value
        last, used = word, index + 1
    return total + current, used


def _numbers_as_digits(normal: str, origin: list[int]) -> tuple[str, list[int]]:
    """Write spelled-out numbers as digits, so "ninety percent" reads "90 percent".

    Every digit maps to the phrase's first character; a match's end is read from
    the character after it, so a reported phrase is the words as written.
    """
    words = [
        m
        for m in _WORDS.finditer(normal)
        if m.group().lower() in _NUMBER_WORDS or m.group().lower() == "a"
    ]
    if not words:
        return normal, origin
    pieces: list[str] = []
    new_origin: list[int] = []
    done = i = 0
    while i < len(words):
        j = i + 1
        while j < len(words) and _NUMBER_GAP.fullmatch(
            normal, words[j - 1].end(), words[j].start()
        ):
            j += 1
        value, used = _number_parse([m.group().lower() for m in words[i:j]])
        if not used:
            i += 1
            continue
        start, end = words[i].start(), words[i + used - 1].end()
        digits = str(value)
        pieces.append(normal[done:start])
        new_origin.extend(origin[done:start])
        pieces.append(digits)
        new_origin.extend([origin[start]] * len(digits))
        done = end
        i += used
    pieces.append(normal[done:])
    new_origin.extend(origin[done:])
    return "".join(pieces), new_origin
