#include "bulwark/keys/pkcs11_provider.h"

#include <dlfcn.h>
#include <fmt/format.h>
#include <p11-kit/pkcs11.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>

namespace bulwark::keys {
namespace {

constexpr std::uint8_t kBlobVersion = 1;
constexpr std::size_t kNonceSize = 12;
constexpr std::size_t kTagSize = 16;
constexpr std::size_t kHeaderSize = 1 + 4 + kNonceSize;

std::string_view RvName(CK_RV rv) {
  switch (rv) {
    case CKR_PIN_INCORRECT:
      return "CKR_PIN_INCORRECT";
    case CKR_PIN_LOCKED:
      return "CKR_PIN_LOCKED";
    case CKR_PIN_LEN_RANGE:
      return "CKR_PIN_LEN_RANGE";
    case CKR_ENCRYPTED_DATA_INVALID:
      return "CKR_ENCRYPTED_DATA_INVALID";
    case CKR_ENCRYPTED_DATA_LEN_RANGE:
      return "CKR_ENCRYPTED_DATA_LEN_RANGE";
    case CKR_DEVICE_ERROR:
      return "CKR_DEVICE_ERROR";
    case CKR_DEVICE_REMOVED:
      return "CKR_DEVICE_REMOVED";
    case CKR_TOKEN_NOT_PRESENT:
      return "CKR_TOKEN_NOT_PRESENT";
    case CKR_SESSION_HANDLE_INVALID:
      return "CKR_SESSION_HANDLE_INVALID";
    case CKR_SESSION_CLOSED:
      return "CKR_SESSION_CLOSED";
    case CKR_USER_NOT_LOGGED_IN:
      return "CKR_USER_NOT_LOGGED_IN";
    case CKR_ATTRIBUTE_SENSITIVE:
      return "CKR_ATTRIBUTE_SENSITIVE";
    case CKR_MECHANISM_INVALID:
      return "CKR_MECHANISM_INVALID";
    case CKR_MECHANISM_PARAM_INVALID:
      return "CKR_MECHANISM_PARAM_INVALID";
    case CKR_GENERAL_ERROR:
      return "CKR_GENERAL_ERROR";
    case CKR_CRYPTOKI_NOT_INITIALIZED:
      return "CKR_CRYPTOKI_NOT_INITIALIZED";
    case CKR_ACTION_PROHIBITED:
      return "CKR_ACTION_PROHIBITED";
    case CKR_OBJECT_HANDLE_INVALID:
      return "CKR_OBJECT_HANDLE_INVALID";
    default:
      return "CKR_?";
  }
}

Error RvError(CK_RV rv, std::string_view op) {
  ErrorCode code = ErrorCode::kInternal;
  switch (rv) {
    case CKR_PIN_INCORRECT:
    case CKR_PIN_LOCKED:
    case CKR_PIN_LEN_RANGE:
    case CKR_PIN_INVALID:
      code = ErrorCode::kUnauthenticated;
      break;
    case CKR_ENCRYPTED_DATA_INVALID:
    case CKR_ENCRYPTED_DATA_LEN_RANGE:
      code = ErrorCode::kDataLoss;
      break;
    case CKR_DEVICE_ERROR:
    case CKR_DEVICE_MEMORY:
    case CKR_DEVICE_REMOVED:
    case CKR_TOKEN_NOT_PRESENT:
    case CKR_TOKEN_NOT_RECOGNIZED:
    case CKR_SESSION_HANDLE_INVALID:
    case CKR_SESSION_CLOSED:
    case CKR_CRYPTOKI_NOT_INITIALIZED:
    case CKR_GENERAL_ERROR:
    case CKR_USER_NOT_LOGGED_IN:
      code = ErrorCode::kUnavailable;
      break;
    default:
      break;
  }
  return Error(code, fmt::format("PKCS#11 {}: {} (0x{:x})", op, RvName(rv), rv));
}

std::string TrimLabel(const unsigned char* label, std::size_t n) {
  std::string s(reinterpret_cast<const char*>(label), n);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  return s;
}

}  // namespace

struct Pkcs11Provider::Impl {
  Options options;
  std::shared_ptr<SecureRandom> random;
  void* lib = nullptr;
  CK_FUNCTION_LIST_PTR f = nullptr;
  bool finalize = false;
  CK_SESSION_HANDLE session = CK_INVALID_HANDLE;
  mutable std::mutex mu;
  std::map<std::uint32_t, CK_OBJECT_HANDLE> keks;
  std::uint32_t current = 0;

  ~Impl() {
    // No C_Logout: login state is shared by every session of the process on the token, and
    // closing the last session ends it anyway.
    if (f != nullptr && session != CK_INVALID_HANDLE) f->C_CloseSession(session);
    if (f != nullptr && finalize) f->C_Finalize(nullptr);
    if (lib != nullptr) dlclose(lib);
  }

  Status FindKeks() {
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_KEY_TYPE type = CKK_AES;
    CK_ATTRIBUTE tmpl[] = {
        {CKA_CLASS, &cls, sizeof cls},
        {CKA_KEY_TYPE, &type, sizeof type},
        {CKA_LABEL, options.key_label.data(), options.key_label.size()},
    };
    CK_RV rv = f->C_FindObjectsInit(session, tmpl, 3);
    if (rv != CKR_OK) return std::unexpected(RvError(rv, "find KEKs"));
    std::vector<CK_OBJECT_HANDLE> found;
    for (;;) {
      CK_OBJECT_HANDLE batch[16];
      CK_ULONG n = 0;
      rv = f->C_FindObjects(session, batch, 16, &n);
      if (rv != CKR_OK) break;
      found.insert(found.end(), batch, batch + n);
      if (n == 0) break;
    }
    f->C_FindObjectsFinal(session);
    if (rv != CKR_OK) return std::unexpected(RvError(rv, "find KEKs"));
    keks.clear();
    current = 0;
    for (CK_OBJECT_HANDLE h : found) {
      unsigned char id[4] = {};
      CK_ATTRIBUTE attr = {CKA_ID, id, sizeof id};
      if (f->C_GetAttributeValue(session, h, &attr, 1) != CKR_OK || attr.ulValueLen != 4) continue;
      const std::uint32_t number = (std::uint32_t{id[0]} << 24) | (std::uint32_t{id[1]} << 16) |
                                   (std::uint32_t{id[2]} << 8) | std::uint32_t{id[3]};
      keks[number] = h;
      current = std::max(current, number);
    }
    return OkStatus();
  }

  Status GenerateKek(std::uint32_t number) {
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_KEY_TYPE type = CKK_AES;
    CK_ULONG len = 32;
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    unsigned char id[4] = {
        static_cast<unsigned char>(number >> 24), static_cast<unsigned char>(number >> 16),
        static_cast<unsigned char>(number >> 8), static_cast<unsigned char>(number)};
    CK_ATTRIBUTE tmpl[] = {
        {CKA_CLASS, &cls, sizeof cls},
        {CKA_KEY_TYPE, &type, sizeof type},
        {CKA_VALUE_LEN, &len, sizeof len},
        {CKA_TOKEN, &yes, sizeof yes},
        {CKA_PRIVATE, &yes, sizeof yes},
        {CKA_SENSITIVE, &yes, sizeof yes},
        {CKA_EXTRACTABLE, &no, sizeof no},
        {CKA_ENCRYPT, &yes, sizeof yes},
        {CKA_DECRYPT, &yes, sizeof yes},
        {CKA_LABEL, options.key_label.data(), options.key_label.size()},
        {CKA_ID, id, sizeof id},
    };
    CK_MECHANISM mech = {CKM_AES_KEY_GEN, nullptr, 0};
    CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
    CK_RV rv = f->C_GenerateKey(session, &mech, tmpl, sizeof tmpl / sizeof tmpl[0], &h);
    if (rv != CKR_OK) return std::unexpected(RvError(rv, "generate KEK"));
    keks[number] = h;
    current = number;
    return OkStatus();
  }
};

Pkcs11Provider::Pkcs11Provider(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Pkcs11Provider::~Pkcs11Provider() = default;

Result<std::unique_ptr<Pkcs11Provider>> Pkcs11Provider::Open(Options options,
                                                             std::shared_ptr<SecureRandom> random) {
  auto impl = std::make_unique<Impl>();
  impl->random = std::move(random);
  const std::string module = options.module_path;
  impl->lib = dlopen(module.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (impl->lib == nullptr) {
    const char* why = dlerror();
    return UnavailableError(fmt::format(
        "PKCS#11 module {} cannot be loaded ({}); is SoftHSM2 / the HSM client installed?", module,
        why != nullptr ? why : "unknown error"));
  }
  auto get_list = reinterpret_cast<CK_C_GetFunctionList>(dlsym(impl->lib, "C_GetFunctionList"));
  if (get_list == nullptr || get_list(&impl->f) != CKR_OK || impl->f == nullptr) {
    return UnavailableError(fmt::format("PKCS#11 module {}: no usable C_GetFunctionList", module));
  }
  CK_C_INITIALIZE_ARGS init_args{};
  init_args.flags = CKF_OS_LOCKING_OK;
  CK_RV rv = impl->f->C_Initialize(&init_args);
  if (rv == CKR_OK) {
    impl->finalize = true;
  } else if (rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
    return UnavailableError(
        fmt::format("PKCS#11 module {}: C_Initialize failed: {} (0x{:x})", module, RvName(rv), rv));
  }
  CK_ULONG count = 0;
  rv = impl->f->C_GetSlotList(CK_TRUE, nullptr, &count);
  std::vector<CK_SLOT_ID> slots(count);
  if (rv == CKR_OK && count > 0) rv = impl->f->C_GetSlotList(CK_TRUE, slots.data(), &count);
  if (rv != CKR_OK) return std::unexpected(RvError(rv, "list slots"));
  std::optional<CK_SLOT_ID> slot;
  for (CK_ULONG i = 0; i < count; ++i) {
    CK_TOKEN_INFO info;
    if (impl->f->C_GetTokenInfo(slots[i], &info) != CKR_OK) continue;
    if (TrimLabel(info.label, sizeof info.label) == options.token_label) {
      slot = slots[i];
      break;
    }
  }
  if (!slot.has_value()) {
    return UnavailableError(
        fmt::format("PKCS#11 module {}: no token labelled '{}' ({} tokens present)", module,
                    options.token_label, count));
  }
  rv = impl->f->C_OpenSession(*slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr,
                              &impl->session);
  if (rv != CKR_OK) return std::unexpected(RvError(rv, "open session"));
  rv =
      impl->f->C_Login(impl->session, CKU_USER,
                       const_cast<unsigned char*>(options.pin.Reveal().data()), options.pin.size());
  if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
    return std::unexpected(RvError(rv, fmt::format("log in to token '{}'", options.token_label)));
  }
  impl->options = std::move(options);
  impl->options.pin.Clear();  // not needed after login
  BULWARK_RETURN_IF_ERROR(impl->FindKeks());
  if (impl->keks.empty()) {
    if (!impl->options.create_if_missing) {
      return NotFoundError(fmt::format("PKCS#11 token '{}': no AES key labelled '{}'",
                                       impl->options.token_label, impl->options.key_label));
    }
    BULWARK_RETURN_IF_ERROR(impl->GenerateKek(1));
  }
  return std::unique_ptr<Pkcs11Provider>(new Pkcs11Provider(std::move(impl)));
}

std::uint32_t Pkcs11Provider::current_kek() const {
  std::lock_guard lock(impl_->mu);
  return impl_->current;
}

Status Pkcs11Provider::RotateKek() {
  std::lock_guard lock(impl_->mu);
  return impl_->GenerateKek(impl_->current + 1);
}

Result<std::size_t> Pkcs11Provider::RetireOldKeks() {
  std::lock_guard lock(impl_->mu);
  std::size_t removed = 0;
  for (auto it = impl_->keks.begin(); it != impl_->keks.end();) {
    if (it->first == impl_->current) {
      ++it;
      continue;
    }
    const CK_RV rv = impl_->f->C_DestroyObject(impl_->session, it->second);
    if (rv == CKR_ACTION_PROHIBITED || rv == CKR_ATTRIBUTE_READ_ONLY) {
      return FailedPreconditionError(fmt::format(
          "PKCS#11 token '{}' refuses to destroy KEK #{} of key '{}' ({} (0x{:x})): destroy it "
          "with the token's tools; until then data keys wrapped under it in older keyring copies "
          "stay recoverable",
          impl_->options.token_label, it->first, impl_->options.key_label, RvName(rv), rv));
    }
    if (rv != CKR_OK && rv != CKR_OBJECT_HANDLE_INVALID) {  // invalid: already gone
      return std::unexpected(RvError(rv, fmt::format("destroy KEK #{}", it->first)));
    }
    it = impl_->keks.erase(it);
    if (rv == CKR_OK) ++removed;
  }
  return removed;
}

std::vector<std::uint32_t> Pkcs11Provider::kek_numbers() const {
  std::lock_guard lock(impl_->mu);
  std::vector<std::uint32_t> out;
  for (const auto& [number, handle] : impl_->keks) out.push_back(number);
  return out;
}

Result<std::vector<std::uint8_t>> Pkcs11Provider::WrapKey(
    const SecretBytes& dek, std::span<const std::uint8_t> context) const {
  std::vector<std::uint8_t> out(kHeaderSize + dek.size() + kTagSize);
  BULWARK_RETURN_IF_ERROR(impl_->random->Fill(std::span(out).subspan(5, kNonceSize)));
  std::lock_guard lock(impl_->mu);
  const std::uint32_t n = impl_->current;
  out[0] = kBlobVersion;
  out[1] = static_cast<std::uint8_t>(n >> 24);
  out[2] = static_cast<std::uint8_t>(n >> 16);
  out[3] = static_cast<std::uint8_t>(n >> 8);
  out[4] = static_cast<std::uint8_t>(n);
  CK_GCM_PARAMS params{};
  params.pIv = out.data() + 5;
  params.ulIvLen = kNonceSize;
  params.ulIvBits = kNonceSize * 8;
  params.pAAD = const_cast<unsigned char*>(context.data());
  params.ulAADLen = context.size();
  params.ulTagBits = kTagSize * 8;
  CK_MECHANISM mech = {CKM_AES_GCM, &params, sizeof params};
  CK_RV rv = impl_->f->C_EncryptInit(impl_->session, &mech, impl_->keks.at(n));
  if (rv != CKR_OK) return std::unexpected(RvError(rv, "wrap: encrypt init"));
  CK_ULONG len = dek.size() + kTagSize;
  rv = impl_->f->C_Encrypt(impl_->session, const_cast<unsigned char*>(dek.Reveal().data()),
                           dek.size(), out.data() + kHeaderSize, &len);
  if (rv != CKR_OK) return std::unexpected(RvError(rv, "wrap: encrypt"));
  if (len != dek.size() + kTagSize) return InternalError("PKCS#11 wrap: unexpected output length");
  return out;
}

Result<SecretBytes> Pkcs11Provider::UnwrapKey(std::span<const std::uint8_t> wrapped,
                                              std::span<const std::uint8_t> context) const {
  if (wrapped.size() < kHeaderSize + kTagSize || wrapped[0] != kBlobVersion) {
    return DataLossError("PKCS#11 unwrap: malformed wrapped key");
  }
  const std::uint32_t n = (std::uint32_t{wrapped[1]} << 24) | (std::uint32_t{wrapped[2]} << 16) |
                          (std::uint32_t{wrapped[3]} << 8) | std::uint32_t{wrapped[4]};
  std::lock_guard lock(impl_->mu);
  auto it = impl_->keks.find(n);
  if (it == impl_->keks.end()) {
    return NotFoundError(fmt::format("PKCS#11 unwrap: KEK number {} is not in token '{}'", n,
                                     impl_->options.token_label));
  }
  CK_GCM_PARAMS params{};
  params.pIv = const_cast<unsigned char*>(wrapped.data() + 5);
  params.ulIvLen = kNonceSize;
  params.ulIvBits = kNonceSize * 8;
  params.pAAD = const_cast<unsigned char*>(context.data());
  params.ulAADLen = context.size();
  params.ulTagBits = kTagSize * 8;
  CK_MECHANISM mech = {CKM_AES_GCM, &params, sizeof params};
  CK_RV rv = impl_->f->C_DecryptInit(impl_->session, &mech, it->second);
  if (rv != CKR_OK) return std::unexpected(RvError(rv, "unwrap: decrypt init"));
  const auto body = wrapped.subspan(kHeaderSize);
  SecretBytes buffer(body.size());
  CK_ULONG len = body.size();
  rv = impl_->f->C_Decrypt(impl_->session, const_cast<unsigned char*>(body.data()), body.size(),
                           buffer.MutableReveal().data(), &len);
  if (rv != CKR_OK) {
    // Tokens report a GCM tag mismatch differently (SoftHSM2: CKR_GENERAL_ERROR). If the session
    // is still healthy the failure is the data's: kDataLoss; otherwise the token is gone.
    CK_SESSION_INFO info;
    const bool device_problem =
        rv != CKR_GENERAL_ERROR && RvError(rv, "").code() == ErrorCode::kUnavailable;
    if (rv == CKR_ENCRYPTED_DATA_INVALID || rv == CKR_ENCRYPTED_DATA_LEN_RANGE ||
        (!device_problem && impl_->f->C_GetSessionInfo(impl_->session, &info) == CKR_OK)) {
      return DataLossError(fmt::format(
          "PKCS#11 unwrap: the wrapped key or its context does not authenticate ({} (0x{:x}))",
          RvName(rv), rv));
    }
    return std::unexpected(RvError(rv, "unwrap: decrypt"));
  }
  if (len != body.size() - kTagSize) return InternalError("PKCS#11 unwrap: unexpected length");
  return SecretBytes(buffer.Reveal().first(len));
}

std::string Pkcs11Provider::Describe() const {
  std::lock_guard lock(impl_->mu);
  return fmt::format("PKCS#11 token '{}' via {} (key '{}' #{}, {} KEKs)",
                     impl_->options.token_label, impl_->options.module_path,
                     impl_->options.key_label, impl_->current, impl_->keks.size());
}

Status Pkcs11Provider::HealthCheck() const {
  SecretBytes probe(16);
  BULWARK_ASSIGN_OR_RETURN(auto blob, WrapKey(probe, {}));
  BULWARK_ASSIGN_OR_RETURN(auto back, UnwrapKey(blob, {}));
  if (!(back == probe)) return UnavailableError("PKCS#11 health check: round trip mismatch");
  return OkStatus();
}

Status Pkcs11Provider::CheckKekIsNonExtractable() const {
  std::lock_guard lock(impl_->mu);
  const CK_OBJECT_HANDLE h = impl_->keks.at(impl_->current);
  CK_BBOOL sensitive = CK_FALSE, extractable = CK_TRUE;
  CK_ATTRIBUTE flags[] = {{CKA_SENSITIVE, &sensitive, sizeof sensitive},
                          {CKA_EXTRACTABLE, &extractable, sizeof extractable}};
  CK_RV rv = impl_->f->C_GetAttributeValue(impl_->session, h, flags, 2);
  if (rv != CKR_OK) return std::unexpected(RvError(rv, "read KEK attributes"));
  unsigned char value[64];
  CK_ATTRIBUTE attr = {CKA_VALUE, value, sizeof value};
  rv = impl_->f->C_GetAttributeValue(impl_->session, h, &attr, 1);
  SecureZero(value, sizeof value);
  if (sensitive != CK_TRUE || extractable != CK_FALSE || rv == CKR_OK) {
    return FailedPreconditionError(fmt::format(
        "PKCS#11 KEK #{} in token '{}' is extractable (sensitive={}, extractable={}, value {})",
        impl_->current, impl_->options.token_label, sensitive == CK_TRUE, extractable == CK_TRUE,
        rv == CKR_OK ? "readable" : "refused"));
  }
  return OkStatus();
}

}  // namespace bulwark::keys
