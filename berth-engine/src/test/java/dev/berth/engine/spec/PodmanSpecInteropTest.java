package dev.berth.engine.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.spec.runtime.Mount;
import dev.berth.spec.runtime.Namespace;
import dev.berth.spec.runtime.SeccompSyscall;
import dev.berth.spec.runtime.Spec;
import dev.berth.spec.runtime.SpecReader;
import dev.berth.testkit.Busybox;
import dev.berth.testkit.RequiresCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Our spec beside the config.json podman 4.3 writes for the same busybox image with {@code
 * --network none}: podman follows docker's defaults where docker has them, with differences it
 * chose on purpose, which are named here (so a change on either side shows). podman runs on its own
 * storage under a temporary root, the host's untouched.
 */
@RequiresCommand("podman")
class PodmanSpecInteropTest {

  @Test
  void ourDefaultsMatchPodmansWhereBothFollowDocker() throws Exception {
    Path tmp = Files.createTempDirectory("berth-podman-");
    List<Path> cgroupsBefore = podmanCgroups();
    try {
      Spec podman = podmanSpec(tmp);
      String id = podman.hostname(); // podman's hostname is its id's first 12 digits, as ours
      Path rootfs = Busybox.rootfs(tmp.resolve("rootfs"));
      Spec ours =
          new SpecGenerator(HostFacts.current())
              .generate(
                  new SpecRequest(
                      Opts.image(null, List.of("sh")),
                      Opts.of().build(),
                      id + "0".repeat(52),
                      rootfs,
                      tmp.resolve("files"),
                      Map.of()))
              .spec();

      // Capabilities: podman 4 leaves out three of docker's defaults.
      Set<String> extra = new HashSet<>(ours.process().capabilities().bounding());
      extra.removeAll(podman.process().capabilities().bounding());
      assertTrue(
          ours.process()
              .capabilities()
              .bounding()
              .containsAll(podman.process().capabilities().bounding()));
      assertEquals(Set.of("CAP_MKNOD", "CAP_NET_RAW", "CAP_AUDIT_WRITE"), extra);

      // Environment: the same PATH and HOSTNAME (podman adds container=podman).
      assertTrue(podman.process().env().contains("PATH=" + SpecGenerator.DEFAULT_PATH));
      assertTrue(ours.process().env().contains("PATH=" + SpecGenerator.DEFAULT_PATH));
      assertTrue(podman.process().env().contains("HOSTNAME=" + id));
      assertTrue(ours.process().env().contains("HOSTNAME=" + id));
      assertEquals(podman.hostname(), ours.hostname());

      // Masked paths: podman's /proc and /sys/firmware entries are ours; docker masks /proc/asound
      // where podman makes
      // it read-only; podman adds /sys/fs/selinux and /sys/dev/block, docker
      // /sys/devices/virtual/powercap.
      List<String> podmanMasked = new ArrayList<>(podman.linux().maskedPaths());
      podmanMasked.removeAll(List.of("/sys/fs/selinux", "/sys/dev/block"));
      assertTrue(ours.linux().maskedPaths().containsAll(podmanMasked), podmanMasked.toString());
      List<String> podmanReadonly = new ArrayList<>(podman.linux().readonlyPaths());
      podmanReadonly.remove("/proc/asound");
      assertEquals(podmanReadonly, ours.linux().readonlyPaths());

      // The default filesystems both make, with the same options (podman's /dev adds noexec).
      for (String d : List.of("/proc", "/dev/pts", "/dev/mqueue", "/sys")) {
        assertEquals(mount(podman, d).type(), mount(ours, d).type(), d);
        assertEquals(mount(podman, d).options(), mount(ours, d).options(), d);
      }
      assertEquals("cgroup", mount(ours, "/sys/fs/cgroup").type());
      assertTrue(mount(ours, "/sys/fs/cgroup").options().contains("ro"));

      // Namespaces: podman's with a network namespace for "none"; docker (and we) add a private
      // cgroup namespace.
      List<String> podmanNs = podman.linux().namespaces().stream().map(Namespace::type).toList();
      List<String> ourNs = ours.linux().namespaces().stream().map(Namespace::type).toList();
      assertTrue(ourNs.containsAll(podmanNs), podmanNs + " in " + ourNs);

      // seccomp: the same default action and personality rules; docker's default errno is EPERM,
      // podman's ENOSYS.
      assertEquals(
          podman.linux().seccomp().defaultAction(), ours.linux().seccomp().defaultAction());
      assertEquals(38, podman.linux().seccomp().defaultErrnoRet());
      assertEquals(1, ours.linux().seccomp().defaultErrnoRet());
      assertEquals(personality(podman), personality(ours));
      assertEquals(
          podman.linux().resources().devices().getFirst(),
          ours.linux().resources().devices().getFirst());
    } finally {
      cleanup(tmp);
      // podman's cgroupfs manager leaves its empty parent cgroups (libpod_parent/conmon): remove
      // the ones it made now.
      List<Path> made = new ArrayList<>(podmanCgroups());
      made.removeAll(cgroupsBefore);
      made.sort(Comparator.comparingInt(Path::getNameCount).reversed());
      for (Path p : made) {
        // Where a controller is not mounted, podman makes plain directories on the tmpfs above
        // the hierarchies, with a "tasks" file of its own in each: those go with their files.
        if (!Files.exists(p.resolve("cgroup.procs"))) {
          try (Stream<Path> files = Files.list(p)) {
            for (Path f : files.toList()) if (Files.isRegularFile(f)) Files.delete(f);
          }
        }
        Files.deleteIfExists(p);
      }
      assertEquals(cgroupsBefore, podmanCgroups(), "podman's cgroups left behind");
    }
  }

  private static List<Path> podmanCgroups() throws IOException {
    List<Path> out = new ArrayList<>();
    try (Stream<Path> s = Files.list(Path.of("/sys/fs/cgroup"))) {
      for (Path hierarchy : s.toList()) {
        Path parent = hierarchy.resolve("libpod_parent");
        if (!Files.isDirectory(parent)) continue;
        try (Stream<Path> w = Files.walk(parent)) {
          w.filter(Files::isDirectory).forEach(out::add);
        }
      }
    }
    out.sort(null);
    return out;
  }

  private static List<SeccompSyscall> personality(Spec s) {
    return s.linux().seccomp().syscalls().stream()
        .filter(r -> r.names().equals(List.of("personality")))
        .toList();
  }

  private static Mount mount(Spec s, String destination) {
    return s.mounts().stream()
        .filter(m -> m.destination().equals(destination))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no mount at " + destination));
  }

  /**
   * podman's config.json for busybox with {@code --network none}: written by {@code podman init}
   * before the runtime starts (which may fail here: this machine refuses podman's rlimits; the
   * config is written by then).
   */
  private static Spec podmanSpec(Path tmp) throws Exception {
    Path root = Busybox.rootfs(tmp.resolve("image"));
    Path tar = tmp.resolve("busybox.tar");
    podman(tmp, "tar", "-C", root.toString(), "-cf", tar.toString(), ".");
    podman(tmp, "podman", "import", tar.toString(), "localhost/berth-interop:1");
    podman(
        tmp,
        "podman",
        "create",
        "--network",
        "none",
        "--ulimit",
        "host",
        "--name",
        "berth-interop",
        "localhost/berth-interop:1",
        "sh");
    podman(tmp, "podman", "init", "berth-interop");
    try (Stream<Path> s = Files.walk(tmp.resolve("storage"))) {
      Path config =
          s.filter(
                  p ->
                      p.getFileName().toString().equals("config.json")
                          && p.getParent().getFileName().toString().equals("userdata"))
              .findFirst()
              .orElseThrow(() -> new AssertionError("podman wrote no config.json"));
      return SpecReader.read(config);
    }
  }

  /**
   * Runs a command; podman ones on the temporary storage. Their exit status is not checked (see
   * podmanSpec).
   */
  private static void podman(Path tmp, String... cmd) throws IOException, InterruptedException {
    List<String> argv = new ArrayList<>(List.of(cmd));
    if (cmd[0].equals("podman")) {
      argv.addAll(
          1,
          List.of(
              "--root",
              tmp.resolve("storage").toString(),
              "--runroot",
              tmp.resolve("run").toString(),
              "--storage-driver",
              "vfs",
              "--cgroup-manager",
              "cgroupfs",
              "--events-backend",
              "none"));
    }
    Process p =
        new ProcessBuilder(argv)
            .redirectErrorStream(true)
            .redirectOutput(tmp.resolve("podman.log").toFile())
            .start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("timed out: " + argv);
    }
  }

  /** Removes podman's container and storage, then checks no mount of it is left. */
  private static void cleanup(Path tmp) throws Exception {
    try {
      podman(tmp, "podman", "rm", "-f", "berth-interop");
      podman(tmp, "podman", "rmi", "-f", "localhost/berth-interop:1");
    } finally {
      for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
        String point = line.split(" ")[4];
        if (point.startsWith(tmp.toString())) {
          new ProcessBuilder("umount", "-l", point).start().waitFor();
        }
      }
      List<String> left =
          Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
              .filter(l -> l.split(" ")[4].startsWith(tmp.toString()))
              .toList();
      try (Stream<Path> s = Files.walk(tmp)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
      assertEquals(List.of(), left, "podman's mounts left behind");
    }
  }
}
