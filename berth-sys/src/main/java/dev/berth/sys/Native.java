package dev.berth.sys;

import java.io.File;
import java.nio.ByteBuffer;

/**
 * The JNI entry points of libberthsys.so (src/main/c/berth-sys.c) and how the library is found.
 *
 * <p>Launchers set {@code berth.native.dir} to a directory holding libberthsys.so: one System.load,
 * nothing else on the start path. Without it (tests, embedding), the copy inside the jar is
 * extracted once to {@code ${java.io.tmpdir}/berth-native-<sha256 prefix>/} and loaded from there.
 */
final class Native {
  private Native() {}

  static final String LIBRARY = "libberthsys.so";
  static final String DIR_PROPERTY = "berth.native.dir";

  static {
    String dir = System.getProperty(DIR_PROPERTY);
    if (dir != null && !dir.isEmpty()) {
      File f = new File(dir, LIBRARY);
      try {
        System.load(f.getAbsolutePath());
      } catch (UnsatisfiedLinkError e) {
        throw link("load " + f + " (from -D" + DIR_PROPERTY + ")", e);
      }
    } else {
      // In its own class, so the digest and file code is not even loaded on the launchers' path.
      String p = LibraryFile.extract();
      try {
        System.load(p);
      } catch (UnsatisfiedLinkError e) {
        throw link("load " + p, e);
      }
    }
  }

  /**
   * {@code syscall(nr, a1..a6)}: the result, or -errno read on the calling thread right after the
   * call.
   */
  static native long syscall6(long nr, long a1, long a2, long a3, long a4, long a5, long a6);

  /** The address of a direct buffer's first byte (position 0). */
  static native long address(ByteBuffer direct);

  /**
   * posix_spawn of the C string at {@code path} with NULL-terminated pointer arrays {@code argv}
   * and {@code envp}; {@code fdMap} points at {@code nfds} pairs of ints (childFd, parentFd).
   * Returns the pid or -errno.
   */
  static native int spawn(long path, long argv, long envp, long fdMap, int nfds, boolean setsid);

  // ISA-L's gzip inflation (src/main/c/berth-inflate.c); see GzipInflater.

  /** dlopen of libisal.so.2: whether its inflate functions are there. */
  static native boolean isalOpen();

  /** sizeof(struct inflate_state). */
  static native int isalStateSize();

  /** isal_inflate_init of the state at {@code state}, for a gzip member. */
  static native void isalGzipInit(long state);

  /**
   * isal_inflate from {@code inLen} bytes at {@code in} into {@code outLen} bytes at {@code out};
   * writes {consumed, produced} as two ints at {@code result}. Returns 1 when the member is
   * complete, 0 when it wants more input or room, or ISA-L's negative error code.
   */
  static native int isalInflate(long state, long in, int inLen, long out, int outLen, long result);

  // OpenSSL's SHA-256 (src/main/c/berth-digest.c); see Sha256.

  /** dlopen of libcrypto.so.3: whether its EVP digest functions and SHA-256 are there. */
  static native boolean sha256Open();

  /** EVP_MD_CTX_new, started for SHA-256: its address, or 0. */
  static native long sha256New();

  /** Starts the context over; 1 on success. */
  static native int sha256Reset(long ctx);

  /** Hashes {@code len} bytes at {@code data}; 1 on success. */
  static native int sha256Update(long ctx, long data, int len);

  /** Writes the 32-byte digest at {@code out} and starts the context over; 1 on success. */
  static native int sha256Final(long ctx, long out);

  /** A copy of the context (EVP_MD_CTX_copy_ex): its address, or 0. */
  static native long sha256Copy(long ctx);

  /** EVP_MD_CTX_free. */
  static native void sha256Free(long ctx);

  static UnsatisfiedLinkError link(String what, Throwable cause) {
    UnsatisfiedLinkError e =
        new UnsatisfiedLinkError(
            what + (cause instanceof UnsatisfiedLinkError ? ": " + cause.getMessage() : ""));
    e.initCause(cause);
    return e;
  }
}
