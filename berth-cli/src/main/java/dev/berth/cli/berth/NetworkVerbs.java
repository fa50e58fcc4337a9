package dev.berth.cli.berth;

import static dev.berth.cli.flags.FlagSpec.bool;
import static dev.berth.cli.flags.FlagSpec.string;
import static dev.berth.cli.flags.FlagSpec.stringList;

import dev.berth.cli.flags.App;
import dev.berth.cli.flags.CommandSpec;
import dev.berth.cli.flags.ParsedCommand;
import dev.berth.cli.format.Columns;
import dev.berth.cli.format.GoTemplate;
import dev.berth.engine.Engine;
import dev.berth.engine.EngineException;
import dev.berth.engine.NetworkViews;
import dev.berth.engine.network.Network;
import dev.berth.engine.network.NetworkStore;
import dev.berth.engine.network.dns.DnsResponder;
import dev.berth.engine.network.dns.DnsRunDir;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.json.Rfc3339;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * {@code berth network create|ls|inspect|rm|prune|connect|disconnect}: docker's network verbs on
 * the engine's bridge networks, with docker's outputs (ls: NETWORK ID / NAME / DRIVER / SCOPE;
 * inspect: a JSON array) and errors.
 */
final class NetworkVerbs {
  private NetworkVerbs() {}

  static App app() {
    CommandSpec create =
        CommandSpec.of("create", "create a bridge network")
            .withUsage("[OPTIONS] NETWORK")
            .withExactArgs(1)
            .withFlags(
                string("subnet", null, "subnet in CIDR form (default: a free /24)", ""),
                string("gateway", null, "gateway address (default: the subnet's first)", ""),
                stringList("label", null, "set a label (KEY=VALUE)"),
                bool("internal", null, "no route out: no gateway, no masquerade"),
                bool("disable-dns", null, "no name resolution between its containers"),
                string("driver", "d", "network driver (only bridge)", "bridge"));
    CommandSpec ls =
        CommandSpec.of("ls", "list networks")
            .withAliases("list")
            .withArgs(0, 0)
            .withFlags(
                bool("quiet", "q", "print only ids"),
                bool("no-trunc", null, "print whole ids"),
                stringList(
                    "filter", "f", "filter: name, id, label, driver, type (custom or builtin)"),
                string("format", null, "table, json or a Go template", ""));
    CommandSpec inspect =
        CommandSpec.of("inspect", "show networks as JSON")
            .withUsage("NETWORK [NETWORK...]")
            .withMinArgs(1)
            .withFlags(string("format", "f", "json (the default) or a Go template", ""));
    CommandSpec rm =
        CommandSpec.of("rm", "remove networks")
            .withAliases("remove")
            .withUsage("NETWORK [NETWORK...]")
            .withMinArgs(1)
            .withFlags(bool("force", "f", "no error for a network that does not exist"));
    CommandSpec prune =
        CommandSpec.of("prune", "remove networks no container uses")
            .withArgs(0, 0)
            .withFlags(
                bool("force", "f", "do not ask"),
                stringList("filter", null, "filter (label=K[=V], label!=K[=V])"));
    CommandSpec connect =
        CommandSpec.of("connect", "connect a container to a network")
            .withUsage("[OPTIONS] NETWORK CONTAINER")
            .withExactArgs(2)
            .withFlags(
                stringList("alias", null, "another name of the container on the network"),
                string("ip", null, "IPv4 address", ""));
    CommandSpec disconnect =
        CommandSpec.of("disconnect", "disconnect a container from a network")
            .withUsage("[OPTIONS] NETWORK CONTAINER")
            .withExactArgs(2)
            .withFlags(bool("force", "f", "disconnect even if the container is not running"));
    CommandSpec dnsServe =
        CommandSpec.of("dns-serve", "serve DNS on the user networks (started by the engine)")
            .withArgs(0, 0)
            .asHidden()
            .withFlags(
                string("run-dir", null, "the engine's DNS run directory", ""),
                string(
                    "resolv-conf",
                    null,
                    "where the upstream servers are",
                    DnsResponder.Options.HOST_RESOLV_CONF.toString()));
    return App.of("berth network", "manage networks")
        .withCommands(create, ls, inspect, rm, prune, connect, disconnect, dnsServe)
        .withShortClusters();
  }

  static int run(ParsedCommand c, InputStream in, PrintStream out, PrintStream err)
      throws BerthException, IOException {
    if (c.command().name().equals("dns-serve")) return dnsServe(c, out, err);
    Engine engine = BerthMain.engine(c);
    return switch (c.command().name()) {
      case "create" -> create(c, engine, out);
      case "ls" -> ls(c, engine, out);
      case "inspect" -> inspect(c, engine, out, err);
      case "rm" -> rm(c, engine, out, err);
      case "prune" -> prune(c, engine, in, out);
      case "connect" -> {
        engine.connect(
            c.arg(0), c.arg(1), c.flags().getList("alias"), emptyToNull(c.flags().getString("ip")));
        yield 0;
      }
      case "disconnect" -> {
        engine.disconnect(c.arg(0), c.arg(1));
        yield 0;
      }
      default -> throw new IllegalStateException("no network verb " + c.command().name());
    };
  }

  private static int create(ParsedCommand c, Engine engine, PrintStream out) throws BerthException {
    String driver = c.flags().getString("driver");
    if (!driver.equals(Network.BRIDGE)) {
      throw new EngineException(
          ErrorCategory.UNIMPLEMENTED, "network driver " + driver + ": only bridge is supported");
    }
    Network n =
        engine
            .networks()
            .create(
                new NetworkStore.CreateRequest(
                    c.arg(0),
                    c.flags().getString("subnet"),
                    c.flags().getString("gateway"),
                    labels(c.flags().getList("label")),
                    c.flags().getBool("internal"),
                    c.flags().getBool("disable-dns")));
    out.println(n.id());
    return 0;
  }

  private static Map<String, String> labels(List<String> list) throws EngineException {
    Map<String, String> labels = new LinkedHashMap<>();
    for (String l : list) {
      int eq = l.indexOf('=');
      if (l.isEmpty() || eq == 0)
        throw EngineException.invalid("invalid label: '" + l + "' (want KEY=VALUE)");
      labels.put(eq < 0 ? l : l.substring(0, eq), eq < 0 ? "" : l.substring(eq + 1));
    }
    return labels;
  }

  private static final Map<String, String> LS_HEADERS = Map.of("ID", "NETWORK ID");

  private static int ls(ParsedCommand c, Engine engine, PrintStream out) throws BerthException {
    List<Predicate<Network>> filters = new ArrayList<>();
    for (String f : c.flags().getList("filter")) filters.add(filter(f));
    boolean noTrunc = c.flags().getBool("no-trunc");
    engine.networks().defaultNetwork(); // docker always lists its bridge
    List<Network> shown = new ArrayList<>();
    for (Network n : engine.networks().list(null)) {
      if (filters.stream().allMatch(p -> p.test(n))) shown.add(n);
    }
    if (c.flags().getBool("quiet")) {
      for (Network n : shown) out.println(noTrunc ? n.id() : shortId(n));
      return 0;
    }
    List<Map<String, Object>> rows = new ArrayList<>();
    for (Network n : shown) rows.add(row(n, noTrunc));
    try {
      Columns.print(
          out,
          rows,
          c.flags().getString("format"),
          "{{.ID}}\\t{{.Name}}\\t{{.Driver}}\\t{{.Scope}}",
          LS_HEADERS);
    } catch (GoTemplate.TemplateException e) {
      throw EngineException.invalid("template: " + e.getMessage());
    }
    return 0;
  }

  private static Predicate<Network> filter(String f) throws EngineException {
    int eq = f.indexOf('=');
    if (eq <= 0) throw EngineException.invalid("bad format of filter (expected name=value): " + f);
    String key = f.substring(0, eq);
    String value = f.substring(eq + 1);
    return switch (key) {
      case "name" -> n -> n.name().contains(value);
      case "id" -> n -> n.id().startsWith(value);
      case "driver" -> n -> n.driver().equals(value);
      case "label" -> n -> dev.berth.engine.ContainerFilters.labelMatches(n.labels(), value);
      case "label!" -> n -> !dev.berth.engine.ContainerFilters.labelMatches(n.labels(), value);
      case "type" -> {
        if (!value.equals("custom") && !value.equals("builtin")) {
          throw EngineException.invalid("invalid filter: 'type'='" + value + "'");
        }
        yield n -> n.name().equals(NetworkStore.DEFAULT_NETWORK) == value.equals("builtin");
      }
      default -> throw EngineException.invalid("invalid filter '" + key + "'");
    };
  }

  private static String shortId(Network n) {
    return n.id().length() > 12 ? n.id().substring(0, 12) : n.id();
  }

  /** docker's fields of a network in ls templates. */
  private static Map<String, Object> row(Network n, boolean noTrunc) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("ID", noTrunc ? n.id() : shortId(n));
    m.put("Name", n.name());
    m.put("Driver", n.driver());
    m.put("Scope", "local");
    m.put("IPv6", "false");
    m.put("Internal", Boolean.toString(n.internal()));
    List<String> labels = new ArrayList<>();
    for (var e : new TreeMap<>(n.labels()).entrySet()) labels.add(e.getKey() + "=" + e.getValue());
    m.put("Labels", String.join(",", labels));
    m.put("CreatedAt", createdAt(n));
    return m;
  }

  private static String createdAt(Network n) {
    String s = Rfc3339.format(n.created().truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
    return s.substring(0, 10) + " " + s.substring(11, 19) + " +0000 UTC";
  }

  private static int inspect(ParsedCommand c, Engine engine, PrintStream out, PrintStream err)
      throws BerthException {
    List<Map<String, Object>> found = new ArrayList<>();
    List<String> missing = new ArrayList<>();
    List<ContainerRecord> containers = engine.containers().list().containers();
    for (String name : c.args()) {
      try {
        found.add(NetworkViews.inspect(engine.network(name), containers));
      } catch (BerthException e) {
        if (e.category() != ErrorCategory.NOT_FOUND) throw e;
        missing.add(name);
      }
    }
    try {
      Columns.inspect(out, found, c.flags().getString("format"));
    } catch (GoTemplate.TemplateException e) {
      throw EngineException.invalid("template: " + e.getMessage());
    }
    for (String m : missing) err.println("Error: No such network: " + m);
    return missing.isEmpty() ? 0 : 1;
  }

  private static int rm(ParsedCommand c, Engine engine, PrintStream out, PrintStream err) {
    boolean force = c.flags().getBool("force");
    int status = 0;
    for (String name : c.args()) {
      try {
        if (name.equals("bridge")) {
          throw EngineException.precondition(
              "bridge is a pre-defined network and cannot be removed");
        }
        engine.removeNetwork(name);
        out.println(name);
      } catch (BerthException e) {
        if (force && e.category() == ErrorCategory.NOT_FOUND) continue;
        err.println("Error: " + e.getMessage());
        status = 1;
      }
    }
    return status;
  }

  private static int prune(ParsedCommand c, Engine engine, InputStream in, PrintStream out)
      throws BerthException, IOException {
    List<Predicate<Network>> filters = new ArrayList<>();
    for (String f : c.flags().getList("filter")) {
      if (!f.startsWith("label=") && !f.startsWith("label!=")) {
        throw EngineException.invalid(
            "invalid filter '" + f.substring(0, Math.max(0, f.indexOf('='))) + "'");
      }
      filters.add(filter(f));
    }
    if (!c.flags().getBool("force")
        && !ContainerPruneVerb.confirm(
            "WARNING! This will remove all custom networks not used by at least one container.",
            in,
            out)) {
      return 0;
    }
    List<String> removed = engine.pruneNetworks(n -> filters.stream().allMatch(p -> p.test(n)));
    if (!removed.isEmpty()) {
      StringBuilder b = new StringBuilder("Deleted Networks:\n");
      for (String n : removed) b.append(n).append('\n');
      out.print(b);
    }
    return 0;
  }

  /**
   * The engine's DNS responder as a process of its own (the engine starts it detached, {@code
   * setsid -f}): its status line on stdout, its log on stderr; it ends when no network needs it.
   */
  private static int dnsServe(ParsedCommand c, PrintStream out, PrintStream err)
      throws BerthException {
    String dir = c.flags().getString("run-dir");
    if (dir.isEmpty()) throw EngineException.invalid("--run-dir: required");
    DnsResponder.Options o =
        DnsResponder.Options.of(new DnsRunDir(java.nio.file.Path.of(dir)))
            .withResolvConf(java.nio.file.Path.of(c.flags().getString("resolv-conf")))
            .withLog(err);
    return DnsResponder.serve(o, out);
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }
}
