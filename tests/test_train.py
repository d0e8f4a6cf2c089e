"""End-to-end runs of the trainer (06) on the `smoke` preset: every arm through the CLI, the mechanics of the
smoke trio, papermill, determinism, and resume after `kill -9`."""
import json, os, signal, subprocess, sys, time
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable


def cli(*args, runs_dir, check=True, **kw):
    cmd = [PY, '-m', 'projected_grpo.train', '--preset', 'smoke', '--runs_dir', str(runs_dir), '--quiet', *args]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, **kw)
    if check: assert r.returncode == 0, r.stderr[-3000:]
    return r


def rows(d):
    return [json.loads(l) for l in (Path(d)/'rows.jsonl').read_text().splitlines() if l.strip()]


@pytest.fixture(scope='module')
def trio_runs(tmp_path_factory):
    "The smoke trio none / erase / route, seed 41, run once for the module."
    runs = tmp_path_factory.mktemp('runs')
    for arm in ('none', 'erase', 'route'): cli('--arm', arm, '--seed', '41', runs_dir=runs)
    return runs


@pytest.fixture(scope='module')
def trio(trio_runs):
    return {arm: rows(trio_runs/'smoke'/arm/'s41') for arm in ('none', 'erase', 'route')}


def test_trio_mechanics(trio):
    for arm, rs in trio.items():
        assert len(rs) == 4 and [r['step'] for r in rs] == [0, 1, 2, 3]
        for k in ('step', 'hack_s', 'gt_s', 'hack_t', 'gt_t', 'reward', 'loss', 'gn', 'cin_s', 'cin_t', 'cin',
                  'cout', 'cout_update', 'fired', 'dSh', 'dS_norm', 'drift_V'):
            assert all(k in r for r in rs), (arm, k)
        assert any(r.get('cin_t') for r in rs), f'{arm}: cin_t never > 0 with the teacher pool on'
        assert any('basis_overlap' in r for r in rs), f'{arm}: refresh did not log basis_overlap'
        assert all(('basis_overlap' in r) == ('subspace_overlap' in r) for r in rs), f'{arm}: a refresh without its span overlap'
    # erase and route: the projected gradient has no hack-ward part left (cout is an identity here, not evidence)
    for arm in ('erase', 'route'):
        assert all(r['cout'] < 1e-5 for r in trio[arm] if r.get('cout') is not None)
    # measure-only: vanilla keeps its hack-ward part, so its hypothetical cout is not forced to 0
    assert all(r['dSh'] == 0 for r in trio['none'] + trio['erase'])        # quarantine untouched unless route
    assert trio['route'][-1]['dSh'] > 0                                     # route parks the removed part there
    assert any('hack_deploy' in r and 'solve_deploy' in r for r in trio['route'])
    assert not any('hack_deploy' in r for r in trio['none'] + trio['erase'])
    assert all(0 < r['dSh_inV'] <= 1 + 1e-6 for r in trio['route'] if r.get('dSh_inV') is not None)


def evals(d):
    return [json.loads(l) for l in (Path(d)/'eval.jsonl').read_text().splitlines() if l.strip()]


def test_final_evaluation(trio_runs):
    "Every problem × eval_n at each eval step and at the end; route also ablated; step 0 rollouts shared by the arms."
    from projected_grpo.problems import load_problems
    ids = sorted(p.id for p in load_problems('tiny'))
    for arm in ('none', 'erase', 'route'):
        ev = evals(trio_runs/'smoke'/arm/'s41')
        qs = ('kept', 'ablated') if arm == 'route' else ('kept',)
        assert sorted({(r['step'], r['quarantine']) for r in ev}) == sorted((s, q) for s in (1, 3) for q in qs)
        for s in (1, 3):
            for q in qs:
                assert sorted(r['problem_id'] for r in ev if r['step'] == s and r['quarantine'] == q) == ids
        assert all(r['n'] == 2 for r in ev)
        fe = json.loads((trio_runs/'smoke'/arm/'s41'/'summary.json').read_text())['final_eval']
        assert fe['step'] == 3 and set(fe) == {'step', *qs} and set(fe['kept']) == {'all', 'unsolvable', 'solvable'}
    # the same evaluation noise for every arm: at step 1 the arms differ only by what training did to the knobs
    step0 = lambda arm: [json.loads(l)['completion'] for l in (trio_runs/'smoke'/arm/'s41'/'rollouts.jsonl').read_text().splitlines()
                         if json.loads(l)['step'] == 0 and json.loads(l)['source'] == 'student']
    assert step0('none') == step0('erase') == step0('route')


def test_evaluations_on_the_way_change_nothing(trio_runs, tmp_path):
    "A run evaluated only at the end has the trio run's rows and final evaluation, so config_diff does not compare eval_every."
    from projected_grpo.train import config_diff, make_config
    cli('--arm', 'erase', '--seed', '41', '--eval_every', '0', runs_dir=tmp_path)
    every, end = trio_runs/'smoke'/'erase'/'s41', tmp_path/'smoke'/'erase'/'s41'
    a, b = rows(every), rows(end)
    assert any('hack_eval' in r for r in a[:-1]) and not any('hack_eval' in r for r in b[:-1])   # evaluated on the way or not
    assert len(a) == len(b) and [{k: r[k] for k in rb} for r, rb in zip(a, b)] == b             # the same training
    assert sorted({r['step'] for r in evals(end)}) == [3]
    assert [r for r in evals(every) if r['step'] == 3] == evals(end)                          # the same final evaluation
    cfg = lambda **kw: make_config('smoke', arm='erase', seed=41, runs_dir=trio_runs, **kw)
    assert config_diff(every, cfg(eval_every=0, ckpt_every=1)) == []
    assert config_diff(every, cfg(eval_every=0, steps=5)) == ['steps: 4 → 5']


def test_evaluate_command_reproduces_the_runs_own_evaluation(trio_runs, tmp_path):
    "A run's final evaluation, removed and re-made from the checkpoint by `evaluate`, is the same records; rerun is a no-op."
    import shutil
    src = trio_runs/'smoke'/'route'/'s41'
    d = tmp_path/'smoke'/'route'/'s41'; shutil.copytree(src, d)
    want = [r for r in evals(src) if r['step'] == 3]
    (d/'eval.jsonl').write_text(''.join(l + '\n' for l in (src/'eval.jsonl').read_text().splitlines() if json.loads(l)['step'] != 3))
    r = subprocess.run([PY, '-m', 'projected_grpo.train', 'evaluate', str(d)], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-3000:]
    assert (d/'eval.jsonl').read_bytes() == (src/'eval.jsonl').read_bytes()
    assert [x for x in evals(d) if x['step'] == 3] == want
    before = (d/'eval.jsonl').read_bytes()
    subprocess.run([PY, '-m', 'projected_grpo.train', 'evaluate', str(d)], check=True, capture_output=True, cwd=ROOT)
    assert (d/'eval.jsonl').read_bytes() == before
    r = subprocess.run([PY, '-m', 'projected_grpo.train', 'evaluate', str(tmp_path)], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode != 0 and 'no ckpt.pt' in r.stderr and r.stderr.strip().count('\n') == 0


def test_none_leaves_gradient_untouched():
    "Arm `none` measures but never writes the gradient (checked on a real step of the smoke model)."
    import torch
    from projected_grpo.train import make_config, setup_run
    from projected_grpo.grpo import StepCfg, grpo_step
    from projected_grpo.project import project_all
    cfg = make_config('smoke', arm='none')
    model, tok, W, problems, pool, pairs, kind, V = setup_run(cfg)
    with torch.no_grad():
        for w in W.values(): w.δS.normal_(0, 0.05)
    grpo_step(model, W, tok, problems[:2], pool, StepCfg(G_s=3, G_t=3, max_new=12), seed=5)
    g0 = {n: w.δS.grad.clone() for n, w in W.items()}
    out = project_all(W, V, 'none')
    assert out['cin'] > 0
    assert all(torch.equal(W[n].δS.grad, g0[n]) for n in W)
    assert all(w.δS_hack.grad is None for w in W.values())


@pytest.mark.parametrize('arm', ['random_V', 'shuffled_V', 'nonhack_V', 'meandiff_V', 'no_teacher'])
def test_every_other_arm_runs(arm, tmp_path):
    cli('--arm', arm, '--steps', '2', '--eval_every', '0', '--refresh_every', '1', runs_dir=tmp_path)
    rs = rows(tmp_path/'smoke'/f'{arm}-refresh1'/'s41')                  # not the preset's schedule: its own folder
    assert len(rs) == 2
    assert 'basis_overlap' in rs[0] and 'subspace_overlap' in rs[0]       # a control basis refreshes on the real one's schedule
    if arm == 'random_V': assert rs[0]['basis_overlap'] < 0.9              # ... as a new draw
    if arm == 'no_teacher': assert all(r['hack_t'] is None and r['cin_t'] is None for r in rs)
    s = json.loads((tmp_path/'smoke'/f'{arm}-refresh1'/'s41'/'summary.json').read_text())
    assert s['steps'] == 2 and 'hack_s' in s['last5']


def test_route_on_a_random_basis_runs(tmp_path):
    "route's control (basis='random'): it parks what random_V's basis catches in δS_hack and is evaluated ablated too."
    cli('--arm', 'route', '--basis', 'random', '--steps', '2', '--eval_every', '0', runs_dir=tmp_path)
    d = tmp_path/'smoke'/'route-random'/'s41'
    rs = rows(d)
    assert len(rs) == 2 and rs[-1]['dSh'] > 0
    assert all(0 < r['dSh_inV'] <= 1 + 1e-6 for r in rs if r.get('dSh_inV') is not None)
    ev = [json.loads(l) for l in (d/'eval.jsonl').read_text().splitlines() if l.strip()]
    assert {e['quarantine'] for e in ev} == {'kept', 'ablated'}


def test_bad_parameters_fail_fast(tmp_path):
    r = cli('--arm', 'erasee', runs_dir=tmp_path, check=False)
    assert r.returncode != 0 and "arm='erasee': allowed values are" in r.stderr
    assert r.stderr.strip().count('\n') == 0                               # one line, no traceback
    r = cli('--known_modes', 'sentinel,nope', runs_dir=tmp_path, check=False)
    assert r.returncode != 0 and 'known_modes' in r.stderr
    assert not (tmp_path/'smoke').exists()                                 # no work started


def test_finished_run_is_never_overwritten(tmp_path):
    cli('--arm', 'erase', '--steps', '1', '--eval_every', '0', runs_dir=tmp_path)
    before = (tmp_path/'smoke'/'erase'/'s41'/'rows.jsonl').read_bytes()
    r = cli('--arm', 'erase', '--steps', '1', '--eval_every', '0', runs_dir=tmp_path, check=False)
    assert r.returncode != 0 and 'finished run' in r.stderr
    assert (tmp_path/'smoke'/'erase'/'s41'/'rows.jsonl').read_bytes() == before


def test_determinism_and_resume_after_kill(tmp_path):
    "Same seed ⇒ identical rows.jsonl; a run killed with SIGKILL and restarted ends with the same rows.jsonl."
    args = ('--arm', 'route', '--seed', '43', '--steps', '6', '--ckpt_every', '2')
    a, b = tmp_path/'a', tmp_path/'b'
    cli(*args, runs_dir=a)
    # b: start, kill -9 once a checkpoint exists and a later row was written, then rerun the same command
    cmd = [PY, '-m', 'projected_grpo.train', '--preset', 'smoke', '--runs_dir', str(b), '--quiet', *args]
    p = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    d = b/'smoke'/'route'/'s43'
    t0 = time.time()
    while time.time() - t0 < 300:
        if (d/'ckpt.pt').exists() and (d/'rows.jsonl').exists() and len(rows(d)) >= 3: break
        if p.poll() is not None: break
        time.sleep(0.05)
    assert p.poll() is None, 'run finished before it could be killed; make it longer'
    os.killpg(p.pid, signal.SIGKILL); p.wait()
    assert not (d/'summary.json').exists()
    cli(*args, runs_dir=b)
    ra, rb = (a/'smoke'/'route'/'s43'/'rows.jsonl').read_bytes(), (d/'rows.jsonl').read_bytes()
    assert len(rows(d)) == 6
    assert ra == rb
    assert (a/'smoke'/'route'/'s43'/'eval.jsonl').read_bytes() == (d/'eval.jsonl').read_bytes()


def test_papermill_entry_point(tmp_path):
    out = tmp_path/'out.ipynb'
    r = subprocess.run([PY, '-m', 'papermill', 'nbs/06_train.ipynb', str(out), '-p', 'arm', 'route', '-p', 'seed', '42',
                        '-p', 'preset', 'smoke', '-p', 'steps', '2', '-p', 'runs_dir', str(tmp_path/'runs')],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-3000:]
    d = tmp_path/'runs'/'smoke'/'route'/'s42'
    assert len(rows(d)) == 2 and (d/'summary.json').exists() and (d/'ckpt.pt').exists()


def test_tensorboard_mirror(tmp_path):
    "report_to=tensorboard: the event file, read back with TensorBoard's own reader, holds every row and the final evaluation."
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    cli('--arm', 'erase', '--steps', '2', '--eval_every', '0', '--report_to', 'tensorboard', runs_dir=tmp_path)
    d = tmp_path/'smoke'/'erase'/'s41'
    ea = EventAccumulator(str(d/'tensorboard')); ea.Reload()
    tags = ea.Tags()['scalars']
    assert [e.step for e in ea.Scalars('loss')] == [0, 1]
    assert [e.value for e in ea.Scalars('loss')] == pytest.approx([r['loss'] for r in rows(d)])
    assert 'hack_eval' in tags and 'final/kept/unsolvable/exploited' in tags


def test_sgd_momentum_reaches_the_optimizer(tmp_path):
    "optimizer='sgd' with momentum: torch's SGD gets it, its buffer is checkpointed, and the run resumes with it."
    import torch
    args = ('--arm', 'erase', '--steps', '2', '--eval_every', '0', '--optimizer', 'sgd',
            '--lr', '1.0', '--momentum', '0.9', '--gate_mode', 'one_sided')
    cli(*args, runs_dir=tmp_path)
    ck = torch.load(tmp_path/'smoke'/'erase'/'s41'/'ckpt.pt', map_location='cpu', weights_only=False)
    assert {g['momentum'] for g in ck['opt']['param_groups']} == {0.9}
    assert any('momentum_buffer' in st for st in ck['opt']['state'].values())
    conf = json.loads((tmp_path/'smoke'/'erase'/'s41'/'config.json').read_text())
    assert (conf['optimizer'], conf['momentum']) == ('sgd', 0.9)


def test_a_copied_run_continues_and_a_changed_one_is_refused(tmp_path):
    "A run folder copied to another runs_dir resumes there (runs_dir is not compared), also when its config predates a field;"
    " a changed field is refused by name. (02b continues 150-step runs to 300 this way.)"
    import shutil
    args = ('--arm', 'none', '--steps', '2', '--eval_every', '0', '--ckpt_every', '1')
    cli(*args, runs_dir=tmp_path/'a')
    src, dst = tmp_path/'a'/'smoke'/'none'/'s41', tmp_path/'b'/'smoke'/'none'/'s41'
    shutil.copytree(src, dst); (dst/'summary.json').unlink()
    conf = json.loads((dst/'config.json').read_text())
    del conf['momentum']                                                   # as written before the field existed
    (dst/'config.json').write_text(json.dumps(conf))
    r = cli('--arm', 'none', '--steps', '3', '--eval_every', '0', '--ckpt_every', '1', runs_dir=tmp_path/'b', check=False)
    assert r.returncode != 0 and 'configured otherwise (steps: 2 → 3)' in r.stderr
    conf['steps'] = 3; (dst/'config.json').write_text(json.dumps(conf))
    cli('--arm', 'none', '--steps', '3', '--eval_every', '0', '--ckpt_every', '1', runs_dir=tmp_path/'b')
    ra, rb = rows(src), rows(dst)
    assert len(rb) == 3 and rb[:2] == ra                                   # the same trajectory up to the copy, one step more
    assert json.loads((dst/'config.json').read_text())['momentum'] == 0.0
