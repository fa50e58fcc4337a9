package dev.berth.cli.berth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.testkit.Busybox;
import dev.berth.testkit.Exec;
import dev.berth.testkit.JsonDocument;
import dev.berth.testkit.Processes;
import dev.berth.testkit.RequiresRoot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * cp, export, commit, port, container prune and the volume verbs through the real {@code
 * bin/berth}, as a docker user types them: docker's names for where copies land, "-" as a tar
 * stream, docker's outputs and exit statuses.
 */
@RequiresRoot
class BerthFilesCliTest {
  @TempDir Path tmp;
  String global;

  @BeforeEach
  void setUp() throws Exception {
    global = "--root " + tmp.resolve("store") + " --runroot " + tmp.resolve("run");
    Path rootfs = Busybox.rootfs(tmp.resolve("rootfs"));
    Files.createDirectories(rootfs.resolve("data/sub"));
    Files.writeString(rootfs.resolve("data/a"), "a\n");
    Files.writeString(rootfs.resolve("data/sub/b"), "b\n");
    Exec.run("tar", "-C", rootfs.toString(), "-cf", tmp.resolve("bb.tar").toString(), ".").ok();
    berth("import " + tmp.resolve("bb.tar") + " localhost/busybox").ok();
  }

  @AfterEach
  void tearDown() {
    Exec.Result ids = berth("ps -aq --no-trunc");
    for (String id : ids.stdout().lines().toList()) berth("rm -f " + id);
    // The monitors, and the cleanup they run when their container ends, work on after the CLI
    // returns.
    assertEquals(
        List.of(),
        Processes.awaitNoneMentioning(tmp, java.time.Duration.ofSeconds(20)),
        "processes left");
    for (String line : Exec.run("cat", "/proc/self/mountinfo").stdout().lines().toList()) {
      assertFalse(line.split(" ")[4].startsWith(tmp.toString()), "mount left behind: " + line);
    }
  }

  private Exec.Result berth(String shell) {
    return BerthCli.process(Map.of(), global + " " + shell);
  }

  private static List<String> tree(Path dir) throws IOException {
    try (var s = Files.walk(dir)) {
      return s.map(p -> dir.relativize(p).toString()).filter(p -> !p.isEmpty()).sorted().toList();
    }
  }

  @Test
  void cpFollowsDockersRulesBothWays() throws IOException {
    berth("create --name cc localhost/busybox sleep 100").ok();
    Path out = Files.createDirectories(tmp.resolve("out"));
    berth("cp cc:/data " + out).ok();
    berth("cp cc:/data/. " + out.resolve("contents")).ok();
    berth("cp cc:/data/a " + out.resolve("renamed")).ok();
    assertEquals(
        List.of(
            "contents",
            "contents/a",
            "contents/sub",
            "contents/sub/b",
            "data",
            "data/a",
            "data/sub",
            "data/sub/b",
            "renamed"),
        tree(out));
    assertEquals("a\n", Files.readString(out.resolve("renamed")));

    Exec.Result dirOntoFile = berth("cp cc:/data " + out.resolve("renamed"));
    assertEquals(125, dirOntoFile.exitCode(), dirOntoFile.toString());
    assertEquals("Error: cannot copy directory\n", dirOntoFile.stderr());
    Exec.Result missing = berth("cp cc:/nope " + out);
    assertEquals(125, missing.exitCode(), missing.toString());
    assertEquals("Error: Could not find the file /nope in container cc\n", missing.stderr());

    // In: a host tree under a new name, owned by the container's root; then the container's tar on
    // stdout.
    Files.writeString(Files.createDirectories(tmp.resolve("src/deep")).resolve("f"), "f\n");
    Exec.run("chown", "-R", "1000:1000", tmp.resolve("src").toString()).ok();
    berth("cp " + tmp.resolve("src") + " cc:/copied").ok();
    berth("cp -a " + tmp.resolve("src") + " cc:/tmp").ok();
    Exec.Result listing = berth("cp cc:/copied - | tar -tvf -");
    assertEquals(0, listing.exitCode(), listing.toString());
    assertTrue(
        listing.stdout().contains("0/0") && listing.stdout().contains("copied/deep/f"),
        listing.stdout());
    Exec.Result kept = berth("cp cc:/tmp/src/deep/f - | tar -tvf -");
    assertTrue(kept.stdout().contains("1000/1000"), kept.toString());

    // "-" in: a tar on stdin into a directory; a destination that is not one is docker's error.
    Exec.run(
            "tar",
            "-C",
            tmp.resolve("src").toString(),
            "-cf",
            tmp.resolve("in.tar").toString(),
            "deep")
        .ok();
    berth("cp - cc:/data < " + tmp.resolve("in.tar")).ok();
    assertEquals(
        "data/deep/f\n", berth("cp cc:/data/deep/f - | tar -tf - | sed s,^,data/deep/,").stdout());
    Exec.Result notDir = berth("cp - cc:/data/a < " + tmp.resolve("in.tar"));
    assertEquals(125, notDir.exitCode(), notDir.toString());
    assertEquals("Error: destination \"cc:/data/a\" must be a directory\n", notDir.stderr());
    Exec.Result both = berth("cp cc:/a cc:/b");
    assertEquals("Error: copying between containers is not supported\n", both.stderr());
  }

  @Test
  void exportCommitPortAndPrune() throws IOException {
    Exec.Result run =
        berth("run --name web localhost/busybox sh -c 'echo changed > /data/a; rm /data/sub/b'");
    assertEquals(0, run.exitCode(), run.toString());
    Exec.Result export = berth("export web | tar -tf -");
    assertTrue(
        export.stdout().lines().toList().containsAll(List.of("bin/busybox", "data/a", "data/sub/")),
        export.toString());
    assertFalse(export.stdout().contains("data/sub/b"), export.stdout());
    assertEquals(
        "C /data\nC /data/a\nC /data/sub\nD /data/sub/b\n", berth("diff web").ok().stdout());
    berth("export -o " + tmp.resolve("w.tar") + " web").ok();
    assertTrue(Files.size(tmp.resolve("w.tar")) > 100_000);

    Exec.Result commit =
        berth("commit -c 'CMD [\"cat\", \"/data/a\"]' -m note web localhost/made:1");
    assertEquals(0, commit.exitCode(), commit.toString());
    assertTrue(commit.stdout().matches("sha256:[0-9a-f]{64}\n"), commit.toString());
    assertEquals("changed\n", berth("run --rm localhost/made:1").ok().stdout());
    assertEquals(
        "", berth("run --rm localhost/made:1 ls /data/sub").ok().stdout(), "deleted stays deleted");

    Exec.Result port = berth("port web");
    assertEquals(0, port.exitCode(), port.toString());
    assertEquals("", port.stdout());
    Exec.Result p80 = berth("port web 80");
    assertEquals(1, p80.exitCode(), p80.toString());
    assertEquals("Error: No public port '80/tcp' published for web\n", p80.stderr());

    berth("run -d --name up localhost/busybox sleep 100").ok();
    Exec.Result prune = berth("container prune -f");
    assertEquals(0, prune.exitCode(), prune.toString());
    List<String> lines = prune.stdout().lines().toList();
    assertEquals("Deleted Containers:", lines.getFirst(), prune.stdout());
    assertEquals(64, lines.get(1).length(), prune.stdout());
    assertEquals("", lines.get(2));
    assertTrue(lines.get(3).startsWith("Total reclaimed space: "), prune.stdout());
    assertEquals("up\n", berth("ps -a --format '{{.Names}}'").stdout());
  }

  @Test
  void volumeVerbsAsDocker() {
    assertEquals("v1\n", berth("volume create --label team=a v1").ok().stdout());
    String anon = berth("volume create").ok().stdout().strip();
    assertEquals(64, anon.length());
    Exec.Result ls = berth("volume ls");
    assertEquals(
        List.of("DRIVER    VOLUME NAME", "local     " + anon, "local     v1"),
        ls.stdout().lines().toList());
    assertEquals("v1\n", berth("volume ls -q --filter label=team=a").stdout());
    Map<String, Object> v1 =
        JsonDocument.object(
            JsonDocument.array(JsonDocument.parse(berth("volume inspect v1").ok().stdout()))
                .getFirst());
    assertEquals(
        List.of("CreatedAt", "Driver", "Labels", "Mountpoint", "Name", "Options", "Scope"),
        List.copyOf(v1.keySet()));
    assertEquals("local", v1.get("Driver"));
    assertEquals("v1", v1.get("Name"));
    assertEquals("local", v1.get("Scope"));
    assertEquals(Map.of("team", "a"), v1.get("Labels"));
    assertEquals(tmp.resolve("store/volumes/v1/_data").toString(), v1.get("Mountpoint"));
    Exec.Result missing = berth("volume inspect nope");
    assertEquals(1, missing.exitCode(), missing.toString());
    assertEquals("Error: No such volume: nope\n", missing.stderr());

    berth("create --name user -v v1:/x localhost/busybox true").ok();
    Exec.Result inUse = berth("volume rm v1");
    assertEquals(1, inUse.exitCode(), inUse.toString());
    assertTrue(inUse.stderr().startsWith("Error: remove v1: volume is in use - ["), inUse.stderr());
    Exec.Result prune = berth("volume prune -f");
    assertEquals(
        List.of("Deleted Volumes:", anon, "", "Total reclaimed space: "),
        prune
            .stdout()
            .lines()
            .map(l -> l.startsWith("Total") ? "Total reclaimed space: " : l)
            .toList());
    berth("rm user").ok();
    assertEquals("v1\n", berth("volume rm v1").ok().stdout());
    assertEquals("", berth("volume ls -q").stdout());

    // the local driver's options: a tmpfs volume, mounted in the container as asked
    berth("volume create -o type=tmpfs -o device=tmpfs -o o=size=1m,mode=0700 tv").ok();
    String mounted =
        berth("run --rm --network none -v tv:/data localhost/busybox grep /data /proc/mounts")
            .ok()
            .stdout();
    assertTrue(mounted.contains("tmpfs /data tmpfs") && mounted.contains("size=1024k"), mounted);
    Exec.Result bad = berth("volume create -o type=tmpfs bad");
    assertEquals(125, bad.exitCode(), bad.toString());
    assertEquals("Error: missing required option: \"device\"\n", bad.stderr());
    assertEquals("tv\n", berth("volume rm tv").ok().stdout());
    assertEquals("", berth("volume ls -q").stdout());
  }
}
