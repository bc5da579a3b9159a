"""`assistant mail sink`: a local SMTP server for development that writes every mail as an .eml file.

Why: RFQ and callback notifications go out through real SMTP (settings.smtp_host/smtp_port); in development
nothing should leave the machine, yet the mails must be inspectable. Files land in var/mail/ (git-ignored),
named by arrival time and Message-ID, so a resent message (same Message-ID) is easy to spot.
"""

from __future__ import annotations

import argparse
import re
import threading
import time
from pathlib import Path
from typing import Any

from assistant.settings import get_settings


class EmlWriter:
    """aiosmtpd handler: one .eml file per accepted message."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._n = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content: bytes = envelope.original_content or envelope.content
        match = re.search(rb"^Message-ID:\s*<([^>]+)>", content, re.I | re.M)
        ident = re.sub(r"[^A-Za-z0-9._-]", "_", match.group(1).decode("ascii", "replace"))[:80] if match else "none"
        with self._lock:
            self._n += 1
            name = f"{time.strftime('%Y%m%d-%H%M%S')}-{self._n:04d}-{ident}.eml"
        (self.folder / name).write_bytes(content)
        return "250 OK"


def start_sink(host: str, port: int, folder: Path) -> Any:
    """Start the sink in a background thread; returns the aiosmtpd Controller (call .stop())."""
    from aiosmtpd.controller import Controller

    controller = Controller(EmlWriter(folder), hostname=host, port=port)
    controller.start()
    return controller


def add_commands(subparsers: Any) -> None:
    """`assistant mail sink` (the CLI owner wires this in assistant/cli.py)."""
    mail = subparsers.add_parser("mail", help="development mail tools")
    sub = mail.add_subparsers(dest="mail_command", required=True)
    p = sub.add_parser("sink", help="local SMTP server that writes every mail to var/mail/*.eml")
    p.add_argument("--host", default=None, help="default: settings.smtp_host")
    p.add_argument("--port", type=int, default=None, help="default: settings.smtp_port")
    p.add_argument("--dir", type=Path, default=None, help="default: var/mail")
    p.set_defaults(func=cmd_mail_sink)


def cmd_mail_sink(args: argparse.Namespace) -> int:
    s = get_settings()
    folder = args.dir or (s.var_dir / "mail")
    controller = start_sink(args.host or s.smtp_host, args.port or s.smtp_port, folder)
    print(f"mail sink on {controller.hostname}:{controller.port}, writing to {folder} (Ctrl-C to stop)")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="assistant")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
