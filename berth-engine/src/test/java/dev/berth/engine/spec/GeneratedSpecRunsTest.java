package dev.berth.engine.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.container.ContainerOptions.MountOption;
import dev.berth.engine.container.ContainerOptions.MountOption.Type;
import dev.berth.runtime.ContainerRuntime;
import dev.berth.runtime.driver.CreateRequest;
import dev.berth.runtime.driver.InProcessDriver;
import dev.berth.runtime.driver.RuntimeDriver;
import dev.berth.runtime.state.Status;
import dev.berth.spec.image.ImageConfig;
import dev.berth.spec.json.JsonWriter;
import dev.berth.spec.runtime.SpecWriter;
import dev.berth.testkit.Busybox;
import dev.berth.testkit.RequiresRoot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A generated spec runs a busybox image under a real runtime (berth's, in this JVM; the subclass
 * runs the same under runc and compares): the user, groups, hostname, env and cwd are the ones
 * asked for, the default seccomp profile lets a shell work and refuses what it should with EPERM,
 * /proc/keys is masked, a read-only root refuses writes. Each container writes what it saw into a
 * bind-mounted host directory.
 */
@RequiresRoot
class GeneratedSpecRunsTest {
  private static final AtomicInteger SEQ = new AtomicInteger();

  /** The script of the unprivileged container: one file of output per question. */
  private static final String APP_SCRIPT =
      String.join(
          "; ",
          "id > /out/id",
          "hostname > /out/hostname",
          "cat /etc/hostname > /out/etc-hostname",
          "pwd > /out/pwd",
          "env | sort > /out/env",
          "ls / > /out/ls",
          "cat /etc/hosts > /out/hosts",
          "stat -c '%F %t:%T' /proc/keys > /out/keys",
          "unshare -U true 2> /out/unshare-err; echo $? > /out/unshare-rc",
          "httpd -p 8080 -h / && echo ok > /out/httpd",
          "sleep 0 && echo done > /out/done");

  /** The root container: seccomp and a read-only root refuse what root could otherwise do. */
  private static final String ROOT_SCRIPT =
      String.join(
          "; ",
          "touch /newfile 2> /out/touch-err; echo $? > /out/touch-rc",
          "unshare -U true 2> /out/unshare-err; echo $? > /out/unshare-rc",
          "unshare -m true 2> /out/unshare-m-err; echo $? > /out/unshare-m-rc",
          "mount -t tmpfs none /tmp 2> /out/mount-err; echo $? > /out/mount-rc",
          "echo done > /out/done");

  protected Path tmp;
  private Path rootfs;
  private Path stateRoot;
  private RuntimeDriver driver;

  /** The runtime under test, with its state under {@code stateRoot}. */
  protected RuntimeDriver driver(Path stateRoot) throws Exception {
    return new InProcessDriver("berth", new ContainerRuntime(stateRoot));
  }

  @BeforeEach
  void setUp() throws Exception {
    tmp = Files.createTempDirectory("berth-specrun-");
    rootfs = Busybox.rootfs(tmp.resolve("rootfs"));
    Files.createSymbolicLink(rootfs.resolve("bin/unshare"), Path.of("busybox")); // httpd: there
    Files.writeString(
        rootfs.resolve("etc/passwd"),
        "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n");
    Files.writeString(rootfs.resolve("etc/group"), "root:x:0:\napp:x:1000:\nextra:x:2000:app\n");
    stateRoot = tmp.resolve("state");
    driver = driver(stateRoot);
  }

  @AfterEach
  void tearDown() throws Exception {
    try (Stream<Path> s = Files.walk(tmp)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  /**
   * Runs {@code script} in a container made by the generator from {@code o}; returns the files it
   * wrote.
   */
  protected Map<String, String> run(Opts o, String script) throws Exception {
    return runWith(driver, o, script);
  }

  /** As {@link #run}, under {@code runtime}. */
  protected Map<String, String> runWith(RuntimeDriver runtime, Opts o, String script)
      throws Exception {
    // Letters and digits only: its first 12 characters become the default hostname (docker's
    // short id), which may not end with '-' (a 3-digit pid put one there).
    String id = "specrun" + ProcessHandle.current().pid() + "n" + SEQ.incrementAndGet();
    Path out = Files.createDirectories(tmp.resolve(id + "-out"));
    Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwxrwxrwx"));
    o.command = List.of("sh", "-c", script);
    o.mounts = new ArrayList<>(o.mounts);
    o.mounts.add(new MountOption(Type.BIND, out.toString(), "/out", false, List.of()));
    ImageConfig image = Opts.image(null, List.of("IMG=image"), null, null, null, "/bin", null);
    GeneratedSpec g =
        new SpecGenerator(HostFacts.current())
            .generate(
                new SpecRequest(
                    image, o.build(), id, rootfs, tmp.resolve(id + "-files"), Map.of()));
    Path bundle = Files.createDirectories(tmp.resolve(id + "-bundle"));
    Files.write(bundle.resolve("config.json"), SpecWriter.write(g.spec(), JsonWriter.TWO_SPACES));

    runtime.create(CreateRequest.of(id, bundle));
    try {
      runtime.start(id);
      Status s = runtime.state(id).status();
      for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
          s != Status.STOPPED && System.nanoTime() < end; ) {
        Thread.sleep(20);
        s = runtime.state(id).status();
      }
      assertEquals(Status.STOPPED, s, "container " + id + " ran to its end");
    } finally {
      runtime.delete(id, true);
    }
    return read(out);
  }

  private static Map<String, String> read(Path dir) throws IOException {
    Map<String, String> files = new TreeMap<>();
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : s.toList()) files.put(p.getFileName().toString(), Files.readString(p).strip());
    }
    return files;
  }

  protected static Opts appOptions() {
    Opts o = Opts.of();
    o.user = "app";
    o.hostname = "specbox";
    o.env = List.of("USR=user");
    return o;
  }

  protected static Opts rootOptions() {
    Opts o = Opts.of();
    o.readOnly = true;
    return o;
  }

  @Test
  void anUnprivilegedUserSeesWhatWasAskedFor() throws Exception {
    Map<String, String> out = run(appOptions(), APP_SCRIPT);
    assertEquals("done", out.get("done"), "the shell ran to its end: " + out);
    assertEquals("uid=1000(app) gid=1000(app) groups=1000(app),2000(extra)", out.get("id"));
    assertEquals("specbox", out.get("hostname"));
    assertEquals("specbox", out.get("etc-hostname"));
    assertEquals("/bin", out.get("pwd"));
    List<String> env = List.of(out.get("env").split("\n"));
    assertTrue(
        env.containsAll(
            List.of(
                "HOSTNAME=specbox",
                "IMG=image",
                "USR=user",
                "HOME=/home/app",
                "PATH=" + SpecGenerator.DEFAULT_PATH)),
        env.toString());
    assertTrue(out.get("ls").contains("bin"), out.get("ls"));
    assertTrue(out.get("hosts").startsWith("127.0.0.1\tlocalhost"), out.get("hosts"));
    // /proc/keys (docker masks /proc/kcore too, which this kernel may lack) is /dev/null's node.
    assertEquals(
        "character special file 1:3", out.get("keys"), "/proc/keys is masked with /dev/null");
    assertEquals("1", out.get("unshare-rc"));
    assertTrue(out.get("unshare-err").contains("Operation not permitted"), out.get("unshare-err"));
    assertEquals("ok", out.get("httpd"), "busybox httpd starts under the default profile");
  }

  @Test
  void seccompAndReadOnlyRootRefuseRoot() throws Exception {
    Map<String, String> out = run(rootOptions(), ROOT_SCRIPT);
    assertEquals("done", out.get("done"), out.toString());
    assertEquals("1", out.get("touch-rc"));
    assertTrue(out.get("touch-err").contains("Read-only file system"), out.get("touch-err"));
    // A user namespace needs no capability: only the profile refuses it.
    assertEquals("1", out.get("unshare-rc"));
    assertTrue(out.get("unshare-err").contains("Operation not permitted"), out.get("unshare-err"));
    assertEquals("1", out.get("unshare-m-rc"));
    assertTrue(
        out.get("unshare-m-err").contains("Operation not permitted"), out.get("unshare-m-err"));
    assertEquals("1", out.get("mount-rc"));
    // busybox says EPERM its own way.
    assertTrue(out.get("mount-err").contains("permission denied"), out.get("mount-err"));

    // The control: without the profile, the same root makes its user namespace.
    Opts unconfined = rootOptions();
    unconfined.securityOpts = List.of("seccomp=unconfined");
    out = run(unconfined, ROOT_SCRIPT);
    assertEquals("0", out.get("unshare-rc"), out.get("unshare-err"));
  }
}
