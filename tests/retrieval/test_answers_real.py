"""What a visitor reads, on the real knowledge folder: the direct answer first, verdicts that check every stated
condition, values with their document, an honest "not specified", nothing borrowed from a sibling article."""

from __future__ import annotations

import pytest

from assistant.retrieval.service import KnowledgeService

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def kb(real_knowledge: KnowledgeService) -> KnowledgeService:
    return real_knowledge


def reply(kb: KnowledgeService, question: str, lang: str, sku: str | None = None) -> tuple[str, object]:
    answer = kb.answer(question, lang, sku)
    return answer.messages[0]["text"], answer


def test_a_failing_datasheet_limit_is_a_no_with_the_statement_quoted(kb) -> None:
    text, answer = reply(kb, "Can I use the SV-540 solenoid valve in zone 20?", "en")
    assert text.startswith("No – series SV-540") and "“Not for zone 0/20.”" in text
    assert answer.verdict == "no" and answer.answered
    text, answer = reply(kb, "Kann ich die Steckverschraubung 3S-1208 für Dampf nehmen?", "de")
    assert text.startswith("Nein – 3S-1208") and "„Nicht für Dampf, Heißwasser oder Hydrauliköl geeignet.“" in text


def test_a_catalogue_limit_and_a_minimum_pressure_fail_with_the_values(kb) -> None:
    text, _ = reply(kb, "Ist die Kupplung QC-300 für 350 bar geeignet?", "de")
    assert text.startswith("Nein – Serie QC-300") and "max. 250 bar" in text
    text, _ = reply(kb, "Is the DV-520 ok at 1 bar?", "en")
    assert text.startswith("No – series DV-520") and "min. 2 bar" in text and "Mindestbetriebsdruck 2 bar" in text


def test_yes_only_when_every_condition_was_checked_and_each_is_listed(kb) -> None:
    text, answer = reply(kb, "Is HS-201 ok for saturated steam at 12 bar and 180 °C?", "en")
    assert text.startswith("Yes – series HS-201") and answer.verdict == "yes"
    assert "✓ Max. temperature 180 °C" in text and "✓ Operating pressure 12 bar: max. 18 bar" in text
    assert "meet all" not in text and "erfüllen alle" not in text


def test_a_condition_no_document_mentions_makes_it_not_specified_not_yes(kb) -> None:
    text, answer = reply(kb, "Kann ich den HS-201 bei 10 bar mit Ethanol betreiben?", "de")
    assert answer.verdict in ("not_specified", "no")
    assert not text.startswith("Ja")


def test_a_value_comes_with_its_condition_and_document(kb) -> None:
    text, _ = reply(kb, "Welches Anzugsmoment für 3S mit G1/8?", "de")
    assert text.splitlines()[0] == "Serie 3S: Anzugsmoment Gewinde: G1/8 4–5 Nm"
    assert "Datenblatt „Steckverschraubungen Serie 3S – Datenblatt“" in text


def test_cross_language_value_is_stated_in_the_readers_language_and_the_quote_is_labelled(kb) -> None:
    text, _ = reply(kb, "What is the minimum bend radius of the HS-201 steam hose?", "en")
    first = text.splitlines()[0]
    assert "6 × inner diameter" in first and "(in German)" in first
    assert "“Mindestbiegeradius: 6 × Innendurchmesser.” (German original)" in text


def test_silent_documents_give_not_specified_with_what_is_stated(kb) -> None:
    text, answer = reply(kb, "Welche UV-Beständigkeit hat der HS-301?", "de")
    assert text.startswith("Dazu machen unsere Unterlagen keine Angabe") and not answer.answered
    assert answer.reason == "not_specified" and "Der Katalog nennt für Serie HS-301" in text
    text, answer = reply(kb, "What is the shore hardness of the HS-5010 PU tubing?", "en")
    assert text.startswith("Our documents do not specify this") and answer.verdict == "not_specified"


def test_selection_keeps_every_constraint_and_claims_only_what_was_checked(kb) -> None:
    text, answer = reply(kb, "Steckverschraubung für 8er Schlauch mit G1/4", "de")
    skus = [i["sku"] for m in answer.messages if m["type"] == "products" for i in m["items"]]
    assert skus and all(s.endswith("-0804") for s in skus), skus  # 8 mm tube and G1/4, push-in fittings only
    assert "erfüllen alle" not in text
    _, answer = reply(kb, "O-ring 25 x 2.5 FKM", "en")
    skus = [i["sku"] for m in answer.messages if m["type"] == "products" for i in m["items"]]
    assert skus and all(s.startswith("OR-0250-") for s in skus), skus


def test_application_questions_never_quote_catalogue_or_stock_lines(kb) -> None:
    for question, lang in (("Which O-ring material for hot water 130 °C?", "en"),
                           ("Wofür ist die Serie SV-540 geeignet?", "de"),
                           ("What is the max. pressure of the QC-350?", "en")):
        text, _ = reply(kb, question, lang)
        for marker in ("Status:", "lieferbar", "Packaging unit", "Verpackungseinheit", "Lagerbestand",
                       "Mindestbestellmenge", "Successor:"):
            assert marker not in text, (question, text)


def test_the_clause_that_names_the_condition_decides(kb) -> None:
    text, _ = reply(kb, "QC-420: can I connect it while there is still some residual pressure in the line?", "en")
    assert text.startswith("Yes – series QC-420") and "against residual pressure" in text
    text, _ = reply(kb, "Kann ich die QC-350 unter Druck kuppeln?", "de")
    assert text.startswith("Nein – Serie QC-350")


def test_a_no_names_an_article_that_passes_every_condition(kb) -> None:
    text, _ = reply(kb, "RV-100 Rückschlagventil für Dampfkondensat ok?", "de")
    assert text.startswith("Nein – Serie RV-100") and "Stattdessen passt" in text and "RV-300-08" in text
    text, _ = reply(kb, "Is the QC-300 coupling suitable for 350 bar?", "en")
    assert "Instead, according to the catalogue and data sheet: QC-350" in text


def test_several_questions_in_one_message_are_each_answered(kb) -> None:
    text, _ = reply(kb, "Anzugsmoment für 3S mit G1/4 und bis wieviel bar darf ich die 3S fahren?", "de")
    assert "G1/4 7–9 Nm" in text and "15 bar" in text
    text, _ = reply(kb, "What are your payment terms, and from which order value is shipping free?", "en")
    assert "30 days" in text and "250" in text


def test_article_properties_the_catalogue_holds_come_from_the_row(kb) -> None:
    text, _ = reply(kb, "was ist die Lieferzeit vom Lager 6206-2RS?", "de")
    assert text.startswith("Laut Katalog:") and "KL-6206-2RS: Lieferzeit 21 Arbeitstage" in text
    text, _ = reply(kb, "minimum order quantity of the HS-2010-25 steam hose?", "en")
    assert "HS-2010-25: minimum order quantity" in text or "Minimum order" in text


def test_a_place_the_documents_do_not_cover_is_not_answered_with_another_places_value(kb) -> None:
    text, answer = reply(kb, "Was kostet der Versand in die Schweiz?", "de")
    assert "8,90" not in text and not answer.answered, text
    text, _ = reply(kb, "How long does a parcel take to Austria?", "en")
    assert "2 working days" in text


@pytest.mark.parametrize(("question", "lang", "start", "quoted"), [
    ("Can I return a hose cut to length?", "en", "No – ", "hoses cut to length"),
    ("Ist der Trennverstärker im Lieferumfang?", "de", "Nein – ", "isolating barrier not included"),
    ("Brauche ich ein Login für die CAD-Modelle?", "de", "Nein – ", "ohne Login"),
    ("Do you offer cXML punch-out for SAP Ariba?", "en", "Yes – ", "cXML punch-out"),
])
def test_a_yes_no_question_gets_its_answer_word_from_the_quoted_sentence(kb, question, lang, start, quoted) -> None:
    text, _ = reply(kb, question, lang)
    assert text.startswith(start) and quoted in text, text


def test_no_answer_word_from_a_sentence_that_negates_something_else(kb) -> None:
    # "… berechnen ihn erst, wenn die Rücksendung nicht innerhalb von 30 Tagen eintrifft": the advance replacement
    # exists; the "nicht" is about the return's deadline
    text, _ = reply(kb, "Gibt es einen Vorabaustausch bei Reklamationen?", "de")
    assert "Vorabaustausch" in text and not text.startswith(("Nein", "Ja")), text
    # the part that asks nothing of its own ("…, and do I need an account?") borrows no yes from the first part,
    # and one sentence answering both is quoted once
    text, _ = reply(kb, "Which CAD formats can I download from the product page, and do I need an account?", "en")
    assert "Yes" not in text and text.count("without login.”") == 1, text


def test_a_value_from_the_other_language_is_stated_in_the_readers_words_or_left_to_the_quote(kb) -> None:
    text, _ = reply(kb, "do kanban call-offs get the small-order surcharge?", "en")
    assert "no small-order surcharge" in text and "kein minimum" not in text, text


def test_a_threshold_the_buyers_value_passes_and_a_limited_rating_make_it_only_if(kb) -> None:
    # "Bei PU-Schlauch über 10 bar gilt der niedrigere Schlauchdruck": 12 bar is within the fitting's 15 bar,
    # but not a plain yes
    text, answer = reply(kb, "Is 3S-0804 OK at 12 bar?", "en")
    assert answer.verdict == "only_if" and "über 10 bar" in text, text
    text, answer = reply(kb, "Is 3S-0804 OK at 8 bar?", "en")
    assert answer.verdict == "yes" and "meets each condition checked" in text, text
    # the resistance table's own row, not the catalogue's broad "chemicals" and not the CIP acid's row
    text, answer = reply(kb, "Verträgt der FKM O-Ring OR-0250-FK die CIP-Lauge (NaOH 2%)?", "de")
    assert answer.verdict == "only_if" and "CIP-Lauge (NaOH 2 %); Beständigkeit: bedingt" in text, text
    text, answer = reply(kb, "Verträgt der OR-0250-FK CIP-Säure?", "de")
    assert answer.verdict == "yes" and "sehr gut" in text, text


def test_a_place_or_a_word_no_document_covers_gets_no_value_and_no_yes(kb) -> None:
    text, answer = reply(kb, "Wie lange braucht ein Paket von euch nach Norwegen?", "de")
    assert not answer.answered and "(Norwegen)" in text and "Arbeitstag" not in text, text
    # the API sentence is about the same topic, but no document says "webhooks"
    text, _ = reply(kb, "Does your REST API push webhooks when an order status changes?", "en")
    assert not text.startswith("Yes"), text


def test_a_terms_question_that_names_an_article_is_answered_from_the_faq(kb) -> None:
    # the article is the occasion; the return deadline and fee are in the returns FAQ, not in its datasheet
    text, _ = reply(kb, "ordered 20 too many 3S-0604. how long do I have to send them back and what's the fee?",
                         "en")
    assert "14 days" in text and "15 %" in text and not text.startswith("3S-0604"), text


@pytest.mark.parametrize(("question", "lang", "expected"), [
    # the next sentence states the other side of the same limit
    ("if I order a stock item at 4pm today, when does it leave your warehouse?", "en", "next working day"),
    ("REST API: how many requests per minute are we allowed?", "en", "600 requests per minute"),
    ("Wie lange vorher kündigt ihr die SEPA-Lastschrift an?", "de", "2 Tage"),  # SEPA-Lastschrift is known
])
def test_the_sentence_that_holds_the_value(kb, question, lang, expected) -> None:
    text, answer = reply(kb, question, lang)
    assert answer.answered and expected in text, text


def test_the_torque_meant_and_the_row_of_the_asked_size(kb) -> None:
    # "Drehmoment" of a push-in fitting is its tightening torque (its datasheet states no rated torque)
    text, answer = reply(kb, "Mit welchem Drehmoment zieh ich die an?", "de", "3SX-1208")
    assert answer.answered and "G1/2 22–25 Nm" in text, text
    # the DK datasheet's table has a row per size; size 38's 190 Nm is not the DK-024-92's
    text, answer = reply(kb, "Welches Drehmoment hat die Kupplung?", "de", "DK-024-92")
    assert "35 Nm" in text and "190 Nm" not in text, text


def test_a_follow_up_part_is_answered_by_its_own_sentence(kb) -> None:
    # "…, und wie lange läuft sowas?" is the framework contract's term, not the first part's sentence again and not
    # the parcel transit times ("Laufzeit nach Versand")
    text, _ = reply(kb, "ab welchem volumen lohnt sich bei euch ein rahmenvertrag und wie lange läuft sowas?", "de")
    assert "10.000 €" in text and "12 Monate" in text and "Laufzeit nach Versand" not in text, text
    text, _ = reply(kb, "Wie lang bleibt ne Bestellung in der Freigabe hängen bevor die verfällt?", "de")
    assert "14 Tage" in text, text


def test_a_material_the_buyer_rules_out_is_checked_not_required(kb) -> None:
    text, answer = reply(kb, "Can I use the 3S-0804 if the spec says no brass?", "en")
    assert answer.verdict == "no" and "nickel-plated brass" in text, text
    text, _ = reply(kb, "Which push-in fitting for 8 mm tube into a G1/4 port, no copper, zinc or brass?", "en")
    assert "3S-0804" not in text and "3SX-0804" in text, text
