package dev.berth.engine.health;

import dev.berth.spec.json.JsonReader;
import dev.berth.spec.json.JsonWriter;
import dev.berth.spec.json.SpecException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A container's {@link HealthState} in {@value #NAME} beside its record: replaced whole by a rename
 * (a reader sees the old state or the new), not synced: a probe every second must cost no disk
 * flush, and a state lost to a power cut is remade by the next probe.
 */
public final class HealthFile {
  public static final String NAME = "health.json";

  private HealthFile() {}

  /**
   * The state kept in container directory {@code dir}, empty when none was kept (or unreadable).
   */
  public static Optional<HealthState> read(Path dir) {
    byte[] data;
    try {
      data = Files.readAllBytes(dir.resolve(NAME));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
    try (JsonReader r = JsonReader.of(data, dir.resolve(NAME).toString())) {
      return Optional.of(parse(r));
    } catch (SpecException | RuntimeException e) {
      // torn by a crash before the rename could not be: a bug's or a hand's; the next probe remakes
      // it
      return Optional.empty();
    }
  }

  /** Replaces the state kept in container directory {@code dir}. */
  public static void write(Path dir, HealthState s) throws IOException {
    JsonWriter w = new JsonWriter(JsonWriter.COMPACT);
    w.beginObject().field("status", s.status()).field("failingStreak", s.failingStreak());
    w.name("log").beginArray();
    for (HealthState.Probe p : s.log()) {
      w.beginObject()
          .field("start", p.start().toString())
          .field("end", p.end().toString())
          .field("exitCode", p.exitCode())
          .field("output", p.output())
          .endObject();
    }
    w.endArray().endObject();
    Path temp = dir.resolve(NAME + ".tmp");
    Files.write(temp, w.toByteArray());
    Files.move(temp, dir.resolve(NAME), StandardCopyOption.ATOMIC_MOVE);
  }

  private static HealthState parse(JsonReader r) throws SpecException {
    if (!r.beginObject()) throw r.error("expected an object");
    String status = HealthState.STARTING;
    int streak = 0;
    List<HealthState.Probe> log = new ArrayList<>();
    for (String f; (f = r.nextField()) != null; ) {
      switch (f) {
        case "status" -> status = r.string();
        case "failingStreak" -> streak = r.int32();
        case "log" -> {
          if (r.beginArray()) {
            while (r.nextElement()) log.add(probe(r));
          }
        }
        default -> r.skip();
      }
    }
    return new HealthState(status, streak, log);
  }

  private static HealthState.Probe probe(JsonReader r) throws SpecException {
    if (!r.beginObject()) throw r.error("expected a probe");
    Instant start = Instant.EPOCH;
    Instant end = Instant.EPOCH;
    int exit = 0;
    String output = "";
    for (String f; (f = r.nextField()) != null; ) {
      switch (f) {
        case "start" -> start = Instant.parse(r.string());
        case "end" -> end = Instant.parse(r.string());
        case "exitCode" -> exit = r.int32();
        case "output" -> output = r.string();
        default -> r.skip();
      }
    }
    return new HealthState.Probe(start, end, exit, output);
  }
}
