package dev.berth.runtime.netdev;

import dev.berth.runtime.ContainerException;
import dev.berth.runtime.Rollback;
import dev.berth.runtime.RuntimeLog;
import dev.berth.spec.runtime.Namespace;
import dev.berth.spec.runtime.NetDevice;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * {@code linux.netDevices}: the runtime's devices moved into the container's network namespace, as
 * runc 1.3 does it. Each is set down, moved and renamed in one request, given back the permanent
 * global addresses the move made the kernel drop, and set up. Nothing moves them back at delete
 * (neither does runc): the namespace's owner has them, and when the namespace goes the kernel
 * destroys a virtual device and hands a physical one back to the host. A create that fails after a
 * move does bring the device back, with its name, addresses and up state.
 */
public final class NetDevices {
  private NetDevices() {}

  /**
   * Refuses, before anything is created, a move that cannot be made: into a network namespace that
   * is the runtime's own (a path can name it), by a rootless runtime, or of a device the runtime's
   * network namespace does not have. The spec's own rules (a network namespace, valid and distinct
   * names) are SpecValidator's.
   */
  public static void check(Map<String, NetDevice> devices, List<Namespace> namespaces)
      throws ContainerException {
    if (devices.isEmpty()) return;
    if (Linux.geteuid() != 0) {
      throw ContainerException.invalid(
          "linux.netDevices: network devices are not supported for rootless containers");
    }
    for (Namespace n : namespaces) {
      if (n.type().equals("network") && !n.path().isEmpty() && isOwnNetns(n.path())) {
        throw ContainerException.invalid(
            "linux.netDevices: unable to move network devices without a private NET namespace"
                + " (linux.namespaces names the runtime's own: "
                + n.path()
                + ")");
      }
    }
    try (RtNetlink nl = RtNetlink.open()) {
      for (String name : devices.keySet()) {
        try {
          Links.byName(nl, name);
        } catch (ErrnoException e) {
          if (e.errno() != LinuxConstants.ENODEV) throw e;
          throw ContainerException.invalid(
              "linux.netDevices["
                  + name
                  + "]: link not found for interface "
                  + name
                  + " on runtime namespace");
        }
      }
    } catch (ErrnoException e) {
      throw new ContainerException(
          dev.berth.spec.error.ErrorCategory.INTERNAL, "linux.netDevices: " + e.getMessage(), e);
    }
  }

  private static boolean isOwnNetns(String path) throws ContainerException {
    try {
      var ns = Linux.stat(path);
      var own = Linux.stat("/proc/thread-self/ns/net");
      return ns.dev() == own.dev() && ns.ino() == own.ino();
    } catch (ErrnoException e) {
      throw ContainerException.invalid(
          "linux.namespaces: network namespace path " + path + ": " + e.getMessage());
    }
  }

  /**
   * Moves every device from the calling thread's network namespace into the one of process {@code
   * pid} (the container's init, in its namespaces), pushing on {@code rb}, before each move, the
   * step that brings that device back. Returns the container's network namespace, held open (and
   * its close pushed on {@code rb} too) so a rollback reaches it once the init is gone: close it
   * when the create is committed. Null when there are no devices.
   */
  public static Fd moveInto(Map<String, NetDevice> devices, int pid, Rollback rb)
      throws IOException {
    if (devices.isEmpty()) return null;
    String nsPath = "/proc/" + pid + "/ns/net";
    Fd target = Linux.open(nsPath, LinuxConstants.O_RDONLY | LinuxConstants.O_CLOEXEC, 0);
    rb.push(target::close);
    try (RtNetlink host = RtNetlink.open()) {
      for (Map.Entry<String, NetDevice> e : devices.entrySet()) {
        String name = e.getKey();
        String newName = e.getValue().name().isEmpty() ? name : e.getValue().name();
        RuntimeLog.debug("attaching network device " + name + " as " + newName, "netns", nsPath);
        Links.Link link;
        try {
          link = Links.byName(host, name);
        } catch (ErrnoException x) {
          throw new IOException(
              "link not found for interface " + name + " on runtime namespace: " + x.getMessage(),
              x);
        }
        List<Links.Address> addresses = Links.addresses(host, link);
        // Only a device this create moved goes back: the container's namespace may have one of
        // the new name of its own. The kernel moves, then renames: a failed rename (EEXIST) leaves
        // the device moved under its old name, and then that is the one to bring back.
        String[] movedAs = {null};
        rb.push(() -> bringBack(target, movedAs[0], name, addresses, link.up()));
        if (link.up()) Links.setUp(host, link, false);
        try {
          Links.move(host, link, newName, target);
          movedAs[0] = newName;
        } catch (ErrnoException x) {
          if (!stillHere(host, link)) movedAs[0] = name;
          throw new IOException(
              "fail to move network device "
                  + name
                  + " to network namespace "
                  + nsPath
                  + ": "
                  + x.getMessage(),
              x);
        }
        InNetns.call(
            target,
            "network device " + newName + " in " + nsPath,
            () -> {
              try (RtNetlink ns = RtNetlink.open()) {
                Links.Link there = Links.byName(ns, newName);
                for (Links.Address a : addresses) {
                  // runc's choice: only what the user configured for good (permanent) and that
                  // means the same anywhere (global scope) follows the device.
                  if (!a.permanent() || a.scope() != Links.RT_SCOPE_UNIVERSE) continue;
                  try {
                    Links.addAddress(ns, there, a);
                  } catch (ErrnoException x) {
                    throw new IOException(
                        "could not restore address "
                            + a
                            + " on interface "
                            + newName
                            + ": "
                            + x.getMessage(),
                        x);
                  }
                }
                Links.setUp(ns, there, true);
              }
              return null;
            });
      }
    }
    return target;
  }

  /**
   * Undoes one move, whatever part of it was done: the device, if the container's namespace has it,
   * goes back under its own name; then it gets its permanent addresses and its up state back.
   */
  private static void bringBack(
      Fd target, String movedAs, String name, List<Links.Address> addresses, boolean wasUp)
      throws IOException {
    if (movedAs != null) moveBack(target, name, movedAs);
    try (RtNetlink host = RtNetlink.open()) {
      Links.Link link = Links.byName(host, name);
      for (Links.Address a : addresses) {
        if (!a.permanent()) continue;
        try {
          Links.addAddress(host, link, a);
        } catch (ErrnoException x) {
          if (x.errno() != LinuxConstants.EEXIST) throw x;
        }
      }
      if (wasUp) Links.setUp(host, link, true);
    }
  }

  private static boolean stillHere(RtNetlink host, Links.Link link) throws ErrnoException {
    try {
      return Links.byName(host, link.name()).index() == link.index();
    } catch (ErrnoException x) {
      if (x.errno() == LinuxConstants.ENODEV) return false;
      throw x;
    }
  }

  private static void moveBack(Fd target, String name, String newName) throws IOException {
    try (Fd own = InNetns.own()) {
      InNetns.call(
          target,
          "move network device " + newName + " back to " + name,
          () -> {
            try (RtNetlink ns = RtNetlink.open()) {
              Links.Link link = Links.byName(ns, newName);
              if (link.up()) Links.setUp(ns, link, false);
              Links.move(ns, link, name, own);
            }
            return null;
          });
    }
  }
}
