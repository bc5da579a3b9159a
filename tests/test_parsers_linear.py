"""Every parser of user text is linear: adversarial inputs and Hypothesis-built ones at the message limit.

The ceiling is thread CPU time (other processes on the machine do not count) and ten times the benchmark's 20 ms
budget, so a loaded machine does not fail it, while a backtracking pattern (the quantity parser once took 11 s on
one message) fails it by orders of magnitude. ``tools/bench_parsers.py`` records the actual worst cases.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tools.bench_parsers import MESSAGE_LIMIT, PAIRS, RUNS, adversarial_inputs, cpu_ms, parsers

CEILING_MS = 200.0
PARSERS = parsers()
ADVERSARIAL = list(adversarial_inputs())


def test_the_adversarial_set_is_at_the_message_limit_and_contains_the_11s_message() -> None:
    assert ADVERSARIAL[0][1].startswith("1" + " " * 1000) and ADVERSARIAL[0][1].endswith("a 3S-1208")
    assert all(len(text) <= MESSAGE_LIMIT for _, text in ADVERSARIAL)
    assert sum(len(text) >= MESSAGE_LIMIT - 20 for _, text in ADVERSARIAL) > len(ADVERSARIAL) * 0.9


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_adversarial_inputs_stay_far_below_a_second(name: str) -> None:
    fn = PARSERS[name]
    fn("warm up 3S-1208 x 5")
    slow = [(label, round(ms)) for label, text in ADVERSARIAL if (ms := cpu_ms(fn, text)) > CEILING_MS]
    assert not slow, slow[:5]


# Hypothesis: a message is a sequence of runs (a piece repeated), the shape that defeats backtracking.
PIECES = RUNS + [a + b for a, b in PAIRS] + ["3S-1208", "QC-300-08", "50x", "Position 2 auf", "ohne", "EPDM"]
runs = st.lists(st.tuples(st.sampled_from(PIECES), st.integers(1, 600)), min_size=1, max_size=6)
free = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=200)


@st.composite
def hostile_messages(draw: Any) -> str:
    parts = [piece * count for piece, count in draw(runs)]
    parts.insert(draw(st.integers(0, len(parts))), draw(free))
    return "".join(parts)[:MESSAGE_LIMIT]


def _check(fn: Callable[[str], Any], text: str) -> None:
    assert cpu_ms(fn, text) <= CEILING_MS, (len(text), text[:60])


@pytest.mark.parametrize("name", sorted(PARSERS))
@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(text=hostile_messages())
def test_generated_hostile_messages_stay_far_below_a_second(name: str, text: str) -> None:
    _check(PARSERS[name], text)


@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(text=hostile_messages())
def test_quick_order_results_only_name_what_was_written(text: str) -> None:
    """Whatever the input: quantities are acceptable ones, articles occur in the text, issues name real lines."""
    from assistant.commerce.textparse import MAX_QTY, parse_quick_order

    parsed = parse_quick_order(text)
    normalised = unicodedata.normalize("NFKC", text)
    for sku, qty in parsed.lines:
        assert 1 <= qty <= MAX_QTY
        assert sku in normalised
    lines = max(1, len(normalised.splitlines()))
    assert all(1 <= issue.line <= lines + 1 and len(issue.fragment) <= 80 for issue in parsed.issues)
