package dev.berth.cli.berth;

import dev.berth.cli.flags.Flags;
import dev.berth.engine.EngineException;
import dev.berth.engine.container.ContainerOptions;
import dev.berth.engine.container.ContainerOptions.MountOption;
import dev.berth.engine.container.ContainerOptions.ResourceOptions;
import dev.berth.engine.container.ContainerOptions.UlimitOption;
import dev.berth.engine.container.DockerFlags;
import dev.berth.engine.container.HostOptions;
import dev.berth.engine.container.LogOptions;
import dev.berth.engine.container.NetworkOptions;
import dev.berth.engine.container.NetworkOptions.PortOption;
import dev.berth.engine.container.PortSpecs;
import dev.berth.engine.container.RestartPolicy;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.image.Healthcheck;
import dev.berth.spec.runtime.IdMapping;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code create}'s and {@code run}'s flags ({@link ContainerCommands}) to {@link ContainerOptions}.
 */
final class ContainerFlags {
  private ContainerFlags() {}

  /**
   * The options of {@code IMAGE [COMMAND...]} with flags {@code f}; {@code environment} fills bare
   * {@code -e KEY}. {@code detached}: a {@code run -d}, whose {@code -i} keeps stdin open for later
   * attaches; docker's CLI makes every other {@code -i} (run attached, create) stdin once.
   */
  static ContainerOptions options(
      Flags f, List<String> args, Map<String, String> environment, boolean detached)
      throws BerthException {
    String image = args.get(0);
    List<String> command = args.subList(1, args.size());
    List<String> env = env(f, environment);
    Map<String, String> labels = new LinkedHashMap<>();
    for (String l : f.getList("label")) {
      int eq = l.indexOf('=');
      if (l.isEmpty() || eq == 0)
        throw EngineException.invalid("invalid label: '" + l + "' (want KEY=VALUE)");
      labels.put(eq < 0 ? l : l.substring(0, eq), eq < 0 ? "" : l.substring(eq + 1));
    }
    List<MountOption> mounts = new ArrayList<>();
    for (String v : f.getList("volume")) mounts.add(DockerFlags.volume(v));
    for (String m : f.getList("mount")) mounts.add(DockerFlags.mount(m));
    for (String t : f.getList("tmpfs")) mounts.add(DockerFlags.tmpfs(t));
    List<UlimitOption> ulimits = new ArrayList<>();
    for (String u : f.getList("ulimit")) ulimits.add(DockerFlags.ulimit(u));
    long memory = f.getString("memory").isEmpty() ? 0 : DockerFlags.bytes(f.getString("memory"));
    String swapText = f.getString("memory-swap");
    long swap = swapText.isEmpty() ? 0 : swapText.equals("-1") ? -1 : DockerFlags.bytes(swapText);
    long cpus = f.getString("cpus").isEmpty() ? 0 : DockerFlags.nanoCpus(f.getString("cpus"));
    long shares = number(f.getString("cpu-shares"), "--cpu-shares");
    long pids = number(f.getString("pids-limit"), "--pids-limit");
    String cpuset = f.getString("cpuset-cpus");
    String mems = f.getString("cpuset-mems");
    String reservation = f.getString("memory-reservation");
    String swappiness = f.getString("memory-swappiness");
    ResourceOptions resources =
        new ResourceOptions(
                memory,
                swap,
                cpus,
                shares,
                cpuset.isEmpty() ? null : cpuset,
                pids,
                number(f.getString("cpu-period"), "--cpu-period"),
                number(f.getString("cpu-quota"), "--cpu-quota"),
                mems.isEmpty() ? null : mems,
                null,
                null)
            .withMemoryExtras(
                reservation.isEmpty() ? 0 : DockerFlags.bytes(reservation),
                swappiness.isEmpty() ? null : number(swappiness, "--memory-swappiness"),
                f.getBool("oom-kill-disable"));
    String entry = f.isSet("entrypoint") ? f.getString("entrypoint") : null;
    List<String> entrypoint = entry == null ? null : entry.isEmpty() ? List.of() : List.of(entry);
    List<String> networks = new ArrayList<>(f.getList("network"));
    networks.addAll(f.getList("net"));
    String network = networks.isEmpty() ? DockerFlags.defaultNetwork(environment) : networks.get(0);
    List<PortOption> ports = new ArrayList<>();
    for (String p : f.getList("publish")) ports.addAll(PortSpecs.parse(p));
    List<String> expose = new ArrayList<>();
    for (String p : f.getList("expose")) expose.addAll(PortSpecs.expose(p));
    NetworkOptions net =
        new NetworkOptions(
            networks.size() > 1 ? networks.subList(1, networks.size()) : List.of(),
            f.getList("network-alias"),
            emptyToNull(f.getString("ip")),
            f.getList("add-host"),
            f.getList("dns"),
            f.getList("dns-search"),
            f.getList("dns-option"),
            ports,
            f.getBool("publish-all"),
            expose,
            emptyToNull(f.getString("mac-address")));
    String stopTimeout = f.getString("stop-timeout");
    long shm = f.getString("shm-size").isEmpty() ? 0 : DockerFlags.bytes(f.getString("shm-size"));
    Map<String, String> sysctls = new LinkedHashMap<>();
    for (String kv : f.getList("sysctl")) {
      int eq = kv.indexOf('=');
      if (eq <= 0) {
        throw EngineException.invalid("invalid --sysctl \"" + kv + "\": want NAME=VALUE");
      }
      sysctls.put(kv.substring(0, eq).strip(), kv.substring(eq + 1));
    }
    HostOptions host =
        new HostOptions(
                f.getString("pid"),
                f.getString("ipc"),
                f.getString("uts"),
                f.getString("cgroupns"),
                f.getString("cgroup-parent"),
                sysctls,
                null)
            .withRestartPolicy(RestartPolicy.parse(f.getString("restart")));
    List<HostOptions.DeviceOption> devices = new ArrayList<>();
    for (String d : f.getList("device")) devices.add(DockerFlags.device(d));
    host = host.withDevices(devices).withGroupAdd(f.getList("group-add"));
    if (!f.getString("oom-score-adj").isEmpty()) {
      long adj = number(f.getString("oom-score-adj"), "--oom-score-adj");
      if (adj < -1000 || adj > 1000) {
        throw EngineException.invalid(
            "invalid value \"" + adj + "\" for --oom-score-adj: it must be between -1000 and 1000");
      }
      host = host.withOomScoreAdj((int) adj);
    }
    host = host.withDomainname(f.getString("domainname"));
    if (!f.getList("uidmap").isEmpty() || !f.getList("gidmap").isEmpty()) {
      List<IdMapping> uids = idMappings(f.getList("uidmap"), "--uidmap");
      List<IdMapping> gids = idMappings(f.getList("gidmap"), "--gidmap");
      // podman's rule: one of the two stands for both
      host =
          host.withUserns(
              new HostOptions.UserNamespaceOption(
                  null, uids.isEmpty() ? gids : uids, gids.isEmpty() ? uids : gids));
    }
    if (!f.getString("log-driver").isEmpty() || !f.getList("log-opt").isEmpty()) {
      Map<String, String> logOpts = new LinkedHashMap<>();
      for (String kv : f.getList("log-opt")) {
        int eq = kv.indexOf('=');
        if (eq <= 0)
          throw EngineException.invalid("invalid --log-opt \"" + kv + "\": want KEY=VALUE");
        logOpts.put(kv.substring(0, eq), kv.substring(eq + 1));
      }
      host = host.withLog(LogOptions.of(f.getString("log-driver"), logOpts));
    }
    return new ContainerOptions(
        image,
        emptyToNull(f.getString("name")),
        entrypoint,
        command,
        env,
        emptyToNull(f.getString("workdir")),
        emptyToNull(f.getString("user")),
        emptyToNull(f.getString("hostname")),
        f.getBool("tty"),
        f.getBool("interactive"),
        f.getBool("interactive") && !detached,
        labels,
        mounts,
        resources,
        f.getList("cap-add"),
        f.getList("cap-drop"),
        f.getBool("privileged"),
        f.getBool("read-only"),
        f.getList("security-opt"),
        ulimits,
        emptyToNull(f.getString("stop-signal")),
        stopTimeout.isEmpty() ? null : (int) number(stopTimeout, "--stop-timeout"),
        emptyToNull(f.getString("runtime")),
        emptyToNull(network),
        f.getBool("rm"),
        shm,
        false,
        net,
        host,
        healthcheck(f));
  }

  /**
   * docker's {@code --health-*} flags, or {@code --no-healthcheck} ({@code ["NONE"]}); null when
   * none is given (the image's applies).
   */
  static Healthcheck healthcheck(Flags f) throws BerthException {
    boolean none = f.getBool("no-healthcheck");
    String cmd = f.getString("health-cmd");
    long interval = f.getDuration("health-interval").toNanos();
    long timeout = f.getDuration("health-timeout").toNanos();
    long startPeriod = f.getDuration("health-start-period").toNanos();
    long startInterval = f.getDuration("health-start-interval").toNanos();
    int retries = f.getInt("health-retries");
    boolean any =
        !cmd.isEmpty()
            || interval != 0
            || timeout != 0
            || startPeriod != 0
            || startInterval != 0
            || retries != 0;
    if (none) {
      if (any) throw EngineException.invalid("--no-healthcheck conflicts with --health-* options");
      return Healthcheck.NONE;
    }
    if (!any) return null;
    for (var e :
        Map.of(
                "--health-interval", interval,
                "--health-timeout", timeout,
                "--health-start-period", startPeriod,
                "--health-start-interval", startInterval,
                "--health-retries", (long) retries)
            .entrySet()) {
      if (e.getValue() < 0) throw EngineException.invalid(e.getKey() + " cannot be negative");
    }
    return new Healthcheck(
        cmd.isEmpty() ? List.of() : List.of("CMD-SHELL", cmd),
        interval,
        timeout,
        startPeriod,
        startInterval,
        retries);
  }

  /**
   * {@code --env-file}s then {@code -e}s (run, create, exec); {@code environment} fills bare {@code
   * -e KEY}.
   */
  static List<String> env(Flags f, Map<String, String> environment) throws BerthException {
    List<String> env = new ArrayList<>();
    for (String file : f.getList("env-file")) {
      byte[] content;
      try {
        content = Files.readAllBytes(Path.of(file));
      } catch (IOException e) {
        throw EngineException.invalid("open " + file + ": no such file or directory");
      }
      env.addAll(DockerFlags.envFile(content, file, environment));
    }
    for (String e : f.getList("env")) {
      if (e.isEmpty() || e.startsWith("="))
        throw EngineException.invalid("invalid environment variable: " + e);
      if (e.indexOf('=') < 0) {
        String v = environment.get(e);
        // docker: a bare KEY with no value here is left out.
        if (v != null) env.add(e + "=" + v);
        continue;
      }
      env.add(e);
    }
    return env;
  }

  static long number(String text, String flag) throws EngineException {
    if (text.isEmpty()) return 0;
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw EngineException.invalid(
          "invalid argument \"" + text + "\" for \"" + flag + "\" flag: want an integer");
    }
  }

  /**
   * podman's {@code --uidmap CONTAINER:HOST:SIZE}, each a range of ids the container's user
   * namespace maps.
   */
  static List<IdMapping> idMappings(List<String> specs, String flag) throws BerthException {
    List<IdMapping> out = new ArrayList<>();
    for (String spec : specs) {
      String[] f = spec.split(":", -1);
      long[] n = new long[3];
      boolean ok = f.length == 3;
      for (int i = 0; ok && i < 3; i++) {
        try {
          n[i] = Long.parseLong(f[i]);
          ok = n[i] >= 0 && n[i] <= 0xffffffffL;
        } catch (NumberFormatException e) {
          ok = false;
        }
      }
      if (!ok || n[2] < 1 || n[0] + n[2] > 1L << 32 || n[1] + n[2] > 1L << 32)
        throw EngineException.invalid(
            "invalid " + flag + " \"" + spec + "\": want CONTAINER:HOST:SIZE, a range of ids");
      out.add(new IdMapping(n[0], n[1], n[2]));
    }
    return out;
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }
}
