#include "runtime/thread-pool.h"

#include <algorithm>
#include <cstdlib>

namespace pds {

namespace {
thread_local bool inPool = false;

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

void ThreadPool::parallelFor(int64_t n, const RangeFn& fn, int64_t grain) {
  if (n <= 0) return;
  int parts = static_cast<int>(std::min<int64_t>(size(), std::max<int64_t>(1, n / std::max<int64_t>(1, grain))));
  if (parts <= 1 || inPool) {
    fn(0, n, 0);
    return;
  }
  std::lock_guard<std::mutex> call(callMutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    job_ = &fn;
    jobN_ = n;
    jobParts_ = parts;
    pending_ = parts - 1;
    generation_++;
  }
  wake_.notify_all();
  inPool = true;
  int64_t b, e;
  rangeOf(n, parts, 0, &b, &e);
  fn(b, e, 0);
  inPool = false;
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [this] { return pending_ == 0; });
  job_ = nullptr;
}

void ThreadPool::workerLoop(int index) {
  inPool = true;
  uint64_t seen = 0;
  for (;;) {
    const RangeFn* job;
    int64_t n;
    int parts;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      job = job_;
      n = jobN_;
      parts = jobParts_;
    }
    if (index < parts) {
      int64_t b, e;
      rangeOf(n, parts, index, &b, &e);
      (*job)(b, e, index);
      std::lock_guard<std::mutex> lock(mutex_);
      if (--pending_ == 0) done_.notify_one();
    }
  }
}

}  // namespace pds
