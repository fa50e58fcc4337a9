package dev.berth.api.cri;

import dev.berth.api.cri.v1.ContainerConfig;
import dev.berth.api.cri.v1.HugepageLimit;
import dev.berth.api.cri.v1.KeyValue;
import dev.berth.api.cri.v1.LinuxContainerResources;
import dev.berth.api.cri.v1.LinuxContainerSecurityContext;
import dev.berth.api.cri.v1.LinuxSandboxSecurityContext;
import dev.berth.api.cri.v1.NamespaceMode;
import dev.berth.api.cri.v1.NamespaceOption;
import dev.berth.api.cri.v1.PodSandboxConfig;
import dev.berth.api.cri.v1.PortMapping;
import dev.berth.api.cri.v1.SecurityProfile;
import dev.berth.api.cri.v1.SupplementalGroupsPolicy;
import dev.berth.api.cri.v1.UserNamespace;
import dev.berth.engine.pod.PodConfig;
import dev.berth.engine.pod.PodConfig.Mode;
import dev.berth.engine.pod.PodContainerConfig;
import dev.berth.spec.runtime.IdMapping;
import io.grpc.StatusRuntimeException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The CRI's configs made the engine's values ({@link PodConfig}, {@link PodContainerConfig}) and
 * back, with containerd's checks: what is missing or cannot be made one is INVALID_ARGUMENT naming
 * the request's field.
 */
final class CriConfigs {
  private CriConfigs() {}

  /** RunPodSandbox's config and runtime handler as a {@link PodConfig}. */
  static PodConfig pod(PodSandboxConfig c, String runtimeHandler) {
    if (!c.hasMetadata()) throw CriCalls.invalid("config.metadata: required");
    var m = c.getMetadata();
    required(m.getName(), "config.metadata.name");
    required(m.getUid(), "config.metadata.uid");
    required(m.getNamespace(), "config.metadata.namespace");
    var linux = c.getLinux();
    LinuxSandboxSecurityContext sc = linux.getSecurityContext();
    NamespaceOption ns = sc.getNamespaceOptions();
    String f = "config.linux.security_context.namespace_options.";
    Mode net = mode(ns.getNetwork(), f + "network");
    Mode pid = mode(ns.getPid(), f + "pid");
    Mode ipc = mode(ns.getIpc(), f + "ipc");
    PodConfig.UserNamespace userns = podUserns(ns, f + "userns_options");
    mergedGroups(sc.getSupplementalGroupsPolicy(), "config.linux.security_context");
    if (net == Mode.CONTAINER) throw CriCalls.invalid(f + "network: CONTAINER is not a pod's mode");
    if (ipc == Mode.CONTAINER) throw CriCalls.invalid(f + "ipc: CONTAINER is not a pod's mode");
    PodConfig.Dns dns = null;
    if (c.hasDnsConfig()) {
      var d = c.getDnsConfig();
      dns = new PodConfig.Dns(d.getServersList(), d.getSearchesList(), d.getOptionsList());
    }
    List<PodConfig.PortMapping> ports = new ArrayList<>();
    for (PortMapping p : c.getPortMappingsList()) {
      if (p.getContainerPort() <= 0 || p.getContainerPort() > 65535)
        throw CriCalls.invalid(
            "config.port_mappings: container_port " + p.getContainerPort() + " is out of range");
      ports.add(
          new PodConfig.PortMapping(
              p.getProtocol().name().toLowerCase(Locale.ROOT),
              p.getContainerPort(),
              p.getHostPort(),
              p.getHostIp()));
    }
    PodConfig.Security security =
        new PodConfig.Security(
            sc.getPrivileged(),
            sc.hasRunAsUser() ? sc.getRunAsUser().getValue() : null,
            sc.hasRunAsGroup() ? sc.getRunAsGroup().getValue() : null,
            sc.getReadonlyRootfs());
    return new PodConfig(
        m.getName(),
        m.getUid(),
        m.getNamespace(),
        m.getAttempt(),
        c.getHostname(),
        c.getLogDirectory(),
        dns,
        ports,
        c.getLabelsMap(),
        c.getAnnotationsMap(),
        linux.getCgroupParent(),
        new LinkedHashMap<>(linux.getSysctlsMap()),
        new PodConfig.NamespaceOptions(net, pid, ipc, userns),
        runtimeHandler,
        security,
        null);
  }

  /** CreateContainer's config as a {@link PodContainerConfig}. */
  static PodContainerConfig container(ContainerConfig c) {
    if (!c.hasMetadata()) throw CriCalls.invalid("config.metadata: required");
    required(c.getMetadata().getName(), "config.metadata.name");
    required(c.getImage().getImage(), "config.image.image");
    List<String> env = new ArrayList<>();
    for (KeyValue kv : c.getEnvsList()) {
      required(kv.getKey(), "config.envs.key");
      env.add(kv.getKey() + "=" + kv.getValue());
    }
    List<PodContainerConfig.Mount> mounts = new ArrayList<>();
    for (var m : c.getMountsList()) {
      // UNIMPLEMENTED, as critest reads a runtime without image volumes (it skips then).
      if (m.hasImage() && !m.getImage().getImage().isEmpty())
        throw CriCalls.unsupported(
            "config.mounts: image volume " + m.getImage().getImage() + " is not supported");
      required(m.getContainerPath(), "config.mounts.container_path");
      required(m.getHostPath(), "config.mounts.host_path");
      PodContainerConfig.Propagation p =
          switch (m.getPropagation()) {
            case PROPAGATION_HOST_TO_CONTAINER -> PodContainerConfig.Propagation.HOST_TO_CONTAINER;
            case PROPAGATION_BIDIRECTIONAL -> PodContainerConfig.Propagation.BIDIRECTIONAL;
            default -> PodContainerConfig.Propagation.PRIVATE;
          };
      // Id-mapped: checked against the pod's user namespace at create (checkUserns).
      mounts.add(
          new PodContainerConfig.Mount(
              m.getContainerPath(),
              m.getHostPath(),
              m.getReadonly(),
              p,
              m.getRecursiveReadOnly(),
              m.getUidMappingsCount() > 0 || m.getGidMappingsCount() > 0));
    }
    // A device named for a CDI spec: berth resolves none, and a container without the device it
    // was scheduled for (a GPU) fails later and less clearly.
    if (c.getCDIDevicesCount() > 0)
      throw CriCalls.unsupported(
          "config.CDI_devices: "
              + c.getCDIDevices(0).getName()
              + ": CDI devices are not supported (devices by host path are)");
    List<PodContainerConfig.Device> devices = new ArrayList<>();
    for (var d : c.getDevicesList()) {
      required(d.getHostPath(), "config.devices.host_path");
      devices.add(
          new PodContainerConfig.Device(
              d.getContainerPath().isEmpty() ? d.getHostPath() : d.getContainerPath(),
              d.getHostPath(),
              d.getPermissions().isEmpty() ? "rwm" : d.getPermissions()));
    }
    LinuxContainerSecurityContext sc = c.getLinux().getSecurityContext();
    String f = "config.linux.security_context.";
    Mode pid = null;
    if (sc.hasNamespaceOptions()) {
      NamespaceMode m = sc.getNamespaceOptions().getPid();
      pid = mode(m, f + "namespace_options.pid");
    }
    PodContainerConfig.Seccomp seccomp = seccomp(sc, f + "seccomp");
    noAppArmorProfile(sc, f + "apparmor");
    mergedGroups(sc.getSupplementalGroupsPolicy(), "config.linux.security_context");
    PodContainerConfig.Security security =
        new PodContainerConfig.Security(
            sc.hasRunAsUser() ? sc.getRunAsUser().getValue() : null,
            sc.hasRunAsGroup() ? sc.getRunAsGroup().getValue() : null,
            sc.getRunAsUsername(),
            sc.getSupplementalGroupsList(),
            caps(sc.getCapabilities().getAddCapabilitiesList()),
            caps(sc.getCapabilities().getDropCapabilitiesList()),
            sc.getPrivileged(),
            sc.getReadonlyRootfs(),
            sc.getNoNewPrivs(),
            seccomp,
            sc.getMaskedPathsCount() == 0 ? null : sc.getMaskedPathsList(),
            sc.getReadonlyPathsCount() == 0 ? null : sc.getReadonlyPathsList(),
            pid);
    return new PodContainerConfig(
        c.getMetadata().getName(),
        c.getMetadata().getAttempt(),
        c.getImage().getImage(),
        c.getCommandList(),
        c.getArgsList(),
        c.getWorkingDir(),
        env,
        mounts,
        devices,
        c.getLabelsMap(),
        c.getAnnotationsMap(),
        c.getLogPath(),
        c.getStdin(),
        c.getStdinOnce(),
        c.getTty(),
        security,
        resources(c.getLinux().getResources(), "config.linux.resources"));
  }

  /** LinuxContainerResources as the engine's; {@code field} names them in errors. */
  static PodContainerConfig.Resources resources(LinuxContainerResources r, String field) {
    if (r.getMemoryLimitInBytes() < 0)
      throw CriCalls.invalid(
          field + ".memory_limit_in_bytes: " + r.getMemoryLimitInBytes() + " is negative");
    long swap = r.getMemorySwapLimitInBytes();
    if (swap < 0)
      throw CriCalls.invalid(field + ".memory_swap_limit_in_bytes: " + swap + " is negative");
    // Memory and swap together, as cgroup v1's memsw: at or above the memory limit, and only with
    // one.
    if (swap > 0 && (r.getMemoryLimitInBytes() == 0 || swap < r.getMemoryLimitInBytes()))
      throw CriCalls.invalid(
          field
              + ".memory_swap_limit_in_bytes: "
              + swap
              + " (memory and swap together) needs a memory_limit_in_bytes at or below it (got "
              + r.getMemoryLimitInBytes()
              + ")");
    if (r.getCpuShares() < 0)
      throw CriCalls.invalid(field + ".cpu_shares: " + r.getCpuShares() + " is negative");
    if (r.getCpuPeriod() < 0)
      throw CriCalls.invalid(field + ".cpu_period: " + r.getCpuPeriod() + " is negative");
    if (r.getOomScoreAdj() < -1000 || r.getOomScoreAdj() > 1000)
      throw CriCalls.invalid(
          field + ".oom_score_adj: " + r.getOomScoreAdj() + " is not in -1000..1000");
    Map<String, Long> hugepages = new LinkedHashMap<>();
    for (HugepageLimit h : r.getHugepageLimitsList()) hugepages.put(h.getPageSize(), h.getLimit());
    return new PodContainerConfig.Resources(
        r.getCpuPeriod(),
        r.getCpuQuota(),
        r.getCpuShares(),
        r.getCpusetCpus().isEmpty() ? null : r.getCpusetCpus(),
        r.getCpusetMems().isEmpty() ? null : r.getCpusetMems(),
        r.getMemoryLimitInBytes(),
        r.getMemorySwapLimitInBytes(),
        r.getOomScoreAdj() == 0 ? null : (int) r.getOomScoreAdj(),
        hugepages,
        r.getUnifiedMap());
  }

  /** The CRI's capability names ("NET_ADMIN" or "CAP_NET_ADMIN", "ALL") as docker's. */
  private static List<String> caps(List<String> names) {
    List<String> out = new ArrayList<>();
    for (String n : names) {
      String up = n.toUpperCase(Locale.ROOT);
      out.add(up.startsWith("CAP_") ? up.substring(4) : up);
    }
    return out;
  }

  private static PodContainerConfig.Seccomp seccomp(
      LinuxContainerSecurityContext sc, String field) {
    if (sc.hasSeccomp()) {
      SecurityProfile p = sc.getSeccomp();
      return switch (p.getProfileType()) {
        case RuntimeDefault -> new PodContainerConfig.Seccomp(Seccomp.RUNTIME_DEFAULT, null);
        case Unconfined -> new PodContainerConfig.Seccomp(Seccomp.UNCONFINED, null);
        case Localhost -> {
          if (p.getLocalhostRef().isEmpty())
            throw CriCalls.invalid(field + ".localhost_ref: required for a Localhost profile");
          yield new PodContainerConfig.Seccomp(Seccomp.LOCALHOST, p.getLocalhostRef());
        }
        default -> throw CriCalls.invalid(field + ".profile_type: unknown");
      };
    }
    // The deprecated path: "runtime/default", "unconfined", "localhost/<path>".
    String path = sc.getSeccompProfilePath();
    if (path.isEmpty() || path.equals("unconfined")) return null;
    if (path.equals("runtime/default") || path.equals("docker/default"))
      return new PodContainerConfig.Seccomp(Seccomp.RUNTIME_DEFAULT, null);
    if (path.startsWith("localhost/"))
      return new PodContainerConfig.Seccomp(
          Seccomp.LOCALHOST, path.substring("localhost".length()));
    throw CriCalls.invalid(field + "_profile_path: " + path + " is not a profile");
  }

  /**
   * A pod's userns_options: null for the host's (unset or NODE), the maps for POD (Kubernetes'
   * {@code hostUsers: false}); CONTAINER and TARGET are not a pod's modes (containerd's answer).
   * The mappings' rules are the engine's (Pods).
   */
  private static PodConfig.UserNamespace podUserns(NamespaceOption ns, String field) {
    if (!ns.hasUsernsOptions()) return null;
    UserNamespace u = ns.getUsernsOptions();
    return switch (u.getMode()) {
      case NODE -> null;
      case POD -> new PodConfig.UserNamespace(mappings(u.getUidsList()), mappings(u.getGidsList()));
      default ->
          throw CriCalls.invalid(field + ".mode: " + u.getMode() + " is not supported (POD is)");
    };
  }

  /** A pod's user namespace as PodSandboxStatus shows it: NODE, or POD with its mappings. */
  static UserNamespace usernsOptions(PodConfig.UserNamespace u) {
    if (u == null) return UserNamespace.newBuilder().setMode(NamespaceMode.NODE).build();
    UserNamespace.Builder b = UserNamespace.newBuilder().setMode(NamespaceMode.POD);
    for (IdMapping m : u.uids()) b.addUids(idMapping(m));
    for (IdMapping m : u.gids()) b.addGids(idMapping(m));
    return b.build();
  }

  private static dev.berth.api.cri.v1.IDMapping idMapping(IdMapping m) {
    return dev.berth.api.cri.v1.IDMapping.newBuilder()
        .setContainerId((int) m.containerID())
        .setHostId((int) m.hostID())
        .setLength((int) m.size())
        .build();
  }

  private static List<IdMapping> mappings(List<dev.berth.api.cri.v1.IDMapping> list) {
    List<IdMapping> out = new ArrayList<>();
    for (var m : list)
      out.add(
          new IdMapping(
              Integer.toUnsignedLong(m.getContainerId()),
              Integer.toUnsignedLong(m.getHostId()),
              Integer.toUnsignedLong(m.getLength())));
    return out;
  }

  /**
   * CreateContainer's user namespace against its pod's: the container's userns_options, when given,
   * must say what the pod has (the kubelet sends the pod's), and an id-mapped mount's maps must be
   * the pod's, the only ones its user namespace can show.
   */
  static void checkUserns(ContainerConfig c, PodConfig.UserNamespace pod) {
    String f = "config.linux.security_context.namespace_options.userns_options";
    NamespaceOption ns = c.getLinux().getSecurityContext().getNamespaceOptions();
    if (ns.hasUsernsOptions()) {
      UserNamespace u = ns.getUsernsOptions();
      switch (u.getMode()) {
        case NODE -> {
          if (pod != null)
            throw CriCalls.invalid(f + ".mode: NODE in a pod with a user namespace of its own");
        }
        case POD -> {
          if (pod == null)
            throw CriCalls.invalid(f + ".mode: POD in a pod without a user namespace");
          if ((u.getUidsCount() > 0 || u.getGidsCount() > 0)
              && (!mappings(u.getUidsList()).equals(pod.uids())
                  || !mappings(u.getGidsList()).equals(pod.gids())))
            throw CriCalls.invalid(f + ": the mappings differ from the pod's");
        }
        default ->
            throw CriCalls.invalid(f + ".mode: " + u.getMode() + " is not supported (POD is)");
      }
    }
    for (var m : c.getMountsList()) {
      if (m.getUidMappingsCount() == 0 && m.getGidMappingsCount() == 0) continue;
      String at = "config.mounts: " + m.getContainerPath();
      if (pod == null)
        throw CriCalls.invalid(at + ": uidMappings/gidMappings need a pod with a user namespace");
      if (!mappings(m.getUidMappingsList()).equals(pod.uids())
          || !mappings(m.getGidMappingsList()).equals(pod.gids()))
        throw CriCalls.invalid(
            at + ": uidMappings/gidMappings differ from the pod's user namespace mappings");
    }
  }

  /**
   * Only Merge (the image's /etc/group memberships of the user join its supplemental groups):
   * Strict asks for fewer groups than berth would give, so it is refused ({@code Status} does not
   * claim it, so the kubelet does not ask).
   */
  private static void mergedGroups(SupplementalGroupsPolicy policy, String context) {
    if (policy != SupplementalGroupsPolicy.Merge)
      throw CriCalls.unsupported(
          context + ".supplemental_groups_policy: " + policy + " is not supported (Merge is)");
  }

  /**
   * berth applies no AppArmor profile: a container that asks for one (the runtime's default or a
   * named one) is refused, as containerd refuses it where AppArmor is off ("apparmor is not
   * supported"), rather than run unconfined; unset and Unconfined are fine.
   */
  private static void noAppArmorProfile(LinuxContainerSecurityContext sc, String field) {
    String asked;
    if (sc.hasApparmor()) {
      SecurityProfile p = sc.getApparmor();
      if (p.getProfileType() == SecurityProfile.ProfileType.Unconfined) return;
      asked =
          p.getProfileType() == SecurityProfile.ProfileType.Localhost
              ? "Localhost " + p.getLocalhostRef()
              : p.getProfileType().name();
    } else {
      asked = sc.getApparmorProfile();
      if (asked.isEmpty() || asked.equals("unconfined")) return;
      field = field + "_profile";
    }
    throw CriCalls.unsupported(field + ": " + asked + ": apparmor is not supported");
  }

  private static final class Seccomp {
    static final PodContainerConfig.Seccomp.Kind RUNTIME_DEFAULT =
        PodContainerConfig.Seccomp.Kind.RUNTIME_DEFAULT;
    static final PodContainerConfig.Seccomp.Kind UNCONFINED =
        PodContainerConfig.Seccomp.Kind.UNCONFINED;
    static final PodContainerConfig.Seccomp.Kind LOCALHOST =
        PodContainerConfig.Seccomp.Kind.LOCALHOST;
  }

  /** A namespace mode; TARGET (another container's) is refused, naming {@code field}. */
  static Mode mode(NamespaceMode m, String field) {
    return switch (m) {
      case POD -> Mode.POD;
      case CONTAINER -> Mode.CONTAINER;
      case NODE -> Mode.NODE;
      case TARGET -> throw CriCalls.invalid(field + ": TARGET is not supported");
      default -> throw CriCalls.invalid(field + ": unknown mode " + m);
    };
  }

  static NamespaceMode mode(Mode m) {
    return switch (m) {
      case POD -> NamespaceMode.POD;
      case CONTAINER -> NamespaceMode.CONTAINER;
      case NODE -> NamespaceMode.NODE;
    };
  }

  /** LinuxContainerResources of the engine's. */
  static LinuxContainerResources resources(
      dev.berth.engine.container.ContainerOptions.ResourceOptions r, Integer oomScoreAdj) {
    LinuxContainerResources.Builder b =
        LinuxContainerResources.newBuilder()
            .setCpuPeriod(r.cpuPeriod())
            .setCpuQuota(r.cpuQuota())
            .setCpuShares(r.cpuShares())
            .setMemoryLimitInBytes(r.memory())
            .setCpusetCpus(r.cpusetCpus() == null ? "" : r.cpusetCpus())
            .setCpusetMems(r.cpusetMems() == null ? "" : r.cpusetMems());
    if (oomScoreAdj != null) b.setOomScoreAdj(oomScoreAdj);
    for (Map.Entry<String, Long> e : r.hugepageLimits().entrySet())
      b.addHugepageLimits(
          HugepageLimit.newBuilder().setPageSize(e.getKey()).setLimit(e.getValue()));
    b.putAllUnified(r.unified());
    return b.build();
  }

  static void required(String value, String field) throws StatusRuntimeException {
    if (value == null || value.isEmpty()) throw CriCalls.invalid(field + ": required");
  }

  /** Nanoseconds since the epoch, 0 for none. */
  static long nanos(Instant t) {
    return t == null ? 0 : t.getEpochSecond() * 1_000_000_000L + t.getNano();
  }
}
