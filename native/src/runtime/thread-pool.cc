#include "runtime/thread-pool.h"

#include <immintrin.h>

#include <algorithm>
#include <cstdlib>

namespace pds {

namespace {
thread_local bool inPool = false;

// ~10-30 us of pause instructions (PAUSE is ~140 cycles on Sapphire Rapids): bridges the gap
// between the kernels of one forward pass when the machine is quiet; longer spins were measured
// to cost 10x per call when other processes compete for the cores.
constexpr int kSpinIterations = 256;

void rangeOf(int64_t n, int parts, int part, int64_t* begin, int64_t* end) {
  int64_t base = n / parts, rem = n % parts;
  *begin = part * base + std::min<int64_t>(part, rem);
  *end = *begin + base + (part < rem ? 1 : 0);
}
}  // namespace

ThreadPool::ThreadPool(int threads) {
  for (int i = 1; i < std::max(1, threads); i++) workers_.emplace_back([this, i] { workerLoop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
    generation_++;
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

ThreadPool& ThreadPool::global() {
  static ThreadPool* pool = [] {
    int n = static_cast<int>(std::thread::hardware_concurrency());
    if (const char* env = std::getenv("PDSERVE_THREADS")) n = std::atoi(env);
    return new ThreadPool(std::max(1, n));  // never destroyed: workers outlive static teardown
  }();
  return *pool;
}

void ThreadPool::runPart(int part) {
  int64_t b, e;
  rangeOf(jobN_, jobParts_, part, &b, &e);
  (*job_)(b, e, part);
}

void ThreadPool::parallelFor(int64_t n, const RangeFn& fn, int64_t grain) {
  if (n <= 0) return;
  int parts = static_cast<int>(std::min<int64_t>(size(), std::max<int64_t>(1, n / std::max<int64_t>(1, grain))));
  if (parts <= 1 || inPool) {
    fn(0, n, 0);
    return;
  }
  std::lock_guard<std::mutex> call(callMutex_);
  job_ = &fn;
  jobN_ = n;
  jobParts_ = parts;
  // Every worker checks in for every job (those past `parts` do nothing), so none can still be
  // reading this job's fields when the next one is published.
  pending_.store(static_cast<int>(workers_.size()));
  {
    // Publishing under the mutex orders it with a worker that is about to sleep.
    std::lock_guard<std::mutex> lock(mutex_);
    generation_.fetch_add(1, std::memory_order_release);
  }
  if (sleepers_.load(std::memory_order_acquire) > 0) wake_.notify_all();
  inPool = true;
  runPart(0);
  inPool = false;
  for (int i = 0; i < kSpinIterations && pending_.load() != 0; i++) _mm_pause();
  if (pending_.load() != 0) {
    std::unique_lock<std::mutex> lock(mutex_);
    callerWaiting_ = true;
    done_.wait(lock, [this] { return pending_.load() == 0; });
    callerWaiting_ = false;
  }
  job_ = nullptr;
}

void ThreadPool::workerLoop(int index) {
  inPool = true;
  uint64_t seen = 0;
  for (;;) {
    for (int i = 0; i < kSpinIterations && generation_.load(std::memory_order_acquire) == seen; i++) _mm_pause();
    if (generation_.load(std::memory_order_acquire) == seen) {
      std::unique_lock<std::mutex> lock(mutex_);
      sleepers_++;
      wake_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
      sleepers_--;
    }
    if (stop_) return;
    seen = generation_.load(std::memory_order_acquire);
    if (index < jobParts_) runPart(index);
    if (pending_.fetch_sub(1) == 1 && callerWaiting_.load()) {
      std::lock_guard<std::mutex> lock(mutex_);
      done_.notify_one();
    }
  }
}

}  // namespace pds
