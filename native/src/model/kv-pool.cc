#include "model/kv-pool.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <set>
#include <stdexcept>

namespace pds {
namespace {

std::runtime_error sysError(const std::string& what, const std::string& name, int err) {
  return std::runtime_error("KvPool " + name + ": " + what + " failed: " + std::strerror(err));
}

/// Names this process created and has not unlinked yet, removed at exit.
struct OwnedNames {
  std::mutex mu;
  std::set<std::string> names;
};
OwnedNames& owned() {
  static OwnedNames* o = [] {
    auto* names = new OwnedNames();  // never destroyed: used by the atexit handler
    std::atexit([] {
      std::lock_guard<std::mutex> lock(owned().mu);
      for (const auto& n : owned().names) shm_unlink(n.c_str());
      owned().names.clear();
    });
    return names;
  }();
  return *o;
}

void* mapFd(int fd, size_t bytes, const std::string& name) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) throw sysError("mmap", name, errno);
  return p;
}

void checkName(const std::string& name) {
  if (name.size() < 2 || name[0] != '/' || name.find('/', 1) != std::string::npos || name.size() > 255)
    throw std::invalid_argument("KvPool name '" + name + "' must be '/' followed by 1-254 characters without '/'");
}

}  // namespace

size_t kvPoolBytes(const KvLayout& l) {
  if (l.numBlocks <= 0 || l.blockSize <= 0 || l.layers <= 0 || l.kvHeads <= 0 || l.headDim <= 0)
    throw std::invalid_argument("KvPool: numBlocks, blockSize, layers, kvHeads and headDim must be positive");
  if (l.dtype != DType::F32 && l.dtype != DType::BF16) throw std::invalid_argument("KvPool: dtype must be f32 or bf16");
  long double total = static_cast<long double>(l.numBlocks) * l.blockSize * l.layers * 2 * l.kvHeads * l.headDim *
                      l.elemBytes();
  if (total > static_cast<long double>(std::numeric_limits<int64_t>::max() / 2))
    throw std::invalid_argument("KvPool: layout is too large");
  return static_cast<size_t>(l.numBlocks * l.blockBytes());
}

std::shared_ptr<KvPool> KvPool::create(const KvLayout& layout, const std::string& name) {
  checkName(name);
  size_t bytes = kvPoolBytes(layout);
  int fd = shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600);
  if (fd < 0) throw sysError("shm_open(create)", name, errno);
  int err = ftruncate(fd, static_cast<off_t>(bytes)) == 0 ? 0 : errno;
  if (!err) err = posix_fallocate(fd, 0, static_cast<off_t>(bytes));
  void* data = MAP_FAILED;
  if (!err) {
    data = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (data == MAP_FAILED) err = errno;
  }
  close(fd);
  if (err) {
    shm_unlink(name.c_str());
    throw sysError("sizing or mapping", name, err);
  }
  {
    std::lock_guard<std::mutex> lock(owned().mu);
    owned().names.insert(name);
  }
  return std::shared_ptr<KvPool>(new KvPool(layout, name, data, bytes, true));
}

std::shared_ptr<KvPool> KvPool::open(const KvLayout& layout, const std::string& name) {
  checkName(name);
  size_t bytes = kvPoolBytes(layout);
  int fd = shm_open(name.c_str(), O_RDWR, 0);
  if (fd < 0) throw sysError("shm_open(open)", name, errno);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int err = errno;
    close(fd);
    throw sysError("fstat", name, err);
  }
  if (static_cast<size_t>(st.st_size) != bytes) {
    close(fd);
    throw std::invalid_argument("KvPool " + name + ": region has " + std::to_string(st.st_size) +
                                " bytes, the layout needs " + std::to_string(bytes));
  }
  void* data;
  try {
    data = mapFd(fd, bytes, name);
  } catch (...) {
    close(fd);
    throw;
  }
  close(fd);
  auto pool = std::shared_ptr<KvPool>(new KvPool(layout, name, data, bytes, false));
  pool->linked_ = false;
  return pool;
}

std::string KvPool::defaultName() {
  static std::atomic<int> counter{0};
  return "/pdserve-kv-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
}

void KvPool::unlinkName() {
  if (!owner_ || !linked_) return;
  linked_ = false;
  shm_unlink(name_.c_str());
  std::lock_guard<std::mutex> lock(owned().mu);
  owned().names.erase(name_);
}

KvPool::~KvPool() {
  unlinkName();
  munmap(data_, bytes_);
}

}  // namespace pds
