package dev.berth.runtime.driver;

import dev.berth.runtime.ContainerException;
import dev.berth.runtime.ContainerRuntime;
import dev.berth.runtime.seccomp.SeccompCache;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The runtime handlers: a name chosen per container ({@code berth run --runtime}, the CRI's runtime
 * handler) to its driver. "berth", the default, is the in-process runtime; "runc", "crun" and
 * "berth-runc" are those binaries from PATH; {@link #configure} adds any other binary (or another
 * path for one of those names). Every handler has a state root of its own under {@code stateBase}
 * ({@code <stateBase>/<name>}): two runtimes never share one.
 */
public final class RuntimeHandlers {
  /** The handler of a container that names none. */
  public static final String DEFAULT = "berth";

  /** The OCI runtime binaries known by name, found in PATH when first used. */
  public static final List<String> KNOWN_BINARIES = List.of("runc", "crun", "berth-runc");

  private final Path stateBase;
  private final SeccompCache seccompPrograms;
  private final Map<String, RuntimeDriver> drivers = new LinkedHashMap<>();

  public RuntimeHandlers(Path stateBase) {
    this(stateBase, SeccompCache.NONE);
  }

  /**
   * Handlers whose in-process runtimes keep their compiled seccomp programs in {@code
   * seccompPrograms} (the binaries compile their own).
   */
  public RuntimeHandlers(Path stateBase, SeccompCache seccompPrograms) {
    this.stateBase = stateBase.toAbsolutePath();
    this.seccompPrograms = seccompPrograms;
    drivers.put(DEFAULT, new InProcessDriver(DEFAULT, inProcess(this.stateBase.resolve(DEFAULT))));
    for (String b : KNOWN_BINARIES)
      drivers.put(b, new OciCliDriver(b, b, this.stateBase.resolve(b)));
  }

  /**
   * Registers {@code binary} (a path, or a name in PATH) as handler {@code name}, replacing one of
   * that name. The name becomes a directory name: runc's container id rule applies.
   */
  public synchronized RuntimeDriver configure(String name, String binary)
      throws ContainerException {
    return configure(name, binary, null, List.of());
  }

  /**
   * Registers {@code binary} as handler {@code name} with its own state root ({@code null}: {@code
   * <stateBase>/<name>}) and global flags before every verb: a handler of the configuration file.
   */
  public synchronized RuntimeDriver configure(
      String name, String binary, Path root, List<String> globalArgs) throws ContainerException {
    checkName(name);
    if (name.equals(DEFAULT)) {
      throw ContainerException.invalid(
          "runtime handler \"" + DEFAULT + "\" is the in-process runtime: choose another name");
    }
    RuntimeDriver d =
        new OciCliDriver(name, binary, root == null ? stateBase.resolve(name) : root, globalArgs);
    drivers.put(name, d);
    return d;
  }

  /**
   * Registers berth's in-process runtime under another name, with a state root of its own ({@code
   * null}: {@code <stateBase>/<name>}), or gives the default handler another state root.
   */
  public synchronized RuntimeDriver configureInProcess(String name, Path root)
      throws ContainerException {
    checkName(name);
    Path r = root == null ? stateBase.resolve(name) : root.toAbsolutePath();
    RuntimeDriver d = new InProcessDriver(name, inProcess(r));
    drivers.put(name, d);
    return d;
  }

  private ContainerRuntime inProcess(Path root) {
    return new ContainerRuntime(root).withSeccompPrograms(seccompPrograms);
  }

  /** Registers a driver of the caller's under its {@link RuntimeDriver#name()}. */
  public synchronized void register(RuntimeDriver driver) throws ContainerException {
    checkName(driver.name());
    drivers.put(driver.name(), driver);
  }

  /** The driver of handler {@code name}; null or empty is the default. */
  public synchronized RuntimeDriver get(String name) throws ContainerException {
    String n = name == null || name.isEmpty() ? DEFAULT : name;
    RuntimeDriver d = drivers.get(n);
    if (d == null) {
      throw ContainerException.invalid(
          "unknown runtime handler \"" + n + "\" (known: " + String.join(", ", names()) + ")");
    }
    return d;
  }

  public synchronized List<String> names() {
    return new ArrayList<>(drivers.keySet());
  }

  private static void checkName(String name) throws ContainerException {
    try {
      ContainerRuntime.checkId(name);
    } catch (ContainerException e) {
      throw ContainerException.invalid(
          "runtime handler name \"" + name + "\": letters, digits, '_', '+', '-', '.'");
    }
    if (name.startsWith("-"))
      throw ContainerException.invalid("runtime handler name \"" + name + "\": starts with '-'");
  }
}
