"""Cost of the SVD adapter and the projection, side by side in one run, on the same model and batch.

    python bench/bench_adapter.py                      # smoke and small local models, CPU
    python bench/bench_adapter.py --specs small --reps 9 --device cuda

Per model it prints medians over `--reps` interleaved repetitions of:
  * forward+backward: bare model (full fine-tune: every weight gets a gradient) vs the adapter (knobs only),
    and plain vs per-row recording (the per-rollout gradients);
  * generation tokens/s: bare (and an identical twin, the noise floor) vs hooked (adapter branch live) vs merged (weights merged for the call, merge
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
    "(wall seconds, process CPU seconds): on a shared CPU the CPU time is the steadier number."
    t, c = time.perf_counter(), time.process_time(); fn(); sync()
    return time.perf_counter() - t, time.process_time() - c


def bench(spec, args):
    dev = torch.device(args.device)
    sync = torch.cuda.synchronize if dev.type == 'cuda' else (lambda: None)
    corpus = None if args.corpus == 'bank' else [f"class Solution:\n    def f(self, x):\n        return x + {k}\n" for k in range(200)]
    bare, tok = load_model(spec, device=dev, corpus=corpus)
    twin, _ = load_model(spec, device=dev, corpus=corpus)              # a second bare copy: the noise floor
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
            'generate bare': lambda: generate(bare, False), 'generate bare twin': lambda: generate(twin, False),
            'generate hooked': lambda: generate(model, False),
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
    clocks = {'wall': 0, 'cpu': 1} if dev.type == 'cpu' else {'wall': 0}

    with torch.no_grad():                                              # merged computes the same function
        hooked = model(input_ids=seq).logits
        with merged(W): fused = model(input_ids=seq).logits
    n_params = sum(p.numel() for p in bare.parameters())
    print(f"\n== {spec}: {n_params/1e6:.2f} M parameters, {len(W)} wrapped modules, batch {B} x ({P} prompt + {N} new) "
          f"tokens, {dev}, {torch.get_num_threads()} thread(s), median of {args.reps} ==")
    meds = {c: {k: statistics.median(x[i] for x in v) for k, v in t.items()} for c, i in clocks.items()}
    print(f"  {'':32s}" + ''.join(f"{c + ' ms':>12s}" for c in clocks) + ''.join(f"{c + ' tok/s':>13s}" for c in clocks))
    for k in t:
        tps = ''.join(f"{B*N/m[k]:13.0f}" for m in meds.values()) if k.startswith('generate') else ''
        print(f"  {k:32s}" + ''.join(f"{1e3*m[k]:12.2f}" for m in meds.values()) + tps)
    ratio = lambda name, f, note='': print(f"  {name:32s}" + ''.join(f"{f(m):11.3f}x" for m in meds.values()) + note)
    ratio('fwd+bwd adapter / bare', lambda m: m['fwd+bwd adapter']/m['fwd+bwd bare (all weights)'])
    ratio('fwd+bwd per_row / plain', lambda m: m['fwd+bwd adapter per_row']/m['fwd+bwd adapter'])
    ratio('gen tokens/s merged / bare', lambda m: m['generate bare']/m['generate merged'], '   (target >= 0.95)')
    ratio('gen tokens/s hooked / bare', lambda m: m['generate bare']/m['generate hooked'])
    ratio('gen tokens/s twin / bare', lambda m: m['generate bare']/m['generate bare twin'], '   (noise floor: same model)')
    for c, m in meds.items():
        step = m['generate merged'] + m['fwd+bwd adapter']
        rec = max(m['fwd+bwd adapter per_row'] - m['fwd+bwd adapter'], 0.)
        method = rec + m['per_row_grads + cin_rows'] + m['project_all (route)']
        print(f"  method cost / step ({c}){'':13s}{100*method/step:8.2f} %   (target <= 5%; step = generate merged + "
              f"fwd+bwd adapter = {1e3*step:.1f} ms; method = per-row recording {1e3*rec:.2f} + per_row_grads/cin_rows "
              f"{1e3*m['per_row_grads + cin_rows']:.2f} + project_all {1e3*m['project_all (route)']:.2f} ms)")
    print(f"  max |logits merged - hooked|    {(fused - hooked).abs().max().item():9.2e}")


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--specs', nargs='+', default=['smoke', 'small'])
    ap.add_argument('--device', default='cpu')
    ap.add_argument('--reps', type=int, default=7)
    ap.add_argument('--batch', type=int, default=8)
    ap.add_argument('--prompt', type=int, default=48)
    ap.add_argument('--new', type=int, default=48)
    ap.add_argument('--threads', type=int, default=1, help="CPU threads (1: steadier on a shared machine)")
    ap.add_argument('--corpus', choices=['bank', 'tiny'], default='bank', help="tokenizer corpus: the problem bank or a tiny text")
    args = ap.parse_args()
    torch.manual_seed(0)
    if args.device == 'cpu': torch.set_num_threads(args.threads)
    for spec in args.specs: bench(spec, args)
