package dev.berth.spec.runtime;

import java.util.List;
import java.util.Map;

/**
 * The OCI runtime configuration ({@code config.json}). {@code process}, {@code root} and {@code
 * linux} are null when absent; {@code hooks} is never null ({@link Hooks#EMPTY} when absent).
 */
public record Spec(
    String ociVersion,
    Process process,
    Root root,
    String hostname,
    String domainname,
    List<Mount> mounts,
    Hooks hooks,
    Map<String, String> annotations,
    Linux linux) {
  public Spec {
    ociVersion = ociVersion == null ? "" : ociVersion;
    hostname = hostname == null ? "" : hostname;
    domainname = domainname == null ? "" : domainname;
    mounts = Copies.list(mounts);
    annotations = Copies.map(annotations);
    hooks = hooks == null ? Hooks.EMPTY : hooks;
  }

  /** This configuration with another process, every other field kept. */
  public Spec withProcess(Process p) {
    return new Spec(ociVersion, p, root, hostname, domainname, mounts, hooks, annotations, linux);
  }

  /** This configuration with other mounts, every other field kept. */
  public Spec withMounts(List<Mount> m) {
    return new Spec(ociVersion, process, root, hostname, domainname, m, hooks, annotations, linux);
  }

  /** This configuration with another linux section, every other field kept. */
  public Spec withLinux(Linux l) {
    return new Spec(ociVersion, process, root, hostname, domainname, mounts, hooks, annotations, l);
  }
}
