package dev.berth.image.registry;

import static dev.berth.image.registry.Responses.checkDigestHeader;
import static dev.berth.image.registry.Responses.discard;
import static dev.berth.image.registry.Responses.error;
import static dev.berth.image.registry.Responses.expect;
import static dev.berth.image.registry.Responses.location;
import static dev.berth.image.registry.Responses.withQuery;

import dev.berth.image.registry.RegistryClient.PushedBlob;
import dev.berth.spec.image.Descriptor;
import dev.berth.spec.image.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.util.Map;

/**
 * Blob uploads to one session's repository: a HEAD first (the registry may have the blob), a
 * cross-repository mount when asked, else one PUT up to {@link
 * RegistryClient.Settings#monolithicLimit} bytes or PATCH chunks and a closing PUT; an upload that
 * fails is cancelled.
 */
final class BlobUploads {
  private final Authenticator auth;
  private final RegistryClient.Settings settings;

  BlobUploads(Authenticator auth, RegistryClient.Settings settings) {
    this.auth = auth;
    this.settings = settings;
  }

  /** True when the repository has the blob {@code digest} (HEAD answers 200), false on 404. */
  boolean exists(Session s, Digest digest, String action) throws IOException {
    HttpResponse<InputStream> resp =
        auth.followRedirects(s, "HEAD", s.uri("/blobs/" + digest), Map.of(), action);
    int status = resp.statusCode();
    if (status == 200) {
      discard(resp);
      return true;
    }
    if (status == 404) {
      discard(resp);
      return false;
    }
    throw error(resp, action);
  }

  /**
   * Uploads the blob {@code d}, whose bytes {@code src} gives, unless the repository has it; with
   * {@code from} (a repository path at the same registry, or null) the registry is first asked to
   * mount it from there.
   */
  PushedBlob push(Session s, Descriptor d, BlobSource src, String from, String action)
      throws IOException {
    if (exists(s, d.digest(), action)) return PushedBlob.EXISTED;
    URI upload;
    if (from != null) {
      URI uri = s.uri("/blobs/uploads/?mount=" + d.digest() + "&from=" + from);
      HttpResponse<InputStream> resp =
          auth.send(s, "POST", uri, Map.of(), BodyPublishers.noBody(), false, action);
      if (resp.statusCode() == 201) {
        discard(resp);
        return PushedBlob.MOUNTED;
      }
      expect(resp, 202, action); // the registry could not mount: it opened a plain upload instead
      upload = location(resp, uri, action);
    } else {
      URI uri = s.uri("/blobs/uploads/");
      HttpResponse<InputStream> resp =
          auth.send(s, "POST", uri, Map.of(), BodyPublishers.noBody(), false, action);
      expect(resp, 202, action);
      upload = location(resp, uri, action);
    }
    boolean done = false;
    try {
      HttpResponse<InputStream> resp;
      URI put;
      if (d.size() <= settings.monolithicLimit()) {
        put = withQuery(upload, "digest=" + d.digest());
        resp =
            auth.send(
                s,
                "PUT",
                put,
                Map.of("Content-Type", "application/octet-stream"),
                body(src, 0, d.size(), d.size(), action),
                false,
                action);
      } else {
        for (long off = 0; off < d.size(); ) {
          long n = Math.min(settings.chunkSize(), d.size() - off);
          HttpResponse<InputStream> chunk =
              auth.send(
                  s,
                  "PATCH",
                  upload,
                  Map.of(
                      "Content-Type",
                      "application/octet-stream",
                      "Content-Range",
                      off + "-" + (off + n - 1)),
                  body(src, off, n, d.size(), action),
                  false,
                  action);
          expect(chunk, 202, action);
          upload = location(chunk, upload, action);
          discard(chunk);
          off += n;
        }
        put = withQuery(upload, "digest=" + d.digest());
        resp = auth.send(s, "PUT", put, Map.of(), BodyPublishers.noBody(), false, action);
      }
      expect(resp, 201, action);
      checkDigestHeader(resp, d.digest(), action);
      discard(resp);
      done = true;
    } finally {
      if (!done) cancel(s, upload);
    }
    return PushedBlob.UPLOADED;
  }

  private void cancel(Session s, URI upload) {
    try {
      discard(auth.send(s, "DELETE", upload, Map.of(), null, false, "cancel upload"));
    } catch (IOException | RuntimeException ignored) {
      // best effort: the registry expires abandoned uploads on its own
    }
  }

  /**
   * {@code length} bytes of {@code src} from {@code offset}, re-openable (a 401 makes the client
   * send it again).
   */
  private static BodyPublisher body(
      BlobSource src, long offset, long length, long size, String action) {
    BodyPublisher stream =
        BodyPublishers.ofInputStream(
            () -> {
              try {
                InputStream in = src.open();
                in.skipNBytes(offset);
                return new SizedInputStream(
                    in, length, action + ": blob source", offset + length == size);
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            });
    return BodyPublishers.fromPublisher(stream, length);
  }
}
