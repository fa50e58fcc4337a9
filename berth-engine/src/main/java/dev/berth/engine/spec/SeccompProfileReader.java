package dev.berth.engine.spec;

import dev.berth.engine.spec.SeccompProfile.ArchMap;
import dev.berth.engine.spec.SeccompProfile.Filter;
import dev.berth.engine.spec.SeccompProfile.Rule;
import dev.berth.spec.json.JsonReader;
import dev.berth.spec.json.SpecException;
import dev.berth.spec.runtime.SeccompArg;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a seccomp profile file of {@code --security-opt seccomp=<file>}: docker's format (archMap,
 * per-rule includes/excludes, the old single {@code name}) or an OCI {@code linux.seccomp} section,
 * which is the same format without conditions. Unknown fields are skipped, as docker's json
 * decoding does; a profile that names both {@code architectures} and {@code archMap} is refused, as
 * docker refuses it.
 */
public final class SeccompProfileReader {
  private SeccompProfileReader() {}

  public static SeccompProfile parse(byte[] json, String source) throws SpecException {
    try (JsonReader r = JsonReader.of(json, source)) {
      if (!r.beginObject()) throw r.error("a seccomp profile must be a json object, not null");
      String defaultAction = "";
      Integer defaultErrnoRet = null;
      List<String> architectures = List.of();
      List<String> flags = List.of();
      List<ArchMap> archMap = new ArrayList<>();
      List<Rule> rules = new ArrayList<>();
      String listenerPath = "";
      String listenerMetadata = "";
      for (String f; (f = r.nextField()) != null; ) {
        switch (f) {
          case "defaultAction" -> defaultAction = r.string();
          case "defaultErrnoRet" -> defaultErrnoRet = r.optUint32();
          case "architectures" -> architectures = r.strings();
          case "flags" -> flags = r.strings();
          case "listenerPath" -> listenerPath = r.string();
          case "listenerMetadata" -> listenerMetadata = r.string();
          case "archMap" -> {
            if (r.beginArray()) {
              while (r.nextElement()) archMap.add(archMap(r));
            }
          }
          case "syscalls" -> {
            if (r.beginArray()) {
              while (r.nextElement()) rules.add(rule(r));
            }
          }
          default -> r.skip();
        }
      }
      r.end();
      if (!architectures.isEmpty() && !archMap.isEmpty()) {
        throw new SpecException(
            source,
            "",
            "'architectures' and 'archMap' were specified in the seccomp profile, "
                + "use either 'architectures' or 'archMap'");
      }
      if (defaultAction.isEmpty())
        throw new SpecException(source, "defaultAction", "must not be empty");
      return new SeccompProfile(
          defaultAction,
          defaultErrnoRet,
          architectures,
          archMap,
          flags,
          listenerPath,
          listenerMetadata,
          rules);
    }
  }

  private static ArchMap archMap(JsonReader r) throws SpecException {
    String arch = "";
    List<String> subs = List.of();
    if (r.beginObject()) {
      for (String f; (f = r.nextField()) != null; ) {
        switch (f) {
          case "architecture" -> arch = r.string();
          case "subArchitectures" -> subs = r.strings();
          default -> r.skip();
        }
      }
    }
    return new ArchMap(arch, subs);
  }

  private static Rule rule(JsonReader r) throws SpecException {
    List<String> names = new ArrayList<>();
    String name = "";
    String action = "";
    Integer errnoRet = null;
    List<SeccompArg> args = new ArrayList<>();
    Filter includes = null;
    Filter excludes = null;
    if (r.beginObject()) {
      for (String f; (f = r.nextField()) != null; ) {
        switch (f) {
          case "names" -> names = new ArrayList<>(r.strings());
          case "name" -> name = r.string();
          case "action" -> action = r.string();
          case "errnoRet" -> errnoRet = r.optUint32();
          case "includes" -> includes = filter(r);
          case "excludes" -> excludes = filter(r);
          case "args" -> {
            args.clear();
            if (r.beginArray()) {
              while (r.nextElement()) args.add(arg(r));
            }
          }
          default -> r.skip();
        }
      }
    }
    if (!name.isEmpty()) {
      if (!names.isEmpty()) throw r.error("use either 'name' or 'names'");
      names.add(name);
    }
    if (names.isEmpty()) throw r.error("a syscall rule needs 'names'");
    if (action.isEmpty()) throw r.error("a syscall rule needs an 'action'");
    return new Rule(names, action, errnoRet, args, includes, excludes);
  }

  private static SeccompArg arg(JsonReader r) throws SpecException {
    int index = 0;
    long value = 0;
    long valueTwo = 0;
    String op = "";
    if (r.beginObject()) {
      for (String f; (f = r.nextField()) != null; ) {
        switch (f) {
          case "index" -> index = r.uint32();
          case "value" -> value = r.uint64();
          case "valueTwo" -> valueTwo = r.uint64();
          case "op" -> op = r.string();
          default -> r.skip();
        }
      }
    }
    return new SeccompArg(index, value, valueTwo, op);
  }

  private static Filter filter(JsonReader r) throws SpecException {
    List<String> caps = List.of();
    List<String> arches = List.of();
    String minKernel = "";
    if (r.beginObject()) {
      for (String f; (f = r.nextField()) != null; ) {
        switch (f) {
          case "caps" -> caps = r.strings();
          case "arches" -> arches = r.strings();
          case "minKernel" -> minKernel = r.string();
          default -> r.skip();
        }
      }
    }
    return new Filter(caps, arches, minKernel);
  }
}
