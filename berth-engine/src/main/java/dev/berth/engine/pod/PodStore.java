package dev.berth.engine.pod;

import dev.berth.engine.store.AtomicFiles;
import dev.berth.engine.store.ContainerNames;
import dev.berth.image.dirs.LockFile;
import dev.berth.image.dirs.PrivateDirs;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.json.SpecException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * The pods of one engine root: {@code pods/<id>/pod.json}, replaced atomically (a crash leaves the
 * old or the new record, never a torn one), with the pod's host files beside it. Writers run one at
 * a time under {@code pods.lock}, which also makes a pod's CRI name unique; readers take no lock.
 * Lifecycle operations of one pod take {@link #lock(String)}.
 */
final class PodStore {
  static final String RECORD = "pod.json";

  private final Path dir;
  private final Path storeLock;

  private PodStore(Path root) {
    this.dir = root.resolve("pods");
    this.storeLock = root.resolve("pods.lock");
  }

  static PodStore open(Path root) throws BerthException {
    PodStore s = new PodStore(root);
    try {
      PrivateDirs.ensure(s.dir);
    } catch (IOException e) {
      throw new BerthException(
          ErrorCategory.INTERNAL, "open the pod store " + s.dir + ": " + e.getMessage(), e);
    }
    return s;
  }

  Path podDir(String id) {
    return dir.resolve(id);
  }

  String newId() throws BerthException {
    try {
      while (true) {
        String id = ContainerNames.randomId();
        if (!Files.exists(dir.resolve(id))) return id;
      }
    } catch (IOException e) {
      throw io("make a pod id", e);
    }
  }

  /** Stores a new pod; ALREADY_EXISTS when a pod of the same CRI name exists. */
  PodRecord create(PodRecord p) throws BerthException {
    try (LockFile l = LockFile.acquire(storeLock)) {
      for (PodRecord other : list()) {
        if (other.config().fullName().equals(p.config().fullName())) {
          throw new BerthException(
              ErrorCategory.ALREADY_EXISTS,
              "pod name " + p.config().fullName() + " is reserved for pod " + other.id());
        }
      }
      Files.createDirectories(podDir(p.id()));
      AtomicFiles.replace(podDir(p.id()).resolve(RECORD), PodJson.write(p));
      return p;
    } catch (IOException e) {
      throw io("create pod " + p.id(), e);
    }
  }

  PodRecord update(String id, UnaryOperator<PodRecord> change) throws BerthException {
    try (LockFile l = LockFile.acquire(storeLock)) {
      PodRecord next = change.apply(get(id));
      AtomicFiles.replace(podDir(id).resolve(RECORD), PodJson.write(next));
      return next;
    } catch (IOException e) {
      throw io("update pod " + id, e);
    }
  }

  /** Removes the record and the pod's directory; a pod already gone is fine. */
  void remove(String id) throws BerthException {
    try (LockFile l = LockFile.acquire(storeLock)) {
      Path d = podDir(id);
      // The record first: a crash after it leaves only files no record names, swept below next
      // time.
      Files.deleteIfExists(d.resolve(RECORD));
      deleteTree(d);
    } catch (IOException e) {
      throw io("remove pod " + id, e);
    }
  }

  PodRecord get(String id) throws BerthException {
    Path file = podDir(id).resolve(RECORD);
    try {
      return PodJson.read(Files.readAllBytes(file), file.toString());
    } catch (NoSuchFileException e) {
      throw new BerthException(ErrorCategory.NOT_FOUND, "pod " + id + " not found");
    } catch (IOException e) {
      throw io("read pod " + id, e);
    } catch (SpecException e) {
      throw new BerthException(ErrorCategory.INTERNAL, "read pod " + id + ": " + e.getMessage(), e);
    }
  }

  /** The pod whose id is {@code ref} or starts with it (unambiguously). */
  PodRecord resolve(String ref) throws BerthException {
    if (ref == null || ref.isEmpty() || !ref.matches("[0-9a-f]{1,64}")) {
      throw new BerthException(ErrorCategory.NOT_FOUND, "pod " + ref + " not found");
    }
    if (ref.length() == 64) return get(ref);
    PodRecord found = null;
    for (PodRecord p : list()) {
      if (!p.id().startsWith(ref)) continue;
      if (found != null) {
        throw new BerthException(
            ErrorCategory.INVALID_ARGUMENT, "pod id prefix " + ref + " is ambiguous");
      }
      found = p;
    }
    if (found == null)
      throw new BerthException(ErrorCategory.NOT_FOUND, "pod " + ref + " not found");
    return found;
  }

  List<PodRecord> list() throws BerthException {
    List<PodRecord> out = new ArrayList<>();
    try (Stream<Path> s = Files.list(dir)) {
      for (Path d : s.sorted().toList()) {
        String id = d.getFileName().toString();
        if (!ContainerNames.isId(id)) continue;
        try {
          out.add(get(id));
        } catch (BerthException e) {
          if (e.category() != ErrorCategory.NOT_FOUND) throw e; // removed meanwhile, or half-made
        }
      }
    } catch (NoSuchFileException e) {
      return out;
    } catch (IOException e) {
      throw io("list pods in " + dir, e);
    }
    return out;
  }

  /** The lock of one pod's lifecycle (run, stop, remove). */
  LockFile lock(String id) throws BerthException {
    try {
      return LockFile.acquire(dir.resolve(id + ".lock"));
    } catch (IOException e) {
      throw io("lock pod " + id, e);
    }
  }

  void dropLock(String id) {
    try {
      Files.deleteIfExists(dir.resolve(id + ".lock"));
    } catch (IOException ignored) {
      // a stale lock file is harmless
    }
  }

  static void deleteTree(Path d) throws IOException {
    if (!Files.exists(d, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
    try (Stream<Path> s = Files.walk(d)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    }
  }

  private static BerthException io(String what, IOException e) {
    return new BerthException(ErrorCategory.INTERNAL, what + ": " + e.getMessage(), e);
  }
}
