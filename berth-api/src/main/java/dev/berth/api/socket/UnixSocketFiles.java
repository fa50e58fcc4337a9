package dev.berth.api.socket;

import java.io.IOException;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The socket files berthd's front doors listen on: claimed before bind, bound where nobody else can
 * reach them ({@link Staged}), given their owner and mode there, and only then moved into place.
 */
public final class UnixSocketFiles {
  private UnixSocketFiles() {}

  /**
   * Makes the socket's place ours: its directory made, a stale file left by a daemon that died
   * removed; refused when a server answers on it (another berthd) or when it is not a socket.
   */
  public static void claim(Path socket) throws IOException {
    Files.createDirectories(socket.toAbsolutePath().getParent());
    if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) return;
    var attrs = Files.readAttributes(socket, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    if (!attrs.isOther()) {
      throw new IOException(socket + " exists and is not a socket");
    }
    try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      c.connect(UnixDomainSocketAddress.of(socket));
      throw new IOException("another daemon serves " + socket + " (it accepted a connection)");
    } catch (SocketException e) {
      Files.delete(socket); // nobody listens: a stale socket of a daemon that died
    }
  }

  /**
   * Where to bind {@code socket} first: a new 0700 directory beside it (same file system, so the
   * move into place is a rename). bind(2) makes the file with the process's umask, which may leave
   * it open to every user; in there nobody but root reaches it until {@link Staged#publish} has set
   * its owner and mode.
   */
  public static Staged stage(Path socket) throws IOException {
    Path target = socket.toAbsolutePath();
    Path dir =
        Files.createTempDirectory(
            target.getParent(),
            ".berth-",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    return new Staged(target, dir);
  }

  /** A socket bound in a private directory, not yet where clients look for it. */
  public static final class Staged {
    private final Path target;
    private final Path dir;

    private Staged(Path target, Path dir) {
      this.target = target;
      this.dir = dir;
    }

    /** The path to bind. */
    public Path path() {
      return dir.resolve("s");
    }

    /**
     * Gives the bound socket its group and mode ({@link #permit}) and renames it to its place, then
     * removes the private directory.
     */
    public void publish(String group, boolean groupReadable) throws IOException {
      permit(path(), group, groupReadable);
      Files.move(path(), target, StandardCopyOption.ATOMIC_MOVE);
      Files.delete(dir);
    }

    /** Removes what is left of a staging that did not get published (a failed start). */
    public void discard() {
      try {
        Files.deleteIfExists(path());
        Files.deleteIfExists(dir);
      } catch (IOException e) {
        // the start's own error is the one to report
      }
    }
  }

  /**
   * Who may connect: with a {@code group}, that group and root (0660); without, root only (0600),
   * or root's group too when {@code groupReadable} (0660 as containerd's CRI socket).
   */
  public static void permit(Path socket, String group, boolean groupReadable) throws IOException {
    if (group != null && !group.isEmpty()) {
      Files.setAttribute(socket, "posix:group", group(socket, group), LinkOption.NOFOLLOW_LINKS);
      groupReadable = true;
    }
    Files.setPosixFilePermissions(
        socket, PosixFilePermissions.fromString(groupReadable ? "rw-rw----" : "rw-------"));
  }

  /**
   * Lets {@code group} (null: nobody) traverse private directory {@code dir} to the sockets in it,
   * and nobody else: root:group 0710 with a group, 0700 without (what an earlier berthd with
   * another --group opened is closed again). No listing, nothing for other users; what the
   * directory holds keeps its own modes.
   */
  public static void traversableBy(Path dir, String group) throws IOException {
    PosixFileAttributeView view =
        Files.getFileAttributeView(dir, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
    if (group == null || group.isEmpty()) {
      view.setPermissions(PosixFilePermissions.fromString("rwx------"));
      return;
    }
    // Mode first: the group changes while the directory is still closed to it.
    view.setPermissions(PosixFilePermissions.fromString("rwx------"));
    view.setGroup(group(dir, group));
    view.setPermissions(PosixFilePermissions.fromString("rwx--x---"));
  }

  private static GroupPrincipal group(Path p, String group) throws IOException {
    return p.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(group);
  }
}
