"""
The `pinyin` collation: Chinese names in the order a Chinese reader looks
them up (by reading, 长治 under z), not by code point.

PostgreSQL has it from ICU (migration metrics 0019). SQLite has no ICU, so
every SQLite connection gets a Python collation of the same name that
compares by pypinyin's reading; both databases then take the same
`ORDER BY … COLLATE pinyin` (metrics.translation.name_order).
"""

import unicodedata
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

PINYIN = "pinyin"

# How pypinyin hands back text it has no reading for (Latin, digits), told
# apart from the readings of Han characters.
_NOT_HAN = "\x00"

# Ranked like ICU's Chinese collation: spaces, punctuation and digits
# first, then Han characters by reading, then other letters.
_OTHER, _HAN, _LETTER = 0, 1, 2


@lru_cache(maxsize=65536)
def pinyin_key(text: str) -> tuple:
    """A sort key putting `text` in pinyin order, like ICU's zh-u-co-pinyin."""
    # One reading per Han character (read in context: 银行 hang, 行业 xing),
    # and each run of other text whole, marked.
    readings = lazy_pinyin(
        text,
        style=Style.TONE3,
        neutral_tone_with_five=True,
        errors=lambda chars: _NOT_HAN + chars,
    )
    parts = []
    position = 0
    for reading in readings:
        if reading.startswith(_NOT_HAN):
            for character in reading[1:]:
                if unicodedata.category(character).startswith("L"):
                    parts.append((_LETTER, character.casefold(), character))
                else:
                    parts.append((_OTHER, character, character))
            position += len(reading) - 1
        else:
            # Characters read alike are ordered by the character, as ICU does.
            parts.append((_HAN, reading, text[position]))
            position += 1
    return tuple(parts), text


def compare(first: str, second: str) -> int:
    """SQLite's collation callback: negative, zero or positive."""
    a, b = pinyin_key(first), pinyin_key(second)
    return (a > b) - (a < b)


def register_collation(sender, connection, **kwargs):
    """Give a new SQLite connection the `pinyin` collation (connection_created)."""
    if connection.vendor == "sqlite":
        connection.connection.create_collation(PINYIN, compare)
