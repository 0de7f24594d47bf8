"""d-D non-convex training from Python: train(x) on an (n, d) array returns the document
`convexscore train --columns ...` writes (one level, or a noise-levels document with sigmas);
from a convex fit, the first objective is the convex network's; errors name the arguments."""

import numpy as np
import pytest

import convexscore as cs
from helpers import circle, cli, field_paths, read_json, run_cli, write_points


def test_gradient_descent_decreases_the_objective():
    x = circle(10, noise=0.05)
    model = cs.train(x, width=6, beta=0.1, lr=0.002, epochs=300, optimizer="gd", seed=4,
                     history_every=1)
    assert model.status == "trained" and model.dimension == 2
    history = [value for _, value in model.training["history"]]
    assert history[0] == model.training["initial_objective"]
    assert history[-1] == model.objective < history[0]
    # Small steps of gradient descent on an objective that is smooth between the kinks: every
    # epoch goes down.
    assert all(b < a for a, b in zip(history, history[1:]))
    assert model.settings["bias_decay"] == "free" and model.network.neurons == 6
    assert model.score(x).shape == (10, 2)
    again = cs.train(np.asfortranarray(x), width=6, beta=0.1, lr=0.002, epochs=300,
                     optimizer="gd", seed=4, history_every=1)
    assert again.to_dict()["network"] == model.to_dict()["network"]
    draws = cs.sample(model, particles=50, steps=20, step_size=0.01, seed=1)
    assert draws.shape == (50, 2) and np.isfinite(draws).all()


def test_multi_sigma_training_is_a_noise_levels_model():
    x = circle(8)
    model = cs.train(x, width=5, beta=0.2, lr=0.01, epochs=30, objective="dsm",
                     sigmas=[0.6, 0.3, 0.1], copies=2, noise_seed=5, penalize_biases=True)
    assert model.sigmas == [0.6, 0.3, 0.1] and model.dimension == 2
    for l, level in enumerate(model.levels):
        assert level.settings["noise_seed"] == 5 + l and level.settings["copies"] == 2
        assert level.settings["bias_decay"] == "penalized"
    draws = cs.sample(model, particles=300, steps=30, step_size=0.01, seed=3, annealed=True)
    assert draws.shape == (300, 2) and np.isfinite(draws).all()
    one = cs.train(x, width=5, beta=0.2, lr=0.01, epochs=30, objective="dsm", sigma=0.3,
                   copies=2, noise_seed=6)
    assert one.sigmas is None and one.settings["sigma"] == 0.3
    assert one.settings["noise_seed"] == 6 and one.training["epochs"] == 30


@pytest.mark.parametrize("objective", ["sm", "dsm"])
def test_document_is_the_one_the_cli_writes(tmp_path, objective):
    if not cli():
        pytest.skip("CONVEXSCORE_CLI not set")
    x = circle(10, noise=0.05)
    data = write_points(tmp_path / "x.csv", x)
    extra = ["--sigmas", "0.5,0.2", "--copies", "2", "--noise-seed", "3"] if objective == "dsm" else []
    run_cli("train", "--data", data, "--columns", "0,1", "--objective", objective,
            "--activation", "abs", "--width", "6", "--beta", "0.1", "--optimizer", "adam",
            "--lr", "0.01", "--epochs", "40", "--batch", "4", "--init-seed", "6",
            "--penalize-biases", "--out", tmp_path / "t.json", "--quiet", *extra)
    from_cli = read_json(tmp_path / "t.json")
    dsm = dict(sigmas=[0.5, 0.2], copies=2, noise_seed=3) if objective == "dsm" else {}
    model = cs.train(x, objective=objective, activation="abs", width=6, beta=0.1, lr=0.01,
                     epochs=40, batch=4, seed=6, penalize_biases=True, **dsm)
    ours = model.to_dict()
    assert field_paths(ours, skip_source=True) == field_paths(from_cli, skip_source=True)
    pairs = zip(ours["noise_levels"], from_cli["noise_levels"]) if objective == "dsm" \
        else [(ours, from_cli)]
    for a, b in pairs:
        assert a["objective"] == b["objective"]
        assert a["network"] == b["network"]
        assert a["settings"] == b["settings"]
        for key in ("history", "best_objective", "steps", "width", "init_seed", "start"):
            assert a["training"][key] == b["training"][key], key


def test_bad_arguments_raise_convexscore_errors(tmp_path):
    x = circle(8)
    good = dict(width=4, beta=0.1, lr=0.01, epochs=2)
    with pytest.raises(cs.Error, match="need at least 2 points"):
        cs.train(x[:1], **good)
    with pytest.raises(cs.Error, match="sigmas: the levels must strictly decrease"):
        cs.train(x, objective="dsm", sigmas=[0.2, 0.5], **good)
    with pytest.raises(cs.Error, match="not both"):
        cs.train(x, objective="dsm", sigma=0.2, sigmas=[0.5, 0.2], **good)
    with pytest.raises(cs.Error, match="sigmas is for d-D data"):
        cs.train(x[:, 0], objective="dsm", sigmas=[0.5, 0.2], **good)
    with pytest.raises(cs.Error, match="penalize_biases is for d-D data"):
        cs.train(x[:, 0], penalize_biases=True, **good)
    with pytest.raises(cs.Error, match="width is required"):
        cs.train(x, **{**good, "width": None})
    with pytest.raises(cs.Error, match="init must be a convexscore.Model"):
        cs.train(x, init={"network": {}}, **good)
    levels = cs.fit(x, beta=0.5, objective="dsm", sigmas=[0.5, 0.2], copies=1)
    levels.save(tmp_path / "levels.json")
    levels = cs.load(tmp_path / "levels.json")
    with pytest.raises(cs.Error, match="levels.json holds denoising models at noise levels "
                                       "0.5, 0.2; start sm training"):
        cs.train(x, init=levels, **{**good, "width": None})
    with pytest.raises(cs.Error, match=r"has no model at sigma 0.3 \(its noise levels: 0.5, 0.2\)"):
        cs.train(x, init=levels, objective="dsm", sigma=0.3, **{**good, "width": None})
    with pytest.raises(cs.Error, match="units but width is 999"):
        cs.train(x, init=levels, objective="dsm", sigma=0.5, **{**good, "width": 999})
    with pytest.raises(cs.Error, match="has dimension 2 but the data have 3 columns"):
        cs.train(np.random.default_rng(1).normal(size=(8, 3)), init=levels, objective="dsm",
                 sigma=0.5, **{**good, "width": None})
    with pytest.raises(cs.Error, match="activation"):
        cs.train(x, init=levels, objective="dsm", sigma=0.5, activation="abs",
                 **{**good, "width": None})
