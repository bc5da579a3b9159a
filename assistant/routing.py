"""Is a message a question about how things are, or a request about the buyer's own business? One rule set.

Read by the NLU step in the Rasa process (rasa_addons/components.py, which routes misfiled questions to
``ask_knowledge``) and by the actions (assistant/actions/knowledge_turn.py, which adds an order-reference check
and the knowledge base's second opinion). Plain regular expressions, no imports beyond the standard library, and
Python 3.10 syntax: the Rasa environment imports this file too.
"""

from __future__ import annotations

import re
import unicodedata

_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "ae", "Ö": "oe", "Ü": "ue"})

# A message that asks: it ends with "?" or starts with a question word.
QUESTION_START = re.compile(
    r"^(?:wie|was|welche\w*|wann|wo|woher|wohin|warum|wieso|weshalb|wer|wen|wem|wessen|bis wann|ab wann|"
    r"ab welche\w*|bis zu welche\w*|wieviel\w*|gibt|kann|koennen|"
    r"muss|muessen|darf|duerfen|ist|sind|hat|haben|habt|bieten|liefern|versenden|braucht|brauche|"
    r"how|what|which|when|where|why|who|whom|whose|is|are|do|does|did|can|could|may|must|should|will|would|"
    r"have|has)\b"
)
# An open question ("Welche Zertifikate hat …?", "What approvals does … have?") asks about something.
OPEN_QUESTION = re.compile(r"^(?:welche\w*|was fuer|which|what)\b")
# Asking how something works in general ("Wie verfolge ich eine Sendung?"), not for one's own things.
HOW_TO = re.compile(
    r"^(?:wie|wieso|warum|weshalb|gibt es|gibt's|kann man|kann ich|koennen wir|koennen sie|muss ich|darf ich|"
    r"bieten sie|liefern sie|versenden sie|habt ihr|haben sie|ist es moeglich|how|why|is there|are there|do you|"
    r"does your|can i|can we|can you|could you|do i|must i|may i|is it possible)\b"
)
# Asking for something to be done or sent.
REQUEST = re.compile(
    r"\b(?:schick\w*|sende\w*|senden|zeig\w*|show|gib|give|send|bitte|please|nochmal|again|bestell\w*|reorder|"
    r"storn\w*|cancel|hol\w* mir|get me)\b"
)
OWN = re.compile(r"\b(?:mein\w*|unser\w*|my|our)\b")
ORDER_THING = re.compile(
    r"(?:bestellung|auftrag|auftraeg|order|lieferung|sendung|paket|rechnung|invoice|shipment|delivery|package|"
    r"parcel|freigabe|approval)"
)
STATUS = re.compile(
    r"\b(?:status|stand|wo|where|wann kommt|when will|when does|arrive\w*|angekommen|verschickt|versendet|shipped|"
    r"dispatched|unterwegs|offen\w*|open|wartet|waiting|pending|ausstehend\w*)\b"
)
# Order, delivery, invoice and batch numbers: the message is about the buyer's own documents.
DOCUMENT_NUMBER = re.compile(
    r"\b(?:lieferung|delivery|lieferschein|rechnung|invoice|charge|batch|auftrag|bestellung|order)\s?"
    r"(?:nr\.?|no\.?|nummer|number|#)?\s?[A-Z0-9-]*\d{3,}|#\s?\d{3,}",
    re.IGNORECASE,
)
ARTICLE = re.compile(r"\b[A-Za-z0-9]{2,5}-\d{3,4}(?:-[0-9A-Za-z]{1,3})?\b")
# Words that make "talk to a person", "quote" or "finder" requests what they say, whatever else the message asks.
HUMAN = re.compile(
    r"\b(?:mensch\w*|person|persoenlich\w*|mitarbeiter\w*|berater\w*|kolleg\w*|ansprechpartner\w*|vertrieb\w*|"
    r"rueckruf\w*|zurueckruf\w*|anruf\w*|telefon\w*|human|agent|call me|call back|callback|"
    r"talk to|speak to|speak with|talk with|sales team|sales rep\w*|salesperson|mit jemand\w*|jemand\w* sprechen|"
    r"(?:to|with) (?:someone|somebody|anyone))\b"
)
DOCUMENT_WORDS = re.compile(
    r"\b(?:datenblatt\w*|datasheet\w*|data sheet\w*|zeugnis\w*|zertifikat\w*|certificate\w*|cad|step|dxf|"
    r"zeichnung\w*|drawing\w*|rechnung\w*|invoice\w*|lieferschein\w*|delivery note\w*|dokument\w*|document\w*|"
    r"pdf|konformitaetserklaerung\w*|declaration\w*|handbuch|manual)\b"
)
PRICE_WORDS = re.compile(
    r"\b(?:preis\w*|price\w*|kost\w*|cost\w*|eur|euro|how much|wie ?viel|teuer|rabatt\w*|discount\w*)\b|€"
)
ORDER_WORDS = re.compile(r"\b(?:bestell\w*|order\w*|kaufen|buy|stueck|stk|pcs|pieces)\b|\d\s?x\b")
QUOTE = re.compile(r"\b(?:angebot\w*|quote|quotation|rfq|anfrage\w*|kostenvoranschlag)\b")
FINDER = re.compile(r"\b(?:produktfinder|product finder|finder)\b")
PRICE_LIST = re.compile(r"\b(?:preisliste|price ?list|preise fuer|prices for|meine preise|my prices)\b")
# Intents that hold a misfiled question more often than any other; their own words above keep them.
# (A low-confidence or out-of-scope question goes to the knowledge fallback action, which asks the documents.)
REROUTABLE = ("start_finder", "price_list", "quick_order", "request_human", "start_rfq", "upload_bom", "help",
              "compare_products")
HELP = re.compile(r"\b(?:was kannst du|was koennen sie|what can you do|hilfe|help|wer bist du|who are you|"
                  r"wie funktioniert (?:das|der chat|der assistent)|how does this (?:chat|work))\b")
COMPARE = re.compile(r"\b(?:vergleich\w*|compare|comparison|unterschied\w*|difference\w*|versus|vs)\b")
# An article number makes these requests what they say ("Preis für 3S-1208?"); for the others it is the subject
# of a product question ("Is the DV-520 OK for steam?").
_ARTICLE_IS_REQUEST = ("price_list", "quick_order")


def fold(text: str) -> str:
    text = text.translate(_FOLD).lower()
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def is_question(text: str) -> bool:
    folded = fold(text).strip(" ¿!.,\"'«»„“”")
    return folded.endswith("?") or bool(QUESTION_START.match(folded))


# "schick mir …", "send us …": a request even when it is put as a question ("Können Sie mir … schicken?")
SEND_TO_ME = re.compile(
    r"\b(?:schick\w*|sende\w*|zeig\w*|gib|show|send|give|get)\s+(?:mir|uns|me|us)\b"
    r"|\b(?:mir|uns)\s(?:[^\W\d]+\s){0,4}(?:zu)?(?:schick|send|zeig|geb|mail)\w*"
)
# "…, wenn ich bis 14 Uhr bestelle?": a condition of the question, not an order
_SUBORDINATE = re.compile(r"(?:wenn|falls|damit|sobald|bevor|nachdem|ob|dass|if|when|so that|before|after|once|"
                          r"whether|that)\b")
_CLAUSE = re.compile(r"[,;:?!.]+\s*|\s(?:und|and|also|auch|dann|then)\s")


def _asks_for_something(folded: str) -> bool:
    """A clause that asks for something to be done ("bitte 50 Stück bestellen"), not one that asks how or when
    ("bis wann muss ich bestellen, damit …", "can you send the invoices as XRechnung?")."""
    if SEND_TO_ME.search(folded):
        return True
    for clause in _CLAUSE.split(folded):
        clause = re.sub(r"^(?:und|and|also|auch|dann|then|oder|or|aber|but)\s+", "", clause.strip(" -–"))
        if clause and REQUEST.search(clause) and not QUESTION_START.match(clause) and not HOW_TO.match(clause) \
                and not _SUBORDINATE.match(clause):
            return True
    return False


def about_own_business(text: str, articles_count: bool = True) -> bool:
    """The buyer's own orders or documents, or a request to do something: not a general question. An article
    number counts too unless ``articles_count`` is False (for order status, "kv-Wert vom SV-520-08?" is a product
    question; for a datasheet or price request the article is what is asked for)."""
    folded = fold(text).strip(" ¿!.,")
    if DOCUMENT_NUMBER.search(text) or (articles_count and ARTICLE.search(text)):
        return True
    if _asks_for_something(folded[:2000]):
        return True
    how_to = bool(HOW_TO.match(folded))
    own = bool(OWN.search(folded))
    # "Does your API push webhooks when an order status changes?" asks how things work; "where is my order?" not
    status = bool(STATUS.search(folded)) and (own or not how_to)
    return bool(ORDER_THING.search(folded) and (status or (own and not how_to)))


def misrouted_question(text: str, intent: str) -> bool:
    """A question about products, terms or the shop that NLU filed under an intent that would not answer it."""
    if intent not in REROUTABLE or not text or text.lstrip().startswith("/"):
        return False
    words = re.findall(r"[^\W\d_]{2,}", text)
    if len(words) < 3 or not is_question(text) or about_own_business(text, intent in _ARTICLE_IS_REQUEST):
        return False
    folded = fold(text)
    keep = {"request_human": HUMAN, "start_rfq": QUOTE, "upload_bom": QUOTE, "start_finder": FINDER,
            "price_list": PRICE_LIST, "help": HELP, "compare_products": COMPARE}.get(intent)
    return not (keep is not None and keep.search(folded))
