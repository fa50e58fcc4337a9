package dev.berth.runtime.netdev;

import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * A NETLINK_ROUTE socket of the network namespace of the thread that opened it (the socket stays in
 * that namespace whatever the thread joins later): one request at a time, answered by an ack, a
 * message or a dump.
 */
final class RtNetlink implements AutoCloseable {
  private static final int AF_NETLINK = 16;
  private static final int SOCK_RAW = 3;
  private static final int NETLINK_ROUTE = 0;
  private static final short NLMSG_ERROR = 2;
  private static final short NLMSG_DONE = 3;
  private static final int EIO = 5;

  private final Fd sock;
  private final ByteBuffer in = ByteBuffer.allocateDirect(64 * 1024).order(ByteOrder.nativeOrder());
  private int seq;

  private RtNetlink(Fd sock) {
    this.sock = sock;
  }

  static RtNetlink open() throws ErrnoException {
    return new RtNetlink(
        Linux.socket(AF_NETLINK, SOCK_RAW | LinuxConstants.SOCK_CLOEXEC, NETLINK_ROUTE));
  }

  /**
   * Sends {@code m} asking for an ack; a refusal is the kernel's errno, {@code what} its subject.
   */
  void call(RtMessage m, String what) throws ErrnoException {
    exchange(m, RtMessage.NLM_F_REQUEST | RtMessage.NLM_F_ACK, what);
  }

  /** Sends a get for one object; its answer, positioned at its nlmsghdr. */
  ByteBuffer get(RtMessage m, String what) throws ErrnoException {
    List<ByteBuffer> answers = exchange(m, RtMessage.NLM_F_REQUEST, what);
    if (answers.isEmpty()) throw new ErrnoException(EIO, call(m), what + ": no answer");
    return answers.getFirst();
  }

  /** Sends a dump request; every object of the answer, each positioned at its nlmsghdr. */
  List<ByteBuffer> dump(RtMessage m, String what) throws ErrnoException {
    return exchange(m, RtMessage.NLM_F_REQUEST | RtMessage.NLM_F_DUMP, what);
  }

  private List<ByteBuffer> exchange(RtMessage m, int flags, String what) throws ErrnoException {
    int s = ++seq;
    RtMessage withFlags = m;
    ByteBuffer req = withFlags.bytes(s);
    req.putShort(6, (short) (flags | m.flags));
    Linux.write(sock, req);
    boolean dump = (flags & RtMessage.NLM_F_DUMP) == RtMessage.NLM_F_DUMP;
    List<ByteBuffer> answers = new ArrayList<>();
    while (true) {
      in.clear();
      int n = Linux.read(sock, in);
      int p = 0;
      while (p + RtMessage.NLMSG_HDRLEN <= n) {
        int len = in.getInt(p);
        short type = in.getShort(p + 4);
        int msgSeq = in.getInt(p + 8);
        if (len < RtMessage.NLMSG_HDRLEN || p + len > n) {
          throw new ErrnoException(EIO, call(m), what + ": truncated answer");
        }
        if (msgSeq == s) {
          if (type == NLMSG_ERROR) {
            int error = in.getInt(p + RtMessage.NLMSG_HDRLEN);
            if (error != 0) throw new ErrnoException(-error, call(m), what);
            return answers; // the ack
          }
          if (type == NLMSG_DONE) return answers;
          byte[] copy = new byte[len];
          in.get(p, copy);
          answers.add(ByteBuffer.wrap(copy).order(ByteOrder.nativeOrder()));
          if (!dump && (flags & RtMessage.NLM_F_ACK) == 0) return answers;
        }
        p += (len + 3) & ~3;
      }
    }
  }

  private static String call(RtMessage m) {
    String name =
        switch (m.type) {
          case RtMessage.RTM_NEWLINK -> "RTM_NEWLINK";
          case RtMessage.RTM_GETLINK -> "RTM_GETLINK";
          case RtMessage.RTM_NEWADDR -> "RTM_NEWADDR";
          case RtMessage.RTM_GETADDR -> "RTM_GETADDR";
          default -> "type " + m.type;
        };
    return "netlink " + name;
  }

  @Override
  public void close() {
    sock.close();
  }
}
