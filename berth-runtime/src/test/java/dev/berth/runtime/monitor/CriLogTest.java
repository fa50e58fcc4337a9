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

  /**
   * A container's log has no bound but rotation's (none by default): it is read in batches of
   * bounded size, never held whole, with the same records, since and tail as one read; a reader
   * ends where the live file ended at its first poll, however fast the container writes on.
   */
  @Test
  void readsInBoundedBatches() throws Exception {
    Path log = tmp.resolve("c.log");
    int perFile = 60_000;
    StringBuilder sb = new StringBuilder();
    for (String f : List.of("c.log.2", "c.log.1", "c.log")) {
      sb.setLength(0);
      for (int i = 0; i < perFile; i++) sb.append(line(i % 60, "stdout", 'F', f + " " + i));
      append(tmp.resolve(f), sb.toString());
    }
    // One long line of text per record too: the bytes bound a batch as well as the count.
    sb.setLength(0);
    for (int i = 0; i < 300; i++) sb.append(line(59, "stderr", 'P', "x".repeat(8192)));
    append(log, sb.toString());
    int total = 3 * perFile + 300;
    try (CriLog.Follower f = CriLog.reader(log, null, -1)) {
      int n = 0;
      int batches = 0;
      for (List<CriLog.Entry> b; !(b = f.poll()).isEmpty(); batches++) {
        // A batch ends after the 64 KiB read that filled it: a record is 40 bytes or more.
        assertTrue(
            b.size() <= CriLog.BATCH_RECORDS + 64 * 1024 / 40, "records in one batch: " + b.size());
        long text = b.stream().mapToLong(e -> e.text().length).sum();
        assertTrue(text <= CriLog.BATCH_BYTES + 64 * 1024, "text in one batch: " + text);
        if (n < 3 * perFile) {
          String first = new String(b.getFirst().text(), StandardCharsets.UTF_8);
          String file = n < perFile ? "c.log.2" : n < 2 * perFile ? "c.log.1" : "c.log";
          assertEquals(file + " " + (n % perFile), first, "in order, none lost");
        }
        n += b.size();
        // Written after the first poll: a reader does not wait for it.
        if (batches == 0) append(log, line(59, "stdout", 'F', "later"));
      }
      assertEquals(total, n);
      assertTrue(batches > 10, "batches: " + batches);
    }
    List<String> last = texts(CriLog.read(log, null, 302));
    assertEquals(302, last.size());
    assertEquals("c.log 59999", last.getFirst());
    assertEquals("later", last.getLast());
    assertEquals(total + 1, CriLog.read(log, null, -1).size());
    try (CriLog.Follower f = CriLog.follow(log, null, 2)) {
      int n = 0;
      for (List<CriLog.Entry> b; !(b = f.poll()).isEmpty(); ) n += b.size();
      assertEquals(2, n);
      append(log, line(59, "stdout", 'F', "more"));
      assertEquals(List.of("more"), texts(f.poll()));
    }
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
