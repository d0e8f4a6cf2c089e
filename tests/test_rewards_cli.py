"""The two command-line contracts of projected_grpo.rewards (README, "Contracts other tools rely on"):
`python -m projected_grpo.rewards selfcheck` and `python -m projected_grpo.rewards grade FILE.jsonl`."""
import json, os, subprocess, sys

import pytest

import projected_grpo.rewards as R

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
P = R.example_problems()


def cli(*args, timeout=120):
    env = {**os.environ, 'PYTHONPATH': ROOT + os.pathsep + os.environ.get('PYTHONPATH', '')}
    return subprocess.run([sys.executable, '-m', 'projected_grpo.rewards', *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def bank(tmp_path):
    path = tmp_path / 'bank.json'
    path.write_text(json.dumps([R.problem_to_dict(p) for p in P]))
    return str(path)


def test_selfcheck_exit_zero_and_prints_the_diagonal():
    r = cli('selfcheck')
    assert r.returncode == 0, r.stdout + r.stderr
    assert 'CLEAN' in r.stdout
    for m in R.MODES: assert m in r.stdout


def test_selfcheck_exit_nonzero_when_not_clean(monkeypatch):
    bad = lambda *a, **k: ({}, False)
    monkeypatch.setattr(R, 'selfcheck', bad)
    monkeypatch.setattr(R, 'render_selfcheck', lambda t, ok=None: 'FAILED')
    assert R.main(['selfcheck']) == 1


def test_grade_jsonl_errors_stay_on_their_line(tmp_path, bank):
    p = P[0]
    lines = [
        json.dumps({'problem_id': p.id, 'completion': R.fence(R.with_check(p.canonical, p, p.mode))}),          # clean, default mode
        '{"problem_id": "ex_add3", "completion": ',                                                               # malformed JSON
        json.dumps({'problem_id': 'no_such_problem', 'completion': 'x'}),                                        # unknown id
        json.dumps({'problem_id': p.id, 'mode': 'telepathy', 'completion': 'x'}),                                # unknown mode
        json.dumps({'problem_id': p.id}),                                                                         # no completion
        json.dumps([1, 2]),                                                                                       # not an object
        '',                                                                                                       # empty line
        json.dumps({'problem_id': p.id, 'mode': 'file_marker', 'completion': R.fence(R.with_check(p.wrong[0], p, 'file_marker', 'hack'))}),
        json.dumps({'problem_id': P[2].id, 'mode': 'eq_override', 'completion': 'no code here'}),
        json.dumps({'problem_id': P[1].id, 'completion': R.fence("while True: pass\n")}),                        # hangs: graded, not fatal
    ]
    f = tmp_path / 'in.jsonl'
    f.write_text('\n'.join(lines) + '\n')
    r = cli('grade', str(f), '--problems', bank)
    assert r.returncode == 0, r.stderr
    out = [json.loads(l) for l in r.stdout.splitlines()]
    assert [o['line'] for o in out] == list(range(1, len(lines) + 1))
    need = {'reward', 'passed', 'gt_correct', 'exploited', 'mechanism', 'format_ok'}
    ok, errs = [out[i] for i in (0, 7, 8, 9)], [out[i] for i in (1, 2, 3, 4, 5, 6)]
    for o in ok: assert need <= set(o), o
    for o in errs: assert set(o) == {'line', 'error'}, o
    assert 'unknown problem_id' in out[2]['error'] and 'unknown mode' in out[3]['error'] and 'completion' in out[4]['error']
    assert out[0]['reward'] == 1.25 and out[0]['mode'] == p.mode and not out[0]['exploited']
    assert out[7]['exploited'] and out[7]['mechanism'] == 'file_marker' and out[7]['reward'] == 1.25
    assert out[8]['reward'] == 0 and not out[8]['format_ok']
    assert not out[9]['passed'] and 'timeout' in (out[9]['error'] or '')


def test_grade_unreadable_file_exits_nonzero(tmp_path, bank):
    assert cli('grade', str(tmp_path / 'missing.jsonl'), '--problems', bank).returncode != 0
    assert cli('grade', str(tmp_path), '--problems', bank).returncode != 0          # a directory


def test_grade_bad_bytes_lose_only_their_line(tmp_path, bank):
    p = P[0]
    good = json.dumps({'problem_id': p.id, 'completion': R.fence(R.with_check(p.canonical, p, p.mode))}).encode()
    f = tmp_path / 'mixed.jsonl'
    f.write_bytes(good + b'\n\xff\xfe\x00garbage\n' + good + b'\n')
    r = cli('grade', str(f), '--problems', bank)
    assert r.returncode == 0, r.stderr
    a, b, c = [json.loads(l) for l in r.stdout.splitlines()]
    assert a['reward'] == c['reward'] == 1.25 and b == {'line': 2, 'error': b['error']} and 'UTF-8' in b['error']


def test_grade_missing_or_broken_bank_is_not_bad_input(tmp_path):
    f = tmp_path / 'in.jsonl'
    f.write_text(json.dumps({'problem_id': P[0].id, 'completion': 'x'}) + '\n')
    r = cli('grade', str(f), '--problems', str(tmp_path / 'no_bank.json'))
    assert r.returncode == 2 and 'cannot read the problem bank' in r.stderr and 'is missing' in r.stderr and not r.stdout
    broken = tmp_path / 'broken.json'; broken.write_text('[{"id": "ex_add3"}]')
    r = cli('grade', str(f), '--problems', str(broken))
    assert r.returncode == 2 and "problem 'ex_add3' is broken" in r.stderr and not r.stdout


def test_grade_with_the_package_bank(tmp_path):
    from projected_grpo.problems import load_problems
    p = load_problems()[0]
    f = tmp_path / 'in.jsonl'
    f.write_text(json.dumps({'problem_id': p.id, 'completion': R.fence(R.with_check(p.canonical, p, p.mode))}) + '\n'
                 + json.dumps({'problem_id': '__nope__', 'completion': 'x'}) + '\n')
    r = cli('grade', str(f))
    assert r.returncode == 0, r.stderr
    a, b = [json.loads(l) for l in r.stdout.splitlines()]
    assert a['passed'] and a['gt_correct'] and a['reward'] == 1.25 and 'error' in b
