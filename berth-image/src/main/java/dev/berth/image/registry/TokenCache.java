package dev.berth.image.registry;

import dev.berth.spec.json.JsonReader;
import dev.berth.spec.json.SpecException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Bearer tokens from registry token servers (the docker token protocol), cached in memory per
 * (registry, user, scope set) until shortly before they expire.
 *
 * <p>With a user name and password: {@code GET realm?service=..&scope=..} with Basic credentials.
 * With an identity token: the OAuth2 form {@code POST realm} with {@code grant_type=refresh_token}.
 * Anonymous: the GET without credentials. The answer is {@code {"token"|"access_token": ..,
 * "expires_in": seconds}}.
 */
final class TokenCache {
  private static final int MAX_ANSWER = 1 << 20;
  // the token spec: "if expires_in is absent the token is valid for 60 seconds"
  private static final long DEFAULT_LIFETIME = 60;
  private static final Duration MARGIN = Duration.ofSeconds(10);

  private record Token(String value, Instant expires) {}

  private final Map<String, Token> tokens = new ConcurrentHashMap<>();
  private final Duration timeout;
  private final String userAgent;

  TokenCache(Duration timeout, String userAgent) {
    this.timeout = timeout;
    this.userAgent = userAgent;
  }

  /**
   * A token for {@code scopes} at {@code registry}; {@code fresh} drops a cached one the registry
   * just refused.
   */
  String token(
      HttpClient http,
      String registry,
      Challenge challenge,
      List<String> scopes,
      Credentials creds,
      boolean fresh,
      String action)
      throws IOException {
    TreeSet<String> sorted = new TreeSet<>(scopes);
    // the key names who asked (a hash of all of the credentials): a token got with one password
    // must not answer
    // for another, as berth login checks a new password with the same client
    String key =
        registry
            + "\n"
            + who(creds)
            + "\n"
            + String.join(" ", sorted)
            + "\n"
            + challenge.param("realm")
            + "\n"
            + challenge.param("service");
    if (fresh) {
      tokens.remove(key);
    } else {
      Token t = tokens.get(key);
      if (t != null && Instant.now().plus(MARGIN).isBefore(t.expires())) return t.value();
    }
    Token t = fetch(http, challenge, sorted, creds, action);
    tokens.put(key, t);
    return t.value();
  }

  private static String who(Credentials creds) {
    if (creds == null) return "";
    try {
      byte[] h =
          java.security.MessageDigest.getInstance("SHA-256")
              .digest(
                  (creds.username() + "\0" + creds.password() + "\0" + creds.identityToken())
                      .getBytes(StandardCharsets.UTF_8));
      return java.util.HexFormat.of().formatHex(h);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private Token fetch(
      HttpClient http,
      Challenge challenge,
      TreeSet<String> scopes,
      Credentials creds,
      String action)
      throws IOException {
    String realm = challenge.param("realm");
    URI realmUri;
    try {
      realmUri = new URI(realm);
    } catch (java.net.URISyntaxException e) {
      throw new RegistryException(
          action + ": invalid token realm \"" + RegistryException.printable(realm) + "\"");
    }
    if (!"https".equals(realmUri.getScheme()) && !"http".equals(realmUri.getScheme())) {
      throw new RegistryException(
          action
              + ": token realm \""
              + RegistryException.printable(realm)
              + "\" is not an http(s) URL");
    }
    String service = challenge.param("service");
    HttpRequest.Builder req;
    if (creds != null && creds.hasIdentityToken()) {
      StringBuilder form = new StringBuilder("grant_type=refresh_token&client_id=berth");
      form.append("&refresh_token=").append(enc(creds.identityToken()));
      if (!service.isEmpty()) form.append("&service=").append(enc(service));
      if (!scopes.isEmpty()) form.append("&scope=").append(enc(String.join(" ", scopes)));
      req =
          HttpRequest.newBuilder(realmUri)
              .header("Content-Type", "application/x-www-form-urlencoded")
              .POST(HttpRequest.BodyPublishers.ofString(form.toString()));
    } else {
      StringBuilder q = new StringBuilder();
      if (!service.isEmpty()) q.append("service=").append(enc(service));
      for (String s : scopes) q.append(q.isEmpty() ? "" : "&").append("scope=").append(enc(s));
      if (creds != null && !creds.username().isEmpty()) {
        q.append(q.isEmpty() ? "" : "&").append("account=").append(enc(creds.username()));
      }
      String sep = realm.contains("?") ? "&" : "?";
      req = HttpRequest.newBuilder(URI.create(realm + (q.isEmpty() ? "" : sep + q))).GET();
      if (creds != null && !creds.username().isEmpty())
        req.header("Authorization", creds.basicHeader());
    }
    req.timeout(timeout).header("User-Agent", userAgent);
    HttpResponse<InputStream> resp;
    try {
      resp = http.send(req.build(), HttpResponse.BodyHandlers.ofInputStream());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException(action + ": interrupted while getting a token");
    }
    byte[] body;
    try (InputStream in = resp.body()) {
      body = in.readNBytes(MAX_ANSWER);
    }
    int status = resp.statusCode();
    if (status == 401 || status == 403) {
      String who =
          creds == null
              ? "anonymous access"
              : creds.hasIdentityToken()
                  ? "the identity token"
                  : "the credentials of \"" + creds.username() + "\"";
      RegistryException e = RegistryException.fromResponse("", status, body);
      throw new RegistryException(
          action
              + ": unauthorized: token server "
              + realm
              + " refused "
              + who
              + (e.registryMessage().isEmpty() ? "" : " (" + e.registryMessage() + ")"),
          status,
          "UNAUTHORIZED",
          e.registryMessage());
    }
    if (status != 200) {
      RegistryException e =
          RegistryException.fromResponse(action + ": get a token from " + realm, status, body);
      throw e;
    }
    String token = "";
    String accessToken = "";
    long expiresIn = 0;
    try (JsonReader r = JsonReader.of(body, "token answer from " + realm)) {
      if (r.beginObject()) {
        for (String f; (f = r.nextField()) != null; ) {
          switch (f) {
            case "token" -> token = r.string();
            case "access_token" -> accessToken = r.string();
            case "expires_in" -> expiresIn = r.isNull() ? 0 : r.int64();
            default -> r.skip();
          }
        }
      }
    } catch (SpecException e) {
      throw new RegistryException(action + ": " + e.getMessage(), e);
    }
    String value = !accessToken.isEmpty() ? accessToken : token;
    if (value.isEmpty())
      throw new RegistryException(action + ": token server " + realm + " answered no token");
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c <= ' ' || c >= 0x7f) {
        throw new RegistryException(
            action + ": token server " + realm + " answered a token with invalid characters");
      }
    }
    long life = expiresIn < DEFAULT_LIFETIME ? DEFAULT_LIFETIME : expiresIn;
    return new Token(value, Instant.now().plusSeconds(life));
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
