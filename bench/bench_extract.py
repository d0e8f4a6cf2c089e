"""Wall time of extracting the hack basis V (04_extract), on one model, for N pairs.

    python bench/bench_extract.py                          # smoke model, CPU, 108 pairs
    python bench/bench_extract.py --spec small --pairs 216 --device cuda --batch 8 16 32

Prints, medians over `--reps` repetitions:
  * `pair_diffs` (every completion's knob gradient from one batched backward per batch of rows, then
    hack − clean) per batch size, in total and per pair;
  * the reference it replaces: one forward + backward per completion (grads zeroed before each),
    measured on the first `--loop` pairs and scaled to N;
  * `basis_from_diffs` (per-module SVD, orientation, global floor), the cache key, and a cache-hit
    `make_basis` (load from safetensors).
"""
import argparse, statistics, sys, tempfile, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))             # run from a checkout
import torch
import torch.nn.functional as F

from projected_grpo.adapter import load_model, wrap
from projected_grpo.problems import load_problems, make_pairs
from projected_grpo.extract import pair_diffs, basis_from_diffs, basis_key, make_basis, encode


def med(fn, reps, sync):
    ts = []
    for _ in range(reps):
        t = time.perf_counter(); fn(); sync(); ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def loop_diffs(model, W, tok, pairs):
    "Reference: a separate forward + backward per completion, grads zeroed before each."
    dev = next(iter(W.values())).δS.device
    out = []
    for p in pairs:
        g = []
        for c in (p.hack, p.clean):
            s, n = encode(tok, p.prompt, c)
            ids = torch.tensor([s], device=dev)
            for w in W.values(): w.δS.grad = None
            logits = model(input_ids=ids).logits[0, -n - 1:-1].float()
            F.cross_entropy(logits, ids[0, -n:], reduction='sum').backward()
            g.append({k: w.δS.grad.clone() for k, w in W.items()})
        out.append({k: g[0][k] - g[1][k] for k in W})
    for w in W.values(): w.δS.grad = None
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--spec', default='smoke')
    ap.add_argument('--pairs', type=int, default=108, help='N pairs (tiny problems first, cycled if N exceeds the bank)')
    ap.add_argument('--batch', type=int, nargs='+', default=[8, 16, 32], help='rows per backward')
    ap.add_argument('--loop', type=int, default=16, help='pairs timed with one backward per completion')
    ap.add_argument('--reps', type=int, default=3)
    ap.add_argument('--device', default='cpu')
    ap.add_argument('--dtype', default=None, help='e.g. bfloat16 (default: the checkpoint dtype)')
    ap.add_argument('--threads', type=int, default=None)
    a = ap.parse_args()
    if a.threads: torch.set_num_threads(a.threads)
    dev = torch.device(a.device)
    sync = torch.cuda.synchronize if dev.type == 'cuda' else (lambda: None)
    model, tok = load_model(a.spec, dtype=getattr(torch, a.dtype) if a.dtype else None, device=dev)
    W = wrap(model)
    bank = make_pairs(sorted(load_problems(), key=lambda p: p.difficulty != 'tiny'))
    pairs = [bank[i % len(bank)] for i in range(a.pairs)]
    ntok = sum(len(encode(tok, p.prompt, c)[0]) for p in pairs for c in (p.hack, p.clean))
    r = sum(w.δS.shape[0] for w in W.values())
    print(f"{a.spec} on {a.device} ({next(model.parameters()).dtype}, {torch.get_num_threads()} threads): "
          f"{len(W)} modules, Σr = {r}; {len(pairs)} pairs, {2*len(pairs)} completions, {ntok} tokens")
    pair_diffs(model, W, tok, pairs[:4]); sync()                        # warm-up
    rows = []
    for b in a.batch:
        t = med(lambda: pair_diffs(model, W, tok, pairs, batch_size=b), a.reps, sync)
        rows.append((f'pair_diffs, batch {b}', t))
    m = min(a.loop, len(pairs))
    t_loop = med(lambda: loop_diffs(model, W, tok, pairs[:m]), a.reps, sync) * len(pairs) / m
    rows.append((f'1 backward per completion (x{len(pairs)/m:.1f} from {m} pairs)', t_loop))
    D = pair_diffs(model, W, tok, pairs, batch_size=a.batch[0])
    rows.append(('basis_from_diffs (SVD, vote, floor)', med(lambda: basis_from_diffs(D, k=4), a.reps, sync)))
    rows.append(('basis_key (model/knob/tok/pairs hash)', med(lambda: basis_key('real', model, W, tok, pairs), a.reps, sync)))
    with tempfile.TemporaryDirectory() as d:
        make_basis('real', model, W, tok, pairs, cache_dir=d, batch_size=a.batch[0])
        rows.append(('make_basis, cache hit', med(lambda: make_basis('real', model, W, tok, pairs, cache_dir=d), a.reps, sync)))
        rows.append(('make_basis, cache off (extract)', med(lambda: make_basis('real', model, W, tok, pairs, cache=False,
                                                                               batch_size=a.batch[0]), a.reps, sync)))
    w = max(len(n) for n, _ in rows)
    print(f"{'':{w}s} {'total s':>9s} {'ms/pair':>9s}")
    for n, t in rows: print(f"{n:{w}s} {t:9.3f} {1e3*t/len(pairs):9.2f}")


if __name__ == '__main__':
    main()
