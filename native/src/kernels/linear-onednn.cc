// Large-M Linear through oneDNN's matmul (brgemm: AVX-512 for f32, AMX for bf16), reading the
// packed panels in place: our F32 and BF16 layouts are oneDNN's BA16a64b / BA16a64b2a, so no
// weight copy exists. Selected by PDSERVE_LINEAR_GEMM=onednn (linear.cc explains why our own
// kernels are the default). Primitives are cached process-wide by (dtype, M, N, K, bias); calls
// are serialized (2-core machine, and oneDNN's default scratchpad is per primitive), which also
// keeps libuv threads from each starting an OpenMP team at once.
#include <dlfcn.h>

#include <dnnl.hpp>

#include <list>
#include <map>
#include <mutex>
#include <tuple>
#include <vector>

#include "kernels/linear-impl.h"
#include "runtime/thread-pool.h"


namespace pds {

namespace {

using dnnl::memory;
using Tag = memory::format_tag;
using Dt = memory::data_type;

dnnl::engine& engine() {
  static dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  return eng;
}

memory::desc weightsDesc(const PackedWeights& w) {
  return w.store == DType::F32 ? memory::desc({w.k, w.n}, Dt::f32, Tag::BA16a64b)
                               : memory::desc({w.k, w.n}, Dt::bf16, Tag::BA16a64b2a);
}

/// bf16 runs pad M to a bucket (x is copied to bf16 anyway) to bound primitive creations (~ms).
int64_t bucketRows(DType store, int64_t m) {
  if (store == DType::F32) return m;
  return m <= 256 ? (m + 15) / 16 * 16 : (m + 63) / 64 * 64;
}

struct Entry {
  dnnl::matmul prim;
  memory::desc src, dst, bias;
};

using Key = std::tuple<int, int64_t, int64_t, int64_t, bool>;

class Cache {
 public:
  std::shared_ptr<Entry> get(const PackedWeights& w, int64_t m, bool bias) {
    Key key{static_cast<int>(w.store), m, w.n, w.k, bias};
    auto it = map_.find(key);
    if (it != map_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second.second);
      return it->second.first;
    }
    auto e = std::make_shared<Entry>();
    const Dt dt = w.store == DType::F32 ? Dt::f32 : Dt::bf16;
    e->src = memory::desc({m, w.k}, dt, Tag::ab);
    e->dst = memory::desc({m, w.n}, Dt::f32, Tag::ab);
    e->bias = memory::desc({1, w.n}, Dt::f32, Tag::ab);
    dnnl::matmul::desc d = bias ? dnnl::matmul::desc(e->src, weightsDesc(w), e->bias, e->dst)
                                : dnnl::matmul::desc(e->src, weightsDesc(w), e->dst);
    e->prim = dnnl::matmul(dnnl::matmul::primitive_desc(d, engine()));
    lru_.push_front(key);
    map_[key] = {e, lru_.begin()};
    if (map_.size() > kCapacity) {
      map_.erase(lru_.back());
      lru_.pop_back();
    }
    return e;
  }

 private:
  static constexpr size_t kCapacity = 256;
  std::list<Key> lru_;
  std::map<Key, std::pair<std::shared_ptr<Entry>, std::list<Key>::iterator>> map_;
};

/// oneDNN's OpenMP team size follows the pool size (PDSERVE_THREADS) in every calling thread.
/// libgomp arrives with libdnnl; it is looked up at run time since we do not link it directly.
void matchOmpThreads() {
  using SetFn = void (*)(int);
  static SetFn set = [] {
    void* h = dlopen("libgomp.so.1", RTLD_LAZY | RTLD_NOLOAD);
    return h ? reinterpret_cast<SetFn>(dlsym(h, "omp_set_num_threads")) : nullptr;
  }();
  if (set) set(ThreadPool::global().size());
}

std::mutex gMutex;  // guards the cache, the scratch buffers and every execution
Cache gCache;
std::vector<uint16_t> gXbf16;
std::vector<float> gYpad;

}  // namespace

bool onednnAccepts(const PackedWeights& w) {
  if (w.store != DType::F32 && w.store != DType::BF16) return false;
  try {
    std::lock_guard<std::mutex> lock(gMutex);
    const Dt dt = w.store == DType::F32 ? Dt::f32 : Dt::bf16;
    memory::desc src({64, w.k}, dt, Tag::ab), dst({64, w.n}, Dt::f32, Tag::ab);
    memory::desc any({w.k, w.n}, dt, Tag::any);
    dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src, any, dst), engine());
    std::string impl = pd.impl_info_str();
    return pd.weights_desc() == weightsDesc(w) && weightsDesc(w).get_size() == w.bytes &&
           impl.find("brg") != std::string::npos;
  } catch (const dnnl::error&) {
    return false;
  }
}

void onednnForward(const PackedWeights& w, const float* x, int64_t m, float* y, const float* bias) {
  std::lock_guard<std::mutex> lock(gMutex);
  const int64_t mb = bucketRows(w.store, m);
  std::shared_ptr<Entry> e = gCache.get(w, mb, bias != nullptr);
  void* src = const_cast<float*>(x);
  if (w.store == DType::BF16) {
    if (gXbf16.size() < static_cast<size_t>(mb * w.k)) gXbf16.resize(mb * w.k);
    convertRowsToBf16(x, m, w.k, gXbf16.data());
    std::fill(gXbf16.begin() + m * w.k, gXbf16.begin() + mb * w.k, 0);
    src = gXbf16.data();
  }
  float* dst = y;
  if (mb != m) {
    if (gYpad.size() < static_cast<size_t>(mb * w.n)) gYpad.resize(mb * w.n);
    dst = gYpad.data();
  }
  matchOmpThreads();
  dnnl::stream stream(engine());
  memory srcMem(e->src, engine(), src), dstMem(e->dst, engine(), dst);
  memory wMem(weightsDesc(w), engine(), w.data.get());
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, srcMem}, {DNNL_ARG_WEIGHTS, wMem}, {DNNL_ARG_DST, dstMem}};
  if (bias) args.emplace(DNNL_ARG_BIAS, memory(e->bias, engine(), const_cast<float*>(bias)));
  e->prim.execute(stream, args);
  stream.wait();
  if (dst != y) std::copy(dst, dst + m * w.n, y);
}

}  // namespace pds
