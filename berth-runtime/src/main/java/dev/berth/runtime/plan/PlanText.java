package dev.berth.runtime.plan;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * A stable, human-readable dump of a plan, one line per op ({@code <index> <name> <fields>}), for
 * golden tests and debugging. Strings are bare when they are plain path-like words, else
 * double-quoted with C escapes; flags are named. Not on any start path.
 */
public final class PlanText {
  private PlanText() {}

  /** The whole plan, each line ending with a newline. */
  public static String render(Plan plan) {
    StringBuilder sb = new StringBuilder();
    List<Op> ops = plan.ops();
    for (int i = 0; i < ops.size(); i++)
      sb.append(i).append(' ').append(line(ops.get(i))).append('\n');
    return sb.toString();
  }

  /** One op: its name and its fields. */
  public static String line(Op op) {
    String name = Opcode.name(op.opcode());
    String fields =
        switch (op) {
          case Op.Setns o ->
              "type=" + Flags.namespace(o.nstype() & 0xffffffffL) + " path=" + q(o.path());
          case Op.Clone o -> "flags=" + Flags.cloneFlags(o.flags());
          case Op.WaitGo o -> "";
          case Op.SetRoot o -> q(o.hostPath());
          case Op.Mount o ->
              (o.sourceInRoot() ? "source-in-root=" : "source=")
                  + q(o.source())
                  + (o.targetInRoot() ? " target-in-root=" : " target=")
                  + q(o.target())
                  + " fstype="
                  + q(o.fstype())
                  + " flags="
                  + Flags.mountFlags(o.flags())
                  + " data="
                  + q(o.data());
          case Op.Mkdirs o -> q(o.path()) + " mode=" + mode(o.mode());
          case Op.Mkfile o -> q(o.path()) + " mode=" + mode(o.mode());
          case Op.Mknod o ->
              q(o.path())
                  + " type="
                  + nodeType(o.mode())
                  + " mode="
                  + mode(o.mode() & 07777)
                  + " major="
                  + u(o.major())
                  + " minor="
                  + u(o.minor())
                  + " uid="
                  + u(o.uid())
                  + " gid="
                  + u(o.gid());
          case Op.Symlink o -> "link=" + q(o.linkPath()) + " target=" + q(o.target());
          case Op.Mask o -> q(o.path());
          case Op.CopySource o -> q(o.path());
          case Op.CopyTree o -> q(o.path());
          case Op.Readonly o -> q(o.path());
          case Op.Remount o ->
              (o.targetInRoot() ? "target-in-root=" : "target=")
                  + q(o.target())
                  + " flags="
                  + Flags.mountFlags(o.flags());
          case Op.MountSetattr o ->
              (o.targetInRoot() ? "target-in-root=" : "target=")
                  + q(o.target())
                  + " set="
                  + hex(o.attrSet())
                  + " clear="
                  + hex(o.attrClr());
          case Op.Umount o -> q(o.target()) + (o.coverIfDenied() ? " cover-if-denied" : "");
          case Op.PivotRoot o ->
              switch (o.mode()) {
                case PIVOT -> "pivot";
                case MOVE_AND_CHROOT -> "no-pivot";
                case CHROOT -> "chroot";
              };
          case Op.Sethostname o -> q(o.hostname());
          case Op.Setdomainname o -> q(o.domainname());
          case Op.WriteFile o -> q(o.path()) + " content=" + q(o.content());
          case Op.Setrlimit o ->
              Flags.rlimit(o.resource()) + " soft=" + limit(o.soft()) + " hard=" + limit(o.hard());
          case Op.SyncHooks o -> "";
          case Op.RunHook o ->
              "path="
                  + q(o.path())
                  + " blob="
                  + (o.blobIndex() == Op.RunHook.NO_BLOB ? "none" : u(o.blobIndex()))
                  + " timeout="
                  + (o.timeoutMs() == 0 ? "none" : u(o.timeoutMs()) + "ms")
                  + " args="
                  + list(o.args())
                  + " env="
                  + list(o.env());
          case Op.Ready o -> "";
          case Op.OpenFifo o -> q(o.path());
          case Op.WaitFifo o -> "";
          case Op.FifoDir o -> "";
          case Op.ResolveExec o -> list(o.candidates());
          case Op.Chdir o ->
              q(o.path())
                  + (o.attempt() == Op.Chdir.Attempt.ALWAYS
                      ? ""
                      : " " + o.attempt().name().toLowerCase(java.util.Locale.ROOT));
          case Op.Setgroups o -> o.gids().toString();
          case Op.Setresgid o -> u(o.gid());
          case Op.Setresuid o -> u(o.uid());
          case Op.Keepcaps o -> o.on() ? "on" : "off";
          case Op.SetDumpable o -> o.on() ? "on" : "off";
          case Op.Unshare o -> "flags=" + Flags.cloneFlags(o.flags());
          case Op.Personality o -> Flags.persona(o.persona());
          case Op.IoprioSet o -> Flags.ioprioClass(o.ioClass()) + " level=" + o.level();
          case Op.SchedSetattr o ->
              Flags.schedPolicy(o.policy())
                  + " flags="
                  + Flags.schedFlags(o.flags())
                  + " nice="
                  + o.nice()
                  + " priority="
                  + o.priority()
                  + (o.policy() == 6
                      ? " runtime="
                          + Long.toUnsignedString(o.runtime())
                          + " deadline="
                          + Long.toUnsignedString(o.deadline())
                          + " period="
                          + Long.toUnsignedString(o.period())
                      : "");
          case Op.SchedAffinity o -> o.cpus().isEmpty() ? "all" : "cpus=" + o.cpus();
          case Op.SetMempolicy o -> Flags.mpolMode(o.mode() | o.flags()) + " nodes=" + o.nodes();
          case Op.JoinCgroup o -> q(o.tasksFile());
          case Op.IntoCgroup o -> q(o.dir());
          case Op.IdmapTree o ->
              "source="
                  + q(o.source())
                  + (o.cloneTree() ? " tree" : "")
                  + (o.idmapTree() ? " idmap-tree" : "")
                  + " uid-map="
                  + q(o.uidMap())
                  + " gid-map="
                  + q(o.gidMap());
          case Op.MoveMount o -> u(o.index()) + " target-in-root=" + q(o.target());
          case Op.CapsBounding o -> "keep=" + hex(o.keepMask()) + " last=" + o.lastCap();
          case Op.Capset o ->
              "effective="
                  + hex(o.effective())
                  + " permitted="
                  + hex(o.permitted())
                  + " inheritable="
                  + hex(o.inheritable());
          case Op.Ambient o -> hex(o.mask());
          case Op.NoNewPrivs o -> "";
          case Op.Seccomp o ->
              "flags="
                  + hex(o.flags() & 0xffffffffL)
                  + " insns="
                  + o.program().length / 8
                  + " sha256="
                  + sha256(o.program()).substring(0, 16);
          case Op.Umask o -> mode(o.mask());
          case Op.Setsid o -> "";
          case Op.OpenPty o ->
              o.consolePath().isEmpty() ? "" : "console-in-root=" + q(o.consolePath());
          case Op.ChownStdio o -> u(o.uid());
          case Op.CloseFds o -> Integer.toString(o.firstFd());
          case Op.Exec o -> "argv=" + list(o.argv()) + " env=" + list(o.env());
          case Op.JoinKeyring o -> q(o.name());
        };
    return fields.isEmpty() ? name : name + " " + fields;
  }

  /**
   * A string as a bare word when it is a plain non-empty path-like token, else quoted with C
   * escapes.
   */
  static String q(String s) {
    boolean bare = !s.isEmpty();
    for (int i = 0; bare && i < s.length(); i++) {
      char c = s.charAt(i);
      bare =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || "_./:,+@%=-".indexOf(c) >= 0;
    }
    if (bare) return s;
    StringBuilder sb = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\t' -> sb.append("\\t");
        case '\r' -> sb.append("\\r");
        default -> {
          if (c < 0x20 || c == 0x7f) sb.append(String.format("\\x%02x", (int) c));
          else sb.append(c);
        }
      }
    }
    return sb.append('"').toString();
  }

  private static String list(List<String> l) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < l.size(); i++) {
      if (i > 0) sb.append(", ");
      sb.append(q(l.get(i)));
    }
    return sb.append(']').toString();
  }

  private static String mode(int m) {
    String s = Integer.toOctalString(m);
    return "0000".substring(Math.min(4, s.length())) + s;
  }

  private static String nodeType(int mode) {
    return switch (mode & 0170000) {
      case 0020000 -> "c";
      case 0060000 -> "b";
      case 0010000 -> "p";
      case 0100000 -> "f";
      default -> "0" + Integer.toOctalString(mode & 0170000);
    };
  }

  private static String u(int v) {
    return Integer.toUnsignedString(v);
  }

  private static String hex(long v) {
    return "0x" + Long.toHexString(v);
  }

  private static String limit(long v) {
    return v == -1 ? "unlimited" : Long.toUnsignedString(v);
  }

  private static String sha256(byte[] b) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
