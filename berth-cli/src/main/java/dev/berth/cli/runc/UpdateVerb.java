package dev.berth.cli.runc;

import dev.berth.cli.flags.Flags;
import dev.berth.cli.flags.ParsedCommand;
import dev.berth.runtime.ContainerException;
import dev.berth.runtime.ContainerRuntime;
import dev.berth.spec.json.SpecException;
import dev.berth.spec.runtime.BlockIO;
import dev.berth.spec.runtime.Cpu;
import dev.berth.spec.runtime.Memory;
import dev.berth.spec.runtime.Pids;
import dev.berth.spec.runtime.Resources;
import dev.berth.spec.runtime.SpecReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code update [flags] <id>} and {@code update -r resources.json <id>} ({@code -r -}: standard
 * input): new cgroup limits for a running container. With {@code -r} the other flags are ignored,
 * as in runc; a number left out or 0 keeps the current limit.
 */
final class UpdateVerb {
  /**
   * Sizes as runc reads them (docker's RAMInBytes): a number, optional fraction, binary unit
   * k/m/g/t/p, "i", "b".
   */
  private static final Pattern SIZE =
      Pattern.compile("^(\\d+(?:\\.\\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$");

  private UpdateVerb() {}

  static int run(ContainerRuntime rt, ParsedCommand c) throws ContainerException, IOException {
    String id = c.arg(0);
    Flags f = c.flags();
    String file = f.getString("resources");
    Resources r = file.isEmpty() ? fromFlags(f) : fromFile(file);
    rt.update(id, r);
    return 0;
  }

  private static Resources fromFile(String file) throws ContainerException, IOException {
    byte[] json;
    String source = file;
    if (file.equals("-")) {
      InputStream in = System.in;
      json = in.readAllBytes();
      source = "stdin";
    } else {
      try {
        json = Files.readAllBytes(Path.of(file));
      } catch (NoSuchFileException e) {
        throw ContainerException.invalid("open " + file + ": no such file or directory");
      }
    }
    try {
      return SpecReader.parseResources(json, source);
    } catch (SpecException e) {
      throw ContainerException.invalid(e.getMessage());
    }
  }

  static Resources fromFlags(Flags f) throws ContainerException {
    if (f.isSet("l3-cache-schema")) {
      throw ContainerException.unsupported(
          "update --l3-cache-schema: intel rdt is not supported by berth-runc");
    }
    if (f.isSet("mem-bw-schema")) {
      throw ContainerException.unsupported(
          "update --mem-bw-schema: intel rdt is not supported by berth-runc");
    }
    Memory memory =
        new Memory(
            size(f, "memory"),
            size(f, "memory-reservation"),
            size(f, "memory-swap"),
            size(f, "kernel-memory"),
            size(f, "kernel-memory-tcp"),
            null,
            null,
            null,
            null);
    Cpu cpu =
        new Cpu(
            unsigned(f, "cpu-share"),
            signed(f, "cpu-quota"),
            unsigned(f, "cpu-burst"),
            unsigned(f, "cpu-period"),
            signed(f, "cpu-rt-runtime"),
            unsigned(f, "cpu-rt-period"),
            f.getString("cpuset-cpus"),
            f.getString("cpuset-mems"),
            signed(f, "cpu-idle"));
    Pids pids = f.isSet("pids-limit") ? new Pids(f.getInt("pids-limit")) : null;
    long weight = f.getUint("blkio-weight");
    BlockIO blkio = null;
    if (weight != 0) {
      if (weight < 10 || weight > 1000) {
        throw ContainerException.invalid(
            "invalid value for blkio-weight: must be 10-1000 (got "
                + Long.toUnsignedString(weight)
                + ")");
      }
      blkio =
          new BlockIO((int) weight, null, List.of(), List.of(), List.of(), List.of(), List.of());
    }
    return new Resources(List.of(), memory, cpu, pids, blkio, List.of(), null, Map.of());
  }

  /**
   * A memory size flag: "-1" is unlimited, else a size with an optional binary unit ("64m",
   * "1.5g").
   */
  static Long size(Flags f, String name) throws ContainerException {
    String v = f.getString(name);
    if (v.isEmpty()) return null;
    if (v.equals("-1")) return -1L;
    try {
      return parseSize(v);
    } catch (IllegalArgumentException e) {
      throw ContainerException.invalid("invalid value for " + name + ": " + e.getMessage());
    }
  }

  /**
   * Parses a size as runc does: units are powers of 1024 and the unit letter is case-insensitive.
   */
  static long parseSize(String v) {
    Matcher m = SIZE.matcher(v);
    if (!m.matches()) throw new IllegalArgumentException("invalid size: '" + v + "'");
    double n = Double.parseDouble(m.group(1));
    int shift =
        m.group(2) == null
            ? 0
            : 10 * ("kmgtp".indexOf(Character.toLowerCase(m.group(2).charAt(0))) + 1);
    double bytes = n * Math.pow(2, shift);
    if (bytes >= 0x1p63) throw new IllegalArgumentException("invalid size: '" + v + "'");
    return (long) bytes;
  }

  private static Long unsigned(Flags f, String name) throws ContainerException {
    String v = f.getString(name);
    if (v.isEmpty()) return null;
    try {
      return Long.parseUnsignedLong(v);
    } catch (NumberFormatException e) {
      throw ContainerException.invalid(
          "invalid value for " + name + ": " + v + " is not an unsigned integer");
    }
  }

  private static Long signed(Flags f, String name) throws ContainerException {
    String v = f.getString(name);
    if (v.isEmpty()) return null;
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw ContainerException.invalid(
          "invalid value for " + name + ": " + v + " is not an integer");
    }
  }
}
