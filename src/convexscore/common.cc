#include "convexscore/common.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

namespace convexscore {

Activation ParseActivation(std::string_view name) {
  if (name == "relu") return Activation::kRelu;
  if (name == "abs") return Activation::kAbs;
  throw Error("unknown activation '" + std::string(name) + "' (expected relu or abs)");
}

std::string_view ActivationName(Activation activation) {
  return activation == Activation::kRelu ? "relu" : "abs";
}

std::string_view StatusName(SolveStatus status) {
  switch (status) {
    case SolveStatus::kOptimal: return "optimal";
    case SolveStatus::kUnbounded: return "unbounded";
    case SolveStatus::kIterationLimit: return "iteration_limit";
  }
  return "unknown";
}

int ResolveThreads(int threads) {
  return threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

void ParallelFor(int count, int threads, const std::function<void(int)>& body) {
  if (count <= 0) return;
  const int workers = std::min(ResolveThreads(threads), count);
  std::atomic<int> next{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  const auto work = [&] {
    for (int i = next.fetch_add(1); i < count; i = next.fetch_add(1)) {
      try {
        body(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(failure_mutex);
        if (!failure) failure = std::current_exception();
        next.store(count);  // the others stop after their current index
      }
    }
  };
  std::vector<std::thread> pool;
  for (int w = 1; w < workers; ++w) {
    try {
      pool.emplace_back(work);
    } catch (const std::system_error&) {
      break;  // fewer threads than asked for: the calling thread does the rest
    }
  }
  work();
  for (std::thread& thread : pool) thread.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace convexscore
