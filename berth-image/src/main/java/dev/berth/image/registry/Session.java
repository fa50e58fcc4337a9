package dev.berth.image.registry;

import java.net.URI;
import java.util.List;

/** One endpoint with the scopes and credentials its requests are made with. */
final class Session {
  final Endpoint endpoint;
  final List<String> scopes;
  final Credentials credentials;
  volatile Origin origin;

  Session(Endpoint endpoint, List<String> scopes, Credentials credentials) {
    this.endpoint = endpoint;
    this.scopes = List.copyOf(scopes);
    this.credentials = credentials;
  }

  URI uri(String rest) {
    return URI.create(origin.base() + "/v2/" + endpoint.repositoryRewritten() + rest);
  }
}
