package dev.berth.engine.pod;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a pod is asked to be: the CRI's PodSandboxConfig as values (plus the CNI network to join).
 * Null or empty means "not given".
 *
 * @param name the pod's name (metadata.name), required
 * @param uid its uid (metadata.uid), required
 * @param namespace its Kubernetes namespace (metadata.namespace), required
 * @param attempt the attempt number (metadata.attempt)
 * @param hostname the hostname in its uts namespace; null: the host's (as containerd)
 * @param logDirectory where its containers' logs go (their log paths are relative to it), or null
 * @param dns its /etc/resolv.conf; null: the host's
 * @param portMappings host ports forwarded to the pod (through CNI's portmap)
 * @param labels labels (ListPodSandbox filters on them)
 * @param annotations annotations, kept
 * @param cgroupParent the cgroup its containers go under (kubelet's pod cgroup); null: one the
 *     engine makes and removes, {@code berth-pod-<id12>} under its default
 * @param sysctls sysctls written in the pod's namespaces (net.* in its network namespace, the ipc
 *     ones in its ipc namespace)
 * @param namespaces which namespaces the pod has of its own
 * @param runtimeHandler the runtime handler its containers run on; null: the engine's default
 * @param security the pod-level security context
 * @param network the CNI network (a berth network's name) its namespace is attached to; null: the
 *     engine's default network
 */
public record PodConfig(
    String name,
    String uid,
    String namespace,
    int attempt,
    String hostname,
    String logDirectory,
    Dns dns,
    List<PortMapping> portMappings,
    Map<String, String> labels,
    Map<String, String> annotations,
    String cgroupParent,
    Map<String, String> sysctls,
    NamespaceOptions namespaces,
    String runtimeHandler,
    Security security,
    String network) {
  public PodConfig {
    portMappings = portMappings == null ? List.of() : List.copyOf(portMappings);
    labels = labels == null ? Map.of() : Map.copyOf(labels);
    annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
    sysctls =
        sysctls == null
            ? Map.of()
            : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(sysctls));
    namespaces = namespaces == null ? NamespaceOptions.POD : namespaces;
    security = security == null ? Security.NONE : security;
    hostname = hostname == null || hostname.isEmpty() ? null : hostname;
    logDirectory = logDirectory == null || logDirectory.isEmpty() ? null : logDirectory;
    cgroupParent = cgroupParent == null || cgroupParent.isEmpty() ? null : cgroupParent;
    runtimeHandler = runtimeHandler == null || runtimeHandler.isEmpty() ? null : runtimeHandler;
    network = network == null || network.isEmpty() ? null : network;
  }

  /**
   * The hostname its containers see: its own, else the host's, as containerd does (kubelet always
   * sets one; a pod name can be longer than a hostname may be).
   */
  public String hostnameOrHost() {
    return hostname != null ? hostname : dev.berth.engine.spec.HostFacts.current().hostname();
  }

  /** A pod named {@code name} in {@code namespace} with every other field unset. */
  public static PodConfig of(String name, String uid, String namespace) {
    return new PodConfig(
        name, uid, namespace, 0, null, null, null, null, null, null, null, null, null, null, null,
        null);
  }

  /** The CRI's unique name of a pod: {@code name_namespace_uid_attempt}, as kubelet makes it. */
  public String fullName() {
    return name + "_" + namespace + "_" + uid + "_" + attempt;
  }

  /** resolv.conf's nameservers, search domains and options. */
  public record Dns(List<String> servers, List<String> searches, List<String> options) {
    public Dns {
      servers = servers == null ? List.of() : List.copyOf(servers);
      searches = searches == null ? List.of() : List.copyOf(searches);
      options = options == null ? List.of() : List.copyOf(options);
    }
  }

  /**
   * A host port forwarded to the pod.
   *
   * @param protocol tcp, udp or sctp
   * @param hostIp the host address it is bound to; "" every one
   */
  public record PortMapping(String protocol, int containerPort, int hostPort, String hostIp) {
    public PortMapping {
      protocol =
          protocol == null || protocol.isEmpty()
              ? "tcp"
              : protocol.toLowerCase(java.util.Locale.ROOT);
      hostIp = hostIp == null ? "" : hostIp;
    }
  }

  /**
   * The CRI's NamespaceMode: POD (the pod's), CONTAINER (the container's own), NODE (the host's).
   */
  public enum Mode {
    POD,
    CONTAINER,
    NODE
  }

  /**
   * The CRI's NamespaceOption of a pod. The uts namespace follows the network's: the host's for
   * NODE, else the pod's.
   *
   * @param network POD or NODE
   * @param pid POD (its containers share one), CONTAINER (each its own) or NODE
   * @param ipc POD or NODE
   */
  public record NamespaceOptions(Mode network, Mode pid, Mode ipc, UserNamespace userns) {
    /** Kubernetes' default: network and ipc the pod's, a pid namespace per container. */
    public static final NamespaceOptions POD =
        new NamespaceOptions(Mode.POD, Mode.CONTAINER, Mode.POD);

    public NamespaceOptions {
      network = network == null ? Mode.POD : network;
      pid = pid == null ? Mode.CONTAINER : pid;
      ipc = ipc == null ? Mode.POD : ipc;
    }

    /** In the host's user namespace. */
    public NamespaceOptions(Mode network, Mode pid, Mode ipc) {
      this(network, pid, ipc, null);
    }
  }

  /**
   * A user namespace of the pod's own (the CRI's userns_options with mode POD: Kubernetes' {@code
   * hostUsers: false}), owning its network, ipc and uts namespaces (and pid when shared).
   *
   * @param uids its uid_map, as the OCI spec's linux.uidMappings
   * @param gids its gid_map
   */
  public record UserNamespace(
      List<dev.berth.spec.runtime.IdMapping> uids, List<dev.berth.spec.runtime.IdMapping> gids) {
    public UserNamespace {
      uids = List.copyOf(uids);
      gids = List.copyOf(gids);
    }
  }

  /**
   * The pod-level security context (LinuxSandboxSecurityContext): what the pod's own namespaces
   * need; containers carry their own.
   */
  public record Security(
      boolean privileged, Long runAsUser, Long runAsGroup, boolean readonlyRootfs) {
    public static final Security NONE = new Security(false, null, null, false);
  }
}
