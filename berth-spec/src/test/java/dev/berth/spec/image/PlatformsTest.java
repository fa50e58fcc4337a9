package dev.berth.spec.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.spec.json.SpecException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PlatformsTest {

  private static Descriptor manifest(char hex, Platform p) {
    return new Descriptor(
        MediaTypes.OCI_MANIFEST,
        Digest.parse("sha256:" + String.valueOf(hex).repeat(64)),
        100,
        null,
        null,
        p,
        null);
  }

  @Test
  void hostIsLinuxWithGoArchitectureName() {
    Platform host = Platforms.host();
    assertEquals("linux", host.os());
    String expected =
        switch (System.getProperty("os.arch")) {
          case "amd64", "x86_64" -> "amd64";
          case "aarch64" -> "arm64";
          default -> host.architecture();
        };
    assertEquals(expected, host.architecture());
    assertEquals(host, Platforms.normalize(host), "host() is in normal form");
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
            linux/amd64        | linux/amd64
            linux/x86_64       | linux/amd64
            Linux/AMD64        | linux/amd64
            linux/amd64/v1     | linux/amd64
            linux/amd64/v3     | linux/amd64/v3
            linux/arm64        | linux/arm64/v8
            linux/aarch64      | linux/arm64/v8
            linux/arm64/8      | linux/arm64/v8
            linux/arm64/v8     | linux/arm64/v8
            linux/arm          | linux/arm/v7
            linux/arm/6        | linux/arm/v6
            linux/armhf        | linux/arm/v7
            linux/armel        | linux/arm/v6
            linux/i386         | linux/386
            linux/386          | linux/386
            linux/ppc64le      | linux/ppc64le
            linux/s390x        | linux/s390x
            linux/riscv64      | linux/riscv64
            arm64              | linux/arm64/v8
            """)
  void parsesAndNormalises(String input, String normal) {
    assertEquals(normal, Platforms.parse(input).toString());
  }

  @Test
  void refusesMalformedPlatforms() {
    for (String bad :
        List.of("", "linux/", "/amd64", "linux/amd64/v8/x", "linux//v8", "linux/amd 64")) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> Platforms.parse(bad));
      assertTrue(e.getMessage().startsWith("invalid platform \"" + bad + "\": "), e.getMessage());
    }
  }

  @ParameterizedTest(name = "want {0}, have {1}: {2}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
            linux/amd64     | linux/amd64     | true
            linux/amd64     | linux/x86_64    | true
            linux/amd64     | linux/amd64/v2  | true
            linux/amd64/v3  | linux/amd64/v2  | true
            linux/amd64/v2  | linux/amd64/v3  | false
            linux/amd64     | linux/arm64     | false
            linux/amd64     | windows/amd64   | false
            linux/arm64     | linux/arm64/v8  | true
            linux/arm64/v8  | linux/aarch64   | true
            linux/arm64     | linux/arm64/v9  | false
            linux/arm/v7    | linux/arm/v6    | true
            linux/arm/v7    | linux/arm/v5    | true
            linux/arm/v6    | linux/arm/v7    | false
            linux/arm       | linux/armhf     | true
            linux/386       | linux/i686      | true
            """)
  void matchesLikeContainerd(String want, String have, boolean matches) {
    Platform w = Platforms.parse(want);
    Platform h = Platforms.parse(have);
    assertEquals(matches, Platforms.matches(w, h));
  }

  @Test
  void matchesRawPlatformsFromManifests() {
    // as they appear in indexes: not normalised, variant left out
    assertTrue(
        Platforms.matches(
            new Platform("linux", "arm64", ""), new Platform("linux", "aarch64", "8")));
    assertTrue(
        Platforms.matches(
            new Platform("linux", "arm64", "v8"), new Platform("linux", "arm64", "")));
    assertFalse(
        Platforms.matches(
            new Platform("linux", "arm64", "v8"), new Platform("linux", "arm", "v7")));
  }

  @Test
  void selectsFromAMultiArchIndex() throws SpecException {
    Index index = ImageJson.readIndex(TestFiles.bytes("oci-index-multiarch.json"), "index");
    assertEquals(
        Digest.parse("sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270"),
        Platforms.select(index, Platforms.parse("linux/amd64")).digest());
    assertEquals(7143, Platforms.select(index, new Platform("linux", "ppc64le", "")).size());
    assertEquals(7702, Platforms.select(index, new Platform("linux", "arm64", "")).size());
    assertEquals(
        7701,
        Platforms.select(index, Platforms.parse("linux/arm/v7")).size(),
        "exact variant first");
    assertEquals(
        7701,
        Platforms.select(index, Platforms.parse("linux/arm/v8")).size(),
        "then the newest older");
    assertEquals(7700, Platforms.select(index, Platforms.parse("linux/arm/v6")).size());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Platforms.select(index, new Platform("linux", "s390x", "")));
    assertEquals(
        "no image for platform linux/s390x in index (available: linux/ppc64le, linux/amd64, "
            + "linux/arm/v6, linux/arm/v7, linux/arm64/v8, unknown/unknown)",
        e.getMessage());
  }

  @Test
  void selectsFromADockerManifestList() throws SpecException {
    Index list = ImageJson.readIndex(TestFiles.bytes("docker-manifest-list.json"), "list");
    assertEquals(
        'b', Platforms.select(list, Platforms.parse("linux/arm64")).digest().encoded().charAt(0));
    assertEquals(
        'a', Platforms.select(list, Platforms.parse("linux/amd64")).digest().encoded().charAt(0));
    assertEquals(
        'c', Platforms.select(list, Platforms.parse("windows/amd64")).digest().encoded().charAt(0));
  }

  @Test
  void prefersThePlatformThatSaysSoOverOneThatSaysNothing() {
    Descriptor unlabelled = manifest('1', null);
    Descriptor amd64 = manifest('2', new Platform("linux", "amd64", ""));
    Index index = Index.oci(List.of(unlabelled, amd64));
    assertEquals(amd64, Platforms.select(index, Platforms.parse("linux/amd64")));
    assertEquals(
        unlabelled,
        Platforms.select(index, Platforms.parse("linux/arm64")),
        "an OCI layout with an unlabelled image: the image's config decides, later");
    Index nested = Index.oci(List.of(new Descriptor(MediaTypes.OCI_INDEX, unlabelled.digest(), 5)));
    assertEquals(
        "no image for platform linux/arm64 in index (available: none)",
        assertThrows(
                IllegalArgumentException.class,
                () -> Platforms.select(nested, new Platform("linux", "arm64", "")))
            .getMessage());
  }
}
