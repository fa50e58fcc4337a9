package dev.berth.spec.runtime;

import java.util.Map;

/**
 * The runtime-spec state of a container: what hooks read on stdin. pid is 0 when there is no
 * process.
 */
public record State(
    String ociVersion,
    String id,
    String status,
    int pid,
    String bundle,
    Map<String, String> annotations) {
  public State {
    ociVersion = ociVersion == null ? "" : ociVersion;
    id = id == null ? "" : id;
    status = status == null ? "" : status;
    bundle = bundle == null ? "" : bundle;
    annotations = Copies.map(annotations);
  }
}
