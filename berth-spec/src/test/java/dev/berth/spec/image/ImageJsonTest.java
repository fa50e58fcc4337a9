package dev.berth.spec.image;

import static dev.berth.spec.image.TestFiles.bytes;
import static dev.berth.spec.image.TestFiles.string;
import static dev.berth.spec.image.TestFiles.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.spec.json.SpecException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ImageJsonTest {
  private static final Digest A = Digest.parse("sha256:" + "a".repeat(64));
  private static final Digest B = Digest.parse("sha256:" + "b".repeat(64));

  // ---- Go compatibility: documents written by umoci (Go, image-spec structs) come back byte for
  // byte ----

  // umoci writes with Go's json.Encoder, which ends the document with a newline; json.Marshal
  // (containerd,
  // skopeo) and we do not. Everything before it must be identical.
  private static String goMarshal(byte[] encoderOutput) {
    String s = string(encoderOutput);
    assertTrue(s.endsWith("}\n"), "fixture written by json.Encoder");
    return s.substring(0, s.length() - 1);
  }

  @Test
  void umociManifestIsWrittenBackByteForByte() throws SpecException {
    byte[] original = bytes("umoci-manifest.json");
    Manifest m = ImageJson.readManifest(original, "manifest");
    assertEquals(2, m.schemaVersion());
    assertEquals("", m.mediaType());
    assertEquals(
        new Descriptor(
            MediaTypes.OCI_CONFIG,
            Digest.parse("sha256:7821ab2b3a1fcd7d4f33c955075012fb4252594c76624317b6c8b6d9ce37fcab"),
            673),
        m.config());
    assertEquals(MediaTypes.OCI_LAYER_GZIP, m.layers().getFirst().mediaType());
    assertEquals(126, m.layers().getFirst().size());
    assertEquals(Map.of("org.opencontainers.image.title", "t"), m.annotations());
    assertEquals(goMarshal(original), string(ImageJson.write(m)));
    assertEquals(
        Digest.sha256Of(utf8(goMarshal(original) + "\n")),
        Digest.parse("sha256:b2d2c1dac5cdea332b97a3e627da93d21c7a64f9e266d3d0b333fc559c41b869"));
  }

  @Test
  void umociConfigIsWrittenBackByteForByte() throws SpecException {
    byte[] original = bytes("umoci-config.json");
    ImageConfig c = ImageJson.readConfig(original, "config");
    assertEquals("2026-11-23T21:44:08.719148288Z", c.created());
    assertEquals("me", c.author());
    assertEquals(new Platform("linux", "arm64", ""), c.platform());
    ImageConfig.ContainerConfig cc = c.config();
    assertEquals("1:2", cc.user());
    assertEquals(Set.of("80/tcp"), cc.exposedPorts());
    assertEquals(List.of("A=1"), cc.env());
    assertEquals(List.of("sh"), cc.entrypoint());
    assertEquals(List.of("true"), cc.cmd());
    assertEquals(Set.of("/data"), cc.volumes());
    assertEquals("/w", cc.workingDir());
    assertEquals(Map.of("a", "b"), cc.labels());
    assertEquals("SIGTERM", cc.stopSignal());
    assertEquals("layers", c.rootfs().type());
    assertEquals(
        List.of(
            Digest.parse(
                "sha256:21b3a1aa943218f8dbc9dfeca5dc035786e71c047fe53c9700906708a0ef6ac5")),
        c.rootfs().diffIds());
    assertEquals(3, c.history().size());
    assertEquals(
        new ImageConfig.History("2026-11-23T21:44:13.307451466Z", "umoci insert", "", "", false),
        c.history().get(1));
    assertTrue(c.history().get(2).emptyLayer());
    assertEquals(goMarshal(original), string(ImageJson.write(c)));
  }

  @Test
  void umociLayoutIndexIsWrittenBackByteForByte() throws SpecException {
    byte[] original = bytes("umoci-index.json");
    Index index = ImageJson.readIndex(original, "index.json");
    assertEquals(1, index.manifests().size());
    assertEquals(
        "t", index.manifests().getFirst().annotations().get("org.opencontainers.image.ref.name"));
    assertEquals(goMarshal(original), string(ImageJson.write(index)));
  }

  @Test
  void dockersHealthcheckIsReadAndWrittenBack() throws SpecException {
    // as `docker build` writes HEALTHCHECK --interval=5s --start-period=1s CMD test -f /ok
    String go =
        "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Healthcheck\":"
            + "{\"Test\":[\"CMD\",\"test\",\"-f\",\"/ok\"],\"Interval\":5000000000,"
            + "\"StartPeriod\":1000000000,\"Retries\":2}},"
            + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";
    ImageConfig c = ImageJson.readConfig(utf8(go), "config");
    Healthcheck h = c.config().healthcheck();
    assertEquals(
        new Healthcheck(
            List.of("CMD", "test", "-f", "/ok"), 5_000_000_000L, 0, 1_000_000_000L, 0, 2),
        h);
    assertEquals(List.of("test", "-f", "/ok"), h.argv());
    assertEquals(Healthcheck.DEFAULT_TIMEOUT, h.timeoutOrDefault());
    assertEquals(go, string(ImageJson.write(c)));
    assertEquals(
        List.of("/bin/sh", "-c", "curl -f localhost || exit 1"),
        new Healthcheck(List.of("CMD-SHELL", "curl -f localhost || exit 1"), 0, 0, 0, 0, 0).argv());
    // the container's fields over the image's; NONE disables
    Healthcheck merged =
        Healthcheck.merge(h, new Healthcheck(List.of(), 0, 3_000_000_000L, 0, 0, 5));
    assertEquals(
        new Healthcheck(
            List.of("CMD", "test", "-f", "/ok"),
            5_000_000_000L,
            3_000_000_000L,
            1_000_000_000L,
            0,
            5),
        merged);
    assertTrue(Healthcheck.merge(h, Healthcheck.NONE).disabled());
    assertEquals(List.of(), Healthcheck.merge(h, Healthcheck.NONE).argv());
    SpecException e =
        assertThrows(
            SpecException.class,
            () ->
                ImageJson.readConfig(
                    utf8(go.replace("\"Retries\":2", "\"Retries\":-1")), "config"));
    assertTrue(e.getMessage().contains("healthcheck"), e.getMessage());
  }

  @Test
  void emptyConfigIsWrittenAsGoDoes() throws SpecException {
    // what umoci wrote for a new image: config and rootfs.diff_ids are present even when empty
    String go =
        "{\"created\":\"2026-11-23T21:44:08.719148288Z\",\"architecture\":\"amd64\",\"os\":\"linux\","
            + "\"config\":{},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";
    assertEquals(go, string(ImageJson.write(ImageJson.readConfig(utf8(go), "config"))));
    ImageConfig built =
        new ImageConfig(
            "2026-11-23T21:44:08.719148288Z",
            null,
            "amd64",
            "linux",
            null,
            null,
            null,
            null,
            ImageConfig.RootFs.layers(List.of()),
            null);
    assertEquals(go, string(ImageJson.write(built)));
  }

  // ---- Docker documents ----

  @Test
  void readsDockerSchema2ManifestWrittenBySkopeo() throws SpecException {
    byte[] json = bytes("skopeo-v2s2-manifest.json");
    assertEquals(MediaTypes.DOCKER_MANIFEST, ImageJson.mediaTypeOf(json));
    Manifest m = ImageJson.readManifest(json, "manifest");
    assertTrue(m.isDocker());
    assertEquals(MediaTypes.DOCKER_CONFIG, m.config().mediaType());
    assertEquals(673, m.config().size());
    assertEquals(MediaTypes.DOCKER_LAYER_GZIP, m.layers().getFirst().mediaType());
    // and it survives our own round trip (our bytes differ from docker's: descriptors in OCI field
    // order)
    assertEquals(m, ImageJson.readManifest(ImageJson.write(m), "rewritten"));
  }

  @Test
  void readsDockerManifestList() throws SpecException {
    byte[] json = bytes("docker-manifest-list.json");
    assertEquals(MediaTypes.DOCKER_MANIFEST_LIST, ImageJson.mediaTypeOf(json));
    Index index = ImageJson.readIndex(json, "list");
    assertEquals(3, index.manifests().size());
    Platform windows = index.manifests().get(2).platform();
    assertEquals(
        new Platform("windows", "amd64", "", "10.0.17763.5329", List.of("win32k")), windows);
    assertEquals(new Platform("linux", "arm64", "v8"), index.manifests().get(1).platform());
    assertEquals(index, ImageJson.readIndex(ImageJson.write(index), "rewritten"));
  }

  @Test
  void readsDockerImageJsonSkippingDockerOnlyFields() throws SpecException {
    ImageConfig c = ImageJson.readConfig(bytes("docker-image-config.json"), "config");
    ImageConfig.ContainerConfig cc = c.config();
    assertNull(
        cc.entrypoint(), "Entrypoint null is absent, not [] (and container_config is not config)");
    assertEquals(List.of("nginx", "-g", "daemon off;"), cc.cmd());
    assertEquals(List.of("443/tcp", "8080/tcp"), List.copyOf(cc.exposedPorts()), "ports sorted");
    assertEquals(Set.of(), cc.volumes());
    assertTrue(cc.argsEscaped());
    assertEquals("SIGQUIT", cc.stopSignal());
    assertEquals(2, c.history().size());
    assertEquals(1, c.rootfs().diffIds().size());
    assertEquals("2024-01-11T20:37:58.131066487Z", c.created());
  }

  @Test
  void emptyEntrypointStaysApartFromAbsent() throws SpecException {
    String json =
        "{\"config\":{\"Entrypoint\":[],\"Cmd\":null},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";
    ImageConfig c = ImageJson.readConfig(utf8(json), "config");
    assertEquals(List.of(), c.config().entrypoint());
    assertNull(c.config().cmd());
    String written = string(ImageJson.write(c));
    assertTrue(written.contains("\"config\":{\"Entrypoint\":[]}"), written);
    assertEquals(c, ImageJson.readConfig(utf8(written), "config"));
  }

  // ---- writing ----

  @Test
  void writesFieldsInGoOrderAndOmitsEmptyOnes() {
    Descriptor layer =
        new Descriptor(
            MediaTypes.OCI_LAYER_GZIP,
            B,
            42,
            List.of("https://example.com/l"),
            Map.of("z", "1", "a", "2"),
            null,
            "");
    Descriptor subject = new Descriptor(MediaTypes.OCI_MANIFEST, B, 7);
    Manifest m =
        new Manifest(
            2,
            MediaTypes.OCI_MANIFEST,
            "application/vnd.example+type",
            new Descriptor(MediaTypes.OCI_CONFIG, A, 10),
            List.of(layer),
            subject,
            Map.of("k", "v"));
    assertEquals(
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
            + "\"artifactType\":\"application/vnd.example+type\","
            + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\""
            + A
            + "\",\"size\":10},"
            + "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\""
            + B
            + "\",\"size\":42,\"urls\":[\"https://example.com/l\"],\"annotations\":{\"a\":\"2\",\"z\":\"1\"}}],"
            + "\"subject\":{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\""
            + B
            + "\",\"size\":7},"
            + "\"annotations\":{\"k\":\"v\"}}",
        string(ImageJson.write(m)));
  }

  @Test
  void writesPlatformOfIndexEntries() {
    Platform p = new Platform("linux", "arm64", "v8", "", List.of());
    Index index =
        Index.oci(List.of(new Descriptor(MediaTypes.OCI_MANIFEST, A, 5, null, null, p, null)));
    assertEquals(
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":["
            + "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\""
            + A
            + "\",\"size\":5,"
            + "\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\",\"variant\":\"v8\"}}]}",
        string(ImageJson.write(index)));
  }

  @Test
  void writingTheSameRecordTwiceGivesTheSameBytes() throws SpecException {
    Index index = ImageJson.readIndex(bytes("oci-index-multiarch.json"), "index");
    // built twice from maps in different insertion order: still the same bytes
    Index again =
        new Index(
            2,
            index.mediaType(),
            "",
            index.manifests(),
            null,
            Map.of("com.example.key1", "value1", "com.example.key2", "value2"));
    assertArrayEquals(ImageJson.write(index), ImageJson.write(again));
    assertArrayEquals(
        ImageJson.write(index), ImageJson.write(ImageJson.readIndex(ImageJson.write(index), "x")));
    assertTrue(
        string(ImageJson.write(index))
            .endsWith(
                "\"annotations\":{\"com.example.key1\":\"value1\",\"com.example.key2\":\"value2\"}}"));
  }

  @Test
  void mapKeysAreInUtf8ByteOrderAsGoWrites() {
    // U+FF5E sorts after U+1F600 by UTF-16 units but before it by UTF-8 bytes (and code points)
    Manifest m =
        new Manifest(
            2,
            "",
            "",
            new Descriptor(MediaTypes.OCI_CONFIG, A, 1),
            List.of(),
            null,
            Map.of("\uD83D\uDE00", "emoji", "\uFF5E", "tilde"));
    assertTrue(
        string(ImageJson.write(m)).endsWith("{\"\uFF5E\":\"tilde\",\"\uD83D\uDE00\":\"emoji\"}}"));
  }

  // ---- refusals, with the field path ----

  private static String manifestError(String json) {
    return assertThrows(
            SpecException.class, () -> ImageJson.readManifest(utf8(json), "manifest sha256:ab"))
        .getMessage();
  }

  private static final String CONFIG =
      "{\"mediaType\":\"" + MediaTypes.OCI_CONFIG + "\",\"digest\":\"" + A + "\",\"size\":2}";

  @Test
  void refusesUnknownDigestAlgorithmNamingTheField() {
    String json =
        "{\"schemaVersion\":2,\"config\":"
            + CONFIG
            + ",\"layers\":["
            + CONFIG
            + ",{\"mediaType\":\"x\",\"digest\":\"md5:d41d8cd98f00b204e9800998ecf8427e\",\"size\":1}]}";
    assertEquals(
        "manifest sha256:ab: layers[1].digest: unsupported digest algorithm \"md5\"",
        manifestError(json));
  }

  @Test
  void refusesMalformedDigest() {
    assertEquals(
        "manifest sha256:ab: config.digest: invalid sha256 digest: want 64 hex digits, got 3",
        manifestError(
            "{\"schemaVersion\":2,\"config\":{\"digest\":\"sha256:abc\",\"size\":1},"
                + "\"layers\":[]}"));
  }

  @Test
  void refusesNegativeSize() {
    assertEquals(
        "manifest sha256:ab: config.size: negative size -1",
        manifestError(
            "{\"schemaVersion\":2,\"config\":{\"digest\":\""
                + A
                + "\",\"size\":-1},\"layers\":[]}"));
  }

  @Test
  void refusesMissingRequiredFields() {
    assertEquals(
        "manifest sha256:ab: missing required field \"config\"",
        manifestError("{\"schemaVersion\":2,\"layers\":[]}"));
    assertEquals(
        "manifest sha256:ab: missing required field \"layers\"",
        manifestError("{\"schemaVersion\":2,\"config\":" + CONFIG + "}"));
    assertEquals(
        "manifest sha256:ab: missing required field \"config\"",
        manifestError("{\"schemaVersion\":2,\"config\":null,\"layers\":[]}"));
    assertEquals(
        "manifest sha256:ab: missing required field \"schemaVersion\"",
        manifestError("{\"config\":" + CONFIG + ",\"layers\":[]}"));
    assertEquals(
        "manifest sha256:ab: layers[0]: missing required field \"digest\"",
        manifestError("{\"schemaVersion\":2,\"config\":" + CONFIG + ",\"layers\":[{\"size\":3}]}"));
    assertEquals(
        "manifest sha256:ab: layers[0]: missing required field \"size\"",
        manifestError(
            "{\"schemaVersion\":2,\"config\":"
                + CONFIG
                + ",\"layers\":[{\"digest\":\""
                + A
                + "\"}]}"));
    assertEquals(
        "manifest sha256:ab: layers[0]: expected a descriptor, got null",
        manifestError("{\"schemaVersion\":2,\"config\":" + CONFIG + ",\"layers\":[null]}"));
    assertEquals(
        "index.json: missing required field \"manifests\"",
        assertThrows(
                SpecException.class,
                () -> ImageJson.readIndex(utf8("{\"schemaVersion\":2}"), "index.json"))
            .getMessage());
    assertEquals(
        "config: missing required field \"rootfs\"",
        assertThrows(
                SpecException.class,
                () ->
                    ImageJson.readConfig(
                        utf8("{\"architecture\":\"amd64\",\"os\":\"linux\"}"), "config"))
            .getMessage());
    assertEquals(
        "config: rootfs.diff_ids[1]: unsupported digest algorithm \"sha1\"",
        assertThrows(
                SpecException.class,
                () ->
                    ImageJson.readConfig(
                        utf8(
                            "{\"rootfs\":{\"type\":\"layers\","
                                + "\"diff_ids\":[\""
                                + A
                                + "\",\"sha1:00\"]}}"),
                        "config"))
            .getMessage());
  }

  @Test
  void refusesWrongKindOfDocument() {
    assertEquals(
        "manifest sha256:ab: mediaType: \""
            + MediaTypes.OCI_INDEX
            + "\" is not an image manifest media type",
        manifestError(
            "{\"schemaVersion\":2,\"mediaType\":\""
                + MediaTypes.OCI_INDEX
                + "\",\"manifests\":[]}"));
    SpecException e =
        assertThrows(
            SpecException.class,
            () -> ImageJson.readIndex(bytes("skopeo-v2s2-manifest.json"), "index"));
    assertEquals("mediaType", e.path());
    assertEquals(
        "manifest sha256:ab: schemaVersion: unsupported schemaVersion 3, want 2",
        manifestError("{\"schemaVersion\":3,\"config\":" + CONFIG + ",\"layers\":[]}"));
    assertEquals(
        "manifest sha256:ab: layers: expected array, got object",
        manifestError("{\"schemaVersion\":2,\"config\":" + CONFIG + ",\"layers\":{}}"));
  }

  @Test
  void refusesSchema1WithAHint() {
    byte[] schema1 = bytes("schema1-manifest.json");
    for (var read :
        List.<ThrowingRead>of(
            b -> ImageJson.readManifest(b, "registry reply"),
            b -> ImageJson.readIndex(b, "registry reply"),
            b -> ImageJson.mediaTypeOf(b, "registry reply"))) {
      String message = assertThrows(SpecException.class, () -> read.apply(schema1)).getMessage();
      assertTrue(message.startsWith("registry reply: "), message);
      assertTrue(message.contains("schema 1 manifests are not supported"), message);
      assertTrue(message.contains("skopeo copy --format v2s2"), message);
    }
    String signed = "{\"mediaType\":\"" + MediaTypes.DOCKER_SCHEMA1_SIGNED + "\"}";
    assertTrue(manifestError(signed).contains("schema 1 manifests are not supported"));
  }

  interface ThrowingRead {
    Object apply(byte[] json) throws SpecException;
  }

  @Test
  void skipsUnknownFieldsAnywhere() throws SpecException {
    Index index = ImageJson.readIndex(bytes("oci-index-multiarch.json"), "index");
    assertEquals(6, index.manifests().size());
    assertEquals(new Platform("linux", "amd64", ""), index.manifests().get(1).platform());
    String json =
        "{\"future\":[{}],\"schemaVersion\":2,\"config\":{\"digest\":\""
            + A
            + "\",\"size\":1,\"data\":\"e30=\",\"new\":{\"a\":[1]}},\"layers\":[],\"extra\":true}";
    Manifest m = ImageJson.readManifest(utf8(json), "m");
    assertEquals("", m.config().mediaType());
    assertEquals(A, m.config().digest());
  }

  @Test
  void refusesTrailingContentAndMalformedJson() {
    assertTrue(
        manifestError("{\"schemaVersion\":2,\"config\":" + CONFIG + ",\"layers\":[]} {}")
            .contains("after the top-level value"));
    assertTrue(manifestError("{\"schemaVersion\":2,").contains("invalid json"));
    assertEquals("manifest sha256:ab: expected object, got null", manifestError("null"));
  }

  // ---- media type sniffing ----

  @Test
  void mediaTypeIsTheFieldOrInferred() throws SpecException {
    assertEquals(MediaTypes.OCI_MANIFEST, ImageJson.mediaTypeOf(bytes("umoci-manifest.json")));
    assertEquals(MediaTypes.OCI_INDEX, ImageJson.mediaTypeOf(bytes("umoci-index.json")));
    assertEquals(MediaTypes.OCI_INDEX, ImageJson.mediaTypeOf(bytes("oci-index-multiarch.json")));
    assertEquals(
        "application/vnd.example",
        ImageJson.mediaTypeOf(utf8("{\"mediaType\":\"application/vnd.example\"}")));
    String error =
        assertThrows(
                SpecException.class, () -> ImageJson.mediaTypeOf(utf8("{\"config\":{}}"), "blob"))
            .getMessage();
    assertEquals(
        "blob: no mediaType, and neither \"manifests\" nor \"config\" and \"layers\": "
            + "not an image manifest or index",
        error);
  }

  @Test
  void readsASingleDescriptor() throws SpecException {
    Descriptor d =
        ImageJson.readDescriptor(
            utf8(
                "{\"mediaType\":\""
                    + MediaTypes.OCI_MANIFEST
                    + "\",\"digest\":\""
                    + A
                    + "\",\"size\":12,\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}}"),
            "descriptor");
    assertEquals(new Platform("linux", "amd64", ""), d.platform());
    assertEquals(d, ImageJson.readDescriptor(ImageJson.write(d), "again"));
  }
}
