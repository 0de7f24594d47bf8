"""Tests of the Python module against the library's own guarantees and the command line."""

import json
import os
import subprocess

import numpy as np
import pytest

import convexscore as cs
from helpers import mixture


def test_fit_is_certified_and_rebuilt_network_attains_the_optimum():
    x = mixture()
    model = cs.fit(x, beta=0.1)
    assert model.status == "optimal"
    assert model.relative_gap <= 1e-9
    # The network's own (non-convex) objective equals the convex value.
    assert model.network.sm_objective(x, 0.1) == pytest.approx(model.objective, rel=1e-9, abs=1e-12)
    assert abs(model.network_objective - model.objective) <= 1e-9 * max(1.0, abs(model.objective))
    t = cs.thresholds(x)
    assert t["beta_min"] == model.beta_min and t["beta_max"] == model.beta_max
    # Kinks only at data points.
    for kink in model.kinks:
        assert np.min(np.abs(x - kink)) <= 1e-9 * (1 + abs(kink))


def test_score_keeps_the_input_shape_and_matches_the_cli(tmp_path):
    x = mixture(200, 5)
    data = tmp_path / "x.csv"
    data.write_text("x\n" + "\n".join(repr(float(v)) for v in x) + "\n")
    model = cs.fit(x, beta=0.2, activation="abs", skip=True)
    grid = np.linspace(-4.0, 4.0, 12).reshape(3, 4)
    assert model.score(grid).shape == (3, 4)
    cli = os.environ.get("CONVEXSCORE_CLI")
    if cli:  # the same fit through the command line gives the same objective
        out = tmp_path / "m.json"
        subprocess.run([cli, "fit", "--data", str(data), "--activation", "abs", "--skip",
                        "--beta", "0.2", "--out", str(out), "--quiet"], check=True)
        document = json.loads(out.read_text())
        assert document["objective"] == pytest.approx(model.objective, rel=1e-12)
        assert np.allclose(cs.load(out).score(grid), model.score(grid), rtol=1e-12, atol=1e-12)


def test_save_and_load_round_trip(tmp_path):
    model = cs.fit(mixture(), beta=0.1)
    path = tmp_path / "model.json"
    model.save(path)
    loaded = cs.load(path)
    assert loaded.to_dict() == model.to_dict()
    grid = np.linspace(-5, 5, 101)
    assert np.array_equal(loaded.score(grid), model.score(grid))
    assert json.loads(path.read_text())["format"] == "convexscore-model"


def test_sampling_is_reproducible_and_follows_the_stationary_law():
    model = cs.fit(mixture(), beta=0.1)
    a = cs.sample(model, particles=4000, steps=400, step_size=0.02, seed=7, threads=1)
    b = cs.sample(model, particles=4000, steps=400, step_size=0.02, seed=7, threads=2)
    assert a.shape == (4000,)
    assert np.array_equal(a, b)
    law = cs.stationary_law(model)
    exact = law.sample(20000, 1)
    # Langevin bias at eps = 0.02 and sampling noise: W1 well under 0.1 here.
    assert cs.w1(a, exact) < 0.1
    assert law.density(np.array([0.0])).shape == (1,)


def test_metrics_against_closed_forms():
    rng = np.random.default_rng(1)
    x = rng.normal(size=5000)
    assert cs.w1(x, "gaussian") < 0.05
    assert cs.ks(x, "gaussian") < 0.03
    assert cs.w1(x, x) == 0.0
    assert abs(cs.kl(x, "gaussian")) < 0.05
    assert cs.w1(x + 1.0, "gaussian") == pytest.approx(1.0, abs=0.05)
    y = rng.normal(size=(300, 2))
    result = cs.mmd2(y, y + 3.0)
    assert result["mmd2"] > 0.5 and result["bandwidth"] > 0
    assert cs.sliced_wasserstein(y, y) == 0.0
    assert cs.energy_distance(y, y + 1.0) > 0


def test_errors_are_python_exceptions_with_the_cli_messages():
    x = mixture()
    with pytest.raises(cs.UnboundedError) as unbounded:
        cs.fit(x, beta=1e-6)
    assert unbounded.value.beta_min == pytest.approx(cs.thresholds(x)["beta_min"])
    assert isinstance(unbounded.value, ValueError)
    with pytest.raises(cs.Error, match="beta"):
        cs.fit(x, beta=-1.0)
    with pytest.raises(cs.Error, match="not a finite number"):
        cs.fit(np.array([0.0, 1.0, np.nan]), beta=0.1)
    with pytest.raises(cs.Error, match="at least 2 data points"):
        cs.fit(np.array([1.0]), beta=0.1)
    with pytest.raises(cs.Error, match="one-dimensional"):
        cs.fit(np.ones((3, 2, 1)), beta=0.1)
    with pytest.raises(cs.Error, match="rank-deficient"):  # (n, d) arrays are d-D data
        cs.fit(np.ones((3, 2)), beta=0.1)
    with pytest.raises(cs.Error, match="activation"):
        cs.fit(x, beta=0.1, activation="tanh")
    model = cs.fit(x, beta=0.1)
    with pytest.raises(cs.Error, match="step"):
        cs.sample(model, particles=10, steps=10, step_size=0.0)
    with pytest.raises(cs.Error, match="particles"):
        cs.sample(model, particles=0, steps=10, step_size=0.1)
    with pytest.raises(cs.Error):
        cs.load("/nonexistent/model.json")
    with pytest.raises(cs.Error, match="unknown|spec|'nonsense'"):
        cs.w1(x, "nonsense")


def test_main_job_example_runs(tmp_path):
    script = os.path.join(os.path.dirname(__file__), "..", "examples", "main_job.py")
    result = subprocess.run(["/usr/bin/python3", script, str(tmp_path)], capture_output=True,
                            text=True, env=dict(os.environ), timeout=120)
    assert result.returncode == 0, result.stderr
    assert "status optimal" in result.stdout
    assert (tmp_path / "main_job.png").stat().st_size > 10000
    assert cs.load(tmp_path / "model.json").status == "optimal"


def test_convex_vs_nonconvex_example_runs(tmp_path):
    script = os.path.join(os.path.dirname(__file__), "..", "examples", "convex_vs_nonconvex.py")
    result = subprocess.run(["/usr/bin/python3", script, str(tmp_path)], capture_output=True,
                            text=True, env=dict(os.environ), timeout=120)
    assert result.returncode == 0, result.stderr
    assert "status optimal" in result.stdout and result.stdout.count("Adam seed") == 4
    assert (tmp_path / "convex_vs_nonconvex.png").stat().st_size > 10000
