package dev.berth.runtime.driver;

import dev.berth.runtime.state.Status;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

/**
 * What {@link RuntimeDriver#state} reports: the runtime-spec state with runc's extras, read from
 * the kernel at the time of the call (a container whose init has exited is {@link Status#STOPPED}).
 *
 * @param pid the init's pid in the host's pid namespace; 0 once stopped
 * @param created when the container was created
 * @param annotations the config's annotations
 */
public record ContainerStatus(
    String id,
    int pid,
    Status status,
    Path bundle,
    Instant created,
    Map<String, String> annotations) {
  public ContainerStatus {
    annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
  }
}
