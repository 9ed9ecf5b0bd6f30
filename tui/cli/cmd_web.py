"""`duelist web`: serve the annotate app to browsers, one secret link per annotator.

Managing links (`--add-annotator`, `--list-annotators`, `--revoke`) prints and
exits; without them the command serves until Ctrl+C. aiohttp and textual-serve
are imported only when serving, so `duelist --help` stays fast.
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
from pathlib import Path

from duelist.engine.errors import InputError
from duelist.tui.cli import main as cli_main
from duelist.tui.cli.cmd_annotate import DEFAULT_ORDER, ORDERS

LOOPBACK = {"localhost"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "web", help="serve the annotation app to browsers (one link per annotator)",
        description="Serve the annotation screen over HTTP: each annotator opens their own "
                    "secret link in a browser and judges into the same database as the "
                    "terminal app. Training, run history and ranking stay in the terminal.")
    cli_main.add_db_option(p)
    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    p.add_argument("--allow-remote", action="store_true",
                   help="allow binding a non-loopback --host (put it behind TLS: see README)")
    p.add_argument("--public-url", default=None, metavar="URL",
                   help="the address annotators use, e.g. https://annotate.example.org behind "
                        "a reverse proxy (used in printed links and for wss://)")
    p.add_argument("--annotators", default=None, metavar="FILE",
                   help="text file, one annotator name a line: names without a link get one "
                        "(printed once), and only these names may sign in")
    p.add_argument("--add-annotator", action="append", default=[], metavar="NAME",
                   help="create a secret link for NAME, print it and exit (repeatable)")
    p.add_argument("--list-annotators", action="store_true",
                   help="list issued links (who, created, last used, revoked) and exit")
    p.add_argument("--revoke", action="append", default=[], metavar="NAME",
                   help="revoke NAME's link (a live session ends within seconds) and exit")
    p.add_argument("--order", choices=ORDERS, default=DEFAULT_ORDER,
                   help="queue order (default: random; see `duelist annotate --help`)")
    p.add_argument("--seed", type=int, default=0, metavar="N", help="seed (default: 0)")
    p.add_argument("--overlap", type=int, default=None, metavar="N",
                   help="each comparison goes to N different annotators; with 1 no two get "
                        "the same item (default: everyone may judge every item)")
    p.add_argument("--gold-rate", type=float, default=0.1, metavar="R",
                   help="share of gold items mixed in (default: 0.1)")
    p.add_argument("--guidelines", default=None, metavar="FILE",
                   help="Markdown file shown with g (default: assets/guidelines.md)")
    p.add_argument("--max-sessions", type=int, default=64, metavar="N",
                   help="most browser sessions at once, one app process each (default: 64)")
    p.set_defaults(func=run)


def is_loopback(host: str) -> bool:
    if host in LOOPBACK:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def base_url(args: argparse.Namespace) -> str:
    if args.public_url:
        return args.public_url.rstrip("/")
    host = f"[{args.host}]" if ":" in args.host else args.host
    return f"http://{host}:{args.port}"


def read_annotators_file(path: str) -> list[str]:
    from duelist.store.annotator_names import check_annotator_name

    file = Path(path)
    if not file.is_file():
        raise InputError("annotators file not found", path=path)
    names: list[str] = []
    for lineno, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            names.append(check_annotator_name(line))
        except ValueError as exc:
            raise InputError(f"{path}: line {lineno}: {exc}") from None
    if not names:
        raise InputError(f"{path}: no annotator names (one a line)")
    return names


def _print_link(name: str, url: str) -> None:
    from duelist.engine.safe_text import one_line

    print(f"{one_line(name, 80)}\t{url}")


def run(args: argparse.Namespace) -> int:
    from duelist.store import Store

    if not Path(args.db).is_file():
        raise InputError("project database not found (create one with duelist import)",
                         path=args.db)
    if args.overlap is not None and args.overlap < 1:
        raise InputError(f"--overlap must be at least 1, got {args.overlap}")
    if not 0.0 <= args.gold_rate <= 1.0:
        raise InputError(f"--gold-rate must be between 0 and 1, got {args.gold_rate}")
    if args.guidelines is not None and not Path(args.guidelines).is_file():
        raise InputError("guidelines file not found", path=args.guidelines)
    url = base_url(args)
    with Store.open(args.db) as store:
        if args.add_annotator or args.revoke or args.list_annotators:
            return _manage(store, args, url)
        allowed = None
        if args.annotators:
            allowed = set(read_annotators_file(args.annotators))
            live = {a.annotator for a in store.web_annotators() if a.active}
            for name in sorted(allowed - live):
                _print_link(name, f"{url}/?token={store.issue_web_token(name)}")
    if not is_loopback(args.host):
        if not args.allow_remote:
            raise InputError(f"--host {args.host} is not a loopback address: pass "
                             "--allow-remote to serve other machines (and put the server "
                             "behind TLS)")
        print("duelist web: WARNING: serving on a non-loopback address over plain HTTP: "
              "links and judgements travel unencrypted. Put the server behind a TLS reverse "
              "proxy (README: Annotators in a browser).", file=sys.stderr)
    return serve(args, allowed)


def _manage(store, args: argparse.Namespace, url: str) -> int:
    for name in args.revoke:
        n = store.revoke_web_tokens(name)
        if n == 0:
            raise InputError(f"no working link for annotator {name!r}")
        print(f"revoked {name}'s link")
    for name in args.add_annotator:
        try:
            token = store.issue_web_token(name)
        except ValueError as exc:
            raise InputError(str(exc)) from None
        _print_link(name, f"{url}/?token={token}")
    if args.list_annotators:
        from duelist.engine.safe_text import one_line

        rows = store.web_annotators()
        if not rows:
            print("no annotator links yet (duelist web --add-annotator NAME)")
        for a in rows:
            state = "active" if a.active else f"revoked {a.revoked_at}"
            print(f"{one_line(a.annotator, 80)}\tcreated {a.created_at}\t"
                  f"last used {a.last_used_at or 'never'}\t{state}")
    return 0


def serve(args: argparse.Namespace, allowed: set[str] | None) -> int:
    from duelist.tui.web.server import DuelistWebServer

    app_args = ["--order", args.order, "--seed", str(args.seed),
                "--gold-rate", str(args.gold_rate)]
    if args.overlap is not None:
        app_args += ["--overlap", str(args.overlap)]
    if args.guidelines is not None:
        app_args += ["--guidelines", str(Path(args.guidelines).resolve())]
    server = DuelistWebServer(args.db, host=args.host, port=args.port, app_args=app_args,
                              public_url=args.public_url, allowed=allowed,
                              max_sessions=args.max_sessions)
    server.serve()
    return 0
