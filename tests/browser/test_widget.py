"""The chat widget in a real browser (Debian's chromium), against the fake chat API.

Every user-visible behaviour is checked in German and in English where it has words.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest

from tests.browser.fake_server import HOSTILE, FakeChatServer

pytestmark = pytest.mark.browser

TEXTS = {
    "de": {"offline": "Keine Verbindung", "timeout": "ungewöhnlich lange", "rate": "Bitte warten Sie",
           "down": "nicht erreichbar", "retry": "Erneut senden", "thanks": "Danke für Ihre Rückmeldung",
           "upload_type": "CSV- oder XLSX-Datei", "upload_size": "größer als 2 MB", "kind": "Datenblatt",
           "page": "S. 3", "bad": "anders", "auth": "Anmeldung ist abgelaufen", "wrote": "Sie schrieben"},
    "en": {"offline": "No connection", "timeout": "unusually long", "rate": "Please wait",
           "down": "unavailable", "retry": "Send again", "thanks": "Thank you for your feedback",
           "upload_type": "CSV or XLSX file", "upload_size": "larger than 2 MB", "kind": "Datasheet",
           "page": "p. 3", "bad": "rephrase", "auth": "sign-in has expired", "wrote": "You wrote"},
}


def fake_jwt(sub: str, customer: str) -> str:
    """An unsigned-looking JWT: the widget only reads sub+customer; the server is what verifies."""

    def b64(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    claims = {"sub": sub, "customer": customer, "roles": ["buyer"], "locale": "de", "exp": 4102444800}
    return f"{b64({'alg': 'HS256', 'typ': 'JWT'})}.{b64(claims)}.c2ln"


def load(page: Any, site: FakeChatServer, path: str = "/", **query: str) -> None:
    q = "&".join(f"{k}={v}" for k, v in query.items())
    page.goto(f"{site.base_url}{path}{'?' + q if q else ''}")
    page.evaluate("() => window.__widgetReady")


def open_widget(page: Any) -> None:
    page.locator(".aw-launcher").click()
    page.locator(".aw-panel").wait_for(state="visible")


def say(page: Any, text: str) -> None:
    page.locator(".aw-input").fill(text)
    page.locator(".aw-input").press("Enter")


def replies(page: Any) -> Any:
    return page.locator(".aw-reply")


def shadow_active(page: Any) -> str:
    """Class of the element focused inside the widget's shadow root ('' if focus is elsewhere)."""
    return page.evaluate(
        "() => { const h = document.getElementById('assistant-widget');"
        " const a = h && h.shadowRoot.activeElement; return a ? a.className : ''; }"
    )


# ---------- rendering ----------


@pytest.mark.parametrize("lang", ["de", "en"])
def test_renders_every_message_type(page: Any, chat_site: FakeChatServer, watch: Any, shot: Any,
                                    lang: str) -> None:
    load(page, chat_site, locale=lang)
    shot(page, "closed")
    open_widget(page)
    shot(page, "open")
    say(page, "alles" if lang == "de" else "all")
    reply = replies(page).first
    reply.wait_for()

    first = reply.locator(".aw-msg").first
    assert first.locator("strong").first.inner_text().endswith(("Kupplung", "coupling"))
    assert first.locator("ul > li").count() == 2
    links = first.locator("a")
    assert links.count() == 2
    assert links.nth(0).get_attribute("href") == f"{chat_site.base_url}/docs/3S-1208.pdf"
    assert links.nth(1).get_attribute("href").startswith("https://example.com/")
    assert not links.nth(1).get_attribute("href").endswith(".")  # trailing full stop stays text
    for i in range(2):
        assert links.nth(i).get_attribute("target") == "_blank"
        assert links.nth(i).get_attribute("rel") == "noopener"

    chips = reply.locator(".aw-chip")
    assert chips.count() == 2
    assert chips.first.inner_text() == ("Ja, bitte" if lang == "de" else "Yes, please")

    card = reply.locator(".aw-card")
    assert card.locator("h3").inner_text().startswith(("Schnellkupplung", "Quick coupling"))
    assert "3S-1208" in card.locator(".aw-sku").inner_text()
    assert card.locator(".aw-facts tr").count() == 3
    assert card.locator(".aw-facts th").first.inner_text() == ("Werkstoff" if lang == "de" else "Material")
    assert card.locator("a").get_attribute("href") == f"{chat_site.base_url}/produkte/3S-1208"

    docs = reply.locator(".aw-docs li")
    assert docs.count() == 2
    assert docs.first.locator(".aw-kind").inner_text() == TEXTS[lang]["kind"]
    assert docs.first.locator("a").get_attribute("href") == f"{chat_site.base_url}/d/abc123"

    src = reply.locator(".aw-srcs li")
    assert src.count() == 1
    assert src.locator(".aw-page").inner_text() == TEXTS[lang]["page"]
    assert "140 °C" in src.locator("blockquote").inner_text()

    # polite live region announced the answer
    live = page.locator(".aw [aria-live=polite]")
    assert "120 °C" in live.inner_text()
    shot(page, "all-types")
    watch.assert_clean()


def test_shop_css_does_not_leak_into_the_widget(page: Any, chat_site: FakeChatServer, watch: Any) -> None:
    load(page, chat_site)
    # The test page styles every <button> red with 40px text and every div with a lime border.
    style = page.locator(".aw-launcher").evaluate(
        "el => { const s = getComputedStyle(el); return [s.position, s.fontSize, s.backgroundColor]; }"
    )
    assert style[0] == "fixed"
    assert style[1] == "15px"
    assert style[2] != "rgb(255, 0, 0)"
    assert page.evaluate("() => window.__cspViolations") == []
    watch.assert_clean()


def test_hostile_content_renders_as_text(page: Any, chat_site: FakeChatServer, watch: Any, shot: Any) -> None:
    load(page, chat_site)
    open_widget(page)
    say(page, "xss")
    reply = replies(page).first
    reply.wait_for()
    page.wait_for_timeout(300)  # give any injected handler the chance to fire
    assert watch.dialogs == []
    counts = page.evaluate(
        "() => { const r = document.getElementById('assistant-widget').shadowRoot;"
        " return [r.querySelectorAll('img').length, r.querySelectorAll('script').length,"
        " [...r.querySelectorAll('a')].map(a => a.href)]; }"
    )
    assert counts[0] == 0 and counts[1] == 0
    assert all(href.startswith("http") for href in counts[2]), counts[2]
    assert HOSTILE in reply.inner_text()
    assert "javascript:" not in json.dumps(counts[2])
    shot(page, "xss")
    watch.assert_clean()


def test_accent_colour_gets_readable_text(page: Any, chat_site: FakeChatServer) -> None:
    def rgb(s: str) -> list[float]:
        return [float(x) for x in re.findall(r"[\d.]+", s)[:3]]

    def lum(c: list[float]) -> float:
        v = [(x / 255 / 12.92) if x / 255 <= 0.03928 else ((x / 255 + 0.055) / 1.055) ** 2.4 for x in c]
        return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]

    def ratio(a: list[float], b: list[float]) -> float:
        la, lb = sorted([lum(a), lum(b)], reverse=True)
        return (la + 0.05) / (lb + 0.05)

    for accent in ("ffd400", "1a1a1a", "e30613", "7fdbff"):
        load(page, chat_site, accent=f"%23{accent}")
        fg, bg = page.locator(".aw-launcher").evaluate(
            "el => { const s = getComputedStyle(el); return [s.color, s.backgroundColor]; }"
        )
        assert ratio(rgb(fg), rgb(bg)) >= 4.5, (accent, fg, bg)


# ---------- buttons, keyboard, layout ----------


@pytest.mark.parametrize("lang", ["de", "en"])
def test_button_sends_payload_and_shows_title(page: Any, chat_site: FakeChatServer, watch: Any,
                                              lang: str) -> None:
    load(page, chat_site, locale=lang)
    open_widget(page)
    say(page, "alles" if lang == "de" else "all")
    replies(page).first.wait_for()
    title = "Ja, bitte" if lang == "de" else "Yes, please"
    page.locator(".aw-chip", has_text=title).click()
    replies(page).nth(1).wait_for()
    sent = chat_site.chats[-1]["body"]
    assert sent["payload"] == "/affirm" and sent["message"] is None
    assert chat_site.chats[0]["body"]["conversation_id"] is None
    assert sent["conversation_id"] == "conv-1"
    assert page.locator(".aw-user").last.inner_text().endswith(title)
    assert page.locator(".aw-chip").first.is_disabled()
    watch.assert_clean()


def test_greeting_starters_send_their_payload_and_stay_usable(page: Any, chat_site: FakeChatServer, watch: Any,
                                                              shot: Any) -> None:
    from urllib.parse import quote

    starters = [{"title": "Nachbestellen", "payload": "/reorder"}, {"title": "Lieferzeit?", "payload": "Lieferzeit?"},
                {"title": "", "payload": "/dropped"}, {"title": "no payload"}, "junk",
                *({"title": f"S{i}", "payload": f"/s{i}"} for i in range(8))]
    load(page, chat_site, starters=quote(json.dumps(starters)))
    open_widget(page)
    chips = page.locator(".aw-greeting .aw-chip")
    assert chips.count() == 6  # malformed ones dropped, at most six
    assert chips.all_inner_texts()[:2] == ["Nachbestellen", "Lieferzeit?"]
    shot(page, "starters")
    chips.first.click()
    replies(page).first.wait_for()
    assert chat_site.chats[-1]["body"]["payload"] == "/reorder" and chat_site.chats[-1]["body"]["message"] is None
    assert page.locator(".aw-user").last.inner_text().endswith("Nachbestellen")
    chips.nth(1).click()  # offered with every greeting, so never used up
    replies(page).nth(1).wait_for()
    assert chat_site.chats[-1]["body"]["message"] == "Lieferzeit?" and chat_site.chats[-1]["body"]["payload"] is None
    page.reload()
    page.evaluate("() => window.__widgetReady")
    assert page.locator(".aw-greeting .aw-chip").count() == 6 and replies(page).count() == 2
    watch.assert_clean()


def test_keyboard_only_flow(page: Any, chat_site: FakeChatServer, watch: Any, shot: Any) -> None:
    load(page, chat_site)
    page.locator("#shop-button").focus()
    page.keyboard.press("Tab")
    assert "aw-launcher" in shadow_active(page)
    shot(page, "launcher-focus")
    page.keyboard.press("Enter")
    page.locator(".aw-panel").wait_for(state="visible")
    assert "aw-input" in shadow_active(page)
    page.keyboard.type("Zeile eins")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("Zeile zwei")
    assert page.locator(".aw-input").input_value() == "Zeile eins\nZeile zwei"
    assert chat_site.chats == []
    page.keyboard.press("Enter")
    replies(page).first.wait_for()
    assert chat_site.chats[0]["body"]["message"] == "Zeile eins\nZeile zwei"
    assert page.locator(".aw-input").input_value() == ""
    # Tab moves on to the send button, Shift+Tab back through the form to the upload button.
    page.keyboard.press("Tab")
    assert "aw-send" in shadow_active(page)
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    assert "aw-upload" in shadow_active(page)
    # Visible focus: the focused control has an outline.
    outline = page.evaluate(
        "() => { const a = document.getElementById('assistant-widget').shadowRoot.activeElement;"
        " const s = getComputedStyle(a); return [s.outlineStyle, s.outlineWidth]; }"
    )
    assert outline[0] != "none" and outline[1] != "0px"
    shot(page, "focus-visible")
    page.keyboard.press("Escape")
    page.locator(".aw-panel").wait_for(state="hidden")
    assert "aw-launcher" in shadow_active(page)
    watch.assert_clean()


def test_header_controls_close_and_reset(page: Any, chat_site: FakeChatServer) -> None:
    load(page, chat_site, locale="en")
    open_widget(page)
    say(page, "hello")
    replies(page).first.wait_for()
    page.locator(".aw-reset").click()
    assert replies(page).count() == 0
    assert page.locator(".aw-greeting").count() == 1
    say(page, "again")
    replies(page).first.wait_for()
    assert chat_site.chats[-1]["body"]["conversation_id"] is None
    page.locator(".aw-close").click()
    page.locator(".aw-panel").wait_for(state="hidden")
    assert "aw-launcher" in shadow_active(page)


def test_phone_viewport_is_full_screen(browser: Any, chat_site: FakeChatServer, shot: Any) -> None:
    ctx = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    try:
        page = ctx.new_page()
        load(page, chat_site)
        shot(page, "phone-closed")
        open_widget(page)
        box = page.locator(".aw-panel").bounding_box()
        assert box == {"x": 0, "y": 0, "width": 375, "height": 740}
        say(page, "alles")
        replies(page).first.wait_for()
        shot(page, "phone-open")
    finally:
        ctx.close()


def test_desktop_panel_is_a_corner_panel(page: Any, chat_site: FakeChatServer) -> None:
    load(page, chat_site)
    open_widget(page)
    box = page.locator(".aw-panel").bounding_box()
    assert box["width"] < 500 and box["x"] > 700


def test_first_message_painted_within_300ms(page: Any, chat_site: FakeChatServer) -> None:
    load(page, chat_site)
    elapsed = page.evaluate(
        """async () => {
          const root = document.getElementById('assistant-widget').shadowRoot;
          const t0 = performance.now();
          root.querySelector('.aw-launcher').click();
          await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
          const msg = root.querySelector('.aw-panel:not([hidden]) .aw-msg');
          if (!msg || msg.getBoundingClientRect().height === 0) return -1;
          return performance.now() - t0;
        }"""
    )
    assert 0 <= elapsed <= 300, elapsed


def test_context_sku_is_sent(page: Any, chat_site: FakeChatServer) -> None:
    load(page, chat_site, sku="3S-1208")
    open_widget(page)
    say(page, "Passt der auch für 140 Grad?")
    replies(page).first.wait_for()
    body = chat_site.chats[0]["body"]
    assert body["context"] == {"sku": "3S-1208"}
    assert body["locale"] == "de"
    assert set(body) == {"message", "conversation_id", "locale", "payload", "context"}


# ---------- errors ----------


@pytest.mark.parametrize("lang", ["de", "en"])
@pytest.mark.parametrize("status,key", [(503, "down"), (429, "rate"), (401, "auth")])
def test_http_errors_show_message_and_retry_resends(page: Any, chat_site: FakeChatServer, shot: Any,
                                                    lang: str, status: int, key: str) -> None:
    load(page, chat_site, locale=lang)
    open_widget(page)
    chat_site.fail_next(status, retry_after=1 if status == 429 else None)
    say(page, "Wo ist Bestellung 4711?")
    error = page.locator(".aw-error")
    error.wait_for()
    assert TEXTS[lang][key] in error.inner_text()
    assert page.locator(".aw-user").last.inner_text().endswith("Wo ist Bestellung 4711?")
    shot(page, f"error-{status}")
    retry = page.locator(".aw-retry")
    if status == 429:
        assert retry.is_disabled()  # Retry-After: 1 second
        assert "1" in retry.inner_text()
    retry.click(timeout=3000)
    replies(page).first.wait_for()
    assert page.locator(".aw-error").count() == 0
    assert [c["body"]["message"] for c in chat_site.chats] == ["Wo ist Bestellung 4711?"] * 2
    assert page.locator(".aw-user").count() == 1  # retry does not duplicate the message


@pytest.mark.parametrize("lang", ["de", "en"])
def test_offline_then_retry(page: Any, context: Any, chat_site: FakeChatServer, shot: Any, lang: str) -> None:
    load(page, chat_site, locale=lang)
    open_widget(page)
    context.set_offline(True)
    say(page, "Lieferstatus")
    page.locator(".aw-error").wait_for()
    assert TEXTS[lang]["offline"] in page.locator(".aw-error").inner_text()
    shot(page, "offline")
    context.set_offline(False)
    page.locator(".aw-retry").click()
    replies(page).first.wait_for()
    assert TEXTS[lang]["wrote"] in replies(page).first.inner_text()
    assert chat_site.chats[-1]["body"]["message"] == "Lieferstatus"


@pytest.mark.parametrize("lang", ["de", "en"])
def test_timeout_aborts_and_keeps_message(page: Any, chat_site: FakeChatServer, shot: Any, lang: str) -> None:
    load(page, chat_site, locale=lang, timeout="700")
    open_widget(page)
    say(page, "slow")
    page.locator(".aw-typing").wait_for()
    shot(page, "typing")
    page.locator(".aw-error").wait_for(timeout=3000)
    assert page.locator(".aw-typing").count() == 0
    assert TEXTS[lang]["timeout"] in page.locator(".aw-error").inner_text()
    assert page.locator(".aw-retry").is_enabled()


@pytest.mark.parametrize("lang", ["de", "en"])
def test_bad_input_gives_the_words_back(page: Any, chat_site: FakeChatServer, lang: str) -> None:
    load(page, chat_site, locale=lang)
    open_widget(page)
    chat_site.fail_next(400)
    say(page, "eine Nachricht")
    page.locator(".aw-error").wait_for()
    assert TEXTS[lang]["bad"] in page.locator(".aw-error").inner_text()
    assert page.locator(".aw-retry").count() == 0
    assert page.locator(".aw-input").input_value() == "eine Nachricht"


def test_forbidden_conversation_starts_over(page: Any, chat_site: FakeChatServer) -> None:
    load(page, chat_site)
    open_widget(page)
    say(page, "eins")
    replies(page).first.wait_for()
    chat_site.fail_next(403)
    say(page, "zwei")
    page.locator(".aw-error").wait_for()
    page.locator(".aw-retry").click()
    replies(page).nth(1).wait_for()
    assert chat_site.chats[-2]["body"]["conversation_id"] is not None
    assert chat_site.chats[-1]["body"]["conversation_id"] is None


def test_typing_while_waiting_is_not_lost(page: Any, chat_site: FakeChatServer) -> None:
    load(page, chat_site, timeout="5000")
    open_widget(page)
    say(page, "slow")
    page.locator(".aw-typing").wait_for()
    say(page, "schon die nächste Frage")  # Enter while busy must not drop the text
    assert page.locator(".aw-input").input_value() == "schon die nächste Frage"
    assert len(chat_site.chats) == 1


# ---------- persistence and identity ----------


def test_conversation_survives_navigation(page: Any, chat_site: FakeChatServer, watch: Any,
                                          shot: Any) -> None:
    load(page, chat_site)
    open_widget(page)
    say(page, "alles")
    replies(page).first.wait_for()
    page.locator(".aw-chip").first.click()
    replies(page).nth(1).wait_for()
    cid = chat_site.chats[-1]["body"]["conversation_id"]
    assert cid

    load(page, chat_site, path="/other")
    # the panel was open, so it is open again, with the same messages, and no focus theft
    page.locator(".aw-panel").wait_for(state="visible")
    assert replies(page).count() == 2
    assert page.locator(".aw-card").count() == 1
    assert page.locator(".aw-chip").first.is_disabled()
    shot(page, "after-navigation")
    say(page, "weiter")
    replies(page).nth(2).wait_for()
    assert chat_site.chats[-1]["body"]["conversation_id"] == cid
    watch.assert_clean()


def test_identity_change_drops_the_conversation(page: Any, chat_site: FakeChatServer) -> None:
    anna, sabine = fake_jwt("u-1001", "K-10001"), fake_jwt("u-2001", "K-10002")
    load(page, chat_site)
    page.evaluate("t => localStorage.setItem('fake-shop-token', t)", anna)
    load(page, chat_site)
    open_widget(page)
    say(page, "Bestellung 4711")
    replies(page).first.wait_for()
    assert chat_site.chats[-1]["authorization"] == f"Bearer {anna}"

    # same person, fresh token (e.g. refreshed): the conversation stays
    anna2 = fake_jwt("u-1001", "K-10001").replace("c2ln", "bmV3")
    page.evaluate("t => localStorage.setItem('fake-shop-token', t)", anna2)
    load(page, chat_site)
    assert replies(page).count() == 1

    # another user on the same browser tab: nothing of Anna's is shown or sent
    page.evaluate("t => localStorage.setItem('fake-shop-token', t)", sabine)
    load(page, chat_site)
    assert replies(page).count() == 0
    assert page.locator(".aw-user").count() == 0
    say(page, "Hallo")
    replies(page).first.wait_for()
    assert chat_site.chats[-1]["body"]["conversation_id"] is None
    assert chat_site.chats[-1]["authorization"] == f"Bearer {sabine}"


def test_previous_users_thread_never_flashes_with_a_slow_token(page: Any, chat_site: FakeChatServer) -> None:
    load(page, chat_site)
    page.evaluate("t => localStorage.setItem('fake-shop-token', t)", fake_jwt("u-1001", "K-10001"))
    load(page, chat_site, slowtoken="1")
    open_widget(page)
    say(page, "Bestellung 4711")
    replies(page).first.wait_for()
    page.evaluate("t => localStorage.setItem('fake-shop-token', t)", fake_jwt("u-2001", "K-10002"))
    page.goto(f"{chat_site.base_url}/?slowtoken=1")
    page.locator(".aw-greeting").wait_for(state="attached")
    early = page.evaluate(
        "() => document.getElementById('assistant-widget').shadowRoot.querySelectorAll('.aw-user').length"
    )
    page.evaluate("() => window.__widgetReady")
    assert early == 0
    assert page.locator(".aw-user").count() == 0
    # and the same user's thread does come back once the (slow) token confirms who it is
    page.evaluate("t => localStorage.setItem('fake-shop-token', t)", fake_jwt("u-2001", "K-10002"))
    say(page, "Hallo")
    replies(page).first.wait_for()
    page.goto(f"{chat_site.base_url}/?slowtoken=1")
    page.evaluate("() => window.__widgetReady")
    assert page.locator(".aw-user").count() == 1


def test_logout_between_sends_drops_the_conversation(page: Any, chat_site: FakeChatServer) -> None:
    load(page, chat_site)
    page.evaluate("t => localStorage.setItem('fake-shop-token', t)", fake_jwt("u-3001", "K-10003"))
    load(page, chat_site, locale="en")
    open_widget(page)
    say(page, "where is my order")
    replies(page).first.wait_for()
    say(page, "and the invoice")
    replies(page).nth(1).wait_for()
    assert chat_site.chats[-1]["body"]["conversation_id"] == "conv-1"
    # the host logs the user out without a page load; the next send checks the identity first
    page.evaluate("() => localStorage.removeItem('fake-shop-token')")
    say(page, "hello")
    replies(page).first.wait_for()
    page.wait_for_timeout(100)
    assert replies(page).count() == 1
    assert page.locator(".aw-user").count() == 1
    assert chat_site.chats[-1]["body"]["conversation_id"] is None
    assert chat_site.chats[-1]["authorization"] is None


def test_public_api_open_close_reset(page: Any, chat_site: FakeChatServer) -> None:
    load(page, chat_site)
    page.evaluate("() => AssistantWidget.open()")
    page.locator(".aw-panel").wait_for(state="visible")
    say(page, "eins")
    replies(page).first.wait_for()
    page.evaluate("() => AssistantWidget.reset()")
    assert replies(page).count() == 0
    page.evaluate("() => AssistantWidget.close()")
    page.locator(".aw-panel").wait_for(state="hidden")
    load(page, chat_site)
    page.evaluate("() => AssistantWidget.open()")
    assert replies(page).count() == 0


# ---------- upload and feedback ----------


@pytest.mark.parametrize("lang", ["de", "en"])
def test_upload_bill_of_materials(page: Any, chat_site: FakeChatServer, watch: Any, shot: Any,
                                  lang: str) -> None:
    load(page, chat_site, locale=lang)
    open_widget(page)
    say(page, "hallo")
    replies(page).first.wait_for()
    csv = b"sku;qty\n3S-1208;10\nQC-300-12;4\n"
    page.locator(".aw-panel input[type=file]").set_input_files(
        {"name": "stueckliste.csv", "mimeType": "text/csv", "buffer": csv}
    )
    replies(page).nth(1).wait_for()
    assert chat_site.uploads[0]["filename"] == "stueckliste.csv"
    assert chat_site.uploads[0]["size"] == len(csv)
    assert chat_site.uploads[0]["conversation_id"] == "conv-1"
    assert chat_site.uploads[0]["locale"] == lang
    assert "stueckliste.csv" in page.locator(".aw-user").last.inner_text()
    assert ("2 Positionen" if lang == "de" else "2 lines") in replies(page).nth(1).inner_text()
    shot(page, "uploaded")
    watch.assert_clean()


@pytest.mark.parametrize("lang", ["de", "en"])
def test_upload_checks_type_and_size_before_sending(page: Any, chat_site: FakeChatServer, shot: Any,
                                                    lang: str) -> None:
    load(page, chat_site, locale=lang)
    open_widget(page)
    file_input = page.locator(".aw-panel input[type=file]")
    file_input.set_input_files({"name": "liste.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4"})
    page.locator(".aw-error").wait_for()
    assert TEXTS[lang]["upload_type"] in page.locator(".aw-error").inner_text()
    file_input.set_input_files({"name": "gross.xlsx", "mimeType": "application/octet-stream",
                                "buffer": b"0" * 2_000_001})
    page.wait_for_function(
        "t => document.getElementById('assistant-widget').shadowRoot"
        ".querySelector('.aw-error').textContent.includes(t)", arg=TEXTS[lang]["upload_size"]
    )
    shot(page, "upload-too-big")
    assert chat_site.uploads == []
    assert page.locator(".aw-user").count() == 0


@pytest.mark.parametrize("lang", ["de", "en"])
def test_feedback_on_an_answer(page: Any, chat_site: FakeChatServer, watch: Any, lang: str) -> None:
    load(page, chat_site, locale=lang)
    open_widget(page)
    say(page, "eins")
    replies(page).first.wait_for()
    say(page, "alles" if lang == "de" else "all")
    replies(page).nth(1).wait_for()
    replies(page).nth(1).locator(".aw-rate-down").click()
    page.locator(".aw-fb-note", has_text=TEXTS[lang]["thanks"]).wait_for()
    assert chat_site.feedback == [{"conversation_id": "conv-1", "message_index": 1, "rating": "down"}]
    assert replies(page).nth(1).locator(".aw-rate-down").get_attribute("aria-pressed") == "true"
    assert replies(page).nth(1).locator(".aw-rate-up").is_disabled()
    replies(page).first.locator(".aw-rate-up").click()
    replies(page).first.locator(".aw-fb-note", has_text=TEXTS[lang]["thanks"]).wait_for()
    assert chat_site.feedback[-1] == {"conversation_id": "conv-1", "message_index": 0, "rating": "up"}
    # the rating survives a page load
    load(page, chat_site, locale=lang)
    assert replies(page).nth(1).locator(".aw-rate-down").get_attribute("aria-pressed") == "true"
    watch.assert_clean()


# ---------- accessibility ----------


def run_axe(page: Any, source: str) -> list[dict[str, Any]]:
    # evaluate() goes through the devtools protocol, so the page's strict CSP does not block axe.
    page.evaluate(source)
    result = page.evaluate(
        """async () => {
          const r = await axe.run(document, {resultTypes: ['violations']});
          return r.violations.map(v => ({id: v.id, impact: v.impact,
                                        nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
        }"""
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("lang", ["de", "en"])
def test_axe_has_no_serious_violations(page: Any, chat_site: FakeChatServer, axe_source: str,
                                       lang: str) -> None:
    load(page, chat_site, locale=lang)
    assert run_axe(page, axe_source) == []
    open_widget(page)
    say(page, "alles" if lang == "de" else "all")
    replies(page).first.wait_for()
    chat_site.fail_next(503)
    say(page, "noch eine Frage")
    page.locator(".aw-error").wait_for()
    assert run_axe(page, axe_source) == []


def test_axe_on_phone_with_light_accent(browser: Any, chat_site: FakeChatServer, axe_source: str) -> None:
    ctx = browser.new_context(viewport={"width": 390, "height": 800}, is_mobile=True)
    try:
        page = ctx.new_page()
        load(page, chat_site, accent="%23ffd400")
        open_widget(page)
        say(page, "alles")
        replies(page).first.wait_for()
        assert run_axe(page, axe_source) == []
    finally:
        ctx.close()
