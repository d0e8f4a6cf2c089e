"""The sweep (06b) end to end on the `smoke` preset, 1 step per run: a failing job is reported and the others
still run (CLI, exit status), and the Ray backend on an in-process local cluster."""
import json, subprocess, sys
from pathlib import Path
import pytest
from projected_grpo.sweep import plan, sweep

ROOT = Path(__file__).resolve().parents[1]


def test_failed_job_is_reported_and_the_rest_run(tmp_path):
    bad = tmp_path/'smoke'/'erase'/'s41'
    (bad/'rows.jsonl').mkdir(parents=True)           # 06 cannot start its log there: this job fails when it runs
    r = subprocess.run([sys.executable, '-m', 'projected_grpo.sweep', '--preset', 'smoke', '--arms', 'erase', 'none',
                        '--seeds', '41', '--set', 'steps=1', '--jobs', '1', '--runs_dir', str(tmp_path)],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 1, r.stdout + r.stderr[-3000:]
    rows = {l.split()[0]: l for l in r.stdout.splitlines() if l.startswith('smoke/')}
    assert rows['smoke/none/s41'].split()[1] == 'done'                      # ran after the failure
    fail = rows['smoke/erase/s41']
    assert fail.split()[1] == 'failed' and 'rows.jsonl' in fail and str(bad/'train.ipynb') in fail
    assert (bad/'train.ipynb').exists() and not (bad/'summary.json').exists()
    assert (tmp_path/'smoke'/'none'/'s41'/'summary.json').exists()
    assert '1 done, 1 failed' in r.stdout


def test_a_folder_configured_otherwise_is_refused_before_anything_runs(tmp_path):
    "A job whose folder holds another run's config would be skipped (if finished) as if it were this job's: refused."
    bad = tmp_path/'smoke'/'erase'/'s41'
    bad.mkdir(parents=True)
    (bad/'config.json').write_text('{"arm": "erase", "seed": 41, "preset": "smoke", "steps": 1, "lr": 0.5}')
    (bad/'summary.json').write_text('{}')
    r = subprocess.run([sys.executable, '-m', 'projected_grpo.sweep', '--preset', 'smoke', '--arms', 'none', 'erase',
                        '--seeds', '41', '--set', 'steps=1', '--runs_dir', str(tmp_path)], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and r.stderr.startswith('error: ') and len(r.stderr.strip().splitlines()) == 1, r.stderr[-3000:]
    assert str(bad) in r.stderr and 'lr: 0.5 → 0.02' in r.stderr and '--runs_dir' in r.stderr
    assert not (tmp_path/'smoke'/'none').exists()                           # nothing ran, not even the good job


def test_ray_backend(tmp_path):
    ray = pytest.importorskip('ray')
    jobs = plan('smoke', ['none'], [41], runs_dir=tmp_path, steps=1)
    jobs += plan('smoke', ['route'], [41], runs_dir=tmp_path, steps=1, model=str(tmp_path/'no_such_model'))
    ray.init(num_cpus=2, include_dashboard=False, object_store_memory=100 << 20, log_to_driver=False)
    try:
        seen = []
        res = sweep(jobs, backend='ray', on_result=seen.append)
        assert ray.is_initialized()                                          # the caller's cluster is left alone
    finally:
        ray.shutdown()
    assert [r['status'] for r in res] == ['done', 'failed'] and len(seen) == 2
    for j in jobs[:1]:
        assert j.done and (j.run_dir/'train.ipynb').exists()
        assert json.loads((j.run_dir/'summary.json').read_text())['config']['arm'] == j.params['arm']
    assert res[1]['notebook'] == str(jobs[1].run_dir/'train.ipynb') and res[1]['error']
    assert [r['status'] for r in sweep(jobs[:1], backend='ray')] == ['skipped']   # finished: no task at all


def test_slurm_backend_with_submitits_local_executor(tmp_path):
    pytest.importorskip('submitit')
    jobs = plan('smoke', ['none'], [41], runs_dir=tmp_path, steps=1)
    jobs += plan('smoke', ['route'], [41], runs_dir=tmp_path, steps=1, model=str(tmp_path/'no_such_model'))
    seen = []
    res = sweep(jobs, backend='slurm', on_result=seen.append, slurm=dict(cluster='local', poll_s=0.5, time=10))
    assert [r['status'] for r in res] == ['done', 'failed'] and len(seen) == 2, res
    assert jobs[0].done and (jobs[0].run_dir/'train.ipynb').exists()
    assert json.loads((jobs[0].run_dir/'summary.json').read_text())['config']['arm'] == 'none'
    assert res[1]['error'] and res[1]['notebook'] == str(jobs[1].run_dir/'train.ipynb')
    logs = list((tmp_path/'.submitit').glob('*/*_log.out'))
    assert len(logs) == 2, logs                                              # one submitit job per run
    assert [r['status'] for r in sweep(jobs[:1], backend='slurm', slurm=dict(cluster='local'))] == ['skipped']   # no job
