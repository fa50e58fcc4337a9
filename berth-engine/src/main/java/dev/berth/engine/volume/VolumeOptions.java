package dev.berth.engine.volume;

import dev.berth.image.snapshot.Mounts;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.error.Printable;
import dev.berth.spec.runtime.MountFlags;
import dev.berth.spec.runtime.MountOptions;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The local driver's options, as docker's: {@code type} (a filesystem type, "none" for a bind),
 * {@code device} (what is mounted: "tmpfs", a host path with {@code o=bind}, a block device, an NFS
 * export) and {@code o} (mount options, comma-separated, as mount(8) takes them). A volume with
 * them is mounted on its data directory when a container using it starts, and unmounted when it is
 * removed. Docker unmounts it when its last container stops; berth keeps it until the volume goes:
 * an unmount at one container's exit could race another's start, which has mounted it and not yet
 * bound it in.
 */
public final class VolumeOptions {
  private VolumeOptions() {}

  private static final Set<String> KEYS = Set.of("type", "device", "o", "size");

  /**
   * Docker's checks: only its keys; {@code type} and {@code device} go together and {@code o} needs
   * both; a size quota needs quota support, which berth's local driver does not have.
   * INVALID_ARGUMENT with docker's words.
   */
  public static void check(Map<String, String> options) throws BerthException {
    for (String k : options.keySet()) {
      if (!KEYS.contains(k)) throw invalid("invalid option: \"" + Printable.of(k, 100) + "\"");
    }
    for (String[] rule :
        List.of(
            new String[] {"device", "type"},
            new String[] {"type", "device"},
            new String[] {"o", "device"},
            new String[] {"o", "type"})) {
      if (options.containsKey(rule[0]) && !options.containsKey(rule[1]))
        throw invalid("missing required option: \"" + rule[1] + "\"");
    }
    if (options.containsKey("size")) throw invalid("quota size requested but no quota support");
    String o = options.getOrDefault("o", "");
    MountOptions parsed = MountOptions.parse(words(o));
    if ((parsed.flags() & MountFlags.MS_REMOUNT) != 0)
      throw invalid("o: remount is not a volume's mount option");
    String device = options.getOrDefault("device", "");
    // /proc/self/fd/N and the like would name this daemon's own files, not the caller's
    if (parsed.isBind() && (device.equals("/proc") || device.startsWith("/proc/")))
      throw invalid("device: a bind's device may not be under /proc: " + Printable.of(device, 200));
    if (parsed.isBind() && !device.startsWith("/"))
      throw invalid(
          "device: a bind's device must be an absolute host path, not \""
              + Printable.of(options.get("device"), 200)
              + "\"");
    for (String v : options.values()) {
      if (v.indexOf('\0') >= 0) throw invalid("options may not hold a NUL byte");
    }
  }

  /** Whether a volume with {@code options} is a mount of its own (else a plain directory). */
  public static boolean needsMount(Map<String, String> options) {
    return options.containsKey("device") || options.containsKey("type");
  }

  /**
   * Mounts {@code options}' device on {@code data}: a bind of a host directory (read-only and the
   * rest by a remount, as a bind ignores them), or a filesystem of its type with {@code o}'s flags
   * and data. The error names the volume and hides a {@code password=} of {@code o}, as docker's.
   */
  static void mount(String volume, Map<String, String> options, Path data) throws BerthException {
    String device = options.get("device");
    String type = options.get("type");
    MountOptions o = MountOptions.parse(words(withAddress(type, options.getOrDefault("o", ""))));
    long flags =
        o.flags()
            & (LinuxConstants.MS_RDONLY
                | LinuxConstants.MS_NOSUID
                | LinuxConstants.MS_NODEV
                | LinuxConstants.MS_NOEXEC
                | LinuxConstants.MS_SYNCHRONOUS
                | LinuxConstants.MS_DIRSYNC
                | LinuxConstants.MS_NOATIME
                | LinuxConstants.MS_NODIRATIME
                | LinuxConstants.MS_RELATIME
                | LinuxConstants.MS_STRICTATIME);
    try {
      if (o.isBind()) {
        Mounts.bind(device, data.toString(), o.isRecursiveBind(), flags);
      } else {
        Linux.mount(
            device,
            data.toString(),
            type.equals("none") ? null : type,
            flags,
            o.data().isEmpty() ? null : o.data());
      }
    } catch (IOException e) {
      throw new BerthException(
          ErrorCategory.INVALID_ARGUMENT,
          "error while mounting volume '"
              + data
              + "': failed to mount local volume "
              + volume
              + ": "
              + hidePassword(e.getMessage(), options.getOrDefault("o", "")),
          e);
    }
  }

  /**
   * An NFS or CIFS mount's {@code addr=} resolved, as docker does: the kernel takes an address
   * there, where mount(8)'s helpers would resolve a name.
   */
  static String withAddress(String type, String o) throws BerthException {
    if (type == null || !Set.of("nfs", "nfs4", "cifs").contains(type)) return o;
    List<String> out = new java.util.ArrayList<>();
    for (String w : words(o)) {
      if (w.startsWith("addr=")) {
        String host = w.substring("addr=".length());
        try {
          w = "addr=" + java.net.InetAddress.getByName(host).getHostAddress();
        } catch (java.net.UnknownHostException e) {
          throw new BerthException(
              ErrorCategory.INVALID_ARGUMENT,
              "error resolving passed in network volume address: " + Printable.of(host, 200),
              e);
        }
      }
      out.add(w);
    }
    return String.join(",", out);
  }

  private static List<String> words(String o) {
    return o.isEmpty() ? List.of() : Arrays.asList(o.split(","));
  }

  static String hidePassword(String message, String o) {
    for (String w : words(o)) {
      if (w.startsWith("password=") && w.length() > "password=".length())
        message = message.replace(w, "password=********");
    }
    return message;
  }

  private static BerthException invalid(String message) {
    return new BerthException(ErrorCategory.INVALID_ARGUMENT, message);
  }
}
