package dev.berth.cli.berth;

import static dev.berth.cli.flags.FlagSpec.bool;
import static dev.berth.cli.flags.FlagSpec.string;
import static dev.berth.cli.flags.FlagSpec.stringList;

import dev.berth.cli.flags.App;
import dev.berth.cli.flags.CommandSpec;
import dev.berth.cli.flags.ParsedCommand;
import dev.berth.cli.format.Columns;
import dev.berth.cli.format.GoTemplate;
import dev.berth.engine.EngineException;
import dev.berth.engine.VolumeViews;
import dev.berth.engine.volume.Volume;
import dev.berth.engine.volume.VolumeStore;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.json.Rfc3339;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * {@code berth volume create|ls|inspect|rm|prune}: docker's volume verbs on the engine's volume
 * store, with docker's output (ls: a DRIVER / VOLUME NAME table or a template; inspect: a JSON
 * array).
 */
final class VolumeVerbs {
  private VolumeVerbs() {}

  /** {@code berth volume <verb>}. */
  static App app() {
    CommandSpec create =
        CommandSpec.of("create", "create a volume")
            .withUsage("[VOLUME]")
            .withArgs(0, 1)
            .withFlags(
                stringList("label", "l", "set a label (KEY=VALUE)"),
                string("driver", "d", "volume driver (only local)", "local"),
                stringList("opt", "o", "driver options: type=, device=, o= (mount(8)'s)"),
                string("name", null, "the volume's name", ""));
    CommandSpec ls =
        CommandSpec.of("ls", "list volumes")
            .withAliases("list")
            .withArgs(0, 0)
            .withFlags(
                bool("quiet", "q", "print only names"),
                stringList("filter", "f", "filter: dangling, driver, label, name"),
                string("format", null, "table, json or a Go template", ""));
    CommandSpec inspect =
        CommandSpec.of("inspect", "show volumes as JSON")
            .withUsage("VOLUME [VOLUME...]")
            .withMinArgs(1)
            .withFlags(string("format", "f", "json (the default) or a Go template", ""));
    CommandSpec rm =
        CommandSpec.of("rm", "remove volumes")
            .withAliases("remove")
            .withUsage("VOLUME [VOLUME...]")
            .withMinArgs(1)
            .withFlags(bool("force", "f", "no error for a volume that does not exist"));
    CommandSpec prune =
        CommandSpec.of("prune", "remove volumes no container uses")
            .withArgs(0, 0)
            .withFlags(
                bool("force", "f", "do not ask"),
                bool("all", "a", "named volumes too, not only anonymous ones"),
                stringList("filter", null, "filter (label=K[=V], label!=K[=V])"));
    return App.of("berth volume", "manage volumes")
        .withCommands(create, ls, inspect, rm, prune)
        .withShortClusters();
  }

  static int run(ParsedCommand c, InputStream in, PrintStream out, PrintStream err)
      throws BerthException, IOException {
    VolumeStore volumes = BerthMain.engine(c).volumes();
    return switch (c.command().name()) {
      case "create" -> create(c, volumes, out);
      case "ls" -> ls(c, volumes, out);
      case "inspect" -> inspect(c, volumes, out, err);
      case "rm" -> rm(c, volumes, out, err);
      case "prune" -> prune(c, volumes, in, out);
      default -> throw new IllegalStateException("no volume verb " + c.command().name());
    };
  }

  private static int create(ParsedCommand c, VolumeStore volumes, PrintStream out)
      throws BerthException {
    String driver = c.flags().getString("driver");
    if (!driver.equals(Volume.LOCAL)) {
      throw new EngineException(
          ErrorCategory.UNIMPLEMENTED, "volume driver " + driver + ": only local is supported");
    }
    Map<String, String> options = new LinkedHashMap<>();
    for (String o : c.flags().getList("opt")) {
      int eq = o.indexOf('=');
      if (eq <= 0) throw EngineException.invalid("invalid option " + o + ": want KEY=VALUE");
      options.put(o.substring(0, eq), o.substring(eq + 1));
    }
    String flagName = c.flags().getString("name");
    String arg = c.args().isEmpty() ? "" : c.arg(0);
    if (!flagName.isEmpty() && !arg.isEmpty() && !flagName.equals(arg)) {
      throw EngineException.invalid(
          "conflicting options: either specify --name or provide positional arg, not both");
    }
    String name = arg.isEmpty() ? flagName : arg;
    Map<String, String> labels = new LinkedHashMap<>();
    for (String l : c.flags().getList("label")) {
      int eq = l.indexOf('=');
      labels.put(eq < 0 ? l : l.substring(0, eq), eq < 0 ? "" : l.substring(eq + 1));
    }
    Volume v = volumes.create(name.isEmpty() ? null : name, labels, options);
    out.println(v.name());
    return 0;
  }

  private static final Map<String, String> LS_HEADERS = Map.of("Name", "VOLUME NAME");

  private static int ls(ParsedCommand c, VolumeStore volumes, PrintStream out)
      throws BerthException, IOException {
    Map<String, List<String>> users = null;
    List<Predicate<Volume>> filters = new ArrayList<>();
    for (String f : c.flags().getList("filter")) {
      int eq = f.indexOf('=');
      if (eq <= 0)
        throw EngineException.invalid("bad format of filter (expected name=value): " + f);
      String key = f.substring(0, eq);
      String value = f.substring(eq + 1);
      switch (key) {
        case "name" -> filters.add(v -> v.name().contains(value));
        case "driver" -> filters.add(v -> v.driver().equals(value));
        case "label" ->
            filters.add(v -> dev.berth.engine.ContainerFilters.labelMatches(v.labels(), value));
        case "label!" ->
            filters.add(v -> !dev.berth.engine.ContainerFilters.labelMatches(v.labels(), value));
        case "dangling" -> {
          if (!List.of("true", "false", "1", "0").contains(value)) {
            throw EngineException.invalid("invalid filter 'dangling=" + value + "'");
          }
          if (users == null) users = BerthMain.engine(c).containers().volumeUsers();
          Map<String, List<String>> u = users;
          boolean dangling = value.equals("true") || value.equals("1");
          filters.add(v -> (u.get(v.name()) == null || u.get(v.name()).isEmpty()) == dangling);
        }
        default -> throw EngineException.invalid("invalid filter '" + key + "'");
      }
    }
    List<Volume> shown = new ArrayList<>();
    for (Volume v : volumes.list().volumes()) {
      if (filters.stream().allMatch(p -> p.test(v))) shown.add(v);
    }
    if (c.flags().getBool("quiet")) {
      for (Volume v : shown) out.println(v.name());
      return 0;
    }
    List<Map<String, Object>> rows = new ArrayList<>();
    for (Volume v : shown) rows.add(row(v));
    try {
      Columns.print(
          out, rows, c.flags().getString("format"), "{{.Driver}}\\t{{.Name}}", LS_HEADERS);
    } catch (GoTemplate.TemplateException e) {
      throw EngineException.invalid("template: " + e.getMessage());
    }
    return 0;
  }

  /** docker's fields of a volume in ls templates. */
  private static Map<String, Object> row(Volume v) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("Driver", v.driver());
    m.put("Name", v.name());
    m.put("Mountpoint", v.mountpoint().toString());
    m.put("Scope", "local");
    List<String> labels = new ArrayList<>();
    for (var e : new TreeMap<>(v.labels()).entrySet()) labels.add(e.getKey() + "=" + e.getValue());
    m.put("Labels", String.join(",", labels));
    m.put("CreatedAt", createdAt(v));
    return m;
  }

  private static String createdAt(Volume v) {
    return Rfc3339.format(v.created().truncatedTo(ChronoUnit.SECONDS));
  }

  private static int inspect(ParsedCommand c, VolumeStore volumes, PrintStream out, PrintStream err)
      throws BerthException {
    List<Map<String, Object>> found = new ArrayList<>();
    List<String> missing = new ArrayList<>();
    for (String name : c.args()) {
      try {
        found.add(VolumeViews.inspect(volumes.get(name)));
      } catch (BerthException e) {
        if (e.category() != ErrorCategory.NOT_FOUND
            && e.category() != ErrorCategory.INVALID_ARGUMENT) throw e;
        missing.add(name);
      }
    }
    try {
      Columns.inspect(out, found, c.flags().getString("format"));
    } catch (GoTemplate.TemplateException e) {
      throw EngineException.invalid("template: " + e.getMessage());
    }
    for (String m : missing) err.println("Error: No such volume: " + m);
    return missing.isEmpty() ? 0 : 1;
  }

  private static int rm(ParsedCommand c, VolumeStore volumes, PrintStream out, PrintStream err) {
    boolean force = c.flags().getBool("force");
    int status = 0;
    for (String name : c.args()) {
      try {
        volumes.remove(name, force);
        out.println(name);
      } catch (BerthException e) {
        err.println("Error: " + e.getMessage());
        status = 1;
      }
    }
    return status;
  }

  private static int prune(ParsedCommand c, VolumeStore volumes, InputStream in, PrintStream out)
      throws BerthException, IOException {
    boolean all = c.flags().getBool("all");
    List<Predicate<Volume>> filters = new ArrayList<>();
    for (String f : c.flags().getList("filter")) {
      int eq = f.indexOf('=');
      if (eq <= 0)
        throw EngineException.invalid("bad format of filter (expected name=value): " + f);
      String key = f.substring(0, eq);
      String value = f.substring(eq + 1);
      switch (key) {
        case "label" ->
            filters.add(v -> dev.berth.engine.ContainerFilters.labelMatches(v.labels(), value));
        case "label!" ->
            filters.add(v -> !dev.berth.engine.ContainerFilters.labelMatches(v.labels(), value));
        case "all" -> all = value.equals("true") || value.equals("1");
        default -> throw EngineException.invalid("invalid filter '" + key + "'");
      }
    }
    if (!c.flags().getBool("force")
        && !ContainerPruneVerb.confirm(
            "WARNING! This will remove "
                + (all ? "all" : "anonymous")
                + " local volumes not used by at least one container.",
            in,
            out)) {
      return 0;
    }
    VolumeStore.Pruned pruned = volumes.prune(all, v -> filters.stream().allMatch(p -> p.test(v)));
    if (!pruned.names().isEmpty()) {
      StringBuilder b = new StringBuilder("Deleted Volumes:\n");
      for (String n : pruned.names()) b.append(n).append('\n');
      out.println(b);
    }
    out.println("Total reclaimed space: " + ProgressPrinter.bytes(pruned.reclaimedBytes()));
    return 0;
  }
}
