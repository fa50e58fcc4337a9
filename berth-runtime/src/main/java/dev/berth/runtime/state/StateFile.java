package dev.berth.runtime.state;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Reads and writes {@link ContainerRecord} as {@code state.json}: streaming JSON, written atomically. */
public final class StateFile {
  private static final JsonFactory JSON = new JsonFactory();

  private StateFile() {}

  /** Writes the record to {@code file} through a temporary file and a rename, so a reader never sees half of it. */
  public static void write(Path file, ContainerRecord r) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.write(tmp, encode(r), StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
        StandardOpenOption.WRITE, StandardOpenOption.SYNC);
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  static byte[] encode(ContainerRecord r) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(512);
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("id", r.id());
      g.writeNumberField("pid", r.pid());
      g.writeNumberField("pidStartTime", r.pidStartTime());
      g.writeStringField("bundle", r.bundle());
      g.writeStringField("rootfs", r.rootfs());
      g.writeStringField("created", r.created());
      g.writeStringField("owner", r.owner());
      writeMap(g, "annotations", r.annotations());
      writeMap(g, "cgroupPaths", r.cgroupPaths());
      writeList(g, "namespaces", r.namespaces());
      writeList(g, "hooks", r.hooks());
      g.writeBooleanField("systemdCgroup", r.systemdCgroup());
      g.writeEndObject();
    }
    return out.toByteArray();
  }

  private static void writeMap(JsonGenerator g, String name, Map<String, String> m) throws IOException {
    g.writeObjectFieldStart(name);
    for (var e : new TreeMap<>(m).entrySet()) g.writeStringField(e.getKey(), e.getValue());
    g.writeEndObject();
  }

  private static void writeList(JsonGenerator g, String name, List<String> l) throws IOException {
    g.writeArrayFieldStart(name);
    for (String s : l) g.writeString(s);
    g.writeEndArray();
  }

  /** Reads a state file written by {@link #write}; a damaged file is an IOException naming it. */
  public static ContainerRecord read(Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    String id = null, bundle = "", rootfs = "", created = "", owner = "";
    int pid = 0;
    long start = 0;
    boolean systemd = false;
    Map<String, String> annotations = Map.of(), cgroups = Map.of();
    List<String> namespaces = List.of(), hooks = List.of();
    try (JsonParser p = JSON.createParser(bytes)) {
      if (p.nextToken() != JsonToken.START_OBJECT) throw new IOException(file + ": not a JSON object");
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String f = p.currentName();
        p.nextToken();
        switch (f) {
          case "id" -> id = p.getText();
          case "pid" -> pid = p.getIntValue();
          case "pidStartTime" -> start = p.getLongValue();
          case "bundle" -> bundle = p.getText();
          case "rootfs" -> rootfs = p.getText();
          case "created" -> created = p.getText();
          case "owner" -> owner = p.getText();
          case "annotations" -> annotations = readMap(p);
          case "cgroupPaths" -> cgroups = readMap(p);
          case "namespaces" -> namespaces = readList(p);
          case "hooks" -> hooks = readList(p);
          case "systemdCgroup" -> systemd = p.getBooleanValue();
          default -> p.skipChildren();
        }
      }
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IOException("read " + file + ": " + e.getOriginalMessage(), e);
    }
    if (id == null) throw new IOException("read " + file + ": no id");
    return new ContainerRecord(id, pid, start, bundle, rootfs, created, owner, annotations, cgroups, namespaces, hooks,
        systemd);
  }

  private static Map<String, String> readMap(JsonParser p) throws IOException {
    Map<String, String> m = new LinkedHashMap<>();
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String k = p.currentName();
      p.nextToken();
      m.put(k, p.getText());
    }
    return m;
  }

  private static List<String> readList(JsonParser p) throws IOException {
    List<String> l = new ArrayList<>();
    while (p.nextToken() != JsonToken.END_ARRAY) l.add(p.getText());
    return l;
  }
}
