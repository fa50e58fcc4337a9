package dev.berth.cli.runc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.berth.testkit.Bundle;
import dev.berth.testkit.Exec;
import dev.berth.testkit.RequiresCommand;
import dev.berth.testkit.RequiresRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Spec fields where berth-runc once differed from runc, run side by side: the same bundle under
 * both runtimes must exit the same way and print the same thing. Each case is a difference found
 * and fixed; a new one gets a case here.
 */
@RequiresRoot
@RequiresCommand("runc")
class RuncConformanceTest {
  @TempDir Path tmp;

  private record Outcome(int exitCode, String out) {}

  /**
   * Runs the bundle that {@code setup} makes under {@code runtime}; the exit code and
   * stdout+stderr, normalised.
   */
  private Outcome run(String runtime, Consumer<Bundle> setup, String... flags) {
    String name = runtime.equals("runc") ? "runc" : "berth";
    Path dir = tmp.resolve(name);
    Bundle bundle = Bundle.busybox(dir.resolve("bundle"));
    setup.accept(bundle);
    bundle.write();
    String id = "conf" + ProcessHandle.current().pid();
    List<String> args = new ArrayList<>(List.of("--root", dir.resolve("state").toString(), "run"));
    args.addAll(List.of(flags));
    args.add(id);
    Exec.Result r = BerthRunc.run(runtime, bundle.dir(), args.toArray(String[]::new));
    BerthRunc.run(
        runtime, bundle.dir(), "--root", dir.resolve("state").toString(), "delete", "-f", id);
    String out = RuncDifferentialTest.normalise(r.stdout() + r.stderr(), id, dir);
    return new Outcome(r.exitCode(), out);
  }

  /** Both succeed with the same output, or both fail (the messages are each runtime's own). */
  private void same(Consumer<Bundle> setup, String... flags) {
    Outcome runc = run("runc", setup, flags);
    Outcome berth = run(BerthRunc.launcher().toString(), setup, flags);
    if (runc.exitCode() == 0) assertEquals(runc, berth);
    else assertEquals(runc.exitCode(), berth.exitCode(), "runc: " + runc + "\nberth: " + berth);
  }

  @ParameterizedTest
  @ValueSource(strings = {"slave", "rslave", "private", "rprivate"})
  void rootfsPropagation(String propagation) {
    // pivot_root refuses a new root whose parent mount is shared: runc makes it private first.
    // ("shared" and "rshared" are left out: runc 1.2+ makes the new root shared after
    // pivot_root, runc 1.1.5 leaves it private; RuncNewerBehaviourTest has them.)
    // ("unbindable" is left
    // out: runc 1.1.5 then fails to bind the rootfs onto itself, EINVAL, where berth-runc runs the
    // container.)
    same(
        b -> {
          b.linux().put("rootfsPropagation", propagation);
          b.sh(
              "awk '$5 == \"/\" { o = \"\"; for (i = 7; $i != \"-\"; i++) o = o \" \" $i; print \"root:\" o }'"
                  + " /proc/self/mountinfo | sed 's/[0-9][0-9]*/N/g'");
        });
  }

  @Test
  void theCwdIsEnteredWhileStillPrivileged() {
    // A cwd only root may enter works for a non-root user: runc enters it before switching user.
    same(
        b -> {
          try {
            Path home = Files.createDirectories(b.rootfs().resolve("private"));
            Files.setPosixFilePermissions(
                home, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
          b.process().put("user", Bundle.map("uid", 1000, "gid", 1000));
          b.process().put("cwd", "/private");
          b.sh("pwd; id -u; ls . 2>&1; true");
        });
  }

  @Test
  @SuppressWarnings("unchecked")
  void deviceAccessLettersRuncIgnoresAreIgnored() {
    // runc reads the access of a device rule letter by letter and skips what is not r, w or m.
    same(
        b -> {
          Map<String, Object> resources = (Map<String, Object>) b.linux().get("resources");
          List<Object> devices = new ArrayList<>((List<?>) resources.get("devices"));
          devices.add(
              Bundle.map("allow", true, "type", "c", "major", 1, "minor", 3, "access", "rwa"));
          devices.add(
              Bundle.map("allow", false, "type", "c", "major", 1, "minor", 5, "access", "x"));
          resources.put("devices", devices);
          b.sh("echo > /dev/null && echo null-ok; head -c1 /dev/zero | wc -c");
        });
  }

  @Test
  void recursiveReadOnlyReachesSubmounts() throws Exception {
    // rro makes the submounts of an rbind read-only too (mount_setattr AT_RECURSIVE), where ro
    // reaches only the top.
    Path src = Files.createDirectories(tmp.resolve("src/sub"));
    assertEquals(0, Exec.run(List.of("mount", "-t", "tmpfs", "tmpfs", src.toString())).exitCode());
    try {
      for (String opt : List.of("rro", "ro")) {
        same(
            b -> {
              b.mounts()
                  .add(
                      Bundle.map(
                          "destination",
                          "/data",
                          "type",
                          "bind",
                          "source",
                          src.getParent().toString(),
                          "options",
                          Bundle.list("rbind", opt)));
              b.sh("touch /data/a 2>&1; echo top=$?; touch /data/sub/b 2>&1; echo sub=$?");
            });
      }
    } finally {
      Exec.run(List.of("umount", src.toString()));
    }
  }

  @Test
  void tmpcopyupFillsTheTmpfsWithWhatTheImageHasThere() throws Exception {
    // podman gives tmpcopyup to every --tmpfs. Compared: names, owners, types, sizes, the modes of
    // files and the targets of links (runc 1.1.5 makes copied directories through the umask and
    // does not keep times; TmpCopyupTest checks those, and extended attributes, for berth-runc).
    // The destination /etc/out links out of the root: both resolve it inside, and copy nothing
    // of the host's directory it names.
    Path host = Files.createDirectories(tmp.resolve("host-dir"));
    Files.writeString(host.resolve("secret"), "host\n");
    same(
        b -> {
          try {
            Path app = Files.createDirectories(b.rootfs().resolve("etc/app/sub/deep"));
            app = app.getParent().getParent();
            Files.writeString(app.resolve("conf"), "hello\n");
            Exec.run("chown", "1000:2000", app.resolve("conf").toString()).ok();
            Exec.run("chmod", "0640", app.resolve("conf").toString()).ok();
            Files.writeString(app.resolve("sub/deep/f"), "x".repeat(5000));
            Exec.run("chown", "3:4", app.resolve("sub").toString()).ok();
            Exec.run("chmod", "4755", app.resolve("sub/deep/f").toString()).ok();
            Files.createSymbolicLink(app.resolve("link-rel"), Path.of("conf"));
            Files.createSymbolicLink(app.resolve("link-abs"), host);
            Files.createSymbolicLink(
                b.rootfs().resolve("etc/out"), Path.of("../../../../../../../.." + host));
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
          for (String dest : List.of("/etc/app", "/etc/out"))
            b.mounts()
                .add(
                    Bundle.map(
                        "destination",
                        dest,
                        "type",
                        "tmpfs",
                        "source",
                        "tmpfs",
                        "options",
                        Bundle.list("nosuid", "tmpcopyup")));
          b.sh(
              "find /etc/app ! -type d | sort | xargs stat -c '%n %u:%g %a %F %s';"
                  + " find /etc/app -type d | sort | xargs stat -c '%n %u:%g %F';"
                  + " readlink /etc/app/link-abs; cat /etc/app/sub/deep/f | wc -c;"
                  + " grep -c ' /etc/app .* - tmpfs ' /proc/self/mountinfo; ls -A /etc/out/");
        });
    assertEquals(List.of("secret"), List.of(host.toFile().list()));
  }

  @Test
  void aReadOnlyDevStillGetsItsDevices() {
    // /dev turns read-only after the devices and /dev/pts are made in it.
    same(
        b -> {
          for (Object m : b.mounts()) {
            @SuppressWarnings("unchecked")
            Map<String, Object> mount = (Map<String, Object>) m;
            if ("/dev".equals(mount.get("destination"))) {
              List<Object> options = new ArrayList<>((List<?>) mount.get("options"));
              options.add("ro");
              mount.put("options", options);
            }
          }
          b.sh(
              "ls /dev | sort | tr '\\n' ' '; echo; touch /dev/x 2>&1; echo touch=$?; grep ' /dev ' /proc/self/mountinfo"
                  + " | cut -d' ' -f6");
        });
  }

  @Test
  void aHostnameInAJoinedUtsNamespace() throws Exception {
    Process holder = new ProcessBuilder("unshare", "--uts", "sleep", "60").start();
    try {
      Path ns = Path.of("/proc/" + holder.pid() + "/ns/uts");
      for (int i = 0;
          i < 100
              && Files.readSymbolicLink(ns)
                  .equals(Files.readSymbolicLink(Path.of("/proc/self/ns/uts")));
          i++) {
        Thread.sleep(10);
      }
      same(
          b -> {
            b.namespace("uts", ns.toString());
            b.config().put("hostname", "joined");
            b.sh("hostname");
          });
    } finally {
      holder.destroyForcibly().waitFor();
    }
  }

  @Test
  void withoutAMountNamespaceTheProcessIsChrootedAndTheHostKeepsItsMounts() throws Exception {
    // Not side by side: runc 1.1.5 mounts the spec's mounts into the rootfs in the host's mount
    // namespace here and
    // leaves them there. berth-runc mounts nothing and chroots into root.path.
    // Only mounts under this test's directory count: other processes (monitors' cleanups) mount and
    // unmount too.
    String before = mountsUnderTmp();
    Outcome berth =
        run(
            BerthRunc.launcher().toString(),
            b -> {
              b.withoutNamespace("mount");
              b.linux().remove("maskedPaths");
              b.linux().remove("readonlyPaths");
              b.process().put("cwd", "/tmp");
              b.sh("pwd; test -d /usr/lib && echo host-root; ls /bin/busybox");
            });
    assertEquals(new Outcome(0, "/tmp\n/bin/busybox\n"), berth);
    assertEquals(before, mountsUnderTmp());
  }

  private String mountsUnderTmp() throws java.io.IOException {
    StringBuilder b = new StringBuilder();
    for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
      if (line.split(" ")[4].startsWith(tmp.toString())) b.append(line.split(" ")[4]).append('\n');
    }
    return b.toString();
  }

  @Test
  void withoutAMountNamespaceMaskedPathsAreRefused() {
    // Refused before anything is mounted, so runc leaves nothing behind here either.
    Outcome runc = run("runc", b -> b.withoutNamespace("mount"));
    Outcome berth = run(BerthRunc.launcher().toString(), b -> b.withoutNamespace("mount"));
    assertEquals(1, runc.exitCode(), runc.out());
    assertEquals(runc.exitCode(), berth.exitCode());
    assertEquals(
        true,
        berth.out().contains("unable to restrict sys entries without a private MNT namespace"),
        berth.out());
  }

  @Test
  void noPivotLeavesNoWholeProcOfTheHostInTheNamespace() throws Exception {
    // With --no-pivot the host's root stays in the container's mount namespace under the chroot; a
    // whole procfs there
    // lets a user namespace made in the container mount a fresh proc (runc 1.1.5 detaches them).
    // Seen from the
    // namespace's own root, as nsenter sees it, the host's /proc is gone under both runtimes.
    String runc = noPivotView("runc");
    assertEquals(runc, noPivotView(BerthRunc.launcher().toString()));
    assertEquals(false, runc.contains("host-proc"), runc);
  }

  private String noPivotView(String runtime) throws Exception {
    Path dir = tmp.resolve(runtime.equals("runc") ? "runc" : "berth");
    Bundle bundle = Bundle.busybox(dir.resolve("bundle")).sh("exec sleep 30 >/dev/null 2>&1");
    bundle.write();
    String id = "np" + ProcessHandle.current().pid();
    String root = dir.resolve("state").toString();
    Path pidFile = dir.resolve("pid");
    Exec.Result r =
        BerthRunc.run(
            runtime,
            bundle.dir(),
            "--root",
            root,
            "run",
            "-d",
            "--no-pivot",
            "--pid-file",
            pidFile.toString(),
            id);
    try {
      assertEquals(0, r.exitCode(), r.toString());
      String pid = Files.readString(pidFile).trim();
      Exec.Result m =
          Exec.run(
              "nsenter",
              "--mount=/proc/" + pid + "/ns/mnt",
              "sh",
              "-c",
              "test -e /proc/self/mountinfo && echo host-proc; test -e /sys/kernel && echo host-sys; true");
      assertEquals(0, m.exitCode(), m.toString());
      return m.stdout() + m.stderr();
    } finally {
      BerthRunc.run(runtime, bundle.dir(), "--root", root, "delete", "-f", id);
    }
  }
}
