package dev.berth.image.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.image.content.StoreChild;
import dev.berth.spec.image.Descriptor;
import dev.berth.spec.image.Digest;
import dev.berth.spec.image.Platform;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageStoreTest {
  static final String MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  static final Instant T = Instant.parse("2026-11-23T10:15:30.123456789Z");

  @TempDir Path root;

  static Digest digest(String s) {
    return Digest.sha256Of(s.getBytes());
  }

  static ImageRecord record(String name, String manifest, String config) {
    return new ImageRecord(
        name, new Descriptor(MANIFEST, digest(manifest), 1234), digest(config), T);
  }

  @Test
  void putGetListRemove() throws IOException {
    ImageStore store = ImageStore.open(root);
    assertEquals(List.of(), store.list());
    assertEquals(Optional.empty(), store.get("docker.io/library/busybox:latest"));

    ImageRecord busybox = record("docker.io/library/busybox:latest", "m1", "c1");
    ImageRecord alpine = record("docker.io/library/alpine:3", "m2", "c2");
    assertEquals(Optional.empty(), store.put(busybox));
    assertEquals(Optional.empty(), store.put(alpine));
    assertEquals(List.of(alpine, busybox), store.list(), "sorted by name");
    assertEquals(Optional.of(busybox), store.get(busybox.name()));

    ImageRecord newer = record(busybox.name(), "m3", "c3");
    assertEquals(
        Optional.of(busybox),
        store.put(newer),
        "put replaces the name and returns what it replaced");
    assertEquals(Optional.of(newer), ImageStore.open(root).get(busybox.name()));

    assertTrue(store.remove(alpine.name()));
    assertFalse(store.remove(alpine.name()));
    assertEquals(List.of(newer), store.list());
  }

  @Test
  void aStoreSeesWhatAnotherWroteAfterItsLastRead() throws IOException {
    // Two stores on one root, as two processes: each read sees the file as it is now, though the
    // reader keeps what it parsed last.
    ImageStore reader = ImageStore.open(root);
    ImageStore writer = ImageStore.open(root);
    ImageRecord a = record("a:1", "m1", "c1");
    writer.put(a);
    assertEquals(Optional.of(a), reader.get("a:1"));
    ImageRecord moved = record("a:1", "m2", "c2"); // the same name, the same length, another image
    writer.put(moved);
    assertEquals(Optional.of(moved), reader.get("a:1"));
    assertEquals(List.of(moved), reader.list());
    writer.remove("a:1");
    assertEquals(Optional.empty(), reader.get("a:1"));
    // What a reader returned is its own to change; the store's parsed records stay as the file.
    reader.put(a);
    reader.list().clear();
    assertEquals(List.of(a), writer.list());
    assertEquals(List.of(a), reader.list());
  }

  @Test
  void everyFieldOfARecordSurvivesTheFile() throws IOException {
    ImageStore store = ImageStore.open(root);
    Descriptor index =
        new Descriptor(
            "application/vnd.oci.image.index.v1+json",
            digest("index"),
            987,
            List.of("https://example.com/blob"),
            Map.of("org.opencontainers.image.ref.name", "latest", "a", "<&>"),
            new Platform("linux", "arm64", "v8", "10.0", List.of("sse4")),
            "application/x-artifact");
    ImageRecord withIndex =
        new ImageRecord("example.com/multi@sha256:" + digest("index").encoded(), index, null, T);
    store.put(withIndex);
    assertEquals(Optional.of(withIndex), ImageStore.open(root).get(withIndex.name()));
    String json = Files.readString(store.file());
    assertTrue(json.contains("\"os.version\": \"10.0\""), json);
    assertFalse(json.contains("\"config\""), "no config for an index: " + json);
  }

  @Test
  void findsByConfigDigestPrefix() throws IOException {
    ImageStore store = ImageStore.open(root);
    ImageRecord a = record("a:1", "m1", "config-a");
    ImageRecord aTag = record("a:latest", "m1", "config-a");
    ImageRecord b = record("b:1", "m2", "config-b");
    store.put(b);
    store.put(aTag);
    store.put(a);
    String hexA = digest("config-a").encoded();
    assertEquals(List.of(a, aTag), store.byConfigPrefix(hexA.substring(0, 4)));
    assertEquals(List.of(a, aTag), store.byConfigPrefix("sha256:" + hexA));
    assertEquals(List.of(b), store.byConfigPrefix(digest("config-b").encoded().substring(0, 12)));
    assertEquals(List.of(), store.byConfigPrefix(digest("config-c").encoded()));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> store.byConfigPrefix(""));
    assertEquals("image id prefix \"\": want lowercase hex digits", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> store.byConfigPrefix("3F2A"));
  }

  @Test
  void aFailingUpdateWritesNothing() throws IOException {
    ImageStore store = ImageStore.open(root);
    ImageRecord a = record("a:1", "m1", "c1");
    store.put(a);
    byte[] before = Files.readAllBytes(store.file());
    IOException e =
        assertThrows(
            IOException.class,
            () ->
                store.update(
                    images -> {
                      images.remove("a:1");
                      images.put("b:1", record("b:1", "m2", "c2"));
                      throw new IOException("tag b:1: source image gone");
                    }));
    assertEquals("tag b:1: source image gone", e.getMessage());
    assertEquals(new String(before), new String(Files.readAllBytes(store.file())));
    assertEquals(List.of(a), store.list());
  }

  @Test
  void anUpdateMustKeepRecordsUnderTheirNames() throws IOException {
    ImageStore store = ImageStore.open(root);
    assertThrows(
        IllegalArgumentException.class,
        () -> store.update(images -> images.put("x:1", record("y:1", "m", "c"))));
    assertEquals(List.of(), store.list());
  }

  @Test
  void concurrentUpdatesFromThreadsAndProcessesLoseNothing() throws Exception {
    ImageStore store = ImageStore.open(root);
    int threads = 6;
    int perThread = 40;
    int perChild = 40;
    AtomicBoolean writing = new AtomicBoolean(true);
    ExecutorService pool = Executors.newFixedThreadPool(threads + 1);
    try (StoreChild child1 =
            StoreChild.start("count", root.toString(), "counter", Integer.toString(perChild));
        StoreChild child2 =
            StoreChild.start("count", root.toString(), "counter", Integer.toString(perChild))) {
      // A reader all along: it never sees a half-written file.
      Future<Integer> reads =
          pool.submit(
              () -> {
                int n = 0;
                while (writing.get()) {
                  store.list();
                  n++;
                }
                return n;
              });
      List<Future<?>> writers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int id = t;
        writers.add(
            pool.submit(
                () -> {
                  ImageStore own = ImageStore.open(root); // as another part of the engine would
                  for (int i = 0; i < perThread; i++) {
                    StoreChild.increment(own, "counter");
                    own.put(record("thread" + id + ":" + i, "m", "c"));
                  }
                  return null;
                }));
      }
      for (Future<?> f : writers) {
        f.get(120, TimeUnit.SECONDS);
      }
      assertEquals("done", child1.readLine());
      assertEquals("done", child2.readLine());
      assertEquals(0, child1.waitFor());
      assertEquals(0, child2.waitFor());
      writing.set(false);
      assertTrue(reads.get(10, TimeUnit.SECONDS) > 0);
    } finally {
      pool.shutdownNow();
    }
    ImageRecord counter = store.get("counter").orElseThrow();
    assertEquals(
        Integer.toString(threads * perThread + 2 * perChild),
        counter.target().annotations().get("count"));
    assertEquals(1 + threads * perThread, store.list().size());
    try (Stream<Path> files = Files.list(root)) {
      assertEquals(
          List.of("images.json", "images.lock"),
          files.map(p -> p.getFileName().toString()).sorted().toList(),
          "no temporary file is left");
    }
  }

  @Test
  void aCorruptedFileIsAnErrorNamingTheFileAndTheField() throws IOException {
    ImageStore store = ImageStore.open(root);
    Files.writeString(
        store.file(),
        """
        {"version": 1, "images": [
          {"name": "a:1", "target": {"mediaType": "m", "digest": "sha256:abc", "size": 1}, "created": "2026-01-01T00:00:00Z"}
        ]}""");
    IOException e = assertThrows(IOException.class, store::list);
    assertEquals(
        store.file()
            + ": images[0].target.digest: invalid sha256 digest: want 64 hex digits, got 3",
        e.getMessage());

    Files.writeString(store.file(), "{\"version\": 1, \"images\": [{\"name\": \"a:1\", \"tar");
    e = assertThrows(IOException.class, () -> store.get("a:1"));
    assertTrue(
        e.getMessage()
            .startsWith(store.file() + ": images[0].name: invalid json at line 1, column 47"),
        e.getMessage());

    Files.writeString(
        store.file(),
        "{\"version\": 1, \"images\": [{\"name\": \"a:1\", \"target\": {\"digest\": \""
            + digest("m")
            + "\", \"size\": 1}, \"created\": \"yesterday\"}]}");
    e = assertThrows(IOException.class, () -> store.put(record("b:1", "m", "c")));
    assertEquals(
        store.file()
            + ": images[0].created: invalid time \"yesterday\": want RFC 3339, e.g."
            + " 2026-01-02T03:04:05Z",
        e.getMessage());

    Files.writeString(store.file(), "{\"version\": 2, \"images\": []}");
    e = assertThrows(IOException.class, store::list);
    assertEquals(
        store.file() + ": version: unsupported version 2 (this berth reads version 1)",
        e.getMessage());
  }

  @Test
  void aTemporaryFileLeftByACrashIsIgnoredThenRemoved() throws IOException {
    ImageStore store = ImageStore.open(root);
    ImageRecord a = record("a:1", "m1", "c1");
    store.put(a);
    Path leftover = root.resolve("images.json.tmp-0123456789abcdef");
    Files.writeString(leftover, "{\"version\": 1, \"ima"); // a writer that died before its rename
    assertEquals(List.of(a), store.list());
    store.put(record("b:1", "m2", "c2"));
    assertFalse(Files.exists(leftover));
  }
}
