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
}
