package dev.berth.spec.runtime;

import dev.berth.spec.json.JsonWriter;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Not a test: measures the first parse of a config.json in a fresh JVM (the CLI start path), for
 * the startup budget. {@code java -cp <classes:test-classes:jackson-core>
 * dev.berth.spec.runtime.SpecParseTiming config.json}
 */
public final class SpecParseTiming {
  private SpecParseTiming() {}

  public static void main(String[] args) throws Exception {
    long t0 = System.nanoTime();
    byte[] json = Files.readAllBytes(Path.of(args[0]));
    long t1 = System.nanoTime();
    Spec spec = SpecReader.parse(json, args[0]);
    long t2 = System.nanoTime();
    java.util.List<String> problems = SpecValidator.validate(spec, true);
    long t3 = System.nanoTime();
    byte[] out = SpecWriter.write(spec, JsonWriter.TABS);
    long t4 = System.nanoTime();
    System.out.printf(
        "bytes=%d read=%.2fms parse=%.2fms validate=%.2fms(%d) write=%.2fms(%d bytes)%n",
        json.length,
        (t1 - t0) / 1e6,
        (t2 - t1) / 1e6,
        (t3 - t2) / 1e6,
        problems.size(),
        (t4 - t3) / 1e6,
        out.length);
  }
}
