package dev.berth.runtime.plan;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * The frames on berth-init's sync socket, {@code u32 type | u32 length | payload}, and the payloads
 * of its messages (docs/berth-init-protocol.md, "Messages"). Pure Java on streams and byte arrays:
 * the runtime moves the bytes over the socket through berth-sys (the fds of PTY and SECCOMP_FD
 * travel beside the frame, as SCM_RIGHTS).
 */
public final class SyncMessages {
  public static final int PLAN = 1,
      PID = 2,
      GO = 3,
      HOOKS = 4,
      HOOKS_DONE = 5,
      READY = 6,
      ERROR = 7,
      PTY = 8,
      PTY_DONE = 9,
      SECCOMP_FD = 10,
      SECCOMP_DONE = 11;

  /** Bytes of a frame header. */
  public static final int HEADER = 8;

  /** The largest payload either side accepts. */
  public static final int MAX_PAYLOAD = Plan.MAX_BYTES;

  private static final String[] NAMES = {
    null,
    "plan",
    "pid",
    "go",
    "hooks",
    "hooks-done",
    "ready",
    "error",
    "pty",
    "pty-done",
    "seccomp-fd",
    "seccomp-done"
  };

  private SyncMessages() {}

  /** One frame as read: its type and payload. */
  public record Message(int type, byte[] payload) {
    public Message {
      payload = payload == null ? new byte[0] : payload;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Message m
          && m.type == type
          && java.util.Arrays.equals(m.payload, payload);
    }

    @Override
    public int hashCode() {
      return 31 * type + java.util.Arrays.hashCode(payload);
    }

    @Override
    public String toString() {
      return typeName(type) + " (" + payload.length + " bytes)";
    }
  }

  /**
   * An ERROR message: the index of the failed op ({@link Plan#NO_OP} when none), the errno (0 when
   * the failure is not a system call's, e.g. a hook's exit status) and what failed beyond the op's
   * own description.
   */
  public record InitError(int opIndex, int errno, String detail) {}

  /** "plan", "error", ... or "message N". */
  public static String typeName(int type) {
    return type > 0 && type < NAMES.length ? NAMES[type] : "message " + type;
  }

  /** The bytes of one frame. */
  public static byte[] frame(int type, byte[] payload) {
    if (payload.length > MAX_PAYLOAD) {
      throw new IllegalArgumentException(
          typeName(type) + " message: " + payload.length + " bytes exceed " + MAX_PAYLOAD);
    }
    byte[] f = new byte[HEADER + payload.length];
    WireWriter.putU32(f, 0, type);
    WireWriter.putU32(f, 4, payload.length);
    System.arraycopy(payload, 0, f, HEADER, payload.length);
    return f;
  }

  public static void write(OutputStream out, int type, byte[] payload) throws IOException {
    out.write(frame(type, payload));
    out.flush();
  }

  /** The (type, length) of a frame header; the length is checked against {@link #MAX_PAYLOAD}. */
  public static int[] parseHeader(byte[] header) throws IOException {
    if (header.length < HEADER)
      throw new IOException("read message: header of " + header.length + " bytes");
    int type = WireWriter.getU32(header, 0);
    int len = WireWriter.getU32(header, 4);
    if (len < 0 || len > MAX_PAYLOAD) {
      throw new IOException(
          "read "
              + typeName(type)
              + " message: length "
              + Integer.toUnsignedString(len)
              + " exceeds "
              + MAX_PAYLOAD);
    }
    return new int[] {type, len};
  }

  /**
   * The next frame, or null at EOF before its first byte; EOF inside a frame is an {@link
   * EOFException}.
   */
  public static Message read(InputStream in) throws IOException {
    byte[] header = in.readNBytes(HEADER);
    if (header.length == 0) return null;
    if (header.length < HEADER)
      throw new EOFException("read message: end of stream inside a header");
    int[] tl = parseHeader(header);
    byte[] payload = in.readNBytes(tl[1]);
    if (payload.length < tl[1]) {
      throw new EOFException(
          "read "
              + typeName(tl[0])
              + " message: end of stream after "
              + payload.length
              + " of "
              + tl[1]
              + " bytes");
    }
    return new Message(tl[0], payload);
  }

  /** Splits a byte array holding whole frames back to back (a transcript, a test buffer). */
  public static List<Message> readAll(byte[] frames) throws IOException {
    return readAll(new java.io.ByteArrayInputStream(frames));
  }

  public static List<Message> readAll(InputStream in) throws IOException {
    List<Message> out = new ArrayList<>();
    for (Message m; (m = read(in)) != null; ) out.add(m);
    return out;
  }

  // ---- payloads ----

  /** GO: the blobs RUN_HOOK ops hand to hooks on stdin (by index), typically the state JSON. */
  public static byte[] encodeGo(List<byte[]> blobs) {
    WireWriter w = new WireWriter(64);
    w.u32(blobs.size());
    for (byte[] b : blobs) {
      w.u32(b.length);
      w.bytes(b);
    }
    return w.toByteArray();
  }

  public static List<byte[]> decodeGo(byte[] payload) throws IOException {
    WireReader r = new WireReader(payload, "go");
    int n = r.u32();
    if (n < 0 || n > payload.length / 4)
      throw new IOException(
          "read go message: "
              + Integer.toUnsignedString(n)
              + " blobs cannot fit in "
              + payload.length
              + " bytes");
    List<byte[]> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) out.add(r.bytes(r.u32()));
    r.end();
    return out;
  }

  public static byte[] encodePid(int pid) {
    byte[] b = new byte[4];
    WireWriter.putU32(b, 0, pid);
    return b;
  }

  /** PID: the container process as seen from the runtime's pid namespace. */
  public static int decodePid(byte[] payload) throws IOException {
    WireReader r = new WireReader(payload, "pid");
    int pid = r.u32();
    r.end();
    if (pid <= 0)
      throw new IOException("read pid message: invalid pid " + Integer.toUnsignedString(pid));
    return pid;
  }

  public static byte[] encodeError(InitError e) {
    WireWriter w = new WireWriter(16 + e.detail().length());
    w.u32(e.opIndex());
    w.u32(e.errno());
    w.str(e.detail());
    return w.toByteArray();
  }

  public static InitError decodeError(byte[] payload) throws IOException {
    WireReader r = new WireReader(payload, "error");
    int op = r.u32();
    int errno = r.u32();
    String detail = r.str();
    r.end();
    return new InitError(op, errno, detail);
  }
}
