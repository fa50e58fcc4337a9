package dev.berth.testkit.image;

import dev.berth.testkit.Exec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Debian's skopeo as a peer in interop tests: copies images between transports ({@code
 * oci:dir:tag}, {@code docker://127.0.0.1:port/name:tag}, {@code docker-archive:...}). Registries
 * in tests are plain HTTP on 127.0.0.1, so TLS verification is off wherever a docker:// reference
 * is used, and the signature policy is not read.
 */
public final class Skopeo {
  public static final String BINARY = "/usr/bin/skopeo";
  private static final int TIMEOUT_SECONDS = 600;

  private Skopeo() {}

  /** {@code skopeo copy src dst}; throws AssertionError with skopeo's stderr when it fails. */
  public static Exec.Result copy(String src, String dst, String... extraFlags) {
    List<String> cmd = new ArrayList<>(List.of(BINARY, "--insecure-policy", "copy"));
    if (src.startsWith("docker://")) cmd.add("--src-tls-verify=false");
    if (dst.startsWith("docker://")) cmd.add("--dest-tls-verify=false");
    cmd.addAll(List.of(extraFlags));
    cmd.add(src);
    cmd.add(dst);
    return Exec.run(cmd, null, Map.of(), null, TIMEOUT_SECONDS).ok();
  }

  /**
   * {@code skopeo inspect [--raw|--config ...] ref}: its JSON output; throws AssertionError when it
   * fails.
   */
  public static String inspect(String ref, String... extraFlags) {
    List<String> cmd = new ArrayList<>(List.of(BINARY, "--insecure-policy", "inspect"));
    if (ref.startsWith("docker://")) cmd.add("--tls-verify=false");
    cmd.addAll(List.of(extraFlags));
    cmd.add(ref);
    return Exec.run(cmd, null, Map.of(), null, TIMEOUT_SECONDS).ok().stdout();
  }
}
