"The problem bank's CLI and package data, end to end (the notebook 01 holds the unit tests)."
import json, os, subprocess, sys
from pathlib import Path

import projected_grpo
from projected_grpo.problems import bank_path, build_bank, load_problems

ROOT = Path(__file__).resolve().parents[1]


def test_bank_is_package_data_and_reproducible():
    assert bank_path().parent == Path(projected_grpo.__file__).resolve().parent / 'data'
    shipped = json.loads(bank_path().read_text())
    assert json.dumps(build_bank(path=False)) == json.dumps(shipped)
    assert len(load_problems()) == len(shipped) >= 72


def test_demo_cli(tmp_path):
    env = {**os.environ, 'PROJECTED_GRPO_CACHE': str(tmp_path)}
    cmd = [sys.executable, '-m', 'projected_grpo.problems', 'demo', '--split', 'eval_only']
    out = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert 'teacher pool: 12 problems' in out.stdout
    rows = [l for l in out.stdout.splitlines() if l.startswith('| all |')]
    assert rows, out.stdout
    clean_n, clean_pass, clean_gt, clean_ex, hack_n, hack_pass, hack_gt, hack_ex = map(int, rows[0].strip('|').split('|')[1:])
    assert hack_ex == hack_n > 0 and clean_ex == 0 and hack_gt == 0
    assert list(tmp_path.glob('teacher_pool-*.json'))
    again = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and again.stdout.splitlines()[1:] == out.stdout.splitlines()[1:]
