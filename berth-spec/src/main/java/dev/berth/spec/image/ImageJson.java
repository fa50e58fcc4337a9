package dev.berth.spec.image;

import dev.berth.spec.json.JsonReader;
import dev.berth.spec.json.JsonWriter;
import dev.berth.spec.json.SpecException;

/**
 * Reads and writes the JSON documents of the image-spec: manifests (OCI and Docker schema 2),
 * indexes (OCI, Docker manifest lists, an OCI layout's {@code index.json}), image configs and
 * single descriptors.
 *
 * <p>Readers skip unknown fields (forward compatibility) and refuse what would send a puller
 * astray: missing required fields, digests of an unknown algorithm, negative sizes, schema 1
 * manifests; every error names the source and the field ({@code manifest sha256:ab..:
 * layers[1].digest: unsupported digest algorithm "md5"}). Size limits are the caller's: these
 * methods take the whole document.
 *
 * <p>Writers produce compact JSON, fields in the order of the image-spec's Go structs and empty
 * optional fields left out, so the same record always gives the same bytes (and the same digest).
 * Content read from elsewhere should be stored and forwarded as the original bytes: its digest is
 * of those, and reading drops what the records do not hold.
 */
public final class ImageJson {
  private ImageJson() {}

  /** Parses an image manifest; {@code source} (e.g. the digest or file) prefixes error messages. */
  public static Manifest readManifest(byte[] json, String source) throws SpecException {
    try (JsonReader r = JsonReader.of(json, source)) {
      Manifest m = ImageJsonReader.manifest(r);
      if (m == null) {
        throw r.error("expected object, got null");
      }
      r.end();
      return m;
    }
  }

  /** Parses an image index, a Docker manifest list, or an OCI layout's {@code index.json}. */
  public static Index readIndex(byte[] json, String source) throws SpecException {
    try (JsonReader r = JsonReader.of(json, source)) {
      Index index = ImageJsonReader.index(r);
      if (index == null) {
        throw r.error("expected object, got null");
      }
      r.end();
      return index;
    }
  }

  /** Parses an image config (OCI image config or Docker image JSON). */
  public static ImageConfig readConfig(byte[] json, String source) throws SpecException {
    try (JsonReader r = JsonReader.of(json, source)) {
      ImageConfig config = ImageJsonReader.config(r);
      if (config == null) {
        throw r.error("expected object, got null");
      }
      r.end();
      return config;
    }
  }

  /**
   * Parses one descriptor document (digest and size required), as some tools and annotations carry
   * them.
   */
  public static Descriptor readDescriptor(byte[] json, String source) throws SpecException {
    try (JsonReader r = JsonReader.of(json, source)) {
      Descriptor d = ImageJsonReader.descriptor(r);
      if (d == null) {
        throw r.error("expected object, got null");
      }
      r.end();
      return d;
    }
  }

  /** {@link #mediaTypeOf(byte[], String)} without a source name in errors. */
  public static String mediaTypeOf(byte[] json) throws SpecException {
    return mediaTypeOf(json, "");
  }

  /**
   * The media type of a manifest or index document: its {@code mediaType} field, else inferred as
   * the image-spec allows ({@code manifests} makes an OCI index, {@code config} and {@code layers}
   * an OCI manifest). A schema 1 manifest is refused with a hint; a document that is neither is an
   * error. Only the top level is looked at.
   */
  public static String mediaTypeOf(byte[] json, String source) throws SpecException {
    try (JsonReader r = JsonReader.of(json, source)) {
      if (!r.beginObject()) {
        throw r.error("expected object, got null");
      }
      String mediaType = "";
      int schemaVersion = -1;
      boolean manifests = false, config = false, layers = false;
      for (String f; (f = r.nextField()) != null; ) {
        switch (f) {
          case "mediaType" -> mediaType = r.string();
          case "schemaVersion" -> schemaVersion = r.int32();
          case "manifests" -> manifests = !r.isNull();
          case "config" -> config = !r.isNull();
          case "layers" -> layers = !r.isNull();
          default -> {}
        }
        r.skip();
      }
      if (schemaVersion == 1
          || mediaType.equals(MediaTypes.DOCKER_SCHEMA1)
          || mediaType.equals(MediaTypes.DOCKER_SCHEMA1_SIGNED)) {
        throw r.error(ImageJsonReader.SCHEMA1_HINT);
      }
      if (!mediaType.isEmpty()) {
        return mediaType;
      }
      if (manifests) {
        return MediaTypes.OCI_INDEX;
      }
      if (config && layers) {
        return MediaTypes.OCI_MANIFEST;
      }
      throw r.error(
          "no mediaType, and neither \"manifests\" nor \"config\" and \"layers\": "
              + "not an image manifest or index");
    }
  }

  public static byte[] write(Manifest manifest) {
    JsonWriter w = new JsonWriter(JsonWriter.COMPACT);
    ImageJsonWriter.manifest(w, manifest);
    return w.toByteArray();
  }

  public static byte[] write(Index index) {
    JsonWriter w = new JsonWriter(JsonWriter.COMPACT);
    ImageJsonWriter.index(w, index);
    return w.toByteArray();
  }

  public static byte[] write(ImageConfig config) {
    JsonWriter w = new JsonWriter(JsonWriter.COMPACT);
    ImageJsonWriter.config(w, config);
    return w.toByteArray();
  }

  public static byte[] write(Descriptor descriptor) {
    JsonWriter w = new JsonWriter(JsonWriter.COMPACT);
    ImageJsonWriter.descriptor(w, descriptor);
    return w.toByteArray();
  }

  /**
   * Reads a descriptor at the reader's position, for files that embed descriptors in their own JSON
   * (the image store's index); null for JSON null.
   */
  public static Descriptor readDescriptor(dev.berth.spec.json.JsonReader r) throws SpecException {
    return ImageJsonReader.descriptor(r);
  }

  /** Writes a descriptor at the writer's position, as {@link #write(Descriptor)} does. */
  public static void writeDescriptor(dev.berth.spec.json.JsonWriter w, Descriptor d) {
    ImageJsonWriter.descriptor(w, d);
  }
}
