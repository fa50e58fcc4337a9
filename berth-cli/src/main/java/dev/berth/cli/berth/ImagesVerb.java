package dev.berth.cli.berth;

import dev.berth.cli.flags.ParsedCommand;
import dev.berth.cli.format.Columns;
import dev.berth.engine.HumanDuration;
import dev.berth.image.ImageException;
import dev.berth.image.ImageService;
import dev.berth.image.store.ImageRecord;
import dev.berth.spec.image.Reference;
import dev.berth.spec.json.JsonWriter;
import dev.berth.spec.json.Rfc3339;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * berth images: docker's table (REPOSITORY TAG IMAGE ID CREATED SIZE), -q for ids, --format json as
 * podman.
 */
final class ImagesVerb {
  private ImagesVerb() {}

  static int run(ParsedCommand c, PrintStream out) throws ImageException, IOException {
    ImageService images = BerthMain.service(c);
    String filter = c.args().isEmpty() ? null : c.arg(0);
    List<ImageRecord> all = images.list();
    List<ImageRecord> records = new ArrayList<>();
    for (ImageRecord r : all) {
      if (filter == null || matches(r, filter)) records.add(r);
    }
    boolean noTrunc = c.flags().getBool("no-trunc");
    String format = c.flags().getString("format");
    if (c.flags().getBool("quiet")) {
      java.util.Set<String> seen = new java.util.LinkedHashSet<>();
      for (ImageRecord r : records) seen.add(id(r, noTrunc));
      for (String id : seen) out.println(id);
      return 0;
    }
    if (format.equals("json")) {
      Map<String, List<ImageRecord>> byId = new LinkedHashMap<>();
      for (ImageRecord r : records)
        byId.computeIfAbsent(r.config().toString(), k -> new ArrayList<>()).add(r);
      JsonWriter w = new JsonWriter(JsonWriter.TWO_SPACES);
      w.beginArray();
      for (List<ImageRecord> same : byId.values()) {
        ImageService.ImageDetails d = images.details(same.get(0), all);
        w.beginObject();
        w.field("Id", same.get(0).config().encoded());
        w.name("Names").beginArray();
        for (ImageRecord r : same) if (!ImageService.isUnnamed(r)) w.value(r.name());
        w.endArray();
        w.field("Digest", same.get(0).target().digest().toString());
        w.field("Created", created(d).getEpochSecond());
        w.field("CreatedAt", Rfc3339.format(created(d)));
        w.field("Size", d.size());
        w.name("Labels").beginObject();
        for (var l : d.config().config().labels().entrySet()) w.field(l.getKey(), l.getValue());
        w.endObject();
        w.endObject();
      }
      w.endArray();
      out.println(w);
      return 0;
    }
    if (!format.equals("table"))
      throw ImageException.invalid("--format: want table or json, got " + format);
    boolean digests = c.flags().getBool("digests");
    List<String[]> rows = new ArrayList<>();
    rows.add(
        digests
            ? new String[] {"REPOSITORY", "TAG", "DIGEST", "IMAGE ID", "CREATED", "SIZE"}
            : new String[] {"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"});
    Instant now = Instant.now();
    for (ImageRecord r : records) {
      ImageService.ImageDetails d = images.details(r, all);
      String repo = "<none>";
      String tag = "<none>";
      if (!ImageService.isUnnamed(r)) {
        Reference ref = Reference.parse(r.name());
        String familiar = ref.familiar();
        int at = familiar.indexOf('@');
        if (at >= 0) familiar = familiar.substring(0, at);
        int colon = familiar.lastIndexOf(':');
        boolean hasTag = ref.hasTag();
        repo = hasTag ? familiar.substring(0, colon) : familiar;
        tag = hasTag ? ref.tag() : "<none>";
      }
      String ago = HumanDuration.ago(Duration.between(created(d), now));
      String size = ProgressPrinter.bytes(d.size());
      rows.add(
          digests
              ? new String[] {repo, tag, r.target().digest().toString(), id(r, noTrunc), ago, size}
              : new String[] {repo, tag, id(r, noTrunc), ago, size});
    }
    printTable(out, rows);
    return 0;
  }

  private static boolean matches(ImageRecord r, String filter) {
    if (ImageService.isUnnamed(r)) return false;
    try {
      Reference want = Reference.parse(filter);
      Reference have = Reference.parse(r.name());
      return want.name().equals(have.name())
          && (want.tag().isEmpty() || want.tag().equals(have.tag()));
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  static String id(ImageRecord r, boolean noTrunc) {
    return noTrunc ? r.config().toString() : r.config().encoded().substring(0, 12);
  }

  static Instant created(ImageService.ImageDetails d) {
    try {
      String c = d.config().created();
      return c == null || c.isEmpty() ? Instant.EPOCH : Rfc3339.parse(c);
    } catch (IllegalArgumentException e) {
      return Instant.EPOCH;
    }
  }

  static void printTable(PrintStream out, List<String[]> rows) {
    List<String> lines = new ArrayList<>();
    for (String[] row : rows) lines.add(String.join("\t", row));
    out.print(Columns.align(lines));
  }
}
