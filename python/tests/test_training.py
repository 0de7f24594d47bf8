"""Non-convex training from Python: the model file `convexscore train` writes, and the convex
optimum as a lower bound that no run goes below."""

import numpy as np
import pytest

import convexscore as cs
from helpers import cli, field_paths, mixture, read_json, run_cli, write_column


def small_case():
    x = np.random.default_rng(1).normal(size=20)
    beta = 0.5 * cs.thresholds(x)["beta_max"]  # something to learn, and bounded
    return x, beta


def test_training_never_ends_below_the_convex_optimum():
    x, beta = small_case()
    optimum = cs.fit(x, beta=beta).objective
    floor = optimum - 1e-9 * max(1.0, abs(optimum))
    for seed in (1, 2, 3):
        for optimizer, lr in (("adam", 0.01), ("gd", 0.05)):
            model = cs.train(x, width=20, beta=beta, lr=lr, epochs=400, optimizer=optimizer,
                             seed=seed, history_every=50)
            assert model.status == "trained"
            assert model.objective >= floor
            assert model.training["best_objective"] >= floor
            assert min(value for _, value in model.training["history"]) >= floor


def test_training_from_the_convex_optimum_starts_at_its_objective():
    x, beta = small_case()
    convex = cs.fit(x, beta=beta)
    model = cs.train(x, width=None, beta=beta, lr=1e-3, epochs=5, init=convex)
    assert model.training["initial_objective"] == pytest.approx(convex.network_objective,
                                                                rel=1e-9, abs=1e-12)
    assert model.training["width"] == convex.active_neurons
    assert model.objective >= convex.objective - 1e-9 * max(1.0, abs(convex.objective))
    with pytest.raises(cs.Error, match="units but width is 999"):
        cs.train(x, width=999, beta=beta, lr=1e-3, epochs=5, init=convex)


def test_dsm_training_never_ends_below_the_convex_dsm_optimum():
    x, _ = small_case()
    # Level 0 of a convex DSM fit draws its noise with noise_seed + 0: the same noisy data.
    convex = cs.fit(x, beta=0.1, objective="dsm", sigmas=[0.3], copies=2, noise_seed=4).levels[0]
    assert convex.status == "optimal"
    for seed in (1, 2):
        model = cs.train(x, objective="dsm", sigma=0.3, copies=2, noise_seed=4, width=20,
                         beta=0.1, lr=0.01, epochs=300, seed=seed, batch=10)
        assert model.objective >= convex.objective - 1e-9 * max(1.0, abs(convex.objective))
        assert model.settings["sigma"] == 0.3 and model.training["batch"] == 10


@pytest.mark.parametrize("objective", ["sm", "dsm"])
def test_document_is_the_one_the_cli_writes(tmp_path, objective):
    if not cli():
        pytest.skip("CONVEXSCORE_CLI not set")
    x = mixture(60, 8)
    data = write_column(tmp_path / "x.csv", x)
    extra = ["--sigma", "0.4", "--copies", "2", "--noise-seed", "3"] if objective == "dsm" else []
    run_cli("train", "--data", data, "--objective", objective, "--activation", "abs", "--skip",
            "--width", "10", "--beta", "0.1", "--optimizer", "gd", "--lr", "0.02", "--epochs",
            "200", "--batch", "16", "--init-seed", "6", "--out", tmp_path / "t.json", "--quiet",
            *extra)
    from_cli = read_json(tmp_path / "t.json")
    dsm = dict(sigma=0.4, copies=2, noise_seed=3) if objective == "dsm" else {}
    model = cs.train(x, objective=objective, activation="abs", skip=True, width=10, beta=0.1,
                     optimizer="gd", lr=0.02, epochs=200, batch=16, seed=6, **dsm)
    ours = model.to_dict()
    assert field_paths(ours, skip_source=True) == field_paths(from_cli, skip_source=True)
    # Same computation, same numbers.
    assert ours["objective"] == from_cli["objective"]
    assert ours["network"] == from_cli["network"]
    assert ours["settings"] == from_cli["settings"]
    for key in ("history", "best_objective", "steps", "width", "init_seed", "start"):
        assert ours["training"][key] == from_cli["training"][key]
    # A trained model samples and saves like a fit.
    model.save(tmp_path / "ours.json")
    assert cs.load(tmp_path / "ours.json").to_dict() == ours
    assert cs.sample(model, particles=100, steps=10, step_size=0.01).shape == (100,)


def test_bad_arguments_raise_convexscore_errors():
    x = mixture(30)
    good = dict(width=5, beta=0.1, lr=0.01, epochs=5)
    for change, message in [
        (dict(width=0), "width"), (dict(width=-3), "width"), (dict(width=2**80), "width"),
        (dict(width=2.5), "width must be an integer"), (dict(epochs=-1), "epochs"),
        (dict(lr=0.0), "lr"), (dict(lr=float("nan")), "lr"), (dict(beta=-1.0), "beta"),
        (dict(batch=0), "batch"), (dict(seed=-1), "seed"), (dict(optimizer="sgd"), "optimizer|gd"),
        (dict(activation="tanh"), "activation"), (dict(objective="ml"), "objective"),
        (dict(objective="dsm"), "needs sigma"), (dict(sigma=0.3), "only used with"),
        (dict(objective="dsm", sigma=-1.0), "sigma"),
        (dict(objective="dsm", sigma=0.3, copies=0), "copies"),
    ]:
        with pytest.raises(cs.Error, match=message):
            cs.train(x, **{**good, **change})
    with pytest.raises(cs.Error, match="finite"):
        cs.train(np.array([0.0, np.nan, 1.0]), **good)
    with pytest.raises(cs.Error):
        cs.train(np.array([]), **good)
    with pytest.raises(cs.Error, match=r"must be an \(n, d\) array"):
        cs.train(np.ones((4, 2, 1)), **good)
    with pytest.raises(cs.Error, match="array of numbers"):
        cs.train([[1.0], 2.0], **good)
