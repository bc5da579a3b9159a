"""The `assistant` command: development tokens, demo data, the knowledge base, and starting the stack."""

from __future__ import annotations

import argparse
import signal
import sys
import time

from pydantic import ValidationError

from assistant import privacy_cli
from assistant.catalog import cli as catalog_cli
from assistant.commerce import cli as commerce_cli
from assistant.commerce import demo_people, mailsink
from assistant.retrieval import cli as retrieval_cli
from assistant.settings import get_settings, is_loopback_host


def _cmd_token(args: argparse.Namespace) -> int:
    from assistant.identity import mint_token

    settings = get_settings()
    if not settings.is_development:
        print("assistant token: only available in development (ASSISTANT_PROFILE=development)", file=sys.stderr)
        return 2
    if args.ttl > settings.jwt_max_lifetime_s:
        print(f"assistant token: --ttl at most {settings.jwt_max_lifetime_s} s (ASSISTANT_JWT_MAX_LIFETIME_S); a "
              "longer-lived token is refused by the app", file=sys.stderr)
        return 2
    user = demo_people.find_user(args.user)
    if user is None:
        known = ", ".join(u.email for u in demo_people.USERS)
        print(f"assistant token: no demo user {args.user!r}. Known: {known}", file=sys.stderr)
        return 2
    print(
        mint_token(
            sub=user.id, customer=user.customer, roles=user.roles, locale=user.locale,
            email=user.email, name=user.name, ttl_s=args.ttl,
        )
    )
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = get_settings()
    host = args.host or settings.host
    if settings.is_development and not is_loopback_host(host):
        print(f"assistant serve: the development profile only binds to loopback, not {host} (its secrets are "
              "public); set ASSISTANT_PROFILE=production with real secrets", file=sys.stderr)
        return 2
    uvicorn.run(
        "assistant.gateway.app:create_app", factory=True, host=host,
        port=args.port or settings.port, workers=args.workers or settings.workers, access_log=False,
        proxy_headers=False,  # X-Forwarded-For is read by the app, from trusted proxies only (gateway/ratelimit.py)
    )
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from assistant.runner import Stack, StartupFailed

    settings = get_settings()
    stack = Stack(settings=settings, mail_sink=settings.is_development)
    stopping = False

    def _stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    print("Starting Rasa and the app …", flush=True)
    try:
        seconds = stack.start()
    except StartupFailed as exc:
        print(f"assistant run: {exc}", file=sys.stderr)
        return 1
    base = stack.app_url
    print(
        f"\nReady in {seconds:.1f} s.\n"
        f"  Shop (anonymous):        {base}/\n"
        f"  Customer portal (demo):  {base}/portal\n"
        f"  Admin (knowledge):       {base}/admin   (user {settings.admin_user})\n"
        f"  Chat API:                {base}/api/chat   (docs {base}/api/docs)\n"
        f"  Health:                  {base}/healthz\n"
        + (f"  Mail sink (.eml files):  {settings.var_dir / 'mail'}\n" if settings.is_development else "")
        + f"Logs in {settings.var_dir / 'log'}. Press Ctrl-C to stop.",
        flush=True,
    )
    try:
        while not stopping:
            for name, proc in list(stack.processes.items()):
                if proc.poll() is not None:
                    print(f"{name} stopped unexpectedly (code {proc.returncode}); see var/log/{name}.log",
                          file=sys.stderr)
                    stopping = True
            time.sleep(0.5)
    finally:
        print("\nStopping …", flush=True)
        stack.stop()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="assistant", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("token", help="print a development JWT for a demo user")
    p.add_argument("--user", required=True, help="e-mail of a demo user (see `assistant demo users`)")
    p.add_argument("--ttl", type=int, default=3600, help="lifetime in seconds")
    p.set_defaults(func=_cmd_token)

    p = sub.add_parser("serve", help="start the app alone (Rasa must be running)")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--workers", type=int)
    p.set_defaults(func=_cmd_serve)

    p = sub.add_parser("run", help="start Rasa and the app, wait until ready, stop both on Ctrl-C")
    p.set_defaults(func=_cmd_run)

    commerce_cli.add_commands(sub)  # db upgrade, demo seed|users, outbox run
    retrieval_cli.add_commands(sub)  # kb build|status|add|remove|search
    mailsink.add_commands(sub)  # mail sink (development SMTP server writing var/mail/*.eml)
    privacy_cli.add_commands(sub)  # privacy purge (retention)
    catalog_cli.add_commands(sub)  # catalog import (BMEcat)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ValidationError as exc:
        print(f"assistant: invalid settings: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
