"""German-aware tokenisation for BM25.

Why not a plain ``\\w+`` split: buyers type article numbers (``3S-1208``), threads
(``G1/4``), material numbers (``1.4404``), nominal sizes (``DN25``, ``M5``, ``8 mm``) and
long German compounds (``Lebensmittelindustrie``). The first must survive as one token,
the last must also match documents that say ``Lebensmittel`` and ``Industrie``.

Every word is emitted with its German and its English Snowball stem (deduplicated): the
corpus is bilingual and a query's language is not always known, and the same rule on both
sides keeps matching consistent.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import snowballstemmer

_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "ae", "Ö": "oe", "Ü": "ue"})

# Tokens kept whole. Order matters: the longest, most specific patterns first.
_PROTECTED = re.compile(
    r"""
    (?P<sku>\b[A-Za-z0-9]{2,5}-\d{3,4}(?:-[0-9A-Za-z]{1,3})?\b)
  | (?P<matno>\b\d\.\d{4}\b)
  | (?P<thread>\b(?:G|R|Rc|NPT|BSPP|BSPT|UNF)\s?\d+(?:\s\d)?(?:/\d+)?(?:\s?")?(?=\W|$))
  | (?P<dn>\bDN\s?\d{1,4}\b)
  | (?P<pn>\bPN\s?\d{1,3}\b)
  | (?P<metric>\bM\d{1,2}(?:x\d(?:[.,]\d+)?)?\b)
  | (?P<mm>\b\d{1,3}(?:[.,]\d)?\s?mm\b)
  | (?P<inch>\b\d+/\d+\s?(?:"|”|inch|zoll)(?=\W|$))
    """,
    re.VERBOSE | re.IGNORECASE,
)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)

_STOPWORD_TEXT = """
    der die das den dem des ein eine einer eines einem einen und oder aber ist sind war wird werden
    wie was wer wo welche welcher welches welchen fuer mit bei bis von vom zu zum zur im in an am auf
    aus als auch nicht kein keine noch nur so sich es er sie wir ihr ich du man mein dein unser euer
    ob dass da dann wenn hat haben gibt geben kann koennen soll sollte muss ueber unter nach vor
    the a an and or but is are was were be been of for with at by from to in on as also not no only
    this that these those it its we you they i me my our your can could should must has have does do
    which what who where when how there here any some
    """
STOPWORDS: frozenset[str] = frozenset(_STOPWORD_TEXT.split())

_DE = snowballstemmer.stemmer("german")
_EN = snowballstemmer.stemmer("english")


def fold(text: str) -> str:
    """Lower-case and fold umlauts (ä->ae, ß->ss) and other accents, the way people type without them."""
    text = text.translate(_FOLD).lower()
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _normalise_protected(raw: str) -> str:
    token = fold(raw)
    token = re.sub(r"\s+", "", token).replace("”", '"').replace(",", ".")
    return token.replace("inch", '"').replace("zoll", '"')


@lru_cache(maxsize=200_000)
def _stems(word: str) -> tuple[str, ...]:
    de = _DE.stemWord(word)
    en = _EN.stemWord(word)
    return (de,) if de == en else (de, en)


def words(text: str) -> list[str]:
    """Folded plain words (no protected tokens, no stemming); used to build the compound vocabulary."""
    return _WORD.findall(fold(_PROTECTED.sub(" ", text)))


class Tokenizer:
    """Tokeniser with compound splitting against a vocabulary of words seen in the corpus."""

    MIN_PART = 4
    MIN_COMPOUND = 8

    def __init__(self, vocabulary: Iterable[str] = ()) -> None:
        self.vocabulary = frozenset(w for w in vocabulary if len(w) >= self.MIN_PART)
        self._split_cache: dict[str, tuple[str, ...]] = {}
        self._word_cache: dict[str, tuple[str, ...]] = {}

    def split_compound(self, word: str) -> tuple[str, ...]:
        """Split a folded word into known parts (longest head first), () when it is not a compound."""
        if len(word) < self.MIN_COMPOUND or not self.vocabulary:
            return ()
        cached = self._split_cache.get(word)
        if cached is not None:
            return cached
        result: tuple[str, ...] = ()
        for cut in range(len(word) - self.MIN_PART, self.MIN_PART - 1, -1):
            head, tail = word[:cut], word[cut:]
            heads = [head]
            if head.endswith("s") and len(head) > self.MIN_PART:  # Fugen-s: Lebensmittel -> leben+s+mittel
                heads.append(head[:-1])
            known = next((h for h in heads if h in self.vocabulary), None)
            if known is None:
                continue
            if tail in self.vocabulary:
                result = (known, tail, *self.split_compound(tail))
                break
            deeper = self.split_compound(tail)
            if deeper:
                result = (known, *deeper)
                break
        if len(self._split_cache) < 100_000:
            self._split_cache[word] = result
        return result

    def tokenize(self, text: str) -> list[str]:
        tokens: list[str] = []
        for match in _PROTECTED.finditer(text):
            token = _normalise_protected(match.group(0))
            if match.lastgroup == "thread":
                token = token.rstrip('"')
            tokens.append(token)
            if match.lastgroup == "sku" and token.count("-") == 2:
                tokens.append(token.rsplit("-", 1)[0])  # QC-300-08 also matches the series QC-300
        cache = self._word_cache
        for word in words(text):
            out = cache.get(word)
            if out is None:
                if word in STOPWORDS or (len(word) < 2 and not word.isdigit()):
                    out = ()
                else:
                    parts = [*_stems(word)]
                    for part in self.split_compound(word):
                        parts.extend(_stems(part))
                    out = tuple(parts)
                if len(cache) < 500_000:
                    cache[word] = out
            tokens.extend(out)
        return tokens
