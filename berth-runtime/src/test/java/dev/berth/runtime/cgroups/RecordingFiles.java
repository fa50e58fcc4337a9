package dev.berth.runtime.cgroups;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Control files in a temporary directory instead of cgroupfs: records every write
 * ("memory.limit_in_bytes=100") in order and stores the value, like a kernel that accepts
 * everything, so the resource mapping runs without root.
 */
class RecordingFiles extends CgroupFiles {
  final List<String> writes = new ArrayList<>();
  private final Map<String, String> failOnce = new HashMap<>();

  /** The next write of {@code file} fails with {@code errno}, as the kernel would refuse it. */
  RecordingFiles failOnce(String file, String errno) {
    failOnce.put(file, errno);
    return this;
  }

  @Override
  void write(Path dir, String file, String value) throws IOException {
    String errno = failOnce.remove(file);
    if (errno != null)
      throw new CgroupException(
          "write " + file + "=" + value + " in " + dir + ": " + errno, errno, null);
    // Missing control file: the real write fails too (no O_CREAT).
    if (!Files.exists(dir.resolve(file))) {
      throw new CgroupException(
          "write " + file + "=" + value + " in " + dir + ": ENOENT", "ENOENT", null);
    }
    writes.add(file + "=" + value);
    Files.writeString(dir.resolve(file), value);
  }

  /** Makes {@code files} (empty) in {@code dir}, as the kernel populates a new cgroup. */
  static Path cgroup(Path dir, String... files) throws IOException {
    Files.createDirectories(dir);
    for (String f : files) {
      if (!Files.exists(dir.resolve(f))) Files.writeString(dir.resolve(f), "");
    }
    return dir;
  }

  static void set(Path dir, String file, String value) throws IOException {
    Files.writeString(dir.resolve(file), value);
  }
}
