package dev.berth.spec.runtime;

import java.util.List;

/**
 * The container process. {@code consoleSize}, {@code capabilities} and {@code oomScoreAdj} are null
 * when absent; {@code user} is never null (uid 0, gid 0 when absent).
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
    String selinuxLabel) {
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
}
