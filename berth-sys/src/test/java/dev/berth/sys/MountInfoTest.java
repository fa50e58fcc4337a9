package dev.berth.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class MountInfoTest {
  static final String TEXT =
      """
      26 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw,discard
      40 26 0:35 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:17 master:3 - cgroup cgroup rw,memory
      41 26 0:36 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw
      90 26 0:50 /srv/a\\040b /mnt/with\\040space\\011tab rw - overlay over\\134lay rw,lowerdir=/x
      not a mountinfo line
      """;

  @Test
  void everyFieldWithOptionalFieldsOrNone() {
    List<MountInfo> m = MountInfo.parse(TEXT);
    assertEquals(4, m.size());
    assertEquals(
        new MountInfo(26, 1, "/", "/", "rw,relatime", "ext4", "/dev/vda", "rw,discard"), m.get(0));
    assertEquals(
        new MountInfo(
            40,
            26,
            "/",
            "/sys/fs/cgroup/memory",
            "rw,nosuid,nodev,noexec,relatime",
            "cgroup",
            "cgroup",
            "rw,memory"),
        m.get(1));
    assertEquals("cgroup2", m.get(2).fsType());
  }

  @Test
  void octalEscapesAreUndone() {
    MountInfo m = MountInfo.parse(TEXT).get(3);
    assertEquals("/srv/a b", m.root());
    assertEquals("/mnt/with space\ttab", m.mountPoint());
    assertEquals("over\\lay", m.source());
    assertTrue(MountInfo.isMountPoint(MountInfo.parse(TEXT), "/mnt/with space\ttab"));
  }

  @Test
  void thisProcessHasARoot() throws Exception {
    assertTrue(MountInfo.isMountPoint(MountInfo.current(), "/"));
  }
}
