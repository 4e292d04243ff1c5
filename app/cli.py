"""The `anxin` command.

Client commands live here; the server commands (serve, db, seed-demo, audit, users, demo) are
the launcher's and import wallet_api lazily, so the client never loads server code otherwise.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def _settings(args: argparse.Namespace):
    from wallet_api.config import Settings

    overrides = {}
    if getattr(args, "database_url", None):
        overrides["database_url"] = args.database_url
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = Path(args.data_dir)
    return Settings(**overrides)


def cmd_serve(args: argparse.Namespace) -> int:
    from wallet_api import admin

    settings = _settings(args).model_copy(update={k: v for k, v in
                                                  {"host": args.host, "port": args.port, "workers": args.workers}.items()
                                                  if v is not None})
    # uvicorn workers build their own app from the environment: hand the overrides down that way.
    os.environ.update({"ANXIN_HOST": settings.host, "ANXIN_PORT": str(settings.port),
                       "ANXIN_DATA_DIR": str(settings.data_dir)})
    if settings.database_url:
        os.environ["ANXIN_DATABASE_URL"] = settings.database_url
    admin.db_upgrade(settings)
    print(f"Anxin Wallet API on http://{settings.host}:{settings.port}  (docs: /docs)", flush=True)
    admin.serve(settings)
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from wallet_api import admin

    settings = _settings(args)
    admin.db_upgrade(settings)
    print(f"Database is at the latest schema: {settings.sqlalchemy_url.split('@')[-1]}")
    return 0


def cmd_seed_demo(args: argparse.Namespace) -> int:
    from wallet_api import admin
    from wallet_api.demo import seed_demo

    settings = _settings(args)
    admin.db_upgrade(settings)
    world = seed_demo(settings)
    admin.audit_checkpoint(settings)
    _print_world(world)
    return 0


def _print_world(world) -> None:
    print("Demo world ready." if world.created else "Demo world was already there (left as it is).")
    print(f"Every demo login has the password {world.password!r} and the payment PIN {world.pin!r}:")
    for login in world.logins:
        print(f"  {login.username:<14} {login.who}")


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from wallet_api import admin

    result = admin.audit_verify(_settings(args), args.public_key)
    r, ledger = result.report, result.report.ledger
    print(f"checked {ledger.transfers} transfers, {ledger.postings} postings, {ledger.accounts} accounts, "
          f"{ledger.checkpoints} signed checkpoints (key from {result.key_source}); "
          f"{ledger.unchecked_transfers} transfers not yet under a checkpoint")
    if r.invariants_checked:
        print(f"domain invariants: {', '.join(r.invariants_checked)}")
    if r.ok:
        print("OK: every chain, balance and checkpoint verifies")
        return 0
    print(f"FAILED: first bad entry: {r.findings[0]}", file=sys.stderr)
    for finding in r.findings[1:20]:
        print(f"  also: {finding}", file=sys.stderr)
    if len(r.findings) > 20:
        print(f"  ... and {len(r.findings) - 20} more", file=sys.stderr)
    return 1


def cmd_audit_checkpoint(args: argparse.Namespace) -> int:
    from wallet_api import admin

    seq = admin.audit_checkpoint(_settings(args))
    print(f"signed checkpoint {seq}" if seq else "nothing new to checkpoint")
    return 0


def cmd_users_grant(args: argparse.Namespace) -> int:
    from wallet_api import admin

    admin.grant(_settings(args), args.username, args.role)
    print(f"{args.username} now has the role {args.role}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Backend on an embedded SQLite with demo data, on 127.0.0.1."""
    from wallet_api import admin
    from wallet_api.config import default_data_dir
    from wallet_api.demo import seed_demo

    data_dir = Path(args.data_dir) if args.data_dir else default_data_dir() / "demo"
    os.environ["ANXIN_DATA_DIR"] = str(data_dir)
    os.environ["ANXIN_DATABASE_URL"] = f"sqlite:///{data_dir / 'anxin-demo.sqlite3'}"
    os.environ["ANXIN_PORT"] = str(args.port)
    os.environ["ANXIN_HOST"] = "127.0.0.1"
    from wallet_api.config import Settings

    settings = Settings()
    admin.db_upgrade(settings)
    world = seed_demo(settings)
    admin.audit_checkpoint(settings)
    _print_world(world)
    base = f"http://127.0.0.1:{args.port}"
    print(f"\nWallet API: {base}   (interactive docs: {base}/docs; data in {data_dir})")
    print("Try it:\n"
          f"  TOKEN=$(curl -s {base}/v1/auth/login -H 'Content-Type: application/json' \\\n"
          f"          -d '{{\"username\":\"nainai\",\"password\":\"{world.password}\"}}' | python3 -c "
          "'import json,sys; print(json.load(sys.stdin)[\"access_token\"])')\n"
          f"  curl -s {base}/v1/wallet -H \"Authorization: Bearer $TOKEN\"\n"
          f"  curl -s {base}/v1/payments/merchant -H \"Authorization: Bearer $TOKEN\" -H 'Idempotency-Key: demo-pay-0001' \\\n"
          "       -H 'Content-Type: application/json' -d '{\"merchant_id\": 1, \"amount_fen\": 1200}'\n"
          "Press Ctrl+C to stop.", flush=True)
    admin.serve(settings)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="anxin", description="Anxin Wallet: server, demo and audit commands.")
    sub = parser.add_subparsers(dest="command", required=True)

    def with_db(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--database-url", help="overrides ANXIN_DATABASE_URL (default: SQLite in the data dir)")
        p.add_argument("--data-dir", help="overrides ANXIN_DATA_DIR")
        return p

    p = with_db(sub.add_parser("serve", help="run the wallet backend"))
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--workers", type=int)
    p.set_defaults(func=cmd_serve)

    db = sub.add_parser("db", help="database schema").add_subparsers(dest="db_command", required=True)
    with_db(db.add_parser("upgrade", help="migrate to the latest schema")).set_defaults(func=cmd_db_upgrade)

    with_db(sub.add_parser("seed-demo", help="create the demo world")).set_defaults(func=cmd_seed_demo)

    audit = sub.add_parser("audit", help="the tamper-evident journal").add_subparsers(dest="audit_command",
                                                                                      required=True)
    p = with_db(audit.add_parser("verify", help="recompute every chain, balance and checkpoint"))
    p.add_argument("--public-key", help="trusted journal public key (hex); default: the server's key file")
    p.set_defaults(func=cmd_audit_verify)
    with_db(audit.add_parser("checkpoint", help="sign a checkpoint now")).set_defaults(func=cmd_audit_checkpoint)

    users = sub.add_parser("users", help="operator user tasks").add_subparsers(dest="users_command", required=True)
    p = with_db(users.add_parser("grant", help="give a user a role"))
    p.add_argument("username")
    p.add_argument("role", choices=["consumer", "merchant", "regulator", "campus_admin", "coupon_issuer"])
    p.set_defaults(func=cmd_users_grant)

    p = sub.add_parser("demo", help="backend on SQLite with demo data, on 127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--data-dir", help="where the demo database lives (default: <user data dir>/anxin/demo)")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
