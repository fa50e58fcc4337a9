package dev.berth.runtime.state;

import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One container's directory under the runtime root ({@code <root>/<id>}): {@code state.json}, the {@code exec.fifo}
 * that holds a created container before {@code start}, and a copy of the bundle's config. Every verb that changes a
 * container holds the directory's flock, so concurrent commands on one container are serialised.
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

  public boolean exists() {
    return Files.isRegularFile(stateFile());
  }

  /** Creates the directory; false when it already exists (a duplicate id). */
  public boolean create() throws IOException {
    Files.createDirectories(dir.getParent());
    try {
      Files.createDirectory(dir, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
          java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x")));
      return true;
    } catch (FileAlreadyExistsException e) {
      return false;
    }
  }

  /** Takes the exclusive lock of this container; close the returned fd to release it. */
  public Fd lock() throws ErrnoException {
    Fd fd = Linux.open(dir.toString(), LinuxConstants.O_RDONLY | LinuxConstants.O_DIRECTORY | LinuxConstants.O_CLOEXEC, 0);
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
    if (!Files.exists(dir)) return;
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
      for (Path p : s) Files.deleteIfExists(p);
    }
    Files.deleteIfExists(dir);
  }
}
