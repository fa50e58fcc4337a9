package dev.berth.cli.berth;

import dev.berth.cli.flags.ParsedCommand;
import dev.berth.engine.ImageViews;
import dev.berth.image.ImageException;
import dev.berth.image.ImageService;
import dev.berth.spec.json.JsonWriter;
import java.io.IOException;
import java.io.PrintStream;

/**
 * berth inspect IMAGE...: a JSON array with docker's field names (Id, RepoTags, Config, RootFS,
 * ...).
 */
final class InspectVerb {
  private InspectVerb() {}

  static int run(ParsedCommand c, PrintStream out) throws ImageException, IOException {
    String format = c.flags().getString("format");
    if (!format.isEmpty() && !format.equals("json")) {
      throw ImageException.invalid("--format: only json is supported");
    }
    ImageService images = BerthMain.service(c);
    // Four spaces, as docker and podman indent inspect (and berth inspect of containers).
    JsonWriter w = new JsonWriter("    ");
    w.beginArray();
    for (String name : c.args()) ImageViews.inspect(w, images.inspect(name));
    w.endArray();
    out.println(w);
    return 0;
  }
}
