package dev.berth.engine.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.Engine;
import dev.berth.engine.EngineConfig;
import dev.berth.engine.EngineTestSupport;
import dev.berth.engine.commit.Commit;
import dev.berth.engine.container.ContainerOptions;
import dev.berth.engine.container.ExecOptions;
import dev.berth.engine.container.HostOptions;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.runtime.driver.Stdio;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.testkit.Busybox;
import dev.berth.testkit.RequiresRoot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Published identity flaws of docker and containerd replayed against the engine with real
 * containers: the groups a process gets (CVE-2022-36109, CVE-2023-25173) and ids that would wrap to
 * root (CVE-2024-40635), whether they come from the image's config, its /etc/passwd and /etc/group,
 * {@code --user}, {@code --group-add} or {@code exec -u}.
 */
@RequiresRoot
class HostileIdentityTest {
  private static final String IMAGE = "localhost/busybox:latest";
  private static final String STATUS = "grep -E '^(Uid|Gid|Groups):' /proc/self/status";

  @TempDir Path tmp;
  Engine engine;

  @BeforeEach
  void setUp() throws Exception {
    engine = Engine.open(EngineConfig.at(tmp.resolve("root"), tmp.resolve("run")));
    Path rootfs = Busybox.rootfs(tmp.resolve("rootfs"));
    Files.writeString(
        rootfs.resolve("etc/passwd"),
        """
        root:x:0:0:root:/root:/bin/sh
        app:x:1000:1000::/home/app:/bin/sh
        neg:x:-1:1000::/:/bin/sh
        neggid:x:1001:-1::/:/bin/sh
        big:x:4294967295:0::/:/bin/sh
        """);
    Files.writeString(
        rootfs.resolve("etc/group"),
        """
        root:x:0:
        app:x:1000:
        extra:x:2000:app
        more:x:3000:other,app
        web:x:4000:
        neggrp:x:-1:nobody
        """);
    EngineTestSupport.importRootfs(engine, rootfs, tmp.resolve("busybox.tar"), IMAGE);
  }

  @AfterEach
  void tearDown() throws Exception {
    EngineTestSupport.removeAllAndClose(engine, tmp);
  }

  private static ContainerOptions.Builder opts(String image, String... command) {
    return new ContainerOptions.Builder(image).command(List.of(command));
  }

  /** Runs {@code b} to its end; its stdout. */
  private String run(ContainerOptions.Builder b) throws Exception {
    ContainerRecord r = engine.create(b.build());
    engine.start(r.id(), Engine.StartListener.NONE);
    assertEquals(0, engine.await(r.id()), "exit status");
    Path log = engine.layout(r.id()).log();
    StringBuilder out = new StringBuilder();
    for (var e : dev.berth.runtime.monitor.CriLog.read(log, null, -1)) {
      out.append(new String(e.text(), StandardCharsets.UTF_8));
      if (!e.partial()) out.append('\n');
    }
    engine.remove(r.id(), true, true);
    return out.toString();
  }

  private String exec(String container, ExecOptions o) throws Exception {
    Path out = tmp.resolve("exec-out");
    Files.deleteIfExists(out);
    int code =
        engine
            .exec(container, o, new Stdio(Path.of("/dev/null"), out, Path.of("/dev/null")), null)
            .exitCode();
    assertEquals(0, code, "exec exit status");
    return Files.readString(out);
  }

  private static String ids(int uid, int gid, String groups) {
    return "Uid:\t%d\t%d\t%d\t%d\nGid:\t%d\t%d\t%d\t%d\nGroups:\t%s \n"
        .formatted(uid, uid, uid, uid, gid, gid, gid, gid, groups);
  }

  /** The image of {@link #IMAGE} with {@code USER user} in its config. */
  private String imageWithUser(String user) throws Exception {
    ContainerRecord c = engine.create(opts(IMAGE, "true").build());
    String ref = "localhost/user-" + Integer.toHexString(user.hashCode()) + ":1";
    engine.commit(c.id(), new Commit.Options(ref, null, null, List.of("USER " + user), false));
    engine.remove(c.id(), true, true);
    return ref;
  }

  /**
   * The additional gids are the user's primary gid and then its /etc/group groups and the
   * container's --group-add ones, as docker and containerd give them since the fixes: a process
   * that drops its primary gid by a setgid exec or newgrp stays in that group, so a group-denying
   * mode (0705) keeps holding it. A user given with its group keeps none of the name's groups.
   */
  @Test
  void cve202325173PrimaryGidAndTheUsersGroupsAreTheAdditionalGids() throws Exception {
    String appImage = imageWithUser("app");
    // The image's USER, then --user by name, by uid, with an explicit group, and numbers only.
    assertEquals(ids(1000, 1000, "1000 2000 3000"), run(opts(appImage, "sh", "-c", STATUS)));
    // The kernel lists groups sorted; web is the image's gid 4000.
    assertEquals(
        ids(1000, 1000, "1000 2000 3000 4000 5000"),
        run(
            opts(IMAGE, "sh", "-c", STATUS)
                .user("1000")
                .host(HostOptions.NONE.withGroupAdd(List.of("5000", "web", "1000")))));
    assertEquals(ids(1000, 4000, "4000"), run(opts(appImage, "sh", "-c", STATUS).user("app:web")));
    assertEquals(ids(1234, 1234, "1234"), run(opts(IMAGE, "sh", "-c", STATUS).user("1234:1234")));
    assertEquals(ids(0, 0, "0"), run(opts(IMAGE, "sh", "-c", STATUS)));

    // exec: without -u the container's own groups; with -u the user's, then --group-add's.
    ContainerRecord c =
        engine.create(
            opts(appImage, "sleep", "100")
                .host(HostOptions.NONE.withGroupAdd(List.of("5000")))
                .build());
    engine.start(c.id(), Engine.StartListener.NONE);
    assertEquals(
        ids(1000, 1000, "1000 2000 3000 5000"), exec(c.id(), ExecOptions.of("sh", "-c", STATUS)));
    assertEquals(
        ids(1234, 1234, "1234 5000"),
        exec(c.id(), ExecOptions.of("sh", "-c", STATUS).withUser("1234:1234")));
    assertEquals(
        ids(0, 0, "0 5000"), exec(c.id(), ExecOptions.of("sh", "-c", STATUS).withUser("root")));
    assertEquals(
        ids(1000, 4000, "4000 5000"),
        exec(c.id(), ExecOptions.of("sh", "-c", STATUS).withUser("app:web")));
  }

  /**
   * A uid or gid outside 0..2^31-1, or not a decimal number, is refused naming it, from --user,
   * exec -u, --group-add, the image's USER or its /etc/passwd and /etc/group; never taken modulo
   * 2^32 (4294967295 is -1: setresuid's "unchanged", so the process would stay root). A refused
   * create leaves no container.
   */
  @Test
  void cve202440635IdsThatWouldWrapAreRefusedNeverRunAsRoot() throws Exception {
    List<String> refused = new ArrayList<>();
    for (String id : List.of("2147483648", "4294967295", "-1", "99999999999", "0x10", " 0")) {
      refused.add(id);
      refused.add("0:" + id);
      refused.add("app:" + id);
    }
    // Entries of the image's files with such ids, by name and by the number they hold.
    refused.addAll(List.of("neg", "neggid", "big", "app:neggrp"));
    for (String user : refused) {
      BerthException e =
          assertThrows(
              BerthException.class,
              () -> engine.create(opts(IMAGE, "true").user(user).build()),
              "--user '" + user + "'");
      assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category(), e.getMessage());
      String named = user.substring(user.indexOf(':') + 1);
      assertTrue(
          e.getMessage().contains(named) || e.getMessage().contains("/etc/"),
          "names the id or the file: " + e.getMessage());
    }
    for (String group : List.of("4294967295", "-1", "neggrp")) {
      BerthException e =
          assertThrows(
              BerthException.class,
              () ->
                  engine.create(
                      opts(IMAGE, "true")
                          .host(HostOptions.NONE.withGroupAdd(List.of(group)))
                          .build()),
              "--group-add " + group);
      assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category(), e.getMessage());
    }
    // The image's own USER is held to the same rules.
    for (String user : List.of("4294967295", "neg", "0:-1")) {
      String image = imageWithUser(user);
      BerthException e =
          assertThrows(
              BerthException.class,
              () -> engine.create(opts(image, "true").build()),
              "USER " + user);
      assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category(), e.getMessage());
    }
    assertEquals(List.of(), engine.containers().list().containers(), "refusals left containers");

    // What is accepted is taken exactly: Go's Atoi reads "+1" as 1, and so do runc and docker.
    assertEquals(ids(1, 2, "2"), run(opts(IMAGE, "sh", "-c", STATUS).user("+1:+2")));
    ContainerRecord c = engine.create(opts(IMAGE, "sleep", "100").build());
    engine.start(c.id(), Engine.StartListener.NONE);
    for (String user : List.of("4294967295", "-1", "neg", "app:neggrp")) {
      BerthException e =
          assertThrows(
              BerthException.class,
              () -> exec(c.id(), ExecOptions.of("sh", "-c", STATUS).withUser(user)),
              "exec -u " + user);
      assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category(), e.getMessage());
    }
    assertEquals(ids(7, 7, "7"), exec(c.id(), ExecOptions.of("sh", "-c", STATUS).withUser("+7:7")));
  }

  private static List<String> mountsUnder(Path dir) throws IOException {
    List<String> out = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
      String target = line.split(" ")[4];
      if (target.startsWith(dir.toString())) out.add(target);
    }
    return out;
  }
}
