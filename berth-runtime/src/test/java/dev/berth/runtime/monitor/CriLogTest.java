package dev.berth.runtime.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CRI log reader on files written here: parsing, since/tail, and following across a rotation
 * and a reopen.
 */
class CriLogTest {
  @TempDir Path tmp;

  private static String line(int second, String stream, char flag, String text) {
    return "2026-01-01T00:00:"
        + String.format("%02d", second)
        + ".000000001Z "
        + stream
        + " "
        + flag
        + " "
        + text
        + "\n";
  }

  private static void append(Path p, String s) throws Exception {
    Files.writeString(
        p, s, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }

  private static List<String> texts(List<CriLog.Entry> entries) {
    return entries.stream().map(e -> new String(e.text(), StandardCharsets.UTF_8)).toList();
  }

  @Test
  void parsesRecordsAndSkipsWhatIsNotOne() {
    byte[] b = "2026-01-01T00:00:01.5Z stderr P a b  c".getBytes(StandardCharsets.UTF_8);
    CriLog.Entry e = CriLog.parse(b, 0, b.length);
    assertEquals(Instant.parse("2026-01-01T00:00:01.5Z"), e.time());
    assertEquals(CriLog.Stream.STDERR, e.stream());
    assertTrue(e.partial());
    assertEquals("a b  c", new String(e.text(), StandardCharsets.UTF_8));
    byte[] empty = "2026-01-01T00:00:01Z stdout F ".getBytes(StandardCharsets.UTF_8);
    assertEquals(0, CriLog.parse(empty, 0, empty.length).text().length, "an empty line");
    for (String bad :
        List.of(
            "",
            "garbage",
            "2026-01-01T00:00:01Z stdin F x",
            "2026-01-01T00:00:01Z stdout X x",
            "yesterday stdout F x",
            "2026-01-01T00:00:01Z stdout Fx")) {
      byte[] x = bad.getBytes(StandardCharsets.UTF_8);
      assertNull(CriLog.parse(x, 0, x.length), bad);
    }
  }

  @Test
  void readsRotatedFilesOldestFirstWithSinceAndTail() throws Exception {
    Path log = tmp.resolve("c.log");
    append(tmp.resolve("c.log.2"), line(1, "stdout", 'F', "one"));
    append(tmp.resolve("c.log.1"), line(2, "stdout", 'F', "two") + "cut off by a full dis");
    append(log, line(3, "stderr", 'F', "three") + line(4, "stdout", 'F', "four"));
    assertEquals(List.of("one", "two", "three", "four"), texts(CriLog.read(log, null, -1)));
    assertEquals(List.of("three", "four"), texts(CriLog.read(log, null, 2)));
    assertEquals(
        List.of("two", "three", "four"),
        texts(CriLog.read(log, Instant.parse("2026-01-01T00:00:02Z"), -1)));
    assertEquals(List.of(), texts(CriLog.read(log, null, 0)));
  }

  @Test
  void followsAcrossRotationAndReopen() throws Exception {
    Path log = tmp.resolve("c.log");
    append(log, line(1, "stdout", 'F', "one"));
    try (CriLog.Follower f = CriLog.follow(log, null, -1)) {
      assertEquals(List.of("one"), texts(f.poll()));
      assertEquals(List.of(), texts(f.poll()));
      append(log, line(2, "stdout", 'P', "tw"));
      append(log, "2026-01-01T00:00:02.1Z stdout F o\n2026-01-01T00:00:03Z std");
      assertEquals(List.of("tw", "o"), texts(f.poll()));
      append(log, "out F three\n");
      // rotated: the rest of the old file first, then the new one from its start
      Files.move(log, tmp.resolve("c.log.1"));
      append(tmp.resolve("c.log.1"), line(4, "stdout", 'F', "four"));
      append(log, line(5, "stdout", 'F', "five"));
      assertEquals(List.of("three", "four", "five"), texts(f.poll()));
      append(log, line(6, "stderr", 'F', "six"));
      assertEquals(List.of("six"), texts(f.poll()));
    }
  }

  @Test
  void exitFileParses() throws Exception {
    ExitFile.ExitStatus s =
        ExitFile.parse(
            ("{\"pid\":12,\"exitCode\":137,\"signal\":9,\"oomKilled\":true,"
                    + "\"startedAt\":\"2026-01-01T00:00:01.000000001Z\",\"finishedAt\":\"2026-01-01T00:00:02Z\"}")
                .getBytes(),
            "test");
    assertEquals(
        new ExitFile.ExitStatus(
            12,
            137,
            9,
            true,
            Instant.parse("2026-01-01T00:00:01.000000001Z"),
            Instant.parse("2026-01-01T00:00:02Z")),
        s);
    assertTrue(ExitFile.read(tmp.resolve("none")).isEmpty(), "no file: still running");
  }
}
