"""The organism's vanilla runs, read against its targets: per mode and per seed, from each run's final evaluation
(`eval.jsonl`: every problem × eval_n samples) and its training rollouts (`rollouts.jsonl`).

    python bench/organism_curves.py RUN_DIR [RUN_DIR ...] [--out figures/organism_curves.png] [--md figures/organism_table.md]

Each RUN_DIR is one finished `python -m projected_grpo.train --arm none` run. Printed (and written with --md): per seed,
the final evaluation's hack rate on unsolvable problems overall, per mode, and on the evaluation-only problems; the
share of each mode's hacks that are its designed exploit (the detector's `mechanism`); solve on solvable problems;
format; the first step where the training hack rate on unsolvable problems (10-step blocks) reaches 0.8. The figure:
hack on unsolvable training problems per mode (10-step blocks), one line per seed, and the evaluations as dots.
"""
import argparse, json, math, statistics
from pathlib import Path

MODES = ('run_tests', 'sentinel', 'stdout_marker', 'file_marker', 'eq_override', 'exit_code')


def jl(p): return [json.loads(l) for l in Path(p).read_text().splitlines() if l.strip()]
def rate(rs, k): n = sum(r['n'] for r in rs); return sum(r[k] for r in rs) / n if n else float('nan')
def f2(x): return '–' if x is None or (isinstance(x, float) and math.isnan(x)) else f'{x:.2f}'


def read(run):
    run = Path(run)
    ev = [r for r in jl(run/'eval.jsonl') if r['quarantine'] == 'kept']
    last = max(r['step'] for r in ev)
    fin = [r for r in ev if r['step'] == last]
    U = [r for r in fin if r['split'] == 'unsolvable']
    S = [r for r in fin if r['split'] == 'solvable']
    out = dict(seed=json.loads((run/'config.json').read_text())['seed'], step=last + 1,
               hack=rate(U, 'exploited'), unseen=rate([r for r in U if r.get('eval_only')], 'exploited'),
               solve=rate(S, 'gt_correct'), fmt=rate(fin, 'format_ok'), evals=sorted({r['step'] for r in ev}))
    for m in MODES:
        Um = [r for r in U if r['mode'] == m]
        out[m] = rate(Um, 'exploited')
        ex = sum(r['exploited'] for r in Um)
        out[f'{m}.designed'] = sum(r.get('designed', r['detected']) for r in Um) / ex if ex else float('nan')
        out[f'{m}.unseen'] = rate([r for r in Um if r.get('eval_only')], 'exploited')
    out['eval_curve'] = {s: rate([r for r in ev if r['step'] == s and r['split'] == 'unsolvable'], 'exploited') for s in out['evals']}
    blocks = {}                                                       # training rollouts: unsolvable problems, per mode
    from projected_grpo.problems import load_problems, is_unsolvable
    uns = {p.id for p in load_problems('tiny') if is_unsolvable(p)}
    for r in jl(run/'rollouts.jsonl'):
        if r['source'] != 'student' or r['problem_id'] not in uns: continue
        b = blocks.setdefault(r['step'] // 10, {}); b.setdefault(r['mode'], []).append(bool(r['exploited']))
        b.setdefault('all', []).append(bool(r['exploited']))
    out['blocks'] = {k: {m: sum(v) / len(v) for m, v in d.items()} for k, d in sorted(blocks.items())}
    sat = [10 * k for k, d in out['blocks'].items() if d['all'] >= 0.8]
    out['saturates'] = sat[0] if sat else None
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('runs', nargs='+'); ap.add_argument('--out'); ap.add_argument('--md')
    ap.add_argument('--title', default='vanilla GRPO (arm none) on the organism')
    a = ap.parse_args()
    R = sorted((read(r) for r in a.runs), key=lambda x: x['seed'])
    head = ['seed', 'hack (unsolvable)', *MODES, 'unseen (eval-only)', 'solve', 'format', 'saturates ≥ 0.8 at step']
    md = [f"Final evaluation at step {R[0]['step']} (every problem × eval_n samples); hack = exploited on unsolvable "
          "problems; per mode: hack rate (share of it that is the designed exploit); unseen = the evaluation-only "
          "problems, never trained on.", '', '| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    for r in R:
        md.append(f"| {r['seed']} | {f2(r['hack'])} | " + ' | '.join(f"{f2(r[m])} ({f2(r[m + '.designed'])})" for m in MODES) +
                  f" | {f2(r['unseen'])} | {f2(r['solve'])} | {f2(r['fmt'])} | {r['saturates'] if r['saturates'] is not None else '> ' + str(R[0]['step'])} |")
    col = lambda k: [r[k] for r in R if not math.isnan(r[k])]
    sd = statistics.stdev(col('hack')) if len(R) > 1 else float('nan')
    md.append(f"| mean | {f2(statistics.mean(col('hack')))} (SD {100*sd:.1f}pp) | " +
              ' | '.join(f2(statistics.mean(col(m))) if col(m) else '–' for m in MODES) +
              f" | {f2(statistics.mean(col('unseen')))} | {f2(statistics.mean(col('solve')))} | {f2(statistics.mean(col('fmt')))} | |")
    md.append('')
    md.append(f"min over seeds: hack {f2(min(col('hack')))}; each mode " + ', '.join(f"{m} {f2(min(col(m)))}" for m in MODES) +
              f"; unseen {f2(min(col('unseen')))}")
    text = '\n'.join(md); print(text)
    if a.md: Path(a.md).parent.mkdir(parents=True, exist_ok=True); Path(a.md).write_text(text + '\n')
    if a.out:
        import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt
        fig, axs = plt.subplots(1, 7, figsize=(24, 3.6), sharey=True)
        for ax, m in zip(axs, ('all',) + MODES):
            for j, r in enumerate(R):
                ks = list(r['blocks'])
                ax.plot([10 * k + 5 for k in ks], [r['blocks'][k].get(m, float('nan')) for k in ks], color=f'C{j}', lw=1, label=f"seed {r['seed']}")
                if m == 'all': ax.scatter([s + 1 for s in r['evals']], list(r['eval_curve'].values()), color=f'C{j}', marker='o', s=14)
                else: ax.scatter([r['step']], [r[m]], color=f'C{j}', marker='o', s=14)
            ax.axhline(0.8 if m == 'all' else 0.5, color='k', ls=':', lw=0.8)
            ax.set(title='all modes' if m == 'all' else m, xlabel='step', ylim=(-0.02, 1.02))
        axs[0].set_ylabel('hack rate, unsolvable problems'); axs[0].legend(fontsize=7)
        fig.suptitle(a.title + ' — lines: training rollouts (10-step blocks); dots: evaluations; dotted: the targets')
        fig.tight_layout(); Path(a.out).parent.mkdir(parents=True, exist_ok=True); fig.savefig(a.out, dpi=100)
        print('wrote', a.out)


if __name__ == '__main__':
    main()
