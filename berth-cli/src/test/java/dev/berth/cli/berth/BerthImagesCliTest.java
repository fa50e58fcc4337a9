package dev.berth.cli.berth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.spec.image.Descriptor;
import dev.berth.spec.image.MediaTypes;
import dev.berth.spec.image.MediaTypes.Compression;
import dev.berth.spec.json.JsonWriter;
import dev.berth.testkit.JsonDocument;
import dev.berth.testkit.RequiresRoot;
import dev.berth.testkit.image.LayerTar;
import dev.berth.testkit.image.OciLayoutBuilder;
import dev.berth.testkit.image.TarEntry;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local verbs of {@code berth} as a docker or podman user relies on them: import, images, tag,
 * rmi, inspect, save, load, the {@code image} management command, and the global flags. No
 * registry: images come from {@code import} and from an oci-archive written here.
 */
@RequiresRoot
class BerthImagesCliTest {
  private static final Pattern ID = Pattern.compile("sha256:[0-9a-f]{64}");

  @TempDir Path tmp;
  BerthCli berth;
  Path rootfs;

  @BeforeEach
  void setUp() throws IOException {
    berth = new BerthCli(tmp.resolve("store"));
    rootfs = tmp.resolve("rootfs.tar");
    writeTar(
        rootfs,
        new LayerTar()
            .add(
                TarEntry.dir("etc"),
                TarEntry.file("etc/hostname", "berth\n"),
                TarEntry.dir("bin"),
                TarEntry.file("bin/hello", "#!/bin/sh\necho hello\n")));
  }

  private static void writeTar(Path file, LayerTar tar) throws IOException {
    try (OutputStream out = Files.newOutputStream(file)) {
      tar.writeTo(out);
    }
  }

  /** Imports the rootfs as {@code name} and returns the id that import printed. */
  private String imported(String name) {
    String id = berth.run("import", rootfs.toString(), name).ok().stdout().strip();
    assertTrue(ID.matcher(id).matches(), id);
    return id;
  }

  @Test
  void importFromFileAndStdinPrintsTheIdOnly() throws IOException {
    BerthCli.Result fromFile = berth.run("import", rootfs.toString(), "test/app:1").ok();
    assertTrue(ID.matcher(fromFile.stdout().strip()).matches(), fromFile.toString());
    assertEquals(1, fromFile.lines().size(), fromFile.toString());
    assertEquals("", fromFile.stderr());
    BerthCli.Result fromStdin =
        berth.runWithInput(Files.readAllBytes(rootfs), "import", "-", "test/app:2").ok();
    assertTrue(ID.matcher(fromStdin.stdout().strip()).matches(), fromStdin.toString());
    String ids = berth.run("images", "-q", "--no-trunc").ok().stdout();
    assertTrue(
        ids.contains(fromFile.stdout().strip()) && ids.contains(fromStdin.stdout().strip()), ids);
    BerthCli.Result none =
        berth.run("import", tmp.resolve("missing.tar").toString(), "test/app:3").fails();
    assertTrue(none.error().contains("missing.tar"), none.toString());
    assertEquals("", berth.run("images", "-q", "test/app:3").ok().stdout());
  }

  @Test
  void mountShowsTheImagesFilesReadOnlyAndHoldsTheImage() throws IOException {
    imported("test/app:1");
    Path dir = Path.of(berth.run("image", "mount", "test/app:1").ok().stdout().strip());
    try {
      assertEquals("berth\n", Files.readString(dir.resolve("etc/hostname")));
      assertTrue(Files.isRegularFile(dir.resolve("bin/hello")));
      assertThrows(
          IOException.class,
          () -> Files.writeString(dir.resolve("etc/new"), "x"),
          "the mount is read-only");
      // Mounting again gives the same directory; removing a mounted image is refused.
      assertEquals(dir.toString(), berth.run("image", "mount", "test/app:1").ok().stdout().strip());
      BerthCli.Result busy = berth.run("rmi", "test/app:1").fails();
      assertTrue(busy.error().contains("mounted"), busy.toString());
    } finally {
      berth.run("image", "unmount", "test/app:1").ok();
    }
    assertFalse(Files.exists(dir), "unmount removes the mount point");
    assertTrue(berth.run("image", "unmount", "test/app:1").fails().error().contains("not mounted"));
    berth.run("rmi", "test/app:1").ok();
    // rmi collected already: nothing is left for prune
    assertEquals(
        List.of(
            "Deleted 0 blobs, 0 snapshots and 0 partial downloads", "Total reclaimed space: 0B"),
        berth.run("image", "prune").ok().lines());
  }

  @Test
  void imagesTableHasDockersColumnsAligned() {
    String id = imported("test/app:1");
    berth.run("tag", "test/app:1", "127.0.0.1:5000/other/name:v2").ok();
    List<String> lines = berth.run("images").ok().lines();
    assertEquals(3, lines.size(), String.join("\n", lines));
    String header = lines.get(0);
    assertTrue(header.matches("REPOSITORY +TAG +IMAGE ID +CREATED +SIZE"), header);
    String short12 = id.substring(7, 19);
    for (String row : lines.subList(1, 3)) {
      // Each value starts under its heading, as docker's tabwriter lines them up.
      assertEquals(short12, row.substring(header.indexOf("IMAGE ID")).split(" ")[0], row);
      assertTrue(
          row.substring(header.indexOf("CREATED"))
              .matches("(Less than a second|\\d+ seconds) ago +\\S+B"),
          row);
    }
    assertTrue(
        lines.stream().anyMatch(l -> l.matches("test/app +1 +" + short12 + " .*")),
        String.join("\n", lines));
    assertTrue(
        lines.stream()
            .anyMatch(l -> l.matches("127\\.0\\.0\\.1:5000/other/name +v2 +" + short12 + " .*")),
        String.join("\n", lines));
    assertEquals(
        3,
        berth.run("images", "-a").ok().lines().size(),
        "-a: berth has no intermediate images to add");
  }

  @Test
  void quietListsEachIdOnceAndNoTruncPrintsWholeIds() {
    String a = imported("test/app:1");
    berth.run("tag", "test/app:1", "test/app:2").ok();
    berth.run("tag", "test/app:1", "test/other").ok();
    String b =
        berth
            .runWithInput(new byte[0], "import", rootfs.toString(), "test/b:1")
            .ok()
            .stdout()
            .strip();
    assertNotEquals(a, b, "two imports at different times are two images");
    List<String> quiet = berth.run("images", "-q").ok().lines();
    assertEquals(2, quiet.size(), quiet.toString());
    assertTrue(
        quiet.contains(a.substring(7, 19)) && quiet.contains(b.substring(7, 19)), quiet.toString());
    assertEquals(
        List.of(a, b).stream().sorted().toList(),
        berth.run("images", "-q", "--no-trunc").ok().lines().stream().sorted().toList());
    assertTrue(berth.run("images", "--no-trunc").ok().stdout().contains(" " + a + " "));
    // A repository argument filters; with a tag, one row.
    assertEquals(List.of(a.substring(7, 19)), berth.run("images", "-q", "test/app").ok().lines());
    assertEquals(3, berth.run("images", "test/app").ok().lines().size());
    assertEquals(2, berth.run("images", "test/app:2").ok().lines().size());
    assertEquals(1, berth.run("images", "no/such").ok().lines().size(), "only the header");
  }

  @Test
  void imagesFormatJsonIsValidJsonWithOneEntryPerImage() {
    String id = imported("test/app:1");
    berth.run("tag", "test/app:1", "test/app:2").ok();
    List<Object> all =
        JsonDocument.array(
            JsonDocument.parse(berth.run("images", "--format", "json").ok().stdout()));
    assertEquals(1, all.size(), all.toString());
    Map<String, Object> image = JsonDocument.object(all.get(0));
    assertEquals(id.substring(7), image.get("Id"));
    assertEquals(
        List.of("docker.io/test/app:1", "docker.io/test/app:2"),
        JsonDocument.array(image.get("Names")).stream().sorted().toList());
    assertTrue(ID.matcher((String) image.get("Digest")).matches(), image.toString());
    assertTrue((Long) image.get("Size") > 0, image.toString());
    assertEquals(
        List.of(),
        JsonDocument.array(
            JsonDocument.parse(berth.run("images", "--format", "json", "no/such").ok().stdout())));
    assertTrue(berth.run("images", "--format", "yaml").fails().error().contains("--format"));
  }

  @Test
  void digestsColumnShowsTheManifestDigestThatInspectReports() {
    imported("test/app:1");
    List<String> lines = berth.run("images", "--digests").ok().lines();
    assertTrue(
        lines.get(0).matches("REPOSITORY +TAG +DIGEST +IMAGE ID +CREATED +SIZE"), lines.get(0));
    Map<String, Object> inspected =
        JsonDocument.object(
            JsonDocument.array(JsonDocument.parse(berth.run("inspect", "test/app:1").ok().stdout()))
                .get(0));
    assertTrue(
        lines
            .get(1)
            .matches("test/app +1 +" + Pattern.quote((String) inspected.get("Digest")) + " .*"),
        lines.get(1));
  }

  @Test
  void tagAndRmiPrintDockersLines() {
    String id = imported("test/app:1");
    BerthCli.Result tag = berth.run("tag", id.substring(7, 19), "test/app:2").ok();
    assertEquals("", tag.stdout() + tag.stderr(), "tag prints nothing");
    assertEquals(List.of("Untagged: test/app:2"), berth.run("rmi", "test/app:2").ok().lines());
    assertEquals(
        List.of("Untagged: test/app:1", "Deleted: " + id),
        berth.run("rmi", "test/app:1").ok().lines());
    assertEquals("", berth.run("images", "-q").ok().stdout());
    // The image's blobs and snapshot went with it.
    BerthCli.Result again = berth.run("image", "inspect", id).fails();
    assertTrue(again.error().contains("not found"), again.toString());
  }

  @Test
  void rmiOfAnUnknownImageExits1AsPodman() {
    imported("test/app:1");
    // podman rmi: 1 when an image did not exist and nothing else failed, so scripts can tell
    // "already gone".
    BerthCli.Result r = berth.run("rmi", "test/nosuch").fails(1);
    assertEquals("image \"test/nosuch\" not found", r.error());
    assertEquals(1, r.stderr().lines().count(), r.toString());
    assertEquals(1, berth.run("images", "-q").ok().lines().size(), "nothing else removed");
    berth.run("image", "rm", "test/nosuch").fails(1);
    // Any other failure of rmi is podman's 125, and so is a missing image for the other image
    // verbs.
    berth.run("image", "inspect", "test/nosuch").fails();
    berth.run("tag", "test/nosuch", "test/other:1").fails();
  }

  @Test
  void rmiOfAnIdWithTwoNamesNeedsForce() {
    String id = imported("test/app:1");
    berth.run("tag", "test/app:1", "test/copy:1").ok();
    BerthCli.Result refused =
        berth.run("rmi", id.substring(7, 19)).fails(); // 125, as podman's refusal
    assertTrue(refused.error().contains("must be forced"), refused.toString());
    assertEquals(2, berth.run("images").ok().lines().size() - 1, "both names kept");
    List<String> lines = berth.run("rmi", "-f", id.substring(7, 19)).ok().lines();
    assertEquals(List.of("Deleted: " + id), lines.subList(2, 3));
    assertEquals(
        List.of("Untagged: test/app:1", "Untagged: test/copy:1"),
        lines.subList(0, 2).stream().sorted().toList());
    assertEquals(1, berth.run("images").ok().lines().size(), "only the header");
  }

  @Test
  void imageManagementCommandReachesTheSameVerbs() {
    String id = imported("test/app:1");
    assertEquals(
        berth.run("images", "-q").ok().stdout(), berth.run("image", "ls", "-q").ok().stdout());
    assertEquals(
        berth.run("images", "-q").ok().stdout(), berth.run("image", "list", "-q").ok().stdout());
    assertEquals(
        berth.run("inspect", "test/app:1").ok().stdout(),
        berth.run("image", "inspect", "test/app:1").ok().stdout());
    assertEquals(
        List.of("Untagged: test/app:1", "Deleted: " + id),
        berth.run("image", "rm", "test/app:1").ok().lines());
    String help = berth.run("image", "--help").ok().stdout();
    for (String verb :
        List.of("ls", "rm", "inspect", "pull", "push", "tag", "save", "load", "import", "prune")) {
      assertTrue(help.contains("\n   " + verb), verb + " missing from:\n" + help);
    }
    BerthCli.Result unknown = berth.run("image", "frob");
    assertEquals(BerthExit.ERROR, unknown.exitCode(), unknown.toString());
    assertEquals("unknown command \"frob\" for \"berth image\"", unknown.error());
  }

  @Test
  void inspectShowsDockersFieldsWithNullVersusEmptyCmd() throws IOException {
    // An oci-archive with two images: one without Env and Cmd, one with Env and "Cmd": [].
    OciLayoutBuilder b = new OciLayoutBuilder(tmp.resolve("layout"));
    OciLayoutBuilder.Layer layer =
        b.layer(new LayerTar().add(TarEntry.file("hello", "hi\n")), Compression.GZIP);
    Descriptor bare = manifest(b, layer, "");
    Descriptor withEmptyCmd = manifest(b, layer, "\"Env\":[\"A=1\"],\"Cmd\":[],");
    b.tag("test/bare:1", bare).tag("test/emptycmd:1", withEmptyCmd);
    Path archive = tmp.resolve("two.tar");
    writeTar(archive, new LayerTar().tree(b.dir()));
    assertEquals(
        List.of("Loaded image: test/bare:1", "Loaded image: test/emptycmd:1"),
        berth.run("load", "-i", archive.toString()).ok().lines());

    List<Object> both =
        JsonDocument.array(
            JsonDocument.parse(
                berth.run("inspect", "test/bare:1", "test/emptycmd:1").ok().stdout()));
    assertEquals(2, both.size());
    Map<String, Object> first = JsonDocument.object(both.get(0));
    assertTrue(ID.matcher((String) first.get("Id")).matches(), first.toString());
    assertEquals(List.of("test/bare:1"), first.get("RepoTags"));
    assertEquals(List.of("docker.io/test/bare@" + bare.digest()), first.get("RepoDigests"));
    assertEquals("linux", first.get("Os"));
    Map<String, Object> config = JsonDocument.object(first.get("Config"));
    assertTrue(config.containsKey("Cmd") && config.containsKey("Env"), config.toString());
    assertNull(config.get("Cmd"), "no Cmd in the image: null, as docker");
    assertNull(config.get("Env"), "no Env in the image: null, as docker");
    Map<String, Object> rootfs = JsonDocument.object(first.get("RootFS"));
    assertEquals("layers", rootfs.get("Type"));
    assertEquals(List.of(layer.diffId().toString()), rootfs.get("Layers"));

    Map<String, Object> second =
        JsonDocument.object(JsonDocument.object(both.get(1)).get("Config"));
    assertEquals(List.of(), second.get("Cmd"), "\"Cmd\": [] stays []");
    assertEquals(List.of("A=1"), second.get("Env"));

    BerthCli.Result missing = berth.run("image", "inspect", "test/bare:1", "test/nosuch").fails();
    assertEquals("image \"test/nosuch\" not found", missing.error());
    assertTrue(
        berth
            .run("image", "inspect", "--format", "{{.Id}}", "test/bare:1")
            .fails()
            .error()
            .contains("--format"));
    // berth inspect (containers and images) answers as docker's: what it found ([] here), each
    // missing one named on
    // stderr, exit 1.
    BerthCli.Result docker = berth.run("inspect", "test/nosuch");
    assertEquals(1, docker.exitCode(), docker.toString());
    assertEquals("[]\n", docker.stdout());
    assertEquals("Error: No such object: test/nosuch\n", docker.stderr());
  }

  /**
   * A manifest whose config has the raw {@code configFields} ("" or "\"Cmd\":[],") and one layer.
   */
  private static Descriptor manifest(
      OciLayoutBuilder b, OciLayoutBuilder.Layer layer, String configFields) {
    String config =
        "{\"created\":\""
            + OciLayoutBuilder.CREATED
            + "\",\"architecture\":\"amd64\",\"os\":\"linux\","
            + "\"config\":{"
            + (configFields.isEmpty() ? "" : configFields.substring(0, configFields.length() - 1))
            + "},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\""
            + layer.diffId()
            + "\"]}}";
    Descriptor cfg = b.writeBlob(MediaTypes.OCI_CONFIG, config.getBytes());
    JsonWriter w = new JsonWriter(JsonWriter.COMPACT);
    w.beginObject().field("schemaVersion", 2).field("mediaType", MediaTypes.OCI_MANIFEST);
    w.name("config")
        .beginObject()
        .field("mediaType", cfg.mediaType())
        .field("digest", cfg.digest().toString())
        .field("size", cfg.size())
        .endObject();
    w.name("layers")
        .beginArray()
        .beginObject()
        .field("mediaType", layer.blob().mediaType())
        .field("digest", layer.blob().digest().toString())
        .field("size", layer.blob().size())
        .endObject()
        .endArray();
    w.endObject();
    return b.writeBlob(MediaTypes.OCI_MANIFEST, w.toByteArray());
  }

  @Test
  void saveThenLoadIntoAnotherRootInBothFormats() {
    String id = imported("test/app:1");
    for (String format : List.of("docker-archive", "oci-archive")) {
      Path archive = tmp.resolve(format + ".tar");
      BerthCli.Result save =
          berth.run("save", "--format", format, "-o", archive.toString(), "test/app:1").ok();
      assertEquals("", save.stdout() + save.stderr());
      assertTrue(Files.isRegularFile(archive));
      BerthCli other = new BerthCli(tmp.resolve("other-" + format));
      assertEquals(
          List.of("Loaded image: test/app:1"),
          other.run("load", "-i", archive.toString()).ok().lines(),
          format);
      assertEquals(List.of(id), other.run("images", "-q", "--no-trunc").ok().lines(), format);
      assertEquals(
          "", other.run("load", "-q", "-i", archive.toString()).ok().stdout(), "-q: " + format);
    }
    Path bad = tmp.resolve("bad.tar");
    assertTrue(
        berth
            .run("save", "--format", "tarball", "-o", bad.toString(), "test/app:1")
            .fails()
            .error()
            .contains("--format"));
    assertFalse(Files.exists(bad), "nothing written for a bad format");
    BerthCli.Result unknown = berth.run("save", "-o", bad.toString(), "test/nosuch").fails();
    assertTrue(unknown.error().contains("test/nosuch"), unknown.toString());
    assertFalse(Files.exists(bad), "a failed save leaves no archive");
    try (var files = Files.list(tmp)) {
      assertEquals(
          List.of(),
          files.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList(),
          "no temp file left beside the target");
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    // A directory that is not there: the error names the file asked for, and nothing is left
    // anywhere.
    Path nowhere = tmp.resolve("missing/x.tar");
    BerthCli.Result noDir = berth.run("save", "-o", nowhere.toString(), "test/app:1").fails();
    assertEquals(
        "save to " + nowhere + ": directory " + nowhere.getParent() + " does not exist",
        noDir.error());
    assertFalse(Files.exists(nowhere.getParent()));
    Path dirTarget = tmp.resolve("a-dir");
    try {
      Files.createDirectories(dirTarget);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    BerthCli.Result isDir = berth.run("save", "-o", dirTarget.toString(), "test/app:1").fails();
    assertEquals("save to " + dirTarget + ": is a directory", isDir.error());
    try (var files = Files.list(tmp)) {
      assertEquals(
          List.of(),
          files.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList(),
          "no temp file left beside the target");
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    BerthCli.Result notArchive = berth.run("load", "-i", rootfs.toString()).fails();
    assertTrue(
        notArchive.error().contains("rootfs.tar") && notArchive.error().contains("archive"),
        notArchive.toString());
    assertTrue(
        berth
            .run("load", "-i", tmp.resolve("missing.tar").toString())
            .fails()
            .error()
            .contains("missing.tar"));
  }

  @Test
  void loadReadsAnArchiveFromStdin() throws IOException {
    imported("test/app:1");
    Path archive = tmp.resolve("saved.tar");
    berth.run("save", "-o", archive.toString(), "test/app:1").ok();
    BerthCli other = new BerthCli(tmp.resolve("other"));
    assertEquals(
        List.of("Loaded image: test/app:1"),
        other.runWithInput(Files.readAllBytes(archive), "load").ok().lines());
  }

  @Test
  void rootSelectsTheStoreAndTwoRootsAreIndependent() {
    imported("test/app:1");
    BerthCli other = new BerthCli(tmp.resolve("second"));
    assertEquals(1, other.run("images").ok().lines().size(), "the other root has no images");
    other.run("import", rootfs.toString(), "test/second:1").ok();
    assertTrue(berth.run("images", "-q", "test/second").ok().stdout().isEmpty());
    assertEquals(1, berth.run("images", "-q").ok().lines().size());
    other.run("rmi", "test/second:1").ok();
    assertEquals(
        1, berth.run("images", "-q").ok().lines().size(), "rmi in one root leaves the other alone");
  }

  @Test
  void helpListsTheCommands() {
    BerthCli.Result help = BerthCli.inProcess(java.io.InputStream.nullInputStream(), "--help");
    assertEquals(0, help.exitCode());
    for (String verb :
        List.of(
            "pull", "push", "images", "rmi", "tag", "save", "load", "import", "inspect", "login",
            "logout", "image")) {
      assertTrue(
          help.stdout().contains("\n   " + verb + " "), verb + " missing from:\n" + help.stdout());
    }
    String imagesHelp = berth.run("images", "--help").ok().stdout();
    assertTrue(imagesHelp.contains("--no-trunc") && imagesHelp.contains("--digests"), imagesHelp);
  }

  @Test
  void usageErrorsExit125WithTheErrorOnStderrOnly() {
    BerthCli.Result cmd = berth.run("frobnicate").fails();
    assertEquals("unknown command \"frobnicate\" for \"berth\"", cmd.error());
    BerthCli.Result flag = berth.run("images", "--bogus").fails();
    assertTrue(flag.error().contains("bogus"), flag.toString());
    assertTrue(flag.stderr().contains("See 'berth images --help'."), flag.toString());
    BerthCli.Result args = berth.run("rmi").fails();
    assertTrue(args.error().contains("rmi"), args.toString());
    BerthCli.Result global =
        BerthCli.inProcess(java.io.InputStream.nullInputStream(), "--nosuch", "images").fails();
    assertTrue(global.error().contains("nosuch"), global.toString());
  }
}
