package dev.berth.image.archive;

import dev.berth.image.ImageException;
import dev.berth.image.ImageService;
import dev.berth.image.content.ContentStore;
import dev.berth.spec.error.Printable;
import dev.berth.spec.image.Descriptor;
import dev.berth.spec.image.Digest;
import dev.berth.spec.image.ImageConfig;
import dev.berth.spec.image.ImageJson;
import dev.berth.spec.image.Manifest;
import dev.berth.spec.image.MediaTypes;
import dev.berth.spec.image.Reference;
import dev.berth.spec.json.JsonReader;
import dev.berth.spec.json.JsonWriter;
import dev.berth.spec.json.SpecException;
import dev.berth.sys.Sha256;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarFile;

/**
 * docker-archive, the format of {@code docker save}: {@code manifest.json} listing each image's
 * config file, tags and layer tars (uncompressed, one per diff id), plus the legacy {@code
 * repositories} file. Layers are decompressed from the content store as they are written; loading
 * stores each layer tar as an uncompressed OCI layer, so the image's id (its config digest) is the
 * same as docker's.
 */
public final class DockerArchive {
  private DockerArchive() {}

  /** An image read from the archive, stored and ready for naming and unpacking. */
  public record Loaded(
      List<String> tags, Descriptor manifest, Manifest parsed, ImageConfig config) {}

  public static void save(ContentStore content, List<SavedImage> images, OutputStream out)
      throws IOException, ImageException {
    Set<String> written = new LinkedHashSet<>();
    JsonWriter mj = new JsonWriter(JsonWriter.COMPACT);
    Map<String, Map<String, String>> repositories = new LinkedHashMap<>();
    try (TarWriting tar = new TarWriting(out)) {
      mj.beginArray();
      for (SavedImage image : images) {
        byte[] configBytes = content.read(image.config(), ImageService.MAX_METADATA);
        ImageConfig config =
            read(() -> ImageJson.readConfig(configBytes, "config " + image.config()));
        List<Digest> diffIds = config.rootfs().diffIds();
        String configName = image.config().encoded() + ".json";
        if (written.add(configName)) tar.file(configName, configBytes);
        List<String> layerNames = new ArrayList<>();
        for (int i = 0; i < image.manifest().layers().size(); i++) {
          Descriptor layer = image.manifest().layers().get(i);
          String name = diffIds.get(i).encoded() + "/layer.tar";
          layerNames.add(name);
          if (!written.add(name)) continue;
          tar.dir(diffIds.get(i).encoded());
          MediaTypes.Compression c = MediaTypes.layerCompression(layer.mediaType());
          long size = uncompressedSize(content, layer, c);
          try (InputStream in = decompressed(content.open(layer.digest()), c)) {
            tar.file(name, size, in);
          }
        }
        mj.beginObject();
        mj.name("Config").value(configName);
        mj.name("RepoTags").beginArray();
        if (image.name() != null) {
          Reference ref = Reference.parse(image.name());
          if (ref.hasTag()) {
            String familiar = ref.familiar();
            mj.value(familiar);
            int colon = familiar.lastIndexOf(':');
            repositories
                .computeIfAbsent(familiar.substring(0, colon), k -> new LinkedHashMap<>())
                .put(
                    familiar.substring(colon + 1),
                    diffIds.isEmpty() ? "" : diffIds.getLast().encoded());
          }
        }
        mj.endArray();
        mj.name("Layers").beginArray();
        for (String l : layerNames) mj.value(l);
        mj.endArray();
        mj.endObject();
      }
      mj.endArray();
      tar.file("manifest.json", mj.toByteArray());
      JsonWriter rj = new JsonWriter(JsonWriter.COMPACT);
      rj.beginObject();
      for (var repo : repositories.entrySet()) {
        rj.name(repo.getKey()).beginObject();
        for (var tag : repo.getValue().entrySet()) rj.name(tag.getKey()).value(tag.getValue());
        rj.endObject();
      }
      rj.endObject();
      tar.file("repositories", rj.toByteArray());
    }
  }

  private static long uncompressedSize(
      ContentStore content, Descriptor layer, MediaTypes.Compression c) throws IOException {
    if (c == MediaTypes.Compression.NONE) return layer.size();
    try (InputStream in = decompressed(content.open(layer.digest()), c)) {
      return in.transferTo(OutputStream.nullOutputStream());
    }
  }

  static InputStream decompressed(InputStream in, MediaTypes.Compression c) throws IOException {
    return switch (c) {
      case NONE -> in;
      case GZIP -> new GZIPInputStream(in, 1 << 16);
      case ZSTD -> new com.github.luben.zstd.ZstdInputStream(new BufferedInputStream(in, 1 << 16));
    };
  }

  /**
   * Reads a docker-archive file (random access: manifest.json may come last) into the content
   * store. Each layer is stored as it is in the archive (gzip detected by its magic number), and
   * checked against the config's diff ids.
   */
  public static List<Loaded> load(ContentStore content, Path archive)
      throws IOException, ImageException {
    String source = archive.getFileName().toString();
    ArchiveMembers.scan(archive, source); // refuses a tar bomb before TarFile indexes it
    try (TarFile tar = new TarFile(archive.toFile())) {
      Map<String, TarArchiveEntry> members = new HashMap<>();
      for (TarArchiveEntry e : tar.getEntries()) {
        String name = e.getName();
        while (name.startsWith("./")) name = name.substring(2);
        members.put(name, e);
      }
      TarArchiveEntry mf = members.get("manifest.json");
      if (mf == null || !ArchiveMembers.isRegular(mf))
        throw ImageException.invalid(source + ": not a docker archive (no manifest.json)");
      byte[] mjBytes = metadata(tar, mf, source + ": manifest.json");
      List<Loaded> out = new ArrayList<>();
      for (Entry entry : readManifestJson(mjBytes, source)) {
        TarArchiveEntry ce = member(members, entry.config, source);
        byte[] configBytes = metadata(tar, ce, source + ": " + entry.config);
        ImageConfig config =
            read(() -> ImageJson.readConfig(configBytes, source + ": " + entry.config));
        List<Digest> diffIds = config.rootfs().diffIds();
        if (diffIds.size() != entry.layers.size()) {
          throw ImageException.invalid(
              source
                  + ": "
                  + entry.config
                  + " lists "
                  + diffIds.size()
                  + " diff ids, manifest.json "
                  + entry.layers.size()
                  + " layers");
        }
        List<Descriptor> layers = new ArrayList<>();
        for (int i = 0; i < entry.layers.size(); i++) {
          layers.add(
              storeLayer(
                  content,
                  tar,
                  member(members, entry.layers.get(i), source),
                  diffIds.get(i),
                  source + ": " + entry.layers.get(i)));
        }
        Descriptor configDesc = content.put(configBytes, MediaTypes.OCI_CONFIG);
        Manifest manifest =
            new Manifest(2, MediaTypes.OCI_MANIFEST, "", configDesc, layers, null, Map.of());
        byte[] manifestBytes = ImageJson.write(manifest);
        Descriptor md = content.put(manifestBytes, MediaTypes.OCI_MANIFEST);
        out.add(new Loaded(entry.tags, md, manifest, config));
      }
      return out;
    }
  }

  /**
   * A member read whole (manifest.json, a config): refused when larger than {@link
   * ImageService#MAX_METADATA}, rather than cut and then misread.
   */
  private static byte[] metadata(TarFile tar, TarArchiveEntry e, String what)
      throws IOException, ImageException {
    if (e.getSize() > ImageService.MAX_METADATA) {
      throw ImageException.invalid(
          what + ": " + e.getSize() + " bytes, over the limit of " + ImageService.MAX_METADATA);
    }
    try (InputStream in = tar.getInputStream(e)) {
      return in.readNBytes((int) e.getSize());
    }
  }

  /** Links followed from one member named in manifest.json to the member with the data. */
  static final int MAX_LINK_HOPS = 8;

  /**
   * The regular member {@code name} stands for. docker save (the legacy format, docker 23 and
   * older) writes a layer whose diff id came earlier in the same archive as a symlink {@code ../<v1
   * id>/layer.tar} to the first copy; such a link, or a hard link, is followed to another member of
   * the archive (at most {@link #MAX_LINK_HOPS} times). Only members are ever read: a link that is
   * absolute, climbs out of the archive, or names no member is refused naming it.
   */
  private static TarArchiveEntry member(
      Map<String, TarArchiveEntry> members, String name, String source) throws ImageException {
    String at = name;
    for (int hop = 0; ; hop++) {
      TarArchiveEntry e = members.get(at);
      if (e == null) {
        throw ImageException.invalid(
            source
                + ": manifest.json names missing member "
                + Printable.of(at, 200)
                + (at.equals(name) ? "" : " (through the link " + Printable.of(name, 200) + ")"));
      }
      if (ArchiveMembers.isRegular(e)) return e;
      if (!e.isSymbolicLink() && !e.isLink()) throw notRegular(source, at, e, "");
      if (hop == MAX_LINK_HOPS) {
        throw ImageException.invalid(
            source
                + ": member "
                + Printable.of(name, 200)
                + " leads through more than "
                + MAX_LINK_HOPS
                + " links");
      }
      String next = linkTarget(at, e);
      if (next == null) throw notRegular(source, at, e, ", outside the archive");
      at = next;
    }
  }

  private static ImageException notRegular(
      String source, String name, TarArchiveEntry e, String why) {
    return ImageException.invalid(
        source
            + ": member "
            + Printable.of(name, 200)
            + " is not a regular file ("
            + OciArchive.kind(e)
            + why
            + ")");
  }

  /**
   * The member name a link at {@code name} points to: a symlink's target relative to the link's
   * directory, a hard link's relative to the archive's top; null when it is absolute or climbs
   * above the top.
   */
  static String linkTarget(String name, TarArchiveEntry link) {
    String target = link.getLinkName();
    if (target.isEmpty() || target.startsWith("/")) return null;
    List<String> parts = new ArrayList<>();
    if (link.isSymbolicLink()) {
      String[] dir = name.split("/");
      for (int i = 0; i < dir.length - 1; i++) parts.add(dir[i]);
    }
    for (String p : target.split("/")) {
      if (p.isEmpty() || p.equals(".")) continue;
      if (p.equals("..")) {
        if (parts.isEmpty()) return null;
        parts.removeLast();
      } else {
        parts.add(p);
      }
    }
    return parts.isEmpty() ? null : String.join("/", parts);
  }

  /**
   * Stores one layer tar (gzip or plain) as a blob; its uncompressed digest must be the config's
   * diff id.
   */
  private static Descriptor storeLayer(
      ContentStore content, TarFile tar, TarArchiveEntry e, Digest diffId, String what)
      throws IOException, ImageException {
    boolean gzip;
    try (InputStream in = tar.getInputStream(e)) {
      byte[] magic = in.readNBytes(2);
      gzip = magic.length == 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b;
    }
    MessageDigest raw = Sha256.newDigest();
    MessageDigest plain = Sha256.newDigest();
    try (InputStream in = new DigestInputStream(tar.getInputStream(e), raw)) {
      InputStream un = gzip ? new GZIPInputStream(in, 1 << 16) : in;
      if (gzip) {
        new DigestInputStream(un, plain).transferTo(OutputStream.nullOutputStream());
        in.transferTo(OutputStream.nullOutputStream());
      } else {
        in.transferTo(OutputStream.nullOutputStream());
      }
    }
    Digest blob = Digest.sha256(raw.digest());
    Digest uncompressed = gzip ? Digest.sha256(plain.digest()) : blob;
    if (!uncompressed.equals(diffId)) {
      throw ImageException.invalid(
          what + ": content is " + uncompressed + ", the config says " + diffId);
    }
    Descriptor d =
        new Descriptor(gzip ? MediaTypes.OCI_LAYER_GZIP : MediaTypes.OCI_LAYER, blob, e.getSize());
    try (InputStream in = tar.getInputStream(e)) {
      OciArchive.ingest(content, d, in, what);
    }
    return d;
  }

  private record Entry(String config, List<String> tags, List<String> layers) {}

  private static List<Entry> readManifestJson(byte[] json, String source) throws ImageException {
    return read(
        () -> {
          List<Entry> out = new ArrayList<>();
          try (JsonReader r = JsonReader.of(json, source + ": manifest.json")) {
            r.beginArray();
            while (r.nextElement()) {
              String config = null;
              List<String> tags = List.of();
              List<String> layers = List.of();
              r.beginObject();
              String field;
              while ((field = r.nextField()) != null) {
                switch (field) {
                  case "Config" -> config = r.string();
                  case "RepoTags" -> tags = r.isNull() ? List.of() : r.strings();
                  case "Layers" -> layers = r.strings();
                  default -> r.skip();
                }
              }
              if (config == null) throw r.error("Config is required");
              out.add(new Entry(config, tags, layers));
            }
            r.end();
          }
          return out;
        });
  }

  private interface SpecCall<T> {
    T call() throws SpecException;
  }

  private static <T> T read(SpecCall<T> call) throws ImageException {
    try {
      return call.call();
    } catch (SpecException e) {
      throw ImageException.invalid(e.getMessage());
    }
  }
}
