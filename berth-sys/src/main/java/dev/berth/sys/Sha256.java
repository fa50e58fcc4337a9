package dev.berth.sys;

import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * SHA-256 by OpenSSL's libcrypto (libcrypto.so.3, opened at run time: a process that hashes nothing
 * never maps it), as a {@link MessageDigest}, so callers keep one type whichever hashes. libcrypto
 * uses the CPU's SHA instructions itself; the JDK's SHA-256 uses them only once C2 has compiled it,
 * and C2's compiling of a pull's methods cost about as much CPU as the hashing did.
 *
 * <p>{@link #newDigest()} gives this digest when libcrypto is there, else the JDK's {@code SHA-256}
 * (also when {@code -Dberth.sha256=jdk} is set, for comparisons). A direct {@link ByteBuffer} is
 * hashed where it lies; heap bytes are copied through a direct scratch buffer of this object's. The
 * native context is freed when the object is collected. Not thread-safe, as no MessageDigest is.
 */
public final class Sha256 extends MessageDigest implements Cloneable {
  private static final boolean AVAILABLE = open();
  private static final int SCRATCH = 64 * 1024;

  private static boolean open() {
    if ("jdk".equals(System.getProperty("berth.sha256"))) return false;
    try {
      return Native.sha256Open();
    } catch (LinkageError e) {
      return false; // no libberthsys.so, or one without berth-digest.c: the JDK's digest then
    }
  }

  /** Whether libcrypto's SHA-256 is used (libcrypto.so.3 is on this machine). */
  public static boolean available() {
    return AVAILABLE;
  }

  /** A SHA-256 digest: libcrypto's when it is there, else the JDK's. */
  public static MessageDigest newDigest() {
    if (AVAILABLE) {
      long ctx = Native.sha256New();
      if (ctx != 0) return new Sha256(ctx);
    }
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Frees the native context; runs once, when the digest is collected. */
  private record Free(long ctx) implements Runnable {
    @Override
    public void run() {
      Native.sha256Free(ctx);
    }
  }

  /** Made on the first native digest: its thread is not started by processes that never hash. */
  private static final class Cleaners {
    static final Cleaner CLEANER = Cleaner.create();
  }

  private final long ctx;
  private ByteBuffer scratch; // direct; heap bytes and the digest pass through it
  private long scratchAddress;

  private Sha256(long ctx) {
    super("SHA-256");
    this.ctx = ctx;
    Cleaners.CLEANER.register(this, new Free(ctx));
  }

  private long scratch() {
    if (scratch == null) {
      scratch = ByteBuffer.allocateDirect(SCRATCH);
      scratchAddress = Native.address(scratch);
    }
    return scratchAddress;
  }

  private void hash(long address, int len) {
    int r = Native.sha256Update(ctx, address, len);
    Reference.reachabilityFence(this);
    if (r != 1) throw new IllegalStateException("libcrypto: EVP_DigestUpdate of SHA-256 failed");
  }

  @Override
  protected int engineGetDigestLength() {
    return 32;
  }

  @Override
  protected void engineUpdate(byte input) {
    long a = scratch();
    scratch.put(0, input);
    hash(a, 1);
  }

  @Override
  protected void engineUpdate(byte[] input, int offset, int len) {
    if ((offset | len) < 0 || len > input.length - offset) {
      // What the JDK's digests throw (MessageDigest checks only the upper end itself).
      throw new ArrayIndexOutOfBoundsException(
          "Range ["
              + offset
              + ", "
              + offset
              + " + "
              + len
              + ") out of bounds for length "
              + input.length);
    }
    long a = scratch();
    while (len > 0) {
      int n = Math.min(len, SCRATCH);
      scratch.put(0, input, offset, n);
      hash(a, n);
      offset += n;
      len -= n;
    }
  }

  @Override
  protected void engineUpdate(ByteBuffer input) {
    int pos = input.position();
    int len = input.limit() - pos;
    if (len <= 0) return;
    if (input.isDirect()) {
      hash(Native.address(input) + pos, len);
      Reference.reachabilityFence(input);
      input.position(pos + len);
    } else if (input.hasArray()) {
      engineUpdate(input.array(), input.arrayOffset() + pos, len);
      input.position(pos + len);
    } else {
      super.engineUpdate(input); // a read-only heap buffer: copied out in pieces
    }
  }

  @Override
  protected byte[] engineDigest() {
    long a = scratch();
    int r = Native.sha256Final(ctx, a);
    Reference.reachabilityFence(this);
    if (r != 1) throw new IllegalStateException("libcrypto: EVP_DigestFinal_ex of SHA-256 failed");
    byte[] out = new byte[32];
    scratch.get(0, out);
    return out;
  }

  @Override
  protected void engineReset() {
    int r = Native.sha256Reset(ctx);
    Reference.reachabilityFence(this);
    if (r != 1) throw new IllegalStateException("libcrypto: EVP_DigestInit_ex of SHA-256 failed");
  }

  /** A digest in the same state, with a context of its own. */
  @Override
  public Sha256 clone() {
    long copy = Native.sha256Copy(ctx);
    Reference.reachabilityFence(this);
    if (copy == 0) throw new IllegalStateException("libcrypto: EVP_MD_CTX_copy_ex failed");
    return new Sha256(copy);
  }
}
