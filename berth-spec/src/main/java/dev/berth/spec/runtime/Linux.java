package dev.berth.spec.runtime;

import java.util.List;
import java.util.Map;

/**
 * Linux-specific configuration. {@code resources}, {@code seccomp}, {@code personality} and {@code
 * memoryPolicy} are null when absent.
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
  }

  /** Without a memory policy. */
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
        null);
  }
}
