"""The GPU path, exercised: the `fast` preset's code path on CUDA in bf16, on models built here (no Hub download).

    python bench/gpu_check.py                                     # CUDA, bf16, the `small` model and the organism
    python bench/gpu_check.py --models small --steps 24           # quicker (the organism takes minutes to build once)
    python bench/gpu_check.py --device cpu --dtype float32 --models smoke --steps 2 --trl-steps 2 --max-new 8 \\
        --prompts 2 --G 4 --problems tiny                         # the script testing itself on a CPU (tests/test_gpu_check.py)

Per model (`small`: a random 4-layer Qwen3 from 02; `organism`: the CPU model organism of 02b, built on first use,
~6 min on 2 cores; `smoke` for the CPU self-test), loaded in `--dtype` on `--device`:

  * identity: logits of the wrapped model at δS = δS_hack = 0 against the bare model's, and under `zeroed()` with
    the knobs moved. The adapter adds exact zeros at δS = 0, so the expected difference is 0 in any dtype;
    `--identity-tol` (relative to max|logit|, default 0: bit-identical) is the tolerance checked;
  * merged-weight generation: with the knobs moved (δS ~ N(0, 0.05²)), logits inside `merged()` against the hooked
    forward, within `--merge-tol` of max|logit| (default 3·2⁻⁸ in bf16 — the merged delta is rounded to bf16 on top of
    W — and 1e-4 in float32); the weights restored bit for bit afterwards; greedy tokens of both (agreement reported);
    sampling speed merged vs hooked;
  * our loop: `train.train` on the `fast` preset with this model (device, dtype, `--steps`, and the sizes below),
    arms `none` and `erase` — rollouts, teacher rows, the basis and its refresh, projection, clip, AdamW, evaluation,
    checkpoints — each run finishing with finite losses, `erase` leaving cout = 0 on every step, `none` measuring;
  * the step against TRL's: `trl.GRPOTrainer` with `projected_grpo.trl.ProjectionCallback(erase)` on the same
    wrapped model, same prompts per step, group size, completion length and dtype, for `--trl-steps` steps; median
    seconds per step of both. Not identical work: the `fast` preset mixes teacher rows into each group (2 of 8 rows are
    cached text, not sampled) and TRL has none, and both stop a completion at EOS. TRL's reward is our grader plus a
    1e-6-scale hash of the completion (a random model's groups all grade 0, and a group without spread has no
    gradient), so its backward always runs.

Prints one line per check (PASS/FAIL) and the timings, writes `gpu_check.json` to `--out`, exits 1 if any check
failed. Checks are independent: a failure is reported and the others still run.
"""
import argparse, json, math, os, statistics, sys, tempfile, time, traceback, warnings, zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))             # run from a checkout
import torch

from projected_grpo.adapter import load_model, merged, wrap, zeroed
from projected_grpo.problems import load_problems, make_pairs, render_prompt


def model_path(spec: str) -> str:
    "What `load_model` and `Config.model` get: the organism's folder (built once), else the local spec."
    if spec == 'organism':
        from projected_grpo.organism import organism_dir
        return str(organism_dir(verbose=True))
    return spec


class Checks:
    "PASS/FAIL lines, collected; an exception inside a check is a FAIL with its last line, and the rest go on."
    def __init__(self): self.rows = []
    def run(self, name, fn):
        t = time.perf_counter()
        try: ok, note = fn()
        except Exception as e:
            ok, note = False, f'{type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ""}'
            traceback.print_exc()
        self.rows.append(dict(check=name, ok=bool(ok), note=note, s=round(time.perf_counter() - t, 1)))
        print(f"{'PASS' if ok else 'FAIL'}  {name}: {note}  ({self.rows[-1]['s']}s)", flush=True)
        return ok


def batch_of(tok, problems, n, device):
    texts = [render_prompt(p, tokenizer=tok) for p in problems[:n]]
    return tok(texts, return_tensors='pt', padding=True, add_special_tokens=False).to(device)


def identity(spec, a):
    model, tok = load_model(model_path(spec), dtype=getattr(torch, a.dtype), device=a.device)
    ids = batch_of(tok, load_problems(a.problems), 4, a.device)
    with torch.no_grad(): bare = model(**ids).logits.float()
    W = wrap(model)
    with torch.no_grad(): wrapped = model(**ids).logits.float()
    with torch.no_grad():
        for w in W.values(): w.δS.normal_(0, 0.05)
        with zeroed(W): off = model(**ids).logits.float()
    scale = bare.abs().max().item()
    d1, d2 = (wrapped - bare).abs().max().item(), (off - bare).abs().max().item()
    ok = d1 <= a.identity_tol*scale and d2 <= a.identity_tol*scale
    return ok, (f"max|Δlogit| at δS=0 {d1:.3g}, under zeroed() {d2:.3g} (max|logit| {scale:.3g}; "
                f"tolerance {a.identity_tol:g}·max = {a.identity_tol*scale:.3g})")


def merged_generation(spec, a):
    model, tok = load_model(model_path(spec), dtype=getattr(torch, a.dtype), device=a.device)
    W = wrap(model)
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for w in W.values(): w.δS.copy_(0.05*torch.randn(w.δS.shape, generator=g))
    ids = batch_of(tok, load_problems(a.problems), 4, a.device)
    W0 = {n: w.base.weight.detach().clone() for n, w in W.items()}
    with torch.no_grad():
        hooked = model(**ids).logits.float()
        with merged(W): fused = model(**ids).logits.float()
    restored = all(torch.equal(w.base.weight, W0[n]) for n, w in W.items())
    scale = hooked.abs().max().item()
    d = (fused - hooked).abs().max().item()
    tol = a.merge_tol if a.merge_tol is not None else (3*2**-8 if a.dtype == 'bfloat16' else 1e-4)
    gen = dict(max_new_tokens=a.max_new, do_sample=False, pad_token_id=tok.pad_token_id, min_new_tokens=a.max_new)
    sync = torch.cuda.synchronize if a.device.startswith('cuda') else (lambda: None)
    with torch.no_grad():
        sync(); t = time.perf_counter(); out_h = model.generate(**ids, **gen); sync(); t_h = time.perf_counter() - t
        with merged(W):
            sync(); t = time.perf_counter(); out_m = model.generate(**ids, **gen); sync(); t_m = time.perf_counter() - t
    L = ids['input_ids'].shape[1]
    agree = (out_h[:, L:] == out_m[:, L:]).float().mean().item()
    ok = d <= tol*scale and restored
    return ok, (f"max|Δlogit| merged vs hooked {d:.3g} (tolerance {tol:.3g}·max|logit| = {tol*scale:.3g}); weights "
                f"restored exactly: {restored}; greedy tokens agreeing {100*agree:.0f}%; generate {a.max_new} tokens × 4: "
                f"hooked {t_h:.2f}s, merged {t_m:.2f}s")


def our_runs(spec, a, out, timing):
    from projected_grpo.train import make_config, run_dir, train
    res = {}
    for arm in ('none', 'erase'):
        cfg = make_config('fast', arm=arm, seed=41, model=model_path(spec), device=a.device, dtype=a.dtype,
                          threads=0 if a.device.startswith('cuda') else 1, problems=a.problems, steps=a.steps,
                          prompts=a.prompts, G=a.G, max_new=a.max_new, refresh_every=max(1, a.steps//2),
                          eval_every=a.steps, eval_n=2, ckpt_every=a.steps, runs_dir=str(out))
        train(cfg, progress=False)
        d = run_dir(cfg)
        rows = [json.loads(l) for l in (d/'rows.jsonl').read_text().splitlines() if l.strip()]
        step_s = [json.loads(l)['step_s'] for l in (d/'timing.jsonl').read_text().splitlines() if l.strip()]
        res[arm] = rows
        timing[f'ours {arm}'] = statistics.median(step_s[1:] or step_s)
    bad = [f"{arm} step {r['step']}" for arm, rows in res.items() for r in rows
           if r.get('loss') is None or not math.isfinite(r['loss'])]
    leak = [r['cout'] for r in res['erase'] if r.get('cout') is not None]
    measured = [r['cin'] for r in res['none'] if r.get('cin') is not None]
    refreshed = any('basis_overlap' in r for r in res['erase'])
    evald = any('hack_eval' in r for r in res['erase'])
    ok = (len(res['none']) == len(res['erase']) == a.steps and not bad and leak and max(leak) < 1e-6 and measured
          and refreshed and evald)
    return ok, (f"{a.steps} steps per arm; non-finite losses: {bad[:3] or 'none'}; erase cout max "
                f"{max(leak) if leak else float('nan'):.1e} over {len(leak)} projected steps; none measured cin on "
                f"{len(measured)} steps; basis refreshed: {refreshed}; evaluated: {evald}; median s/step "
                f"none {timing['ours none']:.2f}, erase {timing['ours erase']:.2f}")


def tiebreak(completions, **_):
    "A tiny deterministic reward per completion: a random model's groups all grade 0, and TRL has no teacher rows."
    return [(zlib.crc32(c.encode()) % 1000)*1e-6 for c in completions]


def trl_run(spec, a, timing):
    from transformers import PrinterCallback, TrainerCallback
    from trl import GRPOConfig, GRPOTrainer
    from projected_grpo.extract import make_basis
    from projected_grpo.trl import ProjectionCallback, grader_reward, prompt_dataset
    model, tok = load_model(model_path(spec), dtype=getattr(torch, a.dtype), device=a.device)
    W = wrap(model)
    problems = load_problems(a.problems)
    V = make_basis('real', model, W, tok, make_pairs(problems, tokenizer=tok), k=4, seed=41)
    cb = ProjectionCallback(W, V, arm='erase')
    sync = torch.cuda.synchronize if a.device.startswith('cuda') else (lambda: None)

    class Clock(TrainerCallback):
        def __init__(self): self.wall, self.t0 = [], None
        def on_step_begin(self, *x, **kw): sync(); self.t0 = time.perf_counter()
        def on_step_end(self, *x, **kw): sync(); self.wall.append(time.perf_counter() - self.t0)
    clock = Clock()
    cpu = not a.device.startswith('cuda')
    with tempfile.TemporaryDirectory(prefix='gpu_check_trl-') as d:
        args = GRPOConfig(output_dir=d, use_cpu=cpu, bf16=a.dtype == 'bfloat16', fp16=False, gradient_checkpointing=False,
                          per_device_train_batch_size=a.prompts*a.G, num_generations=a.G, max_completion_length=a.max_new,
                          loss_type='dr_grpo', scale_rewards='none', beta=0.0, learning_rate=1e-3, max_steps=a.trl_steps,
                          logging_steps=1, report_to='none', save_strategy='no', disable_tqdm=True, seed=41)
        tr = GRPOTrainer(model=model, processing_class=tok, args=args, reward_funcs=[grader_reward(problems), tiebreak],
                         train_dataset=prompt_dataset(problems, tok), callbacks=[cb, clock])
        tr.remove_callback(PrinterCallback)
        tr.train()
    timing['TRL + callback (erase)'] = statistics.median(clock.wall[1:] or clock.wall)
    ok = len(cb.rows) == a.trl_steps and all(r['cout'] < 1e-6 and r['cout_update'] < 1e-6 for r in cb.rows)
    ratio = timing['ours erase']/timing['TRL + callback (erase)'] if 'ours erase' in timing else float('nan')
    return ok, (f"{len(cb.rows)} steps, cout max {max(r['cout'] for r in cb.rows):.1e}, |drift_V| max "
                f"{max(abs(r['drift_V']) for r in cb.rows):.1e}; median s/step TRL {timing['TRL + callback (erase)']:.2f} "
                f"vs ours erase {timing.get('ours erase', float('nan')):.2f} (ours/TRL {ratio:.2f})")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--device', default='cuda')
    ap.add_argument('--dtype', default='bfloat16', choices=('bfloat16', 'float32', 'float16'))
    ap.add_argument('--models', nargs='+', default=['small', 'organism'], help="'small', 'organism', 'smoke', a saved dir")
    ap.add_argument('--steps', type=int, default=24, help='steps of each of our runs (none, erase)')
    ap.add_argument('--trl-steps', type=int, default=8)
    ap.add_argument('--prompts', type=int, default=8, help="prompts per step (the fast preset's 8)")
    ap.add_argument('--G', type=int, default=8, help="group size (the fast preset's 8)")
    ap.add_argument('--max-new', type=int, default=128, help='completion tokens (the fast preset has 256)')
    ap.add_argument('--problems', default='all', choices=('all', 'tiny', 'easy', 'hard'))
    ap.add_argument('--identity-tol', type=float, default=0.0, help='relative to max|logit|; 0 = bit-identical')
    ap.add_argument('--merge-tol', type=float, default=None, help='relative to max|logit| (default by dtype)')
    ap.add_argument('--no-trl', dest='trl', action='store_false', help='skip the TRL timing')
    ap.add_argument('--out', default=None, help='folder for gpu_check.json and the runs (default: a temporary one)')
    a = ap.parse_args(argv)
    if a.device.startswith('cuda') and not torch.cuda.is_available():
        print('error: --device cuda but torch sees no CUDA device (torch.cuda.is_available() is False); '
              'use --device cpu --dtype float32 to test the script itself', file=sys.stderr)
        return 2
    warnings.filterwarnings('ignore', category=UserWarning); warnings.filterwarnings('ignore', category=FutureWarning)
    if a.device == 'cpu': torch.set_num_threads(1)
    out = Path(a.out or tempfile.mkdtemp(prefix='gpu_check-')); out.mkdir(parents=True, exist_ok=True)
    dev = torch.cuda.get_device_name(0) if a.device.startswith('cuda') else 'cpu'
    print(f"gpu_check: torch {torch.__version__} on {dev}, {a.dtype}; models {a.models}; out {out}", flush=True)
    checks, timing = Checks(), {}
    for spec in a.models:
        timing[spec] = {}
        print(f"\n== {spec}", flush=True)
        checks.run(f'{spec}: identity at δS = 0 ({a.dtype})', lambda: identity(spec, a))
        checks.run(f'{spec}: merged-weight generation', lambda: merged_generation(spec, a))
        checks.run(f"{spec}: our loop, `fast` preset path, none + erase", lambda: our_runs(spec, a, out/spec, timing[spec]))
        if a.trl: checks.run(f'{spec}: TRL GRPOTrainer + ProjectionCallback(erase)', lambda: trl_run(spec, a, timing[spec]))
    n_fail = sum(not r['ok'] for r in checks.rows)
    (out/'gpu_check.json').write_text(json.dumps(dict(device=dev, dtype=a.dtype, args=vars(a), checks=checks.rows,
                                                      timing=timing), indent=1, default=str))
    print(f"\n{len(checks.rows) - n_fail} passed, {n_fail} failed; median seconds per step: "
          + '; '.join(f"{m}: " + ', '.join(f'{k} {v:.2f}' for k, v in t.items()) for m, t in timing.items()))
    print(f"wrote {out/'gpu_check.json'}")
    return 1 if n_fail else 0


if __name__ == '__main__': sys.exit(main())
