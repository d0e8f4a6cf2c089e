"Properties of the hack-basis extraction (04_extract) on synthetic differences D; the cache without a language model."
from types import SimpleNamespace

import pytest
import torch
import torch.nn as nn
from hypothesis import given, settings, strategies as st

import projected_grpo.extract as ex
from projected_grpo.adapter import wrap
from projected_grpo.project import check_basis


def rand_D(seed, n_mod, n, r, planted=True):
    g = torch.Generator().manual_seed(seed)
    D = {}
    for i in range(n_mod):
        d = torch.randn(n, r, generator=g) * (0.1 + i)                     # modules on different scales
        if planted:
            u = torch.nn.functional.normalize(torch.randn(r, generator=g), dim=0)
            d += 3 * (1 + i) * torch.rand(n, 1, generator=g) * u            # every pair pushes along +u
        D[f'm{i}'] = d
    return D


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10**6), n_mod=st.integers(1, 5), n=st.integers(1, 30), r=st.integers(2, 24),
       k=st.integers(1, 6), q=st.sampled_from([0., .25, .5, .9]), tau=st.sampled_from([0., .2, .6]))
def test_basis_properties(seed, n_mod, n, r, k, q, tau):
    D = rand_D(seed, n_mod, n, r)
    V, info = ex.basis_from_diffs(D, k=k, floor_q=q, tau=tau)
    check_basis(V)                                                         # orthonormal or zero rows
    live = ex.live_counts(V)
    for name, v in V.items():
        assert v.shape == (k, r) and v.dtype == torch.float32
        L = live[name]
        assert L >= 1 and (v[:L].norm(dim=-1) > 0).all() and (v[L:] == 0).all()   # live rows are a prefix
        c = D[name].double() @ v[:L].double().T
        assert ((c > 0).double().mean(0) >= .5).all() or ((c > 0).sum(0) == (c < 0).sum(0)).any()  # majority vote
        S = torch.tensor(info['S'][name][:L])
        assert (S >= info['floor'] - 1e-9).all() and (S >= tau * info['S'][name][0] - 1e-9).all()
    if tau == 0:                                                           # global floor: every dropped value is below
        kept = [s for nm in D for s in info['S'][nm][:info['live'][nm]]]   # every kept one, across modules
        dropped = [s for nm in D for j, s in enumerate(info['S'][nm]) if j >= info['live'][nm] and s > 1e-6 * info['S'][nm][0]]
        if kept and dropped: assert max(dropped) <= min(kept) + 1e-9
    assert set(V) == {nm for nm, c in info['live'].items() if c > 0}


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(4, 30), r=st.integers(4, 24))
def test_shuffled_same_subspace_and_controls_matched(seed, n, r):
    D = rand_D(seed, 3, n, r)
    V, _ = ex.basis_from_diffs(D, k=3)
    live = ex.live_counts(V)
    flips = ex.label_flips(n, seed)
    Vs, _ = ex.basis_from_diffs({nm: d * flips[:, None] for nm, d in D.items()}, k=3, live=live)
    assert ex.live_counts(Vs) == live
    assert abs(ex.subspace_overlap(Vs, V) - 1) < 1e-4                    # orientation control only
    Vr = ex.random_basis(live, {nm: r for nm in live}, 3, seed)
    check_basis(Vr); assert ex.live_counts(Vr) == live
    Vm = ex.meandiff_basis(D, live)
    check_basis(Vm); assert all(v.shape == (1, r) for v in Vm.values())
    for nm in Vm: assert (D[nm] @ Vm[nm][0]).mean() > 0                   # hack-ward on average


def test_overlap():
    D = rand_D(0, 3, 20, 16)
    V, _ = ex.basis_from_diffs(D, k=4, floor_q=0.)
    flipped = {nm: -v for nm, v in V.items()}
    assert abs(ex.basis_overlap(V, flipped) - 1) < 1e-6                   # signs do not matter
    swapped = {nm: v[[1, 0, 2, 3]] for nm, v in V.items()}
    assert ex.basis_overlap(V, swapped) < 1 and abs(ex.subspace_overlap(V, swapped) - 1) < 1e-6
    assert 0 <= ex.basis_overlap(V, ex.random_basis(ex.live_counts(V), {nm: 16 for nm in V}, 4)) < .9
    assert ex.basis_overlap(V, {}) == 0.


class Tiny(nn.Module):                                                     # two wrappable linears, no LM needed
    def __init__(self):
        super().__init__()
        g = torch.Generator().manual_seed(0)
        self.q_proj, self.v_proj = nn.Linear(8, 6, bias=False), nn.Linear(6, 8, bias=False)
        with torch.no_grad():
            for m in (self.q_proj, self.v_proj): m.weight.copy_(torch.randn(m.weight.shape, generator=g))


def test_cache(tmp_path, monkeypatch):
    model = Tiny(); W = wrap(model, cache_dir=tmp_path/'svd')
    tok = SimpleNamespace(backend_tokenizer=None, get_vocab=lambda: {'a': 0, 'b': 1}, eos_token_id=1)
    pairs = [SimpleNamespace(prompt=f'p{i}', hack=f'h{i}', clean=f'c{i}', mode='sentinel', problem_id=f'x{i}') for i in range(12)]
    calls = []
    def fake(model_, W_, tok_, ps, norm='fixed', denom=1.0, batch_size=8):
        calls.append(len(ps)); g = torch.Generator().manual_seed(len(ps) + sum(len(p.hack) for p in ps))
        return {n: torch.randn(len(ps), w.δS.shape[0], generator=g) + 2 for n, w in W_.items()}
    monkeypatch.setattr(ex, 'pair_diffs', fake)
    kw = dict(cache_dir=tmp_path/'basis', k=3)
    V1 = ex.make_basis('real', model, W, tok, pairs, **kw); assert calls == [12]
    V2 = ex.make_basis('real', model, W, tok, pairs, **kw); assert calls == [12]          # loaded
    assert all(torch.equal(V1[n], V2[n]) for n in V1) and V1.keys() == V2.keys()
    ex.make_basis('random', model, W, tok, pairs, **kw); assert calls == [12]             # real from the cache
    ex.make_basis('real', model, W, tok, pairs[:-1], **kw); assert calls == [12, 11]      # changed pairs
    ex.make_basis('real', model, W, tok, pairs, cache_dir=tmp_path/'basis', k=2); assert calls[-1] == 12 and len(calls) == 3
    with torch.no_grad(): W['q_proj'].δS[0] = .1
    ex.make_basis('real', model, W, tok, pairs, **kw); assert len(calls) == 4             # changed knobs
    with torch.no_grad(): model.v_proj.base.weight[0, 0] += 1.                            # changed base weights
    ex.make_basis('real', model, W, tok, pairs, **kw); assert len(calls) == 5
    ex.make_basis('real', model, W, tok, pairs, cache=False, **kw); assert len(calls) == 6
    n_files = len(list((tmp_path/'basis').glob('*.safetensors')))
    assert n_files == 6                                                   # real ×5 + random; cache=False wrote nothing
    with pytest.raises(ValueError, match='clean_pairs'): ex.make_basis('nonhack', model, W, tok, pairs, **kw)
