package dev.berth.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.testkit.Bundle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Idmapped bind mounts (mounts[].uidMappings/gidMappings, idmap/ridmap). The maps are the spec's as
 * given: a file the source's filesystem owns by containerID is seen (and created through the mount)
 * as hostID, in kernel ids.
 */
@ContainerTest(id = "i", searchableTmp = true)
class IdmappedMountTest {
  @Fixture Path tmp;
  @Fixture Path out;
  Path src;
  @Fixture Bundle bundle;
  @Fixture ContainerRuntime rt;
  @Fixture String id;

  @BeforeEach
  void setUp() throws Exception {
    src = Files.createDirectories(tmp.resolve("src"));
    Files.writeString(src.resolve("by1000"), "a");
    Files.writeString(src.resolve("byroot"), "b");
    chown("1000:1000", src.resolve("by1000"));
    Files.setPosixFilePermissions(src, PosixFilePermissions.fromString("rwxrwxrwx"));
  }

  @AfterEach
  void tearDown() throws Exception {
    if (submount != null)
      assertEquals(
          0, new ProcessBuilder("umount", submount.toString()).inheritIO().start().waitFor());
  }

  Path submount;

  static void chown(String owner, Path... paths) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("chown", "-R", owner));
    for (Path p : paths) cmd.add(p.toString());
    assertEquals(0, new ProcessBuilder(cmd).inheritIO().start().waitFor());
  }

  private static List<Object> mapping(long containerId, long hostId, long size) {
    return Bundle.list(Bundle.map("containerID", containerId, "hostID", hostId, "size", size));
  }

  private void idmapped(String dest, List<String> options, List<Object> uids, List<Object> gids) {
    Map<String, Object> m =
        Bundle.map(
            "destination",
            dest,
            "type",
            "bind",
            "source",
            src.toString(),
            "options",
            new ArrayList<Object>(options));
    if (uids != null) m.put("uidMappings", uids);
    if (gids != null) m.put("gidMappings", gids);
    bundle.mounts().add(m);
  }

  private String probe(String script) throws Exception {
    bundle.sh("(" + script + ") >/out/probe 2>&1").write();
    int code = rt.run(id, CreateOptions.of(bundle.dir()), false, false, null);
    String probe = Files.readString(out.resolve("probe"));
    assertEquals(0, code, probe);
    return probe;
  }

  private static int uid(Path p) throws Exception {
    return (int) Files.getAttribute(p, "unix:uid");
  }

  @Test
  void aFileOwnedBy1000ShowsAsRootAndRootCreatesAs1000() throws Exception {
    // The kernel gives nobody write access to a directory whose owner has no mapping through the
    // mount.
    chown("1000:1000", src);
    chown("0:0", src.resolve("byroot"));
    idmapped("/data", List.of("rbind"), mapping(1000, 0, 1), mapping(1000, 0, 1));
    String probe = probe("stat -c %u:%g /data/by1000 /data/byroot; touch /data/made; id -u");
    // byroot (on disk 0) has no mapping through this mount: the overflow id.
    assertEquals("0:0\n65534:65534\n0\n", probe);
    assertEquals(1000, uid(src.resolve("made")));
    assertEquals(1000, (int) Files.getAttribute(src.resolve("made"), "unix:gid"));
    // The host's view is untouched.
    assertEquals(1000, uid(src.resolve("by1000")));
    assertEquals(0, uid(src.resolve("byroot")));
  }

  @Test
  void aSourceUnderAnEarlierBindIsTakenThroughIt() throws Exception {
    // mounts[0] binds src at /mnt; mounts[1] idmaps <rootfs>/mnt, a path that exists only once
    // mounts[0] is in place: it is src, as the container sees it (runtime-spec: sources are
    // resolved when their turn comes). Even an image directory under the bind's destination must
    // not be taken instead.
    Files.createDirectories(bundle.rootfs().resolve("mnt"));
    Files.writeString(bundle.rootfs().resolve("mnt/from-image"), "hidden");
    bundle
        .mounts()
        .add(
            Bundle.map(
                "destination",
                "/mnt",
                "type",
                "bind",
                "source",
                src.toString(),
                "options",
                Bundle.list("rbind")));
    Map<String, Object> m =
        Bundle.map(
            "destination",
            "/data",
            "type",
            "bind",
            "source",
            bundle.rootfs().resolve("mnt").toString(),
            "options",
            Bundle.list("bind"));
    m.put("uidMappings", mapping(1000, 0, 1));
    m.put("gidMappings", mapping(1000, 0, 1));
    bundle.mounts().add(m);
    String probe = probe("stat -c %u:%g /data/by1000 /mnt/by1000; ls /data");
    assertEquals("0:0\n1000:1000\nby1000\nbyroot\n", probe);
  }

  @Test
  void aSourceOnAnEarlierTmpfsIsRefusedNamingBothMounts() throws Exception {
    // A tmpfs of the spec exists only in the container's mount namespace; the idmapped tree is
    // taken from the host's, so the host's directory under it would be mapped instead: refused.
    Files.createDirectories(bundle.rootfs().resolve("scratch/sub"));
    bundle
        .mounts()
        .add(
            Bundle.map(
                "destination",
                "/scratch",
                "type",
                "tmpfs",
                "source",
                "tmpfs",
                "options",
                Bundle.list()));
    int tmpfsIndex = bundle.mounts().size() - 1;
    Map<String, Object> m =
        Bundle.map(
            "destination",
            "/data",
            "type",
            "bind",
            "source",
            bundle.rootfs().resolve("scratch/sub").toString(),
            "options",
            Bundle.list("bind"));
    m.put("uidMappings", mapping(1000, 0, 1));
    m.put("gidMappings", mapping(1000, 0, 1));
    bundle.mounts().add(m);
    bundle.write();
    ContainerException e =
        assertThrows(ContainerException.class, () -> rt.create(id, CreateOptions.of(bundle.dir())));
    assertTrue(
        e.getMessage()
            .contains(
                "mounts["
                    + (tmpfsIndex + 1)
                    + "]: the idmapped source "
                    + bundle.rootfs().resolve("scratch/sub")
                    + " is on mounts["
                    + tmpfsIndex
                    + "] (tmpfs on /scratch)"),
        e.getMessage());
    assertFalse(Files.exists(rt.root().resolve(id)));
  }

  @Test
  void theMappingGoesFromContainerIdToHostId() throws Exception {
    idmapped("/data", List.of("bind"), mapping(0, 1000, 1), mapping(0, 1000, 1));
    String probe =
        probe("stat -c %u /data/byroot /data/by1000; touch /data/made 2>/dev/null || echo refused");
    // Root (kernel id 0) has no on-disk id through this mount, so it cannot create there
    // (EOVERFLOW).
    assertEquals("1000\n65534\nrefused\n", probe);
    assertFalse(Files.exists(src.resolve("made")));
  }

  @Test
  void ridmapInAUserNamespaceContainerTakesItsMappings() throws Exception {
    int host = UserNamespaceTest.HOST, size = UserNamespaceTest.SIZE;
    chown(host + ":" + host, tmp.resolve("bundle/rootfs"), out);
    bundle.namespace("user", null);
    bundle.linux().put("uidMappings", mapping(0, host, size));
    bundle.linux().put("gidMappings", mapping(0, host, size));
    idmapped("/data", List.of("rbind", "ridmap"), null, null);
    String probe = probe("id -u; stat -c %u:%g /data/byroot /data/by1000; touch /data/made");
    assertEquals("0\n0:0\n1000:1000\n", probe);
    // Container root is host uid 200000, but through the mount it writes as the filesystem's 0.
    assertEquals(0, uid(src.resolve("made")));
  }

  @Test
  void ridmapIdmapsSubmountsAndIdmapOnlyTheTop() throws Exception {
    int host = UserNamespaceTest.HOST, size = UserNamespaceTest.SIZE;
    chown(host + ":" + host, tmp.resolve("bundle/rootfs"), out);
    submount = Files.createDirectories(src.resolve("sub"));
    assertEquals(
        0,
        new ProcessBuilder("mount", "-t", "tmpfs", "-o", "mode=755", "tmpfs", submount.toString())
            .inheritIO()
            .start()
            .waitFor());
    Files.writeString(submount.resolve("f"), "c");
    bundle.namespace("user", null);
    bundle.linux().put("uidMappings", mapping(0, host, size));
    bundle.linux().put("gidMappings", mapping(0, host, size));
    idmapped("/all", List.of("rbind", "ridmap"), null, null);
    idmapped("/top", List.of("rbind", "idmap"), null, null);
    String probe = probe("stat -c %u /all/byroot /all/sub/f /top/byroot /top/sub/f");
    // Without an idmapping the submount's root-owned file has no owner inside the user namespace.
    assertEquals("0\n0\n0\n65534\n", probe);
  }

  @Test
  void mappingsTheKernelRefusesNameTheMountAndLeaveNothing() throws Exception {
    List<Object> many = new ArrayList<>();
    for (int i = 0; i < 341; i++)
      many.add(Bundle.map("containerID", i, "hostID", 100000 + i, "size", 1));
    String at = "mounts[" + bundle.mounts().size() + "]";
    idmapped("/data", List.of("bind"), many, mapping(0, 1000, 1));
    bundle.sh("true").write();
    ContainerException e =
        assertThrows(ContainerException.class, () -> rt.create(id, CreateOptions.of(bundle.dir())));
    assertTrue(
        e.getMessage().startsWith(at + ": make an idmapped mount of " + src), e.getMessage());
    assertTrue(
        e.getMessage().contains("uid_map") && e.getMessage().contains("EINVAL"), e.getMessage());
    assertNothingLeft();
  }

  @Test
  void aFilesystemThatCannotBeIdmappedIsNamed() throws Exception {
    src = Path.of("/proc/sys");
    String at = "mounts[" + bundle.mounts().size() + "]";
    idmapped("/data", List.of("bind"), mapping(0, 1000, 1), mapping(0, 1000, 1));
    bundle.sh("true").write();
    ContainerException e =
        assertThrows(ContainerException.class, () -> rt.create(id, CreateOptions.of(bundle.dir())));
    assertTrue(
        e.getMessage().startsWith(at + ": make an idmapped mount of /proc/sys"), e.getMessage());
    assertTrue(e.getMessage().contains("mount_setattr"), e.getMessage());
    assertNothingLeft();
  }

  private void assertNothingLeft() throws Exception {
    assertFalse(Files.exists(rt.root().resolve(id)), "state directory left behind");
    assertTrue(rt.list().isEmpty());
    try (var found =
        Files.find(
            Path.of("/sys/fs/cgroup"),
            3,
            (p, a) -> p.getFileName() != null && p.getFileName().toString().equals(id))) {
      assertEquals(List.of(), found.toList());
    }
  }
}
