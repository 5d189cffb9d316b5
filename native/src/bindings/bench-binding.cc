// Native timing primitives for the benchmarks: FMA peak, streaming read bandwidth and the
// time of one Linear forward, each measured off the JS thread with no JS in the timed loop.
#include <napi.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "cpu-features.h"
#include "kernels/linear-impl.h"
#include "kernels/linear.h"
#include "runtime/async.h"
#include "runtime/registry.h"
#include "runtime/thread-pool.h"

namespace pds {

std::shared_ptr<const Linear> unwrapLinear(Napi::Env env, Napi::Value v);  // linear-binding.cc

namespace {

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double numberArg(const Napi::CallbackInfo& info, size_t i, const char* what, double lo, double hi) {
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a number");
  double v = info[i].As<Napi::Number>().DoubleValue();
  if (!(v >= lo && v <= hi))
    throw Napi::RangeError::New(info.Env(), std::string(what) + " must be in [" + std::to_string(lo) + ", " +
                                                std::to_string(hi) + "]");
  return v;
}

/// Portable fallback: 16 independent multiply-add chains the compiler may vectorize.
double fmaChainsPortable(int64_t iters) {
  float acc[16];
  for (int i = 0; i < 16; i++) acc[i] = static_cast<float>(i) * 1e-3f;
  for (int64_t it = 0; it < iters; it++) {
    for (int i = 0; i < 16; i++) acc[i] = acc[i] * 0.999999f + 1e-7f;
  }
  volatile float sink = acc[0] + acc[15];
  (void)sink;
  return static_cast<double>(iters) * 16 * 2;
}

float readSumPortable(const void* data, size_t bytes) {
  const uint64_t* p = static_cast<const uint64_t*>(data);
  uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (size_t i = 0; i + 4 <= bytes / 8; i += 4) {
    s0 += p[i];
    s1 += p[i + 1];
    s2 += p[i + 2];
    s3 += p[i + 3];
  }
  return static_cast<float>(s0 + s1 + s2 + s3);
}

/// measureFmaPeak(seconds): GFLOP/s of FMA chains on every pool thread (best ISA available).
Napi::Value MeasureFmaPeak(const Napi::CallbackInfo& info) {
  const double seconds = numberArg(info, 0, "seconds", 0.01, 60);
  auto result = std::make_shared<double>(0);
  return runAsync(
      info.Env(),
      [seconds, result] {
        const std::string isa = kernelIsa();
        double (*fn)(int64_t) = isa == "avx512" ? fmaChainsAvx512 : isa == "avx2" ? fmaChainsAvx2 : fmaChainsPortable;
        ThreadPool& pool = ThreadPool::global();
        std::vector<double> flops(pool.size(), 0);
        const double start = now();
        pool.parallelFor(pool.size(), [&](int64_t, int64_t, int t) {
          while (now() - start < seconds) flops[t] += fn(100000);
        });
        double total = 0;
        for (double f : flops) total += f;
        *result = total / (now() - start) / 1e9;
      },
      [result](Napi::Env env) { return Napi::Number::New(env, *result); });
}

/// measureReadBandwidth(bytes, seconds): median GB/s of passes reading a buffer on all threads.
Napi::Value MeasureReadBandwidth(const Napi::CallbackInfo& info) {
  const double bytesArg = numberArg(info, 0, "bytes", 1 << 20, 64.0 * (1ull << 30));
  const double seconds = numberArg(info, 1, "seconds", 0.01, 60);
  auto result = std::make_shared<double>(0);
  return runAsync(
      info.Env(),
      [bytesArg, seconds, result] {
        ThreadPool& pool = ThreadPool::global();
        const size_t slice = static_cast<size_t>(bytesArg) / pool.size() / 256 * 256, bytes = slice * pool.size();
        std::unique_ptr<char, void (*)(void*)> buf(static_cast<char*>(std::aligned_alloc(64, bytes)), std::free);
        if (!buf) throw std::runtime_error("measureReadBandwidth: out of memory");
        const std::string isa = kernelIsa();
        float (*fn)(const void*, size_t) = isa == "avx512" ? readSumAvx512 : isa == "avx2" ? readSumAvx2 : readSumPortable;
        pool.parallelFor(pool.size(), [&](int64_t, int64_t, int t) { std::memset(buf.get() + slice * t, 1, slice); });
        std::vector<double> passes;
        volatile float sink = 0;
        const double start = now();
        while (passes.size() < 2 || now() - start < seconds) {
          const double t0 = now();
          pool.parallelFor(pool.size(), [&](int64_t, int64_t, int t) { sink = sink + fn(buf.get() + slice * t, slice); });
          passes.push_back(bytes / (now() - t0) / 1e9);
        }
        *result = median(passes);
      },
      [result](Napi::Env env) { return Napi::Number::New(env, *result); });
}

/// benchLinear(linear, m, iters): median seconds of one forward over iters timed runs (after
/// one untimed warm-up), random x in [-1, 1).
Napi::Value BenchLinear(const Napi::CallbackInfo& info) {
  std::shared_ptr<const Linear> lin = unwrapLinear(info.Env(), info[0]);
  const int64_t m = static_cast<int64_t>(numberArg(info, 1, "m", 1, 1 << 20));
  const int iters = static_cast<int>(numberArg(info, 2, "iters", 1, 1e6));
  auto result = std::make_shared<double>(0);
  return runAsync(
      info.Env(),
      [lin, m, iters, result] {
        std::vector<float> x(m * lin->k()), y(m * lin->n());
        std::mt19937 rng(42);
        std::uniform_real_distribution<float> u(-1.f, 1.f);
        for (float& v : x) v = u(rng);
        lin->forward(x.data(), m, y.data());
        std::vector<double> times;
        for (int i = 0; i < iters; i++) {
          const double t0 = now();
          lin->forward(x.data(), m, y.data());
          times.push_back(now() - t0);
        }
        *result = median(times);
      },
      [result](Napi::Env env) { return Napi::Number::New(env, *result); });
}

void init(Napi::Env env, Napi::Object exports) {
  exports.Set("measureFmaPeak", Napi::Function::New(env, MeasureFmaPeak));
  exports.Set("measureReadBandwidth", Napi::Function::New(env, MeasureReadBandwidth));
  exports.Set("benchLinear", Napi::Function::New(env, BenchLinear));
}

Registrar registrar(init);

}  // namespace
}  // namespace pds
