"""d-dimensional model files from Python: load, score (n, d) -> (n, d) as `convexscore score
--points` does, and plain and annealed Langevin sampling."""

import numpy as np
import pytest

import convexscore as cs
from helpers import cli, run_cli

HEADER = {"format": "convexscore-model", "version": 1, "dimension": 2}


def network_2d(shift=0.0, scale=1.0):
    """A confining 2-D score with a nonlinear part: -x plus three ReLU units."""
    units = [([1.0, 0.0], 0.5, [0.4, -0.3]), ([0.6, 0.8], -0.2, [-0.2, 0.5]),
             ([-0.5, 1.0], shift, [0.3, 0.1])]
    return {"activation": "relu", "dimension": 2,
            "neurons": [{"w": w, "b": b, "a": [scale * v for v in a]} for w, b, a in units],
            "output_bias": [0.2, -0.1], "skip": [[-1.0, 0.0], [0.0, -1.0]]}


def model_2d():
    return cs.Model({**HEADER, "network": network_2d(), "coordinate_names": ["u", "v"]})


def levels_2d():
    return cs.Model({**HEADER, "noise_levels": [{"sigma": 1.0, "network": network_2d(0.3, 0.5)},
                                                {"sigma": 0.3, "network": network_2d(0.1, 0.8)},
                                                {"sigma": 0.1, "network": network_2d()}]})


def reference_score(points):
    """f(x) = sum_j a_j relu(w_j . x + b_j) + bias - x, written out with numpy."""
    net = network_2d()
    out = np.tile(np.array(net["output_bias"]), (len(points), 1)) - points
    for unit in net["neurons"]:
        out += np.maximum(points @ np.array(unit["w"]) + unit["b"], 0.0)[:, None] * np.array(unit["a"])
    return out


def test_score_takes_and_returns_n_by_d(tmp_path):
    model_2d().save(tmp_path / "m.json")
    model = cs.load(tmp_path / "m.json")
    assert model.dimension == 2 and model.network.neurons == 3
    points = np.random.default_rng(2).normal(size=(50, 2)) * 2
    scores = model.score(points)
    assert scores.shape == (50, 2) and scores.dtype == np.float64
    assert np.allclose(scores, reference_score(points), rtol=1e-13, atol=1e-13)
    # Any layout and dtype: Fortran order, a strided view, integers; one point of shape (d,).
    assert np.array_equal(model.score(np.asfortranarray(points)), scores)
    assert np.array_equal(model.score(points[::2]), scores[::2])
    assert np.array_equal(model.score(np.array([[1, 2]])), model.score(np.array([[1.0, 2.0]])))
    assert np.array_equal(model.score(points[3]), scores[3])
    assert model.score(np.zeros((0, 2))).shape == (0, 2)
    for bad in (np.zeros((4, 3)), np.zeros(3), np.zeros((2, 2, 2)), np.array([["a", "b"]])):
        with pytest.raises(cs.Error, match="points must be an \\(n, 2\\) array|array of numbers"):
            model.score(bad)
    with pytest.raises(cs.Error, match="univariate"):
        model.kinks
    with pytest.raises(cs.Error, match="univariate"):
        cs.stationary_law(model)


def test_score_matches_the_cli(tmp_path):
    if not cli():
        pytest.skip("CONVEXSCORE_CLI not set")
    model = model_2d()
    model.save(tmp_path / "m.json")
    points = np.random.default_rng(4).uniform(-3, 3, size=(40, 2))
    (tmp_path / "p.csv").write_text(
        "a,b\n" + "".join(f"{a!r},{b!r}\n" for a, b in points.tolist()))
    run_cli("score", "--model", tmp_path / "m.json", "--points", tmp_path / "p.csv",
            "--out", tmp_path / "s.csv")
    table = np.loadtxt(tmp_path / "s.csv", delimiter=",", skiprows=1)
    assert np.array_equal(table[:, :2], points)
    assert np.array_equal(model.score(points), table[:, 2:])


def test_plain_and_annealed_sampling_are_reproducible():
    model = model_2d()
    a = cs.sample(model, particles=2000, steps=200, step_size=0.05, seed=5, threads=1)
    b = cs.sample(model, particles=2000, steps=200, step_size=0.05, seed=5, threads=2)
    assert a.shape == (2000, 2) and np.array_equal(a, b)
    assert not np.array_equal(a, cs.sample(model, particles=2000, steps=200, step_size=0.05,
                                           seed=6))
    levels = levels_2d()
    assert levels.sigmas == [1.0, 0.3, 0.1] and levels.dimension == 2
    c = cs.sample(levels, particles=1000, steps=50, step_size=0.01, seed=5, annealed=True,
                  threads=1)
    d = cs.sample(levels, particles=1000, steps=50, step_size=0.01, seed=5, annealed=True,
                  threads=2)
    assert c.shape == (1000, 2) and np.array_equal(c, d) and np.all(np.isfinite(c))
    # Starts from given points, one per row.
    start = np.array([[5.0, 5.0], [-5.0, 5.0]])
    e = cs.sample(model, particles=10, steps=1, step_size=1e-12, init="data", init_data=start)
    assert np.all(np.min(np.abs(e[:, None, :] - start[None]).sum(axis=2), axis=1) < 1e-3)


def test_sampling_agrees_with_the_cli(tmp_path):
    if not cli():
        pytest.skip("CONVEXSCORE_CLI not set")
    levels = levels_2d()
    levels.save(tmp_path / "l.json")
    run_cli("sample", "--model", tmp_path / "l.json", "--annealed", "--particles", "300",
            "--steps", "40", "--step-size", "0.01", "--seed", "9", "--init", "uniform:-2:2",
            "--out", tmp_path / "d.csv", "--quiet")
    from_cli = np.loadtxt(tmp_path / "d.csv", delimiter=",", skiprows=1)
    ours = cs.sample(levels, particles=300, steps=40, step_size=0.01, seed=9,
                     init="uniform:-2:2", annealed=True)
    assert np.allclose(ours, from_cli, rtol=1e-9, atol=1e-12)  # the CSV keeps ~17 digits


def test_bad_arguments_raise_convexscore_errors():
    model = model_2d()
    with pytest.raises(cs.Error, match="particles"):
        cs.sample(model, particles=-1, steps=10, step_size=0.1)
    with pytest.raises(cs.Error, match="steps"):
        cs.sample(model, particles=10, steps=0, step_size=0.1)
    with pytest.raises(cs.Error, match="step"):
        cs.sample(model, particles=10, steps=10, step_size=float("nan"))
    with pytest.raises(cs.Error, match="annealed=True"):
        cs.sample(levels_2d(), particles=10, steps=10, step_size=0.1)
    with pytest.raises(cs.Error, match="noise levels"):
        cs.sample(model, particles=10, steps=10, step_size=0.1, annealed=True)
    with pytest.raises(cs.Error, match="init_data"):
        cs.sample(model, particles=10, steps=10, step_size=0.1, init="data", init_data=np.zeros(4))
    with pytest.raises(cs.Error, match="dimension"):
        cs.sample(model, particles=10, steps=10, step_size=0.1, init="data",
                  init_data=np.zeros((4, 3)))
    with pytest.raises(cs.Error):
        cs.sample(model, particles=10, steps=10, step_size=0.1, init="data",
                  init_data=np.zeros((0, 2)))
    with pytest.raises(cs.Error, match="init='data'"):
        cs.sample(model, particles=10, steps=10, step_size=0.1, init="data")
    with pytest.raises(cs.Error, match="only used with init='data'"):
        cs.sample(model, particles=10, steps=10, step_size=0.1, init_data=np.zeros((4, 2)))
    broken = {**HEADER, "network": {**network_2d(), "output_bias": [0.2]}}
    with pytest.raises(cs.Error, match="invalid model"):
        cs.Model(broken)
    with pytest.raises(cs.Error, match="invalid model document"):
        cs.Model({**HEADER, "network": {**network_2d(), "output_bias": [0.2, float("nan")]}})
