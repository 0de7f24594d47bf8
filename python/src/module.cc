// The compiled part of the Python module `convexscore` (python/convexscore/__init__.py is the
// public face). It hands numpy arrays to the library without copying where the layout allows,
// releases the GIL while the library computes, and turns convexscore::Error into the Python
// exception convexscore.Error with the library's message. Model documents cross the boundary
// as JSON text, so Python sees exactly the fields of the model file.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "convexscore/common.h"
#include "convexscore/data/distribution_spec.h"
#include "convexscore/data/sample1d.h"
#include "convexscore/io/model_json.h"
#include "convexscore/io/noise_levels_json.h"
#include "convexscore/metrics/known_laws.h"
#include "convexscore/metrics/multivariate.h"
#include "convexscore/metrics/univariate.h"
#include "convexscore/model/network1d.h"
#include "convexscore/programs/score_matching_1d.h"
#include "convexscore/sampling/langevin.h"
#include "convexscore/sampling/stationary_law.h"

namespace py = pybind11;
using nlohmann::json;

namespace convexscore::python {
namespace {

// C-contiguous float64 view of any array-like (converted, i.e. copied, only when needed).
using Array = py::array_t<double, py::array::c_style | py::array::forcecast>;

std::span<const double> Span1D(const Array& a, const char* name) {
  if (a.ndim() != 1) {
    throw Error(std::string(name) + " must be a one-dimensional array, got " +
                std::to_string(a.ndim()) + " dimensions");
  }
  return {a.data(), static_cast<std::size_t>(a.shape(0))};
}

// Rows are points. Eigen is column-major, so this is one copy.
Eigen::MatrixXd Matrix2D(const Array& a, const char* name) {
  if (a.ndim() == 1) {  // a 1-D array is n points in one dimension
    return Eigen::Map<const Eigen::VectorXd>(a.data(), a.shape(0));
  }
  if (a.ndim() != 2) {
    throw Error(std::string(name) + " must be an (n, d) array, got " + std::to_string(a.ndim()) +
                " dimensions");
  }
  using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  return Eigen::Map<const RowMajor>(a.data(), a.shape(0), a.shape(1));
}

Array ToArray(const std::vector<double>& values) {
  Array out(static_cast<py::ssize_t>(values.size()));
  std::copy(values.begin(), values.end(), out.mutable_data());
  return out;
}

// Elementwise f over an array of any shape; the result has the input's shape.
template <typename F>
Array Map(const Array& x, F f) {
  Array out(std::vector<py::ssize_t>(x.shape(), x.shape() + x.ndim()));
  const double* in = x.data();
  double* result = out.mutable_data();
  const py::ssize_t size = x.size();
  {
    py::gil_scoped_release release;
    for (py::ssize_t i = 0; i < size; ++i) result[i] = f(in[i]);
  }
  return out;
}

std::string FitScoreMatching(const Array& x, const std::string& activation, bool skip, double beta,
                             double gap_tolerance, int max_iterations) {
  const std::span<const double> values = Span1D(x, "x");
  ScoreMatching1DOptions options;
  options.activation = ParseActivation(activation);
  options.skip = skip;
  options.beta = beta;
  options.gap_tolerance = gap_tolerance;
  options.max_iterations = max_iterations;
  json document;
  {
    py::gil_scoped_release release;
    const Sample1D data = MakeSample1D(values);
    const ScoreMatching1DResult result = FitScoreMatching1D(data, options);
    std::optional<double> network_objective;
    if (result.summary.status != SolveStatus::kUnbounded) {
      network_objective = ScoreMatchingObjective(result.network, values, beta);
    }
    document = ScoreModel1DToJson(result, options, data,
                                  DataSource1D::Array(static_cast<int>(values.size())),
                                  network_objective);
  }
  return document.dump();
}

py::dict Thresholds(const Array& x, const std::string& activation, bool skip) {
  const Sample1D data = MakeSample1D(Span1D(x, "x"));
  const Thresholds1D t = ScoreMatching1DThresholds(data, ParseActivation(activation), skip);
  py::dict out;
  out["beta_min"] = t.beta_min;
  out["beta_max"] = t.beta_max;
  return out;
}

LangevinOptions SamplerOptions(std::int64_t particles, std::int64_t steps, double step_size,
                               std::uint64_t seed, const std::string& init,
                               const std::optional<Array>& init_data, int threads) {
  LangevinOptions options;
  options.particles = particles;
  options.steps = steps;
  options.step_size = step_size;
  options.seed = seed;
  options.threads = threads;
  options.init = LangevinInit::Parse(init);
  if (options.init.kind == LangevinInit::Kind::kData) {
    if (!init_data) throw Error("init='data' needs the points: pass init_data");
    const std::span<const double> points = Span1D(*init_data, "init_data");
    options.init.data.assign(points.begin(), points.end());
  }
  return options;
}

Array Sample(const std::string& model_text, std::int64_t particles, std::int64_t steps,
             double step_size, std::uint64_t seed, const std::string& init,
             const std::optional<Array>& init_data, int threads, bool annealed) {
  const json document = json::parse(model_text);
  LangevinOptions options =
      SamplerOptions(particles, steps, step_size, seed, init, init_data, threads);
  LangevinResult result;
  if (annealed) {
    std::vector<NoiseLevelScore> levels;
    for (const NoiseLevelModel1D& level : LoadNoiseLevels1D(document)) {
      levels.push_back({level.sigma, ToPiecewiseLinear(level.network)});
    }
    py::gil_scoped_release release;
    result = SampleAnnealedLangevin(levels, options);
  } else {
    if (HasNoiseLevels(document)) {
      throw Error("the model holds several noise levels: sample it with annealed=True");
    }
    const PiecewiseLinear1D score = ToPiecewiseLinear(LoadNetwork1D(document));
    py::gil_scoped_release release;
    result = SampleLangevin(score, options);
  }
  return ToArray(result.samples);
}

UnivariateLaw Law(const std::string& spec) {
  return UnivariateLaw::FromSpec(ParseDistributionSpec(spec));
}

}  // namespace
}  // namespace convexscore::python

PYBIND11_MODULE(_core, m) {
  using namespace convexscore;
  using namespace convexscore::python;
  m.doc() = "Compiled core of convexscore (use the package `convexscore`).";
  py::register_exception<Error>(m, "Error", PyExc_ValueError);

  m.def("fit_sm1d", &FitScoreMatching, py::arg("x"), py::arg("activation"), py::arg("skip"),
        py::arg("beta"), py::arg("gap_tolerance"), py::arg("max_iterations"));
  m.def("thresholds_sm1d", &Thresholds, py::arg("x"), py::arg("activation"), py::arg("skip"));
  m.def("sample", &Sample, py::arg("model_json"), py::arg("particles"), py::arg("steps"),
        py::arg("step_size"), py::arg("seed"), py::arg("init"), py::arg("init_data"),
        py::arg("threads"), py::arg("annealed"));
  m.def("read_model_file", [](const std::string& path) { return ReadModelFile(path).dump(); });
  m.def("write_model_file", [](const std::string& path, const std::string& text) {
    WriteModelFile(path, json::parse(text));
  });

  py::class_<Network1D>(m, "Network1D")
      .def_static("from_model_json",
                  [](const std::string& text) { return LoadNetwork1D(json::parse(text)); })
      .def_static("finest_from_model_json",
                  [](const std::string& text) {
                    return LoadFinestNetwork1D(json::parse(text)).network;
                  })
      .def("score", [](const Network1D& n, const Array& x) {
        return Map(x, [&](double v) { return n.Score(v); });
      })
      .def("score_derivative", [](const Network1D& n, const Array& x) {
        return Map(x, [&](double v) { return n.ScoreDerivative(v); });
      })
      .def_property_readonly("kinks", [](const Network1D& n) { return ToArray(n.Kinks()); })
      .def_property_readonly("activation",
                             [](const Network1D& n) { return std::string(ActivationName(n.activation)); })
      .def_readonly("output_bias", &Network1D::output_bias)
      .def_readonly("skip", &Network1D::skip)
      .def_property_readonly("weights", [](const Network1D& n) {
        std::vector<double> w, b, a;
        for (const Neuron1D& u : n.neurons) {
          w.push_back(u.w);
          b.push_back(u.b);
          a.push_back(u.a);
        }
        py::dict out;
        out["w"] = ToArray(w);
        out["b"] = ToArray(b);
        out["a"] = ToArray(a);
        return out;
      })
      .def("sm_objective", [](const Network1D& n, const Array& x, double beta) {
        return ScoreMatchingObjective(n, Span1D(x, "x"), beta);
      });

  py::class_<StationaryLaw1D>(m, "StationaryLaw")
      .def(py::init([](const Network1D& n) { return StationaryLaw1D(ToPiecewiseLinear(n)); }))
      .def("density", [](const StationaryLaw1D& law, const Array& x) {
        return Map(x, [&](double v) { return law.Density(v); });
      })
      .def("cdf", [](const StationaryLaw1D& law, const Array& x) {
        return Map(x, [&](double v) { return law.Cdf(v); });
      })
      .def("quantile", [](const StationaryLaw1D& law, const Array& p) {
        return Map(p, [&](double v) { return law.Quantile(v); });
      })
      .def_property_readonly("mean", &StationaryLaw1D::Mean)
      .def_property_readonly("variance", &StationaryLaw1D::Variance)
      .def("sample", [](const StationaryLaw1D& law, std::int64_t count, std::uint64_t seed) {
        if (count < 1) throw Error("count must be at least 1, got " + std::to_string(count));
        return ToArray(law.Sample(count, seed));
      });

  // Metrics: two samples, or a sample against a distribution spec (docs/data.md).
  m.def("w1", [](const Array& x, const Array& y) { return Wasserstein1(Span1D(x, "x"), Span1D(y, "y")); });
  m.def("w1_law", [](const Array& x, const std::string& spec) { return Wasserstein1(Span1D(x, "x"), Law(spec)); });
  m.def("ks", [](const Array& x, const Array& y) { return KolmogorovSmirnov(Span1D(x, "x"), Span1D(y, "y")); });
  m.def("ks_law", [](const Array& x, const std::string& spec) { return KolmogorovSmirnov(Span1D(x, "x"), Law(spec)); });
  m.def("energy_1d", [](const Array& x, const Array& y) { return EnergyDistance(Span1D(x, "x"), Span1D(y, "y")); });
  m.def("energy_1d_law", [](const Array& x, const std::string& spec) { return EnergyDistance(Span1D(x, "x"), Law(spec)); });
  m.def("kl_law", [](const Array& x, const std::string& spec, int k) { return KlDivergence(Span1D(x, "x"), Law(spec), k); });
  m.def("mmd2", [](const Array& x, const Array& y) {
    const MmdResult r = UnbiasedMmd2(Matrix2D(x, "x"), Matrix2D(y, "y"));
    py::dict out;
    out["mmd2"] = r.mmd2;
    out["bandwidth"] = r.bandwidth;
    return out;
  });
  m.def("sliced_w1", [](const Array& x, const Array& y, int projections, std::uint64_t seed) {
    return SlicedWasserstein1(Matrix2D(x, "x"), Matrix2D(y, "y"), projections, seed);
  });
  m.def("energy_nd", [](const Array& x, const Array& y) {
    return EnergyDistance(Matrix2D(x, "x"), Matrix2D(y, "y"));
  });
}
