/*
 * berth-inflate: gzip decompression with ISA-L (Intel's storage acceleration library), 2.5-4x faster than zlib on
 * image layers (measured here: a 700 MB tar of /usr/lib inflated in 1.0 s of CPU against zlib's 3.5-4.1 s). Like
 * the rest of berth-sys it decides nothing: Java owns the state (a direct ByteBuffer of stateSize() bytes) and the
 * buffers, and reads every result.
 *
 * libisal.so.2 is opened at run time (dlopen), not linked: without it, libberthsys.so still loads and Java falls back
 * to java.util.zip. Its header comes from Debian's libisal-dev at build time (scripts/install-deps.sh installs it);
 * built without the header, the door is shut the same way.
 */
#define _GNU_SOURCE
#include <jni.h>
#include <dlfcn.h>
#include <stdint.h>

#if __has_include(<isa-l/igzip_lib.h>)
#include <isa-l/igzip_lib.h>

static void (*isal_inflate_init_fn)(struct inflate_state *);
static int (*isal_inflate_fn)(struct inflate_state *);

/* Opens libisal.so.2 once; 1 when its functions are there. Java calls it once, from a class initializer. */
JNIEXPORT jboolean JNICALL Java_dev_berth_sys_Native_isalOpen(JNIEnv *env, jclass cls) {
  (void)env;
  (void)cls;
  void *lib = dlopen("libisal.so.2", RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL) return JNI_FALSE;
  isal_inflate_init_fn = (void (*)(struct inflate_state *))dlsym(lib, "isal_inflate_init");
  isal_inflate_fn = (int (*)(struct inflate_state *))dlsym(lib, "isal_inflate");
  return isal_inflate_init_fn != NULL && isal_inflate_fn != NULL;
}

JNIEXPORT jint JNICALL Java_dev_berth_sys_Native_isalStateSize(JNIEnv *env, jclass cls) {
  (void)env;
  (void)cls;
  return (jint)sizeof(struct inflate_state);
}

/* (Re)starts a gzip member: the header is parsed, and the trailer's CRC-32 and length are checked. */
JNIEXPORT void JNICALL Java_dev_berth_sys_Native_isalGzipInit(JNIEnv *env, jclass cls, jlong state) {
  (void)env;
  (void)cls;
  struct inflate_state *s = (struct inflate_state *)(uintptr_t)state;
  isal_inflate_init_fn(s);
  s->crc_flag = ISAL_GZIP;
}

/*
 * Inflates from in[0..inLen) into out[0..outLen). result points at two ints: bytes of input consumed, bytes of output
 * made. Returns 1 when the member is complete (its trailer checked), 0 when it needs more input or output room, or
 * ISA-L's negative error code.
 */
JNIEXPORT jint JNICALL Java_dev_berth_sys_Native_isalInflate(JNIEnv *env, jclass cls, jlong state, jlong in,
                                                             jint inLen, jlong out, jint outLen, jlong result) {
  (void)env;
  (void)cls;
  struct inflate_state *s = (struct inflate_state *)(uintptr_t)state;
  s->next_in = (uint8_t *)(uintptr_t)in;
  s->avail_in = (uint32_t)inLen;
  s->next_out = (uint8_t *)(uintptr_t)out;
  s->avail_out = (uint32_t)outLen;
  int r = isal_inflate_fn(s);
  int32_t *res = (int32_t *)(uintptr_t)result;
  res[0] = inLen - (jint)s->avail_in;
  res[1] = outLen - (jint)s->avail_out;
  if (r < 0) return r;
  return s->block_state == ISAL_BLOCK_FINISH ? 1 : 0;
}

#else
/* Built without ISA-L's header: the door stays, shut (Java then inflates with java.util.zip). */
JNIEXPORT jboolean JNICALL Java_dev_berth_sys_Native_isalOpen(JNIEnv *env, jclass cls) {
  (void)env;
  (void)cls;
  return JNI_FALSE;
}

JNIEXPORT jint JNICALL Java_dev_berth_sys_Native_isalStateSize(JNIEnv *env, jclass cls) {
  (void)env;
  (void)cls;
  return 0;
}

JNIEXPORT void JNICALL Java_dev_berth_sys_Native_isalGzipInit(JNIEnv *env, jclass cls, jlong state) {
  (void)env;
  (void)cls;
  (void)state;
}

JNIEXPORT jint JNICALL Java_dev_berth_sys_Native_isalInflate(JNIEnv *env, jclass cls, jlong state, jlong in,
                                                             jint inLen, jlong out, jint outLen, jlong result) {
  (void)env;
  (void)cls;
  (void)state;
  (void)in;
  (void)inLen;
  (void)out;
  (void)outLen;
  (void)result;
  return -9;
}
#endif
