package dev.berth.engine.config;

import java.nio.file.Path;
import java.util.List;

/**
 * One runtime handler of the configuration file: a name the CRI's {@code runtime_handler} and
 * {@code berth run --runtime} choose, and what runs its containers.
 *
 * @param name the handler's name (runc's container id rule)
 * @param runtime {@link #IN_PROCESS} for berth's own runtime in this process, else an OCI runtime
 *     binary with runc's command line: a path, or a name found in PATH
 * @param root its state directory ({@code --root} of a binary); null: {@code
 *     <runroot>/runtimes/<name>}
 * @param options global flags put before every verb of a binary ({@code --systemd-cgroup}, crun's
 *     {@code --cgroup-manager=cgroupfs}); none for the in-process runtime
 */
public record RuntimeHandlerConfig(String name, String runtime, Path root, List<String> options) {
  /** The {@code runtime} value of berth's in-process runtime. */
  public static final String IN_PROCESS = "berth";

  public RuntimeHandlerConfig {
    options = options == null ? List.of() : List.copyOf(options);
  }

  public boolean inProcess() {
    return IN_PROCESS.equals(runtime);
  }
}
