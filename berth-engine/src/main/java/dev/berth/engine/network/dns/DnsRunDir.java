package dev.berth.engine.network.dns;

import java.nio.file.Path;

/**
 * The responder's files under the engine's run root ({@code <runRoot>/dns}):
 *
 * <pre>
 * networks/&lt;network&gt;   the records of each network that needs answers ({@link NetworkRecords})
 * upstreams/&lt;id&gt;       a container's own servers (--dns), in resolv.conf's form: its queries go
 *                      there instead of to the host's
 * responder.lock       flock held by the one live responder for its whole life
 * start.lock           flock of an engine checking, reloading or starting the responder
 * control.sock         the responder's control socket ("reload")
 * responder.pid        its pid, while it runs
 * responder.log        its stderr, when started detached
 * </pre>
 */
public record DnsRunDir(Path dir) {
  public DnsRunDir {
    dir = dir.toAbsolutePath().normalize();
  }

  public Path networks() {
    return dir.resolve("networks");
  }

  public Path records(String network) {
    return networks().resolve(network);
  }

  /** Container {@code id}'s own upstream servers, when it has some. */
  public Path upstreams(String id) {
    return dir.resolve("upstreams").resolve(id);
  }

  public Path lock() {
    return dir.resolve("responder.lock");
  }

  public Path startLock() {
    return dir.resolve("start.lock");
  }

  public Path control() {
    return dir.resolve("control.sock");
  }

  public Path pid() {
    return dir.resolve("responder.pid");
  }

  public Path log() {
    return dir.resolve("responder.log");
  }
}
