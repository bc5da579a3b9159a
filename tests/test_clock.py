"""The one clock: ASSISTANT_TODAY pins the day everywhere that asks for it, and production refuses the pin."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from assistant import clock
from assistant.commerce.links import LinkExpired, LinkSigner
from assistant.identity import ANONYMOUS, MetadataSigner, UntrustedMetadata
from assistant.settings import Settings
from tests.test_settings import strong

PINNED = date(2026, 12, 10)  # a Thursday


def test_an_unpinned_clock_is_the_real_one() -> None:
    settings = Settings(today=None)
    assert clock.today(settings) == datetime.now(ZoneInfo("Europe/Berlin")).date()
    assert abs((clock.now(settings) - datetime.now(UTC)).total_seconds()) < 5


def test_a_pinned_day_runs_with_the_real_time_of_day(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_TODAY", PINNED.isoformat())
    settings = Settings()
    assert settings.today == PINNED
    assert clock.today(settings) == PINNED
    first, second = clock.now(settings), clock.now(settings)
    assert first.tzinfo is not None and second >= first
    assert clock.local_now(settings).utcoffset() == timedelta(hours=1)  # Berlin in December
    # timestamps (links, signed metadata) are on the same clock
    assert abs(clock.timestamp(settings) - clock.now(settings).timestamp()) < 5


def test_production_refuses_a_pinned_day() -> None:
    with pytest.raises(ValueError, match="ASSISTANT_TODAY"):
        Settings(**strong(today=PINNED))


def test_links_and_metadata_expire_on_the_pinned_clock() -> None:
    settings = Settings(today=date(2020, 1, 6), link_secret="test-link-secret-0123456789", link_ttl_s=60)
    signer = LinkSigner(settings)
    token = signer.sign("doc-1", "K-10001")
    assert signer.verify(token).document_id == "doc-1"
    # the same link checked by the real clock, years later, has long expired
    with pytest.raises(LinkExpired):
        LinkSigner(Settings(today=None, link_secret="test-link-secret-0123456789")).verify(token)
    meta = MetadataSigner(settings).sign(ANONYMOUS, sender="c-x", language="de", now=clock.timestamp(settings))
    with pytest.raises(UntrustedMetadata):
        MetadataSigner(Settings(today=None)).verify(meta, sender="c-x")

