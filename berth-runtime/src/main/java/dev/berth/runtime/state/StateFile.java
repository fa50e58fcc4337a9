package dev.berth.runtime.state;

import dev.berth.spec.json.JsonReader;
import dev.berth.spec.json.JsonWriter;
import dev.berth.spec.json.SpecException;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads and writes {@link ContainerRecord} as {@code state.json}, with the same streaming JSON
 * reader and writer as the spec (every verb reads this file, so it stays off jackson's start-up
 * cost), written atomically. Through berth-sys' open/read/write/rename rather than java.nio, whose
 * file machinery costs a cold start milliseconds.
 */
public final class StateFile {
  private StateFile() {}

  /**
   * Writes the record to {@code file} through a temporary file and a rename, so a reader never sees
   * half of it.
   */
  public static void write(Path file, ContainerRecord r) throws IOException {
    String tmp = file + ".tmp";
    // No fsync: the state lives in /run (tmpfs) and describes kernel objects that do not survive a
    // reboot either.
    try (Fd fd =
        Linux.open(
            tmp, LinuxConstants.O_WRONLY | LinuxConstants.O_CREAT | LinuxConstants.O_TRUNC, 0644)) {
      Linux.writeAll(fd, encode(r));
    }
    Linux.rename(tmp, file.toString(), 0);
  }

  static byte[] encode(ContainerRecord r) {
    JsonWriter w = new JsonWriter(JsonWriter.COMPACT);
    w.beginObject();
    w.field("id", r.id());
    w.field("pid", r.pid());
    w.field("pidStartTime", r.pidStartTime());
    w.field("bundle", r.bundle());
    w.field("rootfs", r.rootfs());
    w.field("created", r.created());
    w.field("owner", r.owner());
    writeMap(w, "annotations", r.annotations());
    writeMap(w, "cgroupPaths", r.cgroupPaths());
    w.field("cgroupOwner", r.cgroupOwner());
    writeList(w, "namespaces", r.namespaces());
    writeList(w, "hooks", r.hooks());
    w.field("systemdCgroup", r.systemdCgroup());
    w.endObject();
    return w.toByteArray();
  }

  private static void writeMap(JsonWriter w, String name, Map<String, String> m) {
    w.name(name).beginObject();
    for (var e : new TreeMap<>(m).entrySet()) w.field(e.getKey(), e.getValue());
    w.endObject();
  }

  private static void writeList(JsonWriter w, String name, List<String> l) {
    w.name(name).beginArray();
    for (String s : l) w.value(s);
    w.endArray();
  }

  /** Reads a state file written by {@link #write}; a damaged file is an IOException naming it. */
  public static ContainerRecord read(Path file) throws IOException {
    byte[] bytes;
    try (Fd fd = Linux.open(file.toString(), LinuxConstants.O_RDONLY, 0)) {
      bytes = Linux.readAll(fd);
    } catch (ErrnoException e) {
      // Callers tell a missing state (a container being created or deleted) by this type.
      if (e.errno() == LinuxConstants.ENOENT) throw new NoSuchFileException(file.toString());
      throw e;
    }
    String id = null, bundle = "", rootfs = "", created = "", owner = "", cgroupOwner = "";
    int pid = 0;
    long start = 0;
    boolean systemd = false;
    Map<String, String> annotations = Map.of(), cgroups = Map.of();
    List<String> namespaces = List.of(), hooks = List.of();
    try (JsonReader r = JsonReader.of(bytes, file.toString())) {
      if (!r.beginObject()) throw new IOException("read " + file + ": not a JSON object");
      for (String f; (f = r.nextField()) != null; ) {
        switch (f) {
          case "id" -> id = r.string();
          case "pid" -> pid = r.int32();
          case "pidStartTime" -> start = r.int64();
          case "bundle" -> bundle = r.string();
          case "rootfs" -> rootfs = r.string();
          case "created" -> created = r.string();
          case "owner" -> owner = r.string();
          case "annotations" -> annotations = r.stringMap();
          case "cgroupPaths" -> cgroups = r.stringMap();
          case "cgroupOwner" -> cgroupOwner = r.string();
          case "namespaces" -> namespaces = r.strings();
          case "hooks" -> hooks = r.strings();
          case "systemdCgroup" -> systemd = r.bool();
          default -> r.skip();
        }
      }
      r.end();
    } catch (SpecException e) {
      throw new IOException("read " + file + ": " + e.getMessage(), e);
    }
    if (id == null) throw new IOException("read " + file + ": no id");
    return new ContainerRecord(
        id,
        pid,
        start,
        bundle,
        rootfs,
        created,
        owner,
        annotations,
        cgroups,
        cgroupOwner,
        namespaces,
        hooks,
        systemd);
  }
}
