"""Which language a user wrote in: German or English, else the page locale.

A word-list heuristic: chat turns are short ("wo ist 4711?", "reorder please"), where statistical detectors are
unreliable, and it costs microseconds on the hot path. Unclear turns ("4711", "ok", "3S-1208 x 50") keep the
fallback, which is the page locale.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-zäöüß]+")

_DE = frozenset(
    ["ich", "du", "sie", "wir", "ihr", "mein", "meine", "meinen", "meiner", "mir", "mich", "uns", "unser", "unsere", "der", "die", "das", "den", "dem", "des", "ein", "eine", "einen", "einem", "einer", "und", "oder", "nicht", "kein", "keine", "ist", "sind", "bin", "war", "hat", "haben", "habe", "wird", "werden", "kann", "können", "könnten", "möchte", "möchten", "würde", "bitte", "danke", "wo", "wie", "was", "wer", "welche", "welcher", "welches", "wann", "warum", "für", "mit", "von", "bei", "auf", "aus", "nach", "zu", "zum", "zur", "im", "in", "an", "über", "unter", "bis", "gibt", "es", "noch", "mal", "nochmal", "auch", "schon", "gerne", "hallo", "tschüss", "moin", "servus", "guten", "morgen", "tag", "abend", "bestellung", "bestellungen", "auftrag", "lieferung", "rechnung", "lieferschein", "zertifikat", "datenblatt", "angebot", "anfrage", "preis", "preise", "lieferzeit", "nachbestellen", "bestellen", "wiederholen", "letzte", "letzten", "letzter", "montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonntag", "gestern", "heute", "vorgestern", "woche", "stück", "ja", "nein", "genau", "passt", "eignet", "geeignet", "suche", "brauche", "benötige", "verschraubung", "kupplung", "schlauch", "dichtung", "ventil", "vielen", "dank", "sprechen", "jemandem", "mensch", "hilfe", "abbrechen", "zurück", "lebensmittelindustrie", "edelstahl"]
)
_EN = frozenset(
    ["i", "you", "we", "they", "my", "our", "me", "us", "the", "a", "an", "and", "or", "not", "no", "is", "are", "am", "was", "has", "have", "had", "will", "would", "can", "could", "should", "please", "thanks", "thank", "where", "how", "what", "who", "which", "when", "why", "for", "with", "from", "at", "on", "of", "to", "into", "about", "until", "there", "any", "again", "also", "already", "hello", "hi", "hey", "bye", "goodbye", "morning", "evening", "order", "orders", "delivery", "invoice", "certificate", "datasheet", "quote", "request", "price", "prices", "lead", "time", "reorder", "repeat", "last", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "yesterday", "today", "week", "pieces", "yes", "yeah", "no", "sure", "fits", "suitable", "need", "looking", "fitting", "coupling", "hose", "seal", "valve", "talk", "someone", "human", "help", "cancel", "back", "this", "that", "it", "its", "do", "does", "did", "want", "show", "get", "send", "find", "food", "stainless", "steel"]
)
_GERMAN_CHARS = re.compile(r"[äöüß]")


def detect_language(text: str, fallback: str = "de") -> str:
    lowered = text.lower()
    words = _WORD.findall(lowered)
    de = sum(1 for w in words if w in _DE)
    en = sum(1 for w in words if w in _EN)
    if _GERMAN_CHARS.search(lowered):
        de += 1
    if de > en:
        return "de"
    if en > de:
        return "en"
    return fallback if fallback in ("de", "en") else "de"
