// ThreadSanitizer annotations for hand-offs it cannot see: synchronisation that happens inside a
// library not built with it (Debian's libtbb: the TBB pipeline passes work items between stages
// and tasks inside libtbb.so). A thread that releases an address before handing work on, and a
// thread that acquires it when it takes the work, are then ordered for ThreadSanitizer as they
// are in fact. Outside ThreadSanitizer builds these are empty inline functions.
#pragma once

#if defined(__SANITIZE_THREAD__)
#define SNAPFLOW_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SNAPFLOW_TSAN 1
#endif
#endif

#if defined(SNAPFLOW_TSAN)
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
#endif

namespace snapflow::base {

// The calling thread sees everything other threads did before their tsan_release(addr).
inline void tsan_acquire([[maybe_unused]] const void* addr) {
#if defined(SNAPFLOW_TSAN)
  __tsan_acquire(const_cast<void*>(addr));
#endif
}

// Everything the calling thread did so far is seen by a later tsan_acquire(addr).
inline void tsan_release([[maybe_unused]] const void* addr) {
#if defined(SNAPFLOW_TSAN)
  __tsan_release(const_cast<void*>(addr));
#endif
}

}  // namespace snapflow::base
