package dev.berth.image.registry;

import dev.berth.spec.image.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.Objects;

/**
 * What every registry request does with an answer and its URLs: status checks, errors, bodies,
 * Location.
 */
final class Responses {
  private static final int MAX_ERROR_BODY = 64 << 10;

  private Responses() {}

  static void checkDigestHeader(HttpResponse<?> resp, Digest digest, String action)
      throws RegistryException {
    String header = resp.headers().firstValue("Docker-Content-Digest").orElse("").trim();
    if (header.isEmpty() || !header.startsWith("sha256:") || !digest.algorithm().equals("sha256"))
      return;
    if (!header.equals(digest.toString())) {
      throw new RegistryException(
          action
              + ": the registry says the digest is "
              + RegistryException.printable(header)
              + ", the content's is "
              + digest);
    }
  }

  /**
   * The body of a successful answer, refused when bigger than {@code limit} (before reading it,
   * when announced).
   */
  static byte[] readLimited(HttpResponse<InputStream> resp, int limit, String what, String action)
      throws IOException {
    long announced = resp.headers().firstValueAsLong("Content-Length").orElse(-1);
    try (InputStream in = resp.body()) {
      if (announced > limit) {
        throw new RegistryException(
            action + ": " + what + " is " + announced + " bytes, more than the limit of " + limit);
      }
      byte[] body = in.readNBytes(limit + 1);
      if (body.length > limit) {
        throw new RegistryException(
            action + ": " + what + " is more than the limit of " + limit + " bytes");
      }
      if (announced >= 0 && body.length != announced) {
        throw new RegistryException(
            action + ": " + what + " ended after " + body.length + " of " + announced + " bytes");
      }
      return body;
    }
  }

  static void expect(HttpResponse<InputStream> resp, int status, String action)
      throws RegistryException {
    if (resp.statusCode() != status) throw error(resp, action);
  }

  /** The error an unexpected answer stands for, with the registry's code and message. */
  static RegistryException error(HttpResponse<InputStream> resp, String action) {
    byte[] body = new byte[0];
    try (InputStream in = resp.body()) {
      body = in.readNBytes(MAX_ERROR_BODY);
    } catch (IOException ignored) {
      // the status alone still says what happened
    }
    return RegistryException.fromResponse(action, resp.statusCode(), body);
  }

  static void discard(HttpResponse<InputStream> resp) {
    try {
      resp.body().close();
    } catch (IOException ignored) {
      // the connection is dropped instead of reused: nothing to report
    }
  }

  static URI location(HttpResponse<?> resp, URI request, String action) throws RegistryException {
    String loc = resp.headers().firstValue("Location").orElse("");
    if (loc.isEmpty())
      throw new RegistryException(
          action + ": the registry answered " + resp.statusCode() + " without a Location");
    try {
      URI u = request.resolve(new URI(loc));
      if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme())) {
        throw new RegistryException(
            action + ": Location \"" + RegistryException.printable(loc) + "\" is not http(s)");
      }
      return u;
    } catch (java.net.URISyntaxException | IllegalArgumentException e) {
      throw new RegistryException(
          action + ": invalid Location \"" + RegistryException.printable(loc) + "\"");
    }
  }

  static URI withQuery(URI uri, String query) {
    String s = uri.toString();
    int hash = s.indexOf('#');
    if (hash >= 0) s = s.substring(0, hash);
    return URI.create(s + (uri.getRawQuery() == null ? "?" : "&") + query);
  }

  static boolean sameOrigin(URI uri, String base) {
    URI b = URI.create(base);
    return Objects.equals(uri.getScheme(), b.getScheme())
        && Objects.equals(uri.getHost(), b.getHost())
        && port(uri) == port(b);
  }

  private static int port(URI u) {
    return u.getPort() >= 0 ? u.getPort() : "https".equals(u.getScheme()) ? 443 : 80;
  }

  static boolean isPlain(String url) {
    return url.regionMatches(true, 0, "http://", 0, 7);
  }
}
