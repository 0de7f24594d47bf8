"""convexscore: two-layer score models trained to a certified global optimum.

Score matching for two-layer ReLU / absolute-value networks is solved as an exact convex
program; the answer comes with its certificates (duality gap, the rebuilt network's own
objective, beta_min / beta_max). Results are `Model` objects with the fields of the JSON model
file that `convexscore fit` writes, and can be saved and loaded in that format.

    import convexscore as cs
    model = cs.fit(x, beta=0.1)                 # x: 1-D numpy array, or (n, d) for d-D SM
    draws = cs.sample(model, particles=10000, steps=1000, step_size=0.01)

Also, in 1-D and on (n, d) arrays (rows are points): fit(..., objective="dsm", sigmas=[...])
(one model per noise level, for sample(..., annealed=True)); fit(x_nd, architecture="shared")
(one hidden layer for all coordinates: lower_bound, upper_bound, gap); train(...) (non-convex
GD/Adam, as `convexscore train`; sigmas=[...] and penalize_biases in d-D, init=model to start
from a fit); thresholds; load of model files; d-D models score and sample (n, d) arrays, and
mmd2, sliced_wasserstein and energy_distance compare (n, d) samples.

Errors raise convexscore.Error (a ValueError) with the same one-line message as the command
line; asking for beta below beta_min raises UnboundedError, which carries beta_min.
"""

import json as _json
import operator as _operator
import warnings as _warnings

import numpy as _np

from . import _core
from ._core import Error

__all__ = [
    "Error", "UnboundedError", "Model", "StationaryLaw", "fit", "train", "thresholds", "load", "sample",
    "stationary_law", "w1", "ks", "energy_distance", "kl", "mmd2", "sliced_wasserstein",
]


class UnboundedError(Error):
    """beta is below beta_min: the objective has no lower bound, so no optimum exists."""

    def __init__(self, message, beta_min):
        super().__init__(message)
        self.beta_min = beta_min


class Model:
    """A fitted, trained or loaded score model: the model document plus its network.

    Every top-level field of the document is an attribute (status, objective, duality_gap,
    relative_gap, kkt_residual, beta_min, beta_max, active_neurons, settings, data, ...; a
    noise-levels document has noise_levels instead, see `levels`). For a document with noise
    levels, `score` uses the smallest sigma. d-D models (dimension >= 2) score (n, d) arrays.
    """

    def __init__(self, document):
        if not isinstance(document, dict):
            raise Error("a model document must be a dict (a parsed model file)")
        self._document = document
        self._path = None  # the model file it was loaded from or last saved to
        text = _dumps(document)
        if _core.is_multivariate(text):
            self._network = _core.NetworkND.finest_from_model_json(text)
        else:
            self._network = _core.Network1D.finest_from_model_json(text)

    def __getattr__(self, name):
        document = self.__dict__.get("_document", {})
        if name in document:
            return document[name]
        raise AttributeError(f"model has no field '{name}'")

    def __repr__(self):
        d = self._document
        keys = ("status", "objective", "active_neurons")
        fields = ", ".join(f"{k}={d[k]!r}" for k in keys if k in d)
        if "noise_levels" in d:
            fields = f"sigmas={self.sigmas!r}"
        if self.dimension != 1:
            fields = f"dimension={self.dimension}" + (", " + fields if fields else "")
        return f"convexscore.Model({fields})"

    @property
    def dimension(self):
        """1 for univariate models, d for d-D ones."""
        return 1 if isinstance(self._network, _core.Network1D) else self._network.dimension

    @property
    def network(self):
        """The network (weights, activation) at the smallest noise level."""
        return self._network

    @property
    def sigmas(self):
        """The noise levels, largest first (None for a single-model document)."""
        levels = self._document.get("noise_levels")
        return None if levels is None else [level["sigma"] for level in levels]

    @property
    def levels(self):
        """The model at each noise level, largest sigma first, as Models (None for a
        single-model document)."""
        levels = self._document.get("noise_levels")
        if levels is None:
            return None
        header = {k: self._document[k] for k in ("format", "version", "dimension")
                  if k in self._document}
        return [Model({**header, **level}) for level in levels]

    def score(self, x):
        """The predicted score. 1-D models: at x of any shape, an array of that shape. d-D
        models: at the rows of an (n, d) array (or one point of shape (d,)), same shape."""
        return self._network.score(_array(x))

    def score_derivative(self, x):
        self._require_univariate("score_derivative")
        return self._network.score_derivative(_array(x))

    @property
    def kinks(self):
        self._require_univariate("kinks")
        return self._network.kinks

    def _require_univariate(self, what):
        if self.dimension != 1:
            raise Error(f"{what} is for univariate models; this one has dimension {self.dimension}")

    def to_dict(self):
        """The model document (a deep copy), as the JSON model file holds it."""
        return _json.loads(_json.dumps(self._document))

    def to_json(self):
        return _json.dumps(self._document, indent=2)

    def save(self, path):
        """Writes the model file atomically (the file appears whole or not at all)."""
        _core.write_model_file(str(path), _dumps(self._document))
        self._path = str(path)


def _dumps(document):
    try:
        return _json.dumps(document, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise Error(f"invalid model document: {e}") from None


def _integer(name, value, low, high):
    """value as a Python int in [low, high], else Error (not TypeError or OverflowError)."""
    try:
        n = _operator.index(value)
    except TypeError:
        raise Error(f"{name} must be an integer, got {value!r}") from None
    if not low <= n <= high:
        raise Error(f"{name}: need {low} <= N <= {high} (got {n})")
    return n


def _int64(name, value):
    """An integer for the library to check (clamped to 64 bits so that it gets there)."""
    n = _integer(name, value, -_np.inf, _np.inf)
    return max(-2**63, min(n, 2**63 - 1))


def _number(name, value):
    try:
        return float(value)
    except (TypeError, ValueError):
        raise Error(f"{name} must be a number, got {value!r}") from None


_INT_MAX = 2**31 - 1
_UINT64_MAX = 2**64 - 1


def _array(x, name="x"):
    """x as a float64 numpy array (no copy when it already is one), else Error."""
    try:
        return _np.asarray(x, dtype=_np.float64)
    except (TypeError, ValueError) as e:
        raise Error(f"{name} must be an array of numbers: {e}") from None


def _array_1d(x, name="x"):
    a = _array(x, name)
    if a.ndim != 1:
        raise Error(f"{name} must be a one-dimensional array, got {a.ndim} dimensions")
    return a


def fit(x, beta, activation="relu", skip=False, gap_tolerance=None, max_iterations=None,
        objective="sm", sigmas=None, copies=5, noise_seed=None, architecture=None,
        patterns=None, pattern_directions=None, pattern_seed=None, threshold_tolerance=None,
        memory_limit=None, threads=None):
    """Fits a score model by an exact convex program, as `convexscore fit` does.

    x: a 1-D array (univariate) or an (n, d) array with d >= 2 (multivariate). gap_tolerance
    and max_iterations default to the solver's own (1e-9 and 200 iterations in 1-D; 1e-10 and
    200000 proximal-gradient steps in d-D).

    objective="sm": score matching on x; returns a Model; raises UnboundedError when
    beta < beta_min (in d-D its beta_min is the certified lower bound).

    objective="dsm": denoising score matching, one fit per noise level in `sigmas` (positive,
    strictly decreasing), each on `copies` noisy copies of every point drawn with seed
    noise_seed + level index (noise_seed defaults to 1, as on the command line); returns a Model
    over the noise-levels document `convexscore fit --objective dsm` writes, for
    sample(..., annealed=True).

    Multivariate options: architecture "per-coordinate" (the default: one scalar network per
    score coordinate, exact) or "shared" (sm only: one hidden layer for all coordinates, fitted
    by the nuclear-norm relaxation; the Model has lower_bound, upper_bound and gap); patterns
    "auto" (exact for d <= 3), "exact" or "sampled" with pattern_directions (1000) and
    pattern_seed (1); threshold_tolerance (per-coordinate sm, 0.1) is the relative width of
    the certified bracket [beta_min_lower, beta_min_upper] of beta_min (the model's beta_min is
    its upper end); memory_limit (dsm, GiB) refuses pattern sets estimated above it; threads
    (per-coordinate fits, 0 = one per core, the default) solves the coordinates on that many
    threads, with the same model for any count.
    Raises Error for bad input.
    """
    if gap_tolerance is not None:
        gap_tolerance = _number("gap_tolerance", gap_tolerance)
        if not gap_tolerance > 0:
            raise Error("gap_tolerance must be positive")
    if max_iterations is not None:
        max_iterations = _integer("max_iterations", max_iterations, 1, 1_000_000)
    beta = _number("beta", beta)
    points = _array(x)
    if objective not in ("sm", "dsm"):
        raise Error(f"objective must be 'sm' or 'dsm', got {objective!r}")
    if objective == "dsm":
        if sigmas is None:
            raise Error("objective 'dsm' needs sigmas (e.g. sigmas=[0.5, 0.1, 0.05])")
        copies = _integer("copies", copies, 1, 1_000_000)
        noise_seed = _integer("noise_seed", 1 if noise_seed is None else noise_seed, 0, _UINT64_MAX)
        sigmas = _array_1d(_np.atleast_1d(_array(sigmas, "sigmas")), "sigmas")
    else:
        for given, name in ((sigmas is not None, "sigmas"), (copies != 5, "copies"),
                            (noise_seed is not None, "noise_seed")):
            if given:
                raise Error(f"{name} needs objective='dsm'")
    multivariate_options = {"architecture": architecture, "patterns": patterns,
                            "pattern_directions": pattern_directions,
                            "pattern_seed": pattern_seed,
                            "threshold_tolerance": threshold_tolerance,
                            "memory_limit": memory_limit, "threads": threads}
    if points.ndim == 2 and points.shape[1] >= 2:
        return _fit_multivariate(points, beta, activation, skip, gap_tolerance, max_iterations,
                                 objective, sigmas, copies, noise_seed, **multivariate_options)
    for name, value in multivariate_options.items():
        if value is not None:
            raise Error(f"{name} is for multivariate data (an (n, d) array with d >= 2)")
    gap_tolerance = 1e-9 if gap_tolerance is None else gap_tolerance
    max_iterations = 200 if max_iterations is None else max_iterations
    if objective == "dsm":
        document = _json.loads(_core.fit_dsm1d(_array_1d(x), str(activation), bool(skip), beta,
                                               sigmas, copies, noise_seed, gap_tolerance,
                                               max_iterations))
        return _levels_model(document)
    document = _json.loads(_core.fit_sm1d(_array_1d(x), str(activation), bool(skip), beta,
                                          gap_tolerance, max_iterations))
    return _certified_model(document)


def _certified_model(document):
    """The Model of a fit's document; UnboundedError when it says so, a warning when the solver
    did not certify optimality."""
    if document.get("status") == "unbounded":
        raise UnboundedError(document.get("message", "unbounded"), document.get("beta_min"))
    if document.get("status") != "optimal":
        _warnings.warn(f"the solver stopped with status {document.get('status')}; the model is "
                       "not certified optimal")
    return Model(document)


def _levels_model(document):
    """The Model of a noise-levels document; a warning for each level that is not certified."""
    for level in document["noise_levels"]:
        if level.get("status") != "optimal":
            _warnings.warn(f"at sigma {level['sigma']:g} the solver stopped with status "
                           f"{level.get('status')}; the model is not certified optimal")
    return Model(document)


def _fit_multivariate(x, beta, activation, skip, gap_tolerance, max_iterations, objective,
                      sigmas, copies, noise_seed, architecture, patterns, pattern_directions,
                      pattern_seed, threshold_tolerance, memory_limit, threads):
    if skip:
        raise Error("skip is not available for multivariate data (the networks have no skip "
                    "term)")
    architecture = "per-coordinate" if architecture is None else architecture
    if architecture not in ("per-coordinate", "shared"):
        raise Error(f"architecture must be 'per-coordinate' or 'shared', got {architecture!r}")
    if not beta > 0:
        raise Error(f"beta must be positive (got {beta!r})")
    pattern_options = (
        "auto" if patterns is None else str(patterns),
        _int64("pattern_directions", 1000 if pattern_directions is None else pattern_directions),
        _integer("pattern_seed", 1 if pattern_seed is None else pattern_seed, 0, _UINT64_MAX))
    if objective == "dsm" or architecture == "shared":
        if threshold_tolerance is not None:
            raise Error("threshold_tolerance is for objective='sm' with architecture "
                        "'per-coordinate'")
    if objective == "sm" and memory_limit is not None:
        raise Error("memory_limit needs objective='dsm'")
    if threads is not None and architecture == "shared":
        raise Error("threads applies to d-D fits with one network per coordinate")
    threads = _integer("threads", 0 if threads is None else threads, 0, 1024)
    if objective == "dsm":
        if architecture == "shared":
            raise Error("architecture 'shared': multivariate dsm is fitted per coordinate")
        if memory_limit is not None:
            memory_limit = _number("memory_limit", memory_limit)
        document = _json.loads(_core.fit_dsmnd(x, str(activation), beta, sigmas, copies,
                                               noise_seed, gap_tolerance, max_iterations,
                                               *pattern_options, memory_limit, threads))
        return _levels_model(document)
    threshold_tolerance = _number("threshold_tolerance",
                                  0.1 if threshold_tolerance is None else threshold_tolerance)
    if not 0 < threshold_tolerance < 1:
        raise Error(f"threshold_tolerance must be in (0, 1) (got {threshold_tolerance!r})")
    document = _json.loads(_core.fit_smnd(x, architecture, str(activation), beta, gap_tolerance,
                                          max_iterations, *pattern_options, threshold_tolerance,
                                          threads))
    return _certified_model(document)


def train(x, width, beta, lr, epochs, objective="sm", activation=None, skip=False,
          optimizer="adam", batch=None, seed=1, sigma=None, copies=1, noise_seed=1,
          history_every=10, sigmas=None, penalize_biases=False, init=None):
    """Trains the same network the usual way, by gradient descent ("gd") or Adam on the
    non-convex SM or DSM objective, as `convexscore train` does. Returns a Model in the format
    it writes: status "trained", objective the final training objective, and a "training" field
    with the objective history. No certificate: in 1-D the convex optimum (fit) is a lower bound.

    x: a 1-D array, or an (n, d) array (d >= 2: one network R^d -> R^d with a shared hidden
    layer; penalize_biases=True puts the weight decay on the first-layer biases too).
    objective "dsm" needs sigma (one level) or, in d-D, sigmas (several, decreasing: one
    network per level, level l on noise drawn with noise_seed + l, returned as a noise-levels
    Model for sample(..., annealed=True)); copies noisy copies per point. With the copies and
    noise seed of fit(..., objective="dsm") every level sees the noisy inputs that fit saw.
    Starts from the seeded initialisation (seed, which also orders the minibatches;
    batch=None is full batch), or from init: a Model (from fit, train or load; a noise-levels
    Model gives its level at the sigma trained), whose width is used (width may then be None)
    and whose activation is the default.
    """
    if objective not in ("sm", "dsm"):
        raise Error(f"objective must be 'sm' or 'dsm', got {objective!r}")
    if init is not None and not isinstance(init, Model):
        raise Error("init must be a convexscore.Model (from fit, train or load)")
    width = None if width is None else _integer("width", width, 1, 1_000_000)
    epochs = _integer("epochs", epochs, 1, 1_000_000_000)
    history_every = _integer("history_every", history_every, 1, 1_000_000_000)
    batch = None if batch is None else _integer("batch", batch, 1, _INT_MAX)
    seed = _integer("seed", seed, 0, _UINT64_MAX)
    copies = _integer("copies", copies, 1, 1_000_000)
    noise_seed = _integer("noise_seed", noise_seed, 0, _UINT64_MAX)
    beta = _number("beta", beta)
    if not beta > 0:
        raise Error(f"beta: need a value > 0 (got {beta!r})")
    lr = _number("lr", lr)
    if not lr > 0:
        raise Error(f"lr: need a value > 0 (got {lr!r})")
    if sigma is not None and sigmas is not None:
        raise Error("give sigma (one level) or sigmas (several), not both")
    levels = []
    if sigma is not None:
        sigma = _number("sigma", sigma)
        if not sigma > 0:
            raise Error(f"sigma: need a value > 0 (got {sigma!r})")
        levels = [sigma]
    elif sigmas is not None:
        levels = [float(s) for s in _array_1d(_np.atleast_1d(_array(sigmas, "sigmas")), "sigmas")]
        if not levels:
            raise Error("sigmas: no noise levels")
    if objective == "sm" and levels:
        raise Error("sigma and sigmas are only used with objective 'dsm'")
    if objective == "dsm" and not levels:
        raise Error("objective 'dsm' needs sigma (or, in d-D, sigmas)")
    if activation is None:
        activation = init.network.activation if init is not None else "relu"
    init_document = None if init is None else _dumps(init._document)
    init_name = "" if init is None else (init._path or "init model")
    return Model(_json.loads(_core.train(
        _array(x), objective, str(activation), bool(skip), width, beta, str(optimizer), lr,
        epochs, batch, seed, history_every, levels, sigmas is not None, copies, noise_seed,
        bool(penalize_biases), init_document, init_name)))


def thresholds(x, activation="relu", skip=False, threshold_tolerance=0.1):
    """{'beta_min': ..., 'beta_max': ...} of the data: exact for 1-D x. For an (n, d) array
    (d >= 2, architecture per-coordinate) beta_max is exact and beta_min is a certified bracket
    ('beta_min_lower', 'beta_min_upper', of relative width threshold_tolerance when the solves
    allow); 'beta_min' is its upper end."""
    points = _array(x)
    if points.ndim == 2 and points.shape[1] >= 2:
        if skip:
            raise Error("skip is not available for multivariate score matching")
        tolerance = _number("threshold_tolerance", threshold_tolerance)
        if not 0 < tolerance < 1:
            raise Error(f"threshold_tolerance must be in (0, 1) (got {tolerance!r})")
        return _core.thresholds_smnd(points, str(activation), tolerance)
    return _core.thresholds_sm1d(_array_1d(x), str(activation), bool(skip))


def load(path):
    """Reads a model file written by `convexscore fit` or Model.save."""
    model = Model(_json.loads(_core.read_model_file(str(path))))
    model._path = str(path)
    return model


def sample(model, particles, steps, step_size, seed=1, init="gaussian", init_data=None,
           threads=0, annealed=False):
    """Langevin samples from the model's score: x <- x + (eps/2) f(x) + sqrt(eps) z.

    Returns a (particles,) array for a univariate model and (particles, d) for a d-D one.
    init: "gaussian", "gaussian:MEAN:SD", "uniform:LO:HI" (every coordinate) or "data" (with
    init_data: points, (n, d) for a d-D model). With annealed=True the model must hold noise
    levels (steps per level; step_size that of the smallest sigma). The same seed gives the
    same samples for any number of threads.
    """
    if not isinstance(model, Model):
        raise Error("sample needs a convexscore.Model (from fit, train or load)")
    particles = _integer("particles", particles, 1, 1_000_000_000)
    steps = _integer("steps", steps, 1, 2**63 - 1)
    seed = _integer("seed", seed, 0, _UINT64_MAX)
    threads = _integer("threads", threads, 0, 1024)
    step_size = _number("step_size", step_size)
    data = None
    if init_data is not None:
        data = _array(init_data, "init_data")
        if model.dimension == 1:
            data = _array_1d(data, "init_data")
    return _core.sample(_dumps(model._document), particles, steps, step_size, seed, str(init),
                        data, threads, bool(annealed))


StationaryLaw = _core.StationaryLaw


def stationary_law(model):
    """The exact stationary law of Langevin dynamics driven by a univariate model's score."""
    model._require_univariate("stationary_law")
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
    xa, ya = _array(x), _array(y, "y")
    if xa.ndim == 1 and ya.ndim == 1:
        return _core.energy_1d(xa, ya)
    return _core.energy_nd(xa, ya)


def kl(x, spec, k=0):
    """KL(sample law || spec) by the Kozachenko-Leonenko k-nearest-neighbour estimator."""
    return _core.kl_law(_array_1d(x), spec, int(k))


def mmd2(x, y):
    """Unbiased MMD^2 with an RBF kernel and median-heuristic bandwidth: {'mmd2', 'bandwidth'}."""
    return _core.mmd2(_array(x), _array(y, "y"))


def sliced_wasserstein(x, y, projections=100, seed=1):
    """Sliced Wasserstein-1 distance between (n, d) samples over `projections` random
    directions drawn with `seed`."""
    return _core.sliced_w1(_array(x), _array(y, "y"), _integer("projections", projections, 1, _INT_MAX),
                           _integer("seed", seed, 0, _UINT64_MAX))
