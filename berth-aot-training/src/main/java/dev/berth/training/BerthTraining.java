package dev.berth.training;

import dev.berth.cli.berth.BerthMain;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * The AOT cache's training run for {@code berth} (scripts/train-aot.sh): real verbs on a throwaway
 * store, so the classes of listing, inspecting, tagging, saving, loading and removing images, and
 * of the container verbs, are in the cache. Pulls run against a registry in this JVM. It returns
 * normally: the JVM writes the cache at an ordinary exit.
 */
public final class BerthTraining {
  private BerthTraining() {}

  /**
   * The container verbs (run, create, start, ps, inspect, logs, stop, kill, wait, rm and a refused
   * run) on a busybox image, when there are root and Debian's static busybox to make one (a build
   * without them trains the rest); whether it ran. {@code lifecycleOnly}: only the verbs of {@link
   * #LIFECYCLE}.
   */
  private static boolean containers(Path work, PrintStream quiet, boolean lifecycleOnly)
      throws IOException {
    return containers(work, quiet, lifecycleOnly, false);
  }

  /**
   * {@link #containers(Path, PrintStream, boolean)}; {@code prepared}: {@link #RUN_PREPARE} has
   * imported the image into {@code work} already (false when it could not: no root or busybox).
   */
  private static boolean containers(
      Path work, PrintStream quiet, boolean lifecycleOnly, boolean prepared) throws IOException {
    Path busybox = Path.of("/bin/busybox");
    if (dev.berth.sys.Linux.geteuid() != 0 || !Files.isExecutable(busybox)) return false;
    if (prepared && !Files.isDirectory(work.resolve("engine"))) return false;
    // No exit command: the monitors would start `berth container cleanup`, JVMs that inherit this
    // run's
    // -XX:AOTCacheOutput and would write the same cache. Stopped containers are reconciled at the
    // next look instead.
    System.clearProperty("berth.launcher");
    Path tarball = work.resolve("busybox.tar");
    String root = work.resolve("engine").toString();
    String run = work.resolve("run").toString();
    String image = "train/busybox:1";
    String[] importing = {"--root", root, "import", tarball.toString(), image};
    if (prepared) {
      // imported by RUN_PREPARE, in a JVM that records no cache
    } else if (lifecycleOnly) {
      // In a JVM of its own, so the classes that write the tarball and import it (tar, unpack) stay
      // out of the cache.
      ProcessBuilder pb =
          new ProcessBuilder(
              Path.of(System.getProperty("java.home"), "bin", "java").toString(),
              "--enable-native-access=ALL-UNNAMED",
              "-Dberth.native.dir=" + System.getProperty("berth.native.dir", ""),
              "-cp",
              System.getProperty("java.class.path"),
              BerthTraining.class.getName(),
              IMPORT_BUSYBOX,
              busybox.toString(),
              tarball.toString());
      pb.command().addAll(List.of(importing));
      pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
      try {
        if (pb.start().waitFor() != 0) throw new IOException("training: import of " + image);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("training: interrupted", e);
      }
    } else {
      busyboxTarball(tarball, busybox);
      BerthMain.run(importing, quiet, quiet);
    }
    // --network none: training runs on the build machine, and a bridge network would make a bridge
    // and firewall
    // rules there (CI's host is not ours to change).
    String[][] commands = {
      {"run", "--rm", "--network", "none", image, "true"},
      {
        "run",
        "--network",
        "none",
        "--name",
        "train-fg",
        image,
        "sh",
        "-c",
        "echo out; echo err >&2; exit 3"
      },
      {"rm", "train-fg"},
      {
        "run",
        "-d",
        "--network",
        "none",
        "--name",
        "train-web",
        "-e",
        "K=V",
        "-w",
        "/tmp",
        "--memory",
        "64m",
        "-v",
        "/data",
        image,
        "sh",
        "-c",
        "echo hi; exec sleep 30"
      },
      {"ps"},
      {"ps", "-a"},
      {"ps", "-q"},
      {"ps", "-a", "--format", "{{.Names}} {{.State}}"},
      {"ps", "--format", "json"},
      {"inspect", "train-web"},
      {"inspect", "-f", "{{.State.Pid}}", "train-web"},
      {"logs", "train-web"},
      {"logs", "-t", "--tail", "1", "train-web"},
      {"exec", "train-web", "true"},
      {"exec", "-e", "A=B", "-w", "/", "train-web", "sh", "-c", "echo $A"},
      {"top", "train-web"},
      {"stats", "--no-stream", "train-web"},
      {"pause", "train-web"},
      {"unpause", "train-web"},
      {"port", "train-web"},
      {"cp", "train-web:/etc/passwd", work.resolve("passwd.copy").toString()},
      {"rename", "train-web", "train-web2"},
      {"rename", "train-web2", "train-web"},
      {"volume", "ls"},
      {"network", "ls"},
      {"container", "prune", "-f"},
      {"rm", "train-web"},
      {"stop", "-t", "0", "train-web"},
      {"start", "train-web"},
      {"kill", "train-web"},
      {"wait", "train-web"},
      {"restart", "-t", "0", "train-web"},
      {"rm", "-f", "-v", "train-web"},
      {"create", "--network", "none", "--name", "train-c", image, "true"},
      {"start", "-a", "train-c"},
      {"rm", "train-c"},
      {"run", "--rm", "--network", "none", "-u", "nosuch", image, "true"},
      {"stop", "nosuch"},
    };
    // In a network namespace of its own (scripts/train-aot.sh runs the run cache's training under
    // unshare -n and says so), the default bridge network's path too: its bridge, veths and
    // firewall rules vanish with the namespace. A host without the CNI plugins fails these runs,
    // and the cache holds the rest.
    if (lifecycleOnly && "1".equals(System.getenv(BRIDGE_ENV))) {
      List<String[]> withBridge = new java.util.ArrayList<>(List.of(commands));
      withBridge.add(new String[] {"run", "--rm", image, "true"});
      withBridge.add(new String[] {"run", "--name", "train-br", image, "true"});
      withBridge.add(new String[] {"rm", "train-br"});
      commands = withBridge.toArray(new String[0][]);
    }
    for (int i = 0; i < 2; i++) {
      for (String[] args : commands) {
        if (lifecycleOnly && !LIFECYCLE.contains(args[0])) continue;
        String[] all = new String[args.length + 4];
        all[0] = "--root";
        all[1] = root;
        all[2] = "--runroot";
        all[3] = run;
        System.arraycopy(args, 0, all, 4, args.length);
        BerthMain.run(all, quiet, quiet);
      }
    }
    // Whatever a failed step left running goes now.
    BerthMain.run(
        new String[] {
          "--root",
          root,
          "--runroot",
          run,
          "rm",
          "-f",
          "train-web",
          "train-fg",
          "train-c",
          "train-br"
        },
        quiet,
        quiet);
    return true;
  }

  /** A busybox image's tarball at {@code tarball}: the shell, a few applets, root's passwd. */
  private static void busyboxTarball(Path tarball, Path busybox) throws IOException {
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(Files.newOutputStream(tarball))) {
      for (String d : new String[] {"bin/", "etc/", "proc/", "sys/", "dev/", "tmp/"}) {
        TarArchiveEntry e = new TarArchiveEntry(d);
        e.setMode(0755);
        tar.putArchiveEntry(e);
        tar.closeArchiveEntry();
      }
      TarArchiveEntry bin = new TarArchiveEntry(busybox.toFile(), "bin/busybox");
      bin.setMode(0755);
      tar.putArchiveEntry(bin);
      Files.copy(busybox, tar);
      tar.closeArchiveEntry();
      for (String applet : new String[] {"sh", "true", "sleep", "echo"}) {
        TarArchiveEntry l = new TarArchiveEntry("bin/" + applet, TarArchiveEntry.LF_SYMLINK);
        l.setLinkName("busybox");
        tar.putArchiveEntry(l);
        tar.closeArchiveEntry();
      }
      for (String[] f :
          new String[][] {
            {"etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"}, {"etc/group", "root:x:0:\n"}
          }) {
        byte[] b = f[1].getBytes(java.nio.charset.StandardCharsets.UTF_8);
        TarArchiveEntry e = new TarArchiveEntry(f[0]);
        e.setSize(b.length);
        tar.putArchiveEntry(e);
        tar.write(b);
        tar.closeArchiveEntry();
      }
    }
  }

  /**
   * The verbs bin/berth runs with a cache of their own (berth-run.aot; the others of a container's
   * life, exec, stop, kill, wait, restart, run with berth.aot): trained on these alone, and with
   * the busybox tarball written and imported in another JVM, the cache holds only what they load,
   * and the JVM loads every class of its cache at start. The sequence still covers run --rm, a
   * foreground run, run -d with a volume and a memory limit, a refused rm of a running container,
   * start of a running one, rm -f (the kill path), create and start -a, and a refused run.
   */
  private static final java.util.Set<String> LIFECYCLE =
      java.util.Set.of("run", "create", "start", "rm");

  /**
   * Set to 1 by scripts/train-aot.sh when the run cache's training runs in a network namespace of
   * its own: the bridge network's path is trained too.
   */
  private static final String BRIDGE_ENV = "BERTH_TRAIN_PRIVATE_NETNS";

  /** The first argument of the JVM that writes the busybox tarball and imports it. */
  private static final String IMPORT_BUSYBOX = "import-busybox";

  /**
   * {@code run-prepare WORK}: imports the busybox image into {@code WORK} for a later {@code run
   * WORK}, whose JVM records the cache: scripts/train-aot.sh runs both, so neither the tarball's
   * and import's classes nor those that would make a temporary directory (SecureRandom and its
   * providers) or start the import's JVM (ProcessBuilder) are in berth-run.aot.
   */
  private static final String RUN_PREPARE = "run-prepare";

  public static void main(String[] argv) throws IOException {
    if (argv.length == 2 && argv[0].equals(RUN_PREPARE)) {
      Path work = Path.of(argv[1]);
      Path busybox = Path.of("/bin/busybox");
      if (dev.berth.sys.Linux.geteuid() != 0 || !Files.isExecutable(busybox)) return;
      Path tarball = work.resolve("busybox.tar");
      busyboxTarball(tarball, busybox);
      PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
      String[] importing = {
        "--root", work.resolve("engine").toString(), "import", tarball.toString(), "train/busybox:1"
      };
      if (BerthMain.run(importing, quiet, System.err) != 0)
        throw new IOException("training: import of train/busybox:1 into " + work);
      return;
    }
    if (argv.length > 2 && argv[0].equals(IMPORT_BUSYBOX)) {
      // IMPORT_BUSYBOX busybox tarball, then berth's import arguments
      busyboxTarball(Path.of(argv[2]), Path.of(argv[1]));
      PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
      int code =
          BerthMain.run(java.util.Arrays.copyOfRange(argv, 3, argv.length), quiet, System.err);
      System.exit(code);
    }
    // run WORK: prepared by RUN_PREPARE (the caller removes WORK).
    boolean prepared = argv.length == 2 && argv[0].equals("run");
    Path work = prepared ? Path.of(argv[1]) : Files.createTempDirectory("berth-train");
    PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
    try {
      String part = argv.length == 1 || prepared ? argv[0] : "";
      // Without root or busybox, the run cache is trained as the local one.
      if (part.equals("run") && containers(work, quiet, true, prepared)) return;
      if (!part.equals("transfer") && !part.equals("local") && !part.equals("run")) {
        throw new IllegalArgumentException("usage: BerthTraining transfer|local|run");
      }
      Path tarball = work.resolve("rootfs.tar.gz");
      try (TarArchiveOutputStream tar =
          new TarArchiveOutputStream(
              new java.util.zip.GZIPOutputStream(Files.newOutputStream(tarball), 1 << 16))) {
        TarArchiveEntry dir = new TarArchiveEntry("bin/");
        dir.setMode(0755);
        tar.putArchiveEntry(dir);
        tar.closeArchiveEntry();
        byte[] hello = "#!/bin/sh\necho hello\n".getBytes();
        TarArchiveEntry f = new TarArchiveEntry("bin/hello");
        f.setMode(0755);
        f.setSize(hello.length);
        tar.putArchiveEntry(f);
        tar.write(hello);
        tar.closeArchiveEntry();
        // A few MB of half-random data, so inflating, hashing and writing files run long enough to
        // be profiled.
        java.util.Random random = new java.util.Random(1);
        for (int i = 0; i < 40; i++) {
          byte[] data = new byte[128 * 1024];
          random.nextBytes(data);
          java.util.Arrays.fill(data, 0, data.length / 2, (byte) 'x');
          TarArchiveEntry e = new TarArchiveEntry("data/f" + i);
          e.setSize(data.length);
          tar.putArchiveEntry(e);
          tar.write(data);
          tar.closeArchiveEntry();
        }
      }
      String root = work.resolve("store").toString();
      String archive = work.resolve("saved.tar").toString();
      if (part.equals("transfer")) {
        try (TrainingRegistry registry = new TrainingRegistry()) {
          String remote = registry.address() + "/train/app:1";
          String[][] network = {
            {"--root", root, "import", tarball.toString(), remote},
            {"--root", root, "push", remote},
            {"--root", root, "rmi", remote},
            {"--root", root, "pull", remote},
            // again: the pull of an image already here (one manifest request), its own code path
            {"--root", root, "pull", remote},
            {"--root", root, "push", remote, registry.address() + "/train/copy:1"},
            {"--root", root, "rmi", remote},
          };
          for (int i = 0; i < 3; i++) {
            for (String[] args : network) BerthMain.run(args, quiet, quiet);
          }
        }
      }
      String[][] commands = {
        {"--root", root, "import", tarball.toString(), "train/app:1"},
        {"--root", root, "images"},
        {"--root", root, "images", "--format", "json"},
        {"--root", root, "inspect", "train/app:1"},
        {"--root", root, "tag", "train/app:1", "train/app:2"},
        {"--root", root, "save", "-o", archive, "train/app:1"},
        {"--root", root, "rmi", "train/app:1", "train/app:2"},
        {"--root", root, "load", "-i", archive},
        {"--root", root, "images", "-q"},
        {"--root", root, "image", "ls"},
        {"--help"},
        {"--root", root, "inspect", "no/such:image"},
      };
      for (String[] args : commands) {
        for (int i = 0; i < 3; i++) BerthMain.run(args, quiet, quiet);
      }
      if (!part.equals("transfer")) containers(work, quiet, false);
    } finally {
      unmountUnder(work);
      try (Stream<Path> all = Files.walk(work)) {
        for (Path p : all.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
      }
    }
  }

  /**
   * Detaches what the throwaway store's engine mounted under {@code work} (the bind mount that pins
   * network namespaces in its run root, once networking was looked at), deepest first.
   */
  private static void unmountUnder(Path work) throws IOException {
    String prefix = work.toString() + "/";
    List<String> mounts = new java.util.ArrayList<>();
    for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
      String[] f = line.split(" ");
      if (f.length > 4 && f[4].startsWith(prefix)) mounts.add(f[4]);
    }
    mounts.sort(Comparator.reverseOrder());
    for (String m : mounts) {
      dev.berth.sys.Linux.umount2(m, dev.berth.sys.LinuxConstants.MNT_DETACH);
    }
  }
}
