package dev.berth.runtime.process;

import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A native program of this jar (berth-init, berth-monitor), run from a sealed memfd copy: a
 * container can never overwrite the binary on the host, and the jar's entry is read once per JVM.
 */
public final class EmbeddedBinary {
  public static final EmbeddedBinary INIT = new EmbeddedBinary("berth-init");
  public static final EmbeddedBinary MONITOR = new EmbeddedBinary("berth-monitor");

  private final String name;
  private volatile byte[] bytes;

  private EmbeddedBinary(String name) {
    this.name = name;
  }

  public String name() {
    return name;
  }

  /** A new sealed, close-on-exec memfd holding the binary; execute it through /proc/PID/fd/N. */
  public Fd sealed() throws IOException {
    byte[] b = bytes();
    Fd fd = Linux.memfdCreate(name, LinuxConstants.MFD_CLOEXEC | LinuxConstants.MFD_ALLOW_SEALING);
    try {
      Linux.writeAll(fd, b);
      Linux.addSeals(
          fd,
          LinuxConstants.F_SEAL_SEAL
              | LinuxConstants.F_SEAL_SHRINK
              | LinuxConstants.F_SEAL_GROW
              | LinuxConstants.F_SEAL_WRITE);
      return fd;
    } catch (IOException e) {
      fd.close();
      throw e;
    }
  }

  private byte[] bytes() throws IOException {
    byte[] b = bytes;
    if (b != null) return b;
    // The launchers point berth.native.dir at a plain copy: reading it costs less than opening the
    // jar entry (a few
    // ms on every create). Either way a container only ever sees the sealed memfd copy.
    String dir = System.getProperty("berth.native.dir");
    Path copy = dir == null ? null : Path.of(dir, name);
    if (copy != null && Files.isRegularFile(copy)) {
      b = Files.readAllBytes(copy);
    } else {
      String resource = "/dev/berth/runtime/" + name;
      try (InputStream in = EmbeddedBinary.class.getResourceAsStream(resource)) {
        if (in == null)
          throw new IOException(name + " is not in the class path (" + resource + ")");
        b = in.readAllBytes();
      }
    }
    bytes = b;
    return b;
  }
}
