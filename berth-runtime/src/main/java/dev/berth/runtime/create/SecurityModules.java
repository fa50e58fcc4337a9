package dev.berth.runtime.create;

import dev.berth.runtime.ContainerException;
import dev.berth.runtime.RuntimeLog;
import dev.berth.spec.runtime.Linux;
import dev.berth.spec.runtime.Process;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * AppArmor profiles and SELinux labels, which berth does not apply. On a host without the module, a
 * profile or label can be applied by no runtime: refused before anything is made, in runc's words
 * (runc 1.1.5 fails the same containers: "unable to apply apparmor profile", "selinux label is
 * specified in config, but selinux is disabled or not supported"). On a host with the module, where
 * runc would apply it, berth lets the container run without it and says so in a warning rather than
 * leave it unsaid.
 */
final class SecurityModules {
  private SecurityModules() {}

  /**
   * Checks the process's profile and label and the mount label; the host is probed only when one is
   * set.
   */
  static void check(Process p, Linux linux) throws ContainerException {
    if (p != null && !p.apparmorProfile().isEmpty()) {
      String field = "process.apparmorProfile";
      if (!appArmorEnabled()) {
        throw ContainerException.invalid(
            field
                + ": unable to apply apparmor profile \""
                + p.apparmorProfile()
                + "\": AppArmor is not enabled on this host");
      }
      RuntimeLog.warn(
          field
              + ": AppArmor profile \""
              + p.apparmorProfile()
              + "\" not applied: berth does not"
              + " implement AppArmor");
    }
    if (p != null && !p.selinuxLabel().isEmpty()) selinux("process.selinuxLabel", p.selinuxLabel());
    if (linux != null && !linux.mountLabel().isEmpty())
      selinux("linux.mountLabel", linux.mountLabel());
  }

  private static void selinux(String field, String label) throws ContainerException {
    if (!selinuxEnabled()) {
      throw ContainerException.invalid(
          field
              + ": selinux label is specified in config, but selinux is disabled or"
              + " not supported");
    }
    RuntimeLog.warn(
        field + ": SELinux label \"" + label + "\" not applied: berth does not implement SELinux");
  }

  /** As runc tells: the module is loaded and enabled, and securityfs shows it. */
  static boolean appArmorEnabled() {
    try {
      return Files.isDirectory(Path.of("/sys/kernel/security/apparmor"))
          && Files.readString(Path.of("/sys/module/apparmor/parameters/enabled")).startsWith("Y");
    } catch (IOException e) {
      return false;
    }
  }

  /** selinuxfs is mounted (it is only when SELinux is enabled). */
  static boolean selinuxEnabled() {
    return Files.exists(Path.of("/sys/fs/selinux/enforce"));
  }
}
