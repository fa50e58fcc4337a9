package dev.berth.cli.berth;

import dev.berth.cli.flags.App;
import dev.berth.cli.flags.Flags;
import dev.berth.cli.flags.Invocation;
import dev.berth.cli.flags.ParsedCommand;
import dev.berth.cli.flags.Parser;
import dev.berth.cli.flags.TextOutput;
import dev.berth.cli.flags.UsageException;
import dev.berth.image.ImageService;
import dev.berth.runtime.PhaseTrace;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * berth: the daemonless CLI. Each verb parses, calls the image library on the store under --root,
 * and prints; an error is one line "Error: ..." on stderr and podman's exit status, docker's for
 * the container verbs ({@link BerthExit}).
 */
public final class BerthMain {
  private BerthMain() {}

  public static void main(String[] args) {
    PhaseTrace.start();
    int code = run(args, System.out, System.err);
    System.out.flush();
    System.err.flush();
    // halt: nothing to run at shutdown, and System.exit costs milliseconds (DESIGN.md "Startup
    // budget").
    Runtime.getRuntime().halt(code);
  }

  public static int run(String[] args, PrintStream out, PrintStream err) {
    return run(args, System.in, out, err);
  }

  /**
   * Runs one command line with {@code in} as its stdin (import -, load, login --password-stdin).
   */
  public static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
    ParsedCommand cmd;
    String where = "berth";
    try {
      Invocation inv = new Parser(BerthApp.build()).parse(imageHelp(args));
      if (inv instanceof TextOutput text) {
        out.print(text.text());
        return 0;
      }
      cmd = (ParsedCommand) inv;
      String management = cmd.command().name();
      if (management.equals("image")
          || management.equals("container")
          || management.equals("volume")
          || management.equals("network")
          || management.equals("healthcheck")) {
        where = "berth " + management;
        App subApp =
            management.equals("image")
                ? BerthApp.image()
                : management.equals("volume")
                    ? VolumeVerbs.app()
                    : management.equals("network")
                        ? NetworkVerbs.app()
                        : management.equals("healthcheck")
                            ? HealthcheckVerbs.app()
                            : BerthApp.container();
        Invocation sub = new Parser(subApp).parse(cmd.args().toArray(new String[0]));
        if (sub instanceof TextOutput text) {
          out.print(text.text());
          return 0;
        }
        ParsedCommand s = (ParsedCommand) sub;
        cmd = new ParsedCommand(s.app(), s.command(), cmd.globals(), s.flags(), s.args());
      }
    } catch (UsageException e) {
      usageError(e, where, err);
      return BerthExit.ERROR;
    }
    Flags g = cmd.globals();
    try {
      return Verbs.run(cmd, in, out, err);
    } catch (BerthException e) {
      err.println("Error: " + e.getMessage());
      if (g.getBool("debug")) e.printStackTrace(err);
      return BerthExit.code(cmd.app().name(), cmd.command().name(), e.category());
    } catch (IOException | RuntimeException e) {
      err.println("Error: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
      if (g.getBool("debug")) e.printStackTrace(err);
      return BerthExit.code(cmd.app().name(), cmd.command().name(), ErrorCategory.INTERNAL);
    } finally {
      closeOpened();
    }
  }

  /**
   * {@code berth image --help} (and {@code container --help}) should list the image verbs, as
   * docker's does; the table parser would answer it with the help of the "image" row itself, so it
   * is passed on as {@code berth image help}.
   */
  private static String[] imageHelp(String[] args) {
    for (int i = 0; i + 1 < args.length; i++) {
      String a = args[i];
      if (a.equals("--root")
          || a.equals("--registries-config")
          || a.equals("--config")
          || a.equals("--runroot")
          || a.equals("--cni-launcher")) {
        i++; // a global flag's value, not the command
        continue;
      }
      if (a.startsWith("-")) continue;
      if (!(a.equals("image")
              || a.equals("container")
              || a.equals("volume")
              || a.equals("network")
              || a.equals("healthcheck"))
          || !(args[i + 1].equals("--help") || args[i + 1].equals("-h"))) {
        return args;
      }
      String[] copy = args.clone();
      copy[i + 1] = "help";
      return copy;
    }
    return args;
  }

  /**
   * A bad command line, as podman answers it: the error and where to read the usage, both on
   * stderr, so that stdout of {@code berth images --bogus | ...} stays empty (the runc-style parser
   * would put the help on stdout).
   */
  private static void usageError(UsageException e, String where, PrintStream err) {
    String message = e.getMessage();
    if (e.exitCode() == UsageException.EXIT_UNKNOWN_COMMAND) {
      // The parser words it as urfave/cli's help topic; for a command line, it is an unknown
      // command.
      String word = message.substring(message.indexOf('\'') + 1, message.lastIndexOf('\''));
      err.println("Error: unknown command \"" + word + "\" for \"" + where + "\"");
      err.println("See '" + where + " --help'.");
      return;
    }
    err.println("Error: " + message);
    err.println(
        "See '" + where + (e.command() == null ? "" : " " + e.command().name()) + " --help'.");
  }

  /**
   * The store the verbs work on: --root, or for a user without root, ~/.local/share/berth as podman
   * does.
   */
  static ImageService service(ParsedCommand c) throws IOException {
    Flags g = c.globals();
    Path root = root(c);
    String authfile = "";
    for (var flag : c.flags().table()) {
      if (flag.hasName("authfile")) authfile = c.flags().getString("authfile");
    }
    ImageService service =
        new ImageService(
            new ImageService.Options(
                root,
                Path.of(g.getString("registries-config")),
                authfile.isEmpty() ? null : Path.of(authfile),
                null));
    OPENED.get().add(service);
    return service;
  }

  /** --root, or for a user without root, ~/.local/share/berth as podman does. */
  static Path root(ParsedCommand c) {
    Flags g = c.globals();
    Path root = Path.of(g.getString("root"));
    if (!g.isSet("root") && dev.berth.sys.Linux.geteuid() != 0) {
      String data = System.getenv("XDG_DATA_HOME");
      root =
          data == null || data.isEmpty()
              ? Path.of(System.getProperty("user.home"), ".local", "share", "berth")
              : Path.of(data, "berth");
    }
    return root.toAbsolutePath();
  }

  /**
   * The engine the container verbs work on: --root as the image verbs', --runroot for what a reboot
   * clears (for a user without root, $XDG_RUNTIME_DIR/berth). The launcher (bin/berth) names itself
   * in berth.launcher, and the monitors run it as their exit command: `berth container cleanup ID`
   * releases a stopped container's mounts at once. The engine starts the DNS responder of user
   * networks the same way: `berth network dns-serve`.
   */
  static dev.berth.engine.Engine engine(ParsedCommand c) throws IOException, BerthException {
    dev.berth.engine.Engine opened = ENGINE.get();
    if (opened != null) return opened;
    Flags g = c.globals();
    Path root = root(c);
    Path runRoot = Path.of(g.getString("runroot"));
    if (!g.isSet("runroot") && dev.berth.sys.Linux.geteuid() != 0) {
      String run = System.getenv("XDG_RUNTIME_DIR");
      runRoot =
          Path.of(
              run == null || run.isEmpty() ? "/tmp/berth-" + dev.berth.sys.Linux.geteuid() : run,
              "berth");
    }
    dev.berth.engine.EngineConfig config =
        dev.berth.engine.EngineConfig.at(root, runRoot)
            .withRegistriesConfig(Path.of(g.getString("registries-config")));
    // The configuration file (runtime handlers): read by the engine verbs only, so the image verbs
    // work whatever it says.
    String file = g.getString("config");
    Path configFile =
        file.isEmpty() ? dev.berth.engine.config.BerthConfig.defaultFile() : Path.of(file);
    if (configFile != null) config = config.withConfigFile(configFile.toAbsolutePath());
    // TEST ONLY: the CNI plugins and network tools run under this prefix (nsenter --net=<test
    // namespace> --).
    String cni = g.getString("cni-launcher");
    if (cni.isEmpty()) cni = System.getenv().getOrDefault("BERTH_CNI_LAUNCHER", "");
    if (!cni.isBlank()) config = config.withCniLauncher(cniLauncher(cni));
    String launcher = System.getProperty("berth.launcher");
    if (launcher != null && !launcher.isEmpty()) {
      config = config.withCleanupBy(Path.of(launcher));
      // The DNS responder of user networks, a process of its own that outlives this one.
      config = config.withDnsResponder(java.util.List.of(launcher, "network", "dns-serve"));
    }
    dev.berth.engine.Engine engine = dev.berth.engine.Engine.open(config);
    ENGINE.set(engine);
    return engine;
  }

  /**
   * The words of a --cni-launcher prefix, its program found in PATH (posix_spawn searches none).
   */
  private static java.util.List<String> cniLauncher(String prefix) {
    java.util.List<String> words =
        new java.util.ArrayList<>(java.util.List.of(prefix.strip().split("\\s+")));
    String program = words.get(0);
    if (!program.contains("/")) {
      String path = System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
      for (String dir : path.split(":")) {
        if (java.nio.file.Files.isExecutable(Path.of(dir, program))) {
          words.set(0, Path.of(dir, program).toString());
          break;
        }
      }
    }
    return words;
  }

  private static final ThreadLocal<dev.berth.engine.Engine> ENGINE = new ThreadLocal<>();

  /** The services a command opened, closed when it ends (see {@link #closeOpened}). */
  private static final ThreadLocal<java.util.List<ImageService>> OPENED =
      ThreadLocal.withInitial(java.util.ArrayList::new);

  /**
   * Closes what the command opened. Not only tidiness: the HTTP client's selector thread sits in a
   * native epoll_wait, and the JVM's exit waits up to 300 ms for threads in native code to stop (a
   * no-op pull took 0.5 s, 0.3 s of it after printing its last line).
   */
  private static void closeOpened() {
    java.util.List<ImageService> opened = OPENED.get();
    for (ImageService s : opened) s.close();
    opened.clear();
    dev.berth.engine.Engine engine = ENGINE.get();
    if (engine != null) {
      engine.close();
      ENGINE.remove();
    }
  }
}
