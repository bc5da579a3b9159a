"""Actions get a logged-in person's e-mail and name from the user directory, not from the tracker."""

from __future__ import annotations

from decimal import Decimal

from assistant.actions import base
from assistant.commerce.domain import UserInfo
from assistant.identity import BuyerIdentity
from tests.actions.helpers import tracker

WHO = BuyerIdentity("u-1001", "K-10001", frozenset({"buyer"}), "de")


class Directory:
    def __init__(self) -> None:
        self.asked: list[tuple[str, str]] = []

    def get_user(self, customer_id: str, user_id: str) -> UserInfo | None:
        self.asked.append((customer_id, user_id))
        if (customer_id, user_id) != ("K-10001", "u-1001"):
            return None
        return UserInfo("u-1001", "K-10001", "anna.mueller@mueller-maschinenbau.de", "Anna Müller",
                        frozenset({"buyer"}), "de", Decimal("2500"), None)


def test_contact_data_comes_from_the_directory(monkeypatch) -> None:
    directory = Directory()
    monkeypatch.setattr(base, "get_repository", lambda: directory)
    turn = base.turn_from_tracker(tracker("Hallo", identity=WHO))
    assert turn.identity.email == "anna.mueller@mueller-maschinenbau.de" and turn.identity.name == "Anna Müller"
    assert directory.asked == [("K-10001", "u-1001")]


def test_anonymous_visitors_and_unknown_users_are_left_as_they_are(monkeypatch) -> None:
    directory = Directory()
    monkeypatch.setattr(base, "get_repository", lambda: directory)
    assert base.turn_from_tracker(tracker("Hallo")).identity.email is None and directory.asked == []
    stranger = BuyerIdentity("u-9", "K-9", frozenset({"buyer"}), "en")
    assert base.turn_from_tracker(tracker("hi", identity=stranger)).identity.name is None


def test_a_directory_that_is_down_costs_only_the_convenience(monkeypatch) -> None:
    def down():
        raise ConnectionError("database down")

    monkeypatch.setattr(base, "get_repository", down)
    assert base.turn_from_tracker(tracker("Hallo", identity=WHO)).identity.user_id == "u-1001"
