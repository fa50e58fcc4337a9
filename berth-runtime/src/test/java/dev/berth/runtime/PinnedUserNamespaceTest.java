package dev.berth.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.berth.testkit.Bundle;
import dev.berth.testkit.UserNamespacePin;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Containers of a Kubernetes pod with {@code hostUsers: false}: the engine pins the pod's user
 * namespace with a bind mount and each container joins it by that path, with mount and pid
 * namespaces of its own and the namespace's mappings repeated in the spec (as containerd writes
 * them). The bundle stays in a 0700 directory of host root's (the temporary directory), which the
 * namespace's root cannot search.
 */
@ContainerTest(id = "pu")
class PinnedUserNamespaceTest {
  static final int HOST = 100000;
  static final int SIZE = 65536;

  @Fixture Path tmp;
  @Fixture Path out;
  @Fixture Bundle bundle;
  @Fixture ContainerRuntime rt;
  @Fixture String id;

  private UserNamespacePin pin;

  @AfterEach
  void unpin() throws Exception {
    if (pin != null) pin.close();
  }

  /**
   * A user namespace with these maps ("inside outside count"), pinned as the engine pins a pod's.
   */
  private Path pinUserNamespace(String uidMap, String gidMap) throws Exception {
    pin = UserNamespacePin.create(tmp.resolve("userns"), uidMap, gidMap);
    return pin.path();
  }

  private static void mappings(Bundle b, long inside, long outside, long size) {
    b.linux()
        .putAll(
            Map.of(
                "uidMappings",
                Bundle.list(Bundle.map("containerID", inside, "hostID", outside, "size", size)),
                "gidMappings",
                Bundle.list(Bundle.map("containerID", inside, "hostID", outside, "size", size))));
  }

  @SuppressWarnings("unchecked")
  static void rootfsWritable(Bundle b) {
    ((Map<String, Object>) b.config().get("root")).put("readonly", false);
  }

  private String probeText() throws Exception {
    Path p = out.resolve("probe");
    return Files.exists(p) ? Files.readString(p) : "(no probe)";
  }

  @Test
  void aContainerJoiningAPinnedNamespaceRunsFromAPrivateDirectory() throws Exception {
    Path userns =
        pinUserNamespace("0 " + HOST + " " + SIZE + "\n", "0 " + HOST + " " + SIZE + "\n");
    UserNamespaceTest.chown(HOST, bundle.rootfs(), out);
    // A file bound from a directory only host root may enter, as the pod's /etc/hosts.
    Path podDir = Files.createDirectories(tmp.resolve("pod"));
    Files.setPosixFilePermissions(podDir, PosixFilePermissions.fromString("rwx------"));
    Files.writeString(podDir.resolve("hosts"), "10.0.0.7 pod\n");
    bundle
        .mounts()
        .add(
            Bundle.map(
                "destination",
                "/etc/hosts",
                "type",
                "bind",
                "source",
                podDir.resolve("hosts").toString(),
                "options",
                Bundle.list("rbind", "ro")));
    bundle.namespace("user", userns.toString());
    mappings(bundle, 0, HOST, SIZE);
    rootfsWritable(bundle);
    bundle.sh(
        "(tr -s ' ' < /proc/self/uid_map; id -u; id -g; cat /etc/hosts; touch /made && echo made)"
            + " >/out/probe 2>&1");
    assertEquals(0, rt.run(id, CreateOptions.of(bundle.write()), false, false, null), probeText());
    assertEquals(" 0 " + HOST + " " + SIZE + "\n0\n0\n10.0.0.7 pod\nmade\n", probeText());
    Path made = bundle.rootfs().resolve("made");
    assertEquals(HOST, (int) Files.getAttribute(made, "unix:uid"));
    assertEquals(HOST, (int) Files.getAttribute(made, "unix:gid"));
  }

  @Test
  void aPinnedNamespaceWithoutRootRunsAsTheIdsTheSpecMaps() throws Exception {
    // The pin tells nothing of its maps: the spec's say root is not mapped, so the process
    // becomes the one user that is (it would otherwise ask for uid 0 and get EINVAL).
    int user = 1000, host = HOST + user;
    Path userns = pinUserNamespace(user + " " + host + " 1\n", user + " " + host + " 1\n");
    UserNamespaceTest.chown(host, bundle.rootfs(), out);
    bundle.namespace("user", userns.toString());
    mappings(bundle, user, host, 1);
    bundle.process().put("user", Bundle.map("uid", user, "gid", user));
    // gid 5 (tty) has no mapping: devpts would refuse it.
    for (Object m : bundle.mounts()) {
      @SuppressWarnings("unchecked")
      var mount = (Map<String, Object>) m;
      if ("/dev/pts".equals(mount.get("destination")))
        ((List<?>) mount.get("options")).removeIf("gid=5"::equals);
    }
    bundle.sh("(id -u; id -g; tr -s ' ' < /proc/self/uid_map; touch /out/made) >/out/probe 2>&1");
    assertEquals(0, rt.run(id, CreateOptions.of(bundle.write()), false, false, null), probeText());
    assertEquals(user + "\n" + user + "\n " + user + " " + host + " 1\n", probeText());
    assertEquals(host, (int) Files.getAttribute(out.resolve("made"), "unix:uid"));
  }
}
