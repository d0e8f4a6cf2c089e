"""Seconds per GRPO step: our loop (`none`, `erase`) vs TRL's `GRPOTrainer`, side by side in one run.

    python bench/bench_grpo.py                                    # smoke + small local models, 1 torch thread
    python bench/bench_grpo.py --specs smoke --steps 4 --warmup 1 # quicker
    python bench/bench_grpo.py --specs '{"hidden_size":128,"num_hidden_layers":3}'   # a dict spec (laid over smoke)
    python bench/bench_grpo.py --trl-lora 8                       # also TRL with a rank-8 LoRA (needs `pip install peft`)
    python bench/bench_grpo.py --callback-only                    # only TRL + ProjectionCallback(erase) vs TRL
    python bench/bench_grpo.py --tiny [--beside]                  # the tiny preset's own step and its floor (no TRL)

TRL is an optional extra (`pip install -e .[trl]`; `make setup` installs it with the `dev` extra).

What runs, per model spec, with the same model weights, prompts per step, group size and completion length:
  * ours `none`:  one full iteration of `projected_grpo.train.train`'s loop — merged-weight rollouts, grading,
    loss, ONE backward (per-row knob gradients), overlap diagnostics, measure-only projection, clip, optimizer
    step, drift, one JSONL row. No checkpoint, refresh or eval (none of them run every step);
  * ours `erase`: the same with the real basis (`extract.make_basis('real')` via `train.setup_run`) and
    `project_all(arm='erase')` writing the projected gradient;
  * TRL `GRPOTrainer`: loss_type='dr_grpo', scale_rewards='none', beta=0, bf16 off, use_cpu, one optimizer step =
    one generation batch of prompts × G rows (num_iterations=1, no gradient accumulation), gradient checkpointing
    OFF (TRL turns it on by default; our loop does not checkpoint). It trains every weight (TRL's default and what a
    TRL user runs); `--trl-lora R` adds a second pass against TRL with a rank-R LoRA on the same seven projections.
  * TRL + `projected_grpo.trl.ProjectionCallback(erase)` vs TRL alone, on the same wrapped model (knobs only) in one
    `GRPOTrainer` run: the callback's hooks run on even steps and are skipped on odd ones (`--no-callback` skips
    this row). Target: the callback costs <= 5% of TRL's step.
The arms are interleaved step by step inside TRL's training loop: our two steps run in a callback between two
TRL steps, outside TRL's timed window, alternating their order, so load drift on the shared CPU hits all alike.

Parity, and what differs on purpose:
  * fixed length: EOS is masked until `--max-new` tokens in both (our `sample(min_new=)`, TRL's `generation_kwargs`
    min_new_tokens): every rollout is exactly `--max-new` tokens, both do identical generation work;
  * reward: the same function on both sides — the real grader (`rewards.grade_many`, same cost) plus a tiny
    deterministic tie-break, crc32(completion)·1e-6. A random model never writes a fenced block, so the grader alone
    gives every row reward 0: our step would skip the zero-variance groups (no loss, no backward) while TRL still
    runs its backward. The tie-break gives every group signal on both sides, so both run the full step;
  * no teacher rows (`mix_ratio=0`, G_s = G): TRL has no teacher pool, and generation work must be identical;
  * ours generates one prompt's group per `generate` call (P calls of G rows), TRL one call of P·G rows: each
    implementation's own design, part of what is measured.

`--tiny` times the `tiny` preset's own step instead (the organism, natural completion lengths, beta; none and erase
interleaved; `--beside` runs a second tiny training run beside it), and prints the step's floor: its matmul FLOPs
(KV-cached generation, training forward incl. the reference forward, backward with the knob's projections) at
this machine's `torch.mm` speed timed at those shapes in the same run, and step time / floor.

Printed: per-step wall-clock medians with IQR, process CPU seconds (grading runs in sandbox worker processes,
outside both), the ratios with their targets (ours/TRL <= 0.7, erase/none <= 1.03 as the median of per-round ratios), the per-phase medians of our
step (generation, grading, forward, backward, projection, optimizer, ...) next to TRL's (generation, reward, rest),
the load average during the run, `train()`'s own timing as a check that the replica here times the real loop, and,
when ours misses its target, a probe of our generation (one `sample` per prompt vs one batched call).
"""
import argparse, json, os, platform, random, statistics, sys, tempfile, time, warnings, zlib
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))             # run from a checkout
import torch
import transformers

import projected_grpo.grpo as grpo_mod
import projected_grpo.train as train_mod
import projected_grpo.project as proj
from projected_grpo.rewards import grade_many
from projected_grpo.adapter import knob_groups, merged, load_model
from projected_grpo.problems import render_prompt
from projected_grpo.grpo import grpo_step, sample, micro_batches
from projected_grpo.project import project_all, cin_rows, drift
from projected_grpo.train import make_config, setup_run, step_seed, step_cfg, rates, schedule

TARGETS = ('q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj')


# ---------------------------------------------------------------- the shared reward and fixed-length generation
def tiebreak(completion: str) -> float: return (zlib.crc32(completion.encode()) % 1000) * 1e-6

def graded(jobs, **kw):
    "The real grader, then the deterministic tie-break added to each reward (the same function on both sides)."
    out = grade_many(jobs, **kw)
    for (_, c, _), g in zip(jobs, out): g['reward'] = float(g['reward']) + tiebreak(c)
    return out

def fixed_length(model, n: int):
    "Every `generate` on `model` emits exactly `n` tokens (EOS masked before n; max_new_tokens = n stops it)."
    model.generation_config.min_new_tokens = n
    return model


# ---------------------------------------------------------------- timing helpers
class Clock:
    "Wall seconds per named phase of one step."
    def __init__(self): self.t = {}
    def add(self, k, dt): self.t[k] = self.t.get(k, 0.) + dt
    def wrap(self, k, fn):
        def f(*a, **kw):
            t = time.perf_counter()
            try: return fn(*a, **kw)
            finally: self.add(k, time.perf_counter() - t)
        return f

@contextmanager
def phases(clock: Clock, min_new: int = 0):
    "Time grpo_step's pieces by swapping the names it looks up in its module (all restored on exit); `min_new` > 0 fixes the length."
    saved = {k: getattr(grpo_mod, k) for k in ('sample', 'grade_many', 'token_logps')}
    bwd = torch.Tensor.backward
    grpo_mod.sample = clock.wrap('generation', lambda *x, **k: saved['sample'](*x, **k, min_new=min_new))
    grpo_mod.grade_many = clock.wrap('grading', graded)
    grpo_mod.token_logps = clock.wrap('forward', saved['token_logps'])
    torch.Tensor.backward = clock.wrap('backward', bwd)
    try: yield clock
    finally:
        for k, v in saved.items(): setattr(grpo_mod, k, v)
        torch.Tensor.backward = bwd

def q(xs, p):
    xs = sorted(xs); i = (len(xs) - 1) * p; lo = int(i)
    return xs[lo] + (xs[min(lo + 1, len(xs) - 1)] - xs[lo]) * (i - lo)

def med_iqr(xs): return statistics.median(xs), q(xs, .75) - q(xs, .25)

def fmt_load(l): return '/'.join(f'{x:.2f}' for x in l)


# ---------------------------------------------------------------- the floor: the step's matmul FLOPs at measured mm speed
def matmuls(c, shape, beta: bool, micro: int = 64, micro_tokens: int = 0) -> dict:
    """The step's matmuls `(M, K, N) → count`, by phase, for a Qwen3 config `c` and one step's `shape` (per-row prompt
    and completion lengths, the rows kept for the loss). Generation with a KV cache: a prefill over the left-padded
    prompts, then one token per still-running row per step (attention over the cache). Training, per micro-batch of the
    kept rows as `grpo_step` lays them out (`micro`, `micro_tokens`), each padded to its longest row: forward, the
    reference forward when beta > 0, and backward = dx for every linear plus the knob's two rank-r projections (Vh x,
    Uᵀ dy), 2× the attention matmuls, and the head's dx at completion tokens."""
    d, H, KV, hd, I, nl, voc = (c.hidden_size, c.num_attention_heads, c.num_key_value_heads, c.head_dim,
                                c.intermediate_size, c.num_hidden_layers, c.vocab_size)
    lin = [(d, H*hd), (d, KV*hd), (d, KV*hd), (H*hd, d), (d, I), (d, I), (I, d)]       # (d_in, d_out) per layer
    out = {'generation': {}, 'training': {}}
    def add(ph, M, K, N, n=1):
        if M and n: out[ph][(M, K, N)] = out[ph].get((M, K, N), 0) + n
    R, L = len(shape['prompt']), max(shape['prompt'])
    for K_, N_ in lin: add('generation', R*L, K_, N_, nl)                        # prefill
    add('generation', R*H*L, hd, L, nl); add('generation', R*H*L, L, hd, nl)      # its attention (as one mm of equal FLOPs)
    add('generation', R, d, voc)
    for t in range(max(shape['comp'], default=0) - 1):                           # decode: rows still running at step t
        a = sum(n > t + 1 for n in shape['comp'])
        for K_, N_ in lin: add('generation', a, K_, N_, nl)
        add('generation', a*H, hd, L + t + 1, nl); add('generation', a*H, L + t + 1, hd, nl); add('generation', a, d, voc)
    kept = shape['kept']
    lens = [shape['prompt'][i] + shape['comp'][i] for i in kept]
    for part in (micro_batches(lens, micro, micro_tokens) if kept else []):
        T = max(lens[j] for j in part); B = len(part); C = sum(shape['comp'][kept[j]] for j in part)
        for f in range(2 if beta else 1):                                        # forward (+ the reference forward)
            for K_, N_ in lin: add('training', B*T, K_, N_, nl)
            add('training', B*H*T, hd, T, nl); add('training', B*H*T, T, hd, nl); add('training', C, d, voc)
        for K_, N_ in lin:                                                       # backward
            r = min(K_, N_)
            add('training', B*T, N_, K_, nl); add('training', B*T, K_, r, nl); add('training', B*T, N_, r, nl)
        add('training', B*H*T, hd, T, 2*nl); add('training', B*H*T, T, hd, 2*nl); add('training', C, voc, d)
    return out

def mm_seconds(shapes: set, reps: int = 5) -> dict:
    "Median seconds of one float32 `torch.mm` at each `(M, K, N)`, timed here and now (the micro-benchmark)."
    out = {}
    for M, K, N in shapes:
        a, b = torch.randn(M, K), torch.randn(K, N)
        a @ b; ts = []
        for _ in range(reps):
            t = time.perf_counter(); a @ b; ts.append(time.perf_counter() - t)
        out[(M, K, N)] = statistics.median(ts)
    return out

def floor_of(c, shapes: list, beta: bool, micro: int = 64, micro_tokens: int = 0) -> dict:
    """Per phase: the matmul GFLOP of a median step and the floor — those matmuls' measured `torch.mm` seconds summed
    (decode's per-row-count shapes timed at their real sizes). Nothing else (attention softmax, norms, the grader) counts."""
    per = [matmuls(c, s, beta, micro, micro_tokens) for s in shapes]
    allshapes = {k for p in per for ph in p.values() for k in ph}
    sec = mm_seconds(allshapes)
    res = {}
    for ph in ('generation', 'training'):
        fl = [sum(2*M*K*N*n for (M, K, N), n in p[ph].items()) for p in per]
        fs = [sum(sec[k]*n for k, n in p[ph].items()) for p in per]
        res[ph] = dict(gflop=statistics.median(fl)/1e9, floor=statistics.median(fs))
    res['step'] = dict(gflop=res['generation']['gflop'] + res['training']['gflop'],
                       floor=statistics.median([sum(sec[k]*n for ph in p.values() for k, n in ph.items()) for p in per]))
    return res


# ---------------------------------------------------------------- our side: the body of train.train's loop
def our_run(cfg, min_new: int | None = None):
    "Everything `train()` builds before its loop, for `cfg`: model, knobs, basis, optimizer, schedule (fixed length by default)."
    torch.manual_seed(cfg.seed); random.seed(cfg.seed)
    model, tok, W, problems, pool, pairs, kind, V = setup_run(cfg)
    min_new = cfg.max_new if min_new is None else min_new
    if min_new: fixed_length(model, min_new)
    params = [p for g in knob_groups(W, cfg.weight_decay) for p in g['params']]
    opt = torch.optim.AdamW(knob_groups(W, cfg.weight_decay), lr=cfg.lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, schedule(cfg))
    scfg = step_cfg(cfg)
    log = tempfile.TemporaryFile('w')
    return dict(cfg=cfg, model=model, tok=tok, W=W, problems=problems, by_id={p.id: p for p in problems}, pool=pool,
                V=V, params=params, opt=opt, sched=sched, scfg=scfg, log=log, wall=[], cpu=[], parts=[], n_kept=[],
                shapes=[], min_new=min_new, memo={})

def our_step(run, step):
    "One iteration of train()'s loop (in its order), timed whole and by phase."
    cfg, W, V, opt = run['cfg'], run['W'], run['V'], run['opt']
    measure_only = cfg.arm == 'none'
    clock = Clock()
    t0, c0 = time.perf_counter(), time.process_time()
    with phases(clock, run['min_new']):
        s = step_seed(cfg, step)
        batch = random.Random(s).sample(run['problems'], min(cfg.prompts, len(run['problems'])))
        opt.zero_grad(set_to_none=True)
        r = grpo_step(run['model'], W, run['tok'], batch, run['pool'], run['scfg'], s, run['memo'])   # the loop's grader memo
    t1 = time.perf_counter(); clock.add('rest of grpo_step', t1 - t0 - sum(clock.t.values()))
    row = dict(step=step, reward=r['reward'], loss=r['loss'], n_kept=r['n_kept'], lr=run['sched'].get_last_lr()[0])
    row.update(rates(r['recs'], run['by_id'], 'student')); row.update(rates(r['recs'], run['by_id'], 'teacher'))
    if r['kept'] and V:
        row['cin_s'] = cin_rows({n: g[None] for n, g in r['g_s'].items()}, V)[0].item()
        for i, ov in zip(r['kept'], cin_rows(r['rows'], V, reduce='global').tolist()): r['recs'][i]['overlap'] = ov
    t2 = time.perf_counter(); clock.add('overlap diagnostics', t2 - t1)
    if r['kept']:
        pr = project_all(W, V, 'none' if measure_only else 'erase', cfg.gate_mode, cfg.preserve_magnitude, cfg.overshoot)
        row.update(cin=pr.get('cin'), cout=pr.get('cout'), cin_global=pr.get('cin_global'), fired=pr.get('fired'))
        t3 = time.perf_counter(); clock.add('projection', t3 - t2); t2 = t3
        row['gn'] = torch.nn.utils.clip_grad_norm_([p for p in run['params'] if p.grad is not None], cfg.clip).item()
        up = proj.project_update(W, V, opt, cfg.gate_mode, apply=cfg.project_update and not measure_only,
                                 purge=cfg.purge_moments and not measure_only)
        row.update(cout_update=up.get('cout_update'), cin_update=up.get('cin_update'))
        t3 = time.perf_counter(); clock.add('clip+optimizer', t3 - t2); t2 = t3
    run['sched'].step()
    d = drift(W, V)
    row.update(drift_V=d.get('along_V'), dS_norm=d.get('δS_norm'), dSh=d.get('δS_hack_norm'))
    run['log'].write(json.dumps(row, default=str, sort_keys=True) + '\n')
    for rec in r['recs']: run['log'].write(json.dumps(dict(step=step, **rec), default=str, sort_keys=True) + '\n')
    run['log'].flush()
    clock.add('drift+log', time.perf_counter() - t2)
    run['wall'].append(time.perf_counter() - t0); run['cpu'].append(time.process_time() - c0)
    run['parts'].append(clock.t); run['n_kept'].append(r['n_kept'])
    tok = run['tok']
    run['shapes'].append(dict(prompt=[len(tok(render_prompt(p, tokenizer=tok), add_special_tokens=False)['input_ids'])
                                      for p in batch for _ in range(cfg.G)],
                              comp=[x['n_tok'] for x in r['recs']], kept=r['kept']))


# ---------------------------------------------------------------- TRL's side
def trl_trainer(spec, cfg, problems, callback, outdir, lora: int = 0, model_tok=None, steps=None):
    "GRPOTrainer on a fresh copy of the same local model (or on `model_tok`), with the same prompts and the same reward."
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer
    model, tok = model_tok or load_model(spec, dtype=torch.float32)
    fixed_length(model, cfg.max_new)
    by_id = {p.id: p for p in problems}
    ds = Dataset.from_list([dict(prompt=render_prompt(p, tokenizer=tok), problem_id=p.id) for p in problems])
    clock = callback.trl_clock

    def reward(prompts, completions, problem_id, **_):
        t = time.perf_counter()
        out = [g['reward'] for g in graded([(by_id[i], c, None) for i, c in zip(problem_id, completions)])]
        clock.add('grading', time.perf_counter() - t)
        return out
    model.generate = clock.wrap('generation', model.generate)          # the model TRL (or PEFT) generates with
    peft = None
    if lora:
        from peft import LoraConfig
        peft = LoraConfig(r=lora, lora_alpha=2*lora, lora_dropout=0.0, target_modules=list(TARGETS), task_type='CAUSAL_LM')
    args = GRPOConfig(output_dir=str(outdir), use_cpu=True, bf16=False, fp16=False, gradient_checkpointing=False,
                      loss_type='dr_grpo', scale_rewards='none', beta=0.0, epsilon=cfg.eps,
                      num_generations=cfg.G, per_device_train_batch_size=cfg.prompts * cfg.G,
                      gradient_accumulation_steps=1, steps_per_generation=1, num_iterations=1,
                      max_completion_length=cfg.max_new, generation_kwargs=dict(min_new_tokens=cfg.max_new),
                      temperature=cfg.temperature, top_k=0, top_p=1.0, max_grad_norm=cfg.clip,
                      learning_rate=1e-5, max_steps=steps or callback.total, seed=cfg.seed, report_to='none',
                      save_strategy='no', disable_tqdm=True, dataloader_num_workers=0, log_completions=False)
    tr = GRPOTrainer(model=model, reward_funcs=reward, args=args, train_dataset=ds, processing_class=tok,
                     callbacks=[callback], peft_config=peft)
    if getattr(tr.model, 'is_gradient_checkpointing', False): raise RuntimeError("TRL's model checkpoints activations")
    return tr

def make_callback(runs, total, threads):
    from transformers import TrainerCallback

    class Interleave(TrainerCallback):
        "Between two TRL steps: one step of each of our arms (order alternating), then TRL's clock restarts."
        def __init__(self):
            self.total, self.trl_clock, self.t0 = total, Clock(), None
            self.wall, self.cpu, self.parts, self.loads, self.threads = [], [], [], [], []
        def _close_trl(self):
            if self.t0 is None: return
            self.wall.append(time.perf_counter() - self.t0); self.cpu.append(time.process_time() - self.c0)
            self.parts.append(self.trl_clock.t); self.trl_clock.t = {}; self.t0 = None
        def on_step_begin(self, args, state, control, **kw):
            self._close_trl()                                           # TRL's previous step, its logging included
            torch.set_num_threads(threads)                              # the same thread count for every arm
            for run in (runs if state.global_step % 2 == 0 else runs[::-1]): our_step(run, state.global_step)
            self.loads.append(os.getloadavg()[0]); self.threads.append(torch.get_num_threads())
            self.t0, self.c0 = time.perf_counter(), time.process_time()
        def on_step_end(self, args, state, control, **kw):
            if state.global_step == self.total: self._close_trl()       # the last step has no next begin
    return Interleave()


# ---------------------------------------------------------------- one model spec × one TRL variant
def config_kw(spec, a):
    return dict(model=spec if isinstance(spec, str) else 'smoke', problems='tiny', prompts=a.prompts, G=a.G,
                mix_ratio=0.0, max_new=a.max_new, k=a.k, steps=a.warmup + a.steps, refresh_every=0, eval_every=0,
                ckpt_every=10**9, threads=a.threads, seed=a.seed)

@contextmanager
def spec_loader(spec):
    "setup_run loads `cfg.model` (a string): hand it a dict spec instead, when there is one."
    orig = train_mod.load_model
    if not isinstance(spec, str): train_mod.load_model = lambda _s, **k: orig(spec, **k)
    try: yield
    finally: train_mod.load_model = orig

def bench_spec(spec, name, a, lora=0):
    total, W = a.warmup + a.steps, a.warmup
    with spec_loader(spec):
        none, erase = (our_run(make_config('smoke', arm=arm, **config_kw(spec, a))) for arm in ('none', 'erase'))
    cfg = none['cfg']
    trl_name = f'TRL GRPOTrainer LoRA r={lora}' if lora else 'TRL GRPOTrainer (all weights)'
    print(f"\n== model {name}: {sum(p.numel() for p in none['model'].parameters())/1e6:.2f}M weights, "
          f"{len(none['W'])} wrapped linears, {sum(p.numel() for p in none['params'])//2} δS knobs, basis on "
          f"{len(none['V'])} modules (k={cfg.k}); vs {trl_name}; prompts/step={cfg.prompts} G={cfg.G} "
          f"completion={cfg.max_new} tokens (fixed) → {cfg.prompts*cfg.G} rollouts/step; "
          f"{a.warmup} warm-up + {a.steps} timed steps per arm", flush=True)
    cb = make_callback([none, erase], total, a.threads)
    load0 = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix='bench_grpo_trl-') as d:
        tr = trl_trainer(spec, cfg, none['problems'], cb, d, lora)
        torch.set_num_threads(a.threads)
        tr.train()
    load1 = os.getloadavg()
    for run in (none, erase): run['log'].close()
    assert len(cb.wall) == len(none['wall']) == len(erase['wall']) == total, (len(cb.wall), len(none['wall']), total)

    arms = {trl_name: (cb.wall, cb.cpu), 'ours none': (none['wall'], none['cpu']), 'ours erase': (erase['wall'], erase['cpu'])}
    print(f"{'per optimizer step (s)':32s} {'wall median':>11s} {'IQR':>7s} {'CPU median':>10s}   ({a.steps} timed steps)")
    m, c = {}, {}
    for k, (w, cp) in arms.items():
        m[k], iqr = med_iqr(w[W:]); c[k] = statistics.median(cp[W:])
        print(f"{k:32s} {m[k]:11.3f} {iqr:7.3f} {c[k]:10.3f}")
    trl, ours, er = m[trl_name], m['ours none'], m['ours erase']
    r1, r2 = ours/trl, er/ours
    p1 = statistics.median(o/t for o, t in zip(none['wall'][W:], cb.wall[W:]))       # same round, same load
    p2 = statistics.median(e/o for e, o in zip(erase['wall'][W:], none['wall'][W:]))
    print(f"ratio ours(none)/TRL = {r1:.3f}  target <= 0.7: {'MET' if r1 <= 0.7 else 'NOT MET'}  "
          f"(median of per-round ratios {p1:.3f}; in CPU seconds {c['ours none']/c[trl_name]:.3f})")
    print(f"ratio erase/none     = {r2:.3f}  target (per-round median) <= 1.03: {'MET' if p2 <= 1.03 else 'NOT MET'}  "
          f"(median of per-round ratios {p2:.3f}; in CPU seconds {c['ours erase']/c['ours none']:.3f})")
    print(f"rows in our loss per step: {sorted(set(none['n_kept'][W:] + erase['n_kept'][W:]))} of "
          f"{cfg.prompts*cfg.G} (TRL's loss covers all rows); torch threads during the steps: {sorted(set(cb.threads))}")
    print(f"load average (1/5/15 min): before {fmt_load(load0)}, after {fmt_load(load1)}; "
          f"1-min load sampled each round: median {statistics.median(cb.loads):.2f}, max {max(cb.loads):.2f}")

    def breakdown(label, parts, wall):
        keys = list(dict.fromkeys(k for p in parts[W:] for k in p))
        tot = statistics.median(wall[W:])
        cells = [(k, statistics.median(p.get(k, 0.) for p in parts[W:])) for k in keys]
        print(f"  {label:12s} " + ', '.join(f"{k} {v:.3f} ({100*v/tot:.0f}%)" for k, v in cells))
    print("per-phase medians (s, % of the median step):")
    breakdown('ours none', none['parts'], none['wall'])
    breakdown('ours erase', erase['parts'], erase['wall'])
    tparts = [dict(p, **{'rest (tokenise, logp fwd, bwd, clip, AdamW, log)':
                         w - p.get('generation', 0.) - p.get('grading', 0.)}) for p, w in zip(cb.parts, cb.wall)]
    breakdown('TRL', [{}] * W + tparts[W:], cb.wall)
    # How low ours/TRL can go here: our step cannot beat its own matmuls (torch.mm timed now at the step's shapes) plus
    # the grading both sides do alike (the same grader on the same number of completions).
    fl = floor_of(none['model'].config, none['shapes'][W:], bool(cfg.beta), cfg.micro, cfg.micro_tokens)
    grade = statistics.median(p.get('grading', 0.) for p in none['parts'][W:])
    lo = fl['step']['floor'] + grade
    print(f"floor of ours none: matmuls {fl['step']['floor']:.3f} s (generation {fl['generation']['floor']:.3f}, training "
          f"{fl['training']['floor']:.3f}; step/floor {ours/fl['step']['floor']:.1f}) + grading {grade:.3f} s = {lo:.3f} s: "
          f"against this TRL step ours/TRL cannot go below {lo/trl:.3f}; ≤ 0.7 asks ours ≤ {0.7*trl:.3f} s, "
          f"{(0.7*trl - grade)/fl['step']['floor']:.2f}× its matmul floor once graded")
    out = dict(model=name, trl_name=trl_name, trl=trl, none=ours, erase=er, ours_over_trl=r1, erase_over_none=r2,
               erase_over_none_rounds=p2, floor_over_trl=lo/trl)
    if r1 > 0.7 or a.explain: generation_probe(none)
    if a.train_check and not lora: out['train'] = train_check(spec, a)
    return out

def bench_callback(spec, name, a):
    """TRL + `ProjectionCallback(erase)` against TRL alone, on the same wrapped model in the same run: the callback's
    hooks run on even steps and are skipped on odd ones, so both arms share the adapter, the optimizer and the load."""
    from transformers import TrainerCallback
    from projected_grpo.adapter import wrap
    from projected_grpo.extract import make_basis
    from projected_grpo.problems import load_problems, make_pairs
    from projected_grpo.trl import ProjectionCallback
    cfg = make_config('smoke', arm='erase', **config_kw(spec, a))
    problems = load_problems(cfg.problems)
    model, tok = load_model(spec, dtype=torch.float32)
    W = wrap(model)
    V = make_basis('real', model, W, tok, make_pairs(problems, tokenizer=tok), k=cfg.k, seed=cfg.seed)
    proj_cb = ProjectionCallback(W, V, arm='erase')
    total = 2*(a.warmup + a.steps)

    class Alternate(TrainerCallback):
        """The projection callback's hooks run on one step of each pair and are skipped on the other, in the order
        on/off, off/on, on/off, … (ABBA: anything that alternates with period 2, e.g. the grader's worker pool, hits
        both alike). Each step timed whole, its grading apart."""
        def __init__(self):
            self.total, self.trl_clock, self.on, self.t0 = total, Clock(), False, None
            self.wall, self.grading, self.hooks = {True: [], False: []}, {True: [], False: []}, []
        def on_train_begin(self, *x, **kw): proj_cb.on_train_begin(*x, **kw)
        def on_step_begin(self, args, state, control, **kw):
            torch.set_num_threads(a.threads)
            s = state.global_step
            self.on, self.hook = (s % 2 == 0) != ((s//2) % 2 == 1), 0.
            self.t0 = time.perf_counter()
        def _hook(self, fn, *x, **kw):
            if not self.on: return
            t = time.perf_counter(); fn(*x, **kw); self.hook += time.perf_counter() - t
        def on_pre_optimizer_step(self, *x, **kw): self._hook(proj_cb.on_pre_optimizer_step, *x, **kw)
        def on_log(self, *x, **kw): proj_cb.on_log(*x, **kw)
        def on_optimizer_step(self, *x, **kw): self._hook(proj_cb.on_optimizer_step, *x, **kw)
        def on_step_end(self, args, state, control, **kw):
            self.wall[self.on].append(time.perf_counter() - self.t0)
            self.grading[self.on].append(self.trl_clock.t.get('grading', 0.)); self.trl_clock.t = {}
            if self.on: self.hooks.append(self.hook)
    cb = Alternate()
    print(f"\n== model {name}: TRL + ProjectionCallback(erase) vs TRL alone, the same wrapped model ({len(W)} wrapped "
          f"linears, basis on {len(V)} modules, k={cfg.k}), callback on even steps only; prompts/step={cfg.prompts} "
          f"G={cfg.G} completion={cfg.max_new} tokens (fixed); {a.warmup} warm-up + {a.steps} timed steps per arm", flush=True)
    with tempfile.TemporaryDirectory(prefix='bench_grpo_cb-') as d:
        tr = trl_trainer(spec, cfg, problems, cb, d, model_tok=(fixed_length(model, cfg.max_new), tok), steps=total)
        torch.set_num_threads(a.threads)
        tr.train()
    on, off = cb.wall[True][a.warmup:], cb.wall[False][a.warmup:]
    assert len(on) == len(off) == a.steps and len(proj_cb.rows) == a.warmup + a.steps, (len(on), len(off), len(proj_cb.rows))
    (m_on, i_on), (m_off, i_off) = med_iqr(on), med_iqr(off)
    g_on, g_off = (statistics.median(cb.grading[k][a.warmup:]) for k in (True, False))
    hook = statistics.median(cb.hooks[a.warmup:])
    ratio = m_on/m_off
    print(f"{'per optimizer step (s)':32s} {'wall median':>11s} {'IQR':>7s} {'of it grading':>13s}   ({a.steps} timed steps each)")
    print(f"{'TRL + callback (erase)':32s} {m_on:11.3f} {i_on:7.3f} {g_on:13.3f}")
    print(f"{'TRL, same adapter':32s} {m_off:11.3f} {i_off:7.3f} {g_off:13.3f}")
    print(f"ratio TRL+callback / TRL = {ratio:.3f}  target <= 1.05: {'MET' if ratio <= 1.05 else 'NOT MET'}; the callback's "
          f"own hooks: median {1e3*hook:.2f} ms/step = {100*hook/m_off:.2f}% of TRL's step "
          f"(cout max {max(r['cout'] for r in proj_cb.rows):.1e} on the projected steps)")
    return dict(model=name, trl_name='TRL + ProjectionCallback', cb=m_on, bare=m_off, cb_over_trl=ratio, hook=hook)

def generation_probe(run, reps=3):
    "Our rollout generation as the loop runs it (`sample`: one left-padded call for all prompts) vs one call per prompt."
    cfg, tok, model, W = run['cfg'], run['tok'], run['model'], run['W']
    batch = random.Random(0).sample(run['problems'], min(cfg.prompts, len(run['problems'])))
    pids = [tok(render_prompt(p, tokenizer=tok), add_special_tokens=False)['input_ids'] for p in batch]
    L = max(map(len, pids))
    def per_prompt():
        for j, pid in enumerate(pids): sample(model, W, tok, [pid], cfg.G, cfg.max_new, cfg.temperature, j, min_new=run['min_new'])
    def loop():
        sample(model, W, tok, pids, cfg.G, cfg.max_new, cfg.temperature, 0, min_new=run['min_new'])
    def batched():                                                    # left-padded [P·G, L] in one generate call
        ids = torch.tensor([[tok.pad_token_id]*(L - len(p)) + p for p in pids for _ in range(cfg.G)])
        attn = (ids != tok.pad_token_id).long()
        with torch.no_grad(), merged(W):
            model.generate(input_ids=ids, attention_mask=attn, do_sample=True, top_k=0, top_p=1.0,
                           max_new_tokens=cfg.max_new, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    def merge_only():
        with merged(W): pass
    res = {}
    for k, fn in (('sample() as the loop calls it', loop), ('one sample() call per prompt', per_prompt),
                  ('bare generate of P·G rows', batched),
                  ('merged() enter+exit alone', merge_only)):
        fn(); ts = []
        for _ in range(reps):
            t = time.perf_counter(); fn(); ts.append(time.perf_counter() - t)
        res[k] = statistics.median(ts)
    print(f"probe, our generation for one step's {cfg.prompts}×{cfg.G} rollouts (wall median of {reps}, s): " +
          ', '.join(f"{k} {v:.3f}" for k, v in res.items()))

def train_check(spec, a):
    "The real loop: `train()` on the same config (arm none); wall from its timing.jsonl, CPU between its grpo_step calls."
    kw = config_kw(spec, a)
    orig_load, orig_step = train_mod.load_model, train_mod.grpo_step
    cpu = []
    def loader(*x, **k):
        model, tok = orig_load(spec if not isinstance(spec, str) else x[0], **k)
        return fixed_length(model, kw['max_new']), tok
    def stepper(*x, **k):
        cpu.append(time.process_time()); return orig_step(*x, **k)
    orig_sample = grpo_mod.sample
    grpo_mod.sample = lambda *x, **k: orig_sample(*x, **k, min_new=kw['max_new'])
    train_mod.load_model, train_mod.grpo_step, grpo_mod.grade_many = loader, stepper, graded
    try:
        with tempfile.TemporaryDirectory(prefix='bench_grpo_train-') as d:
            cfg = make_config('smoke', arm='none', runs_dir=d, **kw)
            train_mod.train(cfg, progress=False)
            cpu.append(time.process_time())                             # ~ the end of the last step (+ summary)
            rows = [json.loads(l) for l in (train_mod.run_dir(cfg)/'timing.jsonl').read_text().splitlines()]
    finally:
        train_mod.load_model, train_mod.grpo_step, grpo_mod.grade_many = orig_load, orig_step, grade_many
        grpo_mod.sample = orig_sample
    wall = [r['step_s'] for r in rows][a.warmup:]
    cpus = [b - e for e, b in zip(cpu, cpu[1:])][a.warmup:]
    m, iqr = med_iqr(wall)
    print(f"check, train() itself (arm none, same config, run after the interleaved steps, not interleaved): "
          f"wall median {m:.3f} (IQR {iqr:.3f}), CPU median {statistics.median(cpus):.3f} over {len(wall)} steps; "
          f"load now {fmt_load(os.getloadavg())}")
    return m


def bench_tiny(a):
    """The `tiny` preset as it runs (the organism, its prompts/G/max_new, natural completion lengths, beta, no TRL):
    ours none and erase interleaved, optionally with a second `tiny` training run beside it (`--beside`); the floor
    per phase; one final evaluation timed; the wall clock of a `tiny` run and of the main job (`make reproduce`) from those."""
    import subprocess
    tmp = Path(tempfile.mkdtemp(prefix='bench_grpo_tiny-'))
    beside = None
    if a.beside:
        beside = subprocess.Popen([sys.executable, '-m', 'projected_grpo.train', '--preset', 'tiny', '--arm', 'none',
                                   '--seed', '97', '--runs_dir', str(tmp/'beside'), '--quiet'],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        kw = dict(seed=a.seed, runs_dir=str(tmp), threads=a.threads, steps=10**6, eval_every=0, ckpt_every=10**9, **a.set)
        none, erase = (our_run(make_config('tiny', arm=arm, **kw), min_new=0) for arm in ('none', 'erase'))
        vs = our_run(make_config('tiny', arm='none', **{**kw, **a.vs}), min_new=0) if a.vs else None
        runs = [('ours none', none), ('ours erase', erase)] + ([('none + ' + ' '.join(f'{k}={v}' for k, v in a.vs.items()), vs)] if vs else [])
        if beside:                                                       # wait until the run beside is stepping
            t = time.time()
            while not (tmp/'beside'/'tiny'/'none'/'s97'/'timing.jsonl').exists() and time.time() - t < 600:
                if beside.poll() is not None: raise RuntimeError("the run beside stopped")
                time.sleep(1)
        cfg = none['cfg']
        print(f"\n== tiny preset: the organism ({sum(p.numel() for p in none['model'].parameters())/1e6:.2f}M weights), "
              f"prompts/step={cfg.prompts} G={cfg.G} max_new={cfg.max_new} (natural lengths) beta={cfg.beta}"
              f"{' (--set ' + ' '.join(f'{k}={v}' for k, v in a.set.items()) + ')' if a.set else ''}; "
              f"{'a second tiny run beside it' if beside else 'alone'}; {a.warmup} warm-up + {a.steps} timed rounds", flush=True)
        load0 = os.getloadavg()
        for i in range(a.warmup + a.steps):
            torch.set_num_threads(a.threads)
            order = [r for _, r in runs]
            for run in order[i % len(order):] + order[:i % len(order)]: our_step(run, i)   # each first in turn
        W_ = a.warmup
        m_none, m_er = statistics.median(none['wall'][W_:]), statistics.median(erase['wall'][W_:])
        print(f"{'per step (s)':14s} {'wall median':>11s} {'IQR':>7s} {'CPU median':>10s}")
        for k, run in runs:
            m, iqr = med_iqr(run['wall'][W_:])
            print(f"{k:14s} {m:11.3f} {iqr:7.3f} {statistics.median(run['cpu'][W_:]):10.3f}")
        p2 = statistics.median(e/o for e, o in zip(erase['wall'][W_:], none['wall'][W_:]))
        print(f"tiny step (none) = {m_none:.3f} s  target <= 0.6 {'with a run beside' if beside else 'alone (target is with a run beside)'}: "
              f"{'MET' if m_none <= 0.6 else 'NOT MET'}; erase/none {m_er/m_none:.3f} (median of per-round ratios {p2:.3f})")
        if vs:
            p3 = statistics.median(v/o for v, o in zip(vs['wall'][W_:], none['wall'][W_:]))
            print(f"{runs[2][0]} / none: {statistics.median(vs['wall'][W_:])/m_none:.3f} (median of per-round ratios {p3:.3f}; "
                  f"the same seed, so the same prompts; the sampled completions part ways after the first update)")
        for k, run in runs:
            keys = list(dict.fromkeys(x for p in run['parts'][W_:] for x in p))
            print(f"  {k:10s} " + ', '.join(f"{x} {statistics.median(p.get(x, 0.) for p in run['parts'][W_:]):.3f}" for x in keys))
        for k, run in runs[::2]:
            c_ = run['cfg']
            fl = floor_of(run['model'].config, run['shapes'][W_:], bool(c_.beta), c_.micro, c_.micro_tokens)
            gen = statistics.median(p.get('generation', 0.) for p in run['parts'][W_:])
            trn = statistics.median(p.get('forward', 0.) + p.get('backward', 0.) for p in run['parts'][W_:])
            print(f"floor of {k} (matmul FLOPs at this machine's torch.mm speed, timed now): generation "
                  f"{fl['generation']['gflop']:.2f} GFLOP → {fl['generation']['floor']:.3f} s (ours {gen:.3f}, "
                  f"×{gen/fl['generation']['floor']:.1f}); training fwd+bwd {fl['training']['gflop']:.2f} GFLOP → "
                  f"{fl['training']['floor']:.3f} s (ours {trn:.3f}, ×{trn/fl['training']['floor']:.1f}); whole step floor "
                  f"{fl['step']['floor']:.3f} s → step/floor {statistics.median(run['wall'][W_:])/fl['step']['floor']:.1f} "
                  f"(the rest: grading in the sandbox, norms, softmax, Python)")
        from projected_grpo.train import evaluate
        t = time.perf_counter()
        evaluate(none['model'], none['W'], none['tok'], none['problems'], make_config('tiny', **kw), 0)
        ev = time.perf_counter() - t
        preset = make_config('tiny', **a.set)
        n_eval = sum(1 for st in range(preset.steps) if (preset.eval_every and (st + 1) % preset.eval_every == 0) or st + 1 == preset.steps)
        run_s = preset.steps * m_none + n_eval * ev
        print(f"one final evaluation ({len(none['problems'])} problems × {preset.eval_n}): {ev:.1f} s; a tiny run ≈ "
              f"{preset.steps} × {m_none:.3f} + {n_eval} × {ev:.1f} = {run_s/60:.1f} min; the main job (`make reproduce`: "
              f"18 runs, 4 arms × 3 seeds + 6 held-out folds, evaluated at the end only, 2 side by side) ≈ "
              f"{18*(preset.steps*m_none + ev)/2/60:.0f} min + the organism build "
              f"(step cost measured {'with' if beside else 'without'} a run beside)")
        print(f"load average: before {fmt_load(load0)}, after {fmt_load(os.getloadavg())}")
        for _, run in runs: run['log'].close()
    finally:
        if beside: beside.kill(); beside.wait()
        import shutil; shutil.rmtree(tmp, ignore_errors=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--specs', nargs='+', default=['smoke', 'small'],
                    help="adapter.load_model specs: 'smoke', 'small', or a JSON dict of Qwen3Config values")
    ap.add_argument('--prompts', type=int, default=4, help="prompts per step (default: the 'tiny' preset's 4)")
    ap.add_argument('--G', type=int, default=8, help="group size (default: the 'tiny' preset's 8)")
    ap.add_argument('--max-new', type=int, default=48, help="completion tokens, forced exactly (default: 'tiny' preset's 48)")
    ap.add_argument('--k', type=int, default=4, help="basis rank for erase (default: the 'tiny' preset's 4)")
    ap.add_argument('--steps', type=int, default=8, help="timed steps per arm")
    ap.add_argument('--warmup', type=int, default=2, help="untimed steps per arm before them")
    ap.add_argument('--threads', type=int, default=1, help="torch threads for every arm (the loop's Config.threads default, 1)")
    ap.add_argument('--seed', type=int, default=41)
    ap.add_argument('--trl-lora', type=int, default=0, metavar='R',
                    help="also a pass against TRL with a rank-R LoRA on the seven projections (needs peft)")
    ap.add_argument('--explain', action='store_true', help="run the generation probe even when the target is met")
    ap.add_argument('--callback-only', action='store_true',
                    help="only the TRL + ProjectionCallback(erase) vs TRL row (skip our loop's arms)")
    ap.add_argument('--no-callback', dest='callback', action='store_false',
                    help="skip the TRL + ProjectionCallback(erase) vs TRL row")
    ap.add_argument('--no-train-check', dest='train_check', action='store_false',
                    help="skip re-timing the real train() loop (arm none) after the interleaved steps")
    ap.add_argument('--tiny', action='store_true', help="the tiny preset's own step (organism, natural lengths, no TRL), with the floor")
    ap.add_argument('--beside', action='store_true', help="with --tiny: a second tiny training run beside it during the timing")
    ap.add_argument('--set', nargs='*', default=[], metavar='KEY=VALUE', help="with --tiny: values on top of the preset, every arm")
    ap.add_argument('--vs', nargs='*', default=[], metavar='KEY=VALUE',
                    help="with --tiny: a third interleaved arm, none with these values on top (e.g. micro_tokens=1024)")
    a = ap.parse_args(argv)
    for k in ('set', 'vs'):
        bad = [x for x in getattr(a, k) if '=' not in x]
        if bad: ap.error(f"--{k} {bad[0]!r}: use KEY=VALUE")
        setattr(a, k, dict(x.split('=', 1) for x in getattr(a, k)))
    if a.tiny:
        torch.set_num_threads(a.threads)
        print(f"bench_grpo --tiny: torch {torch.__version__}, {os.cpu_count()} CPUs, torch threads {a.threads}, "
              f"load average at start {fmt_load(os.getloadavg())}")
        return bench_tiny(a)
    import trl
    transformers.utils.logging.disable_progress_bar()
    warnings.filterwarnings('ignore', message='.*gradient_checkpointing.*deprecated', category=FutureWarning)
    torch.set_num_threads(a.threads)
    print(f"bench_grpo: torch {torch.__version__}, transformers {transformers.__version__}, trl {trl.__version__}, "
          f"python {platform.python_version()}; {os.cpu_count()} CPUs, torch threads {a.threads} (every arm), "
          f"nice {os.nice(0)}; load average at start {fmt_load(os.getloadavg())}")
    print("reward on both sides: rewards.grade_many (the sandboxed grader) + crc32(completion)·1e-6 tie-break; "
          "ours trains the δS knobs; no teacher rows (mix_ratio=0); TRL: dr_grpo, scale_rewards=none, beta=0, fp32, "
          "no gradient checkpointing")
    res = []
    for s in a.specs:
        spec = json.loads(s) if s.strip().startswith('{') else s
        name = s if isinstance(spec, str) else 'dict'
        if not a.callback_only:
            res.append(bench_spec(spec, name, a))
            if a.trl_lora: res.append(bench_spec(spec, name, a, lora=a.trl_lora))
        if a.callback or a.callback_only: res.append(bench_callback(spec, name, a))
    print("\nsummary (median wall s/step):")
    for r in res:
        if 'cb' in r:
            print(f"  {r['model']:6s} {'TRL + ProjectionCallback(erase)':30s} {r['cb']:.3f} | TRL alone, same adapter "
                  f"{r['bare']:.3f} | ratio {r['cb_over_trl']:.3f} (<= 1.05); hooks {1e3*r['hook']:.2f} ms/step")
            continue
        extra = f"; train() none {r['train']:.3f}" if 'train' in r else ''
        print(f"  {r['model']:6s} {r['trl_name']:30s} {r['trl']:.3f} | ours none {r['none']:.3f}  erase {r['erase']:.3f} | "
              f"ours/TRL {r['ours_over_trl']:.3f} (<= 0.7; floor {r['floor_over_trl']:.3f})  erase/none {r['erase_over_none']:.3f} (per-round median {r['erase_over_none_rounds']:.3f}, <= 1.03){extra}")
    print(f"load average at end {fmt_load(os.getloadavg())}")


if __name__ == '__main__': main()
