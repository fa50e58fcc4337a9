package dev.berth.engine.network;

import static dev.berth.sys.LinuxConstants.O_DIRECTORY;
import static dev.berth.sys.LinuxConstants.O_RDONLY;

import dev.berth.engine.network.cni.NetworkConfigList;
import dev.berth.engine.store.AtomicFiles;
import dev.berth.engine.store.ContainerNames;
import dev.berth.engine.store.StoreErrors;
import dev.berth.image.dirs.Directories;
import dev.berth.image.dirs.LockFile;
import dev.berth.image.dirs.PrivateDirs;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.json.SpecException;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Bridge networks under an engine root, one CNI conflist each, generated here ({@link
 * BridgeConfList}):
 *
 * <pre>
 * &lt;root&gt;/networks.lock                 flock: one writer at a time
 * &lt;root&gt;/networks/&lt;name&gt;.conflist      the network: plugins and berth's metadata, replaced atomically
 * &lt;root&gt;/cni/ipam/&lt;name&gt;/              host-local's leases (its dataDir)
 * &lt;root&gt;/cni/cache/results/            the CNI result cache (see ResultCache)
 * </pre>
 *
 * The default network {@value #DEFAULT_NETWORK} (bridge {@value #DEFAULT_BRIDGE}) is made on first
 * use with the first of {@link #DEFAULT_SUBNETS} that neither the host routes nor another network
 * uses; user networks get the next free /24 of {@value #USER_POOL} unless given a subnet. Names and
 * errors are docker's.
 */
public final class NetworkStore {
  public static final String DEFAULT_NETWORK = "berth";

  /**
   * The id shown for docker's pseudo-networks "host" and "none" (modes of a container, no objects
   * of this store), stable across restarts: the Docker API lists them, events name them.
   */
  public static String pseudoNetworkId(String name) {
    byte[] d =
        dev.berth.spec.image.Sha256.digest(
            ("berth pseudo-network " + name).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    return java.util.HexFormat.of().formatHex(d);
  }

  public static final String DEFAULT_BRIDGE = "berth0";

  /**
   * Candidates for the default network: 10.88/16 is podman's, 10.89/16 its user pool, 172.17+
   * docker's; so berth starts at 10.87/16 and walks down.
   */
  public static final List<String> DEFAULT_SUBNETS =
      List.of("10.87.0.0/16", "10.86.0.0/16", "10.85.0.0/16", "10.84.0.0/16");

  /** Where user networks without --subnet get a /24. */
  public static final String USER_POOL = "10.91.0.0/16";

  static final String SUFFIX = ".conflist";

  /** Names no user network may take: the network modes, and the default network's. */
  static final Set<String> PREDEFINED =
      Set.of("bridge", "host", "none", "default", DEFAULT_NETWORK);

  private final Path root;
  private final Path confDir;
  private final Path ipamDir;
  private final Path cacheDir;
  private final Path lock;
  private final NetworkUsers users;
  private final HostRoutes routes;

  private NetworkStore(Path root, NetworkUsers users, HostRoutes routes) {
    this.root = root;
    this.confDir = root.resolve("networks");
    this.ipamDir = root.resolve("cni").resolve("ipam");
    this.cacheDir = root.resolve("cni").resolve("cache");
    this.lock = root.resolve("networks.lock");
    this.users = users;
    this.routes = routes;
  }

  /** The networks of the engine root {@code root}; {@code routes} are the host's, to keep off. */
  public static NetworkStore open(Path root, NetworkUsers users, HostRoutes routes)
      throws BerthException {
    NetworkStore s = new NetworkStore(root.toAbsolutePath(), users, routes);
    try {
      PrivateDirs.ensure(s.root);
      PrivateDirs.ensure(s.confDir);
      PrivateDirs.ensure(s.ipamDir);
      PrivateDirs.ensure(s.cacheDir);
    } catch (IOException e) {
      throw StoreErrors.io("open network store " + root, e);
    }
    return s;
  }

  /** The directory of the conflists (CNI's "conf dir"). */
  public Path confDir() {
    return confDir;
  }

  /**
   * host-local's dataDir: {@code <ipamDir>/<network>/<ip>} holds the container id and interface of
   * a lease.
   */
  public Path ipamDir() {
    return ipamDir;
  }

  /** Where the CNI client caches results. */
  public Path cacheDir() {
    return cacheDir;
  }

  /**
   * What {@link #create} is asked: subnet and gateway empty for "choose"; {@code disableDns}:
   * podman's flag, no name resolution on it.
   */
  public record CreateRequest(
      String name,
      String subnet,
      String gateway,
      Map<String, String> labels,
      boolean internal,
      boolean disableDns) {
    public CreateRequest {
      subnet = subnet == null ? "" : subnet;
      gateway = gateway == null ? "" : gateway;
      labels = labels == null ? Map.of() : Map.copyOf(labels);
    }

    public CreateRequest(
        String name, String subnet, String gateway, Map<String, String> labels, boolean internal) {
      this(name, subnet, gateway, labels, internal, false);
    }

    public static CreateRequest named(String name) {
      return new CreateRequest(name, "", "", Map.of(), false);
    }

    public CreateRequest withDisableDns(boolean disable) {
      return new CreateRequest(name, subnet, gateway, labels, internal, disable);
    }
  }

  /**
   * Creates a bridge network. ALREADY_EXISTS "network with name x already exists"; INVALID_ARGUMENT
   * for a bad name, subnet or gateway; FAILED_PRECONDITION when the subnet overlaps another
   * network's or a host route, or no /24 of the pool is free.
   */
  /** Where network create and destroy events go (the engine's event log). */
  public void reportTo(dev.berth.engine.events.ObjectEvents events) {
    this.events = events;
  }

  private volatile dev.berth.engine.events.ObjectEvents events =
      dev.berth.engine.events.ObjectEvents.NONE;

  private void event(String action, Network n) {
    events.emit(
        dev.berth.engine.events.Event.NETWORK,
        action,
        n.id(),
        Map.of("name", n.name(), "type", n.driver()));
  }

  public Network create(CreateRequest req) throws BerthException {
    checkName(req.name());
    if (PREDEFINED.contains(req.name())) {
      // docker's answer: a user network of such a name would shadow a network mode or become the
      // default network (made on first use under this name) with the creator's settings.
      throw new BerthException(
          ErrorCategory.PERMISSION_DENIED,
          "operation is not permitted on predefined " + req.name() + " network");
    }
    try (LockFile held = LockFile.acquire(lock)) {
      if (readOrNull(req.name()) != null) {
        throw new BerthException(
            ErrorCategory.ALREADY_EXISTS, "network with name " + req.name() + " already exists");
      }
      Network made = createLocked(req.name(), req, nextBridge(), null);
      event("create", made);
      return made;
    } catch (IOException e) {
      throw StoreErrors.io("create network " + req.name(), e);
    }
  }

  /** The default network, created on first use with its own bridge and subnet. */
  public Network defaultNetwork() throws BerthException {
    try {
      Network n = readOrNull(DEFAULT_NETWORK);
      if (n != null) return n;
      try (LockFile held = LockFile.acquire(lock)) {
        n = readOrNull(DEFAULT_NETWORK);
        if (n != null) return n;
        return createLocked(
            DEFAULT_NETWORK, CreateRequest.named(DEFAULT_NETWORK), DEFAULT_BRIDGE, DEFAULT_SUBNETS);
      }
    } catch (IOException e) {
      throw StoreErrors.io("create the default network " + DEFAULT_NETWORK, e);
    }
  }

  /**
   * The network by name, full id or unique id prefix (docker's lookup); NOT_FOUND "network x not
   * found".
   */
  public Network get(String nameOrId) throws BerthException {
    try {
      if (isValidName(nameOrId)) {
        Network n = readOrNull(nameOrId);
        if (n != null) return n;
      }
      Network match = null;
      for (Network n : listNetworks(null)) {
        if (n.id().startsWith(nameOrId) && !nameOrId.isEmpty()) {
          if (n.id().equals(nameOrId)) return n;
          if (match != null) {
            throw new BerthException(
                ErrorCategory.INVALID_ARGUMENT, "network " + nameOrId + " is ambiguous");
          }
          match = n;
        }
      }
      if (match == null) throw notFound(nameOrId);
      return match;
    } catch (IOException e) {
      throw StoreErrors.io("read network " + nameOrId, e);
    }
  }

  /** The network's conflist, to run with the CNI client. */
  public NetworkConfigList configList(String name) throws BerthException {
    Network n = get(name);
    byte[] bytes;
    try {
      bytes = readBytes(n.name());
    } catch (ErrnoException e) {
      throw StoreErrors.io("read network " + n.name(), e);
    }
    if (bytes == null) throw notFound(name);
    try {
      return NetworkConfigList.parse(bytes, file(n.name()).toString());
    } catch (SpecException e) {
      throw new BerthException(
          ErrorCategory.INTERNAL, "invalid network config " + e.getMessage(), e);
    }
  }

  /**
   * The chain a container's ADD runs on {@code n}: made from the network's metadata, so a network
   * an older berth wrote (ipMasq, the firewall plugin) attaches new containers the current way,
   * while its old containers' DEL runs the cached config of their ADD; {@code portmap} only when
   * {@code portMappings}.
   */
  public NetworkConfigList attachConfig(Network n, boolean portMappings) throws BerthException {
    try {
      return NetworkConfigList.parse(
          BridgeConfList.write(n, ipamDir, portMappings), file(n.name()).toString());
    } catch (SpecException e) {
      throw new BerthException(
          ErrorCategory.INTERNAL, "invalid network config " + e.getMessage(), e);
    }
  }

  /**
   * Every network, by name; conflists that cannot be read are skipped and named in {@code
   * unreadable}.
   */
  public List<Network> list(List<String> unreadable) throws BerthException {
    try {
      return listNetworks(unreadable);
    } catch (IOException e) {
      throw StoreErrors.io("list networks in " + confDir, e);
    }
  }

  /**
   * Removes the network and its leases directory. Refused while containers use it
   * (FAILED_PRECONDITION, docker's "error while removing network: network x id y has active
   * endpoints") and for the default network (docker's "... is a pre-defined network and cannot be
   * removed"); NOT_FOUND when there is none.
   */
  public void remove(String nameOrId) throws BerthException {
    Network n = get(nameOrId);
    if (n.name().equals(DEFAULT_NETWORK)) {
      throw new BerthException(
          ErrorCategory.FAILED_PRECONDITION,
          DEFAULT_NETWORK + " is a pre-defined network and cannot be removed");
    }
    try (LockFile held = LockFile.acquire(lock)) {
      if (readOrNull(n.name()) == null) throw notFound(nameOrId);
      List<String> using = users.usersByNetwork().get(n.name());
      if (using != null && !using.isEmpty()) {
        throw new BerthException(
            ErrorCategory.FAILED_PRECONDITION,
            "error while removing network: network "
                + n.name()
                + " id "
                + n.id()
                + " has active endpoints");
      }
      Linux.unlink(file(n.name()).toString());
      Directories.fsync(confDir);
      dev.berth.image.snapshot.Trees.remove(ipamDir.resolve(n.name()));
      event("destroy", n);
    } catch (IOException e) {
      throw StoreErrors.io("remove network " + n.name(), e);
    }
  }

  // ---- internals ----

  private Network createLocked(
      String name, CreateRequest req, String bridge, List<String> candidates)
      throws IOException, BerthException {
    List<Subnet> taken = new ArrayList<>(routes.routed());
    for (Network other : listNetworks(null)) {
      if (!other.subnet().isEmpty()) taken.add(Subnet.parse(other.subnet()));
    }
    Subnet subnet;
    if (!req.subnet().isEmpty()) {
      try {
        subnet = Subnet.parse(req.subnet());
      } catch (IllegalArgumentException e) {
        throw new BerthException(ErrorCategory.INVALID_ARGUMENT, e.getMessage());
      }
      if (subnet.prefix() > 30) {
        throw new BerthException(
            ErrorCategory.INVALID_ARGUMENT,
            "invalid subnet "
                + req.subnet()
                + ": a /30 or larger is needed for a gateway and a container");
      }
      for (Subnet t : taken) {
        if (t.overlaps(subnet)) {
          throw new BerthException(
              ErrorCategory.FAILED_PRECONDITION,
              "subnet " + subnet + " overlaps " + t + ", used by the host or another network");
        }
      }
    } else {
      subnet = candidates != null ? firstFree(candidates, taken) : freeInPool(taken);
    }
    int gw;
    if (!req.gateway().isEmpty()) {
      try {
        gw = Subnet.parseAddress(req.gateway());
      } catch (IllegalArgumentException e) {
        throw new BerthException(
            ErrorCategory.INVALID_ARGUMENT, "invalid gateway: " + e.getMessage());
      }
      int broadcast = subnet.base() | ~Subnet.mask(subnet.prefix());
      if (!subnet.contains(gw) || gw == subnet.base() || gw == broadcast) {
        throw new BerthException(
            ErrorCategory.INVALID_ARGUMENT,
            "gateway " + req.gateway() + " is not a host address" + " of subnet " + subnet);
      }
    } else {
      gw = subnet.firstHost();
    }
    Network n =
        new Network(
            name,
            ContainerNames.randomId(),
            Instant.now(),
            Network.BRIDGE,
            subnet.toString(),
            Subnet.format(gw),
            bridge,
            req.internal(),
            req.labels(),
            !req.disableDns() && !name.equals(DEFAULT_NETWORK));
    AtomicFiles.replace(file(name), BridgeConfList.write(n, ipamDir));
    return n;
  }

  private static Subnet firstFree(List<String> candidates, List<Subnet> taken)
      throws BerthException {
    for (String c : candidates) {
      Subnet s = Subnet.parse(c);
      if (taken.stream().noneMatch(s::overlaps)) return s;
    }
    throw new BerthException(
        ErrorCategory.FAILED_PRECONDITION,
        "no free subnet for the default network: " + candidates + " are all routed on this host");
  }

  private static Subnet freeInPool(List<Subnet> taken) throws BerthException {
    Subnet pool = Subnet.parse(USER_POOL);
    for (int i = 0; i < 1 << (24 - pool.prefix()); i++) {
      Subnet s = pool.child(24, i);
      if (taken.stream().noneMatch(s::overlaps)) return s;
    }
    throw new BerthException(
        ErrorCategory.RESOURCE_EXHAUSTED,
        "no free /24 left in the network pool " + USER_POOL + ": give --subnet");
  }

  /** The smallest berthN (N >= 1) no network uses. */
  private String nextBridge() throws IOException {
    Set<String> used = new HashSet<>();
    for (Network n : listNetworks(null)) used.add(n.bridge());
    for (int i = 1; ; i++) {
      if (!used.contains("berth" + i)) return "berth" + i;
    }
  }

  private List<Network> listNetworks(List<String> unreadable) throws IOException {
    List<Network> out = new ArrayList<>();
    List<String> names;
    try (Fd d = Linux.open(confDir.toString(), O_RDONLY | O_DIRECTORY, 0)) {
      names = Linux.readdir(d);
    }
    names.sort(null);
    for (String f : names) {
      if (!f.endsWith(SUFFIX)) continue;
      String name = f.substring(0, f.length() - SUFFIX.length());
      try {
        Network n = readOrNull(name);
        if (n != null) out.add(n);
      } catch (IOException e) {
        if (unreadable != null) unreadable.add(e.getMessage());
      }
    }
    return out;
  }

  private Network readOrNull(String name) throws IOException {
    byte[] bytes = readBytes(name);
    if (bytes == null) return null;
    try {
      return BridgeConfList.read(bytes, file(name).toString());
    } catch (SpecException e) {
      throw new IOException("unreadable network config " + e.getMessage(), e);
    }
  }

  private byte[] readBytes(String name) throws ErrnoException {
    try (Fd fd = Linux.open(file(name).toString(), O_RDONLY, 0)) {
      return Linux.readAll(fd);
    } catch (ErrnoException e) {
      if (StoreErrors.isMissing(e)) return null;
      throw e;
    }
  }

  private Path file(String name) {
    return confDir.resolve(name + SUFFIX);
  }

  private static void checkName(String name) throws BerthException {
    if (name == null || !isValidName(name)) {
      throw new BerthException(
          ErrorCategory.INVALID_ARGUMENT,
          "invalid network name \""
              + dev.berth.spec.error.Printable.of(name, 140)
              + "\": only \""
              + NAME_CHARS
              + "\" are allowed");
    }
  }

  /**
   * Docker's network names (one character is enough, unlike a container's); bounded, as they name
   * files.
   */
  static final String NAME_CHARS = "[a-zA-Z0-9][a-zA-Z0-9_.-]*";

  static boolean isValidName(String name) {
    return name.length() <= 128 && name.matches(NAME_CHARS);
  }

  private static BerthException notFound(String nameOrId) {
    return new BerthException(
        ErrorCategory.NOT_FOUND,
        "network " + dev.berth.spec.error.Printable.of(nameOrId, 140) + " not found");
  }
}
