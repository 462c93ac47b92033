// HTTPS for the capture API: the certificate and private key files (--api-tls-cert,
// --api-tls-key), read once at startup and checked before libmicrohttpd (GnuTLS) sees them.
//
// Checks, each failing with one line naming the flag: both files readable; the key file a
// regular file not readable or writable by group or others (mode 0600 or 0400: it is the
// server's identity); PEM that parses (an encrypted key is refused: the daemon has nobody to
// ask for a passphrase); the key matching the first certificate. The key's bytes are wiped
// from memory when the TlsMaterial is destroyed.
#pragma once

#include <string>

#include "snapflow/base/result.h"

namespace snapflow::capture {

struct TlsMaterial {
  std::string cert_pem;  ///< certificate, then any intermediate certificates
  std::string key_pem;
  std::string subject;  ///< of the certificate, for the startup log line
  TlsMaterial() = default;
  TlsMaterial(const TlsMaterial&) = default;
  TlsMaterial(TlsMaterial&&) = default;
  TlsMaterial& operator=(const TlsMaterial&) = default;
  TlsMaterial& operator=(TlsMaterial&&) = default;
  ~TlsMaterial();
};

base::Result<TlsMaterial> load_tls_material(const std::string& cert_path,
                                            const std::string& key_path);

}  // namespace snapflow::capture
