package dev.berth.engine.network.netns;

import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.NamespaceThread;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Sets {@code lo} up in the calling thread's network namespace with one rtnetlink request
 * (RTM_NEWLINK, IFF_UP on index 1, which {@code lo} always has in a new namespace). A new
 * namespace's loopback is down, and no runtime brings it up for a namespace it joins by path; the
 * CNI "loopback" plugin would do the same for a process start (about 13 ms), this is a few
 * microseconds.
 */
public final class Loopback {
  private static final int AF_NETLINK = 16;
  private static final int SOCK_RAW = 3;
  private static final int NETLINK_ROUTE = 0;
  private static final short RTM_NEWLINK = 16;
  private static final short NLMSG_ERROR = 2;
  private static final short NLM_F_REQUEST_ACK = 1 | 4;
  private static final int IFF_UP = 1;

  private Loopback() {}

  /**
   * Brings up lo in the network namespace at {@code nsPath} (a container's own, e.g.
   * /proc/PID/ns/net), from a short-lived thread that joins it: the namespace a runtime makes for
   * {@code --network none} has lo down, and docker's has it up (a program talking to itself over
   * 127.0.0.1 needs it).
   */
  public static void upIn(java.nio.file.Path nsPath) throws java.io.IOException {
    Throwable failed =
        NamespaceThread.run(
                "berth-lo-up",
                () -> {
                  try (Fd ns =
                      Linux.open(nsPath.toString(), dev.berth.sys.LinuxConstants.O_RDONLY, 0)) {
                    Linux.setns(ns, dev.berth.sys.LinuxConstants.CLONE_NEWNET);
                    up();
                  }
                  return null;
                })
            .failure();
    if (failed != null)
      throw new java.io.IOException(
          "bring lo up in " + nsPath + ": " + failed.getMessage(), failed);
  }

  static void up() throws ErrnoException {
    try (Fd sock = Linux.socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE)) {
      ByteBuffer req = ByteBuffer.allocate(32).order(ByteOrder.nativeOrder());
      req.putInt(32)
          .putShort(RTM_NEWLINK)
          .putShort(NLM_F_REQUEST_ACK)
          .putInt(1)
          .putInt(0); // nlmsghdr
      req.put((byte) 0)
          .put((byte) 0)
          .putShort((short) 0)
          .putInt(1)
          .putInt(IFF_UP)
          .putInt(IFF_UP); // ifinfomsg
      req.flip();
      Linux.write(sock, req);
      ByteBuffer ack = ByteBuffer.allocate(256).order(ByteOrder.nativeOrder());
      int n = Linux.read(sock, ack);
      if (n < 20 || ack.getShort(4) != NLMSG_ERROR) {
        throw new ErrnoException(5 /* EIO */, "netlink RTM_NEWLINK", "lo: unexpected answer");
      }
      int error = ack.getInt(16);
      if (error != 0) throw new ErrnoException(-error, "netlink RTM_NEWLINK", "lo up");
    }
  }
}
