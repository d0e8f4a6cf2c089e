"""07_health end to end: the CLI and the papermill entry point on synthetic run folders, and the read-out of a
real (smoke) run written by 06 — which pins the file format the two notebooks share."""
import json, subprocess, sys
from pathlib import Path
import pytest
from projected_grpo.health import write_fake_run, find_runs, run_table, main_table, health_checks

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
OUTPUTS = ['controls_table.md', 'drift.png', 'dynamics.png', 'headline.md', 'health.md', 'heldout.png', 'heldout_table.md',
           'main_table.md', 'matched.png', 'overlap.png', 'results.json', 'route.png', 'runs.md']


@pytest.fixture(scope='module')
def fake(tmp_path_factory):
    "Vanilla hacks 55/60/65%, erase 10%, random_V 60%, all solve 50%: a known Δ of −50pp and a 'supported' verdict."
    runs = tmp_path_factory.mktemp('fake')/'runs'
    for s in (41, 42, 43):
        write_fake_run(runs, 'none', s, hack=0.6 + 0.05*(s - 42), solve=0.5)
        write_fake_run(runs, 'erase', s, hack=0.1, solve=0.5)
        write_fake_run(runs, 'random_V', s, hack=0.6, solve=0.5)
    return runs


def run(*args):
    return subprocess.run([PY, *args], capture_output=True, text=True, cwd=ROOT)


def test_cli_writes_every_output(fake, tmp_path):
    r = run('-m', 'projected_grpo.health', '--runs_dir', str(fake), '--fig_dir', str(tmp_path/'fig'), '--no_identity')
    assert r.returncode == 0, r.stderr[-3000:]
    assert sorted(p.name for p in (tmp_path/'fig').iterdir()) == OUTPUTS
    md = (tmp_path/'fig'/'main_table.md').read_text()
    assert '| erase | 3 | 10.0 ± 0.0 | -50.0 [-62.4, -37.6] | -45.0, -50.0, -55.0 | reduces by ≥ 37.6pp |' in md, md
    assert 'meandiff_V | 0 | missing' in md
    res = json.loads((tmp_path/'fig'/'results.json').read_text())
    erase = next(x for x in res['main'] if x['arm'] == 'erase')
    assert abs(erase['d_hack']['mean'] + 0.50) < 1e-12 and erase['h1'] == dict(reduce='holds', solve='holds')
    head = (tmp_path/'fig'/'headline.md').read_text()
    assert '- H1 for erase: (1) holds, (2) holds, (3) vs random_V holds → **supported**.' in head, head   # (3): random_V, the one control
    assert '✓ pass' in r.stdout and 'δS = 0 identity' in r.stdout


def test_cli_fails_in_one_line(tmp_path):
    r = run('-m', 'projected_grpo.health', '--runs_dir', str(tmp_path/'none'), '--fig_dir', str(tmp_path/'fig'))
    assert r.returncode != 0 and r.stderr.strip().startswith('error:') and 'run the sweep first' in r.stderr


def test_papermill_entry_point(fake, tmp_path):
    r = run('-m', 'papermill', 'nbs/07_health.ipynb', str(tmp_path/'out.ipynb'), '-p', 'runs_dir', str(fake),
            '-p', 'fig_dir', str(tmp_path/'fig'), '-p', 'identity', 'False')
    assert r.returncode == 0, r.stderr[-3000:]
    assert sorted(p.name for p in (tmp_path/'fig').iterdir()) == OUTPUTS


def test_reads_a_real_smoke_run(tmp_path):
    "A 2-step smoke run from 06's CLI: every table and check reads it, and δS = 0 is the identity on its model."
    r = run('-m', 'projected_grpo.train', '--preset', 'smoke', '--arm', 'none', '--seed', '41', '--steps', '2',
            '--runs_dir', str(tmp_path), '--quiet')
    assert r.returncode == 0, r.stderr[-3000:]
    runs = find_runs(tmp_path/'smoke')
    T = run_table(runs)
    assert [(t['group'], t['seed'], t['n_steps']) for t in T] == [('none', 41, 2)]
    assert T[0]['has_eval'] and T[0]['hack'] is not None and T[0]['cin_s'] is not None and T[0]['drift_V'] is not None
    rows, _ = main_table(T)
    assert next(x for x in rows if x['arm'] == 'none')['n'] == 1
    checks = {(c['name'], c['scope']): c for c in health_checks(runs, T)}
    assert checks[('δS = 0 identity', 'smoke')]['ok'] is True, checks[('δS = 0 identity', 'smoke')]
    assert checks[('runs complete', 'all')]['ok'] is True
    assert checks[('final evaluation present', 'all')]['ok'] is True                # 06 writes eval.jsonl at the end
    assert checks[('cin_s above null', 'none')]['ok'] is not None          # a number against the null, not n/a
