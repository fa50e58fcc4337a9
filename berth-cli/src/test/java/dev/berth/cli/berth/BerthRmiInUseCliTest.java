package dev.berth.cli.berth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.testkit.Busybox;
import dev.berth.testkit.Exec;
import dev.berth.testkit.Processes;
import dev.berth.testkit.RequiresRoot;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * rmi of an image a container was made from: refused as podman refuses it; forced, the container
 * still runs.
 */
@RequiresRoot
class BerthRmiInUseCliTest {
  @TempDir Path tmp;

  private Exec.Result berth(String shell) {
    return BerthCli.process(
        Map.of(),
        "--root " + tmp.resolve("store") + " --runroot " + tmp.resolve("run") + " " + shell);
  }

  @AfterEach
  void tearDown() {
    for (String id : berth("ps -aq --no-trunc").stdout().lines().toList()) berth("rm -f " + id);
    assertEquals(
        List.of(), Processes.awaitNoneMentioning(tmp, Duration.ofSeconds(20)), "processes left");
  }

  @Test
  void anImageInUseIsRefusedThenForced() {
    Path rootfs = Busybox.rootfs(tmp.resolve("rootfs"));
    Exec.run("tar", "-C", rootfs.toString(), "-cf", tmp.resolve("bb.tar").toString(), ".").ok();
    berth("import " + tmp.resolve("bb.tar") + " localhost/busybox").ok();
    berth("create --name ctr localhost/busybox echo still here").ok();
    Exec.Result refused = berth("rmi localhost/busybox");
    assertEquals(2, refused.exitCode(), refused.toString());
    assertTrue(refused.stderr().contains("image is in use by a container"), refused.toString());
    assertEquals(1, berth("images -q").stdout().lines().count(), "the image stays");
    berth("rmi -f localhost/busybox").ok();
    assertEquals("", berth("images -q").stdout());
    assertEquals(0, berth("start -a ctr").exitCode());
    assertTrue(berth("logs ctr").stdout().contains("still here"));
  }
}
