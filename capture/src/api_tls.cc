#include "snapflow/capture/api_tls.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <fstream>
#include <memory>
#include <sstream>

namespace snapflow::capture {
namespace {

using base::ErrorCode;
using base::make_error;

base::Error bad(const std::string& flag, const std::string& path, const std::string& why) {
  return make_error(ErrorCode::kInvalidArgument, "--" + flag + "=" + path + ": " + why);
}

base::Result<std::string> read_file(const std::string& flag, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return bad(flag, path, "cannot open");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A passphrase callback that refuses: the daemon cannot ask anyone.
int no_passphrase(char*, int, int, void*) {
  return -1;
}

}  // namespace

TlsMaterial::~TlsMaterial() {
  if (!key_pem.empty()) OPENSSL_cleanse(key_pem.data(), key_pem.size());
}

base::Result<TlsMaterial> load_tls_material(const std::string& cert_path,
                                            const std::string& key_path) {
  struct stat st {};
  if (::stat(key_path.c_str(), &st) != 0) return bad("api-tls-key", key_path, "cannot open");
  if (!S_ISREG(st.st_mode)) return bad("api-tls-key", key_path, "not a regular file");
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return bad("api-tls-key", key_path,
               std::string("mode ") + mode +
                   " lets group or others read the private key; chmod 600 " + key_path);
  }
  TlsMaterial m;
  auto cert = read_file("api-tls-cert", cert_path);
  if (!cert) return std::move(cert).error();
  m.cert_pem = std::move(*cert);
  auto key = read_file("api-tls-key", key_path);
  if (!key) return std::move(key).error();
  m.key_pem = std::move(*key);

  std::unique_ptr<BIO, decltype(&BIO_free)> cert_bio(
      BIO_new_mem_buf(m.cert_pem.data(), static_cast<int>(m.cert_pem.size())), &BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> x509(
      PEM_read_bio_X509(cert_bio.get(), nullptr, &no_passphrase, nullptr), &X509_free);
  if (!x509) {
    ERR_clear_error();
    return bad("api-tls-cert", cert_path, "no PEM certificate in the file");
  }
  std::unique_ptr<BIO, decltype(&BIO_free)> key_bio(
      BIO_new_mem_buf(m.key_pem.data(), static_cast<int>(m.key_pem.size())), &BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, &no_passphrase, nullptr), &EVP_PKEY_free);
  if (!pkey) {
    ERR_clear_error();
    return bad("api-tls-key", key_path,
               "no unencrypted PEM private key in the file (encrypted keys are not supported)");
  }
  const bool matches = X509_check_private_key(x509.get(), pkey.get()) == 1;
  ERR_clear_error();  // a mismatch leaves its reason queued; ours is the message below
  if (!matches) {
    return bad("api-tls-key", key_path, "does not match the certificate in " + cert_path);
  }
  char subject[256] = "";
  X509_NAME_oneline(X509_get_subject_name(x509.get()), subject, sizeof subject);
  m.subject = subject;
  return m;
}

}  // namespace snapflow::capture
