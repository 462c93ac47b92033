// An allocator whose value-initialisation leaves the memory as it is, for byte buffers that a
// read(2), pread(2) or memcpy fills before anything reads them.
//
// std::vector<std::byte>::resize() zero-fills, and zero-filling is a first write to every page:
// a 4 MiB packet batch of which a batch of small frames uses 0.8 MiB page-faulted all of it,
// once per pooled batch (decision 0092). With this allocator, resize() only reserves, and a
// page is touched when the bytes that live on it are written.
#pragma once

#include <memory>
#include <new>
#include <type_traits>
#include <utility>

namespace snapflow::base {

template <typename T>
class UninitializedAllocator : public std::allocator<T> {
  static_assert(std::is_trivially_default_constructible_v<T>,
                "only buffers of plain bytes or numbers may be left unfilled");

 public:
  template <typename U>
  struct rebind {
    using other = UninitializedAllocator<U>;
  };

  UninitializedAllocator() noexcept = default;
  template <typename U>
  UninitializedAllocator(const UninitializedAllocator<U>& /*other*/) noexcept {}

  // Value-initialisation (what resize(n) asks for) becomes default-initialisation: no write.
  template <typename U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

template <typename T, typename U>
bool operator==(const UninitializedAllocator<T>& /*a*/, const UninitializedAllocator<U>& /*b*/) {
  return true;
}

}  // namespace snapflow::base
