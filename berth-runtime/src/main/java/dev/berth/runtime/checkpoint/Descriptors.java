package dev.berth.runtime.checkpoint;

import dev.berth.runtime.ContainerException;
import dev.berth.spec.json.JsonReader;
import dev.berth.spec.json.JsonWriter;
import dev.berth.spec.json.SpecException;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code descriptors.json}, the one file runc adds to CRIU's images and berth writes the same way,
 * so that either runtime restores the other's checkpoints: a JSON array of what the init's fds 0, 1
 * and 2 were ({@code readlink /proc/PID/fd/N}: "/dev/null", "pipe:[1234]", "/dev/pts/0"). CRIU
 * cannot dump the other end of a pipe it does not see, so a restore hands its own stdio in their
 * place (inherit_fd keyed by the "pipe:[...]" name).
 */
public final class Descriptors {
  public static final String FILE = "descriptors.json";

  private Descriptors() {}

  /** What the fds 0..2 of {@code pid} are now; one that is closed reads as "". */
  static List<String> of(int pid) {
    String[] out = new String[3];
    for (int fd = 0; fd < 3; fd++) {
      try {
        out[fd] = Linux.readlink("/proc/" + pid + "/fd/" + fd);
      } catch (ErrnoException e) {
        out[fd] = "";
      }
    }
    return List.of(out);
  }

  static void write(Path imageDir, List<String> descriptors) throws ErrnoException {
    JsonWriter w = new JsonWriter(JsonWriter.COMPACT).beginArray();
    for (String d : descriptors) w.value(d);
    w.endArray();
    try (Fd fd =
        Linux.open(
            imageDir.resolve(FILE).toString(),
            LinuxConstants.O_WRONLY
                | LinuxConstants.O_CREAT
                | LinuxConstants.O_TRUNC
                | LinuxConstants.O_CLOEXEC,
            0600)) {
      Linux.writeAll(fd, w.toByteArray());
    }
  }

  /**
   * Reads the file of a checkpoint; missing or malformed is an error naming it, as runc's "open
   * ...: no such file".
   */
  static List<String> read(Path imageDir) throws ContainerException {
    Path file = imageDir.resolve(FILE);
    byte[] json;
    try (Fd fd =
        Linux.open(file.toString(), LinuxConstants.O_RDONLY | LinuxConstants.O_CLOEXEC, 0)) {
      json = Linux.readAll(fd);
    } catch (ErrnoException e) {
      throw ContainerException.invalid(
          "open "
              + file
              + ": "
              + ErrnoException.text(e.errno())
              + " (not the image directory of a checkpoint?)");
    }
    try (JsonReader r = JsonReader.of(json, file.toString())) {
      List<String> list = r.strings();
      r.end();
      return list;
    } catch (SpecException e) {
      throw ContainerException.invalid(e.getMessage());
    }
  }
}
