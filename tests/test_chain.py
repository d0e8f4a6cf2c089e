"""The README's main command, small: `make experiment` (selfcheck → sweep through papermill → 07_health) on the
`smoke` preset, one seed, four arms and leave-one-mode-out on erase for two modes (06b's own tests plan all six). Pins that the chain runs from end to end and
leaves every figure and table, each naming the runs it used."""
import json, os, subprocess, sys
from pathlib import Path
from projected_grpo.rewards import MODES

ROOT = Path(__file__).resolve().parents[1]
HELD = (MODES[0], 'sentinel')                              # the held-out modes the chain runs
OUTPUTS = ['controls_table.md', 'drift.png', 'dynamics.png', 'headline.md', 'health.md', 'heldout.png', 'heldout_table.md',
           'main_table.md', 'matched.png', 'overlap.png', 'results.json', 'route.png', 'runs.md']


def test_make_experiment_smoke(tmp_path):
    runs, figs = tmp_path/'runs', tmp_path/'figures'
    env = dict(os.environ, PATH=f'{Path(sys.executable).parent}{os.pathsep}{os.environ["PATH"]}')
    r = subprocess.run(['make', '--no-print-directory', 'experiment', 'VENV=', 'PRESET=smoke', 'SEEDS=41',
                        'ARMS=none erase route random_V', f'LOMO=--leave-one-mode-out --lomo-arms erase --lomo-seeds 41 --lomo-modes {HELD[0]} {HELD[1]}',
                        f'RUNS={runs}', f'FIGS={figs}'], cwd=ROOT, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert f'{4 + len(HELD)} jobs, {4 + len(HELD)} to run' in r.stdout
    assert sorted(p.name for p in figs.iterdir()) == OUTPUTS
    for arm in ('none', 'erase', 'route', 'random_V'):
        assert (runs/'smoke'/arm/'s41'/'train.ipynb').exists() and (runs/'smoke'/arm/'s41'/'summary.json').exists()
    res = json.loads((figs/'results.json').read_text())
    main = {x['arm']: x for x in res['main']}
    assert all(main[a]['n'] == 1 for a in ('none', 'erase', 'route', 'random_V'))     # one seed, shown as such
    assert main['shuffled_V']['n'] == 0                                                # not run: listed, not invented
    md = (figs/'heldout_table.md').read_text()
    assert all(f'| {m} |' in md for m in HELD) and not any(f'| {m} |' in md for m in set(MODES) - set(HELD)), md   # a row per held-out mode
    held = f"`{runs/'smoke'/'erase-heldout_sentinel'/'s41'}`"
    line = next((l for l in (figs/'runs.md').read_text().splitlines() if held in l), None)
    assert line and 'held out: sentinel' in line and line.replace(' ', '').endswith('|yes|'), line   # listed and used
