package dev.berth.api.cri;

import dev.berth.api.cri.v1.RuntimeHandler;
import dev.berth.api.cri.v1.RuntimeHandlerFeatures;
import dev.berth.engine.Engine;
import dev.berth.engine.spec.HostFacts;
import dev.berth.runtime.driver.RuntimeHandlers;
import java.util.ArrayList;
import java.util.List;

/**
 * Status' {@code runtime_handlers}: every handler a RuntimeClass may name (the built-in ones and
 * the configuration file's), and the default once more under the empty name, as containerd lists
 * them. Recursive read-only mounts are claimed for berth's own runtime on a kernel with
 * mount_setattr (5.12): it makes them; of another runtime binary berth cannot tell. User namespaces
 * (pods with {@code hostUsers: false}) likewise for berth's own runtime on a kernel that idmaps
 * overlayfs' layers (5.19): the kubelet refuses such pods on a handler that does not claim them.
 */
final class CriRuntimeHandlers {
  private CriRuntimeHandlers() {}

  static List<RuntimeHandler> of(Engine engine) {
    boolean rro = kernelAtLeast(5, 12);
    boolean userns = kernelAtLeast(5, 19);
    List<RuntimeHandler> out = new ArrayList<>();
    out.add(handler("", rro, userns)); // the default: berth's own
    for (String name : engine.runtimes().names()) {
      boolean berth = isBerth(name);
      out.add(handler(name, rro && berth, userns && berth));
    }
    return out;
  }

  private static RuntimeHandler handler(String name, boolean rro, boolean userns) {
    return RuntimeHandler.newBuilder()
        .setName(name)
        .setFeatures(
            RuntimeHandlerFeatures.newBuilder()
                .setRecursiveReadOnlyMounts(rro)
                .setUserNamespaces(userns))
        .build();
  }

  private static boolean isBerth(String handler) {
    return handler.equals(RuntimeHandlers.DEFAULT);
  }

  /** Whether the kernel is {@code major.minor} or later. */
  static boolean kernelAtLeast(int wantMajor, int wantMinor) {
    String[] v = HostFacts.current().kernelRelease().split("[.-]");
    try {
      int major = Integer.parseInt(v[0]);
      int minor = v.length > 1 ? Integer.parseInt(v[1]) : 0;
      return major > wantMajor || major == wantMajor && minor >= wantMinor;
    } catch (NumberFormatException e) {
      return false;
    }
  }
}
