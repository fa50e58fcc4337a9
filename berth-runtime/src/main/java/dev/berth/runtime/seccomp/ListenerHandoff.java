package dev.berth.runtime.seccomp;

import dev.berth.runtime.ContainerRuntime;
import dev.berth.spec.json.JsonWriter;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Hands the notify fd of a filter with SCMP_ACT_NOTIFY rules to the seccomp agent listening at
 * {@code linux.seccomp.listenerPath}, as runc does: one connection per fd, carrying the
 * runtime-spec "containerProcessState" JSON as data and the fd as SCM_RIGHTS in the same message,
 * then closed. The agent services the process's notifications from then on; the runtime keeps no
 * copy of the fd.
 */
public final class ListenerHandoff {
  /** The name runtime-spec gives the notify fd in {@code fds}. */
  public static final String SECCOMP_FD_NAME = "seccompFd";

  private ListenerHandoff() {}

  /**
   * The containerProcessState document: {@code pid} is the process that loaded the filter (the
   * container's init at create, the new process at exec), {@code state} the container's state JSON
   * as {@code state} prints it, {@code metadata} the spec's listenerMetadata (left out when empty,
   * as runc does).
   */
  public static byte[] processState(int pid, String metadata, byte[] state) {
    JsonWriter g = new JsonWriter(JsonWriter.COMPACT);
    g.beginObject().field("ociVersion", ContainerRuntime.OCI_VERSION);
    g.name("fds").beginArray().value(SECCOMP_FD_NAME).endArray();
    g.field("pid", pid);
    if (metadata != null && !metadata.isEmpty()) g.field("metadata", metadata);
    g.name("state").rawValue(state);
    return g.endObject().toByteArray();
  }

  /**
   * Connects to {@code listenerPath} and sends {@code processState} with {@code notifyFd}; closes
   * {@code notifyFd} whatever happens. Errors name linux.seccomp.listenerPath.
   */
  public static void send(String listenerPath, byte[] processState, Fd notifyFd)
      throws IOException {
    Fd sock;
    try {
      sock = Linux.connectUnix(listenerPath, LinuxConstants.SOCK_STREAM);
    } catch (ErrnoException e) {
      notifyFd.close();
      // runc's words, which callers grep for, with the field.
      throw new IOException(
          "linux.seccomp.listenerPath: failed to connect with seccomp agent specified in the"
              + " seccomp profile: "
              + e.getMessage(),
          e);
    }
    try (notifyFd;
        sock) {
      ByteBuffer data = ByteBuffer.allocateDirect(processState.length).put(processState).flip();
      // The fd rides on the first bytes; a stream socket may take the rest of a long document in
      // more writes.
      Linux.sendmsg(sock, data, new int[] {notifyFd.fd()});
      while (data.hasRemaining()) Linux.write(sock, data);
    } catch (ErrnoException e) {
      throw new IOException(
          "linux.seccomp.listenerPath: hand the seccomp notify fd to the listener: "
              + e.getMessage(),
          e);
    }
  }
}
