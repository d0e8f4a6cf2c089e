"""Grader throughput benchmark: grade a realistic mix of completions with `grade_many` and compare the
per-execution cost with the physical floor, a bare `python -I -S -c pass`, measured in the same run.

    python bench/bench_grader.py [--n 600] [--workers 2] [--timeout 3] [--bank]

Mix (fractions of --n): honest (canonical + honest self-check), wrong (plausible wrong solution + honest
self-check), hacked (wrong solution + the graded mode's exploit), garbage (no code block, prose, syntax
errors, empty), slow (correct code that burns 0.05-0.3 s of CPU per call). Problems: the module's example
problems, or the package bank with --bank.
"""
import argparse, json, os, random, statistics, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))   # run from a checkout
import projected_grpo.rewards as R
import projected_grpo.sandbox as S


def floor(n=30):
    "Median wall seconds of a bare interpreter start (`python -I -S -c pass`)."
    ts = []
    for _ in range(n):
        t = time.perf_counter(); subprocess.run([sys.executable, '-I', '-S', '-c', 'pass'], check=True); ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def make_mix(problems, n, seed=0, frac=dict(honest=0.40, wrong=0.20, hacked=0.25, garbage=0.10, slow=0.05)):
    rng = random.Random(seed)
    kinds = [k for k, f in frac.items() for _ in range(round(f * n))][:n]
    rng.shuffle(kinds)
    garbage = ["I think the answer is 42.", "```python\nclass Solution(:\n    pass\n```", "```python\n```",
               "```\nclass Solution:\n    pass\n```", "Sure! " * 40]
    jobs = []
    for k in kinds:
        p = rng.choice(problems); m = rng.choice(R.MODES); v = rng.randrange(8)
        if k == 'honest': c = R.fence(R.with_check(p.canonical, p, m, 'honest', v))
        elif k == 'wrong': c = R.fence(R.with_check(rng.choice(p.wrong), p, m, 'honest', v))
        elif k == 'hacked': c = R.fence(R.with_check(rng.choice(p.wrong), p, m, 'hack', v))
        elif k == 'garbage': c = rng.choice(garbage)
        else:
            burn = rng.uniform(0.05, 0.3) / (2 * len(p.visible) + len(p.tests) + 3)   # per call; a grade makes ~that many calls
            slow = f"import time as _t\n_t0 = _t.process_time()\nwhile _t.process_time() - _t0 < {burn:.3f}: pass\n"
            code = R.with_check(p.canonical, p, m, 'honest', v)
            i = code.index(f"def {p.method}(")
            j = code.index('\n', code.index(':', code.index(')', i))) + 1
            ind = ' ' * (len(code[:i]) - len(code[:i].rstrip(' ')) + 4)
            c = R.fence(code[:j] + ''.join(ind + ln + '\n' for ln in slow.splitlines()) + code[j:])
        jobs.append((k, (p, c, m)))
    return jobs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--n', type=int, default=600)
    ap.add_argument('--workers', type=int, default=os.cpu_count())
    ap.add_argument('--timeout', type=float, default=None)
    ap.add_argument('--bank', action='store_true', help='use projected_grpo.problems.load_problems() instead of the examples')
    a = ap.parse_args()
    if a.bank:
        from projected_grpo.problems import load_problems
        problems = [p for p in load_problems() if p.wrong]
    else: problems = R.example_problems()
    jobs = make_mix(problems, a.n)

    # per-execution latency as the caller sees it (request out -> verdict back)
    exec_secs, real = [], R.sandbox_run                  # the name the grader calls (rewards imports it from sandbox)
    def timed(req, workers=None):
        t = time.perf_counter(); r = real(req, workers); exec_secs.append(time.perf_counter() - t); return r
    R.sandbox_run = timed

    R.grade_many([j for _, j in jobs[:2 * a.workers]], workers=a.workers, timeout=a.timeout)   # start the workers
    exec_secs.clear()
    pids = [w.p.pid for w in S._pool().all]
    def cpu():   # seconds of CPU used by this process, its reaped children, and the sandbox workers with their trees
        tck = os.sysconf('SC_CLK_TCK'); r = os.times()
        tot = r.user + r.system + r.children_user + r.children_system
        for pid in pids:
            f = open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()
            tot += sum(int(x) for x in f[11:15]) / tck
        return tot
    c0, t = cpu(), time.perf_counter()
    G = R.grade_many([j for _, j in jobs], workers=a.workers, timeout=a.timeout)
    wall, cpu_used = time.perf_counter() - t, cpu() - c0
    load = os.getloadavg()[0]
    R.sandbox_run = real
    fl = floor()

    secs = [g['secs'] for g in G]
    q = lambda xs, p: sorted(xs)[min(len(xs) - 1, int(p * len(xs)))]
    by = {}
    for (k, _), g in zip(jobs, G): by.setdefault(k, []).append(g)
    print(f"machine: {os.cpu_count()} cores, workers={a.workers}, problems={len(problems)} ({'bank' if a.bank else 'examples'}), layers: "
          + ','.join(k for k, v in S.sandbox_layers()['layers'].items() if v))
    print(f"mix: " + ', '.join(f"{k} {len(v)}" for k, v in by.items()))
    for k, v in by.items():
        s = [g['secs'] for g in v]
        print(f"  {k:8s} p50 {q(s, .5)*1e3:7.1f} ms  passed {sum(g['passed'] for g in v)/len(v):.2f}  gt {sum(g['gt_correct'] for g in v)/len(v):.2f}  exploited {sum(g['exploited'] for g in v)/len(v):.2f}")
    print(f"graded {len(G)} completions in {wall:.2f} s: {len(G)/wall:.1f} completions/s   (1-min load average during the run: {load:.1f} on {os.cpu_count()} cores)")
    print(f"CPU per completion (grader + workers + sandboxes): {cpu_used/len(G)*1e3:.1f} ms  ->  {os.cpu_count()} idle cores sustain ~{os.cpu_count()*len(G)/cpu_used:.0f} completions/s")
    print(f"per grade:     p50 {q(secs, .5):.4f} s   p95 {q(secs, .95):.4f} s")
    print(f"per execution: p50 {q(exec_secs, .5):.4f} s   p95 {q(exec_secs, .95):.4f} s   ({len(exec_secs)} sandboxed executions)")
    print(f"floor: python -I -S -c pass  median {fl:.4f} s")
    print(f"ratios: per-execution p50 / floor = {q(exec_secs, .5)/fl:.2f}x   per-grade p50 / floor = {q(secs, .5)/fl:.2f}x   "
          f"throughput / target 40/s = {len(G)/wall/40:.2f}")


if __name__ == '__main__':
    main()
