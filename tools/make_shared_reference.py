#!/usr/bin/python3
"""Reference optimal values for architecture (b), the shared hidden layer (docs/theory.md,
"Multivariate score matching, architecture (b)"): the nuclear-norm relaxation over ALL
activation patterns of small 2-D point sets, with penalized first-layer biases (the bias row of
each block is inside the nuclear norm) and a free output bias, mean form:

    min  1/(2n) ||sum_k S_k X~ Z_k + 1 c0^T - Y||_F^2 + sum_k t_k tr([I 0] Z_k) + beta sum_k ||Z_k||_*

score matching: Y = 0, t_k = tr(S_k) / n; DSM: Y = targets, t = 0. S_k = D_k (relu) or 2 D_k - I
(abs). Solved by CVXOPT coneqp with ||Z||_* = min (tr U + tr V) / 2 s.t. [[U, Z], [Z^T, V]] >= 0
(one semidefinite cone per pattern), c0 eliminated by centring. Independent of the C++ code: the
patterns come from an angular sweep here, their count is checked against n(n-1) + 2.

Usage: /usr/bin/python3 tools/make_shared_reference.py tests/data/reference/shared_nd.json
"""
import json
import math
import sys

import numpy as np
from cvxopt import matrix, solvers

solvers.options.update(show_progress=False, abstol=1e-9, reltol=1e-9, feastol=1e-9,
                       maxiters=200)


def half_plane_subsets(points):
    """Every subset {i : w . x_i + b >= 0}: for a direction w strictly inside each arc between
    consecutive critical angles (normals of x_i - x_j), all upper sets of the projections."""
    n = len(points)
    critical = []
    for i in range(n):
        for j in range(i + 1, n):
            dx, dy = points[j] - points[i]
            a = math.atan2(dx, -dy)  # w = (cos a, sin a) is orthogonal to x_j - x_i
            critical += [a % (2 * math.pi), (a + math.pi) % (2 * math.pi)]
    critical = sorted(critical)
    subsets = {tuple([0] * n), tuple([1] * n)}
    for m in range(len(critical)):
        lo = critical[m]
        hi = critical[(m + 1) % len(critical)] + (2 * math.pi if m + 1 == len(critical) else 0)
        angle = 0.5 * (lo + hi)
        proj = points @ np.array([math.cos(angle), math.sin(angle)])
        order = np.argsort(-proj)
        chosen = [0] * n
        for i in order:
            chosen[i] = 1
            subsets.add(tuple(chosen))
    return np.array(sorted(subsets), dtype=float)


def solve(x, y, trace, masks, act, beta):
    """The relaxation's optimal value (and the coneqp status)."""
    n, d = x.shape
    q = d + 1
    K = len(masks)
    xt = np.hstack([x, np.ones((n, 1))])
    gates = [m if act == "relu" else 2 * m - 1 for m in masks]
    # Variables: z_c (K q each, c = 0..d-1: column c of every block), then per block the packed
    # lower triangles of U (q x q) and V (d x d).
    nz = d * K * q
    nu, nv = q * (q + 1) // 2, d * (d + 1) // 2
    nvar = nz + K * (nu + nv)
    full = np.hstack([g[:, None] * xt for g in gates])  # n x K q
    a = full - full.mean(axis=0)
    yc = y - y.mean(axis=0)
    P = np.zeros((nvar, nvar))
    lin = np.zeros(nvar)
    for c in range(d):
        s = slice(c * K * q, (c + 1) * K * q)
        P[s, s] = a.T @ a / n
        lin[s] = -a.T @ yc[:, c] / n
        for k in range(K):
            lin[c * K * q + k * q + c] += trace[k]
    P[nz:, nz:] = 1e-14 * np.eye(nvar - nz)

    def packed(dim):
        return [(r, col) for col in range(dim) for r in range(col, dim)]

    pu, pv = packed(q), packed(d)
    m = q + d
    G = np.zeros((K * m * m, nvar))
    for k in range(K):
        base = nz + k * (nu + nv)
        for idx, (r, col) in enumerate(pu):
            if r == col:
                lin[base + idx] = beta / 2
        for idx, (r, col) in enumerate(pv):
            if r == col:
                lin[base + nu + idx] = beta / 2
        row0 = k * m * m

        def put(r, col, var, value):  # the cone's entry (r, col) and its mirror, column-major
            G[row0 + col * m + r, var] -= value
            if r != col:
                G[row0 + r * m + col, var] -= value

        for idx, (r, col) in enumerate(pu):
            put(r, col, base + idx, 1.0)
        for idx, (r, col) in enumerate(pv):
            put(q + r, q + col, base + nu + idx, 1.0)
        for c in range(d):
            for i in range(q):
                put(q + c, i, c * K * q + k * q + i, 1.0)  # Z_k[i, c] below the diagonal block
    h = np.zeros(K * m * m)
    sol = solvers.coneqp(matrix(P), matrix(lin), matrix(G), matrix(h),
                         {"l": 0, "q": [], "s": [m] * K})
    value = sol["primal objective"] + (yc ** 2).sum() / (2 * n)
    dual = sol["dual objective"] + (yc ** 2).sum() / (2 * n)
    return value, dual, sol["status"]


def case(name, kind, act, beta, x, targets=None):
    n, d = x.shape
    masks = half_plane_subsets(x)
    assert len(masks) == n * (n - 1) + 2, (name, len(masks))
    count = len(masks)
    if act == "abs":
        # S_k' = -S_k for the complement k' and t_k' = -t_k, so blocks Z_k, Z_k' act as one block
        # Z_k - Z_k' at a cost >= its nuclear norm: one pattern of each complementary pair is
        # enough (and keeps the semidefinite program non-degenerate).
        masks = masks[masks[:, 0] == 1]
    if kind == "sm":
        y = np.zeros((n, d))
        trace = [(m.sum() if act == "relu" else (2 * m - 1).sum()) / n for m in masks]
    else:
        y = targets
        trace = [0.0] * len(masks)
    value, dual, status = solve(x, y, trace, masks, act, beta)
    assert status == "optimal", (name, act, beta, status)
    entry = {"name": name, "objective_kind": kind, "activation": act, "beta": beta,
             "patterns": count, "optimal_value": value, "dual_value": dual,
             "x": x.tolist()}
    if targets is not None:
        entry["targets"] = targets.tolist()
    print(f"{name} {kind} {act} beta={beta}: {value:.12g} (dual {dual:.12g})", file=sys.stderr)
    return entry


def main():
    rng = np.random.default_rng(20261127)
    gauss = rng.normal(size=(7, 2)) @ np.array([[1.0, 0.4], [0.0, 0.7]]) + np.array([0.3, -0.2])
    mix = np.vstack([rng.normal(size=(4, 2)) * 0.4 + np.array([-1.2, 0.3]),
                     rng.normal(size=(4, 2)) * 0.4 + np.array([1.0, -0.5])])
    clean = rng.normal(size=(4, 2))
    sigma, copies = 0.4, 2
    z = rng.normal(size=(4 * copies, 2))
    noisy = np.repeat(clean, copies, axis=0) + sigma * z
    targets = -z / sigma
    cases = []
    # Score matching: the relaxation's beta_min is large (combinations of blocks that vanish on
    # the data gain more from the trace term than they cost), so the betas are near beta_max = 1.
    sm_betas = {"relu": (0.8, 0.95), "abs": (0.9, 0.97)}
    for act in ("relu", "abs"):
        for beta in sm_betas[act]:
            cases.append(case("gauss2d_n7", "sm", act, beta, gauss))
            cases.append(case("mix2d_n8", "sm", act, beta, mix))
        for beta in (0.1, 0.4):
            cases.append(case("dsm2d_n4x2", "dsm", act, beta, noisy, targets))
    doc = {"generator": "tools/make_shared_reference.py",
           "solver": "CVXOPT coneqp (one semidefinite cone per pattern), tolerances 1e-9",
           "problem": "nuclear-norm relaxation of the shared hidden layer, penalized biases, "
                      "free output bias, mean form, all n(n-1)+2 patterns",
           "cases": cases}
    with open(sys.argv[1], "w") as out:
        json.dump(doc, out, indent=1)
        out.write("\n")


if __name__ == "__main__":
    main()
