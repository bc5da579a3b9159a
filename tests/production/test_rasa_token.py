"""Rasa's API token: by environment or file, never on a command line (ps) or in a URL (access logs)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from rasa_addons.launch import TokenOnCommandLine, api_token


def test_the_launcher_takes_the_token_from_the_environment_or_a_file(tmp_path: Path) -> None:
    assert api_token(["run"], {"ASSISTANT_RASA_TOKEN": "from-env-0123456789"}) == "from-env-0123456789"
    path = tmp_path / "token"
    path.write_text("from-file-0123456789\n")
    assert api_token(["run"], {"ASSISTANT_RASA_TOKEN_FILE": str(path), "ASSISTANT_RASA_TOKEN": "x"}) == (
        "from-file-0123456789")
    assert api_token(["run"], {}) is None


@pytest.mark.parametrize("argv", [["run", "--auth-token", "secret"], ["run", "--auth-token=secret"]])
def test_the_launcher_refuses_a_token_on_the_command_line(argv: list[str]) -> None:
    with pytest.raises(TokenOnCommandLine, match="ASSISTANT_RASA_TOKEN"):
        api_token(argv, {"ASSISTANT_RASA_TOKEN": "from-env-0123456789"})


def _process_tree(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    found = [pid]
    if children.exists():
        for child in children.read_text().split():
            found += _process_tree(int(child))
    return found


@pytest.mark.integration
def test_the_running_rasa_shows_no_token_and_takes_it_only_from_a_header(stack) -> None:
    token = stack.settings.rasa_token.get_secret_value()
    for pid in _process_tree(stack.processes["rasa"].pid):
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        assert token not in cmdline and "--auth-token" not in cmdline, cmdline
    status = f"{stack.rasa_url}/status"
    assert httpx.get(status, headers={"Authorization": f"Bearer {token}"}, timeout=10).status_code == 200
    assert httpx.get(status, params={"token": token}, timeout=10).status_code == 401
    assert httpx.get(status, timeout=10).status_code == 401
    assert httpx.get(status, headers={"Authorization": "Bearer wrong-token"}, timeout=10).status_code == 401
