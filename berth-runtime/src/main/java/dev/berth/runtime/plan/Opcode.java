package dev.berth.runtime.plan;

/** The opcodes of berth-init's plan (docs/berth-init-protocol.md); the numbers are the wire format. */
public final class Opcode {
  public static final int SETNS = 1, CLONE = 2, WAIT_GO = 3, SET_ROOT = 4, MOUNT = 5, MKDIRS = 6, MKFILE = 7,
      MKNOD = 8, SYMLINK = 9, MASK = 10, READONLY = 11, REMOUNT = 12, PIVOT_ROOT = 13, SETHOSTNAME = 14,
      SETDOMAINNAME = 15, WRITE_FILE = 16, SETRLIMIT = 17, SYNC_HOOKS = 18, RUN_HOOK = 19, READY = 20,
      OPEN_FIFO = 21, WAIT_FIFO = 22, RESOLVE_EXEC = 23, CHDIR = 24, SETGROUPS = 25, SETRESGID = 26,
      SETRESUID = 27, KEEPCAPS = 28, CAPS_BOUNDING = 29, CAPSET = 30, AMBIENT = 31, NO_NEW_PRIVS = 32,
      SECCOMP = 33, UMASK = 34, SETSID = 35, OPEN_PTY = 36, CLOSE_FDS = 37, EXEC = 38, JOIN_KEYRING = 39,
      SET_DUMPABLE = 40, UNSHARE = 41, IDMAP_TREE = 42, MOVE_MOUNT = 43, JOIN_CGROUP = 44, INTO_CGROUP = 45,
      MOUNT_SETATTR = 46, UMOUNT = 47, CHOWN_STDIO = 48;

  private static final String[] NAMES = {
      null, "setns", "clone", "wait-go", "set-root", "mount", "mkdirs", "mkfile", "mknod", "symlink", "mask",
      "readonly", "remount", "pivot-root", "sethostname", "setdomainname", "write-file", "setrlimit", "sync-hooks",
      "run-hook", "ready", "open-fifo", "wait-fifo", "resolve-exec", "chdir", "setgroups", "setresgid", "setresuid",
      "keepcaps", "caps-bounding", "capset", "ambient", "no-new-privs", "seccomp", "umask", "setsid", "open-pty",
      "close-fds", "exec", "join-keyring", "set-dumpable", "unshare", "idmap-tree",
      "move-mount", "join-cgroup", "into-cgroup", "mount-setattr", "umount", "chown-stdio"};

  private Opcode() {}

  /** The short name berth-init and {@link PlanText} use for an opcode ("mount", "wait-go"), or "op N". */
  public static String name(int opcode) {
    return opcode > 0 && opcode < NAMES.length ? NAMES[opcode] : "op " + opcode;
  }
}
