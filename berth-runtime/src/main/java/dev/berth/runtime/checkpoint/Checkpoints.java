package dev.berth.runtime.checkpoint;

import dev.berth.runtime.ContainerException;
import dev.berth.runtime.ContainerRuntime;
import dev.berth.runtime.Rollback;
import dev.berth.runtime.cgroups.CgroupClaim;
import dev.berth.runtime.cgroups.CgroupManager;
import dev.berth.runtime.cgroups.Cgroups;
import dev.berth.runtime.create.Creation;
import dev.berth.runtime.hooks.HookRunner;
import dev.berth.runtime.process.ProcStat;
import dev.berth.runtime.state.ContainerDir;
import dev.berth.runtime.state.ContainerRecord;
import dev.berth.runtime.state.Status;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.json.Rfc3339;
import dev.berth.spec.json.SpecException;
import dev.berth.spec.runtime.Device;
import dev.berth.spec.runtime.Mount;
import dev.berth.spec.runtime.Namespace;
import dev.berth.spec.runtime.Resources;
import dev.berth.spec.runtime.Spec;
import dev.berth.spec.runtime.SpecReader;
import dev.berth.spec.runtime.SpecWriter;
import dev.berth.spec.runtime.State;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * Checkpoint and restore of berth containers with CRIU, as runc does them: through CRIU's RPC
 * ({@link Swrk}), with runc's options and runc's image directory (CRIU's images plus {@link
 * Descriptors}), so that images move between the two runtimes.
 *
 * <p>A checkpoint dumps the container's process tree (frozen through its cgroup) with its mount
 * namespace relative to the rootfs; bind mounts, masked files and device nodes are external mounts
 * keyed by their destination, a network namespace joined by path is external too, and the network
 * namespace is always restored empty (runc's and berth's containers do not own their network
 * devices). Unless asked to leave it running, CRIU kills the container and it is deleted.
 *
 * <p>A restore makes a new container from a bundle and a checkpoint: state directory, cgroups (CRIU
 * is moved into them so the restored tree is born there), the rootfs bind-mounted where CRIU wants
 * a root, then CRIU recreates the processes as our children (rst_sibling); the container is then
 * running, with its state written as create writes it. The configured prestart and createRuntime
 * hooks run when CRIU has set up the namespaces.
 */
public final class Checkpoints {
  /**
   * The network namespace: always restored empty (see above), plus what {@code --empty-ns} adds.
   */
  private static final int CLONE_NEWNET = 0x40000000;

  /**
   * runc's default CRIU configuration file, read when the config has no org.criu.config annotation.
   */
  static final String DEFAULT_CRIU_CONFIG = "/etc/criu/runc.conf";

  static final String CRIU_CONFIG_ANNOTATION = "org.criu.config";

  private final ContainerRuntime rt;

  public Checkpoints(ContainerRuntime rt) {
    this.rt = rt;
  }

  // ----------------------------------------------------------------------------------------------
  // checkpoint

  /**
   * Dumps running (or paused) container {@code id} into {@code o.imagePath()}. Every option is
   * checked before anything is written; if the dump fails, the container keeps running and the
   * image directory keeps CRIU's log (named in the error with CRIU's first errors) unless CRIU
   * never ran, when an image directory made here is removed.
   */
  public CheckpointResult checkpoint(String id, CheckpointOptions o) throws ContainerException {
    ContainerRuntime.checkId(id);
    rt.state(id); // "does not exist", before anything else, as runc
    ContainerDir dir = new ContainerDir(rt.root().resolve(id));
    Path images = o.imagePath().toAbsolutePath().normalize();
    Path log;
    try (Fd lock = dir.lockExisting(id)) {
      ContainerRecord r = dir.readExisting(id);
      Status s = rt.state(id).status();
      if (s == Status.CREATED || s == Status.STOPPED) {
        throw ContainerException.precondition(
            "container " + id + " cannot be checkpointed in " + s + " state");
      }
      Spec spec = savedSpec(dir);
      int emptyNs = emptyNamespaces(o.emptyNamespaces());
      checkParent(images, o.parentPath());
      if (o.lazyPages() && o.statusFd() != -1) checkStatusFd(o.statusFd());
      criuBinary(o.criu());
      if (o.preDump() || o.lazyPages()) checkFeatures(o.criu(), o.preDump(), o.lazyPages());
      boolean madeImages = mkdirs(images, "--image-path");
      Path work = o.workPath() == null ? images : o.workPath().toAbsolutePath().normalize();
      log = work.resolve("dump.log");
      boolean criuRan = false;
      try {
        if (o.workPath() != null) mkdirs(work, "--work-path");
        try (Fd imagesFd = openDir(images);
            Fd workFd = openDir(work)) {
          Descriptors.write(images, Descriptors.of(r.pid()));
          ProtoWriter opts =
              new ProtoWriter()
                  .int32(Rpc.IMAGES_DIR_FD, imagesFd.fd())
                  .int32(Rpc.WORK_DIR_FD, workFd.fd())
                  .int32(Rpc.LOG_LEVEL, Rpc.LOG_ALL)
                  .string(Rpc.LOG_FILE, "dump.log")
                  .string(Rpc.ROOT, r.rootfs())
                  .bool(Rpc.MANAGE_CGROUPS, true)
                  .bool(Rpc.NOTIFY_SCRIPTS, true)
                  .int32(Rpc.PID, r.pid())
                  .bool(Rpc.SHELL_JOB, o.shellJob())
                  .bool(Rpc.LEAVE_RUNNING, o.leaveRunning())
                  .bool(Rpc.TCP_ESTABLISHED, o.tcpEstablished())
                  .bool(Rpc.EXT_UNIX_SK, o.extUnixSk())
                  .bool(Rpc.FILE_LOCKS, o.fileLocks())
                  .uint32(Rpc.EMPTY_NS, emptyNs)
                  .bool(Rpc.ORPHAN_PTS_MASTER, true)
                  .bool(Rpc.AUTO_DEDUP, o.autoDedup())
                  .bool(Rpc.LAZY_PAGES, o.lazyPages());
          configFile(opts, spec);
          String freezer =
              r.cgroupPaths().containsKey("freezer")
                  ? r.cgroupPaths().get("freezer")
                  : r.cgroupPaths().get("");
          if (freezer != null) opts.string(Rpc.FREEZE_CGROUP, freezer);
          for (String dest : externalMounts(spec, r.pid())) extMount(opts, dest, dest);
          for (String masked : maskedFiles(spec, r.pid())) extMount(opts, masked, "/dev/null");
          String netns = namespacePath(spec, "network");
          if (netns != null) {
            opts.string(Rpc.EXTERNAL, "net[" + Linux.stat(netns).ino() + "]:extRootNetNS");
          }
          if (o.pageServer() != null) {
            opts.message(
                Rpc.PS,
                new ProtoWriter()
                    .string(Rpc.PS_ADDRESS, o.pageServer().address())
                    .int32(Rpc.PS_PORT, o.pageServer().port()));
          }
          if (o.parentPath() != null && !o.parentPath().isEmpty()) {
            opts.string(Rpc.PARENT_IMG, o.parentPath()).bool(Rpc.TRACK_MEM, true);
          }
          if (o.cgroupsMode() != null) opts.int32(Rpc.MANAGE_CGROUPS_MODE, o.cgroupsMode().rpc);
          int type = o.preDump() ? Rpc.PRE_DUMP : Rpc.DUMP;
          int[] statusFd = {o.statusFd()};
          criuRan = true;
          Swrk.Response resp =
              Swrk.call(
                  o.criu(),
                  request(type, opts),
                  new int[0],
                  null,
                  (script, pid, fds) -> {
                    // Lazy pages: the page server is up, the caller of --status-fd may start the
                    // restore now.
                    if (script.equals("status-ready") && statusFd[0] != -1) {
                      try (Fd status = new Fd(statusFd[0])) {
                        Linux.writeAll(status, new byte[] {0});
                      }
                      statusFd[0] = -1;
                    }
                  });
          if (!resp.success()) throw ContainerException.invalid(CriuLog.failure(resp, type, log));
        }
      } catch (ContainerException | IOException e) {
        // Without a run of CRIU there is nothing to look at in a directory made here: leave nothing
        // behind.
        if (madeImages && !criuRan) removeTree(images);
        if (e instanceof ContainerException c) throw c;
        throw new ContainerException(
            ErrorCategory.INTERNAL,
            "checkpoint container "
                + id
                + ": "
                + e.getMessage()
                + (criuRan ? " (log file: " + log + ")" : ""),
            e);
      }
    }
    boolean running = o.leaveRunning() || o.preDump();
    // CRIU has killed the tree: what is left is the state and the cgroups, removed as delete
    // removes them.
    if (!running) rt.delete(id, true);
    return new CheckpointResult(images, log, running);
  }

  private static void checkParent(Path images, String parent) throws ContainerException {
    if (parent == null || parent.isEmpty()) return;
    if (parent.startsWith("/")) throw ContainerException.invalid("--parent-path must be relative");
    Path real = images.resolve(parent).normalize();
    try {
      if (!Linux.stat(real.toString()).isDirectory()) {
        throw ContainerException.invalid(
            "invalid --parent-path: stat " + real + ": not a directory");
      }
    } catch (ErrnoException e) {
      throw ContainerException.invalid(
          "invalid --parent-path: stat " + real + ": " + ErrnoException.text(e.errno()));
    }
  }

  /** runc's check of --status-fd: an open fd of this process, open for writing. */
  private static void checkStatusFd(int fd) throws ContainerException {
    long flags;
    if (fd < 0)
      throw ContainerException.invalid(
          "invalid --status-fd argument " + fd + ": bad file descriptor");
    Fd borrowed = new Fd(fd);
    try {
      flags = Linux.fcntl(borrowed, LinuxConstants.F_GETFL, 0);
    } catch (ErrnoException e) {
      throw ContainerException.invalid(
          "invalid --status-fd argument " + fd + ": " + ErrnoException.text(e.errno()));
    } finally {
      borrowed.release(); // the caller's fd: not ours to close
    }
    int mode = (int) flags & LinuxConstants.O_ACCMODE;
    if (mode != LinuxConstants.O_WRONLY && mode != LinuxConstants.O_RDWR) {
      throw ContainerException.invalid("invalid --status-fd argument " + fd + ": not writable");
    }
  }

  /** A missing CRIU is bad input: found out before anything is made. */
  private static void criuBinary(String criu) throws ContainerException {
    try {
      Swrk.resolve(criu);
    } catch (IOException e) {
      throw ContainerException.invalid(e.getMessage());
    }
  }

  /**
   * Asks CRIU whether it can track memory changes (pre-dump) and serve lazy pages, as runc does
   * first.
   */
  private static void checkFeatures(String criu, boolean memTrack, boolean lazyPages)
      throws ContainerException {
    ProtoWriter features = new ProtoWriter();
    if (memTrack) features.bool(Rpc.FEATURE_MEM_TRACK, true);
    if (lazyPages) features.bool(Rpc.FEATURE_LAZY_PAGES, true);
    byte[] req =
        new ProtoWriter()
            .int32(Rpc.REQ_TYPE, Rpc.FEATURE_CHECK)
            .message(Rpc.REQ_FEATURES, features)
            .toByteArray();
    Swrk.Response resp;
    try {
      resp = Swrk.call(criu, req, new int[0], null, (s, p, f) -> {});
    } catch (IOException e) {
      throw ContainerException.invalid("criu feature check: " + e.getMessage());
    }
    if (!resp.success()) {
      throw ContainerException.invalid(
          "criu feature check failed (see its errors above; `criu check --all` tells"
              + " what this kernel lacks)");
    }
    List<String> missing = new ArrayList<>();
    if (memTrack && !resp.memTrack()) missing.add("memory tracking (needed by --pre-dump)");
    if (lazyPages && !resp.lazyPages()) missing.add("lazy pages (needed by --lazy-pages)");
    if (!missing.isEmpty())
      throw ContainerException.invalid("criu is missing features: " + String.join(", ", missing));
  }

  /** Bind mounts and device nodes of the config: external to CRIU, keyed by their destination. */
  private static List<String> externalMounts(Spec spec, int pid) {
    List<String> out = new ArrayList<>();
    for (Mount m : spec.mounts()) if (isBind(m)) out.add(m.destination());
    if (spec.linux() != null) for (Device d : spec.linux().devices()) out.add(d.path());
    return out;
  }

  /** The masked paths that are files: /dev/null is bound over them, an external mount to CRIU. */
  private static List<String> maskedFiles(Spec spec, int pid) {
    List<String> out = new ArrayList<>();
    if (spec.linux() == null) return out;
    for (String p : spec.linux().maskedPaths()) {
      try {
        if (!Linux.stat("/proc/" + pid + "/root" + p).isDirectory()) out.add(p);
      } catch (ErrnoException e) {
        // not there in the container: nothing masked
      }
    }
    return out;
  }

  // ------------------------------------------------------------------------------------------------- restore

  /**
   * Restores container {@code id} from {@code bundle} and the checkpoint in {@code o.imagePath()}.
   * Nothing is left behind when it fails (state directory, cgroups, the root mount); the image
   * directory is only read, CRIU's log goes to {@code o.workPath()} (default: the image directory).
   *
   * @param onStarted in the foreground, told the restored init's pid, e.g. to forward signals to it
   */
  public RestoreResult restore(String id, Path bundle, RestoreOptions o, IntConsumer onStarted)
      throws ContainerException {
    ContainerRuntime.checkId(id);
    if (rt.rootless())
      throw ContainerException.invalid("restore: CRIU cannot restore a rootless container");
    Path bundleDir = bundle.toAbsolutePath().normalize();
    if (!Files.isDirectory(bundleDir)) {
      throw ContainerException.invalid("chdir " + bundleDir + ": no such file or directory");
    }
    Path configFile = bundleDir.resolve("config.json");
    byte[] config;
    try {
      config = Files.readAllBytes(configFile);
    } catch (IOException e) {
      throw ContainerException.invalid("open " + configFile + ": no such file or directory");
    }
    Spec spec = Creation.load(config, configFile);
    if (spec.process() == null)
      throw ContainerException.invalid("config.json: process: required to restore a container");
    Path rootfs = bundleDir.resolve(spec.root().path()).normalize();
    if (!Files.isDirectory(rootfs)) {
      throw ContainerException.invalid(
          "rootfs (" + rootfs + ") does not exist or is not a directory");
    }
    boolean terminal = spec.process().terminal();
    if (terminal && o.consoleSocket() == null && o.pty() == null) {
      throw ContainerException.invalid(
          "cannot allocate tty if runc will detach without setting console socket");
    }
    if (!terminal && o.consoleSocket() != null) {
      throw ContainerException.invalid(
          "cannot use console socket if runc will not detach or allocate tty");
    }
    int emptyNs = emptyNamespaces(o.emptyNamespaces());
    Path images = o.imagePath().toAbsolutePath().normalize();
    List<String> descriptors = Descriptors.read(images);
    criuBinary(o.criu());
    ContainerDir dir = new ContainerDir(rt.root().resolve(id));
    int pid;
    ContainerRecord record;
    CgroupClaim claim = null;
    try (Rollback rb = new Rollback()) {
      if (!dir.create())
        throw new ContainerException(
            ErrorCategory.ALREADY_EXISTS, "container with id exists: " + id);
      rb.push(dir::remove);
      try (Fd lock = dir.lock()) {
        String mountinfo =
            new String(Files.readAllBytes(Path.of("/proc/self/mountinfo")), StandardCharsets.UTF_8);
        String created = Rfc3339.format(Instant.now());
        Resources resources = spec.linux() == null ? null : spec.linux().resources();
        claim = cgroups(spec, id, mountinfo, dir.path() + " " + created);
        CgroupManager cg = claim.manager();
        rb.push(claim::undo);
        Files.write(dir.config(), config);
        Path work = o.workPath() == null ? images : o.workPath().toAbsolutePath().normalize();
        mkdirs(work, "--work-path");
        Path log = work.resolve("restore.log");
        // CRIU wants its root to be a mount point whose parent is not overmounted: the rootfs bound
        // in the state dir.
        Path root = dir.path().resolve("criu-root");
        Linux.mkdir(root.toString(), 0755);
        rb.push(() -> Linux.rmdir(root.toString()));
        Linux.mount(
            rootfs.toString(),
            root.toString(),
            null,
            LinuxConstants.MS_BIND | LinuxConstants.MS_REC,
            null);
        try (Fd imagesFd = openDir(images);
            Fd workFd = openDir(work)) {
          ProtoWriter opts =
              new ProtoWriter()
                  .int32(Rpc.IMAGES_DIR_FD, imagesFd.fd())
                  .int32(Rpc.WORK_DIR_FD, workFd.fd())
                  .bool(Rpc.EVASIVE_DEVICES, true)
                  .int32(Rpc.LOG_LEVEL, Rpc.LOG_ALL)
                  .string(Rpc.LOG_FILE, "restore.log")
                  .bool(Rpc.RST_SIBLING, true)
                  .string(Rpc.ROOT, root.toString())
                  .bool(Rpc.MANAGE_CGROUPS, true)
                  .bool(Rpc.NOTIFY_SCRIPTS, true)
                  .bool(Rpc.SHELL_JOB, o.shellJob())
                  .bool(Rpc.EXT_UNIX_SK, o.extUnixSk())
                  .bool(Rpc.TCP_ESTABLISHED, o.tcpEstablished())
                  .bool(Rpc.FILE_LOCKS, o.fileLocks())
                  .uint32(Rpc.EMPTY_NS, emptyNs)
                  .bool(Rpc.ORPHAN_PTS_MASTER, true)
                  .bool(Rpc.AUTO_DEDUP, o.autoDedup())
                  .bool(Rpc.LAZY_PAGES, o.lazyPages());
          if (o.lsmProfile() != null) opts.string(Rpc.LSM_PROFILE, o.lsmProfile());
          if (o.lsmMountContext() != null) opts.string(Rpc.LSM_MOUNT_CONTEXT, o.lsmMountContext());
          configFile(opts, spec);
          for (Mount m : spec.mounts()) {
            if (isBind(m))
              extMount(opts, m.destination(), bundleDir.resolve(m.source()).normalize().toString());
          }
          if (spec.linux() != null && !spec.linux().maskedPaths().isEmpty())
            extMount(opts, "/dev/null", "/dev/null");
          if (spec.linux() != null)
            for (Device d : spec.linux().devices()) extMount(opts, d.path(), d.path());
          if (o.cgroupsMode() != null) opts.int32(Rpc.MANAGE_CGROUPS_MODE, o.cgroupsMode().rpc);
          for (Map.Entry<String, String> e : cgroupRoots(cg.paths(), mountinfo).entrySet()) {
            ProtoWriter cgRoot = new ProtoWriter();
            if (!e.getKey().isEmpty()) cgRoot.string(Rpc.CTRL, e.getKey());
            opts.message(Rpc.CG_ROOT, cgRoot.string(Rpc.PATH, e.getValue()));
          }
          // The container's old stdio pipes are gone with the old processes: ours take their place.
          for (int i = 0; i < descriptors.size() && i < 3; i++) {
            if (descriptors.get(i).contains("pipe:")) inheritFd(opts, descriptors.get(i), i);
          }
          List<Fd> extra = new ArrayList<>();
          try {
            String netns = namespacePath(spec, "network");
            if (netns != null && (emptyNs & CLONE_NEWNET) == 0) {
              extra.add(Linux.open(netns, LinuxConstants.O_RDONLY | LinuxConstants.O_CLOEXEC, 0));
              inheritFd(opts, "extRootNetNS", 4 + extra.size() - 1);
            }
            int[] extraFds = new int[extra.size()];
            for (int i = 0; i < extraFds.length; i++) extraFds[i] = extra.get(i).fd();
            String bundleText = bundleDir.toString();
            Fd console =
                o.consoleSocket() == null
                    ? null
                    : Linux.connectUnix(o.consoleSocket().toString(), LinuxConstants.SOCK_STREAM);
            try (Fd ignored = console) {
              Swrk.Response resp =
                  Swrk.call(
                      o.criu(),
                      request(Rpc.RESTORE, opts),
                      extraFds,
                      criuPid -> {
                        // CRIU forks the restored tree: from inside the cgroups, so it is born
                        // there.
                        if (!cg.paths().isEmpty()) {
                          try {
                            cg.addProcess(criuPid);
                          } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                          }
                        }
                      },
                      (script, notifyPid, fds) -> {
                        switch (script) {
                          case "setup-namespaces" -> {
                            byte[] st =
                                SpecWriter.writeState(
                                    new State(
                                        ContainerRuntime.OCI_VERSION,
                                        id,
                                        "creating",
                                        notifyPid,
                                        bundleText,
                                        spec.annotations()));
                            HookRunner.run("prestart", spec.hooks().prestart(), st);
                            HookRunner.run("createRuntime", spec.hooks().createRuntime(), st);
                          }
                          case "orphan-pts-master" -> {
                            if (fds.length == 0)
                              throw new IOException("no pty master came with orphan-pts-master");
                            Fd master = Linux.dup(fds[0]);
                            if (o.pty() != null) {
                              o.pty().master(master, spec.process().consoleSize());
                            } else {
                              try (master) {
                                if (console == null)
                                  throw new IOException(
                                      "container has a terminal but no console socket is set");
                                Linux.sendmsg(
                                    console,
                                    ByteBuffer.wrap(
                                        "orphan-pts-master".getBytes(StandardCharsets.UTF_8)),
                                    new int[] {master.fd()});
                              }
                            }
                          }
                          default -> {
                            // post-restore and others: the response carries the pid; nothing to do
                            // before it
                          }
                        }
                      });
              if (!resp.success())
                throw ContainerException.invalid(CriuLog.failure(resp, Rpc.RESTORE, log));
              pid = resp.restoredPid();
            }
          } finally {
            for (Fd f : extra) f.close();
          }
        } finally {
          // The restored mount namespace holds its own copy: the bind in ours is no longer needed.
          try {
            Linux.umount2(root.toString(), LinuxConstants.MNT_DETACH);
          } catch (ErrnoException e) {
            // not mounted: failed before
          }
        }
        int restored = pid;
        rb.push(() -> killAndReap(restored));
        if (resources != null && !cg.paths().isEmpty()) cg.limitPids(resources.pids());
        ProcStat st = ProcStat.of(pid);
        List<String> namespaces = new ArrayList<>();
        if (spec.linux() != null)
          for (Namespace n : spec.linux().namespaces()) namespaces.add(n.type());
        List<String> laterHooks = new ArrayList<>();
        if (!spec.hooks().poststart().isEmpty()) laterHooks.add("poststart");
        if (!spec.hooks().poststop().isEmpty()) laterHooks.add("poststop");
        record =
            new ContainerRecord(
                id,
                pid,
                st == null ? 0 : st.startTime(),
                bundleDir.toString(),
                rootfs.toString(),
                created,
                "",
                spec.annotations(),
                cg.paths(),
                claim.owner(),
                namespaces,
                laterHooks,
                false);
        dir.write(record);
        Linux.rmdir(root.toString());
        if (o.pidFile() != null) writePidFile(o.pidFile(), pid);
        rb.commit();
      }
    } catch (ContainerException e) {
      throw e;
    } catch (CgroupClaim.InUse e) {
      throw new ContainerException(ErrorCategory.FAILED_PRECONDITION, e.getMessage(), e);
    } catch (IOException | java.io.UncheckedIOException e) {
      throw new ContainerException(
          ErrorCategory.INTERNAL, "restore container " + id + ": " + e.getMessage(), e);
    } finally {
      if (claim != null) claim.close();
    }
    if (o.detach()) return new RestoreResult(pid, -1);
    if (!o.noSubreaper()) {
      try {
        Linux.setChildSubreaper();
      } catch (ErrnoException e) {
        // only orphans of the container go unreaped
      }
    }
    if (onStarted != null) onStarted.accept(pid);
    int code;
    try {
      code = Creation.waitForExit(pid);
    } catch (ErrnoException e) {
      throw new ContainerException(
          ErrorCategory.INTERNAL, "wait for container " + id + ": " + e.getMessage(), e);
    }
    rt.delete(id, true);
    return new RestoreResult(pid, code);
  }

  /** The container's cgroups, made and claimed as create makes them (limits but pids first). */
  private static CgroupClaim cgroups(Spec spec, String id, String mountinfo, String owner)
      throws IOException {
    String cgroupsPath = spec.linux() == null ? null : spec.linux().cgroupsPath();
    Resources resources = spec.linux() == null ? null : spec.linux().resources();
    CgroupClaim claim = CgroupClaim.create(Cgroups.forContainer(cgroupsPath, id, mountinfo), owner);
    try {
      if (resources != null) {
        claim
            .manager()
            .apply(
                new Resources(
                    resources.devices(),
                    resources.memory(),
                    resources.cpu(),
                    null,
                    resources.blockIO(),
                    resources.hugepageLimits(),
                    resources.network(),
                    resources.unified(),
                    resources.rdma()));
      }
      return claim;
    } catch (IOException | RuntimeException e) {
      try {
        claim.undo();
      } catch (IOException ignored) {
        // the first error is the one to report
      }
      claim.close();
      throw e;
    }
  }

  /**
   * CRIU's cgroup_root entries: each of the container's cgroups relative to the root of its
   * hierarchy (controller name; "" for cgroup2), so the restored tasks land in the new container's
   * cgroups, not the old one's.
   */
  static Map<String, String> cgroupRoots(Map<String, String> paths, String mountinfo) {
    List<String> mountpoints = new ArrayList<>();
    for (String line : mountinfo.split("\n")) {
      int dash = line.indexOf(" - ");
      if (dash < 0) continue;
      String[] after = line.substring(dash + 3).split(" ");
      if (!after[0].equals("cgroup") && !after[0].equals("cgroup2")) continue;
      mountpoints.add(line.split(" ")[4]);
    }
    Map<String, String> out = new java.util.TreeMap<>();
    for (Map.Entry<String, String> e : paths.entrySet()) {
      String best = "";
      for (String mp : mountpoints) {
        if ((e.getValue().equals(mp) || e.getValue().startsWith(mp + "/"))
            && mp.length() > best.length()) best = mp;
      }
      if (best.isEmpty()) continue;
      String rel = e.getValue().substring(best.length());
      out.put(e.getKey(), rel.isEmpty() ? "/" : rel);
    }
    return out;
  }

  // ------------------------------------------------------------------------------------------------- shared

  /**
   * The clone flags of {@code --empty-ns}: runc accepts "network" alone (and always adds it).
   * Anything else is refused as runc refuses it.
   */
  static int emptyNamespaces(List<String> names) throws ContainerException {
    int mask = CLONE_NEWNET;
    for (String n : names) {
      if (!n.equals("network"))
        throw ContainerException.invalid("namespace \"" + n + "\" is not supported");
    }
    return mask;
  }

  /**
   * The CRIU config file: the config's org.criu.config annotation ("" for none), else runc's
   * default file.
   */
  private static void configFile(ProtoWriter opts, Spec spec) {
    String file = spec.annotations().get(CRIU_CONFIG_ANNOTATION);
    if (file == null) file = DEFAULT_CRIU_CONFIG;
    if (!file.isEmpty()) opts.string(Rpc.CONFIG_FILE, file);
  }

  private static boolean isBind(Mount m) {
    return "bind".equals(m.type()) || m.options().contains("bind") || m.options().contains("rbind");
  }

  private static String namespacePath(Spec spec, String type) {
    if (spec.linux() == null) return null;
    for (Namespace n : spec.linux().namespaces()) {
      if (n.type().equals(type) && n.path() != null && !n.path().isEmpty()) return n.path();
    }
    return null;
  }

  private static void extMount(ProtoWriter opts, String key, String value) {
    opts.message(Rpc.EXT_MNT, new ProtoWriter().string(Rpc.KEY, key).string(Rpc.VAL, value));
  }

  private static void inheritFd(ProtoWriter opts, String key, int fd) {
    opts.message(Rpc.INHERIT_FD, new ProtoWriter().string(Rpc.KEY, key).int32(Rpc.VAL, fd));
  }

  static byte[] request(int type, ProtoWriter opts) {
    return new ProtoWriter().int32(Rpc.REQ_TYPE, type).message(Rpc.REQ_OPTS, opts).toByteArray();
  }

  private static Spec savedSpec(ContainerDir dir) throws ContainerException {
    try {
      return SpecReader.read(dir.config());
    } catch (SpecException | IOException e) {
      throw new ContainerException(
          ErrorCategory.INTERNAL, "read saved config " + dir.config() + ": " + e.getMessage(), e);
    }
  }

  /** Makes {@code dir} and missing parents (0700); true if {@code dir} itself was made here. */
  private static boolean mkdirs(Path dir, String flag) throws ContainerException {
    if (Files.isDirectory(dir)) return false;
    try {
      Path parent = dir.getParent();
      if (parent != null) Files.createDirectories(parent);
      Linux.mkdir(dir.toString(), 0700);
      return true;
    } catch (ErrnoException e) {
      if (e.errno() == LinuxConstants.EEXIST && Files.isDirectory(dir)) return false;
      throw ContainerException.invalid(
          flag + ": mkdir " + dir + ": " + ErrnoException.text(e.errno()));
    } catch (IOException e) {
      throw ContainerException.invalid(flag + ": mkdir " + dir + ": " + e.getMessage());
    }
  }

  private static Fd openDir(Path dir) throws ErrnoException {
    return Linux.open(
        dir.toString(),
        LinuxConstants.O_RDONLY | LinuxConstants.O_DIRECTORY | LinuxConstants.O_CLOEXEC,
        0);
  }

  private static void removeTree(Path dir) {
    try (var s = Files.walk(dir)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    } catch (IOException e) {
      // best effort: the error that brought us here is the one to report
    }
  }

  private static void writePidFile(Path pidFile, int pid) throws IOException {
    Path abs = pidFile.toAbsolutePath();
    Path tmp = abs.resolveSibling("." + abs.getFileName() + ".tmp");
    Files.writeString(tmp, Integer.toString(pid));
    Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  private static void killAndReap(int pid) {
    try {
      Linux.kill(pid, LinuxConstants.SIGKILL);
      Linux.wait4(pid, 0);
    } catch (ErrnoException e) {
      // gone already
    }
  }
}
