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
 * are not claimed: the kubelet then refuses pods that need them rather than running them without.
 */
final class CriRuntimeHandlers {
  private CriRuntimeHandlers() {}

  static List<RuntimeHandler> of(Engine engine) {
    boolean rro = mountSetattr();
    List<RuntimeHandler> out = new ArrayList<>();
    out.add(handler("", rro)); // the default: berth's own
    for (String name : engine.runtimes().names()) out.add(handler(name, rro && isBerth(name)));
    return out;
  }

  private static RuntimeHandler handler(String name, boolean rro) {
    return RuntimeHandler.newBuilder()
        .setName(name)
        .setFeatures(RuntimeHandlerFeatures.newBuilder().setRecursiveReadOnlyMounts(rro))
        .build();
  }

  private static boolean isBerth(String handler) {
    return handler.equals(RuntimeHandlers.DEFAULT);
  }

  /** Whether the kernel has mount_setattr(2), which recursive read-only mounts need. */
  static boolean mountSetattr() {
    String[] v = HostFacts.current().kernelRelease().split("[.-]");
    try {
      int major = Integer.parseInt(v[0]);
      int minor = v.length > 1 ? Integer.parseInt(v[1]) : 0;
      return major > 5 || major == 5 && minor >= 12;
    } catch (NumberFormatException e) {
      return false;
    }
  }
}
