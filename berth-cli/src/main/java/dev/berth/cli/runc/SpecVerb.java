package dev.berth.cli.runc;

import dev.berth.cli.flags.ParsedCommand;
import dev.berth.runtime.ContainerException;
import dev.berth.spec.runtime.DefaultSpecs;
import dev.berth.spec.runtime.SpecWriter;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * {@code spec [--rootless] [-b dir]}: writes runc's default config.json, byte for byte, into the
 * bundle.
 */
final class SpecVerb {
  private SpecVerb() {}

  static int run(ParsedCommand c) throws ContainerException, IOException {
    String bundle = c.flags().getString("bundle");
    Path dir = bundle.isEmpty() ? Path.of("") : Path.of(bundle);
    if (!bundle.isEmpty() && !Files.isDirectory(dir))
      throw ContainerException.invalid("chdir " + bundle + ": no such file or directory");
    Path config = dir.resolve("config.json");
    byte[] json =
        SpecWriter.write(
            c.flags().getBool("rootless") ? DefaultSpecs.rootless() : DefaultSpecs.runc(), "\t");
    try {
      Files.write(config, json, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    } catch (FileAlreadyExistsException e) {
      throw ContainerException.invalid(
          "File " + config + " exists. Remove it first or use a different bundle directory.");
    }
    return 0;
  }
}
