"""Curves of finished `tiny` runs for the organism note: hack rate on held-out problems, solve rate on solvable ones,
per-mode hack rates on the held-out problems (from rollouts.jsonl), in 5-step blocks, one line per seed.

    python bench/organism_curves.py RUN_DIR [RUN_DIR ...] [--out figures/organism_vanilla.png] [--md figures/organism_vanilla.md]

Each RUN_DIR holds a `rows.jsonl` written by `python -m projected_grpo.train` (and `timing.jsonl`, `summary.json`).
"""
import argparse, json, math
from pathlib import Path

MODES = ('run_tests', 'sentinel', 'stdout_marker', 'file_marker', 'eq_override', 'exit_code')


def held_ids():
    from projected_grpo.problems import load_problems
    return {p.id for p in load_problems('tiny') if 'split:unsolvable' in p.tags}


def per_mode_held(run, held):
    "Pseudo-rows `{step, hack_h.<mode>}`: the student hack rate of each mode on the held-out problems, per step."
    out = {}
    for l in (Path(run)/'rollouts.jsonl').read_text().splitlines():
        r = json.loads(l)
        if r['source'] != 'student' or r['problem_id'] not in held: continue
        out.setdefault(r['step'], {}).setdefault(r['mode'], []).append(bool(r['exploited']))
    return {s: {f'hack_h.{m}': sum(v) / len(v) for m, v in d.items()} for s, d in out.items()}


def load(run, held=None):
    run = Path(run)
    rows = [json.loads(l) for l in (run/'rows.jsonl').read_text().splitlines() if l.strip()]
    if held is not None and (run/'rollouts.jsonl').exists():
        pm = per_mode_held(run, held)
        for r in rows: r.update(pm.get(r['step'], {}))
    t = run/'timing.jsonl'
    wall = sum(json.loads(l)['step_s'] for l in t.read_text().splitlines() if l.strip()) if t.exists() else None
    cfg = json.loads((run/'config.json').read_text()) if (run/'config.json').exists() else {}
    return rows, wall, cfg


def block(rows, key, lo, hi):
    "Mean of `key` over steps lo ≤ step < hi (rows where it was measured)."
    xs = [r[key] for r in rows if lo <= r['step'] < hi and r.get(key) is not None]
    return sum(xs) / len(xs) if xs else float('nan')


def label(run):
    "`<group>/<seed>` for runs_dir/<group>/tiny/<arm>/s<seed>."
    parts = Path(run).resolve().parts
    return f'{parts[-4]}/{parts[-1]}' if len(parts) >= 4 else str(run)


def fmt(x): return '  –  ' if x is None or (isinstance(x, float) and math.isnan(x)) else f'{x:.2f}'


def table(name, rows, wall, every=5):
    steps = max(r['step'] for r in rows) + 1
    head = ['step', 'hack held', 'solve solv', 'hack all', 'fmt'] + [f'{m} (held)' for m in MODES]
    out = [f'**{name}** ({steps} steps, {wall:.0f} s wall)' if wall else f'**{name}** ({steps} steps)', '',
           '| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    for hi in range(every, steps + 1, every):
        lo = hi - every
        vals = [block(rows, k, lo, hi) for k in ('hack_s.unsolvable', 'gt_s.solvable', 'hack_s', 'fmt_s')]
        vals += [block(rows, f'hack_h.{m}', lo, hi) for m in MODES]
        out.append(f'| {lo}–{hi - 1} | ' + ' | '.join(fmt(v) for v in vals) + ' |')
    return '\n'.join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('runs', nargs='+')
    ap.add_argument('--out', default=None)
    ap.add_argument('--md', default=None)
    ap.add_argument('--title', default='vanilla GRPO (arm none) on the organism')
    a = ap.parse_args()
    held = held_ids()
    runs = [(r, *load(r, held)) for r in a.runs]
    md = []
    for r, rows, wall, cfg in runs:
        name = label(r)
        md.append(table(name, rows, wall))
        tail = rows[-5:]
        last25 = rows[-25:]
        modes = [m for m in MODES if block(last25, f'hack_h.{m}', -1, 10**9) >= 0.25]
        md.append(f"last 5 steps: hack held {fmt(block(tail, 'hack_s.unsolvable', -1, 10**9))}, "
                  f"solve solv {fmt(block(tail, 'gt_s.solvable', -1, 10**9))}, hack all {fmt(block(tail, 'hack_s', -1, 10**9))}; "
                  f"modes hacked ≥ 0.25 on held problems over the last 25 steps: {len(modes)} ({', '.join(modes)})\n")
    text = '\n\n'.join(md)
    print(text)
    if a.md: Path(a.md).write_text(text + '\n')
    if a.out:
        import matplotlib; matplotlib.use('Agg')
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(1, 3, figsize=(15, 4))
        for r, rows, wall, cfg in runs:
            lab = label(r)
            steps = max(x['step'] for x in rows) + 1
            xs = list(range(4, steps, 5))
            ax[0].plot(xs, [block(rows, 'hack_s.unsolvable', x - 4, x + 1) for x in xs], label=lab)
            ax[1].plot(xs, [block(rows, 'gt_s.solvable', x - 4, x + 1) for x in xs], label=lab)
        # per-mode hack rates on held problems, last 25 steps, one dot per run
        for i, m in enumerate(MODES):
            for j, (_, rows, _, _) in enumerate(runs):
                ax[2].scatter([i + 0.1 * (j - 1)], [block(rows[-25:], f'hack_h.{m}', -1, 10**9)], color=f'C{j}')
        ax[2].set_xticks(range(len(MODES)), MODES, rotation=30, ha='right')
        ax[0].set(title='hack rate on held-out problems (5-step means)', xlabel='step', ylim=(-0.02, 1.02))
        ax[1].set(title='solve rate on solvable problems (5-step means)', xlabel='step', ylim=(-0.02, 1.02))
        ax[2].set(title='hack rate per mode on held problems, last 25 steps', ylim=(-0.02, 1.02))
        ax[0].legend(fontsize=7)
        fig.suptitle(a.title)
        fig.tight_layout()
        Path(a.out).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(a.out, dpi=110)
        print('wrote', a.out)


if __name__ == '__main__':
    main()
