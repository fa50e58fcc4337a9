package dev.berth.spec.runtime;

import java.util.List;

/**
 * The container process. {@code consoleSize}, {@code capabilities} and {@code oomScoreAdj} are null
 * when absent; {@code user} is never null (uid 0, gid 0 when absent). {@code ioPriority}, {@code
 * scheduler} and {@code execCpuAffinity} are null when absent.
 */
public record Process(
    boolean terminal,
    ConsoleSize consoleSize,
    User user,
    List<String> args,
    String commandLine,
    List<String> env,
    String cwd,
    Capabilities capabilities,
    List<Rlimit> rlimits,
    boolean noNewPrivileges,
    String apparmorProfile,
    Integer oomScoreAdj,
    String selinuxLabel,
    IoPriority ioPriority,
    Scheduler scheduler,
    ExecCpuAffinity execCpuAffinity) {
  public Process {
    args = Copies.list(args);
    commandLine = commandLine == null ? "" : commandLine;
    env = Copies.list(env);
    cwd = cwd == null ? "" : cwd;
    rlimits = Copies.list(rlimits);
    apparmorProfile = apparmorProfile == null ? "" : apparmorProfile;
    selinuxLabel = selinuxLabel == null ? "" : selinuxLabel;
    user = user == null ? User.ROOT : user;
  }

  /** Without the scheduling fields (ioPriority, scheduler, execCPUAffinity). */
  public Process(
      boolean terminal,
      ConsoleSize consoleSize,
      User user,
      List<String> args,
      String commandLine,
      List<String> env,
      String cwd,
      Capabilities capabilities,
      List<Rlimit> rlimits,
      boolean noNewPrivileges,
      String apparmorProfile,
      Integer oomScoreAdj,
      String selinuxLabel) {
    this(
        terminal,
        consoleSize,
        user,
        args,
        commandLine,
        env,
        cwd,
        capabilities,
        rlimits,
        noNewPrivileges,
        apparmorProfile,
        oomScoreAdj,
        selinuxLabel,
        null,
        null,
        null);
  }

  /** This process with the scheduling fields it leaves out taken from {@code base}'s. */
  public Process inheritScheduling(Process base) {
    if (base == null) return this;
    return new Process(
        terminal,
        consoleSize,
        user,
        args,
        commandLine,
        env,
        cwd,
        capabilities,
        rlimits,
        noNewPrivileges,
        apparmorProfile,
        oomScoreAdj,
        selinuxLabel,
        ioPriority != null ? ioPriority : base.ioPriority,
        scheduler != null ? scheduler : base.scheduler,
        execCpuAffinity != null ? execCpuAffinity : base.execCpuAffinity);
  }
}
