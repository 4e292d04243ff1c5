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
                       "ANXIN_WORKERS": str(settings.worker_count), "ANXIN_DATA_DIR": str(settings.data_dir)})
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


def cmd_coupons_verify_draw(args: argparse.Namespace) -> int:
    """Recompute a lottery round's winners from its revealed seed and sorted registrant list."""
    from wallet_api.coupons import tools

    if args.file is None and (args.campaign is None or args.round is None):
        print("Give a draw record FILE (or -), or --campaign ID --round N to read it from the database.",
              file=sys.stderr)
        return 2
    try:
        record = tools.load_record(args.file, _settings(args), args.campaign, args.round)
    except (OSError, ValueError, LookupError) as exc:  # no such file, not JSON, no such round
        print(f"Cannot read the draw record: {exc}", file=sys.stderr)
        return 2
    ok, lines = tools.report(record, commitment=args.commitment, registrants_hash=args.registrants_hash,
                             ticket=args.ticket)
    print("\n".join(lines), file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1


def cmd_coupons_new_seed(args: argparse.Namespace) -> int:
    from wallet_api.coupons import tools

    seed, commitment = tools.new_seed()
    print(f"seed (keep it secret until the draw): {seed}\ncommitment (publish it now):        {commitment}")
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
    # As nainai, the elder: she has paid Lotus Noodles before and her seeded payments are days old, so her
    # safety guardian lets this one through (tests/wallet_api/test_demo_seed.py).
    print("Try it:\n"
          f"  TOKEN=$(curl -s {base}/v1/auth/login -H 'Content-Type: application/json' \\\n"
          f"          -d '{{\"username\":\"nainai\",\"password\":\"{world.password}\"}}' | python3 -c "
          "'import json,sys; print(json.load(sys.stdin)[\"access_token\"])')\n"
          f"  curl -s {base}/v1/wallet -H \"Authorization: Bearer $TOKEN\"\n"
          f"  curl -s {base}/v1/payments/merchant -H \"Authorization: Bearer $TOKEN\" -H 'Idempotency-Key: demo-pay-0001' \\\n"
          "       -H 'Content-Type: application/json' -d '{\"merchant_id\": 1, \"amount_fen\": 1200}'\n"
          "Press Ctrl+C to stop.", flush=True)
    if args.api_only:
        admin.serve(settings)
        return 0
    _serve_api_in_background(settings)
    _serve_client(base, port=args.app_port, data_dir=data_dir / "client", open_browser=not args.no_browser)
    return 0


def _serve_api_in_background(settings) -> None:
    """The wallet API on a daemon thread of this process, so one Ctrl+C stops API and app together."""
    import threading
    import time

    import uvicorn

    server = uvicorn.Server(uvicorn.Config("wallet_api.asgi:app", host=settings.host, port=settings.port,
                                           log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, name="wallet-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise SystemExit(f"The wallet API did not start on port {settings.port} (is the port taken?)")
        time.sleep(0.05)


def _serve_client(server_url: str, *, port: int, data_dir: Path | None, open_browser: bool) -> None:
    from app.voice_assistant import voice_limit_setting
    from ui.web import serve  # the launcher is the one client module that may start the UI

    try:
        voice_limit_setting()       # a wrong client setting is said now, not at the first spoken payment
    except ValueError as wrong:
        raise SystemExit(str(wrong)) from None

    print(f"\nAnxin Wallet app: http://127.0.0.1:{port}   (served offline; opens in your browser when there is "
          "a display)", flush=True)
    serve(server_url, port=port, data_dir=data_dir, open_browser=open_browser)


def cmd_app(args: argparse.Namespace) -> int:
    """The client alone, against a wallet server somewhere else."""
    data_dir = Path(args.data_dir) if args.data_dir else None
    _serve_client(args.server.rstrip("/"), port=args.port, data_dir=data_dir, open_browser=not args.no_browser)
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

    coupons = sub.add_parser("coupons", help="city coupon lotteries").add_subparsers(dest="coupons_command",
                                                                                     required=True)
    p = with_db(coupons.add_parser("verify-draw", help="recompute a lottery round's winners; exit 1 on mismatch"))
    p.add_argument("file", nargs="?", help="the round's published record (JSON); '-' reads stdin")
    p.add_argument("--campaign", type=int, help="read the record from the database: campaign id ...")
    p.add_argument("--round", type=int, help="... and round number")
    p.add_argument("--commitment", help="the commitment you saw published before registration closed")
    p.add_argument("--registrants-hash", help="the registrant-list hash you saw published when it closed")
    p.add_argument("--ticket", help="your own ticket: check it is in the list and whether it won")
    p.set_defaults(func=cmd_coupons_verify_draw)
    coupons.add_parser("new-seed", help="a random seed and its commitment, for the issuer").set_defaults(
        func=cmd_coupons_new_seed)

    p = sub.add_parser("demo", help="backend on SQLite with demo data, plus the app, on 127.0.0.1")
    p.add_argument("--port", type=int, default=8000, help="the wallet API's port")
    p.add_argument("--app-port", type=int, default=8550, help="the app's port")
    p.add_argument("--data-dir", help="where the demo database lives (default: <user data dir>/anxin/demo)")
    p.add_argument("--api-only", action="store_true", help="serve only the API (no app)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser window")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("app", help="the app alone, against a wallet server")
    p.add_argument("--server", required=True, help="the wallet API, e.g. http://127.0.0.1:8000")
    p.add_argument("--port", type=int, default=8550, help="the app's port on 127.0.0.1")
    p.add_argument("--data-dir", help="what this device remembers (default: the user data dir)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser window")
    p.set_defaults(func=cmd_app)

    voice = sub.add_parser("voice", help="offline voice commands").add_subparsers(dest="voice_command", required=True)
    p = voice.add_parser("install-model", help="unpack a Vosk speech model archive (URL or file) into the data dir")
    p.add_argument("source", help="the model archive: an http(s) URL or a .zip/.tar.gz file")
    p.add_argument("--sha256", help="refuse the archive unless its SHA-256 is this")
    p.add_argument("--name", help="the installed model's folder name (default: from the archive)")
    p.add_argument("--force", action="store_true", help="replace a model of the same name")
    p.add_argument("--data-dir", help="overrides ANXIN_DATA_DIR")
    p.set_defaults(func=cmd_voice_install_model)
    return parser


def cmd_voice_install_model(args: argparse.Namespace) -> int:
    from voice.models import ModelInstallError, install_model, text_progress_bar

    try:
        model = install_model(args.source, base_dir=Path(args.data_dir) if args.data_dir else None,
                              sha256=args.sha256, name=args.name, force=args.force, progress=text_progress_bar())
    except ModelInstallError as exc:
        print(f"Not installed: {exc}", file=sys.stderr)
        return 1
    print(f"Installed the speech model in {model.path}\n  SHA-256 {model.sha256} ({model.size} bytes)")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
