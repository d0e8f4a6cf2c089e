"""How shared are the known modes' directions, and how far is 04's `shared` basis from the plain SVD one?

Per k: the mean eigenvalue λ of the shared basis (first direction per module, and all), and the subspace overlap of
`real`, `shared` and `random` with each other, on the `tiny` organism at δS = 0 (`floor_q = 0`, the training pairs).
    python bench/shared_basis.py [--k 4 16 64]
"""
import argparse
import numpy as np
import torch
from projected_grpo.adapter import load_model, wrap
from projected_grpo.extract import make_basis, subspace_overlap
from projected_grpo.problems import load_problems, make_pairs
from projected_grpo.train import is_eval_only, make_config, model_spec

ap = argparse.ArgumentParser()
ap.add_argument('--k', nargs='+', type=int, default=[4, 16, 64])
ap.add_argument('--seed', type=int, default=41, help="the random basis's seed (the run seed)")
a = ap.parse_args()
torch.set_num_threads(1)
cfg = make_config('tiny', arm='erase', seed=a.seed)
model, tok = load_model(model_spec(cfg), dtype=torch.float32, device='cpu')
W = wrap(model)
pairs = make_pairs([p for p in load_problems('tiny') if not is_eval_only(p)], tokenizer=tok)
print(f"{len(pairs)} pairs, {len({p.mode for p in pairs})} modes; λ = 1/M for a direction of one mode alone")
for k in a.k:
    info = {}
    B = {kd: make_basis(kd, model, W, tok, pairs, k=k, floor_q=0, seed=a.seed, info=info if kd == 'shared' else None)
         for kd in ('real', 'shared', 'random')}
    lam = info['shared']
    print(f"k = {k:3d}: λ first {np.mean([v[0] for v in lam.values()]):.3f}, all {np.mean([x for v in lam.values() for x in v]):.3f}"
          f" · overlap real·shared {subspace_overlap(B['shared'], B['real']):.3f}, real·random {subspace_overlap(B['random'], B['real']):.3f},"
          f" shared·random {subspace_overlap(B['random'], B['shared']):.3f}")
