package dev.berth.cli.berthd;

import dev.berth.api.docker.DaemonInfo;
import dev.berth.api.docker.DockerApi;
import dev.berth.api.docker.DockerApiServer;
import dev.berth.api.docker.ServerLog;
import dev.berth.cli.runc.BuildInfo;
import dev.berth.engine.Engine;
import dev.berth.engine.EngineConfig;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * {@code berthd}: the engine as a service, in the foreground (systemd's Type=simple): it opens the
 * store the {@code berth} CLI uses (reconciling it, as every engine open does), serves the Docker
 * Engine API on a Unix socket, and on SIGTERM or SIGINT stops accepting, lets running requests
 * finish, and removes its socket. Containers are never its children: they outlive it.
 *
 * <p>Flags (dockerd's spelling): {@code --root DIR}, {@code --runroot DIR}, {@code --host
 * unix:///run/berth/docker.sock}, {@code --group NAME} (the socket's group; root only without),
 * {@code --log-level debug|info|warn|error}.
 */
public final class BerthdMain {
  private BerthdMain() {}

  static final String DEFAULT_HOST = "unix:///run/berth/docker.sock";

  /** The parsed command line. */
  record Options(Path root, Path runRoot, Path socket, String group, ServerLog.Level level) {}

  public static void main(String[] args) {
    Options o;
    try {
      o = parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("berthd: " + e.getMessage());
      System.err.println(USAGE);
      System.exit(2);
      return;
    }
    if (o == null) {
      System.out.println(USAGE);
      return;
    }
    ServerLog log = new ServerLog(System.err, o.level());
    DockerApiServer server;
    Engine engine;
    try {
      engine = Engine.open(config(o));
      engine.list(); // reconcile every container with its monitor's exit file now, not on first ask
      DaemonInfo info = new DaemonInfo(BuildInfo.VERSION, BuildInfo.COMMIT);
      server =
          DockerApiServer.start(
              new DockerApiServer.Options(o.socket(), o.group(), info.serverHeader(), 0, 0, log),
              DockerApi.router(engine, info));
    } catch (Exception e) {
      log.error("start: " + e.getMessage(), e);
      System.exit(1);
      return;
    }
    log.info("API listen on " + o.socket());
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  log.info("stopping");
                  server.close();
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
   * The engine's configuration: the store at --root and --runroot, and the berth launcher beside
   * bin/berthd (berth.launcher) as its containers' exit command, so a container that ends while no
   * client waits is released at once; without a launcher (an embedded daemon) that happens at the
   * next call that looks at it (every list and inspect reconciles).
   */
  static EngineConfig config(Options o) {
    EngineConfig config = EngineConfig.at(o.root(), o.runRoot());
    String launcher = System.getProperty("berth.launcher");
    if (launcher != null && !launcher.isEmpty()) config = config.withCleanupBy(Path.of(launcher));
    return config;
  }

  static final String USAGE =
      "Usage: berthd [--root DIR] [--runroot DIR] [--host unix://PATH] [--group NAME]"
          + " [--log-level debug|info|warn|error]";

  /** The options, or null for --help. */
  static Options parse(String[] args) {
    Path root = Path.of("/var/lib/berth");
    Path runRoot = Path.of("/run/berth");
    String host = DEFAULT_HOST;
    String group = null;
    ServerLog.Level level = ServerLog.Level.INFO;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--help") || a.equals("-h")) return null;
      int eq = a.indexOf('=');
      String name = eq > 0 ? a.substring(0, eq) : a;
      String value;
      if (eq > 0) {
        value = a.substring(eq + 1);
      } else if (i + 1 < args.length) {
        value = args[++i];
      } else {
        throw new IllegalArgumentException("flag needs an argument: " + a);
      }
      switch (name) {
        case "--root" -> root = Path.of(value);
        case "--runroot" -> runRoot = Path.of(value);
        case "--host", "-H" -> host = value;
        case "--group", "-G" -> group = value;
        case "--log-level", "-l" -> level = ServerLog.level(value);
        default -> throw new IllegalArgumentException("unknown flag: " + name);
      }
    }
    if (!host.startsWith("unix://") || host.length() <= "unix://".length()) {
      throw new IllegalArgumentException("--host: only unix:///PATH is supported, not " + host);
    }
    return new Options(root, runRoot, Path.of(host.substring("unix://".length())), group, level);
  }
}
