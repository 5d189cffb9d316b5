// The paged KV cache as one POSIX shared-memory region, so the kv-connector agent can map the
// same blocks in its own process and move them without a copy through the engine.
#pragma once
#include <cstddef>
#include <memory>
#include <string>

#include "kernels/ops.h"

namespace pds {

/// A mapped KV pool region. Ownership: the process that create()s a pool owns its name and
/// removes it (shm_unlink) on unlinkName(), when the last reference to the KvPool goes, or at
/// normal process exit (atexit), whichever comes first; a crash (SIGKILL) leaves it in
/// /dev/shm. open() maps another process's pool and never unlinks it. The mapping itself
/// lives as long as this object (hold it by shared_ptr while a kernel reads it).
class KvPool {
 public:
  /// Creates `name` exclusively (fails if it exists), sizes and reserves it (posix_fallocate,
  /// so a full /dev/shm fails here instead of with SIGBUS later) and maps it. Zero-filled.
  static std::shared_ptr<KvPool> create(const KvLayout& layout, const std::string& name);
  /// Maps an existing pool read-write; throws unless its size matches layout.
  static std::shared_ptr<KvPool> open(const KvLayout& layout, const std::string& name);
  /// A fresh default name: /pdserve-kv-<pid>-<n>.
  static std::string defaultName();

  ~KvPool();
  KvPool(const KvPool&) = delete;
  KvPool& operator=(const KvPool&) = delete;

  /// Removes the name (owner only; idempotent). Existing mappings stay valid.
  void unlinkName();

  void* data() const { return data_; }
  size_t bytes() const { return bytes_; }
  const KvLayout& layout() const { return layout_; }
  const std::string& name() const { return name_; }
  bool owner() const { return owner_; }

 private:
  KvPool(const KvLayout& layout, std::string name, void* data, size_t bytes, bool owner)
      : layout_(layout), name_(std::move(name)), data_(data), bytes_(bytes), owner_(owner) {}

  KvLayout layout_;
  std::string name_;
  void* data_;
  size_t bytes_;
  bool owner_;
  bool linked_ = true;
};

/// Total bytes of a pool with this layout; throws std::invalid_argument on non-positive or
/// overflowing dimensions.
size_t kvPoolBytes(const KvLayout& layout);

}  // namespace pds
