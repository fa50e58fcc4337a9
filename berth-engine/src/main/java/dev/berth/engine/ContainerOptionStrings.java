package dev.berth.engine;

import dev.berth.engine.container.ContainerOptions;
import dev.berth.engine.container.ContainerOptions.MountOption;
import dev.berth.engine.container.ExecOptions;
import dev.berth.engine.container.HostOptions;
import dev.berth.spec.error.BerthException;
import java.util.List;
import java.util.Map;

/**
 * The strings of a create or exec request that end up as C strings (argv, envp, paths, mount
 * options, file contents under /proc/sys): a NUL byte in one would cut it short or fail deep in a
 * start with an internal error, so it is refused at the door, naming the field.
 */
final class ContainerOptionStrings {
  private ContainerOptionStrings() {}

  static void check(ContainerOptions o) throws BerthException {
    list("entrypoint", o.entrypoint());
    list("command", o.command());
    list("env", o.env());
    one("workingDir", o.workingDir());
    one("user", o.user());
    one("hostname", o.hostname());
    one("stopSignal", o.stopSignal());
    list("securityOpts", o.securityOpts());
    for (int i = 0; i < o.mounts().size(); i++) {
      MountOption m = o.mounts().get(i);
      String f = "mounts[" + i + "]";
      one(f + ".source", m.source());
      one(f + ".target", m.target());
      list(f + ".options", m.options());
    }
    HostOptions h = o.host();
    one("cgroupParent", h.cgroupParent());
    one("logPath", h.logPath());
    list("groupAdd", h.groupAdd());
    for (Map.Entry<String, String> e : h.sysctls().entrySet()) {
      one("sysctls", e.getKey());
      one("sysctls[" + e.getKey() + "]", e.getValue());
    }
    for (int i = 0; i < h.devices().size(); i++) {
      HostOptions.DeviceOption d = h.devices().get(i);
      one("devices[" + i + "].hostPath", d.hostPath());
      one("devices[" + i + "].containerPath", d.containerPath());
    }
  }

  static void check(ExecOptions o) throws BerthException {
    list("exec command", o.command());
    list("exec env", o.env());
    one("exec user", o.user());
    one("exec workingDir", o.workingDir());
  }

  private static void list(String field, List<String> values) throws BerthException {
    if (values == null) return;
    for (int i = 0; i < values.size(); i++) one(field + "[" + i + "]", values.get(i));
  }

  private static void one(String field, String value) throws BerthException {
    if (value != null && value.indexOf('\0') >= 0) {
      throw EngineException.invalid(
          "invalid " + field + " " + quoted(value) + ": contains a NUL byte");
    }
  }

  /** The value with its NUL bytes shown as \0, so the message stays one printable line. */
  private static String quoted(String value) {
    String v = value.length() > 100 ? value.substring(0, 100) + "..." : value;
    return "\"" + v.replace("\0", "\\0").replace("\n", "\\n") + "\"";
  }
}
