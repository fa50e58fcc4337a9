package dev.berth.runtime.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class PlanTextTest {
  @Test
  void rendersTheExampleOfTheProtocolDoc() {
    Plan p =
        new Plan(
            List.of(
                new Op.Clone(0x00020000L | 0x04000000L | 0x20000000L),
                new Op.WaitGo(),
                new Op.Mount(false, false, "", "/", "", (1 << 19) | 16384, ""),
                new Op.Mount(false, false, "/b/rootfs", "/b/rootfs", "", 4096 | 16384, ""),
                new Op.SetRoot("/b/rootfs"),
                new Op.Mkdirs("/proc", 0755),
                new Op.Mount(false, true, "proc", "/proc", "proc", 2 | 4 | 8, ""),
                new Op.PivotRoot(false),
                new Op.Sethostname("box"),
                new Op.ResolveExec(List.of("/bin/sh")),
                new Op.Exec(List.of("sh", "-c", "hostname"), List.of("PATH=/bin"))));
    assertEquals(
        """
        0 clone flags=CLONE_NEWNS|CLONE_NEWUTS|CLONE_NEWPID
        1 wait-go
        2 mount source="" target=/ fstype="" flags=MS_REC|MS_SLAVE data=""
        3 mount source=/b/rootfs target=/b/rootfs fstype="" flags=MS_BIND|MS_REC data=""
        4 set-root /b/rootfs
        5 mkdirs /proc mode=0755
        6 mount source=proc target-in-root=/proc fstype=proc flags=MS_NOSUID|MS_NODEV|MS_NOEXEC data=""
        7 pivot-root pivot
        8 sethostname box
        9 resolve-exec [/bin/sh]
        10 exec argv=[sh, -c, hostname] env=[PATH=/bin]
        """,
        PlanText.render(p));
  }

  @Test
  void everyOpHasALineStartingWithItsName() {
    for (Op op : PlanEncodingTest.allOps()) {
      String line = PlanText.line(op);
      assertTrue(
          line.equals(Opcode.name(op.opcode())) || line.startsWith(Opcode.name(op.opcode()) + " "),
          line);
      assertTrue(!line.contains("\n"), line);
    }
  }

  @Test
  void fieldsAreNamedAndUnsigned() {
    assertEquals(
        "mknod /dev/null type=c mode=0666 major=1 minor=3 uid=0 gid=0",
        PlanText.line(new Op.Mknod("/dev/null", 0020666, 1, 3, 0, 0)));
    assertEquals(
        "setrlimit RLIMIT_NOFILE soft=1024 hard=unlimited",
        PlanText.line(new Op.Setrlimit(7, 1024, -1)));
    assertEquals("setresuid 4294967294", PlanText.line(new Op.Setresuid(-2)));
    assertEquals(
        "run-hook path=/h blob=none timeout=none args=[] env=[]",
        PlanText.line(new Op.RunHook(Op.RunHook.NO_BLOB, 0, "/h", List.of(), List.of())));
    assertEquals(
        "remount target=/ flags=MS_RDONLY|MS_REMOUNT|MS_BIND|0x80000000",
        PlanText.line(new Op.Remount(false, "/", 1 | 32 | 4096 | 0x80000000L)));
    assertEquals("umask 0022", PlanText.line(new Op.Umask(022)));
  }

  @Test
  void quotesOnlyWhatNeedsIt() {
    assertEquals("/usr/bin/env", PlanText.q("/usr/bin/env"));
    assertEquals("\"\"", PlanText.q(""));
    assertEquals("\"a b\"", PlanText.q("a b"));
    assertEquals("\"say \\\"hi\\\"\\n\"", PlanText.q("say \"hi\"\n"));
    assertEquals("\"\\x01\"", PlanText.q("\u0001"));
  }
}
