package dev.berth.testkit;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * Enables {@link RequiresRoot} and {@link RequiresCommand} tests only where they can run, and says
 * why not.
 */
public final class PrivilegeCondition implements ExecutionCondition {
  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    Optional<RequiresCommand> cmd =
        context
            .getElement()
            .flatMap(e -> AnnotationSupport.findAnnotation(e, RequiresCommand.class));
    String why = Host.whyNotRoot();
    if (why != null) return ConditionEvaluationResult.disabled(why);
    if (cmd.isPresent()) {
      for (String c : cmd.get().value()) {
        if (Host.which(c) == null)
          return ConditionEvaluationResult.disabled(c + " is not installed");
      }
    }
    return ConditionEvaluationResult.enabled("root");
  }

  /** Facts about the test host. */
  public static final class Host {
    private Host() {}

    /** Null when privileged tests may run, else the reason they may not. */
    public static String whyNotRoot() {
      if (!"true".equals(System.getProperty("test.root")))
        return "privileged test: run with -Dtest.root=true";
      try {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
          if (line.startsWith("Uid:")) {
            String[] f = line.split("\\s+");
            return "0".equals(f[2]) ? null : "privileged test: needs root (euid " + f[2] + ")";
          }
        }
      } catch (IOException e) {
        return "cannot read /proc/self/status: " + e.getMessage();
      }
      return "cannot tell the effective uid";
    }

    /** The absolute path of a command on PATH, or null. */
    public static Path which(String command) {
      for (String dir :
          System.getenv()
              .getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
              .split(File.pathSeparator)) {
        Path p = Path.of(dir, command);
        if (Files.isExecutable(p)) return p;
      }
      for (String dir : new String[] {"/usr/sbin", "/sbin", "/usr/bin", "/bin"}) {
        Path p = Path.of(dir, command);
        if (Files.isExecutable(p)) return p;
      }
      return null;
    }
  }
}
