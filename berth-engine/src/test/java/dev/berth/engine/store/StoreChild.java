package dev.berth.engine.store;

import dev.berth.engine.container.ContainerOptions;
import dev.berth.spec.error.BerthException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A second process on one container store, for the crash and race tests: a JVM with the test class
 * path.
 *
 * <pre>
 * churn ROOT SEED   creates, updates, renames and removes containers forever, printing each step before
 *                   ("creating ...") and after ("created ...") it; killed by the test
 * race ROOT         for each name read on stdin, creates a container of that name; prints "won ID" or "lost MSG"
 * many ROOT PREFIX N THREADS   creates PREFIX-0 .. PREFIX-(N-1) from THREADS threads, prints "done"
 * </pre>
 */
final class StoreChild implements AutoCloseable {
  private final Process process;
  private final BufferedReader out;
  private final Writer in;

  private StoreChild(Process process) {
    this.process = process;
    this.out =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
  }

  static StoreChild start(String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    String nativeDir = System.getProperty("berth.native.dir");
    if (nativeDir != null) cmd.add("-Dberth.native.dir=" + nativeDir);
    cmd.add("-XX:TieredStopAtLevel=1");
    cmd.add("-XX:+UseSerialGC");
    cmd.add(StoreChild.class.getName());
    cmd.addAll(List.of(args));
    return new StoreChild(
        new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start());
  }

  String readLine() throws IOException {
    return out.readLine();
  }

  void send(String line) throws IOException {
    in.write(line + "\n");
    in.flush();
  }

  int waitFor() throws InterruptedException {
    if (!process.waitFor(120, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("child jvm did not exit in 120s");
    }
    return process.exitValue();
  }

  /**
   * SIGKILL, as a crash or the OOM killer would; by kill(2) rather than destroyForcibly, which also
   * closes our end of its stdout: the lines it printed before dying are still to be read.
   */
  void kill() throws InterruptedException {
    try {
      dev.berth.sys.Linux.kill((int) process.pid(), 9);
    } catch (IOException e) {
      // gone already
    }
    process.waitFor();
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) kill();
  }

  static ContainerRecord record(ContainerStore store, String name) throws BerthException {
    ContainerOptions o =
        new ContainerOptions(
            "busybox",
            name,
            null,
            List.of("sh", "-c", "echo hi"),
            List.of("K=V"),
            "/data",
            null,
            null,
            false,
            false,
            Map.of("l", "v"),
            null,
            null,
            null,
            null,
            false,
            false,
            null,
            null,
            null,
            null,
            null,
            null,
            false,
            0,
            false);
    return ContainerRecord.of(
        store.newId(), Instant.now(), o, "sha256:" + "ab".repeat(32), "berth");
  }

  /**
   * The version the churn writes: restartCount, mirrored in extras and the exit code so a torn mix
   * would show.
   */
  static ContainerRecord bump(ContainerRecord c) {
    int n = c.state().restartCount() + 1;
    ContainerState s = c.state();
    ContainerState next =
        new ContainerState(
            s.status(),
            s.pid(),
            s.monitorPid(),
            s.startedAt(),
            s.finishedAt(),
            n % 256,
            s.oomKilled(),
            "run " + n,
            n);
    return c.withState(next).withExtras(Map.of("version", Integer.toString(n)));
  }

  public static void main(String[] args) throws Exception {
    PrintStream o = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    ContainerStore store = ContainerStore.open(Path.of(args[1]));
    switch (args[0]) {
      case "churn" -> churn(store, new java.util.Random(Long.parseLong(args[2])), o);
      case "race" -> {
        BufferedReader stdin =
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        o.println("ready");
        for (String name; (name = stdin.readLine()) != null; ) {
          try {
            o.println("won " + store.create(record(store, name)).id());
          } catch (BerthException e) {
            o.println("lost " + e.category() + " " + e.getMessage());
          }
        }
      }
      case "many" -> {
        String prefix = args[2];
        int n = Integer.parseInt(args[3]);
        int threads = Integer.parseInt(args[4]);
        createMany(store, prefix, n, threads);
        o.println("done");
      }
      default -> throw new IllegalArgumentException(args[0]);
    }
  }

  static void createMany(ContainerStore store, String prefix, int n, int threads) throws Exception {
    List<Thread> ts = new ArrayList<>();
    List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
    for (int t = 0; t < threads; t++) {
      int first = t;
      ts.add(
          Thread.ofPlatform()
              .start(
                  () -> {
                    try {
                      for (int i = first; i < n; i += threads)
                        store.create(record(store, prefix + "-" + i));
                    } catch (Throwable e) {
                      errors.add(e);
                    }
                  }));
    }
    for (Thread t : ts) t.join();
    if (!errors.isEmpty()) throw new AssertionError("create failed", errors.get(0));
  }

  private static void churn(ContainerStore store, java.util.Random rnd, PrintStream o)
      throws BerthException {
    List<String> live = new ArrayList<>();
    for (ContainerRecord c : store.list().containers()) live.add(c.id());
    o.println("ready");
    for (long i = 0; ; i++) {
      int op = rnd.nextInt(10);
      if (live.isEmpty() || op < 3) {
        String name = "c" + Long.toHexString(rnd.nextLong());
        ContainerRecord r = record(store, name);
        o.println("creating " + r.id() + " " + name);
        store.create(r);
        o.println("created " + r.id() + " " + name);
        live.add(r.id());
      } else if (op < 7) {
        String id = live.get(rnd.nextInt(live.size()));
        int n = store.get(id).state().restartCount() + 1;
        o.println("updating " + id + " " + n);
        store.update(id, StoreChild::bump);
        o.println("updated " + id + " " + n);
      } else if (op < 9) {
        String id = live.get(rnd.nextInt(live.size()));
        String name = "r" + Long.toHexString(rnd.nextLong());
        o.println("renaming " + id + " " + name);
        store.rename(id, name);
        o.println("renamed " + id + " " + name);
      } else {
        String id = live.remove(rnd.nextInt(live.size()));
        o.println("removing " + id);
        store.remove(id);
        o.println("removed " + id);
      }
    }
  }
}
