// Result<T> and Error: the error channel of every control and I/O path in snapflow.
//
// Hot paths (decode, aggregate) return small enum statuses instead; Result is for operations
// that can fail for reasons a person must read: opening files, parsing config, talking HTTP.
// An Error carries a code and a message, and grows a context chain as it travels up:
//   "record 1042 at byte 66112: captured length 300000 exceeds 262144 <- read trace.pcap"
// Exceptions are used only at process boundaries (main), never inside the libraries.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace snapflow::base {

enum class ErrorCode {
  kInvalidArgument,  ///< a caller or user supplied a value outside its domain
  kIo,               ///< an operating-system I/O call failed
  kNoSpace,          ///< a filesystem is full (ENOSPC, EDQUOT): may work once space returns
  kFormat,           ///< input bytes do not follow the format they claim
  kTruncated,        ///< input ended in the middle of a record or block
  kUnsupported,      ///< valid input that snapflow does not handle (e.g. a link type)
  kNotFound,         ///< a named file, capture, cursor or host does not exist
  kTimeout,          ///< a deadline passed
  kUnavailable,      ///< a remote service cannot be reached or refused for now
  kRejected,         ///< a remote service refused the request for good (auth, mapping)
  kOverloaded,       ///< a remote service asked us to slow down beyond our retry budget
  kCancelled,        ///< the operation was stopped on request (signal, shutdown)
  kInternal,         ///< a broken invariant: a bug in snapflow
};

std::string_view to_string(ErrorCode code);

class Error {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Appends " <- what": the outer operation in whose course the error happened.
  Error& context(std::string_view what) & {
    message_.append(" <- ").append(what);
    return *this;
  }
  Error&& context(std::string_view what) && {
    message_.append(" <- ").append(what);
    return std::move(*this);
  }

  // "format: record 3 ... <- read x.pcap": the one line a user sees.
  std::string to_string() const;

 private:
  ErrorCode code_;
  std::string message_;
};

inline Error make_error(ErrorCode code, std::string message) {
  return Error(code, std::move(message));
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}      // NOLINT: implicit
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(state_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(state_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(state_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const& {
    assert(!ok());
    return std::get<1>(state_);
  }
  Error&& error() && {
    assert(!ok());
    return std::get<1>(std::move(state_));
  }

 private:
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const& {
    assert(!ok_);
    return error_;
  }
  Error&& error() && {
    assert(!ok_);
    return std::move(error_);
  }

 private:
  Error error_{ErrorCode::kInternal, {}};
  bool ok_ = true;
};

using Status = Result<void>;

inline Status ok_status() {
  return {};
}

}  // namespace snapflow::base

// Propagates an error from an expression returning Result/Status, adding context.
#define SNAPFLOW_TRY_STATUS(expr, ctx)                                                           \
  do {                                                                                           \
    auto snapflow_try_result_ = (expr);                                                          \
    if (!snapflow_try_result_.ok()) return std::move(snapflow_try_result_).error().context(ctx); \
  } while (false)
