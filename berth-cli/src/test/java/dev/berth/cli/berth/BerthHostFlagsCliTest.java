package dev.berth.cli.berth;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.berth.testkit.Busybox;
import dev.berth.testkit.Exec;
import dev.berth.testkit.Processes;
import dev.berth.testkit.RequiresRoot;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --pid}, {@code --ipc}, {@code --uts}, {@code --cgroupns}, {@code --cgroup-parent} and
 * {@code --sysctl} of {@code berth create/run}: kept, shown by {@code inspect} in HostConfig as
 * docker shows them, and bad values refused naming the flag (in this JVM, {@link BerthCli}).
 */
@RequiresRoot
class BerthHostFlagsCliTest {
  static final String IMAGE = "localhost/busybox:latest";

  @TempDir Path tmp;
  BerthCli berth;
  String runRoot;

  @BeforeEach
  void importBusybox() throws Exception {
    berth = new BerthCli(tmp.resolve("root"));
    runRoot = tmp.resolve("run").toString();
    Path rootfs = Busybox.rootfs(tmp.resolve("rootfs"));
    Path tar = tmp.resolve("busybox.tar");
    Exec.run("tar", "-C", rootfs.toString(), "-cf", tar.toString(), ".").ok();
    cli("import", tar.toString(), IMAGE).ok();
  }

  @AfterEach
  void removeContainers() {
    for (String id : cli("ps", "-aq", "--no-trunc").ok().lines()) cli("rm", "-f", id);
    assertEquals(
        List.of(), Processes.awaitNoneMentioning(tmp, java.time.Duration.ofSeconds(20)), "left");
  }

  BerthCli.Result cli(String... args) {
    String[] all = new String[args.length + 2];
    all[0] = "--runroot";
    all[1] = runRoot;
    System.arraycopy(args, 0, all, 2, args.length);
    return berth.run(all);
  }

  @Test
  void theFlagsShowInInspectAsDockersHostConfig() {
    cli(
            "create",
            "--name",
            "ctr",
            "--network",
            "none",
            "--pid",
            "host",
            "--ipc",
            "host",
            "--uts",
            "host",
            "--cgroupns",
            "host",
            "--cgroup-parent",
            "/berth-test-parent",
            "--sysctl",
            "net.ipv4.ip_forward=1",
            IMAGE,
            "true")
        .ok();
    assertEquals(
        "host host host host /berth-test-parent map[net.ipv4.ip_forward:1]\n",
        cli(
                "inspect",
                "-f",
                "{{.HostConfig.PidMode}} {{.HostConfig.IpcMode}} {{.HostConfig.UTSMode}}"
                    + " {{.HostConfig.CgroupnsMode}} {{.HostConfig.CgroupParent}}"
                    + " {{.HostConfig.Sysctls}}",
                "ctr")
            .ok()
            .stdout());
  }

  @Test
  void exposedPortsShowInInspectsConfig() {
    cli(
            "create",
            "--name",
            "exp",
            "--network",
            "none",
            "--expose",
            "8000-8001",
            "--expose",
            "53/udp",
            IMAGE,
            "true")
        .ok();
    assertEquals(
        "{\"53/udp\":{},\"8000/tcp\":{},\"8001/tcp\":{}}\n",
        cli("inspect", "-f", "{{json .Config.ExposedPorts}}", "exp").ok().stdout());
    assertEquals(
        "invalid proto: icmp (in --expose \"80/icmp\")",
        cli("create", "--expose", "80/icmp", IMAGE, "true").fails().error());
    assertEquals(
        "invalid MAC address: 02:42",
        cli("create", "--mac-address", "02:42", IMAGE, "true").fails().error());
  }

  @Test
  void updateChangesTheLimitsGivenAndThePolicyOfAContainer() {
    cli("create", "--name", "upd", "--network", "none", "--memory", "32m", IMAGE, "true").ok();
    assertEquals(
        "upd\n", cli("update", "--cpus", "1.5", "--restart", "on-failure:3", "upd").ok().stdout());
    assertEquals(
        "33554432 1500000000 on-failure 3\n",
        cli(
                "inspect",
                "-f",
                "{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}}"
                    + " {{.HostConfig.RestartPolicy.Name}}"
                    + " {{.HostConfig.RestartPolicy.MaximumRetryCount}}",
                "upd")
            .ok()
            .stdout());
    assertEquals(
        "you must provide one or more flags when using this command",
        cli("update", "upd").fails().error());
    cli("update", "--memory", "lots", "upd").fails();
    assertEquals(
        "33554432\n",
        cli("inspect", "-f", "{{.HostConfig.Memory}}", "upd").ok().stdout(),
        "a bad value changes nothing");
  }

  @Test
  void aDeviceAGroupAndAnOomScoreReachTheProcess() {
    assertEquals(
        "0 1234\n500\n",
        cli(
                "run",
                "--rm",
                "--network",
                "none",
                "--device",
                "/dev/null:/dev/mynull:rw",
                "--group-add",
                "1234",
                "--oom-score-adj",
                "500",
                IMAGE,
                "sh",
                "-c",
                "test -c /dev/mynull && echo x > /dev/mynull && id -G && cat /proc/self/oom_score_adj")
            .ok()
            .stdout());
    assertEquals(
        "invalid device specification: /dev/null:/x:rwz",
        cli("create", "--device", "/dev/null:/x:rwz", IMAGE, "true").fails().error());
  }

  @Test
  void badValuesAreRefusedNamingTheFlag() {
    assertEquals(
        "invalid --pid \"bogus\": want host, container:NAME or ns:PATH",
        cli("create", "--pid", "bogus", IMAGE, "true").fails().error());
    assertEquals(
        "invalid --sysctl \"nonsense\": want NAME=VALUE",
        cli("create", "--sysctl", "nonsense", IMAGE, "true").fails().error());
    assertEquals(
        "invalid --sysctl kernel.hostname=x: not a namespaced sysctl (kernel.msg*, kernel.sem,"
            + " kernel.shm*, fs.mqueue.* and net.* are)",
        cli("create", "--sysctl", "kernel.hostname=x", IMAGE, "true").fails().error());
    assertEquals("", cli("ps", "-aq").ok().stdout());
  }
}
