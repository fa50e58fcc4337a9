package dev.berth.engine.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The event file: lines kept in order, bounded by rotation, read back and followed across
 * rotations.
 */
class EventLogTest {
  @TempDir Path tmp;

  private static Event event(int i) {
    return new Event(
        Instant.ofEpochSecond(1_800_000_000L + i, 123456789),
        Event.CONTAINER,
        "start",
        "c" + i,
        Map.of("name", "n" + i, "image", "busybox"));
  }

  private static List<String> ids(List<Event> events) {
    return events.stream().map(Event::id).toList();
  }

  @Test
  void eventsReadBackAsWritten() throws Exception {
    EventLog log = new EventLog(tmp, EventLog.DEFAULT_MAX_SIZE);
    assertEquals(List.of(), log.read(), "no file yet: no events");
    for (int i = 0; i < 3; i++) log.append(event(i));
    List<Event> read = log.read();
    assertEquals(List.of(event(0), event(1), event(2)), read);
    String first = Files.readAllLines(log.file()).get(0);
    assertEquals(
        "{\"time\":\"2027-01-15T08:00:00.123456789Z\",\"type\":\"container\",\"action\":\"start\","
            + "\"id\":\"c0\",\"attributes\":{\"image\":\"busybox\",\"name\":\"n0\"}}",
        first);
  }

  @Test
  void aTornOrForeignLineIsSkipped() throws Exception {
    EventLog log = new EventLog(tmp, EventLog.DEFAULT_MAX_SIZE);
    log.append(event(1));
    Files.writeString(
        log.file(), "{\"time\":\"2027-01-15T08:00:00Z\",\"ty\n", StandardOpenOption.APPEND);
    Files.writeString(log.file(), "not json\n", StandardOpenOption.APPEND);
    log.append(event(2));
    assertEquals(List.of("c1", "c2"), ids(log.read()));
  }

  @Test
  void theFileRotatesAtItsSizeKeepingOneOldFile() throws Exception {
    int line = EventLog.encode(event(10)).length;
    EventLog log = new EventLog(tmp, 4L * line);
    for (int i = 10; i < 19; i++) log.append(event(i));
    // 4 a file: 10-13 rotated out by 14-17's file, which rotated when 18 came.
    assertEquals(List.of("c14", "c15", "c16", "c17", "c18"), ids(log.read()));
    assertTrue(Files.size(log.file()) <= 4L * line);
    assertTrue(Files.size(tmp.resolve(EventLog.FILE + ".1")) <= 4L * line);
  }

  @Test
  void aFollowerSeesNewEventsOnlyAcrossRotations() throws Exception {
    int line = EventLog.encode(event(10)).length;
    EventLog log = new EventLog(tmp, 3L * line);
    log.append(event(10));
    try (EventLog.Follower f = log.follow(false);
        EventLog.Follower all = log.follow(true)) {
      assertEquals(List.of(), f.poll());
      List<String> seen = new ArrayList<>();
      List<String> seenAll = new ArrayList<>();
      for (int i = 11; i < 18; i++) {
        log.append(event(i));
        if (i % 2 == 0) {
          seen.addAll(ids(f.poll()));
          seenAll.addAll(ids(all.poll()));
        }
      }
      seen.addAll(ids(f.poll()));
      seenAll.addAll(ids(all.poll()));
      assertEquals(List.of("c11", "c12", "c13", "c14", "c15", "c16", "c17"), seen);
      assertEquals(List.of("c10", "c11", "c12", "c13", "c14", "c15", "c16", "c17"), seenAll);
    }
  }

  @Test
  void changesWakeTheReaderOnAnAppendAnotherWriterMadeAndOnAWakeUp() throws Exception {
    EventLog log = new EventLog(tmp, 300); // a rotation every few events
    try (EventLog.Follower f = log.watch()) {
      EventLog.Changes changes = f.changes();
      changes.drain(); // the follower made the log's lock file there
      assertFalse(changes.await(50), "nothing appended yet");
      EventLog other = new EventLog(tmp, 300); // as another process on the store
      other.append(event(1));
      assertTrue(changes.await(10_000), "an append did not wake the reader");
      assertEquals(List.of("c1"), ids(f.poll()));
      assertFalse(changes.await(50), "drained: no change since");
      for (int i = 2; i < 5; i++) other.append(event(i)); // rotated once on the way
      assertTrue(changes.await(10_000));
      assertEquals(List.of("c2", "c3", "c4"), ids(f.poll()));
      changes.wakeUp();
      assertTrue(changes.await(10_000), "a wake-up did not end the wait");
      assertFalse(changes.await(50));
    }
  }
}
