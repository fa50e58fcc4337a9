package dev.berth.sys;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Per-thread native memory for one syscall's arguments: C strings and small structs in a direct
 * buffer allocated once per thread, so a call allocates nothing native. {@link #get()} starts a new
 * call and forgets the previous one's memory; what does not fit the buffer gets its own direct
 * buffer, held here until then so it stays reachable while the kernel uses it.
 */
final class Scratch {
  private static final int SIZE = 4096;
  private static final int BOUNCE_MAX = 64 * 1024;

  // An anonymous class, not ThreadLocal.withInitial(lambda): no invokedynamic bootstrap on the
  // start path.
  private static final ThreadLocal<Scratch> LOCAL =
      new ThreadLocal<>() {
        @Override
        protected Scratch initialValue() {
          return new Scratch();
        }
      };

  private final ByteBuffer buf;
  private final long base;
  private int pos;
  private ByteBuffer[] extra = new ByteBuffer[2];
  private int extras;
  private ByteBuffer bounce;

  private Scratch() {
    buf = ByteBuffer.allocateDirect(SIZE).order(ByteOrder.nativeOrder());
    base = Native.address(buf);
  }

  /** This thread's scratch, emptied for a new call. */
  static Scratch get() {
    Scratch s = LOCAL.get();
    s.pos = 0;
    for (int i = 0; i < s.extras; i++) s.extra[i] = null;
    s.extras = 0;
    return s;
  }

  /**
   * Zeroed, 8-aligned native memory for a struct, valid until the next {@link #get()} on this
   * thread.
   */
  Mem alloc(int size) {
    int at = (pos + 7) & ~7;
    if (at + size <= SIZE) {
      pos = at + size;
      for (int i = at; i < at + size; i++) buf.put(i, (byte) 0);
      return new Mem(buf, at, base + at);
    }
    ByteBuffer b = keep(ByteBuffer.allocateDirect(size).order(ByteOrder.nativeOrder()));
    return new Mem(b, 0, Native.address(b));
  }

  /**
   * The address of {@code s} as a NUL-terminated UTF-8 string (0 for null), valid until the next
   * {@link #get()}. A NUL inside would silently cut the string short in the kernel, so it is
   * refused here.
   */
  long cstring(String s, String call) throws ErrnoException {
    if (s == null) return 0;
    int n = s.length();
    int at = pos;
    if (at + n + 1 <= SIZE) {
      // ASCII, the usual case, is copied without an intermediate byte[].
      int i = 0;
      for (; i < n; i++) {
        char c = s.charAt(i);
        if (c == 0 || c >= 0x80) break;
        buf.put(at + i, (byte) c);
      }
      if (i == n) {
        buf.put(at + n, (byte) 0);
        pos = at + n + 1;
        return base + at;
      }
    }
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    for (byte x : b) {
      if (x == 0)
        throw new ErrnoException(LinuxConstants.EINVAL, call, quote(s) + " (contains a NUL byte)");
    }
    if (at + b.length + 1 <= SIZE) {
      buf.put(at, b);
      buf.put(at + b.length, (byte) 0);
      pos = at + b.length + 1;
      return base + at;
    }
    ByteBuffer big = keep(ByteBuffer.allocateDirect(b.length + 1));
    big.put(0, b);
    big.put(b.length, (byte) 0);
    return Native.address(big);
  }

  /**
   * A direct buffer of at least min(size, 64 KiB) bytes for copying to and from heap arrays, reused
   * by this thread. Its contents are undefined.
   */
  ByteBuffer bounce(int size) {
    int want = Math.max(SIZE, Math.min(size, BOUNCE_MAX));
    ByteBuffer b = bounce;
    if (b == null || b.capacity() < want) {
      bounce =
          b =
              ByteBuffer.allocateDirect(
                  Math.max(want, b == null ? 0 : Math.min(2 * b.capacity(), BOUNCE_MAX)));
    }
    return b.clear();
  }

  private ByteBuffer keep(ByteBuffer b) {
    if (extras == extra.length) extra = java.util.Arrays.copyOf(extra, 2 * extras);
    extra[extras++] = b;
    return b;
  }

  static String quote(String s) {
    return "\"" + s.replace("\0", "\\0") + "\"";
  }

  /**
   * A region of native memory: {@code buf} indexed from {@code off}, at native address {@code
   * addr}.
   */
  static final class Mem {
    final ByteBuffer buf;
    final int off;
    final long addr;

    Mem(ByteBuffer buf, int off, long addr) {
      this.buf = buf;
      this.off = off;
      this.addr = addr;
    }

    int getInt(int i) {
      return buf.getInt(off + i);
    }

    long getLong(int i) {
      return buf.getLong(off + i);
    }

    short getShort(int i) {
      return buf.getShort(off + i);
    }

    byte get(int i) {
      return buf.get(off + i);
    }

    Mem putInt(int i, int v) {
      buf.putInt(off + i, v);
      return this;
    }

    Mem putLong(int i, long v) {
      buf.putLong(off + i, v);
      return this;
    }

    Mem putShort(int i, short v) {
      buf.putShort(off + i, v);
      return this;
    }

    Mem put(int i, byte v) {
      buf.put(off + i, v);
      return this;
    }
  }
}
