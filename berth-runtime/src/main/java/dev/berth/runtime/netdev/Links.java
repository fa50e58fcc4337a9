package dev.berth.runtime.netdev;

import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The few link and address operations a device move needs, over one {@link RtNetlink}. */
final class Links {
  private static final int IFLA_IFNAME = 3;
  private static final int IFLA_NET_NS_FD = 28;
  private static final int IFA_ADDRESS = 1;
  private static final int IFA_LOCAL = 2;
  private static final int IFA_BROADCAST = 4;
  private static final int IFA_FLAGS = 8;
  static final int IFF_UP = 1;
  static final int IFA_F_PERMANENT = 0x80;
  static final int RT_SCOPE_UNIVERSE = 0;

  /**
   * The address flags a new address may carry (what the kernel keeps of a request); the others
   * (secondary, tentative, deprecated, dadfailed) are states it computes itself.
   */
  private static final int ADD_FLAGS = 0x02 | 0x04 | 0x10 | 0x80 | 0x100 | 0x200 | 0x400 | 0x800;

  private Links() {}

  /** A link: its index and flags (IFF_*) in its namespace. */
  record Link(int index, int flags, String name) {
    boolean up() {
      return (flags & IFF_UP) != 0;
    }
  }

  /** An address of a link, as RTM_GETADDR reports it; {@code broadcast} may be null. */
  record Address(
      int family,
      int prefixLen,
      int flags,
      int scope,
      byte[] local,
      byte[] address,
      byte[] broadcast) {
    boolean permanent() {
      return (flags & IFA_F_PERMANENT) != 0;
    }

    @Override
    public String toString() {
      byte[] a = local != null ? local : address;
      try {
        return InetAddress.getByAddress(a).getHostAddress() + "/" + prefixLen;
      } catch (UnknownHostException e) {
        return "?/" + prefixLen;
      }
    }
  }

  /** The link named {@code name}; ENODEV when there is none. */
  static Link byName(RtNetlink nl, String name) throws ErrnoException {
    ByteBuffer m =
        nl.get(
            RtMessage.link(RtMessage.RTM_GETLINK, 0, 0, 0, 0).attr(IFLA_IFNAME, name),
            "link " + name);
    int p = m.position() + RtMessage.NLMSG_HDRLEN;
    int index = m.getInt(p + 4);
    int flags = m.getInt(p + 8);
    byte[] n = RtMessage.attributes(m, RtMessage.IFINFOMSG_LEN).get(IFLA_IFNAME);
    return new Link(index, flags, n == null ? name : RtMessage.string(n));
  }

  static void setUp(RtNetlink nl, Link link, boolean up) throws ErrnoException {
    nl.call(
        RtMessage.link(RtMessage.RTM_NEWLINK, 0, link.index(), up ? IFF_UP : 0, IFF_UP),
        "set link " + link.name() + (up ? " up" : " down"));
  }

  /**
   * Moves {@code link} into the network namespace {@code netns} under {@code newName}, in one
   * request so the new name never meets a device of that name in either namespace.
   */
  static void move(RtNetlink nl, Link link, String newName, Fd netns) throws ErrnoException {
    nl.call(
        RtMessage.link(RtMessage.RTM_NEWLINK, 0, link.index(), 0, 0)
            .attr(IFLA_IFNAME, newName)
            .attrU32(IFLA_NET_NS_FD, netns.fd()),
        "move link " + link.name());
  }

  /** The addresses of {@code link}, of every family, in the kernel's order (primaries first). */
  static List<Address> addresses(RtNetlink nl, Link link) throws ErrnoException {
    List<Address> list = new ArrayList<>();
    for (ByteBuffer m :
        nl.dump(
            RtMessage.address(RtMessage.RTM_GETADDR, 0, 0, 0, 0, 0, 0),
            "addresses of " + link.name())) {
      int p = m.position() + RtMessage.NLMSG_HDRLEN;
      if (m.getInt(p + 4) != link.index()) continue;
      Map<Integer, byte[]> a = RtMessage.attributes(m, RtMessage.IFADDRMSG_LEN);
      int flags = Byte.toUnsignedInt(m.get(p + 2));
      byte[] f = a.get(IFA_FLAGS);
      if (f != null && f.length == 4) {
        flags = ByteBuffer.wrap(f).order(m.order()).getInt();
      }
      list.add(
          new Address(
              Byte.toUnsignedInt(m.get(p)),
              Byte.toUnsignedInt(m.get(p + 1)),
              flags,
              Byte.toUnsignedInt(m.get(p + 3)),
              a.get(IFA_LOCAL),
              a.get(IFA_ADDRESS),
              a.get(IFA_BROADCAST)));
    }
    return list;
  }

  /** Adds {@code a} to {@code link}; the kernel refuses one it already has (EEXIST). */
  static void addAddress(RtNetlink nl, Link link, Address a) throws ErrnoException {
    int flags = a.flags() & ADD_FLAGS;
    RtMessage m =
        RtMessage.address(
            RtMessage.RTM_NEWADDR,
            RtMessage.NLM_F_CREATE | RtMessage.NLM_F_EXCL,
            a.family(),
            a.prefixLen(),
            flags & 0xff,
            a.scope(),
            link.index());
    if (a.local() != null) m.attr(IFA_LOCAL, a.local());
    if (a.address() != null) m.attr(IFA_ADDRESS, a.address());
    if (a.broadcast() != null) m.attr(IFA_BROADCAST, a.broadcast());
    m.attrU32(IFA_FLAGS, flags);
    nl.call(m, "address " + a + " on " + link.name());
  }
}
