package dev.berth.image.registry;

import static dev.berth.image.registry.Responses.discard;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * How requests reach registries: the clients ({@link PlainHttp} for GETs and HEADs over plain HTTP;
 * java.net.http for the rest, one client that checks certificates and one for insecure TLS, each
 * made on first use), the scheme each host answers on ({@link Origin}, found by GET /v2/ and kept
 * per host), and the retries of idempotent requests after a transient failure. It adds no
 * Authorization and follows no redirect: {@link Authenticator} does both, so that our Authorization
 * never follows a redirect to another host.
 */
final class HttpTransport implements AutoCloseable {
  static final String USER_AGENT = "berth/0.1";
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(15);

  private final RegistriesConfig config;
  private final RegistryClient.Settings settings;
  private volatile HttpClient verified;
  private volatile HttpClient insecure;
  private final Map<String, Origin> origins = new ConcurrentHashMap<>();

  HttpTransport(RegistriesConfig config, RegistryClient.Settings settings) {
    this.config = config;
    this.settings = settings;
  }

  /** What is known of {@code ep}'s host, asking it the first time. */
  Origin origin(Endpoint ep, String action) throws IOException {
    Origin o = origins.get(ep.host());
    return o != null ? o : ping(ep, action);
  }

  /**
   * What is known of {@code ep}'s host; when nothing is yet and only one scheme may answer there,
   * an origin on that scheme without a challenge, asking nothing: the first request's 401 then
   * brings the challenge ({@link Authenticator#send}). So a pull of an image already present makes
   * one request, not a GET /v2/ first. Only an insecure registry's scheme needs asking.
   */
  Origin originUnasked(Endpoint ep, String action) throws IOException {
    Origin o = origins.get(ep.host());
    if (o != null) return o;
    List<String> schemes = schemes(ep);
    return schemes.size() == 1
        ? new Origin(schemes.get(0) + "://" + ep.host(), false, null)
        : ping(ep, action);
  }

  /**
   * The schemes to try at {@code ep}, in order. Loopback: plain HTTP unless the registries config
   * names the host (then HTTPS first, as for any insecure registry): a TLS handshake sent to some
   * plain-HTTP servers waits for a line that never comes.
   */
  private List<String> schemes(Endpoint ep) {
    return RegistriesConfig.isLoopback(ep.host()) && !config.names(ep.host())
        ? List.of("http")
        : ep.plainHttpAllowed() ? List.of("https", "http") : List.of("https");
  }

  /** GET /v2/: which scheme answers, and which authentication the registry wants. */
  private Origin ping(Endpoint ep, String action) throws IOException {
    List<String> schemes = schemes(ep);
    IOException failure = null;
    for (String scheme : schemes) {
      boolean insecureTls = scheme.equals("https") && ep.plainHttpAllowed();
      boolean probe = scheme.equals("https") && schemes.size() > 1;
      String base = scheme + "://" + ep.host();
      HttpRequest req =
          HttpRequest.newBuilder(URI.create(base + "/v2/"))
              .timeout(probe ? Duration.ofSeconds(10) : settings.requestTimeout())
              .header("User-Agent", USER_AGENT)
              .GET()
              .build();
      try {
        HttpResponse<InputStream> resp =
            exchange(
                insecureTls || scheme.equals("http"),
                req,
                true,
                probe ? 0 : settings.retries(),
                action);
        int status = resp.statusCode();
        Challenge c =
            status == 401
                ? Challenge.preferred(
                    Challenge.parseAll(resp.headers().allValues("WWW-Authenticate")))
                : null;
        discard(resp);
        Origin o = new Origin(base, insecureTls, c);
        if (status == 200 || status == 401)
          origins.put(ep.host(), o); // anything else: ask again next time
        return o;
      } catch (IOException e) {
        if (failure != null) e.addSuppressed(failure);
        failure = e;
      }
    }
    throw failure;
  }

  /**
   * Keeps what a later answer of {@code host} taught (a new challenge), for the next session there.
   */
  void remember(String host, Origin origin) {
    origins.put(host, origin);
  }

  /**
   * One request, retried when idempotent and the failure is transient (I/O error, 5xx, 429). A GET
   * or HEAD of an http:// URL goes through {@link PlainHttp}; the rest through java.net.http, with
   * certificates checked unless {@code insecure}.
   */
  HttpResponse<InputStream> exchange(
      boolean insecure, HttpRequest req, boolean idempotent, int retries, String action)
      throws IOException {
    boolean plain = PlainHttp.handles(req);
    for (int attempt = 0; ; attempt++) {
      try {
        HttpResponse<InputStream> resp =
            plain
                ? PlainHttp.send(req, CONNECT_TIMEOUT)
                : (insecure ? insecureClient() : verifiedClient())
                    .send(req, HttpResponse.BodyHandlers.ofInputStream());
        int status = resp.statusCode();
        if (idempotent && attempt < retries && (status >= 500 || status == 429)) {
          long after = resp.headers().firstValueAsLong("Retry-After").orElse(0);
          discard(resp);
          pause(Math.max(backoff(attempt), Math.min(after, 10) * 1000));
          continue;
        }
        return resp;
      } catch (IOException e) {
        if (!idempotent || attempt >= retries) {
          throw new RegistryException(action + ": " + describe(req.uri(), e), e);
        }
        pause(backoff(attempt));
      } catch (UncheckedIOException e) {
        throw new RegistryException(action + ": " + e.getCause().getMessage(), e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException(action + ": interrupted");
      }
    }
  }

  private long backoff(int attempt) {
    return settings.backoff().toMillis() << Math.min(attempt, 6);
  }

  private static void pause(long millis) throws InterruptedIOException {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting to retry");
    }
  }

  private static String describe(URI uri, IOException e) {
    String host = uri.getAuthority();
    for (Throwable t = e; t != null; t = t.getCause()) {
      // java.net.http reports a name that does not resolve as a ConnectException too: it is not a
      // refusal.
      if (t instanceof java.nio.channels.UnresolvedAddressException
          || t instanceof java.net.UnknownHostException) {
        return "cannot resolve host " + uri.getHost();
      }
    }
    if (e instanceof ConnectException)
      return "cannot connect to " + host + " (" + uri.getScheme() + "): connection refused";
    if (e instanceof HttpTimeoutException) return "no answer from " + host + " in time";
    if (e instanceof SSLException) return "TLS with " + host + " failed: " + e.getMessage();
    if (e.getCause() instanceof IOException cause && e.getMessage() == null)
      return describe(uri, cause);
    return "talking to "
        + host
        + ": "
        + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
  }

  /**
   * The client that checks certificates against the JDK's trust store. Made on first use: loading
   * the trust store costs ~150 ms, which a pull from a plain-HTTP registry on loopback never needs.
   */
  HttpClient verifiedClient() {
    HttpClient c = verified;
    if (c == null) {
      synchronized (this) {
        c = verified;
        if (c == null) verified = c = newHttpClient(null);
      }
    }
    return c;
  }

  /**
   * The client for insecure TLS and for plain HTTP (where no certificate is ever seen: its
   * trust-all context only spares loading the trust store).
   */
  HttpClient insecureClient() {
    HttpClient c = insecure;
    if (c == null) {
      synchronized (this) {
        c = insecure;
        if (c == null) {
          try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new javax.net.ssl.TrustManager[] {new TrustAll()}, null);
            insecure = c = newHttpClient(ctx);
          } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot make a TLS context", e);
          }
        }
      }
    }
    return c;
  }

  private HttpClient newHttpClient(SSLContext ssl) {
    HttpClient.Builder b =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            // redirects are followed by hand: only blob GETs follow them, and never with our
            // Authorization
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(CONNECT_TIMEOUT);
    if (ssl != null) b.sslContext(ssl);
    return b.build();
  }

  /**
   * Accepts any certificate and host name: what "insecure" means for a registry in
   * registries.conf(5). An X509ExtendedTrustManager, so the JDK does not add its own host name
   * check on top.
   */
  private static final class TrustAll extends X509ExtendedTrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, java.net.Socket s) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, java.net.Socket s) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine e) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine e) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }

  @Override
  public void close() {
    HttpClient v = verified;
    if (v != null) v.close();
    HttpClient i = insecure;
    if (i != null) i.close();
  }
}
