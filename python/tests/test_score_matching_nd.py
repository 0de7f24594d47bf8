"""Multivariate score matching from Python: fit(x) on an (n, d) array returns a Model with the
fields of the file `convexscore fit --columns ... --objective sm` writes; its network attains
the convex value; save/load round trip; errors as convexscore.Error / UnboundedError."""

import numpy as np
import pytest

import convexscore as cs
from helpers import circle, cli, field_paths, read_json, run_cli, without_times, write_points


def points(n=8, seed=31):
    return np.random.default_rng(seed).normal(size=(n, 2))


def sm_objective(model, x, beta):
    """(1/n) sum_i [div f(x_i) + |f(x_i)|^2 / 2] + (beta/2) sum_j (|w_j|^2 + |a_j|^2), written
    out with numpy from the model's weights (ReLU, relu'(0) = 1)."""
    net = model.network
    pre = x @ net.w.T + net.b                      # n x m
    active = (pre >= 0).astype(float)
    f = np.maximum(pre, 0.0) @ net.a + net.output_bias
    divergence = active @ np.einsum("jk,jk->j", net.a, net.w)
    decay = (net.w ** 2).sum() + (net.a ** 2).sum()
    return np.mean(divergence + 0.5 * (f ** 2).sum(axis=1)) + 0.5 * beta * decay


def test_fit_is_certified_and_attains_the_convex_value(tmp_path):
    x = points()
    model = cs.fit(x, beta=0.6, threshold_tolerance=0.5)
    assert model.status == "optimal" and model.dimension == 2
    assert model.architecture == "per-coordinate"
    assert model.patterns == 8 * 7 + 2 and model.pattern_method == "exact"
    assert model.pattern_seed is None
    assert model.beta_min_lower <= model.beta_min_upper == model.beta_min <= model.beta_max
    assert model.beta_min_lower <= 0.6
    assert abs(model.relative_gap) <= 1e-9
    value = sm_objective(model, x, 0.6)
    assert value == pytest.approx(model.objective, rel=1e-8, abs=1e-10)
    assert model.network_objective == pytest.approx(model.objective, rel=1e-8, abs=1e-10)
    assert model.score(x).shape == (8, 2)
    model.save(tmp_path / "m.json")
    loaded = cs.load(tmp_path / "m.json")
    assert loaded.to_dict() == model.to_dict()
    assert np.array_equal(loaded.score(x), model.score(x))
    draws = cs.sample(loaded, particles=100, steps=50, step_size=0.02, seed=2, init="data",
                      init_data=x)
    assert draws.shape == (100, 2) and np.isfinite(draws).all()
    # Non-convex training from this optimum (free biases, as in the per-coordinate program):
    # its first objective is the convex network's, and it never ends above its best.
    trained = cs.train(x, width=None, beta=0.6, lr=1e-3, epochs=20, init=loaded)
    assert trained.training["initial_objective"] == pytest.approx(model.network_objective,
                                                                  rel=1e-9, abs=1e-12)
    assert trained.training["width"] == model.network.neurons
    assert trained.training["start"] == {"kind": "model_file", "path": str(tmp_path / "m.json")}


def test_document_is_the_one_the_cli_writes(tmp_path):
    if not cli():
        pytest.skip("CONVEXSCORE_CLI not set")
    x = points(8, 7)
    data = tmp_path / "x.csv"  # no header: the CLI document then has no coordinate names either
    data.write_text("".join(f"{a!r},{b!r}\n" for a, b in x))
    run_cli("fit", "--data", data, "--columns", "0,1", "--activation", "abs", "--beta", "0.5",
            "--threshold-tolerance", "0.5", "--quiet", "--out", tmp_path / "m.json")
    from_cli = read_json(tmp_path / "m.json")
    ours = cs.fit(x, beta=0.5, activation="abs", threshold_tolerance=0.5).to_dict()
    assert field_paths(ours, skip_source=True) == field_paths(from_cli, skip_source=True)
    for key in ("objective", "network", "settings", "beta_min_lower", "beta_min_upper",
                "beta_max", "patterns"):
        assert ours[key] == from_cli[key], key


def test_coordinates_on_several_threads_give_the_same_model():
    x = points()
    one = without_times(cs.fit(x, beta=0.6, threshold_tolerance=0.5, threads=1).to_dict())
    for threads in (2, 0):
        other = cs.fit(x, beta=0.6, threshold_tolerance=0.5, threads=threads).to_dict()
        assert without_times(other) == one
    with pytest.raises(cs.Error, match="threads applies to d-D fits with one network per"):
        cs.fit(x, beta=0.6, architecture="shared", threads=2)
    with pytest.raises(cs.Error, match="threads"):
        cs.fit(x, beta=0.6, threads=-1)
    with pytest.raises(cs.Error, match="threads is for multivariate data"):
        cs.fit(x[:, 0], beta=0.6, threads=2)


def test_thresholds_bracket_and_unbounded_below():
    x = points()
    t = cs.thresholds(x, threshold_tolerance=0.5)
    assert 0 < t["beta_min_lower"] <= t["beta_min_upper"] == t["beta_min"] <= t["beta_max"]
    with pytest.raises(cs.UnboundedError, match="below beta_min") as info:
        cs.fit(x, beta=0.5 * t["beta_min_lower"])
    assert info.value.beta_min > 0.5 * t["beta_min_lower"]


def test_bad_input_raises_error():
    x = points()
    line = np.array([[0.0, 0.0], [1.0, 2.0], [2.0, 4.0], [-1.0, -2.0], [3.0, 6.0]])
    with pytest.raises(cs.Error, match="rank-deficient data"):
        cs.fit(line, beta=0.5)
    bad = x.copy()
    bad[3, 1] = np.nan
    with pytest.raises(cs.Error, match="non-finite"):
        cs.fit(bad, beta=0.5)
    with pytest.raises(cs.Error, match="needs at least 3 points"):
        cs.fit(x[:2], beta=0.5)
    for beta in (0.0, -1.0):
        with pytest.raises(cs.Error, match="beta must be positive"):
            cs.fit(x, beta=beta)
    with pytest.raises(cs.Error, match="architecture must be"):
        cs.fit(x, beta=0.5, architecture="both")
    with pytest.raises(cs.Error, match="skip is not available"):
        cs.fit(x, beta=0.5, skip=True)
    with pytest.raises(cs.Error, match="memory_limit needs objective='dsm'"):
        cs.fit(x, beta=0.5, memory_limit=1.0)
    with pytest.raises(cs.Error, match="patterns must be"):
        cs.fit(x, beta=0.5, patterns="some")
    with pytest.raises(cs.Error, match="is for multivariate data"):
        cs.fit(x[:, 0], beta=0.5, patterns="exact")
    with pytest.raises(cs.Error):
        cs.fit(x, beta=0.5, activation="tanh")


def test_shared_architecture_bounds_and_gap(tmp_path):
    """Architecture "shared": the relaxation's value is a lower bound, the rebuilt network's own
    objective (penalized biases, recomputed here with numpy) the upper bound, and the document
    is the one `fit --architecture shared` writes."""
    x = circle(8, noise=0.1)
    model = cs.fit(x, beta=0.5, architecture="shared")
    assert model.status == "optimal" and model.architecture == "shared"
    assert model.lower_bound <= model.upper_bound + 1e-12
    assert model.gap == pytest.approx(model.upper_bound - model.lower_bound, abs=1e-12)
    assert model.network.neurons > 0
    net = model.network
    value = sm_objective(model, x, 0.5) + 0.5 * 0.5 * (net.b ** 2).sum()  # + (beta/2) sum b_j^2
    assert value == pytest.approx(model.upper_bound, rel=1e-9, abs=1e-12)
    with pytest.raises(cs.UnboundedError, match="below beta_min") as info:
        cs.fit(x, beta=0.1, architecture="shared")
    assert info.value.beta_min > 0.1
    with pytest.raises(cs.Error, match="threshold_tolerance"):
        cs.fit(x, beta=0.5, architecture="shared", threshold_tolerance=0.2)
    if not cli():
        return
    write_points(tmp_path / "x.csv", x)
    run_cli("fit", "--data", tmp_path / "x.csv", "--columns", "0,1", "--architecture", "shared",
            "--activation", "relu", "--beta", "0.5", "--quiet", "--out", tmp_path / "m.json")
    from_cli = read_json(tmp_path / "m.json")
    ours = model.to_dict()
    assert field_paths(ours, skip_source=True) == field_paths(from_cli, skip_source=True)
    for key in ("lower_bound", "upper_bound", "gap", "network", "settings", "patterns",
                "beta_min_lower", "beta_max"):
        assert ours[key] == from_cli[key], key
