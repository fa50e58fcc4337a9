package dev.berth.image.registry;

import static dev.berth.image.registry.Responses.discard;
import static dev.berth.image.registry.Responses.expect;

import dev.berth.spec.image.Descriptor;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Blob GETs of one session's repository, whole or from an offset (Range), following redirects to
 * where the registry keeps its blobs. The body is held to the descriptor's size; the caller hashes
 * it.
 */
final class BlobDownloads {
  private final Authenticator auth;

  BlobDownloads(Authenticator auth) {
    this.auth = auth;
  }

  /**
   * The blob of {@code d} from byte {@code offset} on; a server that ignores the Range is read past
   * what the caller has.
   */
  InputStream fetch(Session s, Descriptor d, long offset, String action) throws IOException {
    Map<String, String> headers = offset > 0 ? Map.of("Range", "bytes=" + offset + "-") : Map.of();
    HttpResponse<InputStream> resp =
        auth.followRedirects(s, "GET", s.uri("/blobs/" + d.digest()), headers, action);
    int status = resp.statusCode();
    long length = resp.headers().firstValueAsLong("Content-Length").orElse(-1);
    if (status == 206 && offset > 0) {
      String range = resp.headers().firstValue("Content-Range").orElse("");
      Matcher m = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)").matcher(range.trim());
      if (!m.matches() || Long.parseLong(m.group(1)) != offset) {
        discard(resp);
        throw new RegistryException(
            action
                + ": asked for bytes from "
                + offset
                + ", the registry answered range \""
                + RegistryException.printable(range)
                + "\"");
      }
      if (length >= 0 && length != d.size() - offset) {
        discard(resp);
        throw new RegistryException(
            action
                + ": Content-Length "
                + length
                + " for the rest from "
                + offset
                + " of a blob of "
                + d.size()
                + " bytes");
      }
      return new SizedInputStream(resp.body(), d.size() - offset, action);
    }
    expect(resp, 200, action);
    if (length >= 0 && length != d.size()) {
      discard(resp);
      throw new RegistryException(
          action
              + ": the registry announces "
              + length
              + " bytes, the descriptor says "
              + d.size());
    }
    InputStream in = new SizedInputStream(resp.body(), d.size(), action);
    if (offset > 0) {
      // the server ignored our Range: read past what the caller already has
      try {
        in.skipNBytes(offset);
      } catch (IOException e) {
        in.close();
        throw e;
      }
    }
    return in;
  }
}
