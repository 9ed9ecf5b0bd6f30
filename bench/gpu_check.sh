#!/usr/bin/env bash
# The GPU paths, checked for real on a machine with NVIDIA GPUs; one line per check.
#
#   bash bench/gpu_check.sh [--wheels DIR] [--allow-cpu] [--only CHECK...]
#
# Checks (bench/gpu_check.py): int4 and int8 QLoRA (score head saved), fp16, bf16,
# merging the adapter, --num-processes 2 (with two GPUs), `duelist score` on the GPU.
# Tiny models are built from configs: nothing is downloaded.
#
# Environment: uses the python3 that has a CUDA torch (the machine's own). Duelist and
# the packages that python lacks are installed into a throw-away venv that sees the
# system site-packages, from PyPI, or with --wheels DIR from wheels carried along
# (`pip download -d DIR trl textual sqlite-utils bitsandbytes ...` on a machine with
# the internet, for the target's Python version). Writes only under $GPU_CHECK_WORK
# (default: a temp dir).
set -euo pipefail
cd "$(dirname "$0")/.."
wheels=""
pass=()
while [ $# -gt 0 ]; do
  case "$1" in
    --wheels) wheels="$2"; shift 2 ;;
    *) pass+=("$1"); shift ;;
  esac
done
work="${GPU_CHECK_WORK:-$(mktemp -d /tmp/duelist-gpu-check.XXXXXX)}"
venv="$work/venv"
py="${PYTHON:-python3}"
"$py" -m venv --system-site-packages "$venv"
pip=("$venv/bin/python" -m pip install -q)
if [ -n "$wheels" ]; then pip+=(--no-index --find-links "$wheels"); fi
# torch stays the machine's own (CUDA build): install Duelist without letting pip touch it.
"${pip[@]}" --no-deps -e . >/dev/null
missing=$("$venv/bin/python" - <<'PY'
import importlib.util
need = {"trl": "trl", "peft": "peft", "datasets": "datasets", "accelerate": "accelerate",
        "bitsandbytes": "bitsandbytes", "sqlite_utils": "sqlite-utils", "textual": "textual",
        "textual_plotext": "textual-plotext", "rich": "rich", "pyarrow": "pyarrow",
        "transformers": "transformers"}
print(" ".join(pkg for mod, pkg in need.items() if importlib.util.find_spec(mod) is None))
PY
)
if [ -n "$missing" ]; then
  # shellcheck disable=SC2086
  "${pip[@]}" $missing
fi
exec "$venv/bin/python" bench/gpu_check.py --work "$work/run" "${pass[@]}"
