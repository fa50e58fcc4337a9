package dev.berth.engine.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.runtime.ContainerRuntime;
import dev.berth.runtime.driver.InProcessDriver;
import dev.berth.runtime.driver.OciCliDriver;
import dev.berth.runtime.driver.RuntimeDriver;
import dev.berth.testkit.RequiresCommand;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The same generated specs under runc (Debian's 1.1.5): every check of {@link
 * GeneratedSpecRunsTest} holds there too, and the two runtimes' containers see the same things.
 */
@RequiresCommand("runc")
class GeneratedSpecRuncTest extends GeneratedSpecRunsTest {
  @Override
  protected RuntimeDriver driver(Path stateRoot) {
    return new OciCliDriver("runc", "runc", stateRoot);
  }

  @Test
  void runcAndBerthSeeTheSame() throws Exception {
    Map<String, String> runc =
        run(
            appOptions(),
            "id > /out/id; env | sort > /out/env; pwd > /out/pwd; "
                + "hostname > /out/hostname; stat -c '%F %t:%T' /proc/keys > /out/keys; cat /proc/self/status "
                + "| grep -E '^(Cap|Seccomp|NoNewPrivs|Groups)' > /out/status; unshare -U true 2> /out/unshare; ls -l /dev "
                + "| sed 's/ [A-Z][a-z][a-z] .*:.. / /' > /out/dev");
    RuntimeDriver berth =
        new InProcessDriver("berth", new ContainerRuntime(tmp.resolve("berth-state")));
    Map<String, String> ours =
        runWith(
            berth,
            appOptions(),
            "id > /out/id; env | sort > /out/env; pwd > /out/pwd; "
                + "hostname > /out/hostname; stat -c '%F %t:%T' /proc/keys > /out/keys; cat /proc/self/status "
                + "| grep -E '^(Cap|Seccomp|NoNewPrivs|Groups)' > /out/status; unshare -U true 2> /out/unshare; ls -l /dev "
                + "| sed 's/ [A-Z][a-z][a-z] .*:.. / /' > /out/dev");
    // Not two empty answers: the filter is on, the groups and the masked node are there.
    assertTrue(runc.get("status").contains("Seccomp:\t2"), runc.get("status"));
    assertTrue(runc.get("status").contains("Groups:\t1000 2000"), runc.get("status"));
    assertEquals("character special file 1:3", runc.get("keys"));
    assertEquals(runc, ours);
  }
}
