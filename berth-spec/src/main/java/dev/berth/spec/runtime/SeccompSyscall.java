package dev.berth.spec.runtime;

import java.util.List;

/** A seccomp rule for some syscalls; errnoRet is null when absent. */
public record SeccompSyscall(
    List<String> names, String action, Integer errnoRet, List<SeccompArg> args) {
  public SeccompSyscall {
    names = Copies.list(names);
    action = action == null ? "" : action;
    args = Copies.list(args);
  }
}
