package dev.berth.api.docker;

/**
 * What berthd says of itself in {@code /version} and {@code /info}.
 *
 * @param version berth's version ("0.1.0")
 * @param commit the git commit it was built from
 */
public record DaemonInfo(String version, String commit) {
  /** The {@code Server} header: docker's shape, berth's name. */
  public String serverHeader() {
    return "Berth/" + version + " (linux)";
  }
}
