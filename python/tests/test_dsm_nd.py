"""Multivariate convex DSM from Python: fit(x, objective="dsm") on an (n, d) array returns the
noise-levels document `convexscore fit --columns ... --objective dsm` writes; annealed sampling
from it; errors with the command line's messages."""

import numpy as np
import pytest

import convexscore as cs
from helpers import (circle, cli, cli_error, field_paths, read_json, run_cli, without_times,
                     write_points)

SIGMAS = [0.5, 0.2]


def fit_circle(**options):
    settings = dict(beta=0.5, objective="dsm", sigmas=SIGMAS, copies=2, noise_seed=3)
    settings.update(options)
    return cs.fit(circle(), **settings)


def test_every_level_is_certified_and_training_starts_at_its_value():
    model = fit_circle()
    assert model.dimension == 2 and model.sigmas == SIGMAS
    for l, level in enumerate(model.levels):
        assert level.status == "optimal" and abs(level.relative_gap) <= 1e-9
        assert level.architecture == "per-coordinate" and level.objective_kind == "dsm"
        assert level.settings["copies"] == 2 and level.settings["noise_seed"] == 3 + l
        assert level.data["noisy_inputs"] == 16
        assert level.network_objective == pytest.approx(level.objective, rel=1e-7, abs=1e-10)
    # The non-convex DSM objective of each rebuilt network, evaluated by the trainer on the same
    # noisy data (same copies, noise seed + level index), is the convex optimum.
    trained = cs.train(circle(), width=None, beta=0.5, lr=1e-12, epochs=1, optimizer="gd",
                       objective="dsm", sigmas=SIGMAS, copies=2, noise_seed=3, init=model)
    for convex, level in zip(model.levels, trained.levels):
        assert level.training["initial_objective"] == pytest.approx(convex.objective, rel=1e-9)
    # Any layout gives the same fit: Fortran order (read in place), a strided view, integers
    # are converted.
    wide = np.zeros((8, 4))
    wide[:, ::2] = circle()
    for layout in (np.asfortranarray(circle()), wide[:, ::2]):
        other = cs.fit(layout, beta=0.5, objective="dsm", sigmas=SIGMAS, copies=2, noise_seed=3)
        assert without_times(other.to_dict()) == without_times(model.to_dict())
    # score uses the smallest sigma: (n, d) in, (n, d) out.
    grid = np.random.default_rng(1).uniform(-2, 2, size=(20, 2))
    assert np.array_equal(model.score(grid), model.levels[-1].score(grid))
    assert model.score(grid).shape == (20, 2)


def test_coordinates_on_several_threads_give_the_same_levels():
    one = without_times(fit_circle(threads=1).to_dict())
    assert without_times(fit_circle(threads=2).to_dict()) == one


def test_document_is_the_one_the_cli_writes(tmp_path):
    if not cli():
        pytest.skip("CONVEXSCORE_CLI not set")
    x = circle(8, noise=0.05)
    data = write_points(tmp_path / "x.csv", x)
    run_cli("fit", "--data", data, "--columns", "0,1", "--objective", "dsm", "--activation",
            "abs", "--beta", "0.4", "--sigmas", "0.5,0.2", "--copies", "2", "--noise-seed", "7",
            "--quiet", "--out", tmp_path / "levels.json")
    from_cli = read_json(tmp_path / "levels.json")
    model = cs.fit(x, beta=0.4, activation="abs", objective="dsm", sigmas=SIGMAS, copies=2,
                   noise_seed=7)
    ours = model.to_dict()
    assert field_paths(ours, skip_source=True) == field_paths(from_cli, skip_source=True)
    assert ours["noise_levels"][0]["data"]["source"] == {"kind": "array", "n": 8}
    for a, b in zip(ours["noise_levels"], from_cli["noise_levels"]):
        for key in ("sigma", "objective", "network", "settings", "patterns"):
            assert a[key] == b[key], key
        # Every coordinate's record but its time.
        untimed = lambda level: [{k: v for k, v in c.items() if k != "seconds"}
                                 for c in level["coordinates"]]
        assert untimed(a) == untimed(b)
        assert {k: v for k, v in a["data"].items() if k != "source"} == \
            {k: v for k, v in b["data"].items() if k != "source"}
    # Annealed sampling of the Python model equals the command line's on the same file.
    model.save(tmp_path / "ours.json")
    run_cli("sample", "--model", tmp_path / "ours.json", "--annealed", "--particles", "200",
            "--steps", "30", "--step-size", "0.005", "--seed", "4", "--out", tmp_path / "d.csv",
            "--quiet")
    from_cli_draws = np.loadtxt(tmp_path / "d.csv", delimiter=",", skiprows=1)
    draws = cs.sample(model, particles=200, steps=30, step_size=0.005, seed=4, annealed=True)
    assert np.allclose(draws, from_cli_draws, rtol=1e-9, atol=1e-12)


def test_annealed_samples_and_metrics_on_n_by_d_arrays(tmp_path):
    model = fit_circle()
    model.save(tmp_path / "m.json")
    loaded = cs.load(tmp_path / "m.json")
    draws = cs.sample(loaded, particles=500, steps=100, step_size=0.005, seed=2, annealed=True)
    assert draws.shape == (500, 2) and np.isfinite(draws).all()
    again = cs.sample(loaded, particles=500, steps=100, step_size=0.005, seed=2, annealed=True,
                      threads=2)
    assert np.array_equal(draws, again)
    # The metrics take (n, d) arrays: zero for a sample against itself, positive otherwise,
    # and shapes that do not match are errors, not crashes.
    data = circle(400)
    assert cs.sliced_wasserstein(draws, draws) == 0.0
    assert cs.energy_distance(draws, draws) == pytest.approx(0.0, abs=1e-12)
    assert cs.energy_distance(draws, data) > 0
    far = cs.mmd2(draws, data + 5.0)["mmd2"]
    assert far > cs.mmd2(draws, data)["mmd2"] and np.isfinite(far)
    assert cs.sliced_wasserstein(draws, data + 5.0) > cs.sliced_wasserstein(draws, data)
    for metric in (cs.mmd2, cs.sliced_wasserstein, cs.energy_distance):
        with pytest.raises(cs.Error):
            metric(draws, np.zeros((10, 3)))
        with pytest.raises(cs.Error):
            metric(draws, [["a", "b"]])
    with pytest.raises(cs.Error, match="annealed=True"):
        cs.sample(loaded, particles=10, steps=10, step_size=0.01)


def test_errors_carry_the_command_line_messages(tmp_path):
    x = circle()
    cases = [  # (python arguments, command-line arguments)
        (dict(sigmas=[0.5, -0.1]), ["--sigmas", "0.5,-0.1"]),
        (dict(sigmas=[0.2, 0.5]), ["--sigmas", "0.2,0.5"]),
        (dict(patterns="exact", pattern_directions=0), ["--patterns", "sampled",
                                                        "--pattern-directions", "0"]),
    ]
    if cli():
        data = write_points(tmp_path / "x.csv", x)
        base = ["fit", "--data", data, "--columns", "0,1", "--objective", "dsm", "--activation",
                "relu", "--beta", "0.5", "--out", tmp_path / "m.json"]
        for options, arguments in cases:
            with pytest.raises(cs.Error) as info:
                fit_circle(**options)
            cli_arguments = base + (arguments if "--sigmas" in arguments
                                    else arguments + ["--sigmas", "0.5"])
            message = cli_error(*cli_arguments)
            assert str(info.value).replace("pattern_directions", "--pattern-directions") \
                .replace("sigmas:", "--sigmas:") == message
        # Too few points for the dimension: the library's message, word for word.
        few = write_points(tmp_path / "few.csv", x[:2])
        message = cli_error("fit", "--data", few, "--columns", "0,1", "--objective", "dsm",
                            "--activation", "relu", "--beta", "0.5", "--sigmas", "0.5",
                            "--out", tmp_path / "m.json")
        with pytest.raises(cs.Error) as info:
            cs.fit(x[:2], beta=0.5, objective="dsm", sigmas=[0.5])
        assert str(info.value) == message == "too few points for dimension 2: 2, need at least 3"
    with pytest.raises(cs.Error, match="sigmas: sigma 0 is not positive"):
        fit_circle(sigmas=[0.5, 0.0])
    with pytest.raises(cs.Error, match="copies"):
        fit_circle(copies=0)
    with pytest.raises(cs.Error, match="beta must be positive"):
        fit_circle(beta=0.0)
    with pytest.raises(cs.Error, match="non-finite|not finite|NaN"):
        cs.fit(np.r_[x, [[np.nan, 0.0]]], beta=0.5, objective="dsm", sigmas=[0.5])
    with pytest.raises(cs.Error, match=r"patterns='exact': exact patterns are enumerated for d <= 3"):
        cs.fit(np.random.default_rng(1).normal(size=(8, 4)), beta=0.5, objective="dsm",
               sigmas=[0.5], patterns="exact")
    with pytest.raises(cs.Error, match="pattern budget exceeded"):
        fit_circle(memory_limit=1e-9)
    with pytest.raises(cs.Error, match="memory_limit must be positive"):
        fit_circle(memory_limit=-1)
    with pytest.raises(cs.Error, match="fitted per coordinate"):
        fit_circle(architecture="shared")
    with pytest.raises(cs.Error, match="threshold_tolerance"):
        fit_circle(threshold_tolerance=0.2)
    with pytest.raises(cs.Error, match="skip"):
        fit_circle(skip=True)
    with pytest.raises(cs.Error, match="needs sigmas"):
        cs.fit(x, beta=0.5, objective="dsm")
