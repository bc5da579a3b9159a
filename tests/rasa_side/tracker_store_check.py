"""Run with the Rasa environment's Python: rasa_addons' tracker-store save against a real SQL store.

Usage: python tracker_store_check.py <sqlalchemy-dialect> <db-or-path> [host port user]
Exits 0 when every check holds; prints what failed otherwise. tests/production/test_tracker_store.py runs it.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from rasa_addons import launch


def events_of(tracker) -> list[dict]:
    return [e.as_dict() for e in tracker.events]


def latest_session(tracker) -> list[dict]:
    """What Rasa's store returns for a conversation: the events stamped at or after its latest session start."""
    starts = [e.timestamp for e in tracker.events if e.type_name == "session_started"]
    return [e.as_dict() for e in tracker.events if not starts or e.timestamp >= starts[-1]]


async def main(argv: list[str]) -> None:
    launch._sql_tracker_store_without_recount()
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    dialect, db = argv[0], argv[1]
    host, port, user = [*argv[2:5], None, None, None][:3]
    domain = Domain.from_yaml("version: '3.1'\nintents: [greet]\nslots:\n  s:\n    type: text\n    mappings: []\n")
    store = SQLTrackerStore(domain, dialect=dialect, db=db, host=host, port=int(port) if port else None,
                            username=user)
    turn = [UserUttered("hallo", {"name": "greet", "confidence": 1.0}), ActionExecuted("action_listen")]

    # a fresh tracker (never read from the store) falls back to Rasa's count
    fresh = DialogueStateTracker("c1", domain.slots)
    fresh.update_with_events([ActionExecuted("action_session_start"), SessionStarted(),
                              ActionExecuted("action_listen"), *turn], domain)
    await store.save(fresh)
    await store.save(fresh)  # saving again adds nothing
    read = await store.retrieve("c1")
    assert events_of(read) == latest_session(fresh), "fresh tracker round trip"

    # read, add a turn, save; twice in a row, like two turns (possibly on two replicas)
    from sqlalchemy import event

    statements: list[str] = []
    event.listen(store.engine, "before_cursor_execute", lambda *a: statements.append(a[2].lower()))
    for n in range(2):
        tracker = await store.retrieve("c1")
        tracker.update_with_events([*turn, SlotSet("s", f"v{n}")], domain)
        statements.clear()
        await store.save(tracker)
        writes = [st for st in statements if not st.strip().startswith("select 1")]
        assert not any("count(" in st for st in writes), f"save re-counted the stored events: {writes}"
        assert sum(st.startswith("insert") for st in writes) == 1, f"one insert for the turn's events: {writes}"
        again = await store.retrieve("c1")
        assert events_of(again) == events_of(tracker), f"turn {n}: stored events differ"
        assert again.get_slot("s") == f"v{n}"

    # a new session: only its events count, and they are stored once
    tracker = await store.retrieve("c1")
    tracker.update_with_events([ActionExecuted("action_session_start"), SessionStarted(),
                                ActionExecuted("action_listen"), *turn], domain)
    await store.save(tracker)
    latest = await store.retrieve("c1")
    assert events_of(latest) == latest_session(tracker), "latest session"
    full = await store.retrieve_full_tracker("c1")
    assert len(full.events) == 5 + 2 * 3 + 5, f"all sessions: {len(full.events)} events"

    # a capped event history drops old events in memory, so the remembered count means nothing: the save falls
    # back to Rasa's own count (which stores what Rasa itself would, here the 3 events kept in memory)
    capped = DialogueStateTracker("c2", domain.slots, max_event_history=3)
    capped.update_with_events([ActionExecuted("action_listen"), *turn, *turn], domain)
    await store.save(capped)
    capped._assistant_stored_events = len(capped.events)
    capped.update_with_events(turn, domain)
    await store.save(capped)
    stored = await store.retrieve("c2")
    assert len(stored.events) == 3, f"capped history: {len(stored.events)} events stored"
    print("ok")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
