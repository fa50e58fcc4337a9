package dev.berth.image.registry;

/**
 * One place to fetch a repository from: {@code host} (with port when not the default; {@code
 * registry-1.docker.io} for Docker Hub), whether plain HTTP may be used there, whether it is a
 * mirror, and the repository's path at that host (a registries-config {@code location} may rewrite
 * it).
 */
public record Endpoint(
    String host, boolean plainHttpAllowed, boolean mirror, String repositoryRewritten) {

  @Override
  public String toString() {
    return host + "/" + repositoryRewritten;
  }
}
