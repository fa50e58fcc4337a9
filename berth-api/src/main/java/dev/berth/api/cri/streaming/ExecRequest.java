package dev.berth.api.cri.streaming;

import java.util.List;

/**
 * What a CRI {@code Exec} call asks to stream: a command in a running container, and which of its
 * stdio the client takes. With a terminal, stderr is the terminal too (as kubelet: no stderr
 * stream).
 */
public record ExecRequest(
    String containerId,
    List<String> command,
    boolean tty,
    boolean stdin,
    boolean stdout,
    boolean stderr) {
  public ExecRequest {
    if (containerId == null || containerId.isEmpty()) {
      throw new IllegalArgumentException("containerId: required");
    }
    command = command == null ? List.of() : List.copyOf(command);
    if (command.isEmpty()) throw new IllegalArgumentException("command: required");
    if (tty) stderr = false;
  }
}
