package dev.berth.api.cri.streaming;

/**
 * What a CRI {@code Attach} call asks to stream: a running container's stdio (through its monitor).
 * With a terminal, stderr is the terminal too (as kubelet: no stderr stream).
 */
public record AttachRequest(
    String containerId, boolean tty, boolean stdin, boolean stdout, boolean stderr) {
  public AttachRequest {
    if (containerId == null || containerId.isEmpty()) {
      throw new IllegalArgumentException("containerId: required");
    }
    if (tty) stderr = false;
  }
}
