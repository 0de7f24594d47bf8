"""Shared data and command-line helpers of the Python tests."""

import json
import os
import subprocess

import numpy as np


def mixture(n=300, seed=3):
    """The README's mixture 0.4 N(-2, 0.5^2) + 0.6 N(1.5, 0.7^2)."""
    rng = np.random.default_rng(seed)
    left = rng.random(n) < 0.4
    return np.where(left, rng.normal(-2.0, 0.5, n), rng.normal(1.5, 0.7, n))


def write_column(path, x, name="x"):
    """A one-column CSV that reads back bit-for-bit (repr is shortest round-trip)."""
    path.write_text(name + "\n" + "\n".join(repr(float(v)) for v in x) + "\n")
    return path


def cli():
    """The built command line (CONVEXSCORE_CLI), or None when the tests run without it."""
    return os.environ.get("CONVEXSCORE_CLI")


def run_cli(*args):
    """Runs the command line; returns its stdout. Fails the test on a non-zero exit."""
    result = subprocess.run([cli()] + [str(a) for a in args], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout


def read_json(path):
    with open(path) as f:
        return json.load(f)


def field_paths(document, prefix="", skip_source=False):
    """Every key path of a JSON document ("a.b", "noise_levels[].c"), as a set; skip_source
    leaves out the fields inside data.source (an array, a file or a generator)."""
    if skip_source and prefix.endswith("data.source."):
        return set()
    paths = set()
    if isinstance(document, dict):
        for key, value in document.items():
            paths.add(prefix + key)
            paths |= field_paths(value, prefix + key + ".", skip_source)
    elif isinstance(document, list) and document and isinstance(document[0], (dict, list)):
        for item in document:
            paths |= field_paths(item, prefix[:-1] + "[].", skip_source)
    return paths


def cli_error(*args):
    """Runs the command line expecting it to fail; returns its one-line error message (the text
    after "error: ")."""
    result = subprocess.run([cli()] + [str(a) for a in args], capture_output=True, text=True)
    assert result.returncode != 0, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0][len("error: "):]


def circle(n=8, noise=0.0, seed=2):
    """n points on the unit circle (evenly spaced), optionally jittered: a small 2-D data set."""
    t = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    x = np.c_[np.cos(t), np.sin(t)]
    return x + np.random.default_rng(seed).normal(scale=noise, size=x.shape) if noise else x


def write_points(path, x):
    """An (n, d) CSV without a header (so the CLI's document has no coordinate names), each
    number written to read back bit-for-bit."""
    path.write_text("".join(",".join(repr(float(v)) for v in row) + "\n" for row in x))
    return path


def without_times(document):
    """The document without its wall-clock fields ("seconds")."""
    if isinstance(document, dict):
        return {k: without_times(v) for k, v in document.items() if k != "seconds"}
    if isinstance(document, list):
        return [without_times(v) for v in document]
    return document
