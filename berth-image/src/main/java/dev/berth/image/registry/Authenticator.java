package dev.berth.image.registry;

import static dev.berth.image.registry.Responses.discard;
import static dev.berth.image.registry.Responses.expect;
import static dev.berth.image.registry.Responses.isPlain;
import static dev.berth.image.registry.Responses.location;
import static dev.berth.image.registry.Responses.sameOrigin;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

/**
 * Sends the requests of a {@link Session} with the authentication its registry asks for: none,
 * Basic, or a Bearer token from the registry's token server (kept in a {@link TokenCache}). The
 * Authorization goes to the session's origin only, never to another host a redirect or Location
 * points at; a 401 with a new challenge is answered once with fresh authorization.
 */
final class Authenticator {
  private static final int MAX_REDIRECTS = 5;

  private final HttpTransport transport;
  private final RegistryClient.Settings settings;
  private final TokenCache tokens;

  Authenticator(HttpTransport transport, RegistryClient.Settings settings) {
    this.transport = transport;
    this.settings = settings;
    this.tokens = new TokenCache(settings.requestTimeout(), HttpTransport.USER_AGENT);
  }

  /**
   * GET /v2/ at {@code ep} with {@code credentials}, as {@link RegistryClient#checkLogin} asks:
   * Basic, or a token for them; a registry that wants no authentication accepts any.
   */
  void checkLogin(Endpoint ep, Credentials credentials, String action) throws IOException {
    Session s = new Session(ep, List.of(), credentials);
    s.origin = transport.origin(ep, action);
    if (s.origin.challenge() == null) return;
    if (s.origin.challenge().isBasic() && credentials.username().isEmpty()) {
      throw new RegistryException(
          action + ": unauthorized: a user name is required", 401, "UNAUTHORIZED", "");
    }
    HttpResponse<InputStream> resp =
        send(s, "GET", URI.create(s.origin.base() + "/v2/"), Map.of(), null, true, action);
    if (resp.statusCode() == 401) {
      discard(resp);
      throw new RegistryException(
          action + ": unauthorized: wrong user name or password", 401, "UNAUTHORIZED", "");
    }
    expect(resp, 200, action);
    discard(resp);
  }

  /**
   * Sends a request of a session: with its authorization when {@code uri} is on the session's
   * origin (never to another host a redirect or Location points at), and once more with fresh
   * authorization after a 401.
   */
  HttpResponse<InputStream> send(
      Session s,
      String method,
      URI uri,
      Map<String, String> headers,
      BodyPublisher body,
      boolean idempotent,
      String action)
      throws IOException {
    Origin origin = s.origin;
    boolean same = sameOrigin(uri, origin.base());
    boolean insecure = same && (origin.insecureTls() || isPlain(origin.base()));
    String authz = same ? authorization(s, false, action) : null;
    boolean refreshed = false;
    while (true) {
      HttpRequest.Builder b =
          HttpRequest.newBuilder(uri)
              .timeout(settings.requestTimeout())
              .header("User-Agent", HttpTransport.USER_AGENT)
              .method(method, body != null ? body : BodyPublishers.noBody());
      headers.forEach(b::header);
      if (authz != null) b.header("Authorization", authz);
      HttpResponse<InputStream> resp =
          transport.exchange(insecure, b.build(), idempotent, settings.retries(), action);
      if (resp.statusCode() != 401 || !same || refreshed) return resp;
      Challenge c =
          Challenge.preferred(Challenge.parseAll(resp.headers().allValues("WWW-Authenticate")));
      if (c == null) return resp;
      s.origin = new Origin(origin.base(), origin.insecureTls(), c);
      transport.remember(s.endpoint.host(), s.origin);
      String next = authorization(s, true, action);
      if (next == null || next.equals(authz))
        return resp; // nothing new to offer: the 401 is the answer
      discard(resp);
      authz = next;
      refreshed = true;
    }
  }

  /**
   * The Authorization header for the session's registry, fetching a token if needed; null for
   * anonymous.
   */
  private String authorization(Session s, boolean fresh, String action) throws IOException {
    Challenge c = s.origin.challenge();
    if (c == null) return null;
    Credentials creds = s.credentials;
    if (c.isBasic()) {
      return creds != null && !creds.username().isEmpty() ? creds.basicHeader() : null;
    }
    HttpClient http =
        s.origin.insecureTls() || isPlain(c.param("realm"))
            ? transport.insecureClient()
            : transport.verifiedClient();
    return "Bearer " + tokens.token(http, s.endpoint.host(), c, s.scopes, creds, fresh, action);
  }

  /**
   * Sends a GET or HEAD and follows redirects by hand (a blob may live on a storage host): the next
   * host gets no Authorization of ours (see {@link #send}), and an https request is never
   * redirected to http.
   */
  HttpResponse<InputStream> followRedirects(
      Session s, String method, URI uri, Map<String, String> headers, String action)
      throws IOException {
    for (int i = 0; ; i++) {
      HttpResponse<InputStream> resp = send(s, method, uri, headers, null, true, action);
      int status = resp.statusCode();
      if (status != 301 && status != 302 && status != 303 && status != 307 && status != 308)
        return resp;
      URI next = location(resp, uri, action);
      discard(resp);
      if (i >= MAX_REDIRECTS)
        throw new RegistryException(action + ": more than " + MAX_REDIRECTS + " redirects");
      if ("https".equals(uri.getScheme()) && !"https".equals(next.getScheme())) {
        throw new RegistryException(
            action + ": refusing a redirect from https to " + next.getScheme());
      }
      uri = next;
    }
  }
}
