"""Cost of the SVD adapter and the projection, side by side in one run, on the same model and batch.

    python bench/bench_adapter.py                      # smoke and small local models, CPU
    python bench/bench_adapter.py --specs small --reps 9 --device cuda

Per model it prints medians over `--reps` interleaved repetitions of:
  * forward+backward: bare model (full fine-tune: every weight gets a gradient) vs the adapter (knobs only),
    and plain vs per-row recording (the per-rollout gradients);
  * generation tokens/s: bare vs hooked (adapter branch live) vs merged (weights merged for the call, merge
    and restore included in the timing). Target: merged >= 0.95x bare;
  * the extra cost of the method per training step: project_all (route, k=4 bases on every module) +
    per-row gradients (recording overhead + per_row_grads + cin_rows) as a fraction of one step =
    merged generate + adapter forward+backward on the generated sequences. Target: <= 5%.
"""
import argparse, statistics, sys, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))             # run from a checkout
import torch
import torch.nn.functional as F

from projected_grpo.adapter import load_model, wrap, merged, per_row, per_row_grads
from projected_grpo.project import project_all, cin_rows


def timed(fn, sync):
    t = time.perf_counter(); fn(); sync(); return time.perf_counter() - t


def bench(spec, args):
    dev = torch.device(args.device)
    sync = torch.cuda.synchronize if dev.type == 'cuda' else (lambda: None)
    corpus = None if args.corpus == 'bank' else [f"class Solution:\n    def f(self, x):\n        return x + {k}\n" for k in range(200)]
    bare, tok = load_model(spec, device=dev, corpus=corpus)
    model, _ = load_model(spec, device=dev, corpus=corpus)
    W = wrap(model)
    gen = torch.Generator().manual_seed(0)
    for w in W.values():                                               # small non-zero knobs: a trained adapter
        w.δS.data = (0.01*torch.randn(w.δS.shape, generator=gen)).to(dev)
        w.δS_hack.data = (0.01*torch.randn(w.δS.shape, generator=gen)).to(dev)
    V = {n: torch.linalg.qr(torch.randn(w.δS.shape[0], 4, generator=gen))[0].T.to(dev) for n, w in W.items()}
    bare.requires_grad_(True)                                          # the bare baseline trains every weight
    B, P, N = args.batch, args.prompt, args.new
    vocab = len(tok)
    prompt = torch.randint(2, vocab, (B, P), generator=gen).to(dev)    # ids 0, 1 are eos/pad
    seq = torch.randint(2, vocab, (B, P + N), generator=gen).to(dev)   # a batch the size of a generated one
    gen_kw = dict(max_new_tokens=N, min_new_tokens=N, do_sample=True, pad_token_id=tok.pad_token_id)

    def loss_of(m):
        logits = m(input_ids=seq).logits[:, :-1]
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), seq[:, 1:].reshape(-1))

    def fb_bare(): bare.zero_grad(set_to_none=True); loss_of(bare).backward()
    def fb_adapter(): model.zero_grad(set_to_none=True); loss_of(model).backward()
    def fb_rows():
        model.zero_grad(set_to_none=True)
        with per_row(W): loss_of(model).backward()
    def rows_read(): G = per_row_grads(W); cin_rows(G, V)
    def project(): project_all(W, V, 'route')
    def generate(m, merge):
        torch.manual_seed(0)
        with torch.no_grad():
            if merge:
                with merged(W): m.generate(input_ids=prompt, **gen_kw)
            else: m.generate(input_ids=prompt, **gen_kw)

    jobs = {'fwd+bwd bare (all weights)': fb_bare, 'fwd+bwd adapter': fb_adapter, 'fwd+bwd adapter per_row': fb_rows,
            'generate bare': lambda: generate(bare, False), 'generate hooked': lambda: generate(model, False),
            'generate merged': lambda: generate(model, True)}
    for fn in jobs.values(): fn()                                      # warm-up
    fb_rows()
    extra = {'per_row_grads + cin_rows': rows_read, 'project_all (route)': project}
    for fn in extra.values(): fn()
    t = {k: [] for k in [*jobs, *extra]}
    for rep in range(args.reps):                                       # interleaved, rotating order: drift hits all alike
        ks = list(jobs); ks = ks[rep % len(ks):] + ks[:rep % len(ks)]
        for k in ks:
            t[k].append(timed(jobs[k], sync))
            if k == 'fwd+bwd adapter per_row':                         # read right after its own backward
                for e, fn in extra.items(): t[e].append(timed(fn, sync))
    med = {k: statistics.median(v) for k, v in t.items()}

    with torch.no_grad():                                              # merged computes the same function
        hooked = model(input_ids=seq).logits
        with merged(W): fused = model(input_ids=seq).logits
    n_params = sum(p.numel() for p in bare.parameters())
    print(f"\n== {spec}: {n_params/1e6:.2f} M parameters, {len(W)} wrapped modules, batch {B} x ({P} prompt + {N} new) "
          f"tokens, {dev}, {torch.get_num_threads()} threads, median of {args.reps} ==")
    for k, v in med.items():
        extra_s = f"   {B*N/v:9.0f} tokens/s" if k.startswith('generate') else ''
        print(f"  {k:32s} {1e3*v:9.2f} ms{extra_s}")
    step = med['generate merged'] + med['fwd+bwd adapter']
    rec = max(med['fwd+bwd adapter per_row'] - med['fwd+bwd adapter'], 0.)
    method = rec + med['per_row_grads + cin_rows'] + med['project_all (route)']
    print(f"  fwd+bwd adapter / bare          {med['fwd+bwd adapter']/med['fwd+bwd bare (all weights)']:9.3f}x")
    print(f"  fwd+bwd per_row / plain         {med['fwd+bwd adapter per_row']/med['fwd+bwd adapter']:9.3f}x")
    print(f"  gen tokens/s merged / bare      {med['generate bare']/med['generate merged']:9.3f}x   (target >= 0.95)")
    print(f"  gen tokens/s hooked / bare      {med['generate bare']/med['generate hooked']:9.3f}x")
    print(f"  method cost / step              {100*method/step:9.2f} %    (target <= 5%; step = generate merged + "
          f"fwd+bwd adapter = {1e3*step:.1f} ms; method = per-row recording {1e3*rec:.2f} + per_row_grads/cin_rows "
          f"{1e3*med['per_row_grads + cin_rows']:.2f} + project_all {1e3*med['project_all (route)']:.2f} ms)")
    print(f"  max |logits merged - hooked|    {(fused - hooked).abs().max().item():9.2e}")


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--specs', nargs='+', default=['smoke', 'small'])
    ap.add_argument('--device', default='cpu')
    ap.add_argument('--reps', type=int, default=7)
    ap.add_argument('--batch', type=int, default=8)
    ap.add_argument('--prompt', type=int, default=48)
    ap.add_argument('--new', type=int, default=48)
    ap.add_argument('--corpus', choices=['bank', 'tiny'], default='bank', help="tokenizer corpus: the problem bank or a tiny text")
    args = ap.parse_args()
    torch.manual_seed(0)
    for spec in args.specs: bench(spec, args)
