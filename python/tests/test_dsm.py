"""Univariate convex DSM from Python: certificates, the document `fit --objective dsm` writes,
and annealed sampling from it."""

import numpy as np
import pytest

import convexscore as cs
from helpers import cli, field_paths, mixture, read_json, run_cli, write_column

SIGMAS = [0.5, 0.2, 0.05]


def test_every_level_is_certified():
    x = mixture(150, 4)
    model = cs.fit(x, beta=0.05, objective="dsm", sigmas=SIGMAS, copies=3, noise_seed=11)
    assert model.sigmas == SIGMAS
    assert len(model.levels) == 3
    for sigma, level in zip(SIGMAS, model.levels):
        assert level.status == "optimal"
        assert level.relative_gap <= 1e-9
        # The rebuilt network attains the convex value.
        assert abs(level.network_objective - level.objective) <= 1e-9 * max(1.0, abs(level.objective))
        assert level.settings["sigma"] == sigma and level.settings["copies"] == 3
        assert level.settings["noise_seed"] == 11 + SIGMAS.index(sigma)
        assert level.data["noisy_inputs"] == 150 * 3
    # score uses the smallest sigma.
    grid = np.linspace(-4, 4, 9)
    assert np.array_equal(model.score(grid), model.levels[-1].score(grid))


def test_document_is_the_one_the_cli_writes(tmp_path):
    if not cli():
        pytest.skip("CONVEXSCORE_CLI not set")
    x = mixture(120, 6)
    data = write_column(tmp_path / "x.csv", x)
    run_cli("fit", "--data", data, "--activation", "abs", "--skip", "--beta", "0.1",
            "--objective", "dsm", "--sigmas", "0.5,0.2,0.05", "--copies", "2", "--noise-seed", "5",
            "--out", tmp_path / "levels.json", "--quiet")
    from_cli = read_json(tmp_path / "levels.json")
    model = cs.fit(x, beta=0.1, activation="abs", skip=True, objective="dsm", sigmas=SIGMAS,
                   copies=2, noise_seed=5)
    ours = model.to_dict()
    # The same fields; only where the data came from differs (an array, a file).
    assert field_paths(ours, skip_source=True) == field_paths(from_cli, skip_source=True)
    assert ours["noise_levels"][0]["data"]["source"] == {"kind": "array", "n": 120}
    for a, b in zip(ours["noise_levels"], from_cli["noise_levels"]):
        assert a["objective"] == b["objective"]
        assert a["network"] == b["network"]
        assert a["settings"] == b["settings"]
        assert {k: v for k, v in a["data"].items() if k != "source"} == \
            {k: v for k, v in b["data"].items() if k != "source"}
    # The CLI samples the Python model file like its own.
    model.save(tmp_path / "ours.json")
    run_cli("sample", "--model", tmp_path / "ours.json", "--annealed", "--particles", "50",
            "--steps", "20", "--step-size", "0.001", "--out", tmp_path / "d.csv", "--quiet")


def test_annealed_sampling_is_reproducible():
    model = cs.fit(mixture(100, 2), beta=0.1, objective="dsm", sigmas=[0.8, 0.3, 0.1], copies=2)
    a = cs.sample(model, particles=3000, steps=100, step_size=0.002, seed=3, annealed=True,
                  threads=1)
    b = cs.sample(model, particles=3000, steps=100, step_size=0.002, seed=3, annealed=True,
                  threads=2)
    assert a.shape == (3000,)
    assert np.array_equal(a, b)
    assert np.all(np.isfinite(a))
    with pytest.raises(cs.Error, match="annealed=True"):
        cs.sample(model, particles=10, steps=10, step_size=0.01)
    with pytest.raises(cs.Error, match="noise levels"):
        cs.sample(cs.fit(mixture(), beta=0.1), particles=10, steps=10, step_size=0.01,
                  annealed=True)


def test_bad_arguments_raise_convexscore_errors():
    x = mixture(50)
    with pytest.raises(cs.Error, match="needs sigmas"):
        cs.fit(x, beta=0.1, objective="dsm")
    with pytest.raises(cs.Error, match="sigma 0 is not positive"):
        cs.fit(x, beta=0.1, objective="dsm", sigmas=[0.5, 0.0])
    with pytest.raises(cs.Error, match="is not positive"):
        cs.fit(x, beta=0.1, objective="dsm", sigmas=[np.nan])
    with pytest.raises(cs.Error, match=r"strictly decrease \(0.1 then 0.5\)"):
        cs.fit(x, beta=0.1, objective="dsm", sigmas=[0.1, 0.5])
    with pytest.raises(cs.Error, match="no noise levels"):
        cs.fit(x, beta=0.1, objective="dsm", sigmas=[])
    with pytest.raises(cs.Error, match="copies"):
        cs.fit(x, beta=0.1, objective="dsm", sigmas=[0.5], copies=-2)
    with pytest.raises(cs.Error, match="copies"):
        cs.fit(x, beta=0.1, objective="dsm", sigmas=[0.5], copies=2.5)
    with pytest.raises(cs.Error, match="beta must be positive"):
        cs.fit(x, beta=0.0, objective="dsm", sigmas=[0.5])
    with pytest.raises(cs.Error, match="not a finite number|finite"):
        cs.fit(np.array([0.0, np.inf]), beta=0.1, objective="dsm", sigmas=[0.5])
    with pytest.raises(cs.Error):
        cs.fit(np.array([]), beta=0.1, objective="dsm", sigmas=[0.5])
    with pytest.raises(cs.Error, match="array of numbers"):
        cs.fit(np.array(["a", "b"]), beta=0.1, objective="dsm", sigmas=[0.5])
    with pytest.raises(cs.Error, match="needs objective='dsm'"):
        cs.fit(x, beta=0.1, sigmas=[0.5])
    with pytest.raises(cs.Error, match="objective must be"):
        cs.fit(x, beta=0.1, objective="ml")
