package dev.berth.cli.berth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.spec.image.MediaTypes.Compression;
import dev.berth.testkit.JsonDocument;
import dev.berth.testkit.RequiresCommand;
import dev.berth.testkit.RequiresRoot;
import dev.berth.testkit.image.ImageConfig;
import dev.berth.testkit.image.LayerTar;
import dev.berth.testkit.image.OciLayoutBuilder;
import dev.berth.testkit.image.Skopeo;
import dev.berth.testkit.image.TarEntry;
import dev.berth.testkit.registry.LocalRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code berth pull}, {@code login} and {@code logout} against Debian's docker-registry, with
 * images that skopeo put there from an OCI layout built here (so a bug in berth push cannot hide
 * one in pull).
 */
@RequiresRoot
@RequiresCommand({"docker-registry", "skopeo", "htpasswd"})
class BerthRegistryCliTest {
  static LocalRegistry registry;
  static OciLayoutBuilder.Image image;
  static OciLayoutBuilder.Image multi;
  static String manifestDigest;
  static Path layout;

  @TempDir Path tmp;
  BerthCli berth;

  @BeforeAll
  static void seed() throws IOException {
    registry = LocalRegistry.anonymous();
    layout = Files.createTempDirectory("berth-clitest-layout");
    OciLayoutBuilder b = new OciLayoutBuilder(layout);
    OciLayoutBuilder.Layer base =
        b.layer(
            new LayerTar().add(TarEntry.dir("etc"), TarEntry.file("etc/hostname", "berth\n")),
            Compression.GZIP);
    OciLayoutBuilder.Layer data =
        b.layer(new LayerTar().randomFiles("data", 2, 4096, 7, 0.5), Compression.GZIP);
    image =
        b.image(
            OciLayoutBuilder.AMD64,
            ImageConfig.empty().withEnv("A=1").withCmd("sh"),
            List.of(base));
    b.tag("1", image.manifest());
    Skopeo.copy("oci:" + layout + ":1", "docker://" + registry.address() + "/test/app:1");
    multi = b.image(OciLayoutBuilder.AMD64, ImageConfig.empty().withCmd("sh"), List.of(base, data));
    b.tag("multi", multi.manifest());
    Skopeo.copy("oci:" + layout + ":multi", "docker://" + registry.address() + "/test/app:multi");
    manifestDigest =
        (String)
            JsonDocument.object(
                    JsonDocument.parse(
                        Skopeo.inspect("docker://" + registry.address() + "/test/app:1")))
                .get("Digest");
  }

  @AfterAll
  static void stop() throws IOException {
    if (registry != null) registry.close();
    if (layout != null) {
      try (var walk = Files.walk(layout)) {
        for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList())
          Files.deleteIfExists(p);
      }
    }
  }

  @BeforeEach
  void setUp() {
    berth = new BerthCli(tmp.resolve("store"));
  }

  private String ref() {
    return registry.address() + "/test/app:1";
  }

  @Test
  void pullPrintsDockersPlainLinesThenTheName() {
    List<String> lines = berth.run("pull", ref()).ok().lines();
    assertEquals("1: Pulling from test/app", lines.get(0), String.join("\n", lines));
    for (OciLayoutBuilder.Layer l : image.layers()) {
      String id = l.blob().digest().encoded().substring(0, 12);
      assertTrue(lines.contains(id + ": Pull complete"), id + " in\n" + String.join("\n", lines));
    }
    assertTrue(lines.contains("Digest: " + manifestDigest), String.join("\n", lines));
    assertEquals("Status: Downloaded newer image for " + ref(), lines.get(lines.size() - 2));
    assertEquals(ref(), lines.get(lines.size() - 1));
    assertEquals(2, berth.run("images").ok().lines().size());

    List<String> again = berth.run("pull", ref()).ok().lines();
    assertEquals(
        "Status: Image is up to date for " + ref(),
        again.get(again.size() - 2),
        String.join("\n", again));
    assertTrue(
        again.stream().noneMatch(l -> l.endsWith("Pull complete")), String.join("\n", again));
  }

  @Test
  void pullOfAnImageWithTwoLayers() {
    String ref = registry.address() + "/test/app:multi";
    List<String> lines = berth.run("pull", ref).ok().lines();
    for (OciLayoutBuilder.Layer l : multi.layers()) {
      String id = l.blob().digest().encoded().substring(0, 12);
      assertTrue(lines.contains(id + ": Pull complete"), id + " in\n" + String.join("\n", lines));
    }
    assertEquals(ref, lines.get(lines.size() - 1));
    Map<String, Object> inspected =
        JsonDocument.object(
            JsonDocument.array(JsonDocument.parse(berth.run("inspect", ref).ok().stdout())).get(0));
    assertEquals(
        multi.diffIds().stream().map(Object::toString).toList(),
        JsonDocument.object(inspected.get("RootFS")).get("Layers"));
  }

  @Test
  void pullQuietPrintsOnlyTheNameAndByDigestWorks() {
    BerthCli.Result q = berth.run("pull", "-q", ref()).ok();
    assertEquals(ref() + "\n", q.stdout());
    assertEquals("", q.stderr());
    String byDigest = registry.address() + "/test/app@" + manifestDigest;
    List<String> lines = berth.run("pull", byDigest).ok().lines();
    assertEquals(manifestDigest + ": Pulling from test/app", lines.get(0));
    assertEquals(byDigest, lines.get(lines.size() - 1));
  }

  @Test
  void pullOfAnImageTheRegistryLacksFailsCleanly() {
    String missing = registry.address() + "/test/nosuch:1";
    BerthCli.Result r = berth.run("pull", missing);
    assertEquals(BerthExit.ERROR, r.exitCode(), r.toString());
    assertEquals(1, r.stderr().lines().count(), r.toString());
    assertEquals("pull " + missing + ": manifest unknown", r.error());
    // Only the name was announced; nothing is stored.
    assertEquals(List.of("1: Pulling from test/nosuch"), r.lines());
    assertEquals(1, berth.run("images").ok().lines().size());

    List<String> noTag = berth.run("pull", registry.address() + "/test/app").lines();
    assertEquals(List.of("Using default tag: latest", "latest: Pulling from test/app"), noTag);
    assertEquals("", berth.run("images", "-q").ok().stdout());
  }

  @Test
  void pullFromAHostThatRefusesOrDoesNotExistIsOneErrorLine() {
    BerthCli.Result refused = berth.run("pull", "127.0.0.1:1/test/app:1");
    assertEquals(BerthExit.ERROR, refused.exitCode(), refused.toString());
    assertEquals(1, refused.stderr().lines().count(), refused.toString());
    assertTrue(
        refused.error().contains("127.0.0.1:1") && refused.error().contains("connection refused"),
        refused.toString());
    BerthCli.Result unknown = berth.run("pull", "nosuchhost.invalid/test/app:1");
    assertEquals(BerthExit.ERROR, unknown.exitCode(), unknown.toString());
    assertEquals(1, unknown.stderr().lines().count(), unknown.toString());
    assertTrue(
        unknown.error().contains("cannot resolve host nosuchhost.invalid"), unknown.toString());
    assertEquals("", berth.run("images", "-q").ok().stdout());
  }

  @Test
  void pullRefusesABadPlatformOrName() {
    BerthCli.Result platform =
        berth.run("pull", "--platform", "linux/amd64/v2/extra", ref()).fails();
    assertTrue(platform.error().startsWith("--platform: "), platform.toString());
    BerthCli.Result name = berth.run("pull", "Test/App:1").fails();
    assertTrue(name.error().contains("Test/App:1"), name.toString());
    assertEquals("", berth.run("images", "-q").ok().stdout());
  }

  @Test
  void aMissingAuthfileIsAnErrorThatNamesItNotIgnored() {
    Path missing = tmp.resolve("no/such/auth.json");
    // The registry asks for no credentials: without the check the pull would succeed with none.
    BerthCli.Result pull = berth.run("pull", "-q", "--authfile", missing.toString(), ref()).fails();
    assertEquals(
        "pull " + ref() + ": read credentials " + missing + ": no such file", pull.error());
    assertEquals("", berth.run("images", "-q").ok().stdout());
    BerthCli.Result logout =
        berth.run("logout", "--authfile", missing.toString(), registry.address()).fails();
    assertTrue(logout.error().contains(missing.toString()), logout.toString());
    assertFalse(Files.exists(missing.getParent()), "nothing created for the missing file");
  }

  @Test
  void loginStoresCredentialsThatPullUsesAndLogoutRemovesThem() throws IOException {
    try (LocalRegistry secured = LocalRegistry.basicAuth()) {
      String host = secured.address();
      Skopeo.copy(
          "oci:" + layout + ":1",
          "docker://" + host + "/test/app:1",
          "--dest-creds",
          secured.user() + ":" + secured.password());
      Path authfile = tmp.resolve("auth/auth.json");
      Files.createDirectories(authfile.getParent());

      BerthCli.Result wrong =
          berth
              .run(
                  "login",
                  "--authfile",
                  authfile.toString(),
                  "-u",
                  secured.user(),
                  "-p",
                  "not-the-password",
                  host)
              .fails();
      assertTrue(wrong.error().startsWith("login " + host + ": "), wrong.toString());
      assertFalse(Files.exists(authfile), "nothing stored for a refused login");

      BerthCli.Result noAuth =
          berth.run("pull", "--authfile", authfile.toString(), host + "/test/app:1");
      assertEquals(BerthExit.ERROR, noAuth.exitCode(), noAuth.toString());

      BerthCli.Result ok =
          berth
              .runWithInput(
                  (secured.password() + "\n").getBytes(StandardCharsets.UTF_8),
                  "login",
                  "--authfile",
                  authfile.toString(),
                  "-u",
                  secured.user(),
                  "--password-stdin",
                  host)
              .ok();
      assertEquals("Login Succeeded\n", ok.stdout());
      assertEquals(
          "rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(authfile)));
      Map<String, Object> auths =
          JsonDocument.object(
              JsonDocument.object(JsonDocument.parse(Files.readString(authfile))).get("auths"));
      assertTrue(auths.containsKey(host), auths.toString());

      berth.run("pull", "-q", "--authfile", authfile.toString(), host + "/test/app:1").ok();

      assertEquals(
          "Removed login credentials for " + host + "\n",
          berth.run("logout", "--authfile", authfile.toString(), host).ok().stdout());
      assertFalse(Files.readString(authfile).contains(host), Files.readString(authfile));
      BerthCli.Result twice = berth.run("logout", "--authfile", authfile.toString(), host).fails();
      assertEquals("not logged in to " + host, twice.error());
    }
  }

  @Test
  void loginWithoutAPasswordAndNoTerminalIsAnError() {
    Path authfile = tmp.resolve("auth.json");
    BerthCli.Result r =
        berth
            .run("login", "--authfile", authfile.toString(), "-u", "someone", registry.address())
            .fails();
    assertTrue(r.error().contains("password"), r.toString());
    BerthCli.Result both =
        berth
            .runWithInput(
                "pw\n".getBytes(StandardCharsets.UTF_8),
                "login",
                "--authfile",
                authfile.toString(),
                "-u",
                "someone",
                "-p",
                "pw",
                "--password-stdin",
                registry.address())
            .fails();
    assertTrue(both.error().contains("--password-stdin"), both.toString());
    assertFalse(Files.exists(authfile));
  }
}
