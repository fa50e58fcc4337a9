package dev.berth.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A user namespace with given maps, kept alive by a bind mount of its nsfs file on {@link #path()}
 * as berthd pins a pod's, its first process gone. util-linux's {@code unshare --map-users} would go
 * through newuidmap, which allows only /etc/subuid's ranges: the maps are written here, as root.
 * {@link #close()} unmounts and deletes the pin.
 */
public final class UserNamespacePin implements AutoCloseable {
  private final Path path;

  private UserNamespacePin(Path path) {
    this.path = path;
  }

  /** A pin at {@code file} (made here) of a user namespace with these maps ("inside outside n"). */
  public static UserNamespacePin create(Path file, String uidMap, String gidMap)
      throws IOException, InterruptedException {
    Process holder = new ProcessBuilder("unshare", "--user", "sleep", "600").start();
    try {
      Path ns = Path.of("/proc/" + holder.pid() + "/ns/user");
      Path own = Files.readSymbolicLink(Path.of("/proc/self/ns/user"));
      for (int i = 0; Files.readSymbolicLink(ns).equals(own); i++) {
        if (i > 500) throw new IOException("unshare --user did not unshare");
        Thread.sleep(10);
      }
      Files.writeString(Path.of("/proc/" + holder.pid() + "/uid_map"), uidMap);
      Files.writeString(Path.of("/proc/" + holder.pid() + "/gid_map"), gidMap);
      Files.createFile(file);
      Exec.run("mount", "--bind", ns.toString(), file.toString()).ok();
      return new UserNamespacePin(file);
    } finally {
      holder.destroyForcibly().waitFor();
    }
  }

  /** The pin: a user namespace file to open or name in a spec. */
  public Path path() {
    return path;
  }

  @Override
  public void close() throws IOException {
    Exec.run("umount", path.toString()).ok();
    Files.delete(path);
  }
}
