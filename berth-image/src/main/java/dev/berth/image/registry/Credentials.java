package dev.berth.image.registry;

/**
 * What a user proves who they are with: a user name and password, or an identity token (a refresh
 * token an OAuth2-style token server issued at login, stored by docker as {@code identitytoken}).
 * Either part may be "".
 */
public record Credentials(String username, String password, String identityToken) {

  public Credentials {
    username = username == null ? "" : username;
    password = password == null ? "" : password;
    identityToken = identityToken == null ? "" : identityToken;
  }

  public Credentials(String username, String password) {
    this(username, password, "");
  }

  public boolean hasIdentityToken() {
    return !identityToken.isEmpty();
  }

  /** The value of a Basic Authorization header. */
  String basicHeader() {
    return "Basic "
        + java.util.Base64.getEncoder()
            .encodeToString(
                (username + ":" + password).getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  @Override
  public String toString() {
    // never print secrets: records print all components by default
    return "Credentials[username="
        + username
        + (identityToken.isEmpty() ? "" : ", identity token")
        + "]";
  }
}
