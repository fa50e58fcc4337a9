package dev.berth.spec.runtime;

import java.util.List;

/** A seccomp filter. defaultErrnoRet is null when absent. */
public record Seccomp(
    String defaultAction,
    Integer defaultErrnoRet,
    List<String> architectures,
    List<String> flags,
    String listenerPath,
    String listenerMetadata,
    List<SeccompSyscall> syscalls) {
  public Seccomp {
    defaultAction = defaultAction == null ? "" : defaultAction;
    architectures = Copies.list(architectures);
    flags = Copies.list(flags);
    listenerPath = listenerPath == null ? "" : listenerPath;
    listenerMetadata = listenerMetadata == null ? "" : listenerMetadata;
    syscalls = Copies.list(syscalls);
  }
}
