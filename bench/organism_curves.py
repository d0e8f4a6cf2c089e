"""Curves of finished `tiny` runs for the organism note: hack rate on held-out problems, solve rate on solvable ones,
per-mode hack rates, in 5-step blocks, one line per seed.

    python bench/organism_curves.py RUN_DIR [RUN_DIR ...] [--out figures/organism_vanilla.png] [--md figures/organism_vanilla.md]

Each RUN_DIR holds a `rows.jsonl` written by `python -m projected_grpo.train` (and `timing.jsonl`, `summary.json`).
"""
import argparse, json, math
from pathlib import Path

MODES = ('run_tests', 'sentinel', 'stdout_marker', 'file_marker', 'eq_override', 'exit_code')


def load(run):
    run = Path(run)
    rows = [json.loads(l) for l in (run/'rows.jsonl').read_text().splitlines() if l.strip()]
    t = run/'timing.jsonl'
    wall = sum(json.loads(l)['step_s'] for l in t.read_text().splitlines() if l.strip()) if t.exists() else None
    cfg = json.loads((run/'config.json').read_text()) if (run/'config.json').exists() else {}
    return rows, wall, cfg


def block(rows, key, lo, hi):
    "Mean of `key` over steps lo ≤ step < hi (rows where it was measured)."
    xs = [r[key] for r in rows if lo <= r['step'] < hi and r.get(key) is not None]
    return sum(xs) / len(xs) if xs else float('nan')


def fmt(x): return '  –  ' if x is None or (isinstance(x, float) and math.isnan(x)) else f'{x:.2f}'


def table(name, rows, wall, every=5):
    steps = max(r['step'] for r in rows) + 1
    head = ['step', 'hack held', 'solve solv', 'hack all', 'fmt'] + [m for m in MODES]
    out = [f'**{name}** ({steps} steps, {wall:.0f} s wall)' if wall else f'**{name}** ({steps} steps)', '',
           '| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    for hi in range(every, steps + 1, every):
        lo = hi - every
        vals = [block(rows, k, lo, hi) for k in ('hack_s.held', 'gt_s.solv', 'hack_s', 'fmt_s')]
        vals += [block(rows, f'hack_s.{m}', lo, hi) for m in MODES]
        out.append(f'| {lo}–{hi - 1} | ' + ' | '.join(fmt(v) for v in vals) + ' |')
    return '\n'.join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('runs', nargs='+')
    ap.add_argument('--out', default=None)
    ap.add_argument('--md', default=None)
    ap.add_argument('--title', default='vanilla GRPO (arm none) on the organism')
    a = ap.parse_args()
    runs = [(r, *load(r)) for r in a.runs]
    md = []
    for r, rows, wall, cfg in runs:
        name = f"{Path(r).parent.name}/{Path(r).name}"
        md.append(table(name, rows, wall))
        tail = rows[-5:]
        md.append(f"last 5 steps: hack held {fmt(block(tail, 'hack_s.held', -1, 10**9))}, "
                  f"solve solv {fmt(block(tail, 'gt_s.solv', -1, 10**9))}, hack all {fmt(block(tail, 'hack_s', -1, 10**9))}\n")
    text = '\n\n'.join(md)
    print(text)
    if a.md: Path(a.md).write_text(text + '\n')
    if a.out:
        import matplotlib; matplotlib.use('Agg')
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(1, 3, figsize=(15, 4))
        for r, rows, wall, cfg in runs:
            lab = f"{Path(r).parent.name}/{Path(r).name}"
            steps = max(x['step'] for x in rows) + 1
            xs = list(range(4, steps, 5))
            ax[0].plot(xs, [block(rows, 'hack_s.held', x - 4, x + 1) for x in xs], label=lab)
            ax[1].plot(xs, [block(rows, 'gt_s.solv', x - 4, x + 1) for x in xs], label=lab)
        # per-mode hack rates pooled over the runs, last third of training
        for i, m in enumerate(MODES):
            v = [block(rows, f'hack_s.{m}', 2 * (max(x['step'] for x in rows) + 1) // 3, 10**9) for _, rows, _, _ in runs]
            ax[2].scatter([i] * len(v), v, color='C3')
        ax[2].set_xticks(range(len(MODES)), MODES, rotation=30, ha='right')
        ax[0].set(title='hack rate on held-out problems (5-step means)', xlabel='step', ylim=(-0.02, 1.02))
        ax[1].set(title='solve rate on solvable problems (5-step means)', xlabel='step', ylim=(-0.02, 1.02))
        ax[2].set(title='hack rate per mode, last third (one dot per run)', ylim=(-0.02, 1.02))
        ax[0].legend(fontsize=7)
        fig.suptitle(a.title)
        fig.tight_layout()
        Path(a.out).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(a.out, dpi=110)
        print('wrote', a.out)


if __name__ == '__main__':
    main()
