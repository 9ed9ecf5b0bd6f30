"""The app subprocess of one browser session: `python -m duelist.tui.web.child --db ...`.

Started by the web server (through textual-serve's AppService, with the web
driver in the environment). The annotator's name arrives in an environment
variable set by the server after sign-in, never on the command line (no shell
quoting to get wrong, and nothing a visitor can inject). The app runs in web
mode: lead screens (training, runs, ranking) are not registered at all.
"""

from __future__ import annotations

import argparse
import os
import sys

from duelist.tui.web.guard import ANNOTATOR_ENV


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="duelist-web-child")
    p.add_argument("--db", required=True)
    p.add_argument("--order", default="random")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--overlap", type=int, default=None)
    p.add_argument("--gold-rate", type=float, default=0.1)
    p.add_argument("--guidelines", default=None)
    args = p.parse_args(argv)
    annotator = os.environ.get(ANNOTATOR_ENV, "")
    if not annotator:
        print(f"duelist web: {ANNOTATOR_ENV} is not set; refusing to start", file=sys.stderr)
        return 2
    from duelist.tui.cli.cmd_annotate import launch

    return launch(args.db, annotator=annotator, order=args.order, seed=args.seed,
                  overlap=args.overlap, gold_rate=args.gold_rate, guidelines=args.guidelines,
                  web=True)


if __name__ == "__main__":
    sys.exit(main())
