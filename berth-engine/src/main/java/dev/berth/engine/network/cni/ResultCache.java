package dev.berth.engine.network.cni;

import static dev.berth.sys.LinuxConstants.O_DIRECTORY;
import static dev.berth.sys.LinuxConstants.O_RDONLY;

import dev.berth.engine.store.AtomicFiles;
import dev.berth.engine.store.StoreErrors;
import dev.berth.image.dirs.PrivateDirs;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.json.JsonReader;
import dev.berth.spec.json.JsonWriter;
import dev.berth.spec.json.SpecException;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The attachments CNI made, on disk as libcni keeps them ({@code
 * <dir>/results/<network>-<container>-<ifname>}, its {@code cniCacheV1} fields plus the netns
 * path): the config list the ADD ran (base64, as libcni), the arguments, and the result. So a DEL
 * after a restart, a reboot or a removed network runs the plugins the ADD ran, with the ADD's
 * result as {@code prevResult}. An entry is written before the ADD (no result yet) and completed
 * after it, so a crash mid-ADD still leaves a record the recovery scan finds. Files are replaced
 * atomically.
 */
public final class ResultCache {
  static final String KIND = "cniCacheV1";

  /** One attachment; {@code result} null while its ADD has not completed. */
  public record Entry(
      String network,
      String containerId,
      String ifName,
      String netns,
      byte[] config,
      Map<String, String> args,
      Map<String, Object> capabilityArgs,
      CniResult result) {
    public RuntimeConf runtimeConf() {
      return new RuntimeConf(containerId, netns, ifName, args, capabilityArgs);
    }
  }

  private final Path dir;

  private ResultCache(Path dir) {
    this.dir = dir;
  }

  /** The cache under {@code cacheDir} ({@code results/} made private when missing). */
  public static ResultCache open(Path cacheDir) throws BerthException {
    try {
      PrivateDirs.ensure(cacheDir);
      Path d = cacheDir.resolve("results");
      PrivateDirs.ensure(d);
      return new ResultCache(d);
    } catch (IOException e) {
      throw StoreErrors.io("open CNI result cache " + cacheDir, e);
    }
  }

  public Path dir() {
    return dir;
  }

  public void put(Entry e) throws IOException {
    JsonWriter w =
        new JsonWriter(JsonWriter.COMPACT)
            .beginObject()
            .field("kind", KIND)
            .field("containerId", e.containerId())
            .field("config", Base64.getEncoder().encodeToString(e.config()))
            .field("ifName", e.ifName())
            .field("networkName", e.network())
            .field("netns", e.netns());
    w.name("cniArgs").beginArray();
    for (Map.Entry<String, String> a : e.args().entrySet()) {
      w.beginArray().value(a.getKey()).value(a.getValue()).endArray();
    }
    w.endArray();
    w.name("capabilityArgs").tree(e.capabilityArgs());
    if (e.result() != null) w.name("result").rawValue(e.result().json());
    AtomicFiles.replace(
        file(e.network(), e.containerId(), e.ifName()), w.endObject().toByteArray());
  }

  /** The entry, or null when there is none. */
  public Entry get(String network, String containerId, String ifName) throws IOException {
    return read(file(network, containerId, ifName));
  }

  /** Removes the entry; a missing one is no error. */
  public void remove(String network, String containerId, String ifName) throws IOException {
    try {
      Linux.unlink(file(network, containerId, ifName).toString());
    } catch (ErrnoException e) {
      if (!StoreErrors.isMissing(e)) throw e;
    }
  }

  /** Every readable entry; unreadable files (torn by hand, another program's) are skipped. */
  public List<Entry> list() throws IOException {
    List<Entry> all = new ArrayList<>();
    List<String> names;
    try (Fd d = Linux.open(dir.toString(), O_RDONLY | O_DIRECTORY, 0)) {
      names = Linux.readdir(d);
    }
    names.sort(null);
    for (String n : names) {
      if (n.endsWith(AtomicFiles.TEMP_SUFFIX)) continue;
      try {
        Entry e = read(dir.resolve(n));
        if (e != null) all.add(e);
      } catch (IOException unreadable) {
        // not ours to judge here: list is for scans, which must go on
      }
    }
    return all;
  }

  /** The entries of one container. */
  public List<Entry> forContainer(String containerId) throws IOException {
    return list().stream().filter(e -> e.containerId().equals(containerId)).toList();
  }

  private Path file(String network, String containerId, String ifName) {
    return dir.resolve(network + "-" + containerId + "-" + ifName);
  }

  private static Entry read(Path file) throws IOException {
    byte[] json;
    try (Fd fd = Linux.open(file.toString(), O_RDONLY, 0)) {
      json = Linux.readAll(fd);
    } catch (ErrnoException e) {
      if (StoreErrors.isMissing(e)) return null;
      throw e;
    }
    String network = "";
    String container = "";
    String ifName = "";
    String netns = "";
    byte[] config = new byte[0];
    Map<String, String> args = new LinkedHashMap<>();
    Map<String, Object> caps = Map.of();
    CniResult result = null;
    try (JsonReader r = JsonReader.of(json, file.toString())) {
      if (!r.beginObject()) throw r.error("expected object");
      for (String f; (f = r.nextField()) != null; ) {
        switch (f) {
          case "kind" -> {
            if (!r.string().equals(KIND)) throw r.error("unknown cache kind");
          }
          case "networkName" -> network = r.string();
          case "containerId" -> container = r.string();
          case "ifName" -> ifName = r.string();
          case "netns" -> netns = r.string();
          case "config" -> {
            try {
              config = Base64.getDecoder().decode(r.string());
            } catch (IllegalArgumentException e) {
              throw r.error("invalid base64");
            }
          }
          case "cniArgs" -> {
            if (r.beginArray()) {
              while (r.nextElement()) {
                List<String> kv = r.strings();
                if (kv.size() == 2) args.put(kv.get(0), kv.get(1));
              }
            }
          }
          case "capabilityArgs" -> caps = JsonTree.object(r);
          case "result" -> {
            byte[] raw = new JsonWriter(JsonWriter.COMPACT).tree(JsonTree.read(r)).toByteArray();
            result = CniResult.parse(raw, file + ": result");
          }
          default -> r.skip();
        }
      }
    } catch (SpecException e) {
      throw new IOException("unreadable CNI cache entry " + e.getMessage(), e);
    }
    if (network.isEmpty() || container.isEmpty() || ifName.isEmpty()) {
      throw new IOException(
          "unreadable CNI cache entry "
              + file
              + ": networkName, containerId and ifName are required");
    }
    return new Entry(network, container, ifName, netns, config, args, caps, result);
  }
}
