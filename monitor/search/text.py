"""Words for full-text search: a text becomes lower-case words, each word its stems in English
and Swedish (Snowball), so that "researchers" finds "research" and "utlysningar" finds
"utlysning". Identifiers stay whole too ("horizon-hlth-2026-01" and its parts)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable

import snowballstemmer

WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*", re.UNICODE)
# Words too common in call texts to tell one call from another; both languages.
_COMMON = """a an and are as at be by for from in into is it of on or the to with this that these
will which its their our your we you can may not no all any each per via
och att en ett i på för med av som är de den det till om har kan ska"""
STOPWORDS = frozenset(_COMMON.split())
MAX_WORDS = 20_000  # per text: beyond this a document adds nothing a reader searches for


class Stems:
    """Stems words in both languages, remembering each word's stems for its own lifetime (one
    index build, one query): call texts repeat a small vocabulary."""

    def __init__(self) -> None:
        self._english: Callable[[str], str] = snowballstemmer.stemmer("english").stemWord
        self._swedish: Callable[[str], str] = snowballstemmer.stemmer("swedish").stemWord
        self._known: dict[str, tuple[str, ...]] = {}

    def of(self, word: str) -> tuple[str, ...]:
        """The word's distinct stems (one or two)."""
        found = self._known.get(word)
        if found is None:
            english, swedish = self._english(word), self._swedish(word)
            found = (english,) if english == swedish else (english, swedish)
            if len(self._known) < 200_000:
                self._known[word] = found
        return found


def fold(text: str) -> str:
    """Lower case, compatibility forms folded (ﬁ → fi, full-width → ASCII); Swedish letters
    (å, ä, ö) are kept: they are letters of their own."""
    return unicodedata.normalize("NFKC", text).casefold()


def words(text: str) -> list[str]:
    """The searchable words of ``text``, in order, stop words left out. A hyphenated word
    ("horizon-hlth-2026") comes whole and in parts."""
    found: list[str] = []
    for match in WORD.finditer(fold(text)):
        word = match.group().replace("’", "'")
        if "-" in word or "'" in word:
            found.append(word)
            found.extend(p for p in re.split(r"[-']", word) if p and p not in STOPWORDS)
        elif word not in STOPWORDS:
            found.append(word)
        if len(found) >= MAX_WORDS:
            break
    return found


def terms(text: str, stems: Stems) -> list[str]:
    """The index terms of ``text``: each word's stems (a hyphenated whole stays unstemmed)."""
    found: list[str] = []
    for word in words(text):
        if "-" in word or "'" in word or word.isdigit():
            found.append(word)
        else:
            found.extend(stems.of(word))
    return found


def query_words(text: str) -> list[str]:
    """The words of a query, each once, in order; a hyphenated word whole (the index has it
    whole, or begins with it: part of an identifier), not its parts."""
    found = [m.group().replace("’", "'") for m in WORD.finditer(fold(text[:500]))]
    return list(dict.fromkeys(w for w in found if w not in STOPWORDS))


def any_of(values: Iterable[str]) -> str:
    """Values joined into one text for indexing."""
    return " ".join(v for v in values if v)
