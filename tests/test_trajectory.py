"""Same seed, same trajectory: `smoke` runs of the erase arm (seed 41) against per-step rows recorded before.

* `sampler='generate'` against `tests/data/smoke_erase_s41_rows_generate.jsonl` (HF `generate`, same seeds): when
  the fused `KnobLinear` (02) replaced the two-matmul adapter branch, this run reproduced the rows recorded before it
  to 1e-5 (the fused kernels change nothing but round-off); re-recorded since for the 60-problem tiny set (01) and
  for the eq_override / exit_code self-checks of 00_rewards (their text is in the smoke tokenizer's corpus and in V's pairs).
* the default `sampler='lean'` against `tests/data/smoke_erase_s41_rows_lean.jsonl`: a change that moves code
  around must not move the default trajectory either.

A new field in the rows is fine, a missing or different one is not. Floats agree to 1% (relative): the same code on
another CPU rounds differently (AVX-512 against AVX2 kernels), and the ratios of Adam's update inside span(V)
(`cin_update`, `cout_update`) magnify it — measured on an AVX-512 machine against rows recorded on another: up to
1.8e-3 on those by step 3, ≤ 5e-4 on every other float, every count and reward identical. A real change of the
trajectory (another sample, another loss) moves the counts and rewards, or the floats by far more. Re-record (only for a change meant to alter
the trajectory) with `python -m projected_grpo.train --preset smoke --arm erase --seed 41 --runs_dir /tmp/r --quiet
[--sampler generate]` and copy `/tmp/r/smoke/erase/s41/rows.jsonl` over the file."""
import json, math, subprocess, sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def read(path): return [json.loads(l) for l in Path(path).read_text().splitlines() if l.strip()]


def same(a, b):
    if isinstance(a, float) and isinstance(b, float): return math.isclose(a, b, rel_tol=1e-2, abs_tol=1e-7)
    return a == b


@pytest.mark.parametrize('sampler', ['generate', 'lean'])
def test_smoke_erase_trajectory_unchanged(tmp_path, sampler):
    cmd = [sys.executable, '-m', 'projected_grpo.train', '--preset', 'smoke', '--arm', 'erase', '--seed', '41',
           '--runs_dir', str(tmp_path), '--quiet', '--sampler', sampler]
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    want = read(ROOT/'tests'/'data'/f'smoke_erase_s41_rows_{sampler}.jsonl')
    got = read(tmp_path/'smoke'/'erase'/'s41'/'rows.jsonl')
    assert len(got) == len(want) == 4
    for w, g in zip(want, got):
        assert set(w) <= set(g), f"step {w['step']}: fields gone {sorted(set(w) - set(g))}"
        diff = {k: (w[k], g[k]) for k in w if not same(w[k], g[k])}
        assert not diff, f"step {w['step']}: recorded vs now {diff}"
