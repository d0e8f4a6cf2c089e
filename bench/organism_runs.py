"""The organism's calibration runs, one at a time (the machine's 2 cores are shared): vanilla GRPO (`arm none`) on the
`tiny` preset for three seeds (no teacher rows: the preset's mix_ratio is 0), then the same with 2 of 8 rows from
the teacher pool (`mix_ratio 0.25`), then the curves.

    python bench/organism_runs.py [--runs_dir runs/organism] [--seeds 41 42 43] [--set key=value ...] [--teacher_seeds 41]

Every run is `python -m projected_grpo.train --preset tiny --arm none --seed S ...`; a finished run (summary.json) is
skipped, so the script can be re-run after an interruption. Writes RUNS_DIR/organism_vanilla.{png,md} and
RUNS_DIR/organism_teacher.{png,md} (calibration output; `make reproduce` writes figures/organism_curves.png from its own runs).
"""
import argparse, json, subprocess, sys, time
from pathlib import Path


def run(runs_dir, seed, extra):
    out = Path(runs_dir)/'tiny'/'none'/f's{seed}'
    if (out/'summary.json').exists():
        print(f'{out}: finished before, kept'); return out
    cmd = [sys.executable, '-m', 'projected_grpo.train', '--preset', 'tiny', '--arm', 'none', '--seed', str(seed),
           '--runs_dir', str(runs_dir), '--quiet'] + extra
    print(' '.join(cmd), flush=True)
    t = time.time()
    subprocess.run(cmd, check=True)
    print(f'{out}: {time.time() - t:.0f} s wall (process)', flush=True)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--runs_dir', default='runs/organism')
    ap.add_argument('--seeds', nargs='*', type=int, default=[41, 42, 43])
    ap.add_argument('--teacher_seeds', nargs='*', type=int, default=[41])
    ap.add_argument('--set', nargs='*', default=[], metavar='KEY=VALUE', help='extra Config values for every run')
    a = ap.parse_args()
    extra = [x for kv in a.set for x in ('--' + kv.split('=', 1)[0], kv.split('=', 1)[1])]
    van = [run(Path(a.runs_dir)/'vanilla', s, extra) for s in a.seeds]
    nt = [run(Path(a.runs_dir)/'teacher', s, extra + ['--mix_ratio', '0.25']) for s in a.teacher_seeds]
    here = Path(__file__).parent
    subprocess.run([sys.executable, str(here/'organism_curves.py'), *map(str, van), '--out', f'{a.runs_dir}/organism_vanilla.png',
                    '--md', f'{a.runs_dir}/organism_vanilla.md'], check=True)
    if nt:
        subprocess.run([sys.executable, str(here/'organism_curves.py'), *map(str, nt), '--out', f'{a.runs_dir}/organism_teacher.png',
                        '--md', f'{a.runs_dir}/organism_teacher.md', '--title', 'vanilla GRPO, 2 of 8 rows from the teacher pool'],
                       check=True)


if __name__ == '__main__':
    main()
