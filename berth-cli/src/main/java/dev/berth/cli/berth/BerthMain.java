package dev.berth.cli.berth;

import dev.berth.cli.flags.Flags;
import dev.berth.cli.flags.Invocation;
import dev.berth.cli.flags.ParsedCommand;
import dev.berth.cli.flags.Parser;
import dev.berth.cli.flags.TextOutput;
import dev.berth.cli.flags.UsageException;
import dev.berth.image.ImageException;
import dev.berth.image.ImageService;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * berth: the daemonless CLI. Each verb parses, calls the image library on the store under --root, and prints; an error
 * is one line "Error: ..." on stderr and exit status 125, as podman answers.
 */
public final class BerthMain {
  static final int EXIT_ERROR = 125;

  private BerthMain() {}

  public static void main(String[] args) throws IOException {
    if (args.length == 1 && args[0].equals("--x-train")) {
      // Return normally: the AOT cache is written when the JVM exits the ordinary way.
      Train.run();
      return;
    }
    int code = run(args, System.out, System.err);
    System.out.flush();
    System.err.flush();
    // halt: nothing to run at shutdown, and System.exit costs milliseconds (DESIGN.md "Startup budget").
    Runtime.getRuntime().halt(code);
  }

  public static int run(String[] args, PrintStream out, PrintStream err) {
    ParsedCommand cmd;
    try {
      Invocation inv = new Parser(BerthApp.build()).parse(args);
      if (inv instanceof TextOutput text) {
        out.print(text.text());
        return 0;
      }
      cmd = (ParsedCommand) inv;
      if (cmd.command().name().equals("image")) {
        Invocation sub = new Parser(BerthApp.image()).parse(cmd.args().toArray(new String[0]));
        if (sub instanceof TextOutput text) {
          out.print(text.text());
          return 0;
        }
        ParsedCommand s = (ParsedCommand) sub;
        cmd = new ParsedCommand(s.app(), s.command(), cmd.globals(), s.flags(), s.args());
      }
    } catch (UsageException e) {
      out.print(e.stdout());
      err.println("Error: " + e.getMessage());
      return EXIT_ERROR;
    }
    Flags g = cmd.globals();
    try {
      return Verbs.run(cmd, out, err);
    } catch (ImageException e) {
      err.println("Error: " + e.getMessage());
      if (g.getBool("debug")) e.printStackTrace(err);
      return EXIT_ERROR;
    } catch (IOException | RuntimeException e) {
      err.println("Error: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
      if (g.getBool("debug")) e.printStackTrace(err);
      return EXIT_ERROR;
    }
  }

  /** The store the verbs work on: --root, or for a user without root, ~/.local/share/berth as podman does. */
  static ImageService service(ParsedCommand c) throws IOException {
    Flags g = c.globals();
    Path root = Path.of(g.getString("root"));
    if (!g.isSet("root") && dev.berth.sys.Linux.geteuid() != 0) {
      String data = System.getenv("XDG_DATA_HOME");
      root = data == null || data.isEmpty()
          ? Path.of(System.getProperty("user.home"), ".local", "share", "berth") : Path.of(data, "berth");
    }
    String authfile = "";
    for (var flag : c.flags().table()) {
      if (flag.hasName("authfile")) authfile = c.flags().getString("authfile");
    }
    return new ImageService(new ImageService.Options(root.toAbsolutePath(),
        Path.of(g.getString("registries-config")), authfile.isEmpty() ? null : Path.of(authfile), null));
  }

  static String[] rest(String[] args, int from) {
    return Arrays.copyOfRange(args, from, args.length);
  }
}
