/*
 * berth-digest: SHA-256 by OpenSSL's libcrypto (EVP), which picks the CPU's SHA instructions (SHA-NI, ARMv8 SHA2)
 * itself. A pull hashes every blob and every uncompressed layer; in Java that speed needs C2's intrinsic, and C2
 * compiling a pull's methods cost as much CPU as the hashing. Like the rest of berth-sys it decides nothing: Java
 * owns the buffers, compares the digests and decides what a mismatch means.
 *
 * libcrypto is opened at run time (dlopen), not linked: a CLI verb that hashes nothing never maps it (DESIGN.md
 * "Startup budget"), and without it libberthsys.so still loads and Java falls back to java.security.MessageDigest.
 * The prototypes come from Debian's libssl-dev at build time (scripts/install-deps.sh installs it); built without
 * the header, the door is shut the same way.
 */
#define _GNU_SOURCE
#include <jni.h>
#include <dlfcn.h>
#include <stddef.h>
#include <stdint.h>

#if __has_include(<openssl/evp.h>)
#include <openssl/evp.h>

static __typeof__(EVP_MD_CTX_new) *ctx_new_fn;
static __typeof__(EVP_MD_CTX_free) *ctx_free_fn;
static __typeof__(EVP_MD_CTX_copy_ex) *ctx_copy_fn;
static __typeof__(EVP_DigestInit_ex) *init_fn;
static __typeof__(EVP_DigestUpdate) *update_fn;
static __typeof__(EVP_DigestFinal_ex) *final_fn;
/* SHA-256, fetched once (OpenSSL 3: EVP_sha256() with every init would look the provider up every time). */
static const EVP_MD *sha256_md;

/* Opens libcrypto.so.3 once; 1 when its digest functions and SHA-256 are there. Java calls it from a class initializer. */
JNIEXPORT jboolean JNICALL Java_dev_berth_sys_Native_sha256Open(JNIEnv *env, jclass cls) {
  (void)env;
  (void)cls;
  void *lib = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL) return JNI_FALSE;
  ctx_new_fn = (__typeof__(EVP_MD_CTX_new) *)dlsym(lib, "EVP_MD_CTX_new");
  ctx_free_fn = (__typeof__(EVP_MD_CTX_free) *)dlsym(lib, "EVP_MD_CTX_free");
  ctx_copy_fn = (__typeof__(EVP_MD_CTX_copy_ex) *)dlsym(lib, "EVP_MD_CTX_copy_ex");
  init_fn = (__typeof__(EVP_DigestInit_ex) *)dlsym(lib, "EVP_DigestInit_ex");
  update_fn = (__typeof__(EVP_DigestUpdate) *)dlsym(lib, "EVP_DigestUpdate");
  final_fn = (__typeof__(EVP_DigestFinal_ex) *)dlsym(lib, "EVP_DigestFinal_ex");
  __typeof__(EVP_MD_fetch) *fetch_fn = (__typeof__(EVP_MD_fetch) *)dlsym(lib, "EVP_MD_fetch");
  if (ctx_new_fn == NULL || ctx_free_fn == NULL || ctx_copy_fn == NULL || init_fn == NULL || update_fn == NULL ||
      final_fn == NULL || fetch_fn == NULL)
    return JNI_FALSE;
  sha256_md = fetch_fn(NULL, "SHA2-256", NULL);
  return sha256_md != NULL;
}

/* A new context, started: its address, or 0 when libcrypto could not make one. */
JNIEXPORT jlong JNICALL Java_dev_berth_sys_Native_sha256New(JNIEnv *env, jclass cls) {
  (void)env;
  (void)cls;
  EVP_MD_CTX *c = ctx_new_fn();
  if (c == NULL) return 0;
  if (init_fn(c, sha256_md, NULL) != 1) {
    ctx_free_fn(c);
    return 0;
  }
  return (jlong)(uintptr_t)c;
}

/* Starts the context over. 1 on success. */
JNIEXPORT jint JNICALL Java_dev_berth_sys_Native_sha256Reset(JNIEnv *env, jclass cls, jlong ctx) {
  (void)env;
  (void)cls;
  return init_fn((EVP_MD_CTX *)(uintptr_t)ctx, sha256_md, NULL);
}

/* Hashes len bytes at data. 1 on success. */
JNIEXPORT jint JNICALL Java_dev_berth_sys_Native_sha256Update(JNIEnv *env, jclass cls, jlong ctx, jlong data,
                                                               jint len) {
  (void)env;
  (void)cls;
  return update_fn((EVP_MD_CTX *)(uintptr_t)ctx, (const void *)(uintptr_t)data, (size_t)len);
}

/* Writes the 32-byte digest at out and starts the context over. 1 on success. */
JNIEXPORT jint JNICALL Java_dev_berth_sys_Native_sha256Final(JNIEnv *env, jclass cls, jlong ctx, jlong out) {
  (void)env;
  (void)cls;
  EVP_MD_CTX *c = (EVP_MD_CTX *)(uintptr_t)ctx;
  unsigned int n = 0;
  if (final_fn(c, (unsigned char *)(uintptr_t)out, &n) != 1 || n != 32) return 0;
  return init_fn(c, sha256_md, NULL);
}

/* A new context in the same state as ctx: its address, or 0. */
JNIEXPORT jlong JNICALL Java_dev_berth_sys_Native_sha256Copy(JNIEnv *env, jclass cls, jlong ctx) {
  (void)env;
  (void)cls;
  EVP_MD_CTX *c = ctx_new_fn();
  if (c == NULL) return 0;
  if (ctx_copy_fn(c, (const EVP_MD_CTX *)(uintptr_t)ctx) != 1) {
    ctx_free_fn(c);
    return 0;
  }
  return (jlong)(uintptr_t)c;
}

JNIEXPORT void JNICALL Java_dev_berth_sys_Native_sha256Free(JNIEnv *env, jclass cls, jlong ctx) {
  (void)env;
  (void)cls;
  ctx_free_fn((EVP_MD_CTX *)(uintptr_t)ctx);
}

#else
/* Built without OpenSSL's header: the door stays, shut (Java then hashes with java.security.MessageDigest). */
JNIEXPORT jboolean JNICALL Java_dev_berth_sys_Native_sha256Open(JNIEnv *env, jclass cls) {
  (void)env;
  (void)cls;
  return JNI_FALSE;
}

JNIEXPORT jlong JNICALL Java_dev_berth_sys_Native_sha256New(JNIEnv *env, jclass cls) {
  (void)env;
  (void)cls;
  return 0;
}

JNIEXPORT jint JNICALL Java_dev_berth_sys_Native_sha256Reset(JNIEnv *env, jclass cls, jlong ctx) {
  (void)env;
  (void)cls;
  (void)ctx;
  return 0;
}

JNIEXPORT jint JNICALL Java_dev_berth_sys_Native_sha256Update(JNIEnv *env, jclass cls, jlong ctx, jlong data,
                                                               jint len) {
  (void)env;
  (void)cls;
  (void)ctx;
  (void)data;
  (void)len;
  return 0;
}

JNIEXPORT jint JNICALL Java_dev_berth_sys_Native_sha256Final(JNIEnv *env, jclass cls, jlong ctx, jlong out) {
  (void)env;
  (void)cls;
  (void)ctx;
  (void)out;
  return 0;
}

JNIEXPORT jlong JNICALL Java_dev_berth_sys_Native_sha256Copy(JNIEnv *env, jclass cls, jlong ctx) {
  (void)env;
  (void)cls;
  (void)ctx;
  return 0;
}

JNIEXPORT void JNICALL Java_dev_berth_sys_Native_sha256Free(JNIEnv *env, jclass cls, jlong ctx) {
  (void)env;
  (void)cls;
  (void)ctx;
}
#endif
