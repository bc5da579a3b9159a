"""Guided selling: from a need in free text to at most five articles, asking only for what is still missing.

The finder is a Rasa form with one free-text slot (``finder_answer``); everything the buyer said so far is kept
as text in the ``finder`` slot and re-read with ``parse_constraints`` each turn, so a fact given once (in the
first sentence or as a button) is never asked again. The matching itself is ``match_products``.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from assistant.actions.base import AssistantAction, Events, Reply, Turn
from assistant.retrieval.constraints import Constraints, Fact, ProductMatch, match_products, parse_constraints
from assistant.retrieval.loaders import discover, load_products
from assistant.retrieval.models import Product
from assistant.retrieval.urls import kb_url, product_url
from assistant.settings import get_settings

MAX_RESULTS = 5
MAX_QUESTIONS = 3
PARAMS_BY_FAMILY: dict[str | None, tuple[str, ...]] = {
    "pneumatic_fitting": ("medium", "size", "temperature", "pressure", "material", "certification"),
    "hygienic_fitting": ("medium", "size", "temperature", "material", "certification"),
    "hydraulic_coupling": ("pressure", "size", "medium", "material"),
    "hydraulic_fitting": ("pressure", "size", "material"),
    "hose": ("medium", "temperature", "pressure", "size"),
    "seal": ("medium", "temperature", "material", "certification"),
    "valve": ("medium", "pressure", "size", "material", "certification"),
    "drive": ("size",),
    None: ("family", "medium", "temperature", "pressure", "size", "material", "certification"),
}
# Button values are phrases parse_constraints understands in both languages.
CHOICES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "family": (
        ("Steckverschraubungen", "Push-in fittings", "Steckverschraubung"),
        ("Hygienische Verbindungen", "Hygienic fittings", "hygienische Verbindung"),
        ("Hydraulikkupplungen", "Hydraulic couplings", "Kupplung"),
        ("Schneidringverschraubungen", "Cutting ring fittings", "Schneidringverschraubung"),
        ("Schläuche", "Hoses", "Schlauch"),
        ("Dichtungen", "Seals", "Dichtung"),
        ("Ventile", "Valves", "Ventil"),
        ("Antriebstechnik", "Drive parts", "Antrieb"),
    ),
    "medium": (
        ("Druckluft", "Compressed air", "Druckluft"),
        ("Wasser", "Water", "Wasser"),
        ("Dampf", "Steam", "Dampf"),
        ("Hydrauliköl", "Hydraulic oil", "Hydrauliköl"),
        ("Reinigungsmittel (CIP)", "Cleaning agents (CIP)", "Reinigungsmittel"),
        ("Lebensmittel / Getränke", "Food / beverages", "Getränke"),
        ("Chemikalien", "Chemicals", "Chemikalien"),
    ),
    "temperature": (
        ("bis 60 °C", "up to 60 °C", "60 °C"),
        ("bis 100 °C", "up to 100 °C", "100 °C"),
        ("bis 150 °C", "up to 150 °C", "150 °C"),
        ("bis 200 °C", "up to 200 °C", "200 °C"),
    ),
    "pressure": (
        ("bis 10 bar", "up to 10 bar", "10 bar"),
        ("bis 16 bar", "up to 16 bar", "16 bar"),
        ("bis 100 bar", "up to 100 bar", "100 bar"),
        ("bis 350 bar", "up to 350 bar", "350 bar"),
    ),
    "material": (
        ("Edelstahl", "Stainless steel", "Edelstahl"),
        ("Messing", "Brass", "Messing"),
        ("Stahl", "Steel", "Stahl"),
        ("Kunststoff", "Plastic", "Kunststoff"),
    ),
    "seal_material": (
        ("EPDM", "EPDM", "EPDM"), ("FKM", "FKM", "FKM"), ("NBR", "NBR", "NBR"),
        ("Silikon", "Silicone", "Silikon"), ("PTFE", "PTFE", "PTFE"),
    ),
    "certification": (
        ("FDA", "FDA", "FDA"), ("EHEDG", "EHEDG", "EHEDG"), ("ATEX", "ATEX", "ATEX"),
        ("Reinraum", "Cleanroom", "Reinraum"), ("Trinkwasser (DVGW)", "Drinking water (DVGW)", "DVGW"),
    ),
}
NOT_ANSWERS = ("cancel", "request_human", "start_rfq", "add_to_rfq", "upload_bom", "compare_products")
SKIP = "skip"
SHOW = "show"
_SKIP_WORDS = re.compile(r"^\s*(egal|weiß nicht|weiss nicht|keine ahnung|keine angabe|überspringen|ueberspringen|"
                         r"nicht wichtig|any|doesn'?t matter|don'?t know|no preference|skip|next|weiter)\W*$", re.I)
_SHOW_WORDS = re.compile(r"(ergebnis|zeig|anzeigen|show|results|list them|das reicht|genug|that's enough)", re.I)
FACT_KEYS = ("temperature_max", "temperature_min", "pressure", "certification", "material", "seal", "size",
             "medium", "industry", "family")


# ------------------------------------------------------------------------------------------ catalogue
class Catalogue(Protocol):
    def products(self) -> Sequence[Product]: ...
    def datasheet_url(self, datasheet_id: str) -> str | None: ...
    def product_url(self, sku: str) -> str: ...


class CsvCatalogue:
    """The articles of ``knowledge/products*.csv``, re-read when a file changes (the content team edits it)."""

    def __init__(self, knowledge_dir: Path, public_url: str):
        self.root, self.public_url = knowledge_dir, public_url
        self._lock = threading.Lock()
        self._stamp: tuple[tuple[str, float], ...] = ()
        self._products: list[Product] = []

    def products(self) -> Sequence[Product]:
        _md, _pdf, csvs = discover(self.root)
        stamp = tuple((str(p), p.stat().st_mtime) for p in csvs)
        with self._lock:
            if stamp != self._stamp:
                seen: dict[str, Product] = {}
                for path in csvs:
                    products, _issues, fatal = load_products(path, self.root)
                    if not fatal:
                        for p in products:
                            seen.setdefault(p.sku, p)
                self._products, self._stamp = list(seen.values()), stamp
            return self._products

    def datasheet_url(self, datasheet_id: str) -> str | None:
        if not datasheet_id:
            return None
        hits = list(self.root.rglob(f"{datasheet_id}.md"))
        if hits:
            return kb_url(self.public_url, datasheet_id, "markdown")
        if list(self.root.rglob(f"{datasheet_id}.pdf")):
            return kb_url(self.public_url, datasheet_id, "pdf")
        return None

    def product_url(self, sku: str) -> str:
        return product_url(self.public_url, sku)


@lru_cache(maxsize=1)
def get_catalogue() -> CsvCatalogue:
    s = get_settings()
    return CsvCatalogue(s.knowledge_dir, s.public_url)


# ------------------------------------------------------------------------------------------ finder logic
def given_params(c: Constraints) -> set[str]:
    given = set()
    if c.families:
        given.add("family")
    if c.media or c.industries:
        given.add("medium")
    if c.temp_max_c is not None or c.temp_min_c is not None:
        given.add("temperature")
    if c.pressure_bar is not None:
        given.add("pressure")
    if c.sizes:
        given.add("size")
    if c.materials or c.seal_materials:
        given.add("material")
    if c.certifications:
        given.add("certification")
    return given


def candidates(c: Constraints, products: Sequence[Product]) -> list[ProductMatch]:
    pool = [p for p in products if p.family in c.families] if c.families else list(products)
    return match_products(c, pool or products)


def next_question(need: str, asked: Sequence[str], products: Sequence[Product]) -> str | None:
    """The next parameter worth asking, or None when the results are narrow enough (or asking more won't help)."""
    c = parse_constraints(need)
    if c.count or c.families:
        fitting = [m for m in candidates(c, products) if m.fits and m.product.active]
        if c.count and len(fitting) <= MAX_RESULTS:
            return None
    if len(asked) >= MAX_QUESTIONS:
        return None
    family = next(iter(sorted(c.families))) if len(c.families) == 1 else None
    given = given_params(c)
    for param in PARAMS_BY_FAMILY.get(family, PARAMS_BY_FAMILY[None]):
        if family is None and param == "family" and c.families:
            continue
        if param not in given and param not in asked:
            return param
    return None


def size_choices(need: str, products: Sequence[Product]) -> list[str]:
    c = parse_constraints(need)
    pool = [m.product for m in candidates(c, products)[:40]]
    counts = Counter(p.size for p in pool if p.size)
    return [s for s, _ in counts.most_common(5)]


def _fact_label(fact: Fact, reply: Reply) -> str:
    return reply.t(f"finder_fact_{fact.key}")


def _fact_value(fact: Fact, reply: Reply) -> str:
    if fact.key in ("medium", "industry", "family"):
        return ", ".join(reply.t(f"finder_code_{v}") if _has(f"finder_code_{v}") else v
                         for v in re.split(r",\s*", fact.actual)) or "-"
    return fact.actual


def _has(key: str) -> bool:
    from assistant import i18n

    return i18n.has(key)


def product_item(m: ProductMatch, catalogue: Catalogue, reply: Reply, language: str) -> dict[str, Any]:
    p = m.product
    facts: dict[str, str] = {}
    for f in m.matched:
        if f.key != "family":
            facts[f"✓ {_fact_label(f, reply)}"] = _fact_value(f, reply)
    for f in m.missed:
        if f.key != "family":
            facts[f"✗ {_fact_label(f, reply)}"] = reply.t("finder_missed_value", actual=_fact_value(f, reply),
                                                        required=f.required)
    if not facts:
        facts[reply.t("finder_fact_temperature_max")] = f"{p.temp_min_c:g} … {p.temp_max_c:g} °C"
        if p.pressure_max_bar:
            facts[reply.t("finder_fact_pressure")] = f"{p.pressure_max_bar:g} bar"
    facts[reply.t("finder_fact_connection")] = p.connection
    item: dict[str, Any] = {"sku": p.sku, "name": p.name(language), "url": catalogue.product_url(p.sku),
                            "facts": facts, "fits": m.fits}
    if not p.active:
        facts[reply.t("finder_fact_status")] = reply.t("finder_discontinued", successor=p.successor_sku or "-")
    return item


def datasheets(products: Sequence[Product], catalogue: Catalogue, reply: Reply) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for p in products:
        if p.datasheet_id and p.datasheet_id not in seen:
            url = catalogue.datasheet_url(p.datasheet_id)
            if url:
                seen.add(p.datasheet_id)
                out.append({"title": reply.t("finder_datasheet_title", series=p.series), "kind": "datasheet",
                            "url": url})
    return out


# ------------------------------------------------------------------------------------------ actions
def _state(tracker: Tracker) -> dict[str, Any]:
    value = tracker.get_slot("finder")
    state = dict(value) if isinstance(value, dict) else {}
    state.setdefault("need", "")
    state.setdefault("asked", [])
    return state


def _user_text(tracker: Tracker) -> str:
    text = str((tracker.latest_message or {}).get("text") or "")
    return "" if text.startswith("/") else text[:1000]


def _entity(tracker: Tracker, name: str) -> str | None:
    for e in (tracker.latest_message or {}).get("entities") or []:
        if e.get("entity") == name and isinstance(e.get("value"), str | int | float):
            return str(e["value"])[:200]
    return None


class ValidateFinderForm(AssistantAction):
    """Adds each answer to the need and decides: ask the next missing parameter, or finish and show results."""

    def __init__(self, catalogue: Catalogue | None = None):
        self._catalogue = catalogue

    @property
    def catalogue(self) -> Catalogue:
        return self._catalogue or get_catalogue()

    def name(self) -> str:
        return "validate_finder_form"

    async def handle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any], turn: Turn, reply: Reply
    ) -> Events:
        state = _state(tracker)
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        value = _entity(tracker, "finder_value")
        text = value if value is not None else _user_text(tracker)
        if intent in NOT_ANSWERS and value is None and tracker.get_slot("finder_answer") is None:
            return []  # not an answer: the form rejects and the rules take over (cancel, RFQ, handoff)
        if intent == "start_finder":
            state = {"need": text, "asked": []}  # a new search starts from what was just said
            if turn.page.get("sku") and not text:
                product = next((p for p in self.catalogue.products() if p.sku == turn.page["sku"]), None)
                state["need"] = product.name(turn.language) if product else ""
        elif tracker.get_slot("finder_answer") is not None or value is not None:
            asked_now = state.get("next")
            if asked_now and asked_now not in state["asked"]:
                state["asked"] = [*state["asked"], asked_now]
            if text == SHOW or (value is None and _SHOW_WORDS.search(text) and not parse_constraints(text).count):
                state["next"] = None
                return self._done(state)
            if text != SKIP and not _SKIP_WORDS.match(text):
                before = parse_constraints(state["need"])
                state["need"] = f"{state['need']}\n{text}".strip()[:3000]
                if parse_constraints(state["need"]) == before and asked_now:
                    reply.key("finder_not_understood")
        question = next_question(state["need"], state["asked"], self.catalogue.products())
        state["next"] = question
        if question is None:
            return self._done(state)
        return [SlotSet("finder", state), SlotSet("finder_answer", None), SlotSet("requested_slot", "finder_answer")]

    @staticmethod
    def _done(state: dict[str, Any]) -> Events:
        return [SlotSet("finder", state), SlotSet("finder_answer", None), SlotSet("requested_slot", None)]


class ActionAskFinderAnswer(AssistantAction):
    """Asks for the one parameter chosen by the validation, with typical values as buttons."""

    def __init__(self, catalogue: Catalogue | None = None):
        self._catalogue = catalogue

    def name(self) -> str:
        return "action_ask_finder_answer"

    async def handle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any], turn: Turn, reply: Reply
    ) -> Events:
        state = _state(tracker)
        param = state.get("next") or "family"
        lang = turn.language
        c = parse_constraints(state["need"])
        if param == "size":
            sizes = size_choices(state["need"], (self._catalogue or get_catalogue()).products())
            choices = [(s, s) for s in sizes]
        else:
            key = "seal_material" if param == "material" and c.families == {"seal"} else param
            choices = [(en if lang == "en" else de, val) for de, en, val in CHOICES.get(key, ())]
        buttons = [(title, _payload(val)) for title, val in choices]
        buttons += [(reply.t("finder_skip"), _payload(SKIP)), (reply.t("finder_show"), _payload(SHOW))]
        reply.buttons(reply.t(f"finder_ask_{param}"), buttons)
        return []


def _payload(value: str) -> str:
    import json

    return "/inform" + json.dumps({"finder_value": value}, ensure_ascii=False, separators=(",", ":"))


class ActionFinderResults(AssistantAction):
    """At most five articles with the facts that match; when nothing fits, the closest with what each misses."""

    def __init__(self, catalogue: Catalogue | None = None):
        self._catalogue = catalogue

    def name(self) -> str:
        return "action_finder_results"

    async def handle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any], turn: Turn, reply: Reply
    ) -> Events:
        catalogue = self._catalogue or get_catalogue()
        state = _state(tracker)
        c = parse_constraints(state["need"])
        matches = candidates(c, catalogue.products())
        fitting = [m for m in matches if m.fits and m.product.active] if c.count else []
        shown = fitting[:MAX_RESULTS] if fitting else [m for m in matches if m.product.active][:3]
        if not shown:
            reply.key("finder_nothing")
            return [SlotSet("finder", None)]
        if not c.count:
            reply.key("finder_results_broad")
        elif fitting:
            reply.key("finder_results", n=len(shown))
        else:
            reply.key("finder_results_closest")
        reply.items("products", [product_item(m, catalogue, reply, turn.language) for m in shown])
        reply.mark("finder", "finished")
        docs = datasheets([m.product for m in shown], catalogue, reply)
        if docs:
            reply.items("documents", docs)
        buttons = [(reply.t("finder_add_button", sku=m.product.sku), _add_payload(m.product.sku)) for m in shown]
        if len(shown) >= 2:
            buttons.append((reply.t("finder_compare_button"), "/compare_products"))
        buttons.append((reply.t("finder_restart_button"), "/start_finder"))
        reply.buttons(reply.t("finder_next_steps"), buttons)
        return [SlotSet("finder_results", [m.product.sku for m in shown]), SlotSet("finder", None)]


def _add_payload(sku: str) -> str:
    return '/add_to_rfq{"sku":"' + sku + '"}'


class ActionCompareProducts(AssistantAction):
    """Two or three articles side by side: one row per property, the same rows for each."""

    def __init__(self, catalogue: Catalogue | None = None):
        self._catalogue = catalogue

    def name(self) -> str:
        return "action_compare_products"

    async def handle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any], turn: Turn, reply: Reply
    ) -> Events:
        catalogue = self._catalogue or get_catalogue()
        by_sku = {p.sku: p for p in catalogue.products()}
        text = str((tracker.latest_message or {}).get("text") or "")
        named = [e["value"].upper() for e in (tracker.latest_message or {}).get("entities") or []
                 if e.get("entity") == "sku" and isinstance(e.get("value"), str)]
        named += [s for s in re.findall(r"\b[A-Z0-9]{2,5}-\d{3,4}(?:-[0-9A-Z]{1,3})?\b", text.upper())]
        skus = list(dict.fromkeys(s for s in named if s in by_sku))
        unknown = [s for s in dict.fromkeys(named) if s not in by_sku]
        if unknown:
            reply.key("finder_compare_unknown", skus=", ".join(unknown[:3]))
        if len(skus) < 2:
            last = tracker.get_slot("finder_results") or []
            skus = list(dict.fromkeys([*skus, *[s for s in last if s in by_sku]]))
        skus = skus[:3]
        if len(skus) < 2:
            reply.key("finder_compare_need_two")
            return []
        products = [by_sku[s] for s in skus]
        lang = turn.language
        rows = compare_rows(products, reply, lang)
        table = "\n".join(f"{label}: " + " | ".join(values) for label, values in rows)
        reply.text(reply.t("finder_compare_intro", skus=" | ".join(skus)) + "\n" + table)
        items = [{"sku": p.sku, "name": p.name(lang), "url": catalogue.product_url(p.sku),
                  "facts": {label: values[i] for label, values in rows[1:]}} for i, p in enumerate(products)]
        reply.items("products", items)
        reply.buttons(reply.t("finder_next_steps"),
                      [(reply.t("finder_add_button", sku=p.sku), _add_payload(p.sku)) for p in products])
        return [SlotSet("finder_results", skus)]


def compare_rows(products: Sequence[Product], reply: Reply, language: str) -> list[tuple[str, list[str]]]:
    def codes(values: Sequence[str]) -> str:
        return ", ".join(reply.t(f"finder_code_{v}") if _has(f"finder_code_{v}") else v for v in values) or "-"

    return [
        (reply.t("finder_fact_name"), [p.name(language) for p in products]),
        (reply.t("finder_fact_material"), [p.material or "-" for p in products]),
        (reply.t("finder_fact_seal"), [p.seal_material or "-" for p in products]),
        (reply.t("finder_fact_connection"), [p.connection or "-" for p in products]),
        (reply.t("finder_fact_temperature_range"), [f"{p.temp_min_c:g} … {p.temp_max_c:g} °C" for p in products]),
        (reply.t("finder_fact_pressure"), [f"{p.pressure_max_bar:g} bar" if p.pressure_max_bar else "-"
                                           for p in products]),
        (reply.t("finder_fact_medium"), [codes(p.media) for p in products]),
        (reply.t("finder_fact_certification"), [", ".join(p.certifications) or "-" for p in products]),
        (reply.t("finder_fact_price"), [f"{p.list_price_eur:.2f} EUR" for p in products]),
        (reply.t("finder_fact_lead_time"), [reply.t("finder_lead_days", days=p.lead_time_days) if p.lead_time_days
                                            else reply.t("finder_in_stock") for p in products]),
    ]
