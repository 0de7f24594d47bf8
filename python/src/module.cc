// The compiled part of the Python module `convexscore` (python/convexscore/__init__.py is the
// public face). It hands numpy arrays to the library without copying where the layout allows,
// releases the GIL while the library computes, and turns convexscore::Error into the Python
// exception convexscore.Error with the library's message. Model documents cross the boundary
// as JSON text, so Python sees exactly the fields of the model file.
#include <pybind11/eigen.h>
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
#include "convexscore/data/denoising_data.h"
#include "convexscore/data/distribution_spec.h"
#include "convexscore/data/sample1d.h"
#include "convexscore/io/model_json.h"
#include "convexscore/io/model_nd_json.h"
#include "convexscore/io/noise_levels_json.h"
#include "convexscore/io/score_model_nd_json.h"
#include "convexscore/io/shared_model_json.h"
#include "convexscore/metrics/known_laws.h"
#include "convexscore/metrics/multivariate.h"
#include "convexscore/metrics/univariate.h"
#include "convexscore/model/network1d.h"
#include "convexscore/model/network_nd.h"
#include "convexscore/programs/denoising_levels_1d.h"
#include "convexscore/programs/denoising_score_matching_nd.h"
#include "convexscore/programs/pattern_options.h"
#include "convexscore/programs/score_matching_1d.h"
#include "convexscore/programs/score_matching_nd.h"
#include "convexscore/programs/shared_hidden_layer_nd.h"
#include "convexscore/sampling/langevin.h"
#include "convexscore/sampling/langevin_nd.h"
#include "convexscore/sampling/stationary_law.h"
#include "convexscore/training/nonconvex_training_1d.h"
#include "convexscore/training/nonconvex_training_nd.h"

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

// A float64 array of any layout (other dtypes are converted).
using AnyArray = py::array_t<double, py::array::forcecast>;

// The rows of an (n, d) array (a 1-D array: n points in one dimension), column-major as the
// library takes them: a Fortran-ordered array (or a contiguous 1-D one) is read in place when
// its buffer is aligned as Eigen aligns its own, any other is copied once. The alignment
// matters for the last bits: Eigen's vectorised sums start at the first aligned element, so
// with 32-byte vectors (AVX) a 16-byte-aligned numpy buffer was summed in another order than
// the command line's copy of the same data. Valid while the array is.
class Points {
 public:
  Points(const AnyArray& a, const char* name) {
    if (a.ndim() != 1 && a.ndim() != 2) {
      throw Error(std::string(name) + " must be an (n, d) array, got " +
                  std::to_string(a.ndim()) + " dimensions");
    }
    const Eigen::Index rows = a.shape(0), cols = a.ndim() == 2 ? a.shape(1) : 1;
    const bool aligned = reinterpret_cast<std::uintptr_t>(a.data()) % EIGEN_MAX_ALIGN_BYTES == 0;
    const bool in_place = aligned && ((a.flags() & py::array::f_style) != 0 ||
                                      (a.ndim() == 1 && (a.flags() & py::array::c_style) != 0));
    if (in_place) {
      new (&view_) Eigen::Map<const Eigen::MatrixXd>(a.data(), rows, cols);
      return;
    }
    const Array c_order = Array::ensure(a);  // strided views become C-contiguous first
    using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    copy_ = Eigen::Map<const RowMajor>(c_order.data(), rows, cols);
    new (&view_) Eigen::Map<const Eigen::MatrixXd>(copy_.data(), rows, cols);
  }
  Points(const Points&) = delete;
  Points& operator=(const Points&) = delete;

  const Eigen::Map<const Eigen::MatrixXd>& operator*() const { return view_; }
  const Eigen::Map<const Eigen::MatrixXd>* operator->() const { return &view_; }

 private:
  Eigen::MatrixXd copy_;
  Eigen::Map<const Eigen::MatrixXd> view_{nullptr, 0, 0};
};

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

// The options the SM and DSM programs share (their Options structs have the same field names).
template <typename Options>
Options SolverOptions(const std::string& activation, bool skip, double beta, double gap_tolerance,
                      int max_iterations) {
  Options options;
  options.activation = ParseActivation(activation);
  options.skip = skip;
  options.beta = beta;
  options.gap_tolerance = gap_tolerance;
  options.max_iterations = max_iterations;
  return options;
}

std::string FitScoreMatching(const Array& x, const std::string& activation, bool skip, double beta,
                             double gap_tolerance, int max_iterations) {
  const std::span<const double> values = Span1D(x, "x");
  const auto options = SolverOptions<ScoreMatching1DOptions>(activation, skip, beta,
                                                             gap_tolerance, max_iterations);
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

// The options every d-D fit takes (sm per coordinate, dsm, shared), their Options naming the
// fields alike but for the pattern seed (`seed_field`). The pattern options are checked by the
// library (programs/pattern_options.h) as the command line checks them; the messages name the
// Python arguments.
template <typename Options>
Options OptionsND(int dimension, const std::string& activation, double beta,
                  std::optional<double> gap_tolerance, std::optional<int> max_iterations,
                  const std::string& patterns, std::int64_t directions, std::uint64_t seed,
                  std::uint64_t Options::*seed_field) {
  Options options;
  options.activation = ParseActivation(activation);
  options.beta = beta;
  if (gap_tolerance) options.solver.gap_tolerance = *gap_tolerance;
  if (max_iterations) options.solver.max_iterations = *max_iterations;
  PatternChoice choice;
  try {
    choice = ParsePatternChoice(patterns);
  } catch (const Error& e) {
    throw Error(std::string("patterns ") + e.what());
  }
  try {
    CheckPatternChoice(choice, dimension);
  } catch (const Error& e) {
    throw Error("patterns='" + patterns + "': " + e.what());
  }
  try {
    options.sampled_directions = CheckSampledDirections(directions);
  } catch (const Error& e) {
    throw Error(std::string("pattern_directions ") + e.what());
  }
  options.sample_patterns = choice == PatternChoice::kSampled;
  options.*seed_field = seed;
  return options;
}

// Noise levels positive and strictly decreasing (CheckNoiseLevels), errors naming `sigmas`.
void CheckSigmas(std::span<const double> sigmas) {
  try {
    CheckNoiseLevels(sigmas);
  } catch (const Error& e) {
    throw Error(std::string("sigmas: ") + e.what());
  }
}

json UnboundedDocument(const SolveSummary& summary, double beta_min) {
  return {{"status", "unbounded"}, {"message", summary.message}, {"beta_min", beta_min}};
}

// Multivariate SM, the document `fit --columns ... --objective sm` writes: architecture
// "per-coordinate" (FitScoreMatchingNDModel and ScoreModelNDToJson) or "shared"
// (FitSharedHiddenLayerND and SharedModelNDToJson: the relaxation's lower bound, the rebuilt
// network's objective as upper bound, their gap); or {status: "unbounded", message, beta_min}
// with beta_min the certified lower bound when beta is below it.
std::string FitScoreMatchingNDDocument(const AnyArray& x, const std::string& architecture,
                                       const std::string& activation, double beta,
                                       std::optional<double> gap_tolerance,
                                       std::optional<int> max_iterations,
                                       const std::string& patterns, std::int64_t directions,
                                       std::uint64_t pattern_seed, double threshold_tolerance,
                                       int threads) {
  const Points points(x, "x");
  const DataSourceND source = DataSourceND::Array(static_cast<int>(points->rows()));
  json document;
  if (architecture == "shared") {
    const auto options = OptionsND<SharedHiddenLayerNDOptions>(
        static_cast<int>(points->cols()), activation, beta, gap_tolerance, max_iterations,
        patterns, directions, pattern_seed, &SharedHiddenLayerNDOptions::seed);
    py::gil_scoped_release release;
    CheckScoreMatchingNDData(*points);
    const SharedHiddenLayerNDResult result = FitSharedHiddenLayerND(*points, options);
    document = result.summary.status == SolveStatus::kUnbounded
                   ? UnboundedDocument(result.summary, result.beta_min_lower)
                   : SharedModelNDToJson(result, options, DataSummaryNDJson(*points, source));
    return document.dump();
  }
  auto options = OptionsND<ScoreMatchingNDOptions>(
      static_cast<int>(points->cols()), activation, beta, gap_tolerance, max_iterations,
      patterns, directions, pattern_seed, &ScoreMatchingNDOptions::seed);
  options.threads = threads;
  py::gil_scoped_release release;
  CheckScoreMatchingNDData(*points);
  const ScoreMatchingNDModel fit = FitScoreMatchingNDModel(*points, options, threshold_tolerance);
  document = fit.result.summary.status == SolveStatus::kUnbounded
                 ? UnboundedDocument(fit.result.summary, fit.result.beta_min_lower)
                 : ScoreModelNDToJson(fit, options, threshold_tolerance, *points, source, {});
  return document.dump();
}

// Multivariate DSM, `fit --columns ... --objective dsm` (FitDenoisingLevelsND and
// DenoisingLevelsNDToJson): one per-coordinate fit per noise level, level l on noise drawn with
// noise_seed + l, in one noise-levels document.
std::string FitDenoisingNDDocument(const AnyArray& x, const std::string& activation, double beta,
                                   const Array& sigmas, int copies, std::uint64_t noise_seed,
                                   std::optional<double> gap_tolerance,
                                   std::optional<int> max_iterations, const std::string& patterns,
                                   std::int64_t directions, std::uint64_t pattern_seed,
                                   std::optional<double> memory_limit, int threads) {
  const Points points(x, "x");
  const std::span<const double> levels_sigmas = Span1D(sigmas, "sigmas");
  auto options = OptionsND<DenoisingScoreMatchingNDOptions>(
      static_cast<int>(points->cols()), activation, beta, gap_tolerance, max_iterations,
      patterns, directions, pattern_seed, &DenoisingScoreMatchingNDOptions::pattern_seed);
  options.threads = threads;
  if (memory_limit) {
    try {
      options.memory_budget_bytes = MemoryBudgetBytes(*memory_limit);
    } catch (const Error& e) {
      throw Error(std::string("memory_limit ") + e.what());
    }
  }
  CheckSigmas(levels_sigmas);
  json document;
  {
    py::gil_scoped_release release;
    const std::vector<DenoisingLevelND> levels =
        FitDenoisingLevelsND(*points, levels_sigmas, copies, noise_seed, options);
    document = DenoisingLevelsNDToJson(
        levels, options,
        DataSummaryNDJson(*points, DataSourceND::Array(static_cast<int>(points->rows()))));
  }
  return document.dump();
}

py::dict ThresholdsND(const AnyArray& x, const std::string& activation, double tolerance) {
  const Points points(x, "x");
  ScoreMatchingNDOptions options;
  options.activation = ParseActivation(activation);
  ScoreMatchingNDThresholdsResult t;
  {
    py::gil_scoped_release release;
    t = ScoreMatchingNDAllThresholds(*points, options, tolerance);
  }
  py::dict out;
  out["beta_min"] = t.beta_min_upper;
  out["beta_min_lower"] = t.beta_min_lower;
  out["beta_min_upper"] = t.beta_min_upper;
  out["beta_max"] = t.beta_max;
  return out;
}

// `fit --objective dsm`: the same library path as the command line (FitDenoisingLevels1D and
// DenoisingLevels1DToJson), so the document has the fields of the file the CLI writes.
std::string FitDenoising(const Array& x, const std::string& activation, bool skip, double beta,
                         const Array& sigmas, int copies, std::uint64_t noise_seed,
                         double gap_tolerance, int max_iterations) {
  const std::span<const double> values = Span1D(x, "x");
  const std::span<const double> levels_sigmas = Span1D(sigmas, "sigmas");
  const auto options = SolverOptions<DenoisingScoreMatching1DOptions>(
      activation, skip, beta, gap_tolerance, max_iterations);
  CheckSigmas(levels_sigmas);
  json document;
  {
    py::gil_scoped_release release;
    const Sample1D data = MakeSample1D(values);
    const std::vector<DenoisingLevel1D> levels =
        FitDenoisingLevels1D(values, levels_sigmas, copies, noise_seed, options);
    document = DenoisingLevels1DToJson(levels, options, data,
                                       DataSource1D::Array(static_cast<int>(values.size())));
  }
  return document.dump();
}

// Lets Ctrl-C stop a long computation: called from the library's progress hook (on the
// calling thread), it raises KeyboardInterrupt through the library as a C++ exception.
void CheckInterrupt() {
  py::gil_scoped_acquire gil;
  if (PyErr_CheckSignals() != 0) throw py::error_already_set();
}

// `convexscore train`, 1-D (TrainedModel1DToJson) or d-D (TrainLevelsND and
// TrainedLevelsNDToJson), the document the command line writes. `sigmas`: empty for sm; one
// level, or in d-D several (then `levels_document`: a noise-levels document). `init_model`: the
// start model's document (StartNetworkFromDocument picks the level at sigma), named
// `init_name` in the document and the errors.
std::string Train(const AnyArray& x, const std::string& objective, const std::string& activation,
                  bool skip, std::optional<int> width, double beta, const std::string& optimizer,
                  double learning_rate, int epochs, std::optional<int> batch,
                  std::uint64_t init_seed, int history_every, const std::vector<double>& sigmas,
                  bool levels_document, int copies, std::uint64_t noise_seed,
                  bool penalize_biases, const std::optional<std::string>& init_model,
                  const std::string& init_name) {
  const bool denoising = objective == "dsm";
  if (!denoising && objective != "sm") {
    throw Error("objective must be 'sm' or 'dsm', got '" + objective + "'");
  }
  if (denoising && sigmas.empty()) throw Error("objective 'dsm' needs sigma (or sigmas in d-D)");
  if (!denoising && !sigmas.empty()) throw Error("sigma is only used with objective 'dsm'");
  if (!width && !init_model) throw Error("width is required (or start from a model with init=...)");
  if (levels_document) CheckSigmas(sigmas);
  NonconvexTrainingOptions options;
  options.activation = ParseActivation(activation);
  options.skip = skip;
  if (width) options.width = *width;
  options.beta = beta;
  options.bias_decay = penalize_biases ? BiasDecay::kPenalized : BiasDecay::kFree;
  options.optimizer = ParseOptimizer(optimizer);
  options.learning_rate = learning_rate;
  options.epochs = epochs;
  options.batch = batch;
  options.init_seed = init_seed;
  options.history_every = history_every;
  options.progress = [](int, int) { CheckInterrupt(); };
  const json start_document = init_model ? json::parse(*init_model) : json();
  const std::string start_name = init_model ? init_name : "";
  const std::string& source = init_name;  // "invalid model NAME: ..."
  const Points points(x, "x");
  json document;
  if (points->cols() >= 2) {
    const int d = static_cast<int>(points->cols());
    StartNetworkND start;
    if (init_model) {
      start = [&](std::optional<double> sigma) -> std::optional<NetworkND> {
        NetworkND network = StartNetworkFromDocument(
            start_document, sigma, init_name, source,
            [](const json& doc, const std::string& s) { return LoadNetworkND(doc, s); },
            [](const json& doc, const std::string& s) { return LoadNoiseLevelsND(doc, s); });
        CheckStartNetworkND(network, d, width, init_name, "width");
        return network;
      };
    }
    py::gil_scoped_release release;
    const std::vector<TrainingLevelND> levels =
        TrainLevelsND(*points, sigmas, copies, noise_seed, options, start);
    document = TrainedLevelsNDToJson(
        levels, options, objective, start_name,
        DataSummaryNDJson(*points, DataSourceND::Array(static_cast<int>(points->rows()))), {},
        levels_document);
    return document.dump();
  }
  if (sigmas.size() > 1 || levels_document) {
    throw Error("sigmas is for d-D data; train 1-D dsm at one sigma");
  }
  if (penalize_biases) throw Error("penalize_biases is for d-D data (1-D biases are free)");
  const std::span<const double> values(points->data(), static_cast<std::size_t>(points->size()));
  std::optional<Network1D> start;
  std::optional<double> sigma;
  if (denoising) sigma = sigmas.front();
  if (init_model) {
    start = StartNetworkFromDocument(
        start_document, sigma, init_name, source,
        [](const json& doc, const std::string& s) { return LoadNetwork1D(doc, s); },
        [](const json& doc, const std::string& s) { return LoadNoiseLevels1D(doc, s); });
    const int start_width = static_cast<int>(start->neurons.size());
    if (width && start_width != *width) {
      throw Error(init_name + " has " + std::to_string(start_width) + " units but width is " +
                  std::to_string(*width));
    }
    options.width = start_width;
  }
  json objective_settings = json::object();
  if (denoising) {
    objective_settings = {{"sigma", *sigma}, {"copies", copies}, {"noise_seed", noise_seed}};
  }
  {
    py::gil_scoped_release release;
    const Sample1D data = MakeSample1D(values);
    const TrainingResult1D result =
        denoising ? TrainDenoisingScoreMatching1D(
                        MakeDenoisingData1D(values, *sigma, copies, noise_seed), options, start)
                  : TrainScoreMatching1D(values, options, start);
    document = TrainedModel1DToJson(result, options, objective, objective_settings, start_name,
                                    data, DataSource1D::Array(static_cast<int>(values.size())));
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
                               const std::optional<Array>& init_data, int threads,
                               bool multivariate) {
  LangevinOptions options;
  options.particles = particles;
  options.steps = steps;
  options.step_size = step_size;
  options.seed = seed;
  options.threads = threads;
  options.init = LangevinInit::Parse(init);
  if (options.init.kind == LangevinInit::Kind::kData) {
    if (!init_data) throw Error("init='data' needs the points: pass init_data");
    if (multivariate) {
      if (init_data->ndim() != 2) {
        throw Error("init_data must be an (n, d) array for a d-D model, got " +
                    std::to_string(init_data->ndim()) + " dimensions");
      }
      options.init.points = *Points(*init_data, "init_data");
    } else {
      const std::span<const double> points = Span1D(*init_data, "init_data");
      options.init.data.assign(points.begin(), points.end());
    }
  } else if (init_data) {
    throw Error("init_data is only used with init='data'");
  }
  return options;
}

void CheckAnnealedMatchesModel(bool has_levels, bool annealed) {
  if (has_levels && !annealed) {
    throw Error("the model holds several noise levels: sample it with annealed=True");
  }
  if (!has_levels && annealed) {
    throw Error("annealed=True needs a model with noise levels (a 'noise_levels' array); this "
                "model holds a single one");
  }
}

// 1-D models: a (particles,) array; d-D models: (particles, d), column-major, handed over
// without a copy.
py::object Sample(const std::string& model_text, std::int64_t particles, std::int64_t steps,
                  double step_size, std::uint64_t seed, const std::string& init,
                  const std::optional<Array>& init_data, int threads, bool annealed) {
  const json document = json::parse(model_text);
  const bool multivariate = IsMultivariateModel(document);
  const bool has_levels = HasNoiseLevels(document);
  CheckAnnealedMatchesModel(has_levels, annealed);
  const LangevinOptions options =
      SamplerOptions(particles, steps, step_size, seed, init, init_data, threads, multivariate);
  if (multivariate) {
    LangevinResultND result;
    if (annealed) {
      std::vector<NoiseLevelScoreND> levels;
      for (NoiseLevelModelND& level : LoadNoiseLevelsND(document)) {
        levels.push_back({level.sigma, std::move(level.network)});
      }
      py::gil_scoped_release release;
      result = SampleAnnealedLangevinND(levels, options);
    } else {
      const NetworkND network = LoadNetworkND(document);
      py::gil_scoped_release release;
      result = SampleLangevinND(network, options);
    }
    return py::cast(std::move(result.samples));
  }
  LangevinResult result;
  if (annealed) {
    std::vector<NoiseLevelScore> levels;
    for (const NoiseLevelModel1D& level : LoadNoiseLevels1D(document)) {
      levels.push_back({level.sigma, ToPiecewiseLinear(level.network)});
    }
    py::gil_scoped_release release;
    result = SampleAnnealedLangevin(levels, options);
  } else {
    const PiecewiseLinear1D score = ToPiecewiseLinear(LoadNetwork1D(document));
    py::gil_scoped_release release;
    result = SampleLangevin(score, options);
  }
  return ToArray(result.samples);
}

// f at each row of an (n, d) array (or at one point of shape (d,)), straight from the numpy
// buffer into the result's.
Array ScoreND(const NetworkND& network, const Array& points) {
  const py::ssize_t d = network.dimension();
  const bool one_point = points.ndim() == 1 && points.shape(0) == d;
  if (!one_point && !(points.ndim() == 2 && points.shape(1) == d)) {
    std::string shape = "(";
    for (py::ssize_t k = 0; k < points.ndim(); ++k) {
      if (k > 0) shape += ", ";
      shape += std::to_string(points.shape(k));
    }
    throw Error("points must be an (n, " + std::to_string(d) + ") array for a model of dimension " +
                std::to_string(d) + ", got shape " + shape + (points.ndim() == 1 ? ",)" : ")"));
  }
  const py::ssize_t n = one_point ? 1 : points.shape(0);
  Array out(std::vector<py::ssize_t>(points.shape(), points.shape() + points.ndim()));
  const double* in = points.data();
  double* result = out.mutable_data();
  {
    py::gil_scoped_release release;
    for (py::ssize_t i = 0; i < n; ++i) network.Score(in + i * d, result + i * d);
  }
  return out;
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
  static py::exception<Error> error_type(m, "Error", PyExc_ValueError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const Error& e) {
      PyErr_SetString(error_type.ptr(), e.what());
    } catch (const json::exception& e) {  // a document that is not valid JSON text
      PyErr_SetString(error_type.ptr(), (std::string("invalid model document: ") + e.what()).c_str());
    }
  });

  m.def("fit_sm1d", &FitScoreMatching, py::arg("x"), py::arg("activation"), py::arg("skip"),
        py::arg("beta"), py::arg("gap_tolerance"), py::arg("max_iterations"));
  m.def("fit_smnd", &FitScoreMatchingNDDocument, py::arg("x"), py::arg("architecture"),
        py::arg("activation"), py::arg("beta"),
        py::arg("gap_tolerance"), py::arg("max_iterations"), py::arg("patterns"),
        py::arg("pattern_directions"), py::arg("pattern_seed"), py::arg("threshold_tolerance"),
        py::arg("threads"));
  m.def("thresholds_smnd", &ThresholdsND, py::arg("x"), py::arg("activation"),
        py::arg("threshold_tolerance"));
  m.def("fit_dsm1d", &FitDenoising, py::arg("x"), py::arg("activation"), py::arg("skip"),
        py::arg("beta"), py::arg("sigmas"), py::arg("copies"), py::arg("noise_seed"),
        py::arg("gap_tolerance"), py::arg("max_iterations"));
  m.def("train", &Train, py::arg("x"), py::arg("objective"), py::arg("activation"),
        py::arg("skip"), py::arg("width"), py::arg("beta"), py::arg("optimizer"), py::arg("lr"),
        py::arg("epochs"), py::arg("batch"), py::arg("init_seed"), py::arg("history_every"),
        py::arg("sigmas"), py::arg("levels_document"), py::arg("copies"), py::arg("noise_seed"),
        py::arg("penalize_biases"), py::arg("init_model"), py::arg("init_name"));
  m.def("fit_dsmnd", &FitDenoisingNDDocument, py::arg("x"), py::arg("activation"),
        py::arg("beta"), py::arg("sigmas"), py::arg("copies"), py::arg("noise_seed"),
        py::arg("gap_tolerance"), py::arg("max_iterations"), py::arg("patterns"),
        py::arg("pattern_directions"), py::arg("pattern_seed"), py::arg("memory_limit"),
        py::arg("threads"));
  m.def("is_multivariate", [](const std::string& text) {
    return IsMultivariateModel(json::parse(text));
  });
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

  py::class_<NetworkND>(m, "NetworkND")
      .def_static("finest_from_model_json",
                  [](const std::string& text) { return LoadFinestNetworkND(json::parse(text)).network; })
      .def("score", &ScoreND, py::arg("points"))
      .def_property_readonly("dimension", &NetworkND::dimension)
      .def_property_readonly("neurons", &NetworkND::neurons)
      .def_property_readonly("activation",
                             [](const NetworkND& n) { return std::string(ActivationName(n.activation)); })
      .def_readonly("w", &NetworkND::w)
      .def_readonly("b", &NetworkND::b)
      .def_readonly("a", &NetworkND::a)
      .def_readonly("output_bias", &NetworkND::output_bias)
      .def_readonly("skip", &NetworkND::skip);

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
  m.def("mmd2", [](const AnyArray& x, const AnyArray& y) {
    const MmdResult r = UnbiasedMmd2(*Points(x, "x"), *Points(y, "y"));
    py::dict out;
    out["mmd2"] = r.mmd2;
    out["bandwidth"] = r.bandwidth;
    return out;
  });
  m.def("sliced_w1", [](const AnyArray& x, const AnyArray& y, int projections, std::uint64_t seed) {
    return SlicedWasserstein1(*Points(x, "x"), *Points(y, "y"), projections, seed);
  });
  m.def("energy_nd", [](const AnyArray& x, const AnyArray& y) {
    return EnergyDistance(*Points(x, "x"), *Points(y, "y"));
  });
}
