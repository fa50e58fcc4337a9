package dev.berth.image.registry;

import static dev.berth.image.registry.RegistryClient.MAX_MANIFEST_BYTES;
import static dev.berth.image.registry.Responses.checkDigestHeader;
import static dev.berth.image.registry.Responses.discard;
import static dev.berth.image.registry.Responses.expect;
import static dev.berth.image.registry.Responses.readLimited;

import dev.berth.spec.image.Digest;
import dev.berth.spec.image.MediaTypes;
import dev.berth.spec.json.JsonReader;
import dev.berth.spec.json.SpecException;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Manifests and indexes of one session's repository: GET and PUT, with their size limit, media type
 * and digest checks.
 */
final class Manifests {
  private final Authenticator auth;

  Manifests(Authenticator auth) {
    this.auth = auth;
  }

  /**
   * GET {@code ref}, accepting the media types {@code accept}; by digest ({@code want}) the body
   * must hash to it.
   */
  ManifestResponse fetch(Session s, String ref, Digest want, List<String> accept, String action)
      throws IOException {
    HttpResponse<InputStream> resp =
        auth.send(
            s,
            "GET",
            s.uri("/manifests/" + ref),
            Map.of("Accept", String.join(", ", accept)),
            null,
            true,
            action);
    expect(resp, 200, action);
    byte[] body = readLimited(resp, MAX_MANIFEST_BYTES, "manifest", action);
    String type =
        manifestType(resp.headers().firstValue("Content-Type").orElse(""), body, accept, action);
    Digest digest;
    if (want != null) {
      digest = digestOf(want.algorithm(), body);
      if (!digest.equals(want)) {
        throw new RegistryException(
            action
                + ": manifest digest mismatch: the registry served content with digest "
                + digest);
      }
    } else {
      digest = Digest.sha256Of(body);
      checkDigestHeader(resp, digest, action);
    }
    return new ManifestResponse(body, type, digest);
  }

  /**
   * The digest a manifest pushed as {@code body} under {@code named} (a digest, or null for a tag)
   * gets: the one named, which the body must hash to, or the body's sha256. Refuses a body over the
   * size limit.
   */
  static Digest digestToPut(Digest named, byte[] body, String action) throws RegistryException {
    if (body.length > MAX_MANIFEST_BYTES) {
      throw new RegistryException(
          action
              + ": manifest is "
              + body.length
              + " bytes, more than the limit of "
              + MAX_MANIFEST_BYTES);
    }
    Digest digest = Digest.sha256Of(body);
    if (named != null) {
      Digest got = digestOf(named.algorithm(), body);
      if (!got.equals(named)) {
        throw new RegistryException(
            action + ": the manifest's digest is " + got + ", not the one named");
      }
      digest = named;
    }
    return digest;
  }

  /**
   * PUT {@code body} under {@code tagOrDigest}; the registry's Docker-Content-Digest must be the
   * body's.
   */
  void put(Session s, String tagOrDigest, byte[] body, String mediaType, String action)
      throws IOException {
    HttpResponse<InputStream> resp =
        auth.send(
            s,
            "PUT",
            s.uri("/manifests/" + tagOrDigest),
            Map.of("Content-Type", mediaType),
            BodyPublishers.ofByteArray(body),
            false,
            action);
    expect(resp, 201, action);
    checkDigestHeader(resp, Digest.sha256Of(body), action);
    discard(resp);
  }

  /**
   * The media type of a manifest: the Content-Type, or the body's own "mediaType" when the server
   * sends a generic one, or a guess from the fields for an OCI document without either (as
   * containers/image does). Refuses schema 1, a body whose mediaType contradicts the header, and
   * types not in {@code accept}.
   */
  private static String manifestType(
      String contentType, byte[] body, List<String> accept, String action)
      throws RegistryException {
    String header = contentType;
    int semi = header.indexOf(';');
    if (semi >= 0) header = header.substring(0, semi);
    header = header.trim().toLowerCase(Locale.ROOT);
    String bodyType = "";
    long schemaVersion = -1;
    boolean hasManifests = false;
    boolean hasConfig = false;
    try (JsonReader r = JsonReader.of(body, "manifest")) {
      if (!r.beginObject()) throw new RegistryException(action + ": the manifest is null");
      for (String f; (f = r.nextField()) != null; ) {
        switch (f) {
          case "mediaType" -> bodyType = r.string();
          case "schemaVersion" -> schemaVersion = r.isNull() ? -1 : r.int64();
          case "manifests" -> {
            hasManifests = true;
            r.skip();
          }
          case "config" -> {
            hasConfig = true;
            r.skip();
          }
          default -> r.skip();
        }
      }
      r.end();
    } catch (SpecException e) {
      throw new RegistryException(action + ": " + e.getMessage(), e);
    }
    if (schemaVersion == 1
        || header.equals(MediaTypes.DOCKER_SCHEMA1)
        || header.equals(MediaTypes.DOCKER_SCHEMA1_SIGNED)
        || bodyType.equals(MediaTypes.DOCKER_SCHEMA1)
        || bodyType.equals(MediaTypes.DOCKER_SCHEMA1_SIGNED)) {
      throw new RegistryException(
          action
              + ": docker schema 1 manifests are not supported (push the image again"
              + " with a current docker, podman or skopeo)");
    }
    boolean generic =
        header.isEmpty()
            || header.equals("application/json")
            || header.equals("text/plain")
            || header.equals("application/octet-stream");
    String type;
    if (!generic) {
      type = header;
    } else if (!bodyType.isEmpty()) {
      type = bodyType;
    } else if (hasManifests) {
      type = MediaTypes.OCI_INDEX;
    } else if (hasConfig) {
      type = MediaTypes.OCI_MANIFEST;
    } else {
      throw new RegistryException(
          action
              + ": cannot tell the manifest's media type (Content-Type \""
              + RegistryException.printable(contentType)
              + "\", none in the body)");
    }
    if (!bodyType.isEmpty() && !bodyType.equals(type)) {
      throw new RegistryException(
          action
              + ": served as \""
              + RegistryException.printable(type)
              + "\" but the manifest says it is \""
              + RegistryException.printable(bodyType)
              + "\"");
    }
    if (!accept.contains(type)) {
      throw new RegistryException(
          action
              + ": unsupported manifest media type \""
              + RegistryException.printable(type)
              + "\"");
    }
    return type;
  }

  private static Digest digestOf(String algorithm, byte[] body) {
    if (algorithm.equals("sha256")) {
      // Not the JCA, whose first getInstance builds its provider tables (~11 ms of a cold CLI): a
      // small body in plain Java (no libcrypto to map for a pull of an image already there), a
      // larger one by libcrypto when it is there.
      if (body.length <= dev.berth.spec.image.Sha256.SMALL) return Digest.sha256Of(body);
      byte[] hash = dev.berth.sys.Sha256.newDigest().digest(body);
      return new Digest(algorithm, java.util.HexFormat.of().formatHex(hash));
    }
    try {
      byte[] hash = MessageDigest.getInstance("SHA-512").digest(body);
      return new Digest(algorithm, java.util.HexFormat.of().formatHex(hash));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
