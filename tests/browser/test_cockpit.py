"""The content team's cockpit in chromium, against the real app (Rasa scripted, analytics in a private store).

The issue's test of done: in the browser and in under a minute, an editor finds yesterday's thumbs-down answers on
product pages, files one as missing content, and sees last week's answer rate and RFQ funnel as charts. Also: the
review, insights and document list in German and English without serious axe violations, at phone width, with
keyboard-reachable charts, and the widget's one-question effort score after a completed flow.
Screenshots go to var/screenshots/ (test name + state).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from assistant import clock
from assistant.analytics import CesEvent, FeedbackEvent, TurnEvent, conversation_hash, write_events
from assistant.analytics import review as reviews
from assistant.analytics.events import AnalyticsConversation
from assistant.analytics.insights import Kpis, load_totals, period
from assistant.analytics.recorder import Recorder
from assistant.commerce.db import Database
from assistant.gateway import admin, cockpit, pages
from assistant.gateway import ces as ces_module
from assistant.gateway import chat as chat_module
from assistant.gateway.app import create_app
from assistant.identity import ANONYMOUS, get_binder
from assistant.settings import Settings, get_settings
from tests.browser.conftest import SCREENSHOTS
from tests.browser.fake_server import ServerThread
from tests.browser.test_pages import FakeCatalogue, run_axe
from tests.gateway.cockpit_helpers import migrated_database
from tests.gateway.test_admin_documents import ManyDocuments
from tools.bench_insights import synthetic_events

pytestmark = pytest.mark.browser

PRODUCT_QUESTIONS = [  # yesterday, product pages, thumbs down: what the editor must find
    ("Ist die QC-300-08 für 400 bar geeignet?", "QC-300-08", "de"),
    ("Hält der HS-301 Schlauch Dampf aus?", "HS-301-19", "de"),
    ("Is the 3SX-0804 fitting rated for vacuum?", "3SX-0804", "en"),
]


class ScriptedRasa:
    """Answers like the real actions would, with their private analytics payloads."""

    async def send(self, sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        de = metadata.get("language") != "en"
        low = text.lower()
        if "bestell" in low or "order" in low:
            done = "Bestellung 4711 ist aufgegeben." if de else "Order 4711 has been placed."
            return [{"recipient_id": sender, "custom": {"type": "text", "text": done}},
                    {"recipient_id": sender, "custom": {"_analytics": {"kind": "flow", "flow": "reorder",
                                                                      "event": "finished"}}}]
        answer = "Laut Datenblatt bis 80 °C." if de else "According to the datasheet up to 80 °C."
        return [{"recipient_id": sender, "custom": {
            "type": "text", "text": answer,
            "_analytics": {"kind": "knowledge", "answered": True, "verdict": "yes", "sources": ["ds-3s-push-in"],
                           "reason": None}}}]


@dataclass
class Site:
    url: str
    db: Database
    recorder: Recorder


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("cockpit")
    db = migrated_database(tmp)
    today = clock.today()
    write_events(db, list(synthetic_events(6000, today, days=21, seed=4)))
    yesterday = datetime.combine(today - timedelta(days=1), datetime.min.time(), UTC) + timedelta(hours=10)
    known: list[Any] = []
    for i, (question, sku, lang) in enumerate(PRODUCT_QUESTIONS):
        conv = f"known-{i}"
        known += [TurnEvent(conv, yesterday + timedelta(minutes=i), lang, "product", False, question,
                            ({"type": "text", "text": "Ja." if lang == "de" else "Yes."},),
                            ({"kind": "knowledge", "answered": True, "verdict": "yes", "sources": ["ds-qc-300-iso-a"],
                              "reason": None},), sku),
                  FeedbackEvent(conv, yesterday + timedelta(minutes=i, seconds=30), 0, "down")]
    known.append(CesEvent("known-0", yesterday, "rfq", 4))
    write_events(db, known)
    root = tmp / "knowledge"
    root.mkdir()
    documents = ManyDocuments(root, 180)
    settings = Settings(var_dir=tmp / "var", knowledge_dir=root)
    recorder = Recorder(db)
    app = create_app()
    app.dependency_overrides[cockpit.analytics_database] = lambda: db
    app.dependency_overrides[get_settings] = lambda: settings
    catalogue = FakeCatalogue()
    app.dependency_overrides[pages.get_catalogue] = lambda: catalogue
    rasa = ScriptedRasa()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(admin, "get_knowledge", lambda: documents)
        mp.setattr(chat_module, "get_rasa_client", lambda: rasa)
        mp.setattr(chat_module, "get_recorder", lambda: recorder)
        mp.setattr(ces_module, "get_recorder", lambda: recorder)
        server = ServerThread(app).start()
        yield Site(server.url, db, recorder)
        server.stop()
        recorder.stop()


def admin_log_in(page: Any, base: str, lang: str) -> None:
    """Log in to the admin pages with the development account, as a person would."""
    page.goto(f"{base}/admin/login?lang={lang}")
    page.locator("#username").fill("admin")
    page.locator("#password").fill("admin")
    page.get_by_role("button", name="Anmelden" if lang == "de" else "Log in").click()
    page.wait_for_url(re.compile(r"/admin\?"))


def log_in(page: Any, site: Site, lang: str) -> None:
    admin._login_limiter.cache_clear()  # many tests log in from one address
    admin_log_in(page, site.url, lang)


@pytest.mark.parametrize("lang", ["de", "en"])
def test_an_editor_finds_files_and_sees_the_charts_in_under_a_minute(page: Any, site: Site, watch: Any, shot: Any,
                                                                     lang: str) -> None:
    de = lang == "de"
    started = time.monotonic()
    log_in(page, site, lang)
    page.get_by_role("link", name="Gesprächsprüfung" if de else "Conversation review").click()
    page.locator("select[name=period]").select_option("yesterday")
    page.locator("select[name=touchpoint]").select_option("product")
    page.get_by_label("mit Daumen runter" if de else "thumbs down").check()
    page.get_by_role("button", name="Anzeigen" if de else "Show").click()
    page.wait_for_url(re.compile(r"thumbs_down=1"))

    yesterday = clock.today() - timedelta(days=1)
    expected = reviews.review(site.db, reviews.ReviewQuery(day_from=yesterday, day_to=yesterday,
                                                           touchpoint="product", thumbs_down=True))[0]
    shown = [re.sub(r"^(Frage|Question):\s*", "", q.strip()) for q in page.locator("h3.question").all_inner_texts()]
    assert shown == [i.question for i in expected]
    assert {q for q, _, _ in PRODUCT_QUESTIONS} <= set(shown)
    shot(page, "review-yesterday-thumbs-down")

    answer = page.locator("article.answer").first
    answer.get_by_label("Notiz zum Fall (optional)" if de else "Note on the case (optional)").fill(
        "Druckangabe fehlt im Datenblatt" if de else "Pressure missing from the datasheet")
    answer.get_by_role("button", name="Fehlenden Inhalt erfassen" if de else "File as missing content").click()
    badge = "Fall erfasst: Fehlender Inhalt" if de else "Case filed: Missing content"
    page.locator("article.answer").first.get_by_text(badge).wait_for()
    assert any(c.category == "missing_content" and c.question == shown[0] for c in reviews.cases(site.db))
    shot(page, "case-filed")

    page.get_by_role("link", name="Kennzahlen" if de else "Insights").click()
    assert page.locator("select[name=period]").input_value() == "last_week"
    rate = page.locator("#answer_rate svg[role=img]")
    funnel = page.locator("#funnel svg[role=img]")
    rate.wait_for()
    funnel.wait_for()
    week = period("last_week", None, None, clock.today())
    k = Kpis(load_totals(site.db, week))
    sent = dict(k.funnel)["funnel_rfq_sent"]
    assert funnel.locator("desc").text_content().startswith(
        ("Gespräche: " if de else "Conversations: ") + f"{k.n('conversations'):,}".replace(",", "." if de else ","))
    assert f"{sent}" in funnel.locator("desc").text_content()
    assert rate.bounding_box()["height"] > 100 and funnel.bounding_box()["height"] > 100
    shot(page, "insights-last-week")
    page.screenshot(path=str(SCREENSHOTS / f"cockpit-insights-last-week-{lang}-full-page.png"), full_page=True)
    assert time.monotonic() - started < 60
    watch.assert_clean()


PAGES = ["/admin/review", "/admin/review?period=yesterday&touchpoint=product&thumbs_down=1", "/admin/review/cases",
         "/admin/insights", "/admin/insights?period=last_30&touchpoint=product", "/admin",
         "/admin?doc_q=QC&doc_type=datasheet"]


@pytest.mark.parametrize("lang", ["de", "en"])
@pytest.mark.parametrize("path", PAGES)
def test_cockpit_pages_have_no_serious_axe_violations(page: Any, site: Site, axe_source: str, watch: Any, shot: Any,
                                                      path: str, lang: str) -> None:
    log_in(page, site, lang)
    page.goto(f"{site.url}{path}{'&' if '?' in path else '?'}lang={lang}")
    page.locator("main h1").wait_for()
    if "doc_q" in path:
        page.locator("#documents").scroll_into_view_if_needed()
    shot(page, "page")
    for details in page.locator("details").all()[:3]:  # tables behind "data as a table" are checked too
        details.locator("summary").click()
    assert run_axe(page, axe_source) == []
    watch.assert_clean()


@pytest.mark.parametrize("path", ["/admin/review?period=yesterday&touchpoint=product&thumbs_down=1",
                                  "/admin/insights", "/admin"])
def test_cockpit_on_a_phone(browser: Any, site: Site, shot: Any, path: str) -> None:
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, locale="de-DE")
    try:
        page = ctx.new_page()
        log_in(page, site, "de")
        page.goto(f"{site.url}{path}")
        page.locator("main h1").wait_for()
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        if "insights" in path:
            box = page.locator("#funnel svg").bounding_box()
            assert box["width"] <= 390 and box["height"] > 150  # the chart shrinks with the page, it is not cut off
        shot(page, "phone")
    finally:
        ctx.close()


def test_charts_and_their_tables_are_reached_with_the_keyboard(page: Any, site: Site, watch: Any) -> None:
    log_in(page, site, "de")
    page.goto(f"{site.url}/admin/insights")
    page.locator("main h1").wait_for()
    page.locator("button[type=submit]:has-text('Anzeigen')").focus()

    def tab() -> str:
        page.keyboard.press("Tab")
        return str(page.evaluate("() => { const e = document.activeElement; return e.tagName.toLowerCase()"
                                 " + (e.getAttribute('role') ? ':' + e.getAttribute('role') : '') }"))

    assert tab() == "svg:img"  # the first chart, with its name and description for screen readers
    assert tab() == "summary"
    page.keyboard.press("Enter")  # opens its data table
    assert page.locator("#conversations details").get_attribute("open") is not None
    assert page.locator("#conversations table").is_visible()
    assert tab() == "a" and "insights.csv?chart=conversations" in str(
        page.evaluate("() => document.activeElement.getAttribute('href')"))
    assert tab() == "svg:img"  # and on to the next chart
    watch.assert_clean()


@pytest.mark.parametrize(("lang", "message", "choice", "after"), [
    ("de", "Bitte meine letzte Bestellung nochmal bestellen", "5 – sehr einfach",
     "Danke! Das hilft uns, es Ihnen einfacher zu machen."),
    ("en", "Please order my last order again", "Skip", "All right, we will not ask again in this conversation."),
], ids=["de-answered", "en-skipped"])
def test_the_widget_asks_the_effort_question_once_after_a_completed_flow(
        page: Any, site: Site, axe_source: str, watch: Any, shot: Any, lang: str, message: str, choice: str,
        after: str) -> None:
    page.goto(f"{site.url}/?lang={lang}")
    page.locator(".aw-launcher").click()
    page.locator(".aw-input").fill(message)
    page.locator(".aw-input").press("Enter")
    question = page.locator(".aw-ces-q")
    question.wait_for()
    shot(page, "ces-asked")
    assert run_axe(page, axe_source) == []
    if choice == "Skip":
        page.locator(".aw-ces-skip").click()
    else:
        page.get_by_role("button", name=choice).click()
    page.locator(".aw-ces-done").get_by_text(after).wait_for()
    shot(page, "ces-answered")
    page.locator(".aw-input").fill(message)  # a second completed flow in the same conversation: not asked again
    page.locator(".aw-input").press("Enter")
    page.locator(".aw-reply").nth(1).wait_for()
    assert page.locator(".aw-ces-q").count() == 0 and page.locator(".aw-ces-done").count() == 1
    assert site.recorder.flush(5)
    cid = page.evaluate("() => JSON.parse(sessionStorage.getItem('assistant-widget:' + location.origin)).cid")
    with site.db.session() as s:
        row = s.get(AnalyticsConversation, conversation_hash(get_binder().sender_for(cid, ANONYMOUS)))
    assert (row.ces_flow, row.ces_score) == ("reorder", 5 if lang == "de" else None)
    watch.assert_clean()
