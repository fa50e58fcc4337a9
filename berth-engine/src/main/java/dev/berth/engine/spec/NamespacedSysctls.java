package dev.berth.engine.spec;

import java.util.Set;

/**
 * Which namespace a kernel parameter belongs to, as docker and the kubelet sort them: a container
 * (or pod) may set only those of its own namespaces, and none of a namespace it shares with the
 * host.
 */
public final class NamespacedSysctls {
  private NamespacedSysctls() {}

  /** The namespace of a sysctl a container may set. */
  public enum Kind {
    IPC,
    NET,
    NONE
  }

  /** The sysctls of an ipc namespace that are not under fs.mqueue (ipc_namespaces(7)). */
  private static final Set<String> IPC =
      Set.of(
          "kernel.msgmax",
          "kernel.msgmnb",
          "kernel.msgmni",
          "kernel.sem",
          "kernel.shmall",
          "kernel.shmmax",
          "kernel.shmmni",
          "kernel.shm_rmid_forced");

  /** The namespace {@code key} ({@code net.ipv4.ip_forward}) is a parameter of, or NONE. */
  public static Kind of(String key) {
    if (IPC.contains(key) || key.startsWith("fs.mqueue.")) return Kind.IPC;
    if (key.startsWith("net.")) return Kind.NET;
    return Kind.NONE;
  }
}
