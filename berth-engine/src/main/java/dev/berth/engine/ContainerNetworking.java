package dev.berth.engine;

import dev.berth.engine.container.ContainerOptions;
import dev.berth.engine.container.NetworkOptions;
import dev.berth.engine.container.NetworkOptions.PortOption;
import dev.berth.engine.container.PortSpecs;
import dev.berth.engine.network.Endpoint;
import dev.berth.engine.network.HostRoutes;
import dev.berth.engine.network.Network;
import dev.berth.engine.network.NetworkCleanup;
import dev.berth.engine.network.NetworkFirewall;
import dev.berth.engine.network.NetworkStore;
import dev.berth.engine.network.Subnet;
import dev.berth.engine.network.cni.CniClient;
import dev.berth.engine.network.cni.CniResult;
import dev.berth.engine.network.cni.Launcher;
import dev.berth.engine.network.cni.NetworkConfigList;
import dev.berth.engine.network.cni.RuntimeConf;
import dev.berth.engine.network.dns.DnsResponder;
import dev.berth.engine.network.dns.DnsRunDir;
import dev.berth.engine.network.dns.NetworkRecords;
import dev.berth.engine.network.dns.ResponderControl;
import dev.berth.engine.network.netns.NetnsPins;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.engine.store.ContainerState.Status;
import dev.berth.image.dirs.LockFile;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.image.ImageConfig;
import dev.berth.sys.ErrnoException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The networking of {@link Engine}'s containers: the network mode ({@code none}, {@code host},
 * {@code bridge} (the default network), a user network, {@code container:NAME}), the namespace
 * pinned for each container that has its own, its CNI attachments (eth0, eth1... one per network)
 * with published ports on the first, /etc/hosts with the container's addresses and its peers', and
 * the teardown that leaves nothing when it stops.
 *
 * <p>Name resolution on user networks is DNS, as docker's and podman's: the engine's responder
 * ({@link dev.berth.engine.network.dns}) listens on each network's gateway, and a container on such
 * a network gets that gateway as its nameserver. The records it answers are files the engine
 * rewrites here whenever a container joins or leaves a network, and the responder reloads before
 * the container starts. A network made with {@code --disable-dns} (and an internal one, whose
 * bridge has no gateway address to listen on) lists its peers in each container's /etc/hosts
 * instead, rewritten in place (the file is bound into the container: a rename would not reach it).
 * As docker, the default network resolves no names.
 *
 * <p>Everything that reads or changes which containers sit on which network (CNI ADD/DEL, host
 * ports, the endpoint fields of records, hosts files) holds {@code <runRoot>/network.lock}, so two
 * {@code berth} processes starting containers at once see each other's addresses and ports.
 */
final class ContainerNetworking {
  /** Extras keys: the networks a container is attached to (connect/disconnect change them). */
  static final String REQUESTS = "network.requests";

  /** Extras keys of a running container: its endpoints and its published ports as made. */
  static final String ENDPOINTS = "network.endpoints";

  static final String PORTS = "network.ports";

  /**
   * docker's ephemeral range for {@code -p PORT} and {@code -P}: Linux's default
   * ip_local_port_range.
   */
  static final int FIRST_FREE_PORT = 32768;

  static final int LAST_FREE_PORT = 60999;

  private final Engine engine;
  private NetworkStore store;
  private NetnsPins pins;
  private CniClient cni;
  private NetworkCleanup cleanup;
  private ResponderControl dns;

  ContainerNetworking(Engine engine) {
    this.engine = engine;
  }

  // ---- the parts, opened on first use (a `berth ps` needs none of them) ----

  synchronized NetworkStore store() throws BerthException {
    if (store == null) {
      store = NetworkStore.open(engine.config().root(), this::usersByNetwork, routes());
      store.reportTo(engine::objectEvent);
    }
    return store;
  }

  synchronized NetnsPins pins() throws BerthException {
    if (pins == null) pins = NetnsPins.open(engine.config().runRoot().resolve("netns"));
    return pins;
  }

  synchronized CniClient cni() throws BerthException {
    if (cni == null) {
      cni = new CniClient(engine.config().cniPluginDirs(), store().cacheDir(), launcher());
    }
    return cni;
  }

  synchronized NetworkCleanup cleanup() throws BerthException {
    if (cleanup == null) {
      NetworkFirewall firewall =
          new NetworkFirewall(cni().launcher(), engine.config().runRoot().resolve("firewall.lock"));
      cleanup = new NetworkCleanup(cni(), pins(), store(), firewall);
    }
    return cleanup;
  }

  /**
   * The DNS responder's control: detached through the configured command (after the CNI launcher
   * prefix, so it lives where the bridges do), else in this process, joining the namespace a test's
   * {@code nsenter --net=NS} launcher names.
   */
  synchronized ResponderControl dns() {
    if (dns == null) {
      EngineConfig c = engine.config();
      DnsRunDir dir = new DnsRunDir(c.runRoot().resolve("dns"));
      List<String> command = new ArrayList<>();
      if (!c.dnsResponder().isEmpty()) {
        command.addAll(c.cniLauncher());
        command.addAll(c.dnsResponder());
      }
      Path netns = null;
      for (String w : c.cniLauncher()) {
        if (w.startsWith("--net=")) netns = Path.of(w.substring("--net=".length()));
      }
      dns = new ResponderControl(dir, command, DnsResponder.Options.of(dir).withNetns(netns));
    }
    return dns;
  }

  /** Stops the responder this process runs, if any. */
  synchronized void close() {
    if (dns != null) dns.close();
  }

  private Launcher launcher() {
    return new Launcher(engine.config().cniLauncher(), Duration.ofSeconds(60));
  }

  /**
   * The routes of the namespace the bridges live in: this process' own, or the launcher's (tests).
   */
  private HostRoutes routes() {
    if (engine.config().cniLauncher().isEmpty()) return HostRoutes.procNetRoute();
    return () ->
        HostRoutes.parse(new String(readInNetns("/proc/net/route"), StandardCharsets.US_ASCII));
  }

  /** A /proc/net file of the networks' namespace. */
  private byte[] readInNetns(String file) throws ErrnoException {
    if (engine.config().cniLauncher().isEmpty()) {
      try (var fd = dev.berth.sys.Linux.open(file, dev.berth.sys.LinuxConstants.O_RDONLY, 0)) {
        return dev.berth.sys.Linux.readAll(fd);
      }
    }
    Launcher.Outcome o = launcher().run("/bin/cat", List.of(file), List.of("LC_ALL=C"), null);
    return o.stdout();
  }

  /**
   * Who uses which network: running containers with an endpoint on it (docker's "active
   * endpoints").
   */
  Map<String, List<String>> usersByNetwork() throws BerthException {
    Map<String, List<String>> users = new HashMap<>();
    for (ContainerRecord r : engine.containers().list().containers()) {
      for (Endpoint e : Endpoint.readEndpoints(r.extras().get(ENDPOINTS))) {
        users.computeIfAbsent(e.network(), k -> new ArrayList<>()).add(r.id());
      }
    }
    return users;
  }

  // ---- modes ----

  /** The network mode of {@code o}: "none" when unset. */
  static String mode(ContainerOptions o) {
    String n = o.network();
    if (n == null || n.isEmpty()) return "none";
    return n.equals("default") ? "bridge" : n;
  }

  /** The interface of a container's first network. */
  static final String FIRST_INTERFACE = "eth0";

  /** A MAC address as docker takes it: six hex octets with colons. */
  private static final java.util.regex.Pattern MAC =
      java.util.regex.Pattern.compile("[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}");

  /** Whether the mode attaches the container to networks (bridge or a user network). */
  static boolean attaches(String mode) {
    return !mode.equals("none")
        && !mode.equals("host")
        && !mode.startsWith("container:")
        && !mode.startsWith("ns:");
  }

  /**
   * Whether a container of this mode has a namespace pinned by the engine: the attached ones.
   * "none" gets a new namespace from the runtime (no pin, no mount: a pin's directory is a mount of
   * its own under the run root).
   */
  static boolean pinned(String mode) {
    return attaches(mode);
  }

  /**
   * create's checks of the networking options, docker's errors: the networks exist (the default one
   * is made now), flags that the mode cannot honour are refused. Returns what the container will be
   * attached to.
   */
  List<Endpoint.Request> check(ContainerOptions o) throws BerthException {
    String mode = mode(o);
    NetworkOptions n = o.networking();
    if (mode.startsWith("ns:")) {
      // A namespace someone else made and pinned (a CRI pod's): no CNI, no pin of ours.
      ContainerNamespaces.checkNamespaceFile("--network", mode);
      if (!n.ports().isEmpty() || n.publishAll()) {
        throw EngineException.invalid(
            "conflicting options: port publishing and the network mode " + mode);
      }
    }
    if (mode.startsWith("container:")) {
      if (mode.length() == "container:".length())
        throw EngineException.invalid("invalid network mode: " + mode);
      if (!n.ports().isEmpty() || n.publishAll()) {
        throw EngineException.invalid(
            "conflicting options: port publishing and the container type network mode");
      }
      if (o.hostname() != null)
        throw EngineException.invalid("conflicting options: hostname and the network mode");
      if (!n.dns().isEmpty())
        throw EngineException.invalid("conflicting options: dns and the network mode");
      if (!n.extraHosts().isEmpty()) {
        throw EngineException.invalid(
            "conflicting options: custom host-to-IP mapping and the network mode");
      }
      engine.containers().resolve(mode.substring("container:".length()));
    }
    // Each becomes words of one line of /etc/hosts or /etc/resolv.conf, nothing more.
    dev.berth.engine.spec.EtcFiles.checkExtraHosts("--add-host", n.extraHosts());
    dev.berth.engine.spec.EtcFiles.checkAliases("--network-alias", n.aliases());
    dev.berth.engine.spec.EtcFiles.checkDns(
        List.of("--dns", "--dns-search", "--dns-option"), n.dns(), n.dnsSearch(), n.dnsOptions());
    if (n.ip() != null) {
      try {
        Subnet.parseAddress(n.ip());
      } catch (IllegalArgumentException e) {
        throw EngineException.invalid("invalid IPv4 address: " + n.ip());
      }
    }
    if (n.macAddress() != null && !MAC.matcher(n.macAddress()).matches()) {
      throw EngineException.invalid("invalid MAC address: " + n.macAddress());
    }
    if (n.macAddress() != null && (Integer.parseInt(n.macAddress().substring(0, 2), 16) & 1) != 0) {
      throw EngineException.invalid(
          "invalid MAC address: " + n.macAddress() + " (a multicast address)");
    }
    if (!attaches(mode)) {
      if (n.macAddress() != null) {
        throw EngineException.invalid(
            "conflicting options: mac-address and the network mode " + mode);
      }
      if (!n.networks().isEmpty()) {
        throw EngineException.invalid(
            "conflicting options: cannot attach both user-defined and non-user-defined"
                + " network-modes");
      }
      if (n.ip() != null || !n.aliases().isEmpty()) {
        throw EngineException.invalid(
            "user specified IP address and aliases are supported on user defined networks"
                + " only");
      }
      return List.of();
    }
    List<Endpoint.Request> out = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    List<String> names = new ArrayList<>(List.of(mode));
    names.addAll(n.networks());
    for (int i = 0; i < names.size(); i++) {
      String name = names.get(i);
      if (name.equals("none") || name.equals("host") || name.startsWith("container:")) {
        throw EngineException.invalid(
            "conflicting options: cannot attach both user-defined and non-user-defined"
                + " network-modes");
      }
      Network net = resolve(name);
      if (!seen.add(net.name())) continue;
      boolean user = !net.name().equals(NetworkStore.DEFAULT_NETWORK);
      if (i == 0 && n.ip() != null && !user) {
        throw EngineException.invalid(
            "user specified IP address is supported on user defined networks only");
      }
      if (!user && !n.aliases().isEmpty() && names.size() == 1) {
        throw EngineException.invalid(
            "network-scoped alias is supported only for containers in user defined" + " networks");
      }
      out.add(
          new Endpoint.Request(net.name(), user ? n.aliases() : List.of(), i == 0 ? n.ip() : null));
    }
    return out;
  }

  /** A network by name or id; "bridge" is the default network, made on first use. */
  Network resolve(String name) throws BerthException {
    if (name.equals("bridge") || name.equals(NetworkStore.DEFAULT_NETWORK))
      return store().defaultNetwork();
    return store().get(name);
  }

  /** The networks {@code r} is attached to: connect/disconnect's list, else its options'. */
  List<Endpoint.Request> requests(ContainerRecord r) throws BerthException {
    String kept = r.extras().get(REQUESTS);
    if (kept != null) return Endpoint.readRequests(kept);
    return check(r.options());
  }

  /**
   * The network namespace {@code r}'s spec joins: its own pin (made at start), another container's
   * for {@code container:NAME} (which must be running), null for "host".
   */
  Path netnsPath(ContainerRecord r) throws BerthException {
    String mode = mode(r.options());
    if (mode.equals("host")) return null;
    if (mode.startsWith("ns:")) return Path.of(mode.substring("ns:".length()));
    if (mode.startsWith("container:")) {
      ContainerRecord other = engine.inspect(mode.substring("container:".length()));
      Status s = other.state().status();
      if (s != Status.RUNNING && s != Status.PAUSED) {
        throw EngineException.precondition(
            "cannot join network of a non running container: " + other.shortId());
      }
      String otherMode = mode(other.options());
      if (!pinned(otherMode)) {
        throw EngineException.precondition(
            "cannot join the network of container "
                + other.shortId()
                + ": it has network mode "
                + otherMode);
      }
      if (!pins().exists(other.id())) {
        throw EngineException.precondition(
            "container " + other.shortId() + " has no network namespace of berth's");
      }
      return pins().path(other.id());
    }
    return pinned(mode) ? pins().path(r.id()) : null;
  }

  // ---- start and stop ----

  /**
   * A network set-up running beside the runtime's create ({@link #setUpBeside}): the runtime may
   * join the container's namespace once it is {@link #pinned}, and the container's process may run
   * once it is {@link #done}.
   */
  static final class PendingSetUp {
    private final CompletableFuture<Void> pinned = new CompletableFuture<>();
    private final CompletableFuture<Void> done = new CompletableFuture<>();

    /** Waits until the namespace is pinned; throws what made the set-up fail before. */
    void pinned() throws BerthException {
      await(pinned);
    }

    /** Waits for the whole set-up; throws what made it fail. */
    void done() throws BerthException {
      await(done);
    }

    /** Waits for the set-up to end, however it ends (before what it made is torn down). */
    void settled() {
      done.exceptionally(t -> null).join();
    }

    private static void await(CompletableFuture<Void> f) throws BerthException {
      try {
        f.join();
      } catch (java.util.concurrent.CompletionException e) {
        if (e.getCause() instanceof BerthException b) throw b;
        if (e.getCause() instanceof RuntimeException r) throw r;
        throw EngineException.internal("set up the network: " + e.getCause(), e.getCause());
      }
    }

    private void fail(Throwable t) {
      pinned.completeExceptionally(t);
      done.completeExceptionally(t);
    }
  }

  /**
   * {@link #setUp} on a thread of its own, so that the CNI plugins (~100 ms of processes) run while
   * the runtime creates the container: they need nothing of it but its pinned namespace, and its
   * process does not run before the caller's {@link PendingSetUp#done}. Modes without a pin are set
   * up before this returns.
   */
  PendingSetUp setUpBeside(ContainerRecord r, ImageConfig image) throws BerthException {
    PendingSetUp pending = new PendingSetUp();
    if (!pinned(mode(r.options()))) {
      setUp(r, image, () -> {});
      pending.pinned.complete(null);
      pending.done.complete(null);
      return pending;
    }
    Thread.ofPlatform()
        .name("berth-network-setup")
        .daemon()
        .start(
            () -> {
              try {
                setUp(r, image, () -> pending.pinned.complete(null));
                pending.pinned.complete(null);
                pending.done.complete(null);
              } catch (Throwable t) {
                pending.fail(t);
              }
            });
    return pending;
  }

  /**
   * At start, before the container's process runs: pins its namespace (lo up; then {@code
   * onPinned}), attaches it to its networks (eth0, eth1...; ports on the first) while its networks'
   * firewall rules are checked, records the endpoints and ports, and writes its /etc/hosts and its
   * peers'. What a failure leaves, {@link #tearDown} removes (the start's release calls it).
   */
  void setUp(ContainerRecord r, ImageConfig image, Runnable onPinned) throws BerthException {
    String mode = mode(r.options());
    if (!pinned(mode)) {
      if (mode.startsWith("container:")) copyEtcFrom(r, mode.substring("container:".length()));
      return;
    }
    try (LockFile held = lock()) {
      // A crash of an earlier start may have left a pin or attachments: they go first.
      cleanup().teardown(r.id());
      Path pin = pins().create(r.id());
      onPinned.run();
      List<Endpoint.Request> requests = requests(r);
      List<Network> nets = new ArrayList<>();
      for (Endpoint.Request q : requests) nets.add(resolve(q.network()));
      // The rules are per network and matter only once traffic flows: iptables-save (and a
      // restore when they are missing) runs while the plugins attach.
      NetworkFirewall firewall = cleanup().firewall();
      FutureTask<Boolean> rules = new FutureTask<>(() -> firewall.ensure(nets));
      Thread.ofPlatform().name("berth-network-firewall").daemon().start(rules);
      List<Endpoint> endpoints = new ArrayList<>();
      List<Endpoint.Port> ports;
      try {
        ports = allocatePorts(r, image);
        for (Endpoint.Request q : requests) {
          endpoints.add(
              attach(r, q, pin, "eth" + endpoints.size(), endpoints.isEmpty() ? ports : List.of()));
        }
      } catch (BerthException | RuntimeException e) {
        awaitQuietly(rules); // the attachment's error is the one to report
        throw e;
      }
      await(rules);
      ContainerRecord now =
          engine
              .containers()
              .update(
                  r.id(),
                  c ->
                      c.withExtras(
                          with(
                              c.extras(),
                              Map.of(
                                  ENDPOINTS,
                                  Endpoint.writeEndpoints(endpoints),
                                  PORTS,
                                  Endpoint.writePorts(ports)))));
      writeHosts(now, networksOf(endpoints));
      writeResolvConf(now, endpoints, true);
      updateDns(networksOf(endpoints), true);
    } catch (IOException e) {
      throw EngineException.internal(
          "set up the network of container " + r.shortId() + ": " + e.getMessage(), e);
    }
  }

  private static void await(FutureTask<Boolean> rules) throws BerthException {
    try {
      rules.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw EngineException.internal("set up the firewall rules: interrupted", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof BerthException b) throw b;
      if (e.getCause() instanceof RuntimeException x) throw x;
      throw EngineException.internal("set up the firewall rules: " + e.getCause(), e.getCause());
    }
  }

  private static void awaitQuietly(FutureTask<Boolean> rules) {
    try {
      await(rules);
    } catch (BerthException | RuntimeException ignored) {
      // the caller reports its own error
    }
  }

  private Endpoint attach(
      ContainerRecord r, Endpoint.Request q, Path pin, String ifName, List<Endpoint.Port> ports)
      throws BerthException {
    Network net = resolve(q.network());
    NetworkConfigList list = store().attachConfig(net, !ports.isEmpty());
    Map<String, String> args = new LinkedHashMap<>();
    if (q.ip() != null) {
      args.put("IgnoreUnknown", "1");
      args.put("IP", q.ip());
    }
    RuntimeConf rt = new RuntimeConf(r.id(), pin.toString(), ifName, args, Map.of());
    // --mac-address is the first network's interface's (the bridge plugin's "mac" capability).
    String wantedMac = r.options().networking().macAddress();
    if (wantedMac != null && ifName.equals(FIRST_INTERFACE)) {
      rt = rt.withCapability("mac", wantedMac.toLowerCase(java.util.Locale.ROOT));
    }
    if (!ports.isEmpty()) {
      List<Map<String, Object>> mappings = new ArrayList<>();
      for (Endpoint.Port p : ports) {
        mappings.add(
            RuntimeConf.portMapping(p.hostPort(), p.containerPort(), p.protocol(), p.hostIp()));
      }
      rt = rt.withPortMappings(mappings);
    }
    CniResult res = cni().add(list, rt);
    String ip = "";
    int prefix = 0;
    String gateway = "";
    if (!res.ips().isEmpty()) {
      CniResult.IpConfig c = res.ips().get(0);
      ip = c.ip();
      int slash = c.address().indexOf('/');
      prefix = slash < 0 ? 32 : Integer.parseInt(c.address().substring(slash + 1));
      gateway = c.gateway();
    }
    String mac = res.containerInterfaces().isEmpty() ? "" : res.containerInterfaces().get(0).mac();
    return new Endpoint(net.name(), net.id(), ifName, ip, prefix, gateway, mac, q.aliases());
  }

  /** Whether {@link #tearDown} has anything to do for {@code r} (a namespace of its own). */
  boolean hasTeardown(ContainerRecord r) {
    return pinned(mode(r.options()));
  }

  /**
   * Releases {@code r}'s networking: its endpoints leave its peers' hosts files, then CNI DEL of
   * every attachment (with the cached results) and its pin goes. Idempotent; cheap for a container
   * that has none.
   */
  void tearDown(ContainerRecord r) throws BerthException {
    String mode = mode(r.options());
    if (!pinned(mode)) return;
    try (LockFile held = lock()) {
      Files.deleteIfExists(dns().dir().upstreams(r.id()));
      ContainerRecord now;
      try {
        now = engine.containers().get(r.id());
      } catch (BerthException e) {
        if (e.category() != ErrorCategory.NOT_FOUND) throw e;
        now = null;
      }
      if (now != null && (now.extras().containsKey(ENDPOINTS) || now.extras().containsKey(PORTS))) {
        Set<String> nets = networksOf(Endpoint.readEndpoints(now.extras().get(ENDPOINTS)));
        engine
            .containers()
            .update(r.id(), c -> c.withExtras(without(c.extras(), ENDPOINTS, PORTS)));
        writePeersHosts(r.id(), nets);
        updateDns(nets, false);
      }
      cleanup().teardown(r.id());
    } catch (IOException e) {
      throw EngineException.internal(
          "tear down the network of container " + r.shortId() + ": " + e.getMessage(), e);
    }
  }

  // ---- connect, disconnect ----

  /** docker network connect: attached from its next start on, and now when it runs. */
  void connect(String networkRef, String containerRef, List<String> aliases, String ip)
      throws BerthException {
    if (aliases != null) dev.berth.engine.spec.EtcFiles.checkAliases("--alias", aliases);
    Network net = resolve(networkRef);
    ContainerRecord r = engine.containers().resolve(containerRef);
    try (LockFile cl = engine.containers().lock(r.id())) {
      r = engine.syncLocked(r.id());
      String mode = mode(r.options());
      if (!attaches(mode)) {
        throw EngineException.precondition(
            "container "
                + r.shortId()
                + " has network mode "
                + mode
                + ": it cannot be connected to a network");
      }
      List<Endpoint.Request> requests = new ArrayList<>(requests(r));
      for (Endpoint.Request q : requests) {
        if (q.network().equals(net.name())) {
          throw EngineException.precondition(
              "endpoint with name " + r.name() + " already exists in network " + net.name());
        }
      }
      boolean user = !net.name().equals(NetworkStore.DEFAULT_NETWORK);
      Endpoint.Request q = new Endpoint.Request(net.name(), user ? aliases : List.of(), ip);
      requests.add(q);
      Status s = r.state().status();
      if (s == Status.RUNNING || s == Status.PAUSED) {
        try (LockFile held = lock()) {
          List<Endpoint> endpoints =
              new ArrayList<>(Endpoint.readEndpoints(r.extras().get(ENDPOINTS)));
          Set<String> used = new HashSet<>();
          for (Endpoint e : endpoints) used.add(e.ifName());
          int i = 0;
          while (used.contains("eth" + i)) i++;
          cleanup().firewall().ensure(List.of(net));
          endpoints.add(attach(r, q, pins().path(r.id()), "eth" + i, List.of()));
          ContainerRecord now =
              engine
                  .containers()
                  .update(
                      r.id(),
                      c ->
                          c.withExtras(
                              with(
                                  c.extras(),
                                  Map.of(
                                      REQUESTS,
                                      Endpoint.writeRequests(requests),
                                      ENDPOINTS,
                                      Endpoint.writeEndpoints(endpoints)))));
          writeHosts(now, networksOf(endpoints));
          writeResolvConf(now, endpoints, false);
          updateDns(Set.of(net.name()), true);
          return;
        } catch (IOException e) {
          throw EngineException.internal(
              "connect " + r.shortId() + " to " + net.name() + ": " + e.getMessage(), e);
        }
      }
      engine
          .containers()
          .update(
              r.id(),
              c ->
                  c.withExtras(
                      with(c.extras(), Map.of(REQUESTS, Endpoint.writeRequests(requests)))));
    }
  }

  /** docker network disconnect: detached now when it runs, and not attached at its next start. */
  void disconnect(String networkRef, String containerRef) throws BerthException {
    Network net = resolve(networkRef);
    ContainerRecord r = engine.containers().resolve(containerRef);
    try (LockFile cl = engine.containers().lock(r.id())) {
      r = engine.syncLocked(r.id());
      List<Endpoint.Request> requests = new ArrayList<>(requests(r));
      if (!requests.removeIf(q -> q.network().equals(net.name()))) {
        throw EngineException.precondition(
            "container " + r.id() + " is not connected to network " + net.name());
      }
      List<Endpoint> endpoints = new ArrayList<>(Endpoint.readEndpoints(r.extras().get(ENDPOINTS)));
      Endpoint gone = null;
      for (Endpoint e : endpoints) if (e.network().equals(net.name())) gone = e;
      if (gone == null) {
        engine
            .containers()
            .update(
                r.id(),
                c ->
                    c.withExtras(
                        with(c.extras(), Map.of(REQUESTS, Endpoint.writeRequests(requests)))));
        return;
      }
      try (LockFile held = lock()) {
        cni()
            .del(
                store().configList(net.name()),
                RuntimeConf.of(r.id(), pins().path(r.id()).toString(), gone.ifName()));
        endpoints.remove(gone);
        ContainerRecord now =
            engine
                .containers()
                .update(
                    r.id(),
                    c ->
                        c.withExtras(
                            with(
                                c.extras(),
                                Map.of(
                                    REQUESTS,
                                    Endpoint.writeRequests(requests),
                                    ENDPOINTS,
                                    Endpoint.writeEndpoints(endpoints)))));
        writeHosts(now, networksOf(endpoints));
        writePeersHosts(r.id(), Set.of(net.name()));
        writeResolvConf(now, endpoints, false);
        updateDns(Set.of(net.name()), false);
      } catch (IOException e) {
        throw EngineException.internal(
            "disconnect " + r.shortId() + " from " + net.name() + ": " + e.getMessage(), e);
      }
    }
  }

  // ---- ports ----

  /**
   * The ports to publish: {@code -p} as given, {@code -p PORT} and {@code -P} (the image's
   * ExposedPorts not published already) on free host ports. A host port another container
   * publishes, or that a process of the networks' namespace listens on, is docker's "port is
   * already allocated".
   */
  private List<Endpoint.Port> allocatePorts(ContainerRecord r, ImageConfig image)
      throws BerthException {
    NetworkOptions n = r.options().networking();
    List<PortOption> wanted = new ArrayList<>(n.ports());
    if (n.publishAll()) {
      Set<String> given = new HashSet<>();
      for (PortOption p : wanted) given.add(p.key());
      java.util.Set<String> fromImage = image == null ? Set.of() : image.config().exposedPorts();
      for (String key : ContainerViews.exposed(fromImage, n.expose())) {
        PortOption p = PortSpecs.exposed(key);
        if (given.add(p.key())) wanted.add(p);
      }
    }
    if (wanted.isEmpty()) return List.of();
    Set<String> taken = new HashSet<>();
    for (ContainerRecord other : engine.containers().list().containers()) {
      if (other.id().equals(r.id())) continue;
      for (Endpoint.Port p : Endpoint.readPorts(other.extras().get(PORTS)))
        taken.add(p.hostPort() + "/" + p.protocol());
    }
    Set<String> listening = null;
    List<Endpoint.Port> out = new ArrayList<>();
    for (PortOption p : wanted) {
      if (p.hostPort() != 0) {
        String key = p.hostPort() + "/" + p.protocol();
        if (listening == null) listening = listening();
        if (!taken.add(key) || listening.contains(key)) {
          throw EngineException.precondition(
              "driver failed programming external connectivity on endpoint "
                  + r.name()
                  + ": Bind for "
                  + (p.hostIp().isEmpty() ? "0.0.0.0" : p.hostIp())
                  + ":"
                  + p.hostPort()
                  + " failed: port is already allocated");
        }
        out.add(new Endpoint.Port(p.hostIp(), p.hostPort(), p.containerPort(), p.protocol()));
      }
    }
    for (PortOption p : wanted) {
      if (p.hostPort() != 0) continue;
      if (listening == null) listening = listening();
      int span = LAST_FREE_PORT - FIRST_FREE_PORT + 1;
      int start = ThreadLocalRandom.current().nextInt(span);
      int chosen = -1;
      for (int i = 0; i < span && chosen < 0; i++) {
        int port = FIRST_FREE_PORT + (start + i) % span;
        String key = port + "/" + p.protocol();
        if (!taken.contains(key) && !listening.contains(key)) chosen = port;
      }
      if (chosen < 0)
        throw new EngineException(
            ErrorCategory.RESOURCE_EXHAUSTED, "no free host port for " + p.key());
      taken.add(chosen + "/" + p.protocol());
      out.add(new Endpoint.Port(p.hostIp(), chosen, p.containerPort(), p.protocol()));
    }
    return out;
  }

  /**
   * The ports sockets of the networks' namespace are bound to ("8080/tcp"), from
   * /proc/net/{tcp,udp}{,6}.
   */
  private Set<String> listening() throws BerthException {
    Set<String> out = new HashSet<>();
    for (String proto : List.of("tcp", "udp")) {
      for (String file : List.of("/proc/net/" + proto, "/proc/net/" + proto + "6")) {
        String text;
        try {
          text = new String(readInNetns(file), StandardCharsets.US_ASCII);
        } catch (ErrnoException e) {
          continue; // no IPv6
        }
        String[] lines = text.split("\n");
        for (int i = 1; i < lines.length; i++) {
          String[] f = lines[i].trim().split("\\s+");
          if (f.length < 4) continue;
          // tcp: only listening sockets (state 0A) hold a port for DNAT's purpose; udp: any bound
          // one
          if (proto.equals("tcp") && !f[3].equals("0A")) continue;
          int colon = f[1].lastIndexOf(':');
          if (colon < 0) continue;
          try {
            out.add(Integer.parseInt(f[1].substring(colon + 1), 16) + "/" + proto);
          } catch (NumberFormatException e) {
            // not a socket line
          }
        }
      }
    }
    return out;
  }

  // ---- /etc/hosts ----

  /**
   * Rewrites the hosts files of {@code r} and of the running containers that share one of {@code
   * networks}.
   */
  private void writeHosts(ContainerRecord r, Set<String> networks)
      throws BerthException, IOException {
    List<ContainerRecord> all = engine.containers().list().containers();
    writeHostsFile(r, all);
    for (ContainerRecord other : all) {
      if (other.id().equals(r.id())) continue;
      if (sharesUserNetwork(other, networks)) writeHostsFile(other, all);
    }
  }

  private void writePeersHosts(String goneId, Set<String> networks)
      throws BerthException, IOException {
    List<ContainerRecord> all = new ArrayList<>();
    for (ContainerRecord c : engine.containers().list().containers())
      if (!c.id().equals(goneId)) all.add(c);
    for (ContainerRecord other : all) {
      if (sharesUserNetwork(other, networks)) writeHostsFile(other, all);
    }
  }

  private boolean sharesUserNetwork(ContainerRecord c, Set<String> networks) {
    for (Endpoint e : Endpoint.readEndpoints(c.extras().get(ENDPOINTS))) {
      if (networks.contains(e.network()) && listsPeersInHosts(e.network())) return true;
    }
    return false;
  }

  /** User networks without DNS list peers in /etc/hosts; the others resolve them by DNS. */
  private boolean listsPeersInHosts(String network) {
    if (network.equals(NetworkStore.DEFAULT_NETWORK)) return false;
    try {
      return !resolves(store().get(network));
    } catch (BerthException e) {
      return false; // removed
    }
  }

  /** Whether the responder serves {@code n}: DNS on, and a gateway address to listen on. */
  static boolean resolves(Network n) {
    return n.dnsEnabled() && !n.internal() && !n.gateway().isEmpty();
  }

  /**
   * The container's /etc/hosts: docker's loopback lines and --add-host entries, its own address
   * with its host name (and on user networks its name and aliases), then each peer on a shared user
   * network. Written in place.
   */
  private void writeHostsFile(ContainerRecord c, List<ContainerRecord> all) throws IOException {
    Path file = engine.layout(c.id()).dir().resolve("hosts");
    if (!Files.exists(file)) return;
    List<Endpoint> mine = Endpoint.readEndpoints(c.extras().get(ENDPOINTS));
    String hostname = c.extras().getOrDefault(ContainerViews.HOSTNAME, c.shortId());
    String hostGateway;
    try {
      hostGateway = ContainerStarter.hostGateway(engine, c);
    } catch (BerthException e) {
      throw new IOException(e.getMessage(), e);
    }
    StringBuilder sb =
        new StringBuilder(
            dev.berth.engine.spec.EtcFiles.hosts(
                hostname, null, c.options().networking().extraHosts(), hostGateway));
    Set<String> shared = new HashSet<>();
    for (Endpoint e : mine) {
      Set<String> names = new LinkedHashSet<>(List.of(hostname));
      if (!e.network().equals(NetworkStore.DEFAULT_NETWORK)) {
        if (listsPeersInHosts(e.network())) shared.add(e.network());
        names.add(c.name());
        names.addAll(e.aliases());
      }
      if (!e.ip().isEmpty())
        sb.append(e.ip()).append('\t').append(String.join(" ", names)).append('\n');
    }
    for (ContainerRecord p : all) {
      if (p.id().equals(c.id())) continue;
      for (Endpoint e : Endpoint.readEndpoints(p.extras().get(ENDPOINTS))) {
        if (!shared.contains(e.network()) || e.ip().isEmpty()) continue;
        Set<String> names = new LinkedHashSet<>(List.of(p.name(), p.shortId()));
        names.addAll(e.aliases());
        sb.append(e.ip()).append('\t').append(String.join(" ", names)).append('\n');
      }
    }
    // In place: the file is bound into the running container by its inode.
    Files.writeString(
        file,
        sb,
        StandardCharsets.UTF_8,
        StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING);
  }

  // ---- DNS ----

  /**
   * Publishes the records of {@code networks} (every running container on each, with its name,
   * short id and aliases there) and has the responder serve them. {@code strict}: a network of the
   * set the responder cannot serve fails (a start or connect); else (stop, rm, disconnect) DNS
   * trouble never keeps a container's networking from going.
   */
  private void updateDns(Set<String> networks, boolean strict) throws BerthException, IOException {
    boolean any = false;
    List<ContainerRecord> all = null;
    for (String name : networks) {
      Network n;
      try {
        n = store().get(name);
      } catch (BerthException e) {
        if (e.category() != ErrorCategory.NOT_FOUND) throw e;
        n = null;
      }
      if (n == null || !resolves(n)) {
        if (Files.exists(dns().dir().records(name))) {
          dns().withdraw(name);
          any = true;
        }
        continue;
      }
      if (all == null) all = engine.containers().list().containers();
      List<NetworkRecords.Entry> entries = new ArrayList<>();
      for (ContainerRecord c : all) {
        for (Endpoint e : Endpoint.readEndpoints(c.extras().get(ENDPOINTS))) {
          if (!e.network().equals(name) || e.ip().isEmpty()) continue;
          Set<String> names = new LinkedHashSet<>(List.of(c.name(), c.shortId()));
          names.addAll(e.aliases());
          entries.add(new NetworkRecords.Entry(c.id(), e.ip(), new ArrayList<>(names)));
        }
      }
      dns().publish(new NetworkRecords(name, n.gateway(), n.subnet(), entries));
      any = true;
    }
    if (!any) return;
    try {
      dns().sync();
    } catch (BerthException e) {
      if (!strict) return;
      for (String name : networks) {
        if (e.getMessage().contains("network " + name + ":")
            || !e.getMessage().contains("network ")) throw e;
      }
    }
  }

  /**
   * The container's resolv.conf on DNS networks: the gateways as nameservers (podman's way;
   * docker's 127.0.0.11 needs a listener inside each container's namespace, the gateway needs
   * none), with the search and options lines made at create (the host's, or
   * --dns-search/--dns-option). {@code --dns} servers are where the responder forwards this
   * container's other queries (as docker's embedded DNS does: its peers' names still resolve); on
   * networks without DNS the host's servers, or --dns's, stay. {@code atStart}: the file is the one
   * the spec generator just wrote, kept aside (resolv.conf.host) for connect and disconnect.
   * Written in place: the file is bound into the container.
   */
  private void writeResolvConf(ContainerRecord c, List<Endpoint> endpoints, boolean atStart)
      throws BerthException, IOException {
    Path file = engine.layout(c.id()).dir().resolve("resolv.conf");
    Path hostFile = engine.layout(c.id()).dir().resolve("resolv.conf.host");
    if (!Files.exists(file)) return;
    String now = Files.readString(file);
    if (atStart) Files.writeString(hostFile, now);
    String host = Files.exists(hostFile) ? Files.readString(hostFile) : now;
    List<String> gateways = new ArrayList<>();
    for (Endpoint e : endpoints) {
      Network n;
      try {
        n = store().get(e.network());
      } catch (BerthException x) {
        continue; // removed
      }
      // resolvers read at most three
      if (resolves(n) && !gateways.contains(n.gateway()) && gateways.size() < 3)
        gateways.add(n.gateway());
    }
    Path ownServers = dns().dir().upstreams(c.id());
    if (gateways.isEmpty() || c.options().networking().dns().isEmpty()) {
      Files.deleteIfExists(ownServers);
    } else {
      StringBuilder servers = new StringBuilder();
      for (String line : host.split("\n")) {
        if (line.strip().startsWith("nameserver")) servers.append(line.strip()).append('\n');
      }
      Files.createDirectories(ownServers.getParent());
      dev.berth.engine.store.AtomicFiles.replace(
          ownServers, servers.toString().getBytes(StandardCharsets.UTF_8));
    }
    StringBuilder sb = new StringBuilder();
    if (gateways.isEmpty()) {
      sb.append(host);
    } else {
      for (String g : gateways) sb.append("nameserver ").append(g).append('\n');
      for (String line : host.split("\n")) {
        if (!line.strip().startsWith("nameserver") && !line.isBlank()) sb.append(line).append('\n');
      }
    }
    if (sb.toString().equals(now)) return;
    Files.writeString(
        file,
        sb,
        StandardCharsets.UTF_8,
        StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING);
  }

  /** container:NAME shares NAME's hosts and resolv.conf, as docker does. */
  private void copyEtcFrom(ContainerRecord r, String otherRef) throws BerthException {
    ContainerRecord other = engine.containers().resolve(otherRef);
    Path from = engine.layout(other.id()).dir();
    Path to = engine.layout(r.id()).dir();
    try {
      for (String f : List.of("hosts", "resolv.conf")) {
        if (Files.exists(from.resolve(f)) && Files.exists(to.resolve(f))) {
          Files.write(
              to.resolve(f),
              Files.readAllBytes(from.resolve(f)),
              StandardOpenOption.WRITE,
              StandardOpenOption.TRUNCATE_EXISTING);
        }
      }
    } catch (IOException e) {
      throw EngineException.internal(
          "copy the etc files of container " + other.shortId() + ": " + e.getMessage(), e);
    }
  }

  // ---- recovery ----

  /**
   * After a reboot (the run root is new) or a wiped run root: containers whose monitors are gone
   * are reconciled (their release tears their networking down), then what no live container owns is
   * swept (leases, veths, rules, cache entries, pins: {@link NetworkCleanup#recover}). A marker in
   * the run root makes every later open pay one stat; a store that never had a network skips the
   * sweep.
   */
  void recoverIfNeeded() throws BerthException {
    Path marker = engine.config().runRoot().resolve("network.recovered");
    if (Files.exists(marker)) return;
    try (LockFile held =
        LockFile.acquire(engine.config().runRoot().resolve("network.recover.lock"))) {
      if (Files.exists(marker)) return;
      Path root = engine.config().root();
      boolean any =
          nonEmpty(root.resolve("networks"))
              || nonEmpty(root.resolve("cni/cache/results"))
              || nonEmpty(engine.config().runRoot().resolve("netns"));
      if (any) {
        Set<String> live = new HashSet<>();
        for (ContainerRecord r : engine.list()) {
          Status s = r.state().status();
          if (s == Status.RUNNING || s == Status.PAUSED) live.add(r.id());
        }
        // Pods whose network namespace is still pinned keep their attachment.
        live.addAll(engine.pods().liveIds());
        cleanup().recover(live);
      }
      Files.write(marker, new byte[0]);
    } catch (IOException e) {
      throw EngineException.internal("recover the networks: " + e.getMessage(), e);
    }
  }

  private static boolean nonEmpty(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) return false;
    try (var s = Files.list(dir)) {
      return s.findAny().isPresent();
    }
  }

  // ---- helpers ----

  LockFile lock() throws IOException {
    return LockFile.acquire(engine.config().runRoot().resolve("network.lock"));
  }

  private static Set<String> networksOf(List<Endpoint> endpoints) {
    Set<String> out = new HashSet<>();
    for (Endpoint e : endpoints) out.add(e.network());
    return out;
  }

  private static Map<String, String> with(Map<String, String> extras, Map<String, String> more) {
    Map<String, String> m = new LinkedHashMap<>(extras);
    m.putAll(more);
    return m;
  }

  private static Map<String, String> without(Map<String, String> extras, String... keys) {
    Map<String, String> m = new LinkedHashMap<>(extras);
    for (String k : keys) m.remove(k);
    return m;
  }
}
