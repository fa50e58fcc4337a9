package dev.berth.image.registry;

import java.io.IOException;

/** Finds the credentials for a registry; {@link AuthStore} reads them from auth files. */
@FunctionalInterface
public interface CredentialSource {
  /** No credentials anywhere: every request is anonymous. */
  CredentialSource ANONYMOUS = registry -> null;

  /**
   * The credentials for {@code registry} (a host with optional port, {@code docker.io} for Docker
   * Hub), or null to go anonymous.
   */
  Credentials lookup(String registry) throws IOException;
}
