package dev.berth.sys;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Gzip decompression by ISA-L (libisal.so.2, opened at run time), one member at a time: the header
 * is parsed and the trailer's CRC-32 and length are checked, as {@link
 * java.util.zip.GZIPInputStream} does, at 2.5-4x zlib's speed. Image layers are mostly gzip, and
 * their inflation was the largest step of a pull's CPU after hashing. Without the library {@link
 * #available()} is false and callers use java.util.zip.
 *
 * <p>Buffers are direct; the state (ISA-L's {@code struct inflate_state}, 85 KiB) lives in a direct
 * buffer this object owns, so it is freed with it. Not thread-safe.
 */
public final class GzipInflater {
  private static final boolean AVAILABLE = open();

  private static boolean open() {
    try {
      return Native.isalOpen();
    } catch (UnsatisfiedLinkError e) {
      return false; // a libberthsys.so without berth-inflate.c
    }
  }

  /** Whether ISA-L is on this machine. */
  public static boolean available() {
    return AVAILABLE;
  }

  private final ByteBuffer state;
  private final long stateAddress;
  private final ByteBuffer result = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
  private final long resultAddress = Native.address(result);
  private boolean finished;

  /** A decompressor at the start of a gzip member; {@link IllegalStateException} without ISA-L. */
  public GzipInflater() {
    if (!AVAILABLE) throw new IllegalStateException("ISA-L (libisal.so.2) is not installed");
    state = ByteBuffer.allocateDirect(Native.isalStateSize());
    stateAddress = Native.address(state);
    Native.isalGzipInit(stateAddress);
  }

  /**
   * Inflates from {@code in}'s remaining bytes into {@code out}'s remaining room (both direct),
   * advancing both positions. Returns true once the member is complete and its trailer checked; the
   * bytes after it stay in {@code in}. Otherwise it stopped for want of input or of room.
   *
   * @throws IOException naming what is wrong with the stream (not gzip, a corrupt block, a checksum
   *     that does not match)
   */
  public boolean inflate(ByteBuffer in, ByteBuffer out) throws IOException {
    if (finished) return true;
    int inPos = in.position();
    int outPos = out.position();
    int r =
        Native.isalInflate(
            stateAddress,
            Native.address(in) + inPos,
            in.remaining(),
            Native.address(out) + outPos,
            out.remaining(),
            resultAddress);
    if (r < 0) throw new IOException(describe(r));
    in.position(inPos + result.getInt(0));
    out.position(outPos + result.getInt(4));
    finished = r == 1;
    return finished;
  }

  /** Whether the member is complete. */
  public boolean finished() {
    return finished;
  }

  /** Starts over for the next member of a multi-member stream. */
  public void reset() {
    Native.isalGzipInit(stateAddress);
    finished = false;
  }

  private static String describe(int code) {
    return switch (code) {
      case -1 -> "invalid deflate block";
      case -2 -> "invalid deflate symbol";
      case -3 -> "invalid deflate distance";
      case -4 -> "not in gzip format";
      case -5 -> "unsupported compression method";
      case -6 -> "gzip checksum or length does not match the data";
      case -9 -> "invalid inflate operation";
      default -> "inflate error " + code;
    };
  }
}
