package dev.berth.runtime.plan;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One primitive operation of a plan, executed in order by berth-init (docs/berth-init-protocol.md,
 * "Ops"). Each record is one opcode; its components are the payload fields in wire order. Paths
 * called "in-root" are resolved inside the container root by berth-init; every other path is used
 * as given. Integers are sent as unsigned 32 or 64 bits.
 */
public sealed interface Op {
  /** The opcode on the wire ({@link Opcode}). */
  int opcode();

  /**
   * What the op does, lowercase, for error messages: "mount proc on /proc", "mkdir -p /dev/pts".
   */
  String describe();

  /** Writes the payload (without opcode and length) in the layout berth-init reads. */
  void encode(WireWriter out);

  // ---- before clone ----

  /** Joins the namespace at {@code path}; {@code nstype} is its CLONE_NEW* flag. */
  record Setns(int nstype, String path) implements Op {
    public Setns {
      Objects.requireNonNull(path, "path");
    }

    public int opcode() {
      return Opcode.SETNS;
    }

    public String describe() {
      return "join " + Flags.namespace(nstype & 0xffffffffL) + " namespace " + path;
    }

    public void encode(WireWriter out) {
      out.u32(nstype);
      out.str(path);
    }
  }

  /**
   * Moves berth-init itself into a cgroup v1 hierarchy by writing "0" to that cgroup's {@code
   * tasks} file, so that the container process cloned next starts in it. A single-threaded process
   * moving itself takes no threadgroup lock, whose write side (taken for a pid written to
   * cgroup.procs) waits for an RCU grace period: 10 ms and more.
   */
  record JoinCgroup(String tasksFile) implements Op {
    public JoinCgroup {
      Objects.requireNonNull(tasksFile, "tasksFile");
    }

    public int opcode() {
      return Opcode.JOIN_CGROUP;
    }

    public String describe() {
      return "join cgroup " + tasksFile;
    }

    public void encode(WireWriter out) {
      out.str(tasksFile);
    }
  }

  /**
   * The cgroup2 directory the next CLONE creates the container process in (clone3's
   * CLONE_INTO_CGROUP, Linux 5.7): born there, it is never moved, which would wait for an RCU grace
   * period as {@link JoinCgroup} explains.
   */
  record IntoCgroup(String dir) implements Op {
    public IntoCgroup {
      Objects.requireNonNull(dir, "dir");
    }

    public int opcode() {
      return Opcode.INTO_CGROUP;
    }

    public String describe() {
      return "open cgroup " + dir;
    }

    public void encode(WireWriter out) {
      out.str(dir);
    }
  }

  /** Clones the container process into the new namespaces of {@code flags} (CLONE_NEW* bits). */
  record Clone(long flags) implements Op {
    public int opcode() {
      return Opcode.CLONE;
    }

    public String describe() {
      String ns = Flags.namespaces(flags);
      return ns.isEmpty()
          ? "clone the container process"
          : "clone the container process into new " + ns + " namespaces";
    }

    public void encode(WireWriter out) {
      out.u64(flags);
    }
  }

  /**
   * unshare(2) in berth-init before CLONE. For CLONE_NEWTIME the new time namespace is for
   * berth-init's children only, so its offsets can be written (/proc/self/timens_offsets) before
   * the container process is born into it.
   */
  record Unshare(long flags) implements Op {
    public int opcode() {
      return Opcode.UNSHARE;
    }

    public String describe() {
      return "unshare new " + Flags.namespaces(flags) + " namespaces";
    }

    public void encode(WireWriter out) {
      out.u64(flags);
    }
  }

  /**
   * Before CLONE, in the host's mount namespace: a detached copy of the host path {@code source}
   * ({@code cloneTree}: with its submounts), idmapped ({@code idmapTree}: submounts too) through a
   * user namespace whose uid_map and gid_map are {@code uidMap} and {@code gidMap} ("0 1000 1\n"
   * lines). The kernel lets only the owner of the source's mount namespace idmap it, so the
   * container process cannot do it; it attaches the n-th one with {@link MoveMount}(n). With empty
   * maps the copy is not idmapped: a bind source taken by the runtime's credentials, for a
   * container whose root in its own user namespace could not reach the source's path. {@code field}
   * names the spec's mount in messages ("mounts[2]") and is not sent.
   */
  record IdmapTree(
      String source,
      boolean cloneTree,
      boolean idmapTree,
      String uidMap,
      String gidMap,
      String field)
      implements Op {
    public IdmapTree {
      Objects.requireNonNull(source, "source");
      Objects.requireNonNull(uidMap, "uidMap");
      Objects.requireNonNull(gidMap, "gidMap");
      field = field == null ? "" : field;
    }

    public int opcode() {
      return Opcode.IDMAP_TREE;
    }

    public String describe() {
      return (field.isEmpty() ? "" : field + ": ")
          + (uidMap.isEmpty() ? "open the bind source " : "make an idmapped mount of ")
          + source;
    }

    public void encode(WireWriter out) {
      out.str(source);
      out.bool(cloneTree);
      out.bool(idmapTree);
      out.str(uidMap);
      out.str(gidMap);
    }
  }

  // ---- the container process ----

  /**
   * Attaches the {@code index}-th {@link IdmapTree} of the plan on the in-root {@code target}
   * (which must exist).
   */
  record MoveMount(int index, String target) implements Op {
    public MoveMount {
      Objects.requireNonNull(target, "target");
    }

    public int opcode() {
      return Opcode.MOVE_MOUNT;
    }

    public String describe() {
      return "attach detached mount " + Integer.toUnsignedString(index) + " on " + target;
    }

    public void encode(WireWriter out) {
      out.u32(index);
      out.str(target);
    }
  }

  /**
   * PR_SET_DUMPABLE. berth-init is not dumpable, so its clone's /proc files belong to the host's
   * root; a rootless runtime must be able to write the clone's uid_map, so the clone is dumpable
   * only until the maps are written.
   */
  record SetDumpable(boolean on) implements Op {
    public int opcode() {
      return Opcode.SET_DUMPABLE;
    }

    public String describe() {
      return on ? "make the process dumpable" : "make the process non-dumpable";
    }

    public void encode(WireWriter out) {
      out.bool(on);
    }
  }

  /** Waits until the runtime has set up the process from outside (id maps, cgroups) and sent GO. */
  record WaitGo() implements Op {
    public int opcode() {
      return Opcode.WAIT_GO;
    }

    public String describe() {
      return "wait for the runtime to set up the container process";
    }

    public void encode(WireWriter out) {}
  }

  /** Makes the directory at {@code hostPath} the root that in-root paths resolve under. */
  record SetRoot(String hostPath) implements Op {
    public SetRoot {
      Objects.requireNonNull(hostPath, "hostPath");
    }

    public int opcode() {
      return Opcode.SET_ROOT;
    }

    public String describe() {
      return "open root " + hostPath;
    }

    public void encode(WireWriter out) {
      out.str(hostPath);
    }
  }

  /**
   * mount(2). An empty {@code source}, {@code fstype} or {@code data} is NULL; a null one is taken
   * as empty. The target (and, for a bind inside the root, the source) may be in-root.
   */
  record Mount(
      boolean sourceInRoot,
      boolean targetInRoot,
      String source,
      String target,
      String fstype,
      long flags,
      String data)
      implements Op {
    public Mount {
      source = source == null ? "" : source;
      Objects.requireNonNull(target, "target");
      fstype = fstype == null ? "" : fstype;
      data = data == null ? "" : data;
    }

    public int opcode() {
      return Opcode.MOUNT;
    }

    public String describe() {
      if ((flags & Flags.MS_MOVE) != 0) return "move mount " + source + " to " + target;
      if ((flags & Flags.MS_REMOUNT) != 0) return "remount " + target;
      if ((flags & Flags.MS_BIND) != 0) return "bind mount " + source + " on " + target;
      if ((flags & Flags.PROPAGATION) != 0 && source.isEmpty() && fstype.isEmpty()) {
        return "make " + target + " " + Flags.propagation(flags);
      }
      return "mount " + (fstype.isEmpty() ? source : fstype) + " on " + target;
    }

    public void encode(WireWriter out) {
      out.bool(sourceInRoot);
      out.bool(targetInRoot);
      out.str(source);
      out.str(target);
      out.str(fstype);
      out.u64(flags);
      out.str(data);
    }
  }

  /** mkdir -p of an in-root path, each missing component with {@code mode}. */
  record Mkdirs(String path, int mode) implements Op {
    public Mkdirs {
      Objects.requireNonNull(path, "path");
    }

    public int opcode() {
      return Opcode.MKDIRS;
    }

    public String describe() {
      return "mkdir -p " + path;
    }

    public void encode(WireWriter out) {
      out.str(path);
      out.u32(mode);
    }
  }

  /**
   * Creates an empty regular file at an in-root path unless something is there already (a bind
   * mount target).
   */
  record Mkfile(String path, int mode) implements Op {
    public Mkfile {
      Objects.requireNonNull(path, "path");
    }

    public int opcode() {
      return Opcode.MKFILE;
    }

    public String describe() {
      return "create file " + path;
    }

    public void encode(WireWriter out) {
      out.str(path);
      out.u32(mode);
    }
  }

  /**
   * Creates a device node at an in-root path, replacing a non-directory; {@code mode} includes
   * S_IFCHR etc.
   */
  record Mknod(String path, int mode, int major, int minor, int uid, int gid) implements Op {
    public Mknod {
      Objects.requireNonNull(path, "path");
    }

    public int opcode() {
      return Opcode.MKNOD;
    }

    public String describe() {
      String type =
          switch (mode & 0170000) {
            case 0060000 -> "b";
            case 0010000 -> "p";
            default -> "c";
          };
      return "mknod "
          + path
          + " "
          + type
          + " "
          + Integer.toUnsignedString(major)
          + " "
          + Integer.toUnsignedString(minor);
    }

    public void encode(WireWriter out) {
      out.str(path);
      out.u32(mode);
      out.u32(major);
      out.u32(minor);
      out.u32(uid);
      out.u32(gid);
    }
  }

  /**
   * Creates a symlink at the in-root {@code linkPath} pointing to {@code target}; an existing entry
   * is kept.
   */
  record Symlink(String target, String linkPath) implements Op {
    public Symlink {
      Objects.requireNonNull(target, "target");
      Objects.requireNonNull(linkPath, "linkPath");
    }

    public int opcode() {
      return Opcode.SYMLINK;
    }

    public String describe() {
      return "symlink " + linkPath + " -> " + target;
    }

    public void encode(WireWriter out) {
      out.str(target);
      out.str(linkPath);
    }
  }

  /** Hides an in-root path: a read-only tmpfs over a directory, /dev/null over anything else. */
  record Mask(String path) implements Op {
    public Mask {
      Objects.requireNonNull(path, "path");
    }

    public int opcode() {
      return Opcode.MASK;
    }

    public String describe() {
      return "mask " + path;
    }

    public void encode(WireWriter out) {
      out.str(path);
    }
  }

  /** Makes an in-root path read-only with a bind mount onto itself. */
  record Readonly(String path) implements Op {
    public Readonly {
      Objects.requireNonNull(path, "path");
    }

    public int opcode() {
      return Opcode.READONLY;
    }

    public String describe() {
      return "make " + path + " read-only";
    }

    public void encode(WireWriter out) {
      out.str(path);
    }
  }

  /**
   * Remounts {@code target} with {@code flags} (MS_REMOUNT and usually MS_BIND included) plus its
   * locked flags.
   */
  record Remount(boolean targetInRoot, String target, long flags) implements Op {
    public Remount {
      Objects.requireNonNull(target, "target");
    }

    public int opcode() {
      return Opcode.REMOUNT;
    }

    public String describe() {
      String opts = Flags.mountOptions(flags);
      return opts.isEmpty() ? "remount " + target : "remount " + target + " " + opts;
    }

    public void encode(WireWriter out) {
      out.bool(targetInRoot);
      out.str(target);
      out.u64(flags);
    }
  }

  /**
   * mount_setattr(2) with AT_RECURSIVE on the mount at {@code target}: the recursive options
   * ({@code rro}, {@code rnosuid} ...) that reach every submount, which a remount cannot.
   */
  record MountSetattr(boolean targetInRoot, String target, long attrSet, long attrClr)
      implements Op {
    public MountSetattr {
      Objects.requireNonNull(target, "target");
    }

    public int opcode() {
      return Opcode.MOUNT_SETATTR;
    }

    public String describe() {
      return "set recursive mount attributes of " + target;
    }

    public void encode(WireWriter out) {
      out.bool(targetInRoot);
      out.str(target);
      out.u64(attrSet);
      out.u64(attrClr);
    }
  }

  /**
   * umount2(target, MNT_DETACH); with {@code coverIfDenied}, a mount refused so (EINVAL, EPERM:
   * locked in a user namespace) is covered with an empty read-only tmpfs instead. A target that
   * does not exist is nothing to do.
   */
  record Umount(String target, boolean coverIfDenied) implements Op {
    public Umount {
      Objects.requireNonNull(target, "target");
    }

    public int opcode() {
      return Opcode.UMOUNT;
    }

    public String describe() {
      return "unmount " + target;
    }

    public void encode(WireWriter out) {
      out.str(target);
      out.bool(coverIfDenied);
    }
  }

  /**
   * Opens the in-root directory {@code path} as the source of the next {@link CopyTree}: emitted
   * before the mount that covers it (tmpcopyup), the fd still reaches the covered content after.
   */
  record CopySource(String path) implements Op {
    public CopySource {
      Objects.requireNonNull(path, "path");
    }

    public int opcode() {
      return Opcode.COPY_SOURCE;
    }

    public String describe() {
      return "open " + path + " to copy its content up";
    }

    public void encode(WireWriter out) {
      out.str(path);
    }
  }

  /**
   * Copies the tree of the last {@link CopySource} into the in-root directory {@code path}, which
   * must be a new mount over it (tmpcopyup): directories, files, symlinks (as links) and nodes with
   * their owners, modes, times and extended attributes; the root of the mount gets the owner and
   * extended attributes of the source.
   */
  record CopyTree(String path) implements Op {
    public CopyTree {
      Objects.requireNonNull(path, "path");
    }

    public int opcode() {
      return Opcode.COPY_TREE;
    }

    public String describe() {
      return "copy the content of " + path + " up into its tmpfs";
    }

    public void encode(WireWriter out) {
      out.str(path);
    }
  }

  /**
   * Makes the root (SET_ROOT) the process's "/": pivot_root ({@link Mode#PIVOT}), a move mount +
   * chroot ({@link Mode#MOVE_AND_CHROOT}, --no-pivot), or a chroot alone ({@link Mode#CHROOT}:
   * without a mount namespace of the container's own, where moving the root would move the host's).
   */
  record PivotRoot(Mode mode) implements Op {
    public enum Mode {
      PIVOT,
      MOVE_AND_CHROOT,
      CHROOT
    }

    public PivotRoot {
      Objects.requireNonNull(mode, "mode");
    }

    public PivotRoot(boolean noPivot) {
      this(noPivot ? Mode.MOVE_AND_CHROOT : Mode.PIVOT);
    }

    public boolean noPivot() {
      return mode != Mode.PIVOT;
    }

    public int opcode() {
      return Opcode.PIVOT_ROOT;
    }

    public String describe() {
      return switch (mode) {
        case PIVOT -> "pivot_root to the container root";
        case MOVE_AND_CHROOT -> "move the root filesystem to / (no pivot_root)";
        case CHROOT -> "chroot to the container root";
      };
    }

    public void encode(WireWriter out) {
      out.u32(mode.ordinal());
    }
  }

  record Sethostname(String hostname) implements Op {
    public Sethostname {
      Objects.requireNonNull(hostname, "hostname");
    }

    public int opcode() {
      return Opcode.SETHOSTNAME;
    }

    public String describe() {
      return "set hostname " + hostname;
    }

    public void encode(WireWriter out) {
      out.str(hostname);
    }
  }

  record Setdomainname(String domainname) implements Op {
    public Setdomainname {
      Objects.requireNonNull(domainname, "domainname");
    }

    public int opcode() {
      return Opcode.SETDOMAINNAME;
    }

    public String describe() {
      return "set domainname " + domainname;
    }

    public void encode(WireWriter out) {
      out.str(domainname);
    }
  }

  /** Writes {@code content} into an existing file (a sysctl under /proc/sys), after pivot_root. */
  record WriteFile(String path, String content) implements Op {
    public WriteFile {
      Objects.requireNonNull(path, "path");
      Objects.requireNonNull(content, "content");
    }

    public int opcode() {
      return Opcode.WRITE_FILE;
    }

    public String describe() {
      return "write " + path;
    }

    public void encode(WireWriter out) {
      out.str(path);
      out.str(content);
    }
  }

  /** prlimit of the process's own {@code resource}; -1 (all bits) is infinity. */
  record Setrlimit(int resource, long soft, long hard) implements Op {
    public int opcode() {
      return Opcode.SETRLIMIT;
    }

    public String describe() {
      return "set " + Flags.rlimit(resource);
    }

    public void encode(WireWriter out) {
      out.u32(resource);
      out.u64(soft);
      out.u64(hard);
    }
  }

  /** Asks the runtime to run the prestart and createRuntime hooks, and waits until it has. */
  record SyncHooks() implements Op {
    public int opcode() {
      return Opcode.SYNC_HOOKS;
    }

    public String describe() {
      return "wait for the prestart and createRuntime hooks";
    }

    public void encode(WireWriter out) {}
  }

  /**
   * Runs a hook from inside the container's namespaces, with GO's blob {@code blobIndex} (the state
   * JSON) on its stdin ({@link #NO_BLOB}: empty stdin); {@code timeoutMs} 0 waits forever.
   */
  record RunHook(int blobIndex, int timeoutMs, String path, List<String> args, List<String> env)
      implements Op {
    public static final int NO_BLOB = -1;

    public RunHook {
      Objects.requireNonNull(path, "path");
      args = args == null ? List.of() : List.copyOf(args);
      env = env == null ? List.of() : List.copyOf(env);
    }

    public int opcode() {
      return Opcode.RUN_HOOK;
    }

    public String describe() {
      return "run hook " + path;
    }

    public void encode(WireWriter out) {
      out.u32(blobIndex);
      out.u32(timeoutMs);
      out.str(path);
      out.strs(args);
      out.strs(env);
    }
  }

  /** Tells the runtime the process is set up and waits only for start. */
  record Ready() implements Op {
    public int opcode() {
      return Opcode.READY;
    }

    public String describe() {
      return "report ready";
    }

    public void encode(WireWriter out) {}
  }

  /** Opens the exec fifo (a host path, before pivot_root) as O_PATH, for {@link WaitFifo}. */
  record OpenFifo(String path) implements Op {
    public OpenFifo {
      Objects.requireNonNull(path, "path");
    }

    public int opcode() {
      return Opcode.OPEN_FIFO;
    }

    public String describe() {
      return "open exec fifo " + path;
    }

    public void encode(WireWriter out) {
      out.str(path);
    }
  }

  /**
   * From now on {@link WaitFifo} reopens the exec fifo through the container's own /proc/self/fd
   * (emitted after {@link PivotRoot}, with proc mounted at /proc), not the host's that {@link
   * OpenFifo} kept: a process left dumpable while it waits on the fifo holds no fd of the host's
   * procfs.
   */
  record FifoDir() implements Op {
    public int opcode() {
      return Opcode.FIFO_DIR;
    }

    public String describe() {
      return "reopen the exec fifo through the container's /proc";
    }

    public void encode(WireWriter out) {}
  }

  /**
   * Reopens the exec fifo for writing (blocks until a reader opens it: start, or whoever an exec
   * with a wait fifo waits for) and writes one byte.
   */
  record WaitFifo() implements Op {
    public int opcode() {
      return Opcode.WAIT_FIFO;
    }

    public String describe() {
      return "wait for a reader of the exec fifo";
    }

    public void encode(WireWriter out) {}
  }

  /**
   * Chooses the executable for {@link Exec}: the first candidate that is an executable regular
   * file.
   */
  record ResolveExec(List<String> candidates) implements Op {
    public ResolveExec {
      candidates = List.copyOf(candidates);
      if (candidates.isEmpty()) throw new IllegalArgumentException("resolve-exec: no candidates");
    }

    public int opcode() {
      return Opcode.RESOLVE_EXEC;
    }

    public String describe() {
      if (candidates.size() == 1) return "find executable " + candidates.get(0);
      String first = candidates.get(0);
      return "find executable " + first.substring(first.lastIndexOf('/') + 1) + " in PATH";
    }

    public void encode(WireWriter out) {
      out.strs(candidates);
    }
  }

  /**
   * chdir to {@code path} resolved inside ROOT without magic links, then a check that the cwd is
   * under the root (CVE-2024-21626). {@code attempt}: {@link Attempt#ALWAYS} fails on any error;
   * {@link Attempt#TRY} (as root, before the filter and the user change) leaves EACCES/EPERM to a
   * later {@link Attempt#RETRY}, which runs only then.
   */
  record Chdir(String path, Attempt attempt) implements Op {
    public enum Attempt {
      ALWAYS,
      TRY,
      RETRY
    }

    public Chdir {
      Objects.requireNonNull(path, "path");
      Objects.requireNonNull(attempt, "attempt");
    }

    public Chdir(String path) {
      this(path, Attempt.ALWAYS);
    }

    public int opcode() {
      return Opcode.CHDIR;
    }

    public String describe() {
      return "chdir to " + path;
    }

    public void encode(WireWriter out) {
      out.str(path);
      out.u32(attempt.ordinal());
    }
  }

  /** setgroups; an empty list clears the supplementary groups. */
  record Setgroups(List<Integer> gids) implements Op {
    public Setgroups {
      gids = gids == null ? List.of() : List.copyOf(gids);
    }

    public int opcode() {
      return Opcode.SETGROUPS;
    }

    public String describe() {
      return gids.isEmpty() ? "clear supplementary groups" : "set supplementary groups " + gids;
    }

    public void encode(WireWriter out) {
      out.u32(gids.size());
      for (int g : gids) out.u32(g);
    }
  }

  record Setresgid(int gid) implements Op {
    public int opcode() {
      return Opcode.SETRESGID;
    }

    public String describe() {
      return "set gid " + Integer.toUnsignedString(gid);
    }

    public void encode(WireWriter out) {
      out.u32(gid);
    }
  }

  record Setresuid(int uid) implements Op {
    public int opcode() {
      return Opcode.SETRESUID;
    }

    public String describe() {
      return "set uid " + Integer.toUnsignedString(uid);
    }

    public void encode(WireWriter out) {
      out.u32(uid);
    }
  }

  /** PR_SET_KEEPCAPS: keep the permitted capabilities across the switch to a non-root uid. */
  record Keepcaps(boolean on) implements Op {
    public int opcode() {
      return Opcode.KEEPCAPS;
    }

    public String describe() {
      return on ? "keep capabilities across setuid" : "stop keeping capabilities across setuid";
    }

    public void encode(WireWriter out) {
      out.bool(on);
    }
  }

  /**
   * Drops every capability 0..{@code lastCap} that is not in {@code keepMask} from the bounding
   * set.
   */
  record CapsBounding(long keepMask, int lastCap) implements Op {
    public int opcode() {
      return Opcode.CAPS_BOUNDING;
    }

    public String describe() {
      return "drop capabilities from the bounding set";
    }

    public void encode(WireWriter out) {
      out.u64(keepMask);
      out.u32(lastCap);
    }
  }

  /** capset of the three sets, as bit masks of capability numbers. */
  record Capset(long effective, long permitted, long inheritable) implements Op {
    public int opcode() {
      return Opcode.CAPSET;
    }

    public String describe() {
      return "set capabilities";
    }

    public void encode(WireWriter out) {
      out.u64(effective);
      out.u64(permitted);
      out.u64(inheritable);
    }
  }

  /** Clears the ambient set and raises each capability of {@code mask}. */
  record Ambient(long mask) implements Op {
    public int opcode() {
      return Opcode.AMBIENT;
    }

    public String describe() {
      return "set ambient capabilities";
    }

    public void encode(WireWriter out) {
      out.u64(mask);
    }
  }

  record NoNewPrivs() implements Op {
    public int opcode() {
      return Opcode.NO_NEW_PRIVS;
    }

    public String describe() {
      return "set no_new_privs";
    }

    public void encode(WireWriter out) {}
  }

  /**
   * Loads a compiled classic-BPF seccomp program: {@code program} holds struct sock_filter entries,
   * 8 bytes each.
   */
  record Seccomp(int flags, byte[] program) implements Op {
    public static final int MAX_INSNS = 4096;

    public Seccomp {
      if (program.length == 0 || program.length % 8 != 0 || program.length / 8 > MAX_INSNS) {
        throw new IllegalArgumentException(
            "seccomp: program of "
                + program.length
                + " bytes is not 1 to 4096 instructions of 8 bytes");
      }
      program = program.clone();
    }

    @Override
    public byte[] program() {
      return program.clone();
    }

    public int opcode() {
      return Opcode.SECCOMP;
    }

    public String describe() {
      return "load seccomp filter";
    }

    public void encode(WireWriter out) {
      out.u32(flags);
      out.u32(program.length / 8);
      out.bytes(program);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Seccomp s && s.flags == flags && Arrays.equals(s.program, program);
    }

    @Override
    public int hashCode() {
      return 31 * flags + Arrays.hashCode(program);
    }

    @Override
    public String toString() {
      return "Seccomp[flags=" + flags + ", insns=" + program.length / 8 + "]";
    }
  }

  record Umask(int mask) implements Op {
    public int opcode() {
      return Opcode.UMASK;
    }

    public String describe() {
      return "set umask 0" + Integer.toOctalString(mask);
    }

    public void encode(WireWriter out) {
      out.u32(mask);
    }
  }

  record Setsid() implements Op {
    public int opcode() {
      return Opcode.SETSID;
    }

    public String describe() {
      return "create a new session";
    }

    public void encode(WireWriter out) {}
  }

  /**
   * Opens a pty, sends its master to the runtime (PTY message) and makes the slave stdio and
   * controlling tty; with a {@code consolePath} (in-root, "" for none) the slave is also
   * bind-mounted there, as runc's /dev/console.
   */
  record OpenPty(String consolePath) implements Op {
    public OpenPty {
      consolePath = consolePath == null ? "" : consolePath;
    }

    public OpenPty() {
      this("");
    }

    public int opcode() {
      return Opcode.OPEN_PTY;
    }

    public String describe() {
      return consolePath.isEmpty()
          ? "open the console pty"
          : "open the console pty and mount it on " + consolePath;
    }

    public void encode(WireWriter out) {
      out.str(consolePath);
    }
  }

  /**
   * Gives stdio to the process's user: fchown of fds 0-2 to {@code uid} (their group kept), except
   * /dev/null, as runc does so that a user can use its console; failures the kernel may give for an
   * unmapped or read-only file are ignored.
   */
  record ChownStdio(int uid) implements Op {
    public int opcode() {
      return Opcode.CHOWN_STDIO;
    }

    public String describe() {
      return "give stdio to uid " + Integer.toUnsignedString(uid);
    }

    public void encode(WireWriter out) {
      out.u32(uid);
    }
  }

  /**
   * Closes every fd from {@code firstFd} up but berth-init's own, so nothing of the runtime leaks
   * (CVE-2024-21626).
   */
  record CloseFds(int firstFd) implements Op {
    public int opcode() {
      return Opcode.CLOSE_FDS;
    }

    public String describe() {
      return "close fds from " + firstFd;
    }

    public void encode(WireWriter out) {
      out.u32(firstFd);
    }
  }

  /** execve of the path chosen by {@link ResolveExec} (argv[0] without one). */
  record Exec(List<String> argv, List<String> env) implements Op {
    public Exec {
      argv = List.copyOf(argv);
      if (argv.isEmpty()) throw new IllegalArgumentException("exec: argv must not be empty");
      env = env == null ? List.of() : List.copyOf(env);
    }

    public int opcode() {
      return Opcode.EXEC;
    }

    public String describe() {
      return "exec " + argv.get(0);
    }

    public void encode(WireWriter out) {
      out.strs(argv);
      out.strs(env);
    }
  }

  /**
   * Joins a new session keyring of this name, so the container does not share the caller's keys
   * (runc's default).
   */
  record JoinKeyring(String name) implements Op {
    public JoinKeyring {
      name = name == null ? "" : name;
    }

    public int opcode() {
      return Opcode.JOIN_KEYRING;
    }

    public String describe() {
      return "join session keyring " + name;
    }

    public void encode(WireWriter out) {
      out.str(name);
    }
  }

  // ---- scheduling: the process's execution domain, priorities, CPUs and NUMA policy ----

  /**
   * personality(2): the execution domain ({@code linux.personality}; PER_LINUX 0, PER_LINUX32 8),
   * inherited across execve.
   */
  record Personality(int persona) implements Op {
    public int opcode() {
      return Opcode.PERSONALITY;
    }

    public String describe() {
      return "linux.personality: set personality " + Flags.persona(persona);
    }

    public void encode(WireWriter out) {
      out.u32(persona);
    }
  }

  /**
   * ioprio_set(2) of the process itself ({@code process.ioPriority}): {@code ioClass} is
   * IOPRIO_CLASS_* (1 RT, 2 BE, 3 IDLE), {@code level} 0 to 7.
   */
  record IoprioSet(int ioClass, int level) implements Op {
    public int opcode() {
      return Opcode.IOPRIO_SET;
    }

    /** The value ioprio_set takes: the class in the bits above 13, the level below. */
    public int value() {
      return ioClass << 13 | level;
    }

    public String describe() {
      return "process.ioPriority: set io priority " + Flags.ioprioClass(ioClass) + " " + level;
    }

    public void encode(WireWriter out) {
      out.u32(value());
    }
  }

  /**
   * sched_setattr(2) of the process itself ({@code process.scheduler}): policy SCHED_*, flags
   * SCHED_FLAG_*, nice, the static priority of SCHED_FIFO/RR, and the nanoseconds of
   * SCHED_DEADLINE. {@code cpusRestricted} (not sent): linux.resources.cpu.cpus limits the CPUs,
   * which the kernel refuses for SCHED_DEADLINE, and the error says so in runc's words.
   */
  record SchedSetattr(
      int policy,
      long flags,
      int nice,
      int priority,
      long runtime,
      long deadline,
      long period,
      boolean cpusRestricted)
      implements Op {
    public int opcode() {
      return Opcode.SCHED_SETATTR;
    }

    public String describe() {
      return "process.scheduler: "
          + (cpusRestricted
              ? "process scheduler can't be used together with AllowedCPUs"
                  + " (linux.resources.cpu.cpus): "
              : "")
          + "sched_setattr "
          + Flags.schedPolicy(policy);
    }

    public void encode(WireWriter out) {
      out.u32(policy);
      out.u64(flags);
      out.u32(nice);
      out.u32(priority);
      out.u64(runtime);
      out.u64(deadline);
      out.u64(period);
    }
  }

  /**
   * sched_setaffinity(2) of berth-init or the container process to {@code cpus}; none: every CPU
   * (the kernel keeps those of the cpuset). {@code field} names the spec's list in messages
   * ("process.execCPUAffinity.final") and is not sent.
   */
  record SchedAffinity(List<Integer> cpus, String field) implements Op {
    public SchedAffinity {
      cpus = cpus == null ? List.of() : List.copyOf(cpus);
      field = field == null ? "" : field;
    }

    public int opcode() {
      return Opcode.SCHED_AFFINITY;
    }

    /** The CPUs as one number, bit n for CPU n: the mask runc's debug log prints. */
    public java.math.BigInteger mask() {
      java.math.BigInteger m = java.math.BigInteger.ZERO;
      for (int c : cpus) m = m.setBit(c);
      return m;
    }

    public String describe() {
      return cpus.isEmpty()
          ? "reset the CPU affinity to every CPU"
          : (field.isEmpty() ? "" : field + ": ") + "set the CPU affinity to " + cpus;
    }

    public void encode(WireWriter out) {
      out.u32(cpus.size());
      for (int c : cpus) out.u32(c);
    }
  }

  /**
   * set_mempolicy(2) ({@code linux.memoryPolicy}): {@code mode} MPOL_* with its MPOL_F_* {@code
   * flags}, on the NUMA {@code nodes} (none: a null node mask).
   */
  record SetMempolicy(int mode, int flags, List<Integer> nodes) implements Op {
    public SetMempolicy {
      nodes = nodes == null ? List.of() : List.copyOf(nodes);
    }

    public int opcode() {
      return Opcode.SET_MEMPOLICY;
    }

    public String describe() {
      return "linux.memoryPolicy: set_mempolicy "
          + Flags.mpolMode(mode | flags)
          + (nodes.isEmpty() ? "" : " nodes " + nodes);
    }

    public void encode(WireWriter out) {
      out.u32(mode | flags);
      out.u32(nodes.size());
      for (int n : nodes) out.u32(n);
    }
  }
}
