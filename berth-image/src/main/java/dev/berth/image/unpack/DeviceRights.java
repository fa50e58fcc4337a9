package dev.berth.image.unpack;

import dev.berth.sys.Linux;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether this process may create device nodes: root in the initial user namespace. Inside another
 * user namespace mknod of a device fails (and a device made there would be useless), so layers'
 * devices are skipped and counted.
 */
final class DeviceRights {
  private DeviceRights() {}

  static boolean mayCreateDevices() {
    if (Linux.geteuid() != 0) return false;
    try {
      String map = Files.readString(Path.of("/proc/self/uid_map")).trim();
      String[] f = map.split("\\s+");
      return f.length == 3 && f[0].equals("0") && f[1].equals("0") && f[2].equals("4294967295");
    } catch (IOException e) {
      return false;
    }
  }
}
