package dev.berth.cli.berthd;

import dev.berth.api.cri.CriServer;
import dev.berth.api.cri.streaming.StreamingServer;
import dev.berth.api.docker.DaemonInfo;
import dev.berth.api.docker.DockerApi;
import dev.berth.api.docker.DockerApiServer;
import dev.berth.api.docker.ServerLog;
import dev.berth.api.socket.UnixSocketFiles;
import dev.berth.cli.flags.App;
import dev.berth.cli.flags.FlagSpec;
import dev.berth.cli.flags.Flags;
import dev.berth.cli.flags.Invocation;
import dev.berth.cli.flags.ParsedCommand;
import dev.berth.cli.flags.Parser;
import dev.berth.cli.flags.TextOutput;
import dev.berth.cli.flags.UsageException;
import dev.berth.cli.runc.BuildInfo;
import dev.berth.engine.Engine;
import dev.berth.engine.EngineConfig;
import dev.berth.engine.ExitWatcher;
import dev.berth.engine.config.BerthConfig;
import dev.berth.engine.health.HealthScheduler;
import dev.berth.spec.error.BerthException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * {@code berthd}: the engine as a service, in the foreground (systemd's Type=simple): it opens the
 * store the {@code berth} CLI uses (reconciling it, as every engine open does), serves the Docker
 * Engine API and Kubernetes' CRI v1 on Unix sockets, both from the same engine, and on SIGTERM or
 * SIGINT stops accepting, lets running requests finish, and removes its sockets. Containers are
 * never its children: they outlive it.
 *
 * <p>Flags (dockerd's spelling): {@code --root DIR}, {@code --runroot DIR}, {@code --host
 * unix:///run/berth/docker.sock}, {@code --cri unix:///run/berth/cri.sock} ({@code --cri ""}: no
 * CRI), {@code --stream-address HOST:PORT} (the CRI's streaming server, for exec, attach and
 * port-forward: 127.0.0.1 on a free port by default, as containerd's), {@code --config FILE}
 * (runtime handlers; a bad file: berthd does not start), {@code --group NAME} (the sockets' group;
 * root only without), {@code --log-level debug|info|warn|error}.
 */
public final class BerthdMain {
  private BerthdMain() {}

  static final String DEFAULT_HOST = "unix:///run/berth/docker.sock";
  static final String DEFAULT_CRI = "unix:///run/berth/cri.sock";

  static final String DEFAULT_STREAM_ADDRESS = "127.0.0.1:0";

  /**
   * The parsed command line; {@code criSocket} null: CRI not served; {@code configFile} null: none.
   */
  record Options(
      Path root,
      Path runRoot,
      Path socket,
      Path criSocket,
      InetSocketAddress streamAddress,
      Path configFile,
      String group,
      ServerLog.Level level) {}

  /** Probes that may run at once: a slow one (up to its timeout) holds up no other beyond these. */
  static final int HEALTH_PROBE_THREADS = 4;

  public static void main(String[] args) {
    Options o;
    try {
      Invocation inv = new Parser(APP).parse(args);
      if (inv instanceof TextOutput text) {
        System.out.print(text.text());
        return;
      }
      o = options(((ParsedCommand) inv).globals());
    } catch (UsageException | IllegalArgumentException e) {
      System.err.println("berthd: " + e.getMessage());
      System.err.println("See 'berthd --help'.");
      System.exit(2);
      return;
    } catch (BerthException e) {
      System.err.println("berthd: " + e.getMessage());
      System.exit(1);
      return;
    }
    ServerLog log = new ServerLog(System.err, o.level());
    DockerApiServer server;
    CriServer cri = null;
    StreamingServer streaming = null;
    Engine engine;
    try {
      engine = Engine.open(config(o));
      engine.list(); // reconcile every container with its monitor's exit file now, not on first ask
      socketDirectories(o);
      DaemonInfo info = new DaemonInfo(BuildInfo.VERSION, BuildInfo.COMMIT);
      server =
          DockerApiServer.start(
              new DockerApiServer.Options(o.socket(), o.group(), info.serverHeader(), 0, 0, log),
              DockerApi.router(engine, info));
      if (o.criSocket() != null) {
        try {
          streaming =
              StreamingServer.start(
                  StreamingServer.Options.defaults().withAddress(o.streamAddress()),
                  CriServer.streamingRuntime(engine));
          cri =
              CriServer.start(
                  new CriServer.Options(
                      o.criSocket(), o.group(), BuildInfo.VERSION, server.eventLoop(), 0),
                  engine,
                  streaming);
        } catch (Exception e) {
          if (streaming != null) streaming.close();
          server.close();
          throw e;
        }
      }
    } catch (Exception e) {
      log.error("start: " + e.getMessage(), e);
      System.exit(1);
      return;
    }
    log.info("API listen on " + o.socket());
    if (cri != null) log.info("CRI listen on " + cri.socket());
    if (streaming != null) log.info("CRI streaming on " + streaming.baseUrl());
    // As dockerd at its start: the containers whose restart policy brings them back.
    try {
      for (String id : engine.startByPolicy(log::warn))
        log.info("started container " + id.substring(0, 12) + " (its restart policy)");
    } catch (Exception e) {
      log.warn("restart policies: " + e.getMessage());
    }
    // As dockerd: the healthchecks of running containers, probed at their intervals.
    HealthScheduler health;
    try {
      health = HealthScheduler.start(engine, HEALTH_PROBE_THREADS, log::warn);
    } catch (Exception e) {
      log.error("healthchecks: " + e.getMessage(), e);
      System.exit(1);
      return;
    }
    // As dockerd hears of a container's end from containerd: at once (its "die" event, the CRI's
    // CONTAINER_STOPPED_EVENT), also without a launcher to run the monitors' exit command.
    ExitWatcher exits;
    try {
      exits = ExitWatcher.start(engine, log::warn);
    } catch (Exception e) {
      log.error("container exits: " + e.getMessage(), e);
      System.exit(1);
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    CriServer criServer = cri;
    StreamingServer streamingServer = streaming;
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  log.info("stopping");
                  if (criServer != null) criServer.close(); // first: it runs on the API's loop
                  if (streamingServer != null) streamingServer.close();
                  server.close();
                  health.close();
                  exits.close();
                  engine.close();
                  stopped.countDown();
                },
                "berthd-stop"));
    server.awaitClose();
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * The default sockets live in the engine's run root (0700: it holds the containers' mounted root
   * filesystems): with {@code --group} that group may traverse it to them (0710 root:group; the
   * directories in it stay closed), without it nobody but root may.
   */
  static void socketDirectories(Options o) throws java.io.IOException {
    Path runRoot = o.runRoot().toAbsolutePath().normalize();
    boolean holdsSocket =
        runRoot.equals(o.socket().toAbsolutePath().normalize().getParent())
            || (o.criSocket() != null
                && runRoot.equals(o.criSocket().toAbsolutePath().normalize().getParent()));
    if (holdsSocket) UnixSocketFiles.traversableBy(runRoot, o.group());
  }

  /**
   * The engine's configuration: the store at --root and --runroot, removal in the background, and
   * the berth launcher beside bin/berthd (berth.launcher) as its containers' exit command, so a
   * container that ends is released, and restarted by its policy, also while berthd is down; while
   * it runs, its {@link ExitWatcher} does that in this process and the monitors, seeing it watch,
   * start no such command.
   */
  static EngineConfig config(Options o) {
    // A daemon deletes removed containers' writable layers after answering (the CRI's
    // RemoveContainer, as containerd's garbage collector does).
    EngineConfig config =
        EngineConfig.at(o.root(), o.runRoot())
            .withConfigFile(o.configFile())
            .withBackgroundRemoval(true);
    String launcher = System.getProperty("berth.launcher");
    if (launcher != null && !launcher.isEmpty()) config = config.withCleanupBy(Path.of(launcher));
    return config;
  }

  /** berthd's command line: flags only, dockerd's spelling. */
  static final App APP =
      App.of(
              "berthd",
              "the berth engine as a service: the Docker Engine API and the CRI on Unix sockets")
          .withVersion(BuildInfo.VERSION + "\ncommit: " + BuildInfo.COMMIT)
          .withShortClusters()
          .withGlobalFlags(
              FlagSpec.string("root", null, "the engine's store", "/var/lib/berth"),
              FlagSpec.string("runroot", null, "the engine's run-time files", "/run/berth"),
              FlagSpec.string("host", "H", "the Docker API's socket", DEFAULT_HOST),
              FlagSpec.string("cri", null, "the CRI's socket (\"\": no CRI)", DEFAULT_CRI),
              FlagSpec.string(
                  "stream-address",
                  null,
                  "HOST:PORT of the CRI's streaming server (exec, attach, port-forward; port 0: any"
                      + " free one)",
                  DEFAULT_STREAM_ADDRESS),
              FlagSpec.string(
                  "config",
                  null,
                  "configuration file (runtime handlers; default /etc/berth/berth.toml or .json)",
                  ""),
              FlagSpec.string("group", "G", "the sockets' group (root only without)", ""),
              FlagSpec.string("log-level", "l", "debug, info, warn or error", "info"));

  /**
   * The options of a parsed command line; IllegalArgumentException names a bad value. The default
   * configuration file is the one of {@link BerthConfig#defaultFile} that exists, if any.
   */
  static Options options(Flags f) throws BerthException {
    String host = f.getString("host");
    String cri = f.getString("cri");
    String group = f.getString("group");
    String file = f.getString("config");
    Path config = file.isEmpty() ? BerthConfig.defaultFile() : Path.of(file).toAbsolutePath();
    return new Options(
        Path.of(f.getString("root")),
        Path.of(f.getString("runroot")),
        unixPath("--host", host),
        cri.isEmpty() ? null : unixPath("--cri", cri),
        hostPort("--stream-address", f.getString("stream-address")),
        config,
        group.isEmpty() ? null : group,
        ServerLog.level(f.getString("log-level")));
  }

  /** {@code HOST:PORT}, {@code [IPV6]:PORT}; the host an address literal or a name. */
  static InetSocketAddress hostPort(String flag, String value) {
    int colon = value.lastIndexOf(':');
    String bad = flag + ": HOST:PORT expected, not \"" + value + "\"";
    if (colon <= 0) throw new IllegalArgumentException(bad);
    String host = value.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
    else if (host.contains(":")) throw new IllegalArgumentException(bad + " (an IPv6 host in [])");
    int port;
    try {
      port = Integer.parseInt(value.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(bad);
    }
    if (port < 0 || port > 65535) throw new IllegalArgumentException(flag + ": port " + port);
    try {
      return new InetSocketAddress(InetAddress.getByName(host), port);
    } catch (java.net.UnknownHostException e) {
      throw new IllegalArgumentException(flag + ": unknown host \"" + host + "\"");
    }
  }

  private static Path unixPath(String flag, String address) {
    if (!address.startsWith("unix://") || address.length() <= "unix://".length()) {
      throw new IllegalArgumentException(flag + ": only unix:///PATH is supported, not " + address);
    }
    return Path.of(address.substring("unix://".length()));
  }
}
