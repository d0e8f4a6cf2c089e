#!/usr/bin/env bash
# Make .venv with everything the project needs; idempotent, safe to rerun.
# On a machine without an NVIDIA GPU the CPU build of torch is installed first
# (an unpinned `torch` would pull a multi-GB CUDA build). GPU users bring their own torch.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
. .venv/bin/activate
stamp=.venv/.installed-$(cat settings.ini setup.py | sha1sum | cut -c1-12)
if [ ! -f "$stamp" ]; then
  python -m pip install -q --upgrade pip
  if ! python -c "import torch" 2>/dev/null; then
    if command -v nvidia-smi >/dev/null 2>&1; then python -m pip install -q torch
    elif ls /opt/wheels/torch-2.13.0+cpu-* >/dev/null 2>&1; then python -m pip install -q torch==2.13.0
    else python -m pip install -q torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu; fi
  fi
  python -m pip install -q -e ".[dev,sweep]"
  python -m ipykernel install --sys-prefix --name python3 >/dev/null
  touch "$stamp"
fi
