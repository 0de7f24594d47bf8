// Langevin throughput (issue 3, item 8): particle-steps per second of SampleLangevin for a 1-D
// ReLU model with 8 and with 128 active neurons, and of SampleLangevinND for a 2-D ReLU model
// with 16 and with 128 neurons, on 1 and 2 threads.
//
// The 1-D models: skip term -1 and ReLU units whose kinks are spread evenly over [-3, 3],
// output weights of alternating sign and size 0.3 (a multimodal but confining score, like a fit
// to mixture data). Each timed iteration runs 20000 particles for 500 steps (1e7
// particle-steps) with step size 0.01 from N(0, 1).
// The 2-D models: skip -I and units with directions spread around the circle, kinks at
// distance 0.5, 1 or 1.5 from the origin and output weights of size 0.3 in alternating
// directions (confining and wiggly, like a fit to a 2-D mixture). Each timed iteration runs
// 4000 particles for 500 steps (2e6 particle-steps) with step size 0.01 from N(0, I).
//
// Wall time (UseRealTime), since the work runs on the sampler's own threads; items_per_second
// is particle-steps per second, the counter per_thread divides it by the thread count, and
// cpu_use is the process's CPU time over the wall time of the timed loop (about the thread
// count when the machine is otherwise idle; a lower value means other work took the cores and
// the figure is not representative). `dimension` tells bench/langevin_table.py the model apart.
//
// Target (issue 3): >= 2e7 particle-steps/s per core for 8 neurons, >= 1.8x on 2 cores.
// Usage: langevin_benchmark [Google Benchmark flags], e.g. --benchmark_repetitions=5
#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <vector>

#include <benchmark/benchmark.h>

#include "convexscore/model/network1d.h"
#include "convexscore/model/network_nd.h"
#include "convexscore/sampling/langevin.h"
#include "convexscore/sampling/langevin_nd.h"

namespace {

constexpr std::int64_t kSteps = 500;

double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) { return t.tv_sec + 1e-6 * t.tv_usec; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

convexscore::Network1D Model(int neurons) {
  convexscore::Network1D network;
  network.activation = convexscore::Activation::kRelu;
  network.skip = -1.0;
  for (int j = 0; j < neurons; ++j) {
    const double kink = -3.0 + 6.0 * (j + 0.5) / neurons;
    // w x + b = x - kink; the sign of a alternates so the score wiggles around -x.
    network.neurons.push_back({1.0, -kink, (j % 2 == 0 ? 0.3 : -0.3)});
  }
  return network;
}

convexscore::NetworkND Model2D(int neurons) {
  convexscore::NetworkND network = convexscore::NetworkND::Zero(convexscore::Activation::kRelu, 2);
  network.skip = -Eigen::MatrixXd::Identity(2, 2);
  network.w.resize(neurons, 2);
  network.b.resize(neurons);
  network.a.resize(neurons, 2);
  for (int j = 0; j < neurons; ++j) {
    const double angle = 2.0 * M_PI * j / neurons;
    network.w.row(j) << std::cos(angle), std::sin(angle);
    network.b[j] = -(0.5 + 0.5 * (j % 3));
    const double size = j % 2 == 0 ? 0.3 : -0.3;
    network.a.row(j) << size * std::cos(angle + 1.0), size * std::sin(angle + 1.0);
  }
  return network;
}

// Times `sample` (one run of `particles` particles for kSteps steps, returning a number to
// keep) and sets the counters described above.
void Measure(benchmark::State& state, std::int64_t particles, int threads, int dimension,
             const std::function<double()>& sample) {
  double checksum = 0.0;
  const double cpu_before = ProcessCpuSeconds();
  const auto wall_before = std::chrono::steady_clock::now();
  for (auto _ : state) {
    checksum += sample();
    benchmark::DoNotOptimize(checksum);
  }
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_before).count();
  state.counters["cpu_use"] = (ProcessCpuSeconds() - cpu_before) / wall;
  const double steps = static_cast<double>(state.iterations()) * particles * kSteps;
  state.SetItemsProcessed(static_cast<std::int64_t>(steps));
  state.counters["per_thread"] = benchmark::Counter(steps / threads, benchmark::Counter::kIsRate);
  state.counters["dimension"] = dimension;
}

convexscore::LangevinOptions Options(std::int64_t particles, int threads) {
  convexscore::LangevinOptions options;
  options.particles = particles;
  options.steps = kSteps;
  options.step_size = 0.01;
  options.seed = 1;
  options.threads = threads;
  return options;
}

void LangevinThroughput(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(1));
  const convexscore::PiecewiseLinear1D score =
      convexscore::ToPiecewiseLinear(Model(static_cast<int>(state.range(0))));
  const convexscore::LangevinOptions options = Options(20000, threads);
  Measure(state, options.particles, threads, 1, [&] {
    return convexscore::SampleLangevin(score, options).summary.sample_mean;
  });
  state.counters["kinks"] = static_cast<double>(score.kinks.size());
}

void LangevinThroughputND(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(1));
  const convexscore::NetworkND network = Model2D(static_cast<int>(state.range(0)));
  const convexscore::LangevinOptions options = Options(4000, threads);
  Measure(state, options.particles, threads, 2, [&] {
    return convexscore::SampleLangevinND(network, options).sample_mean[0];
  });
}

BENCHMARK(LangevinThroughput)
    ->ArgNames({"neurons", "threads"})
    ->Args({8, 1})
    ->Args({8, 2})
    ->Args({128, 1})
    ->Args({128, 2})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

BENCHMARK(LangevinThroughputND)
    ->ArgNames({"neurons", "threads"})
    ->Args({16, 1})
    ->Args({16, 2})
    ->Args({128, 1})
    ->Args({128, 2})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
