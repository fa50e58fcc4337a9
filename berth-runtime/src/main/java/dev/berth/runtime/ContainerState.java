package dev.berth.runtime;

import dev.berth.runtime.state.Status;
import java.util.Map;

/** What {@code state} and {@code list} report about a container: runc's state output. */
public record ContainerState(
    String ociVersion,
    String id,
    int pid,
    Status status,
    String bundle,
    String rootfs,
    String created,
    String owner,
    Map<String, String> annotations) {}
