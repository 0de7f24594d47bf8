"""convexscore: two-layer score models trained to a certified global optimum.

Score matching for two-layer ReLU / absolute-value networks is solved as an exact convex
program; the answer comes with its certificates (duality gap, the rebuilt network's own
objective, beta_min / beta_max). Results are `Model` objects with the fields of the JSON model
file that `convexscore fit` writes, and can be saved and loaded in that format.

    import convexscore as cs
    model = cs.fit(x, beta=0.1)                 # x: 1-D numpy array
    draws = cs.sample(model, particles=10000, steps=1000, step_size=0.01)

Errors raise convexscore.Error (a ValueError) with the same one-line message as the command
line; asking for beta below beta_min raises UnboundedError, which carries beta_min.
"""

import json as _json

import numpy as _np

from . import _core
from ._core import Error

__all__ = [
    "Error", "UnboundedError", "Model", "StationaryLaw", "fit", "thresholds", "load", "sample",
    "stationary_law", "w1", "ks", "energy_distance", "kl", "mmd2", "sliced_wasserstein",
]


class UnboundedError(Error):
    """beta is below beta_min: the objective has no lower bound, so no optimum exists."""

    def __init__(self, message, beta_min):
        super().__init__(message)
        self.beta_min = beta_min


class Model:
    """A fitted (or loaded) score model: the model document plus its network.

    Every top-level field of the document is an attribute (status, objective, duality_gap,
    relative_gap, kkt_residual, beta_min, beta_max, active_neurons, settings, data, ...).
    For a document with noise levels, `score` uses the smallest sigma.
    """

    def __init__(self, document):
        if not isinstance(document, dict):
            raise Error("a model document must be a dict (a parsed model file)")
        self._document = document
        text = _json.dumps(document)
        self._network = _core.Network1D.finest_from_model_json(text)

    def __getattr__(self, name):
        document = self.__dict__.get("_document", {})
        if name in document:
            return document[name]
        raise AttributeError(f"model has no field '{name}'")

    def __repr__(self):
        d = self._document
        fields = ", ".join(f"{k}={d[k]!r}" for k in ("status", "objective", "active_neurons") if k in d)
        return f"convexscore.Model({fields})"

    @property
    def network(self):
        """The network (weights, kinks, activation) at the smallest noise level."""
        return self._network

    def score(self, x):
        """The predicted score at x (any shape), as a numpy array of that shape."""
        return self._network.score(x)

    def score_derivative(self, x):
        return self._network.score_derivative(x)

    @property
    def kinks(self):
        return self._network.kinks

    def to_dict(self):
        """The model document (a deep copy), as the JSON model file holds it."""
        return _json.loads(_json.dumps(self._document))

    def to_json(self):
        return _json.dumps(self._document, indent=2)

    def save(self, path):
        """Writes the model file atomically (the file appears whole or not at all)."""
        _core.write_model_file(str(path), _json.dumps(self._document))


def _array_1d(x, name="x"):
    a = _np.asarray(x, dtype=_np.float64)
    if a.ndim != 1:
        raise Error(f"{name} must be a one-dimensional array, got {a.ndim} dimensions")
    return a


def fit(x, beta, activation="relu", skip=False, gap_tolerance=1e-9, max_iterations=200):
    """Fits a univariate score model by the exact convex score-matching program.

    Returns a Model; raises UnboundedError when beta < beta_min and Error for bad input.
    """
    document = _json.loads(_core.fit_sm1d(_array_1d(x), str(activation), bool(skip), float(beta),
                                          float(gap_tolerance), int(max_iterations)))
    if document.get("status") == "unbounded":
        raise UnboundedError(document.get("message", "unbounded"), document.get("beta_min"))
    return Model(document)


def thresholds(x, activation="relu", skip=False):
    """{'beta_min': ..., 'beta_max': ...} of the data, exact."""
    return _core.thresholds_sm1d(_array_1d(x), str(activation), bool(skip))


def load(path):
    """Reads a model file written by `convexscore fit` or Model.save."""
    return Model(_json.loads(_core.read_model_file(str(path))))


def sample(model, particles, steps, step_size, seed=1, init="gaussian", init_data=None,
           threads=0, annealed=False):
    """Langevin samples from the model's score: x <- x + (eps/2) f(x) + sqrt(eps) z.

    init: "gaussian", "gaussian:MEAN:SD", "uniform:LO:HI" or "data" (with init_data). With
    annealed=True the model must hold noise levels. The same seed gives the same samples for
    any number of threads.
    """
    if not isinstance(model, Model):
        raise Error("sample needs a convexscore.Model (from fit or load)")
    data = None if init_data is None else _array_1d(init_data, "init_data")
    return _core.sample(_json.dumps(model._document), int(particles), int(steps), float(step_size),
                        int(seed), str(init), data, int(threads), bool(annealed))


StationaryLaw = _core.StationaryLaw


def stationary_law(model):
    """The exact stationary law of Langevin dynamics driven by the model's score."""
    return _core.StationaryLaw(model.network)


def _is_spec(y):
    return isinstance(y, str)


def w1(x, y):
    """Wasserstein-1 distance between samples x and y, or x and a law spec such as 'gaussian'."""
    return _core.w1_law(_array_1d(x), y) if _is_spec(y) else _core.w1(_array_1d(x), _array_1d(y, "y"))


def ks(x, y):
    """Kolmogorov-Smirnov statistic against a sample or a law spec."""
    return _core.ks_law(_array_1d(x), y) if _is_spec(y) else _core.ks(_array_1d(x), _array_1d(y, "y"))


def energy_distance(x, y):
    """Energy distance: 1-D (sample or law spec) or d-D samples (rows are points)."""
    if _is_spec(y):
        return _core.energy_1d_law(_array_1d(x), y)
    xa, ya = _np.asarray(x, dtype=_np.float64), _np.asarray(y, dtype=_np.float64)
    if xa.ndim == 1 and ya.ndim == 1:
        return _core.energy_1d(xa, ya)
    return _core.energy_nd(xa, ya)


def kl(x, spec, k=0):
    """KL(sample law || spec) by the Kozachenko-Leonenko k-nearest-neighbour estimator."""
    return _core.kl_law(_array_1d(x), spec, int(k))


def mmd2(x, y):
    """Unbiased MMD^2 with an RBF kernel and median-heuristic bandwidth: {'mmd2', 'bandwidth'}."""
    return _core.mmd2(x, y)


def sliced_wasserstein(x, y, projections=100, seed=1):
    return _core.sliced_w1(x, y, int(projections), int(seed))
