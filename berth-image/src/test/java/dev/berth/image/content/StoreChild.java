package dev.berth.image.content;

import dev.berth.image.store.ImageRecord;
import dev.berth.image.store.ImageStore;
import dev.berth.spec.image.Descriptor;
import dev.berth.spec.image.Digest;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A second process on the same store, for the tests of exclusion between processes: a JVM started
 * with the test class path that holds an ingest or a lease until told to let go on its stdin (or
 * runs another test main).
 *
 * <pre>
 * ingest ROOT DIGEST SIZE HEX   open the ingest, write HEX, print "held", then on "commit" / "close" do it
 * lease ROOT                    take a lease, print "held", release it on any line
 * count ROOT NAME N             N read-modify-write increments of the counter in NAME's annotations
 * </pre>
 */
public final class StoreChild implements AutoCloseable {
  private final Process process;
  private final BufferedReader out;
  private final Writer in;

  private StoreChild(Process process) {
    this.process = process;
    this.out =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
  }

  /** Starts a child JVM running {@code main(args)}. */
  public static StoreChild start(String... args) throws IOException {
    return start(StoreChild.class, args);
  }

  /** Starts a child JVM running {@code main.main(args)}, with the test class path. */
  public static StoreChild start(Class<?> main, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    String nativeDir = System.getProperty("berth.native.dir");
    if (nativeDir != null) {
      cmd.add("-Dberth.native.dir=" + nativeDir);
    }
    cmd.add("-XX:TieredStopAtLevel=1");
    cmd.add(main.getName());
    cmd.addAll(List.of(args));
    return new StoreChild(
        new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start());
  }

  /** The next line the child printed (null at its end). */
  public String readLine() throws IOException {
    return out.readLine();
  }

  public void send(String line) throws IOException {
    in.write(line + "\n");
    in.flush();
  }

  /** Waits for the child's exit and returns its status. */
  public int waitFor() throws InterruptedException {
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("child jvm did not exit in 60s");
    }
    return process.exitValue();
  }

  /** SIGKILL, as a crash would. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
  }

  public static void main(String[] args) throws Exception {
    BufferedReader stdin =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    ContentStore store = args[0].equals("count") ? null : ContentStore.open(Path.of(args[1]));
    switch (args[0]) {
      case "ingest" -> {
        Digest d = Digest.parse(args[2]);
        try (Ingest ingest = store.ingest(new Descriptor("", d, Long.parseLong(args[3])))) {
          byte[] bytes = HexFormat.of().parseHex(args[4]);
          ingest.write(bytes, 0, bytes.length);
          System.out.println("held");
          System.out.flush();
          String what = stdin.readLine();
          if ("commit".equals(what)) {
            ingest.commit();
          }
        }
        System.out.println("done");
      }
      case "lease" -> {
        try (StoreLease lease = store.lease()) {
          System.out.println("held");
          System.out.flush();
          stdin.readLine();
        }
        System.out.println("done");
      }
      case "count" -> {
        ImageStore images = ImageStore.open(Path.of(args[1]));
        for (int i = 0; i < Integer.parseInt(args[3]); i++) {
          increment(images, args[2]);
        }
        System.out.println("done");
      }
      default -> throw new IllegalArgumentException(args[0]);
    }
  }

  /**
   * Adds one to the "count" annotation of the target of {@code name}: a read-modify-write that must
   * not lose any.
   */
  public static void increment(ImageStore images, String name) throws IOException {
    images.update(
        all -> {
          ImageRecord r = all.get(name);
          long n = r == null ? 0 : Long.parseLong(r.target().annotations().get("count"));
          Descriptor target =
              new Descriptor(
                      "application/vnd.oci.image.manifest.v1+json", Digest.sha256Of(new byte[0]), 0)
                  .withAnnotations(Map.of("count", Long.toString(n + 1)));
          all.put(name, new ImageRecord(name, target, null, Instant.EPOCH));
          return null;
        });
  }
}
