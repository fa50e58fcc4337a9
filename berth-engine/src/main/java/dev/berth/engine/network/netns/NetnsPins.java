package dev.berth.engine.network.netns;

import static dev.berth.sys.LinuxConstants.CLONE_NEWNET;
import static dev.berth.sys.LinuxConstants.EEXIST;
import static dev.berth.sys.LinuxConstants.EINVAL;
import static dev.berth.sys.LinuxConstants.ENOENT;
import static dev.berth.sys.LinuxConstants.MNT_DETACH;
import static dev.berth.sys.LinuxConstants.MS_BIND;
import static dev.berth.sys.LinuxConstants.MS_REC;
import static dev.berth.sys.LinuxConstants.MS_SHARED;
import static dev.berth.sys.LinuxConstants.O_CREAT;
import static dev.berth.sys.LinuxConstants.O_DIRECTORY;
import static dev.berth.sys.LinuxConstants.O_EXCL;
import static dev.berth.sys.LinuxConstants.O_RDONLY;
import static dev.berth.sys.LinuxConstants.O_WRONLY;

import dev.berth.engine.store.StoreErrors;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.MountException;
import dev.berth.sys.NamespaceThread;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Network namespaces (and a pod's ipc and uts ones, {@link #create(String, String, Inside)}) pinned
 * by a bind mount of their nsfs file onto {@code <dir>/<id>} (as {@code ip netns add} does), so a
 * namespace outlives the processes in it: containers join it by path (the OCI spec's network
 * namespace {@code path}), and monitors, exec and CRI pods can join it later. The directory is a
 * shared mount of itself, so a pin's removal reaches the copies other mount namespaces made of it
 * (otherwise a service's private mount table would keep the namespace alive).
 *
 * <p>A namespace is made by a short-lived platform thread of this JVM: unshare(CLONE_NEWNET)
 * affects only the calling thread (a network namespace is per task, and unlike a user namespace it
 * may be entered by a multi-threaded process), and the thread bind-mounts {@code
 * /proc/thread-self/ns/net} before it ends. No process is spawned: 2-3 ms a pin here against 17 ms
 * for {@code unshare --net=<pin> true} (NetnsPinsTest prints its mean). A fresh thread rather than
 * the caller's: the caller could not return to its namespace if setns back failed, and a thread
 * that ends leaves nothing.
 */
public final class NetnsPins {
  /** statfs f_type of nsfs: what a mounted pin reports. */
  static final long NSFS_MAGIC = 0x6e736673L;

  /** A pin: the container (or pod) id, its path, and whether a namespace is mounted on it. */
  public record Pin(String id, Path path, boolean mounted) {}

  private final Path dir;

  private NetnsPins(Path dir) {
    this.dir = dir;
  }

  /**
   * The pins under {@code dir} (e.g. {@code <runRoot>/netns}), made and made a shared mount when
   * needed.
   */
  public static NetnsPins open(Path dir) throws BerthException {
    Path d = dir.toAbsolutePath();
    try {
      mkdirs(d);
      makeShared(d);
    } catch (IOException e) {
      throw StoreErrors.io("open network namespace pins in " + d, e);
    }
    return new NetnsPins(d);
  }

  public Path dir() {
    return dir;
  }

  /** Where {@code id}'s pin is (whether or not it exists). */
  public Path path(String id) throws BerthException {
    checkId(id);
    return dir.resolve(id);
  }

  /**
   * A new network namespace pinned as {@code id}, its loopback up (as docker's and podman's
   * containers have it); ALREADY_EXISTS when the pin exists. Bad input leaves nothing.
   */
  public Path create(String id) throws BerthException {
    return create(id, "net", null);
  }

  /** Work done inside a namespace by the thread that made or joined it. */
  public interface Inside {
    void run() throws Exception;
  }

  /**
   * A new namespace of {@code type} ("net", "ipc" or "uts": those a thread of a multi-threaded
   * process may unshare alone) pinned as {@code id}, with {@code inside} (may be null) run in it
   * before it is pinned: a pod's hostname and sysctls (procfs writes act on the writer's
   * namespaces). A network namespace gets its loopback up first. ALREADY_EXISTS when the pin
   * exists; a failure leaves nothing.
   */
  public Path create(String id, String type, Inside inside) throws BerthException {
    return pin(id, type, null, inside);
  }

  /**
   * The namespace of {@code type} that {@code from} names (a {@code /proc/PID/ns/X} file of a
   * process that made it: a pod's user namespace holder) pinned as {@code id}, with {@code inside}
   * run in it first as {@link #create(String, String, Inside)} does. A user namespace cannot be
   * entered by a thread of this process: it is pinned as it is, and takes no {@code inside}.
   */
  public Path adopt(String id, String type, Path from, Inside inside) throws BerthException {
    if (type.equals("user") && inside != null)
      throw new IllegalArgumentException("a user namespace takes no work inside it");
    return pin(id, type, from, inside);
  }

  private Path pin(String id, String type, Path from, Inside inside) throws BerthException {
    long flag =
        switch (type) {
          case "net" -> CLONE_NEWNET;
          case "ipc" -> dev.berth.sys.LinuxConstants.CLONE_NEWIPC;
          case "uts" -> dev.berth.sys.LinuxConstants.CLONE_NEWUTS;
          case "user" -> {
            if (from == null) throw new IllegalArgumentException("a user namespace to pin");
            yield dev.berth.sys.LinuxConstants.CLONE_NEWUSER;
          }
          default -> throw new IllegalArgumentException("namespace type " + type);
        };
    Path pin = path(id);
    try (Fd f = Linux.open(pin.toString(), O_WRONLY | O_CREAT | O_EXCL, 0)) {
      // an empty file to mount onto, mode 0 as ip netns makes it
    } catch (ErrnoException e) {
      if (e.errno() == EEXIST) {
        throw new BerthException(
            ErrorCategory.ALREADY_EXISTS, "network namespace " + id + " exists: " + pin);
      }
      throw StoreErrors.io("create network namespace pin " + pin, e);
    }
    Throwable failed;
    if (type.equals("user")) {
      try {
        Linux.mount(from.toString(), pin.toString(), "none", MS_BIND, null);
        failed = null;
      } catch (IOException e) {
        failed = e;
      }
    } else {
      failed =
          NamespaceThread.run(
                  "berth-" + type + "ns-" + id,
                  () -> {
                    if (from == null) {
                      Linux.unshare(flag);
                    } else {
                      try (Fd ns = Linux.open(from.toString(), O_RDONLY, 0)) {
                        Linux.setns(ns, flag);
                      }
                    }
                    if (flag == CLONE_NEWNET) Loopback.up();
                    if (inside != null) inside.run();
                    Linux.mount(
                        "/proc/thread-self/ns/" + type, pin.toString(), "none", MS_BIND, null);
                    return null;
                  })
              .failure();
    }
    if (failed != null) {
      unlinkQuietly(pin);
      if (failed instanceof BerthException e) throw e;
      if (failed instanceof IOException e)
        throw StoreErrors.io("create " + type + " namespace " + id, e);
      throw new BerthException(
          ErrorCategory.INTERNAL, "create " + type + " namespace " + id + ": " + failed, failed);
    }
    return pin;
  }

  /**
   * Runs {@code work} in the namespace of {@code type} at {@code ns} (a pin), from a short-lived
   * thread that joins it.
   */
  public static void inside(Path ns, String type, Inside work) throws BerthException {
    long flag =
        switch (type) {
          case "net" -> CLONE_NEWNET;
          case "ipc" -> dev.berth.sys.LinuxConstants.CLONE_NEWIPC;
          case "uts" -> dev.berth.sys.LinuxConstants.CLONE_NEWUTS;
          default -> throw new IllegalArgumentException("namespace type " + type);
        };
    Throwable failed =
        NamespaceThread.run(
                "berth-in-" + type,
                () -> {
                  try (Fd fd = Linux.open(ns.toString(), O_RDONLY, 0)) {
                    Linux.setns(fd, flag);
                    work.run();
                  }
                  return null;
                })
            .failure();
    if (failed instanceof BerthException e) throw e;
    if (failed != null) {
      throw new BerthException(
          ErrorCategory.INTERNAL, "in " + type + " namespace " + ns + ": " + failed, failed);
    }
  }

  /** Opens the pinned namespace (for setns); NOT_FOUND when there is no mounted pin. */
  public Fd openNamespace(String id) throws BerthException {
    Path pin = path(id);
    if (!isMounted(pin))
      throw new BerthException(
          ErrorCategory.NOT_FOUND, "no network namespace " + id + " at " + pin);
    try {
      return Linux.open(pin.toString(), O_RDONLY, 0);
    } catch (ErrnoException e) {
      throw StoreErrors.io("open network namespace " + pin, e);
    }
  }

  /** Whether {@code id} has a mounted pin. */
  public boolean exists(String id) throws BerthException {
    return isMounted(path(id));
  }

  /**
   * Unpins {@code id}: unmount (lazily: a process that has it open keeps the namespace until it
   * closes it) and unlink. A missing or unmounted pin is no error, so a repeated or crashed remove
   * completes.
   */
  public void remove(String id) throws BerthException {
    Path pin = path(id);
    try {
      try {
        Linux.umount2(pin.toString(), MNT_DETACH);
      } catch (ErrnoException e) {
        if (e.errno() != EINVAL && e.errno() != ENOENT) throw e; // EINVAL: not a mount point
      }
      unlinkMissingOk(pin);
    } catch (IOException e) {
      throw StoreErrors.io("remove network namespace pin " + pin, e);
    }
  }

  /**
   * Every pin, sorted by id, mounted or left behind by a crash between creating the file and
   * mounting it.
   */
  public List<Pin> list() throws BerthException {
    List<Pin> pins = new ArrayList<>();
    try (Fd d = Linux.open(dir.toString(), O_RDONLY | O_DIRECTORY, 0)) {
      List<String> names = Linux.readdir(d);
      names.sort(null);
      for (String n : names) {
        if (!validId(n)) continue;
        Path p = dir.resolve(n);
        pins.add(new Pin(n, p, isMounted(p)));
      }
    } catch (IOException e) {
      throw StoreErrors.io("list network namespace pins in " + dir, e);
    }
    return pins;
  }

  // ---- internals ----

  private static boolean isMounted(Path pin) throws BerthException {
    try {
      return Linux.statfsType(pin.toString()) == NSFS_MAGIC;
    } catch (ErrnoException e) {
      if (e.errno() == ENOENT) return false;
      throw StoreErrors.io("stat network namespace pin " + pin, e);
    }
  }

  /**
   * iproute2's way: make the directory a mount (a bind of itself) if it is not one, then shared.
   */
  /**
   * Makes {@code d} a shared mount, bound onto itself first when it is no mount point. Under a lock
   * beside it: two processes opening a new run root at once would each bind it, one mount stacked
   * on the other (and a pin made in the lower one hidden and left behind).
   */
  private static void makeShared(Path d) throws IOException {
    try (dev.berth.image.dirs.LockFile held =
        dev.berth.image.dirs.LockFile.acquire(d.resolveSibling(d.getFileName() + ".lock"))) {
      try {
        Linux.mount("none", d.toString(), null, MS_SHARED | MS_REC, null);
      } catch (MountException e) {
        if (e.errno() != EINVAL) throw e;
        Linux.mount(d.toString(), d.toString(), "none", MS_BIND | MS_REC, null);
        Linux.mount("none", d.toString(), null, MS_SHARED | MS_REC, null);
      }
    }
  }

  private static void mkdirs(Path d) throws ErrnoException {
    if (Linux.exists(d.toString())) return;
    Path parent = d.getParent();
    if (parent != null) mkdirs(parent);
    try {
      Linux.mkdir(d.toString(), 0755);
    } catch (ErrnoException e) {
      if (e.errno() != EEXIST) throw e;
    }
  }

  private static void unlinkMissingOk(Path p) throws ErrnoException {
    try {
      Linux.unlink(p.toString());
    } catch (ErrnoException e) {
      if (e.errno() != ENOENT) throw e;
    }
  }

  private static void unlinkQuietly(Path p) {
    try {
      unlinkMissingOk(p);
    } catch (ErrnoException ignored) {
      // best effort: list() reports an unmounted pin, and remove() clears it
    }
  }

  static boolean validId(String id) {
    return !id.isEmpty() && id.length() <= 128 && id.matches("[A-Za-z0-9][A-Za-z0-9_.\\-]*");
  }

  private static void checkId(String id) throws BerthException {
    if (!validId(id)) {
      throw new BerthException(
          ErrorCategory.INVALID_ARGUMENT,
          "invalid network namespace id "
              + id
              + ": letters, digits, '_', '.' and '-', starting with a letter or digit");
    }
  }
}
