package dev.berth.runtime.monitor;

import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A client of a monitor's attach socket (SOCK_SEQPACKET, one packet per frame, docs/monitor.md):
 * reads the container's output as it comes (output from before the client attached is in the log
 * only) and its exit, writes its stdin, closes it, resizes its terminal, asks for the log to be
 * reopened. A client that does not read fast enough is dropped by the monitor (it never holds back
 * the container): {@link #read} then returns null early.
 */
public final class AttachClient implements AutoCloseable {
  /** The largest stdin payload of one packet; longer writes are cut into packets of this size. */
  public static final int MAX_PAYLOAD = 8192;

  /** What a frame from the monitor carries. */
  public enum Kind {
    STDOUT,
    STDERR,
    EXIT
  }

  /** One frame: output of a stream, or the exit (its data: the exit file's JSON). */
  public record Frame(Kind kind, byte[] data) {}

  private final Fd sock;
  private final ByteBuffer in = ByteBuffer.allocateDirect(1 + MAX_PAYLOAD);
  private final ByteBuffer out =
      ByteBuffer.allocateDirect(1 + MAX_PAYLOAD).order(ByteOrder.LITTLE_ENDIAN);

  private AttachClient(Fd sock) {
    this.sock = sock;
  }

  public static AttachClient connect(java.nio.file.Path socket) throws ErrnoException {
    return new AttachClient(Linux.connectUnix(socket.toString(), LinuxConstants.SOCK_SEQPACKET));
  }

  /**
   * The next frame, blocking; null when the monitor closed the connection (after EXIT, or the
   * client was dropped).
   */
  public Frame read() throws ErrnoException {
    while (true) {
      in.clear();
      int n;
      try {
        n = Linux.recvmsg(sock, in, 0).bytes();
      } catch (ErrnoException e) {
        // The monitor closed its end while a packet of ours (a resize, a stdin close) was unread:
        // the kernel reports
        // that once, ahead of the frames still queued for us (the exit among them). Read on.
        if (e.errno() == LinuxConstants.ECONNRESET) continue;
        throw e;
      }
      if (n == 0) return null;
      Kind k =
          switch (in.get(0)) {
            case 1 -> Kind.STDOUT;
            case 2 -> Kind.STDERR;
            case 3 -> Kind.EXIT;
            default -> null; // a newer monitor's frame: skipped
          };
      if (k == null) continue;
      byte[] data = new byte[n - 1];
      in.get(1, data);
      return new Frame(k, data);
    }
  }

  /** Writes {@code data} to the container's stdin (or terminal). */
  public void stdin(byte[] data) throws ErrnoException {
    for (int at = 0; at < data.length; at += MAX_PAYLOAD) {
      int len = Math.min(MAX_PAYLOAD, data.length - at);
      out.clear();
      out.put((byte) 0).put(data, at, len).flip();
      send();
    }
  }

  /**
   * Ends this client's stdin; with the monitor's stdin-once, the container's stdin is closed (it
   * reads EOF).
   */
  public void closeStdin() throws ErrnoException {
    out.clear();
    out.put((byte) 1).flip();
    send();
  }

  /** Sets the container's terminal size. */
  public void resize(int rows, int cols) throws ErrnoException {
    out.clear();
    out.put((byte) 2).putShort((short) rows).putShort((short) cols).flip();
    send();
  }

  /** How long {@link #reopenLog} waits for the monitor to say it reopened. */
  private static final int REOPEN_WAIT_MS = 5_000;

  /**
   * Asks the monitor to reopen its log file (after it was renamed: CRI's ReopenContainerLog) and
   * waits until it has, so the new file is there when this returns (the kubelet and critest look
   * for it at once). Returns false when the monitor did not say so in time, or is gone (the
   * container exited): an older monitor reopens without telling.
   */
  public boolean reopenLog() throws ErrnoException {
    out.clear();
    out.put((byte) 3).flip();
    send();
    long deadline = System.nanoTime() + REOPEN_WAIT_MS * 1_000_000L;
    Fd[] fds = {sock};
    short[] events = {LinuxConstants.POLLIN};
    short[] revents = new short[1];
    while (true) {
      int left = (int) ((deadline - System.nanoTime()) / 1_000_000L);
      if (left <= 0 || Linux.poll(fds, events, revents, left) == 0) return false;
      in.clear();
      int n;
      try {
        n = Linux.recvmsg(sock, in, 0).bytes();
      } catch (ErrnoException e) {
        if (e.errno() == LinuxConstants.ECONNRESET) continue;
        throw e;
      }
      if (n == 0) return false;
      if (in.get(0) == 4) return true; // output frames meanwhile are not this call's
    }
  }

  private void send() throws ErrnoException {
    Linux.sendmsg(sock, out, null);
  }

  /**
   * Ends the connection from any thread (a client detaching): a {@link #read} blocked in another
   * thread returns null, the container runs on.
   */
  public void shutdown() {
    try {
      Linux.shutdown(sock, LinuxConstants.SHUT_RDWR);
    } catch (ErrnoException e) {
      // closed already
    }
  }

  @Override
  public void close() {
    sock.close();
  }
}
