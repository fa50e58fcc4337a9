package dev.berth.runtime.state;

import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One container's directory under the runtime root ({@code <root>/<id>}): {@code state.json}, the
 * {@code exec.fifo} that holds a created container before {@code start}, and a copy of the bundle's
 * config. Every verb that changes a container holds the directory's flock, so concurrent commands
 * on one container are serialised.
 */
public final class ContainerDir {
  public static final String STATE = "state.json";
  public static final String FIFO = "exec.fifo";
  public static final String CONFIG = "config.json";

  private final Path dir;

  public ContainerDir(Path dir) {
    this.dir = dir;
  }

  public Path path() {
    return dir;
  }

  public Path stateFile() {
    return dir.resolve(STATE);
  }

  public Path fifo() {
    return dir.resolve(FIFO);
  }

  public Path config() {
    return dir.resolve(CONFIG);
  }

  /**
   * Whether the container's state file is there: false when it or its directory is missing; a root
   * or directory out of reach (EACCES) is an error naming the path, not a container that does not
   * exist.
   */
  public boolean exists() throws ErrnoException {
    try {
      return Linux.stat(stateFile().toString()).isRegularFile();
    } catch (ErrnoException e) {
      if (e.errno() == LinuxConstants.ENOENT || e.errno() == LinuxConstants.ENOTDIR) return false;
      throw e;
    }
  }

  /**
   * Creates the directory (rwx--x--x, as runc's), and the root above it if missing (see {@link
   * StateRoot}); false when it already exists (a duplicate id).
   */
  public boolean create() throws IOException {
    // mkdir(2) first, the root only when something on the way is missing or wrong: the common case
    // is one syscall.
    try {
      Linux.mkdir(dir.toString(), 0711);
      return true;
    } catch (ErrnoException e) {
      if (e.errno() == LinuxConstants.EEXIST) return false;
      int errno = e.errno();
      if (errno != LinuxConstants.ENOENT
          && errno != LinuxConstants.ENOTDIR
          && errno != LinuxConstants.ELOOP) throw e;
    }
    StateRoot.ensure(dir.getParent().toString());
    try {
      Linux.mkdir(dir.toString(), 0711);
      return true;
    } catch (ErrnoException e) {
      if (e.errno() == LinuxConstants.EEXIST) return false;
      throw e;
    }
  }

  /** Takes the exclusive lock of this container; close the returned fd to release it. */
  public Fd lock() throws ErrnoException {
    Fd fd =
        Linux.open(
            dir.toString(),
            LinuxConstants.O_RDONLY | LinuxConstants.O_DIRECTORY | LinuxConstants.O_CLOEXEC,
            0);
    try {
      Linux.flock(fd, LinuxConstants.LOCK_EX);
    } catch (ErrnoException e) {
      fd.close();
      throw e;
    }
    return fd;
  }

  public ContainerRecord read() throws IOException {
    return StateFile.read(stateFile());
  }

  public void write(ContainerRecord r) throws IOException {
    StateFile.write(stateFile(), r);
  }

  /** Removes the directory and everything in it; missing is fine. */
  public void remove() throws IOException {
    // The files this class makes by name first; a listing only if something else was left in the
    // directory.
    for (String name : new String[] {STATE, FIFO, CONFIG, STATE + ".tmp"}) {
      try {
        Linux.unlink(dir + "/" + name);
      } catch (ErrnoException e) {
        if (e.errno() != LinuxConstants.ENOENT) throw e;
      }
    }
    try {
      Linux.rmdir(dir.toString());
      return;
    } catch (ErrnoException e) {
      if (e.errno() == LinuxConstants.ENOENT) return;
      if (e.errno() != LinuxConstants.ENOTEMPTY) throw e;
    }
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
      for (Path p : s) Files.deleteIfExists(p);
    }
    Files.deleteIfExists(dir);
  }

  /**
   * Takes the container's lock; a container deleted meanwhile (its directory gone) is "does not
   * exist", not an internal error, since concurrent commands on one container are expected.
   */
  public Fd lockExisting(String id) throws dev.berth.runtime.ContainerException {
    try {
      return lock();
    } catch (ErrnoException e) {
      if (e.errno() == LinuxConstants.ENOENT)
        throw dev.berth.runtime.ContainerException.notFound(id);
      throw dev.berth.runtime.ContainerException.internal(
          "lock container " + id + ": " + e.getMessage(), e);
    }
  }

  /** Reads the container's state; gone meanwhile is "does not exist". */
  public ContainerRecord readExisting(String id) throws dev.berth.runtime.ContainerException {
    try {
      return read();
    } catch (java.nio.file.NoSuchFileException e) {
      throw dev.berth.runtime.ContainerException.notFound(id);
    } catch (IOException e) {
      throw dev.berth.runtime.ContainerException.internal(
          "read state of " + id + ": " + e.getMessage(), e);
    }
  }
}
