package dev.berth.cli.berth;

import dev.berth.cli.flags.ParsedCommand;
import dev.berth.image.ImageException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** berth login REGISTRY: checks the credentials against the registry, then stores them (0600). */
final class LoginVerb {
  private LoginVerb() {}

  static int run(ParsedCommand c, InputStream in, PrintStream out)
      throws ImageException, IOException {
    String user = c.flags().getString("username");
    String password = c.flags().getString("password");
    if (c.flags().getBool("password-stdin")) {
      if (!password.isEmpty())
        throw ImageException.invalid("--password and --password-stdin are mutually exclusive");
      // Only the line end goes: spaces at either end can be part of a password (docker trims just
      // the newline).
      password = new String(in.readAllBytes(), StandardCharsets.UTF_8).replaceFirst("\\r?\\n$", "");
    }
    if (user.isEmpty() || password.isEmpty()) {
      var console = System.console();
      // Prompt only on a terminal: a script without the flags gets an error, not a read that never
      // ends.
      if (console == null || !console.isTerminal()) {
        throw ImageException.invalid(
            "login " + c.arg(0) + ": --username and a password are required");
      }
      if (user.isEmpty()) user = console.readLine("Username: ");
      if (password.isEmpty()) password = new String(console.readPassword("Password: "));
    }
    BerthMain.service(c).login(c.arg(0), user, password);
    out.println("Login Succeeded");
    return 0;
  }
}
