package dev.berth.api.socket;

import java.io.IOException;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFilePermissions;

/** The socket files berthd's front doors listen on: claimed before bind, permitted after. */
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
   * Who may connect: with a {@code group}, that group and root (0660); without, root only (0600),
   * or root's group too when {@code groupReadable} (0660 as containerd's CRI socket).
   */
  public static void permit(Path socket, String group, boolean groupReadable) throws IOException {
    if (group != null && !group.isEmpty()) {
      GroupPrincipal g =
          socket.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(group);
      Files.setAttribute(socket, "posix:group", g, LinkOption.NOFOLLOW_LINKS);
      groupReadable = true;
    }
    Files.setPosixFilePermissions(
        socket, PosixFilePermissions.fromString(groupReadable ? "rw-rw----" : "rw-------"));
  }
}
