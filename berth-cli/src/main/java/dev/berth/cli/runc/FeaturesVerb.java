package dev.berth.cli.runc;

import dev.berth.cli.flags.ParsedCommand;
import dev.berth.runtime.ContainerRuntime;
import dev.berth.spec.json.JsonWriter;
import dev.berth.spec.runtime.MountOptions;
import dev.berth.spec.runtime.SpecValidator;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code features}: the runtime-spec features document (features.md, features-linux.md), indented
 * as runc prints it. It says what this build really does, not what the spec could ask for: callers
 * such as containerd decide from it whether a config will work.
 */
final class FeaturesVerb {
  /** The namespaces PlanCompiler can create or join; "time" is not among them yet. */
  private static final List<String> NAMESPACES =
      List.of("cgroup", "ipc", "mount", "network", "pid", "user", "uts");

  /**
   * What the seccomp compiler handles: the ABIs it has syscall tables for (its package-private Arch
   * enum; keep in step).
   */
  private static final List<String> SECCOMP_ARCHS =
      List.of("SCMP_ARCH_AARCH64", "SCMP_ARCH_X32", "SCMP_ARCH_X86", "SCMP_ARCH_X86_64");

  private static final List<String> SECCOMP_SUPPORTED_FLAGS =
      List.of(
          "SECCOMP_FILTER_FLAG_LOG",
          "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
          "SECCOMP_FILTER_FLAG_TSYNC",
          "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV");

  private FeaturesVerb() {}

  static int run(ParsedCommand c, PrintStream out) throws IOException {
    out.write(document(true));
    out.println();
    return 0;
  }

  static byte[] document(boolean seccomp) {
    JsonWriter w = new JsonWriter("    ");
    w.beginObject();
    w.field("ociVersionMin", "1.0.0");
    w.field("ociVersionMax", ContainerRuntime.OCI_VERSION);
    strings(
        w,
        "hooks",
        List.of(
            "prestart",
            "createRuntime",
            "createContainer",
            "startContainer",
            "poststart",
            "poststop"));
    strings(w, "mountOptions", new ArrayList<>(MountOptions.knownOptions()));

    w.name("linux").beginObject();
    strings(w, "namespaces", NAMESPACES);
    strings(w, "capabilities", SpecValidator.CAPABILITIES);
    w.name("cgroup")
        .beginObject()
        .field("v1", true)
        .field("v2", true)
        .field("systemd", false) // --systemd-cgroup is refused
        .field("systemdUser", false)
        .field("rdma", true) // applied where the controller is mounted, refused elsewhere
        .endObject();
    w.name("seccomp").beginObject().field("enabled", seccomp);
    if (seccomp) {
      strings(w, "actions", sorted(SpecValidator.SECCOMP_ACTIONS));
      strings(w, "operators", sorted(SpecValidator.SECCOMP_OPERATORS));
      strings(w, "archs", SECCOMP_ARCHS);
      strings(w, "knownFlags", sorted(SpecValidator.SECCOMP_FLAGS));
      strings(w, "supportedFlags", SECCOMP_SUPPORTED_FLAGS);
    }
    w.endObject();
    w.name("apparmor").beginObject().field("enabled", false).endObject();
    w.name("selinux").beginObject().field("enabled", false).endObject();
    w.name("intelRdt").beginObject().field("enabled", false).endObject();
    w.name("mountExtensions")
        .beginObject()
        .name("idmap")
        .beginObject()
        .field("enabled", true)
        .endObject()
        .endObject();
    // linux.netDevices (runtime-spec 1.2), after mountExtensions as runc 1.3 prints it.
    w.name("netDevices").beginObject().field("enabled", true).endObject();
    // runtime-spec 1.3's linux.memoryPolicy, as runc 1.4 reports it: the modes and flags it knows.
    w.name("memoryPolicy").beginObject();
    strings(w, "modes", sorted(SpecValidator.MPOL_MODES.keySet()));
    strings(w, "flags", sorted(SpecValidator.MPOL_FLAGS.keySet()));
    w.endObject();
    w.endObject();

    w.name("annotations").beginObject();
    w.field("dev.berth.runc.version", RuncApp.VERSION.split("\n", 2)[0]);
    w.endObject();
    w.endObject();
    return w.toByteArray();
  }

  private static List<String> sorted(java.util.Collection<String> values) {
    List<String> copy = new ArrayList<>(values);
    copy.sort(null);
    return copy;
  }

  private static void strings(JsonWriter w, String name, List<String> values) {
    w.name(name).beginArray();
    for (String v : values) w.value(v);
    w.endArray();
  }
}
