// A fixed pool of native threads, sized to the machine's cores, for data-parallel kernels.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace pds {

class ThreadPool {
 public:
  using RangeFn = std::function<void(int64_t begin, int64_t end, int thread)>;

  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  /// The process-wide pool (threads = online cores, or PDSERVE_THREADS).
  static ThreadPool& global();

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  /// Splits [0, n) into size() contiguous ranges (at least `grain` items each) and runs
  /// fn on them, the calling thread taking the first. Blocks until all are done.
  /// Calls from different threads are serialized; a nested call runs inline.
  void parallelFor(int64_t n, const RangeFn& fn, int64_t grain = 1);

 private:
  void workerLoop(int index);
  void runPart(int part);

  std::vector<std::thread> workers_;
  std::mutex callMutex_;  // one parallelFor at a time
  // Workers spin on generation_ for a short while after each job (a decode step issues
  // hundreds of small parallelFors back to back), then sleep on wake_.
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const RangeFn* job_ = nullptr;
  int64_t jobN_ = 0;
  int jobParts_ = 0;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<int> sleepers_{0};
  std::atomic<bool> callerWaiting_{false};
  std::atomic<bool> stop_{false};
};

}  // namespace pds
