package dev.berth.image.archive;

import dev.berth.image.ImageException;
import dev.berth.image.ImageService;
import dev.berth.image.content.ContentStore;
import dev.berth.image.content.Ingest;
import dev.berth.spec.image.Descriptor;
import dev.berth.spec.image.Digest;
import dev.berth.spec.image.ImageJson;
import dev.berth.spec.image.Index;
import dev.berth.spec.image.Manifest;
import dev.berth.spec.image.MediaTypes;
import dev.berth.spec.json.SpecException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * oci-archive: a tar of an OCI image layout. Saving streams blobs from the content store; loading
 * streams members into it (each blob checked against the digest its path names), so neither holds a
 * layer in memory.
 */
public final class OciArchive {
  /**
   * The annotation that carries a tag (or a full name) in index.json, as skopeo and podman write
   * it.
   */
  public static final String REF_NAME = "org.opencontainers.image.ref.name";

  /** containerd's annotation with the full image name. */
  public static final String IMAGE_NAME = "io.containerd.image.name";

  private OciArchive() {}

  /** Writes the images as one OCI layout tar; names go into the index's annotations. */
  public static void save(ContentStore content, List<SavedImage> images, OutputStream out)
      throws IOException, ImageException {
    Set<Digest> blobs = new LinkedHashSet<>();
    List<Descriptor> entries = new ArrayList<>();
    for (SavedImage image : images) {
      collect(content, image.root(), blobs);
      Map<String, String> ann = new LinkedHashMap<>(image.root().annotations());
      if (image.name() != null) {
        ann.put(IMAGE_NAME, image.name());
        int colon = image.name().lastIndexOf(':');
        ann.put(
            REF_NAME,
            colon > image.name().lastIndexOf('/')
                ? image.name().substring(colon + 1)
                : image.name());
      }
      entries.add(image.root().withAnnotations(ann));
    }
    Index index = new Index(2, MediaTypes.OCI_INDEX, "", entries, null, Map.of());
    try (TarWriting tar = new TarWriting(out)) {
      tar.file("oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8));
      tar.file("index.json", ImageJson.write(index));
      tar.dir("blobs");
      tar.dir("blobs/sha256");
      for (Digest d : blobs) {
        try (InputStream in = content.open(d)) {
          tar.file("blobs/" + d.algorithm() + "/" + d.encoded(), content.size(d), in);
        }
      }
    }
  }

  /** Every blob an index or manifest reaches, children before parents. */
  static void collect(ContentStore content, Descriptor d, Set<Digest> into)
      throws IOException, ImageException {
    try {
      if (MediaTypes.isIndex(d.mediaType())) {
        Index index =
            ImageJson.readIndex(
                content.read(d.digest(), ImageService.MAX_METADATA), d.digest().toString());
        for (Descriptor m : index.manifests()) collect(content, m, into);
      } else if (MediaTypes.isManifest(d.mediaType())) {
        Manifest m =
            ImageJson.readManifest(
                content.read(d.digest(), ImageService.MAX_METADATA), d.digest().toString());
        for (Descriptor l : m.layers()) into.add(l.digest());
        into.add(m.config().digest());
      }
    } catch (SpecException e) {
      throw ImageException.invalid("read " + d.digest() + ": " + e.getMessage());
    }
    if (!content.exists(d.digest())) {
      throw ImageException.notFound("blob " + d.digest() + " is not in the local store");
    }
    into.add(d.digest());
  }

  /**
   * Reads an OCI layout tar into the content store and returns its index (the caller names and
   * unpacks the images it lists). Members other than oci-layout, index.json and blobs are ignored;
   * a blob whose content does not match its name is refused and not stored.
   */
  public static Index load(ContentStore content, InputStream archive, String source)
      throws IOException, ImageException {
    byte[] indexJson = null;
    boolean layoutSeen = false;
    TarArchiveInputStream tar = new TarArchiveInputStream(archive, 1 << 16);
    TarArchiveEntry e;
    while ((e = tar.getNextEntry()) != null) {
      String name = e.getName();
      while (name.startsWith("./")) name = name.substring(2);
      if (!ArchiveMembers.isRegular(e)) {
        // blobs/ and blobs/<alg>/ may be directories; a link, device or directory where a blob
        // or the index should be is refused by name rather than left to fail as a missing blob
        String bare = name.endsWith("/") ? name.substring(0, name.length() - 1) : name;
        boolean blobDir = e.isDirectory() && bare.split("/").length <= 2;
        if ((bare.startsWith("blobs/") && !blobDir)
            || bare.equals("index.json")
            || bare.equals("oci-layout")) {
          throw ImageException.invalid(
              source + ": member " + name + " is not a regular file (" + kind(e) + ")");
        }
        continue;
      }
      if (name.equals("index.json")) {
        if (e.getSize() > ImageService.MAX_METADATA) {
          throw ImageException.invalid(
              source
                  + ": index.json: "
                  + e.getSize()
                  + " bytes, over the limit of "
                  + ImageService.MAX_METADATA);
        }
        indexJson = tar.readNBytes((int) e.getSize());
      } else if (name.equals("oci-layout")) {
        layoutSeen = true;
      } else if (name.startsWith("blobs/")) {
        String[] parts = name.split("/");
        if (parts.length != 3) continue;
        Digest d;
        try {
          d = new Digest(parts[1], parts[2]);
        } catch (IllegalArgumentException bad) {
          throw ImageException.invalid(source + ": member " + name + ": " + bad.getMessage());
        }
        ingest(content, new Descriptor("", d, e.getSize()), tar, source + ": member " + name);
      }
    }
    if (!layoutSeen || indexJson == null) {
      throw ImageException.invalid(source + ": not an OCI archive (no oci-layout or index.json)");
    }
    try {
      return ImageJson.readIndex(indexJson, source + ": index.json");
    } catch (SpecException bad) {
      throw ImageException.invalid(bad.getMessage());
    }
  }

  /** What a member that is not a regular file is, for errors. */
  static String kind(TarArchiveEntry e) {
    if (e.isSymbolicLink())
      return "a symlink to " + dev.berth.spec.error.Printable.of(e.getLinkName(), 200);
    if (e.isLink())
      return "a hard link to " + dev.berth.spec.error.Printable.of(e.getLinkName(), 200);
    if (e.isDirectory()) return "a directory";
    if (e.isCharacterDevice() || e.isBlockDevice()) return "a device";
    if (e.isFIFO()) return "a fifo";
    return "of tar type " + (char) e.getLinkFlag();
  }

  static void ingest(ContentStore content, Descriptor d, InputStream in, String what)
      throws IOException, ImageException {
    try (Ingest ingest = content.ingest(d)) {
      if (ingest.alreadyCommitted()) return;
      if (ingest.offset() > 0) ingest.restart();
      OutputStream out = ingest.outputStream();
      long copied = in.transferTo(out);
      out.flush();
      if (copied != d.size()) {
        throw ImageException.invalid(what + ": " + copied + " bytes, header says " + d.size());
      }
      try {
        ingest.commit();
      } catch (IOException mismatch) {
        throw ImageException.invalid(what + ": " + mismatch.getMessage());
      }
    }
  }
}
