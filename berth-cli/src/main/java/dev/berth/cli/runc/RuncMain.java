package dev.berth.cli.runc;

import dev.berth.cli.flags.App;
import dev.berth.cli.flags.Flags;
import dev.berth.cli.flags.Invocation;
import dev.berth.cli.flags.ParsedCommand;
import dev.berth.cli.flags.Parser;
import dev.berth.cli.flags.TextOutput;
import dev.berth.cli.flags.UsageException;
import dev.berth.runtime.ContainerException;
import dev.berth.runtime.ContainerRuntime;
import dev.berth.runtime.PhaseTrace;
import dev.berth.runtime.RuntimeLog;
import dev.berth.runtime.process.InitProcess;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.sys.Linux;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * berth-runc: runc's command line over the runtime library. Each verb parses, calls one library
 * entry point, and prints; errors become one line in runc's log format and runc's exit status
 * ({@link RuncExit}).
 */
public final class RuncMain {
  private RuncMain() {}

  public static void main(String[] args) {
    PhaseTrace.start();
    int code = run(args);
    PhaseTrace.mark("verb");
    System.out.flush();
    System.err.flush();
    // halt: nothing to run at shutdown, and System.exit costs milliseconds (DESIGN.md "Startup
    // budget").
    Runtime.getRuntime().halt(code);
  }

  /**
   * Runs one command line and returns the exit status; the training run of the AOT cache calls this
   * repeatedly.
   */
  public static int run(String[] args) {
    App app = RuncApp.build();
    ParsedCommand cmd;
    try {
      Invocation inv = new Parser(app).parse(args);
      if (inv instanceof TextOutput text) {
        System.out.print(text.text());
        return 0;
      }
      cmd = (ParsedCommand) inv;
    } catch (UsageException e) {
      System.out.print(e.stdout());
      logFor(e.globals()).error(e.getMessage());
      return e.exitCode();
    }
    RuncLog log;
    try {
      log =
          RuncLog.open(
              cmd.globals().getString("log"),
              cmd.globals().getString("log-format"),
              cmd.globals().getBool("debug"));
    } catch (IOException e) {
      RuncLog.stderr().error(e.getMessage());
      return RuncExit.ERROR;
    }
    // The runtime library's debug lines and warnings go to the same log, in its format.
    RuntimeLog.install(log, log.debugOn());
    try {
      if (cmd.globals().getBool("systemd-cgroup")) {
        throw ContainerException.unsupported(
            "systemd cgroup driver is not supported yet: drop --systemd-cgroup");
      }
      PhaseTrace.mark("parse flags");
      ContainerRuntime rt =
          new ContainerRuntime(root(cmd.globals()), rootless(cmd.globals().getString("rootless")));
      return Verbs.run(rt, cmd, System.out);
    } catch (BerthException e) {
      String execError = containerExecError(cmd, e);
      if (execError != null) {
        // As runc: the container's process, not the runtime, reports its failed execve, on the
        // stderr it was given; a log file still gets the error line.
        System.err.println(execError);
        if (log.hasFile()) log.error(execError);
        return RuncExit.ERROR;
      }
      return failed(cmd, log, e.category(), e.getMessage());
    } catch (UsageException e) {
      System.out.print(e.stdout());
      log.error(e.getMessage());
      return e.exitCode();
    } catch (IOException | RuntimeException e) {
      if (cmd.globals().getBool("debug")) e.printStackTrace();
      return failed(
          cmd, log, ErrorCategory.INTERNAL, e.getMessage() == null ? e.toString() : e.getMessage());
    }
  }

  /**
   * The execve error of the container's process when {@code run} or {@code start} failed at that
   * last step; null otherwise.
   */
  private static String containerExecError(ParsedCommand cmd, BerthException e) {
    String verb = cmd.command().name();
    if (!verb.equals("run") && !verb.equals("start")) return null;
    return e.getCause() instanceof InitProcess.InitFailure f ? f.execError() : null;
  }

  /** Logs a verb's error and returns its exit status, both as runc's ({@link RuncExit}). */
  private static int failed(
      ParsedCommand cmd, RuncLog log, ErrorCategory category, String message) {
    String verb = cmd.command().name();
    log.error(RuncExit.message(verb, message));
    return RuncExit.code(verb, category);
  }

  /**
   * --root, or runc's default: without root, $XDG_RUNTIME_DIR/berth-runc (the user's own tmpfs),
   * since /run is not the user's to write.
   */
  static Path root(Flags globals) {
    String root = globals.getString("root");
    if (globals.isSet("root") || Linux.geteuid() == 0) return Path.of(root);
    String xdg = System.getenv("XDG_RUNTIME_DIR");
    return xdg == null || xdg.isEmpty() ? Path.of(root) : Path.of(xdg, "berth-runc");
  }

  /** --rootless true|false|auto; auto (runc's default) means rootless when not running as root. */
  static boolean rootless(String value) throws ContainerException {
    return switch (value) {
      case "true" -> true;
      case "false" -> false;
      case "auto", "" -> Linux.geteuid() != 0;
      default ->
          throw ContainerException.invalid("--rootless: want true, false or auto, got " + value);
    };
  }

  private static RuncLog logFor(Flags globals) {
    if (globals == null) return RuncLog.stderr();
    try {
      return RuncLog.open(
          globals.getString("log"), globals.getString("log-format"), globals.getBool("debug"));
    } catch (IOException e) {
      return RuncLog.stderr();
    }
  }

  static PrintStream out() {
    return System.out;
  }
}
