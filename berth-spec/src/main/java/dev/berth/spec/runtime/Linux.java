package dev.berth.spec.runtime;

import java.util.List;
import java.util.Map;

/**
 * Linux-specific configuration. {@code resources}, {@code seccomp}, {@code personality} and {@code
 * intelRdt} and {@code memoryPolicy} are null when absent.
 */
public record Linux(
    List<Namespace> namespaces,
    List<IdMapping> uidMappings,
    List<IdMapping> gidMappings,
    Map<String, TimeOffset> timeOffsets,
    List<Device> devices,
    String cgroupsPath,
    Resources resources,
    Map<String, String> sysctl,
    Seccomp seccomp,
    String rootfsPropagation,
    List<String> maskedPaths,
    List<String> readonlyPaths,
    String mountLabel,
    Personality personality,
    Map<String, NetDevice> netDevices,
    IntelRdt intelRdt,
    MemoryPolicy memoryPolicy) {
  public Linux {
    namespaces = Copies.list(namespaces);
    uidMappings = Copies.list(uidMappings);
    gidMappings = Copies.list(gidMappings);
    timeOffsets = Copies.map(timeOffsets);
    devices = Copies.list(devices);
    cgroupsPath = cgroupsPath == null ? "" : cgroupsPath;
    sysctl = Copies.map(sysctl);
    rootfsPropagation = rootfsPropagation == null ? "" : rootfsPropagation;
    maskedPaths = Copies.list(maskedPaths);
    readonlyPaths = Copies.list(readonlyPaths);
    mountLabel = mountLabel == null ? "" : mountLabel;
    netDevices = Copies.map(netDevices);
  }

  /** Without netDevices, intelRdt and a memory policy. */
  public Linux(
      List<Namespace> namespaces,
      List<IdMapping> uidMappings,
      List<IdMapping> gidMappings,
      Map<String, TimeOffset> timeOffsets,
      List<Device> devices,
      String cgroupsPath,
      Resources resources,
      Map<String, String> sysctl,
      Seccomp seccomp,
      String rootfsPropagation,
      List<String> maskedPaths,
      List<String> readonlyPaths,
      String mountLabel,
      Personality personality) {
    this(
        namespaces,
        uidMappings,
        gidMappings,
        timeOffsets,
        devices,
        cgroupsPath,
        resources,
        sysctl,
        seccomp,
        rootfsPropagation,
        maskedPaths,
        readonlyPaths,
        mountLabel,
        personality,
        Map.of(),
        null,
        null);
  }

  /** This configuration with another {@code cgroupsPath}, every other field kept. */
  public Linux withCgroupsPath(String path) {
    return new Linux(
        namespaces,
        uidMappings,
        gidMappings,
        timeOffsets,
        devices,
        path,
        resources,
        sysctl,
        seccomp,
        rootfsPropagation,
        maskedPaths,
        readonlyPaths,
        mountLabel,
        personality,
        netDevices,
        intelRdt,
        memoryPolicy);
  }
}
