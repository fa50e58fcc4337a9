package dev.berth.engine.spec;

import dev.berth.sys.Kernel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the spec depends on of the host, read once and passed in so tests can give their own: the
 * DNS and hosts files a container copies, the host's name (network "host" takes it), the
 * capabilities the kernel knows, the CPUs, the kernel release and architecture (seccomp
 * conditions), and where host devices are (privileged containers).
 *
 * @param resolvConf the host's /etc/resolv.conf
 * @param resolvedResolvConf systemd-resolved's upstream file, used when resolvConf names only its
 *     127.0.0.53 stub
 * @param hosts the host's /etc/hosts (network "host")
 * @param hostname the host's name
 * @param capLastCap the highest capability number the kernel knows
 * @param capBounding this process's capability bounding set (bit n: capability n), what it can give
 *     a container: a sandboxed daemon may lack some the kernel knows (CAP_SYS_RESOURCE)
 * @param cpus CPUs this process may run on ({@code --cpus} must not exceed them)
 * @param kernelRelease uname -r
 * @param goArch the architecture in Go's (and docker's profile) names: amd64, arm64
 * @param devDir the host's /dev, whose devices a privileged container gets
 */
public record HostFacts(
    Path resolvConf,
    Path resolvedResolvConf,
    Path hosts,
    String hostname,
    int capLastCap,
    long capBounding,
    int cpus,
    String kernelRelease,
    String goArch,
    Path devDir) {

  /** This host. */
  public static HostFacts current() {
    return new HostFacts(
        Path.of("/etc/resolv.conf"),
        Path.of("/run/systemd/resolve/resolv.conf"),
        Path.of("/etc/hosts"),
        read("/proc/sys/kernel/hostname"),
        Kernel.capLastCap(),
        CapabilitySet.bounding(),
        Runtime.getRuntime().availableProcessors(),
        read("/proc/sys/kernel/osrelease"),
        hostGoArch(),
        Path.of("/dev"));
  }

  private static String read(String file) {
    try {
      return Files.readString(Path.of(file)).strip();
    } catch (IOException e) {
      throw new IllegalStateException("read " + file + ": " + e.getMessage(), e);
    }
  }

  private static String hostGoArch() {
    return switch (System.getProperty("os.arch")) {
      case "amd64", "x86_64" -> "amd64";
      case "aarch64", "arm64" -> "arm64";
      case "ppc64le" -> "ppc64le";
      case "s390x" -> "s390x";
      case "riscv64" -> "riscv64";
      default -> System.getProperty("os.arch");
    };
  }
}
