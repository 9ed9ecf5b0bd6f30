"""`duelist serve --model DIR`: an HTTP reward server for RL jobs (TRL, OpenRLHF, your own).

    duelist serve --model reward-model                 # http://127.0.0.1:5000
    curl -s localhost:5000/score -d '{"prompts": ["Hi"], "completions": ["Hello!"]}'

Endpoints and the batching are described in duelist.engine.rl.server. Binds loopback
by default: a reward model has no access control, so exposing it (--host 0.0.0.0) is
an explicit choice.
"""

from __future__ import annotations

import argparse
import sys

from duelist.tui.cli import scoring_opts as so


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve", help="serve a reward model over HTTP for RL training (TRL, OpenRLHF)",
        description="Serve rewards over HTTP: POST /score {prompts, completions} -> {rewards}; "
                    "POST /get_reward (OpenRLHF's remote reward protocol); GET /health.")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=5000,
                   help="port (default: 5000, as OpenRLHF's serve_rm; 0 picks a free one)")
    p.add_argument("--normalize", action="store_true",
                   help="rewards as (reward - mean) / std with the dir's saved statistics")
    p.add_argument("--max-body-mb", type=float, default=16.0, metavar="MB",
                   help="largest request body accepted (default: 16 MB; larger gets 413)")
    p.add_argument("--batch-window-ms", type=float, default=5.0, metavar="MS",
                   help="how long to collect concurrent requests into one scoring batch "
                        "(default: 5 ms)")
    p.add_argument("--precision", choices=("auto", "fp32", "bf16"), default="auto",
                   help="scoring precision (default: auto: bf16 where native, near ties in a "
                        "prompt group re-checked in fp32)")
    so.add_model_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import asyncio

    from duelist.engine.errors import ParamsError

    if not 0 <= args.port <= 65535:
        raise ParamsError(f"--port must be 0..65535, got {args.port}")
    if args.max_body_mb <= 0 or args.batch_window_ms < 0:
        raise ParamsError("--max-body-mb must be positive and --batch-window-ms not negative")
    from duelist.engine.rl import server
    from duelist.engine.rl.reward_function import reward_function

    with so.loading("model"):
        model = so.load_model_set(args)
        fn = reward_function(model, normalize=args.normalize, calibrated=args.calibrated,
                             precision=args.precision)
    app = server.build_app(fn, max_body=int(args.max_body_mb * 1024 * 1024),
                           window_s=args.batch_window_ms / 1000.0)

    def ready(host: str, port: int) -> None:
        print(f"serving {so.describe(model)} on http://{host}:{port} "
              "(POST /score, POST /get_reward, GET /health); Ctrl+C stops", flush=True)

    try:
        asyncio.run(server.serve(app, args.host, args.port, ready=ready))
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    return 0
