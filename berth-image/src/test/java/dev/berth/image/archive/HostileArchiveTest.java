package dev.berth.image.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.image.ImageException;
import dev.berth.image.ImageService;
import dev.berth.image.StoreChecks;
import dev.berth.spec.image.Digest;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code berth load} of archives made to reach outside the store: digests and member names that
 * climb or are absolute, members that are symlinks or hard links to host files or directories where
 * a blob should be. Nothing outside the store is read or written, the error names the entry, and
 * the store is left without an image.
 */
class HostileArchiveTest {
  @TempDir Path tmp;
  Path store;
  Path sentinel;
  ImageService service;

  static final String MANIFEST = "application/vnd.oci.image.manifest.v1+json";

  @BeforeEach
  void setUp() throws Exception {
    store = tmp.resolve("store");
    sentinel = Files.createDirectories(tmp.resolve("sentinel"));
    Files.writeString(sentinel.resolve("secret"), "{\"host\":\"file\"}");
    service = StoreChecks.service(store);
  }

  @AfterEach
  void tearDown() throws Exception {
    service.close();
    assertEquals("{\"host\":\"file\"}", Files.readString(sentinel.resolve("secret")));
    try (var s = Files.list(sentinel)) {
      assertEquals(List.of(sentinel.resolve("secret")), s.toList(), "files appeared beside it");
    }
    assertEquals(List.of(), StoreChecks.find(tmp, "escaped"));
    try (var s = Files.walk(store)) { // the store's own links (chain ids) stay inside it
      List<Path> links = s.filter(Files::isSymbolicLink).filter(l -> !insideStore(l)).toList();
      assertEquals(List.of(), links, "symlinks out of the store");
    }
  }

  boolean insideStore(Path link) {
    try {
      return link.getParent().resolve(Files.readSymbolicLink(link)).normalize().startsWith(store);
    } catch (IOException e) {
      return false;
    }
  }

  /** A tar member: a regular file with data, or a symlink, hard link or directory. */
  record Member(String name, byte type, String linkOrData) {
    static Member file(String name, String data) {
      return new Member(name, TarConstants.LF_NORMAL, data);
    }

    static Member symlink(String name, String target) {
      return new Member(name, TarConstants.LF_SYMLINK, target);
    }

    static Member hardlink(String name, String target) {
      return new Member(name, TarConstants.LF_LINK, target);
    }

    static Member dir(String name) {
      return new Member(name, TarConstants.LF_DIR, null);
    }
  }

  Path archive(String name, Member... members) throws IOException {
    Path p = tmp.resolve(name);
    try (OutputStream os = Files.newOutputStream(p);
        TarArchiveOutputStream out = new TarArchiveOutputStream(os)) {
      out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      for (Member m : members) {
        TarArchiveEntry e = new TarArchiveEntry(m.name(), m.type(), true);
        byte[] data = new byte[0];
        if (m.type() == TarConstants.LF_NORMAL) {
          data = m.linkOrData().getBytes(StandardCharsets.ISO_8859_1); // binary layers too
          e.setSize(data.length);
        } else if (m.type() != TarConstants.LF_DIR) {
          e.setLinkName(m.linkOrData());
        }
        e.setMode(m.type() == TarConstants.LF_DIR ? 040755 : 0100644);
        out.putArchiveEntry(e);
        out.write(data);
        out.closeArchiveEntry();
      }
    }
    return p;
  }

  static String index(String digest) {
    return "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\""
        + MANIFEST
        + "\",\"digest\":\""
        + digest
        + "\",\"size\":15}]}";
  }

  static Member layout() {
    return Member.file("oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}");
  }

  String loadFails(Path archive) throws Exception {
    ImageException e = assertThrows(ImageException.class, () -> service.load(archive));
    assertEquals(List.of(), service.list());
    StoreChecks.assertNoLeftovers(store);
    return e.getMessage();
  }

  static final String SOME = Digest.sha256Of("{\"host\":\"file\"}".getBytes()).encoded();

  // ---- oci-archive

  @Test
  void anIndexDigestThatClimbsOrIsAbsoluteIsRefusedNamingIt() throws Exception {
    for (String digest :
        List.of(
            "sha256:../../../sentinel/secret",
            "sha256:/" + "a".repeat(63),
            "../../sentinel:" + SOME,
            "sha256:" + SOME + "/../../x",
            "sha256:" + SOME.toUpperCase())) {
      String msg =
          loadFails(archive("climb.tar", layout(), Member.file("index.json", index(digest))));
      assertTrue(msg.contains("index.json"), msg);
      assertTrue(msg.contains("digest"), msg);
    }
  }

  @Test
  void blobMembersThatAreLinksOrDirectoriesAreNotReadAndTheIndexEntryIsNamedMissing()
      throws Exception {
    String hostFile = sentinel.resolve("secret").toString();
    for (Member bad :
        List.of(
            Member.symlink("blobs/sha256/" + SOME, hostFile),
            Member.symlink("blobs/sha256/" + SOME, "../../sentinel/secret"),
            Member.hardlink("blobs/sha256/" + SOME, hostFile),
            Member.dir("blobs/sha256/" + SOME + "/"))) {
      String msg =
          loadFails(
              archive(
                  "links.tar",
                  layout(),
                  Member.dir("blobs/"),
                  Member.dir("blobs/sha256/"),
                  bad,
                  Member.file("index.json", index("sha256:" + SOME))));
      assertTrue(
          msg.startsWith("links.tar: member blobs/sha256/" + SOME)
              && msg.contains(" is not a regular file ("),
          bad + ": " + msg);
      assertTrue(!Files.exists(store.resolve("content/blobs/sha256/" + SOME)), bad.toString());
    }
  }

  @Test
  void blobMemberNamesThatClimbOrAreAbsoluteWriteNothingOutsideTheStore() throws Exception {
    String escaped = tmp.resolve("escaped").toString();
    for (Member bad :
        List.of(
            Member.file("blobs/sha256/../../../../escaped", "x"),
            Member.file("blobs/../escaped", "x"),
            Member.file(escaped, "x"),
            Member.file("/blobs/sha256/" + SOME, "x"),
            Member.file("blobs/sha256/" + SOME + "/../../../escaped", "x"))) {
      try {
        service.load(
            archive(
                "names.tar", layout(), bad, Member.file("index.json", index("sha256:" + SOME))));
      } catch (ImageException expected) {
        assertTrue(expected.getMessage().contains("names.tar"), expected.getMessage());
      }
      assertEquals(List.of(), service.list());
    }
  }

  /**
   * index.json, a manifest or a config is read whole into the heap: each over {@link
   * ImageService#MAX_METADATA} is refused naming it, in both formats.
   */
  @Test
  void metadataOverTheBoundIsRefusedNamingIt() throws Exception {
    String pad = " ".repeat((int) ImageService.MAX_METADATA + 1);
    String msg =
        loadFails(
            archive("big.tar", layout(), Member.file("index.json", index("sha256:" + SOME) + pad)));
    assertTrue(msg.contains("index.json") && msg.contains("over the limit"), msg);

    // a config blob over the bound, named by a sound manifest
    String config = CONFIG + pad;
    String configHex = Digest.sha256Of(config.getBytes(StandardCharsets.UTF_8)).encoded();
    String manifest =
        "{\"schemaVersion\":2,\"mediaType\":\""
            + MANIFEST
            + "\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
            + "\"digest\":\"sha256:"
            + configHex
            + "\",\"size\":"
            + config.length()
            + "},\"layers\":[]}";
    String manifestHex = Digest.sha256Of(manifest.getBytes(StandardCharsets.UTF_8)).encoded();
    msg =
        loadFails(
            archive(
                "bigconfig.tar",
                layout(),
                Member.file("blobs/sha256/" + configHex, config),
                Member.file("blobs/sha256/" + manifestHex, manifest),
                Member.file(
                    "index.json",
                    index("sha256:" + manifestHex)
                        .replace("\"size\":15", "\"size\":" + manifest.length()))));
    assertTrue(msg.contains(configHex), msg);

    msg =
        loadFails(
            archive(
                "docker.tar",
                Member.file("c.json", config),
                Member.file("manifest.json", manifestJson("c.json", null))));
    assertTrue(msg.contains("c.json") && msg.contains("over the limit"), msg);
  }

  // ---- docker-archive

  static String manifestJson(String config, String tag, String... layers) {
    StringBuilder b = new StringBuilder("[{\"Config\":\"" + config + "\",\"RepoTags\":[");
    if (tag != null) b.append('"').append(tag).append('"');
    b.append("],\"Layers\":[");
    for (int i = 0; i < layers.length; i++) {
      if (i > 0) b.append(',');
      b.append('"').append(layers[i]).append('"');
    }
    return b.append("]}]").toString();
  }

  static final String CONFIG =
      "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";

  @Test
  void dockerArchiveMemberNamesThatClimbAreAbsoluteOrLinksAreRefusedNamingThem() throws Exception {
    String hostFile = sentinel.resolve("secret").toString();
    List<Member[]> cases = new ArrayList<>();
    cases.add(
        new Member[] {Member.file("manifest.json", manifestJson("../sentinel/secret", null))});
    cases.add(new Member[] {Member.file("manifest.json", manifestJson(hostFile, null))});
    cases.add(
        new Member[] {
          Member.symlink("c.json", hostFile),
          Member.file("manifest.json", manifestJson("c.json", null))
        });
    cases.add(
        new Member[] {
          Member.hardlink("c.json", hostFile),
          Member.file("manifest.json", manifestJson("c.json", null))
        });
    cases.add(
        new Member[] {
          Member.dir("c.json/"), Member.file("manifest.json", manifestJson("c.json", null))
        });
    List<String> names = List.of("../sentinel/secret", hostFile, "c.json", "c.json", "c.json");
    for (int i = 0; i < cases.size(); i++) {
      String msg = loadFails(archive("docker.tar", cases.get(i)));
      assertTrue(msg.contains(names.get(i)), msg);
    }
    // a layer member that is a link to a host file or a directory
    for (Member bad :
        List.of(
            Member.symlink("l.tar", hostFile),
            Member.hardlink("l.tar", hostFile),
            Member.dir("l.tar/"))) {
      String config =
          "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:"
              + SOME
              + "\"]}}";
      String msg =
          loadFails(
              archive(
                  "docker.tar",
                  Member.file("c.json", config),
                  bad,
                  Member.file("manifest.json", manifestJson("c.json", null, "l.tar"))));
      assertTrue(msg.contains("l.tar"), bad + ": " + msg);
    }
  }

  @Test
  void dockerArchiveTagsThatAreNotReferencesAreRefusedNamingThem() throws Exception {
    // as written in manifest.json (JSON escapes): the third decodes to a newline
    for (String tag :
        List.of("evil/../../x:tag", "/abs:tag", "a\\nb:tag", "x:" + "t".repeat(200))) {
      String msg =
          loadFails(
              archive(
                  "docker.tar",
                  Member.file("c.json", CONFIG),
                  Member.file("manifest.json", manifestJson("c.json", tag))));
      assertTrue(msg.startsWith("load docker.tar: manifest.json: RepoTags: "), msg);
      assertTrue(msg.contains("\"" + tag + "\""), tag + ": " + msg); // a newline shown as \n
      assertTrue(!msg.contains("\n"), msg);
    }
  }

  /** A layer tar's bytes (as ISO-8859-1 text, for {@link Member#file}) with one file. */
  static String layerTar(String file, String content) throws IOException {
    var bytes = new java.io.ByteArrayOutputStream();
    try (TarArchiveOutputStream out = new TarArchiveOutputStream(bytes)) {
      if (file != null) {
        TarArchiveEntry e = new TarArchiveEntry(file);
        byte[] data = content.getBytes(StandardCharsets.UTF_8);
        e.setSize(data.length);
        e.setMode(0100644);
        out.putArchiveEntry(e);
        out.write(data);
        out.closeArchiveEntry();
      }
    }
    return bytes.toString(StandardCharsets.ISO_8859_1);
  }

  static String configWith(String... diffIds) {
    StringBuilder b = new StringBuilder();
    for (String d : diffIds) b.append(b.isEmpty() ? "" : ",").append('"').append(d).append('"');
    return CONFIG.replace("\"diff_ids\":[]", "\"diff_ids\":[" + b + "]");
  }

  static String diffId(String layer) {
    return "sha256:" + Digest.sha256Of(layer.getBytes(StandardCharsets.ISO_8859_1)).encoded();
  }

  /**
   * docker save (docker 23 and older, Debian's 20.10) writes a layer whose diff id came earlier in
   * the archive as a symlink {@code ../<v1 id>/layer.tar} to the first copy: an image with two
   * identical (e.g. empty) layers loads, as with docker load and podman load.
   */
  @Test
  void dockerSaveLayersLinkedToAnEarlierCopyLoad() throws Exception {
    String files = layerTar("etc/motd", "hi");
    String empty = layerTar(null, null);
    String config = configWith(diffId(files), diffId(empty), diffId(empty));
    String cfgName = Digest.sha256Of(config.getBytes(StandardCharsets.UTF_8)).encoded() + ".json";
    List<String> loaded =
        service.load(
            archive(
                "legacy.tar",
                Member.dir("aaa/"),
                Member.file("aaa/VERSION", "1.0"),
                Member.file("aaa/layer.tar", files),
                Member.dir("bbb/"),
                Member.file("bbb/layer.tar", empty),
                Member.dir("ccc/"),
                Member.symlink("ccc/layer.tar", "../bbb/layer.tar"),
                Member.file(cfgName, config),
                Member.file(
                    "manifest.json",
                    manifestJson(
                        cfgName, "legacy:v1", "aaa/layer.tar", "bbb/layer.tar", "ccc/layer.tar"))));
    assertEquals(1, loaded.size(), loaded.toString());
    assertTrue(loaded.getFirst().contains("legacy:v1"), loaded.toString());
    assertEquals(1, service.list().size());
  }

  /**
   * Links between members are followed only to other members: one that is absolute, climbs out of
   * the archive, names nothing, or loops is refused naming it, and nothing is loaded.
   */
  @Test
  void dockerArchiveLinksThatLeaveTheArchiveLoopOrDangleAreRefusedNamingThem() throws Exception {
    String empty = layerTar(null, null);
    String config = configWith(diffId(empty));
    String hostFile = sentinel.resolve("secret").toString();
    List<Member[]> links =
        List.of(
            new Member[] {Member.symlink("x/layer.tar", "../../sentinel/secret")},
            new Member[] {Member.symlink("x/layer.tar", hostFile)},
            new Member[] {Member.hardlink("x/layer.tar", "../x")},
            new Member[] {Member.symlink("x/layer.tar", "../y/layer.tar")},
            new Member[] {
              Member.symlink("x/layer.tar", "../y/layer.tar"),
              Member.symlink("y/layer.tar", "../x/layer.tar")
            });
    List<String> words =
        List.of(
            "outside the archive",
            "outside the archive",
            "outside the archive",
            "missing member y/layer.tar",
            "more than " + DockerArchive.MAX_LINK_HOPS + " links");
    for (int i = 0; i < links.size(); i++) {
      List<Member> members = new ArrayList<>(List.of(links.get(i)));
      members.add(Member.file("c.json", config));
      members.add(Member.file("manifest.json", manifestJson("c.json", null, "x/layer.tar")));
      String msg = loadFails(archive("links.tar", members.toArray(Member[]::new)));
      assertTrue(msg.contains("x/layer.tar") && msg.contains(words.get(i)), i + ": " + msg);
    }
  }
}
