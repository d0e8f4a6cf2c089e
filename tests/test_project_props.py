"Property tests of the projection (03_project): invariants that must hold for every gradient and every basis."
import types

import torch
import torch.nn as nn
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays
import numpy as np
import pytest

from projected_grpo.project import (GATES, project_one, project_all, project_update, purge_moments, null_cin,
                                    null_cin_mc, cin_rows, check_basis)

TOL = 1e-9  # float64 throughout
relaxed = settings(deadline=None, max_examples=100)  # first optimizer step is slow to warm up; keep runs short


@st.composite
def problems(draw, max_r=24, max_k=6, zero_rows=True):
    "(g [r], V [k, r]) with V's rows orthonormal (some possibly zeroed, as an axis cut leaves them)."
    r = draw(st.integers(2, max_r))
    k = draw(st.integers(1, min(r, max_k)))
    seed = draw(st.integers(0, 2**31 - 1))
    gen = torch.Generator().manual_seed(seed)
    V = torch.linalg.qr(torch.randn(r, k, generator=gen, dtype=torch.float64))[0].T.clone()
    if zero_rows and k > 1 and draw(st.booleans()): V[draw(st.integers(0, k - 1))] = 0
    g = draw(arrays(np.float64, r, elements=st.floats(-1e3, 1e3, allow_nan=False, width=64)))
    return torch.from_numpy(g), V


gates = st.sampled_from(list(GATES))


@relaxed
@given(problems(), gates, st.floats(0.5, 1.5), st.booleans())
def test_removed_in_span_V(gv, gate, overshoot, pm):
    g, V = gv
    _, removed, _, _ = project_one(g, V, gate, pm, overshoot)
    assert torch.allclose(V.T @ (V @ removed), removed, atol=TOL * (1 + g.norm()))


@relaxed
@given(problems(), st.sampled_from(['one_sided', 'no_gate']), st.booleans())
def test_cout_zero_under_one_sided_and_no_gate(gv, gate, pm):
    g, V = gv
    g_proj, _, _, cout = project_one(g, V, gate, pm)
    assert cout <= 1e-9 or g_proj.norm() <= 1e-9 * (1 + g.norm())


@relaxed
@given(problems(), gates, st.booleans())
def test_cin_cout_in_unit_interval(gv, gate, pm):
    g, V = gv
    _, _, cin, cout = project_one(g, V, gate, pm)
    assert 0 <= cin <= 1 + TOL and 0 <= cout <= 1 + TOL


@relaxed
@given(problems())
def test_one_sided_leaves_anti_hack_gradient_alone(gv):
    g0, V = gv
    g = g0 - ((V @ g0).abs() + 1) @ V                         # V g ≈ −1 − |V g0| on every live axis, 0 on cut ones
    assert ((V @ g) <= 0).all()
    g_proj, removed, cin, _ = project_one(g, V)
    assert torch.equal(g_proj, g) and (removed == 0).all() and cin == 0


@relaxed
@given(problems(), gates)
def test_erase_decomposes_g(gv, gate):
    g, V = gv
    g_proj, removed, _, _ = project_one(g, V, gate)
    assert torch.allclose(g_proj + removed, g, atol=TOL * (1 + g.norm()))


@relaxed
@given(problems())
def test_reverse_reflects_span_V(gv):
    g, V = gv
    g_proj, _, _, _ = project_one(g, V, 'reverse')
    assert torch.allclose(V @ g_proj, -(V @ g), atol=TOL * (1 + g.norm()))


@relaxed
@given(problems(), gates, st.floats(0.5, 1.5))
def test_preserve_magnitude_keeps_norm(gv, gate, overshoot):
    g, V = gv
    plain = project_one(g, V, gate, False, overshoot)[0]
    g_proj = project_one(g, V, gate, True, overshoot)[0]
    if plain.norm() > 0: assert torch.allclose(g_proj.norm(), g.norm(), rtol=1e-9, atol=0)
    assert torch.allclose(g_proj * plain.norm(), plain * g_proj.norm(), atol=TOL * (1 + g.norm())**2)  # same direction


@relaxed
@given(st.lists(problems(max_r=8, max_k=3), min_size=1, max_size=2), st.integers(1, 5))
def test_rows_match_single_vectors(gvs, B):
    g, V = gvs[0]
    G = torch.stack([g * (b + 1) * (-1) ** b for b in range(B)])  # [B, r]
    out = project_one(G, V)
    for b in range(B):
        ref = project_one(G[b], V)
        for x, y in zip(out, ref): assert torch.allclose(x[b], y, atol=TOL * (1 + G[b].norm()))


def _knobs(gvs):
    "Fake wrappers (only .δS / .δS_hack are read) with grads set from the drawn problems."
    W, V = {}, {}
    for i, (g, v) in enumerate(gvs):
        w = types.SimpleNamespace(δS=nn.Parameter(torch.zeros_like(g)), δS_hack=nn.Parameter(torch.zeros_like(g)))
        w.δS.grad = g.clone()
        W[f'm{i}'] = w
        if i % 3 != 2: V[f'm{i}'] = v                          # every third module has no basis
    return W, V


@relaxed
@given(st.lists(problems(max_r=12, max_k=4), min_size=1, max_size=5), gates)
def test_arms(gvs, gate):
    W, V = _knobs(gvs)
    project_all(W, V, 'none', gate)
    for (g, _), w in zip(gvs, W.values()): assert torch.equal(w.δS.grad, g) and w.δS_hack.grad is None  # none ⇒ untouched
    W, V = _knobs(gvs)
    project_all(W, V, 'route', gate)
    for i, ((g, v), (n, w)) in enumerate(zip(gvs, W.items())):
        if n not in V:
            assert torch.equal(w.δS.grad, g) and w.δS_hack.grad is None                       # no basis ⇒ skipped
            continue
        g_proj, removed, _, _ = project_one(g, v, gate)
        assert torch.equal(w.δS_hack.grad, removed) and torch.equal(w.δS.grad, g_proj)      # route ⇒ parked
    W, V = _knobs(gvs)
    stats = project_all(W, V, 'erase', gate)
    assert all(w.δS_hack.grad is None for w in W.values())
    assert 0 <= stats['cin'] <= 1 + TOL and 0 <= stats['cin_global'] <= 1 + TOL and 0 <= stats['fired'] <= 1
    if gate != 'reverse': assert stats['cout'] <= 1e-9


@relaxed
@given(st.lists(problems(max_r=12, max_k=4), min_size=1, max_size=4), st.integers(1, 4))
def test_cin_rows_matches_project_all(gvs, B):
    W, V = _knobs(gvs)
    G = {n: torch.stack([w.δS.grad * (b + 1) * (-1) ** b for b in range(B)]) for n, w in W.items()}
    assert 'm0' in V                                            # the first module always has a basis
    rows = cin_rows(G, V)
    with pytest.raises(ValueError): cin_rows(G, {})             # no module with a basis: an error, not a 0
    for b in range(B):
        for n, w in W.items(): w.δS.grad = G[n][b].clone()
        assert abs(rows[b].item() - project_all(W, V, 'none')['cin']) < 1e-9


@relaxed
@given(problems(zero_rows=False), gates, st.sampled_from(['sgd', 'adamw']), st.integers(1, 4))
def test_project_update_leaves_no_hack_ward_update(gv, gate, kind, steps):
    g, V = gv
    p = nn.Parameter(torch.zeros_like(g))
    opt = torch.optim.SGD([p], lr=0.1, momentum=0.9) if kind == 'sgd' else torch.optim.AdamW([p], lr=0.1)
    W = {'m': types.SimpleNamespace(δS=p)}
    for t in range(steps):
        p.grad = g * (1 + t) + (-1) ** t                        # varying gradients, hack-ward mass included
        before = p.detach().clone()
        st_ = project_update(W, {'m': V}, opt, gate)
        c = V @ (p.detach() - before)                           # V Δ' (applied update)
        if gate == 'one_sided': assert (c >= -1e-9).all()       # no hack-ward motion: relu(−VΔ') = 0
        if gate == 'no_gate': assert c.abs().max() <= 1e-9      # no motion in span(V) at all
        if gate != 'reverse': assert st_['cout_update'] <= 1e-9
        assert 0 <= st_['cin_update'] <= 1 + TOL


@relaxed
@given(problems(zero_rows=False), st.sampled_from(['one_sided', 'no_gate']))
def test_project_update_measure_only_changes_nothing(gv, gate):
    g, V = gv
    a, b = nn.Parameter(torch.zeros_like(g)), nn.Parameter(torch.zeros_like(g))
    oa, ob = torch.optim.AdamW([a], lr=0.1), torch.optim.AdamW([b], lr=0.1)
    a.grad, b.grad = g.clone(), g.clone()
    st_ = project_update({'m': types.SimpleNamespace(δS=a)}, {'m': V}, oa, gate, apply=False)
    ob.step()
    assert torch.equal(a, b) and st_['cout_update'] == st_['cin_update']


@relaxed
@given(problems(zero_rows=False), st.sampled_from(['one_sided', 'no_gate']))
def test_purge_moments(gv, gate):
    g, V = gv
    p = nn.Parameter(torch.zeros_like(g))
    opt = torch.optim.AdamW([p], lr=0.1)
    p.grad = g.clone(); opt.step()
    purge_moments(opt, {'m': types.SimpleNamespace(δS=p)}, {'m': V}, gate)
    c = V @ opt.state[p]['exp_avg']
    assert (c <= 1e-9 * (1 + g.norm())).all()
    if gate == 'no_gate': assert c.abs().max() <= 1e-9 * (1 + g.norm())


@pytest.mark.parametrize('k,r', [(1, 8), (2, 2), (3, 50), (8, 64), (6, 6)])
def test_null_cin_analytic_matches_monte_carlo(k, r):
    for one_sided in (True, False):
        assert abs(null_cin(k, r, one_sided) - null_cin_mc(k, r, n=40000, one_sided=one_sided)) < 0.006


def test_null_cin_edges():
    assert null_cin(0, 10) == 0 and null_cin(5, 5, one_sided=False) == 1
    assert null_cin(4, 64) < null_cin(4, 64, one_sided=False) < (4 / 64) ** 0.5
    with pytest.raises(ValueError): null_cin(5, 4)


def test_check_basis():
    check_basis({'a': torch.eye(4)[:2]})
    with pytest.raises(ValueError, match='orthonormal'): check_basis({'a': torch.ones(2, 4)})
