package dev.berth.engine.spec;

import dev.berth.spec.runtime.Seccomp;
import dev.berth.spec.runtime.SeccompArg;
import dev.berth.spec.runtime.SeccompSyscall;
import java.util.ArrayList;
import java.util.List;

/**
 * A seccomp profile as docker writes them ({@code --security-opt seccomp=profile.json}): the OCI
 * {@code linux.seccomp} section plus rules that apply only for some capabilities, architectures or
 * kernels, and an architecture map. An OCI-format section is a profile without conditions. {@link
 * #resolve} makes the OCI section for one container.
 *
 * @param architectures the OCI list; empty when {@code archMap} is used
 * @param archMap per native architecture, the architectures its processes may also use (x86_64: x86
 *     and x32)
 */
public record SeccompProfile(
    String defaultAction,
    Integer defaultErrnoRet,
    List<String> architectures,
    List<ArchMap> archMap,
    List<String> flags,
    String listenerPath,
    String listenerMetadata,
    List<Rule> syscalls) {

  public SeccompProfile {
    defaultAction = defaultAction == null ? "" : defaultAction;
    architectures = architectures == null ? List.of() : List.copyOf(architectures);
    archMap = archMap == null ? List.of() : List.copyOf(archMap);
    flags = flags == null ? List.of() : List.copyOf(flags);
    listenerPath = listenerPath == null ? "" : listenerPath;
    listenerMetadata = listenerMetadata == null ? "" : listenerMetadata;
    syscalls = syscalls == null ? List.of() : List.copyOf(syscalls);
  }

  /**
   * A native architecture ({@code SCMP_ARCH_X86_64}) and the ones its processes may also call as.
   */
  public record ArchMap(String architecture, List<String> subArchitectures) {
    public ArchMap {
      subArchitectures = subArchitectures == null ? List.of() : List.copyOf(subArchitectures);
    }
  }

  /**
   * When a rule applies: every listed capability held, the architecture listed, the kernel at least
   * minKernel.
   */
  public record Filter(List<String> caps, List<String> arches, String minKernel) {
    public static final Filter NONE = new Filter(null, null, null);

    public Filter {
      caps = caps == null ? List.of() : List.copyOf(caps);
      arches = arches == null ? List.of() : List.copyOf(arches);
      minKernel = minKernel == null ? "" : minKernel;
    }

    boolean isEmpty() {
      return caps.isEmpty() && arches.isEmpty() && minKernel.isEmpty();
    }
  }

  /**
   * One rule: its OCI part, and when it applies ({@code includes}: all conditions hold; {@code
   * excludes}: none of its capabilities held, the architecture not listed and the kernel older than
   * its minKernel).
   */
  public record Rule(
      List<String> names,
      String action,
      Integer errnoRet,
      List<SeccompArg> args,
      Filter includes,
      Filter excludes) {
    public Rule {
      names = names == null ? List.of() : List.copyOf(names);
      action = action == null ? "" : action;
      args = args == null ? List.of() : List.copyOf(args);
      includes = includes == null ? Filter.NONE : includes;
      excludes = excludes == null ? Filter.NONE : excludes;
    }
  }

  /**
   * The OCI section for a container holding capabilities {@code caps} (its bounding set) on a host
   * whose architecture is {@code goArch} ("amd64", "arm64": the names docker's conditions use) and
   * whose kernel release is {@code kernel} ("6.1.0-18-amd64").
   */
  public Seccomp resolve(List<String> caps, String goArch, String kernel) {
    List<String> arches = architectures;
    if (arches.isEmpty()) {
      String native_ = nativeScmpArch(goArch);
      for (ArchMap m : archMap) {
        if (m.architecture().equals(native_)) {
          arches = new ArrayList<>();
          arches.add(m.architecture());
          arches.addAll(m.subArchitectures());
          break;
        }
      }
    }
    List<SeccompSyscall> out = new ArrayList<>();
    for (Rule r : syscalls) {
      if (applies(r, caps, goArch, kernel))
        out.add(new SeccompSyscall(r.names(), r.action(), r.errnoRet(), r.args()));
    }
    return new Seccomp(
        defaultAction, defaultErrnoRet, arches, flags, listenerPath, listenerMetadata, out);
  }

  private static boolean applies(Rule r, List<String> caps, String goArch, String kernel) {
    Filter in = r.includes();
    if (!in.arches().isEmpty() && !in.arches().contains(goArch)) return false;
    if (!caps.containsAll(in.caps())) return false;
    if (!in.minKernel().isEmpty() && compareKernel(kernel, in.minKernel()) < 0) return false;
    Filter ex = r.excludes();
    if (ex.arches().contains(goArch)) return false;
    for (String c : ex.caps()) if (caps.contains(c)) return false;
    return ex.minKernel().isEmpty() || compareKernel(kernel, ex.minKernel()) < 0;
  }

  /** The libseccomp name of a Go architecture: amd64 is SCMP_ARCH_X86_64. */
  static String nativeScmpArch(String goArch) {
    return switch (goArch) {
      case "amd64" -> "SCMP_ARCH_X86_64";
      case "386" -> "SCMP_ARCH_X86";
      case "arm64" -> "SCMP_ARCH_AARCH64";
      case "arm" -> "SCMP_ARCH_ARM";
      case "ppc64le" -> "SCMP_ARCH_PPC64LE";
      case "s390x" -> "SCMP_ARCH_S390X";
      case "riscv64" -> "SCMP_ARCH_RISCV64";
      case "loong64" -> "SCMP_ARCH_LOONGARCH64";
      default -> "";
    };
  }

  /**
   * Compares kernel releases by their first two numbers ("6.1.0-18-amd64" is 6.1; "4.8" is 4.8).
   */
  static int compareKernel(String a, String b) {
    int[] x = majorMinor(a);
    int[] y = majorMinor(b);
    return x[0] != y[0] ? Integer.compare(x[0], y[0]) : Integer.compare(x[1], y[1]);
  }

  private static int[] majorMinor(String release) {
    int[] v = new int[2];
    int part = 0;
    for (int i = 0; i < release.length() && part < 2; i++) {
      char c = release.charAt(i);
      if (c >= '0' && c <= '9') {
        v[part] = v[part] * 10 + (c - '0');
      } else if (c == '.') {
        part++;
      } else {
        break;
      }
    }
    return v;
  }
}
