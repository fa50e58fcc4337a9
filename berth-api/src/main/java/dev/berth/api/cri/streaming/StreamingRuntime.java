package dev.berth.api.cri.streaming;

import dev.berth.spec.error.BerthException;
import java.io.IOException;

/**
 * What the streaming server runs once a client's streams are there. Every call blocks until its
 * work ends; the server calls each on a thread of its own. When the client goes away the streams'
 * {@link Streams#onDisconnect} callbacks run, and an implementation must then end the work promptly
 * (kill the exec'd process, drop the attach connection): a client's disconnect releases everything.
 */
public interface StreamingRuntime {
  /** Runs {@code request}'s command with {@code streams}; returns its exit code. */
  int exec(ExecRequest request, Streams streams) throws BerthException, IOException;

  /** Attaches {@code streams} to the container until it exits or the client leaves. */
  void attach(AttachRequest request, Streams streams) throws BerthException, IOException;

  /**
   * Connects to {@code port} on the loopback of pod {@code podSandboxId}'s network namespace and
   * copies both ways with {@code stream}: the client's half-close (the end of {@code stream.in()})
   * is passed on; the server's end of its side ends the forward.
   */
  void portForward(String podSandboxId, int port, Duplex stream) throws BerthException, IOException;
}
