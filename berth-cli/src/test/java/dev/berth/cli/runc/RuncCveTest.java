package dev.berth.cli.runc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.testkit.Bundle;
import dev.berth.testkit.Exec;
import dev.berth.testkit.RequiresCommand;
import dev.berth.testkit.RequiresRoot;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * runc's published CVEs replayed on berth-runc's command line, side by side with runc 1.1.5 (which
 * has their fixes): the outcome must be runc's. Bundle-level replays are in berth-runtime's
 * HostileBundleTest.
 */
@RequiresRoot
@RequiresCommand("runc")
class RuncCveTest {
  @TempDir Path tmp;

  private int bundles;

  private Bundle bundle(String runtime, Consumer<Bundle> setup) {
    Bundle b = Bundle.busybox(tmp.resolve(name(runtime) + "/bundle" + bundles++));
    setup.accept(b);
    b.write();
    return b;
  }

  private static String name(String runtime) {
    return runtime.equals("runc") ? "runc" : "berth";
  }

  private Exec.Result run(String runtime, Bundle b, String... args) {
    return BerthRunc.runWithRoot(runtime, b.dir(), tmp.resolve(name(runtime) + "/state"), args);
  }

  @Test
  void cve202229162ExecCapGrantsNoInheritableOrAmbientCapability() {
    // runc exec --cap put the capability in the inheritable set too: a file-capability binary then
    // gained it. Since runc 1.1.2 it goes to bounding, effective and permitted only.
    String caps = "grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb)' /proc/self/status";
    String[] seen = new String[2];
    String[] runtimes = {"runc", BerthRunc.launcher().toString()};
    for (int i = 0; i < 2; i++) {
      String rt = runtimes[i];
      // Its stdio away from the pipes the test reads, which a detached process would hold open.
      Bundle b = bundle(rt, x -> x.sh("exec sleep 60 </dev/null >/dev/null 2>&1"));
      String id = "cve" + ProcessHandle.current().pid() + i;
      assertEquals(0, run(rt, b, "run", "-d", id).exitCode(), rt);
      try {
        Exec.Result r =
            run(
                rt,
                b,
                "exec",
                "--cap",
                "CAP_SYS_ADMIN",
                "--cap",
                "CAP_NET_ADMIN",
                id,
                "sh",
                "-c",
                caps);
        assertEquals(0, r.exitCode(), r.toString());
        seen[i] = r.stdout();
      } finally {
        run(rt, b, "delete", "-f", id);
      }
    }
    assertTrue(seen[0].contains("CapInh:\t0000000000000000\n"), seen[0]);
    assertTrue(seen[0].contains("CapAmb:\t0000000000000000\n"), seen[0]);
    assertEquals(seen[0], seen[1]);
  }

  @Test
  void cve201916884AndHugeIdsAreRefusedAsRuncRefusesThem() {
    // A volume over /proc, a mount inside /proc, and a uid the kernel reads as -1: runc refuses
    // each before the process runs, and so does berth-runc, naming the field.
    String[][] cases = {
      {"volume over /proc", "cannot be mounted because it is not of type proc"},
      {"inside /proc", "cannot be mounted because it is inside /proc"},
      {"uid -1", "uids and gids must be in range 0-2147483647"},
    };
    for (int c = 0; c < cases.length; c++) {
      final int k = c;
      for (String rt : new String[] {"runc", BerthRunc.launcher().toString()}) {
        Path vol = tmp.resolve(name(rt) + "/vol" + k);
        Bundle b =
            bundle(
                rt,
                x -> {
                  x.sh("touch /out-ran");
                  vol.toFile().mkdirs();
                  String dest = k == 0 ? "/proc" : "/proc/sys/kernel";
                  if (k < 2)
                    x.mounts()
                        .add(
                            Bundle.map(
                                "destination",
                                dest,
                                "type",
                                "bind",
                                "source",
                                vol.toString(),
                                "options",
                                Bundle.list("rbind")));
                  else x.process().put("user", Bundle.map("uid", 4294967295L, "gid", 0));
                });
        Exec.Result r = run(rt, b, "run", "cve" + ProcessHandle.current().pid() + k);
        assertNotEquals(0, r.exitCode(), rt + " ran " + cases[k][0]);
        assertTrue(r.stderr().contains(cases[k][1]), rt + ": " + r);
        assertTrue(!b.rootfs().resolve("out-ran").toFile().exists(), rt + " ran the process");
        assertEquals("", run(rt, b, "list", "-q").stdout(), rt + " left a container");
      }
    }
  }
}
