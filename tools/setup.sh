#!/usr/bin/env bash
# Make .venv with everything the project needs; idempotent, safe to rerun.
# On a machine without an NVIDIA GPU the CPU build of torch is installed first, at the version the tests and
# figures were made with (`torch_tested` in settings.ini; an unpinned `torch` would pull a multi-GB CUDA build).
# GPU users bring their own torch (settings.ini: torch>=2.4).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
. .venv/bin/activate
stamp=.venv/.installed-$(cat settings.ini setup.py | sha1sum | cut -c1-12)
TORCH=$(sed -n 's/^torch_tested *= *//p' settings.ini)
[ -n "$TORCH" ] || { echo "settings.ini has no torch_tested version" >&2; exit 1; }
if [ ! -f "$stamp" ]; then
  python -m pip install -q --upgrade pip
  if ! python -c "import torch" 2>/dev/null; then
    if command -v nvidia-smi >/dev/null 2>&1; then python -m pip install -q torch
    elif ls /opt/wheels/torch-"$TORCH"+cpu-* >/dev/null 2>&1; then python -m pip install -q torch=="$TORCH"
    else python -m pip install -q torch=="$TORCH" --index-url https://download.pytorch.org/whl/cpu; fi
  fi
  python -m pip install -q -e ".[dev,sweep]"
  python -m ipykernel install --sys-prefix --name python3 >/dev/null
  touch "$stamp"
fi
