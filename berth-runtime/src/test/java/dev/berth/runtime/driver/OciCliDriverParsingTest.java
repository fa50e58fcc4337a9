package dev.berth.runtime.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.runtime.ContainerException;
import dev.berth.runtime.cgroups.Stats;
import dev.berth.runtime.cgroups.StatsJson;
import dev.berth.runtime.state.Status;
import dev.berth.spec.json.JsonWriter;
import dev.berth.spec.json.SpecException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@link OciCliDriver} reads from a runtime binary: its state, its events and its errors
 * (runc's output).
 */
class OciCliDriverParsingTest {

  @Test
  void stateAsRuncPrintsIt() throws Exception {
    String json =
        """
        {
          "ociVersion": "1.0.2-dev",
          "id": "t1",
          "pid": 8030,
          "status": "created",
          "bundle": "/tmp/rx",
          "rootfs": "/tmp/rx/rootfs",
          "created": "2026-12-05T18:36:29.805811349Z",
          "owner": "",
          "annotations": {"a": "b"}
        }""";
    ContainerStatus s =
        OciCliDriver.parseState(json.getBytes(StandardCharsets.UTF_8), "runc state t1");
    assertEquals(
        new ContainerStatus(
            "t1",
            8030,
            Status.CREATED,
            Path.of("/tmp/rx"),
            Instant.parse("2026-12-05T18:36:29.805811349Z"),
            Map.of("a", "b")),
        s);
  }

  @Test
  void aStateWithAnUnknownStatusNamesTheField() {
    SpecException e =
        assertThrows(
            SpecException.class,
            () ->
                OciCliDriver.parseState(
                    "{\"id\":\"t1\",\"status\":\"exploded\"}".getBytes(StandardCharsets.UTF_8),
                    "runc state t1"));
    assertTrue(
        e.getMessage().contains("status") && e.getMessage().contains("exploded"), e.getMessage());
  }

  @Test
  void statsReadBackWhatStatsJsonWrites() throws Exception {
    Stats s =
        new Stats(
            new Stats.Cpu(
                new Stats.CpuUsage(100, List.of(60L, 40L), List.of(1L, 2L), List.of(3L, 4L), 7, 93),
                new Stats.Throttling(5, 2, 1000)),
            new Stats.Memory(
                11,
                new Stats.MemoryEntry(64L << 20, 1234, 5678, 1),
                new Stats.MemoryEntry(9223372036854771712L, 1, 2, 0),
                new Stats.MemoryEntry(3, 4, 5, 0),
                new Stats.MemoryEntry(6, 7, 8, 0),
                Map.of("rss", 99L)),
            new Stats.Pids(3, 10),
            new Stats.Blkio(List.of(new Stats.BlkioEntry(8, 0, "Read", 4096)), List.of()),
            Map.of("2MB", new Stats.Hugetlb(1, 2, 3)));
    JsonWriter w = new JsonWriter(JsonWriter.COMPACT);
    w.beginObject().field("type", "stats").field("id", "c1").name("data");
    StatsJson.write(w, s);
    w.endObject();
    OciCliDriver.Event e = OciCliDriver.parseEvent(w.toByteArray(), "events");
    assertEquals("stats", e.type());
    assertEquals(s, e.stats());
  }

  @Test
  void anOomEventHasNoStats() throws Exception {
    OciCliDriver.Event e =
        OciCliDriver.parseEvent(
            "{\"type\":\"oom\",\"id\":\"c1\"}".getBytes(StandardCharsets.UTF_8), "events");
    assertEquals("oom", e.type());
    assertNull(e.stats());
  }

  @Test
  void theLastErrorOfTheLogIsTheMessage(@TempDir Path tmp) throws Exception {
    Path log = tmp.resolve("log");
    Files.writeString(
        log,
        """
        {"level":"debug","msg":"nsexec started","time":"2026-12-05T18:36:29Z"}
        {"level":"error","msg":"first","time":"2026-12-05T18:36:29Z"}
        {"level":"error","msg":"runc create failed: container with given ID already exists","time":"2026-12-05T18:36:29Z"}
        {"level":"info","msg":"after","time":"2026-12-05T18:36:29Z"}
        """);
    assertEquals(
        "runc create failed: container with given ID already exists", OciCliDriver.lastError(log));
    Files.writeString(log, "crun: plain text error\n");
    assertEquals("crun: plain text error", OciCliDriver.lastError(log));
    Files.writeString(log, "");
    assertNull(OciCliDriver.lastError(log));
  }

  @Test
  void runcsWordsGiveTheCategory() {
    assertEquals("NOT_FOUND", kind("container does not exist"));
    assertEquals("NOT_FOUND", kind("container \"c1\" does not exist"));
    assertEquals(
        "ALREADY_EXISTS", kind("runc create failed: container with given ID already exists"));
    assertEquals("ALREADY_EXISTS", kind("container with id exists: c1"));
    assertEquals("FAILED_PRECONDITION", kind("cannot start an already running container"));
    assertEquals("FAILED_PRECONDITION", kind("cannot start a container that has stopped"));
    assertEquals(
        "FAILED_PRECONDITION", kind("cannot delete container c1 that is not stopped: running"));
    assertEquals("FAILED_PRECONDITION", kind("container not running"));
    assertEquals("FAILED_PRECONDITION", kind("container not paused"));
    assertEquals("FAILED_PRECONDITION", kind("exec failed: cannot exec in a stopped container"));
    assertEquals("INVALID_ARGUMENT", kind("invalid container id format: a/b"));
    assertEquals("INVALID_ARGUMENT", kind("rootfs (/b/nope) does not exist or is not a directory"));
    assertEquals("INVALID_ARGUMENT", kind("open /containers/b/config.json: path does not exist"));
    assertEquals("NOT_FOUND", kind("exec failed: container does not exist"));
    assertEquals("NOT_FOUND", kind("exec failed: container \"c1\" does not exist"));
    assertEquals(
        "INVALID_ARGUMENT",
        kind("container \"c2\" does not exist"),
        "another container's: not c1's");
    assertEquals("INTERNAL", kind("unable to freeze"));
  }

  @Test
  void theBinarysLineIsInTheMessage() {
    ContainerException e =
        OciCliDriver.classify(
            "runc pause c1: container not running", "c1", "container not running");
    assertEquals("runc pause c1: container not running", e.getMessage());
    ContainerException missing =
        OciCliDriver.classify(
            "runc state c1: container does not exist", "c1", "container does not exist");
    assertEquals("runc state c1: container does not exist", missing.getCause().getMessage());
  }

  private static String kind(String msg) {
    return OciCliDriver.classify("runc verb c1: " + msg, "c1", msg).category().name();
  }
}
