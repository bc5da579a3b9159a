"""The content team's bilingual glossary (knowledge/glossary.yml): concepts, their words in German and English.

Search adds the other language's words of every concept a question names, so BM25 crosses languages too
("Unterdruck" finds "vacuum"). Answers use it to know which property a question asks for and to name a value in
the reader's language. Matching is one pass of one compiled pattern over the folded text, longest words first,
so "Mindestbetriebsdruck" is the minimum pressure and not also the pressure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from assistant.retrieval.models import Issue
from assistant.retrieval.tokenize import fold

GLOSSARY_FILE = "glossary.yml"
COMPOUND_MIN = 6  # words this long also match inside a German compound
_ID = re.compile(r"^[a-z][a-z0-9_]{0,40}$")


@dataclass(frozen=True)
class Concept:
    id: str
    de: tuple[str, ...]
    en: tuple[str, ...]
    is_property: bool = False
    labels: tuple[str, str] = ("", "")  # (de, en) as written in the glossary: the first word of each language
    is_entity: bool = False  # a place or the like: a passage about another one does not answer

    def label(self, language: str) -> str:
        written = self.labels[1] if language == "en" else self.labels[0]
        words = self.en if language == "en" else self.de
        return written or (words[0] if words else self.id)

    def words(self, language: str | None = None) -> tuple[str, ...]:
        if language == "de":
            return self.de
        if language == "en":
            return self.en
        return self.de + self.en


@dataclass(frozen=True)
class Mention:
    concept: str
    start: int
    end: int
    language: str  # which language's word matched


@dataclass(frozen=True)
class Glossary:
    concepts: tuple[Concept, ...] = ()
    by_id: Mapping[str, Concept] = field(default_factory=dict, compare=False)

    @classmethod
    def of(cls, concepts: Iterable[Concept]) -> Glossary:
        items = tuple(concepts)
        return cls(items, {c.id: c for c in items})

    @cached_property
    def _index(self) -> tuple[list[re.Pattern[str]], dict[str, list[tuple[str, str]]]]:
        owners: dict[str, list[tuple[str, str]]] = {}
        compound: set[str] = set()
        whole: set[str] = set()
        for concept in self.concepts:
            for language in ("de", "en"):
                for word in concept.words(language):
                    folded = fold(word)
                    owners.setdefault(_squash(folded), []).append((concept.id, language))
                    (compound if len(folded) >= COMPOUND_MIN and not folded[-1].isdigit() else whole).add(folded)
        patterns = []
        if compound:
            patterns.append(re.compile(_trie_pattern(compound)))
        if whole:
            patterns.append(re.compile(rf"(?<![a-z0-9])(?:{_trie_pattern(whole)})(?![a-z0-9])"))
        return patterns, owners

    def mentions(self, folded: str) -> list[Mention]:
        """Every concept named in an already folded text, in order; a longer word wins over the words inside it.

        The words are compiled into prefix trees, so a text costs one pass per tree whatever the glossary's size.
        """
        patterns, owners = self._index
        spans = sorted(
            ((m.start(), m.end()) for p in patterns for m in p.finditer(folded)), key=lambda s: (s[0], -s[1])
        )
        out: list[Mention] = []
        taken = bytearray(len(folded))
        for start, end in sorted(spans, key=lambda s: (-(s[1] - s[0]), s[0])):
            if any(taken[start:end]):
                continue
            taken[start:end] = b"\x01" * (end - start)
            seen: set[str] = set()
            for concept, language in owners.get(_squash(folded[start:end]), ()):
                if concept not in seen:
                    seen.add(concept)
                    out.append(Mention(concept, start, end, language))
        return sorted(out, key=lambda m: m.start)

    def concepts_in(self, text: str) -> frozenset[str]:
        return frozenset(m.concept for m in self.mentions(fold(text)))

    def label(self, concept: str, language: str) -> str:
        c = self.by_id.get(concept)
        return c.label(language) if c else concept

    def is_entity(self, concept: str) -> bool:
        c = self.by_id.get(concept)
        return bool(c and c.is_entity)

    def is_property(self, concept: str) -> bool:
        c = self.by_id.get(concept)
        return bool(c and c.is_property)

    def expansion(self, concepts: Iterable[str], limit: int = 3) -> list[str]:
        """Words of both languages for these concepts (the first few of each), to complement a search query."""
        out: list[str] = []
        for concept in concepts:
            c = self.by_id.get(concept)
            if c:
                out.extend([*c.de[:limit], *c.en[:limit]])
        return out

    def translate(self, phrase: str, language: str) -> str | None:
        """Glossary words of the other language in a short phrase replaced by this language's label, and the few
        small words between them; None when a word is left that only the other language's reader understands
        ("framework contract: kein minimum order value" is no answer for either)."""
        folded = fold(phrase)
        if folded != phrase.lower():  # only phrases whose positions survive folding can be patched
            return None
        small = _SMALL_WORDS.get(language, {})
        out: list[str | None] = []
        last = 0
        for m in self.mentions(folded):
            if m.language == language:
                continue
            out.append(_small_words(phrase[last : m.start], small))
            out.append(self.label(m.concept, language))
            last = m.end
        out.append(_small_words(phrase[last:], small))
        if any(piece is None for piece in out):
            return None
        return "".join(out)


# Words between the glossary's that a value phrase needs, into the reader's language; a German "kein" into
# English is safe, an English "no" into German needs a gender, so it is not translated and the quote stands alone.
_SMALL_WORDS = {
    "en": {"kein": "no", "keine": "no", "keinen": "no", "keinem": "no", "nicht": "not", "und": "and", "oder": "or",
           "bis": "to", "ab": "from", "je": "per", "pro": "per", "fuer": "for", "mit": "with", "ohne": "without",
           "bei": "at", "max": "max", "min": "min", "ca": "approx", "nur": "only", "auch": "also"},
    "de": {"and": "und", "or": "oder", "to": "bis", "per": "je", "with": "mit", "without": "ohne", "for": "für",
           "at": "bei", "max": "max", "min": "min", "approx": "ca", "only": "nur", "also": "auch"},
}
# Words either reader understands: units, codes and standards
_NEUTRAL = re.compile(
    r"(?:mm|cm|m|bar|psi|mpa|kpa|nm|kg|g|h|s|min|kw|w|v|a|hz|db|dn|pn|nw|iso|din|en|ip|atex|fda|usp|sae|jis|"
    r"npt|bsp|g|m|ex|eur|ct|ra|µm|um|°c|c|k|x|i|ii|iii|l|mbar|rpm|shore)"
)


def _small_words(text: str, small: dict[str, str]) -> str | None:
    def one(m: re.Match[str]) -> str:
        word = m.group(0)
        key = fold(word)
        if key in small:
            return small[key]
        if _NEUTRAL.fullmatch(key) or any(ch.isdigit() for ch in word) or (word.isupper() and len(word) > 1):
            return word
        raise LookupError(word)

    try:
        return re.sub(r"[^\W\d_][\w.-]*", one, text)
    except LookupError:
        return None


def _trie_pattern(words: Iterable[str]) -> str:
    """One regex for many words, factored by common prefixes (a space or hyphen matches either, or nothing)."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for ch in word:
            key = " " if ch in " -" else ch
            node = node.setdefault(key, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        branches = []
        for ch in sorted((k for k in node if k), key=lambda k: k):
            piece = r"[\s-]?" if ch == " " else re.escape(ch)
            branches.append(piece + emit(node[ch]))
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(trie)


def _squash(word: str) -> str:
    return re.sub(r"[\s-]", "", word)


def parse_glossary(data: Any, source: str = GLOSSARY_FILE) -> tuple[Glossary, list[Issue]]:
    """Read the YAML structure; a bad entry is skipped and reported with its position."""
    issues: list[Issue] = []
    if data is None:
        return Glossary(), issues
    terms = data.get("terms") if isinstance(data, dict) else None
    if not isinstance(terms, list):
        return Glossary(), [Issue(source, 0, "the glossary needs a list 'terms'")]
    concepts: list[Concept] = []
    seen: set[str] = set()
    for n, entry in enumerate(terms, start=1):
        where = f"entry {n}"
        if not isinstance(entry, dict):
            issues.append(Issue(source, 0, f"{where}: not a mapping"))
            continue
        cid = str(entry.get("id", ""))
        if not _ID.match(cid) or cid in seen:
            issues.append(Issue(source, 0, f"{where}: id {cid!r} missing, malformed or used twice"))
            continue
        de, en = entry.get("de"), entry.get("en")
        if not all(isinstance(v, list) and v and all(isinstance(w, str) and w.strip() for w in v) for v in (de, en)):
            issues.append(Issue(source, 0, f"{where} ({cid}): 'de' and 'en' must be non-empty lists of words"))
            continue
        seen.add(cid)
        concepts.append(
            Concept(cid, tuple(w.strip().lower() for w in de), tuple(w.strip().lower() for w in en),
                    bool(entry.get("property")), (de[0].strip(), en[0].strip()), bool(entry.get("entity")))
        )
    return Glossary.of(concepts), issues


def load_glossary(root: Path) -> tuple[Glossary, list[Issue], str]:
    """The glossary of a knowledge folder, its issues and its raw text (part of the index's fingerprint)."""
    path = root / GLOSSARY_FILE
    if not path.is_file():
        return Glossary(), [], ""
    raw = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return Glossary(), [Issue(GLOSSARY_FILE, (mark.line + 1) if mark else 0, "not valid YAML")], raw
    glossary, issues = parse_glossary(data)
    return glossary, issues, raw


def glossary_to_data(glossary: Glossary) -> dict[str, Any]:
    return {"terms": [{"id": c.id, "de": [c.labels[0] or c.de[0], *c.de[1:]],
                       "en": [c.labels[1] or c.en[0], *c.en[1:]], "property": c.is_property,
                       "entity": c.is_entity}
                      for c in glossary.concepts]}
