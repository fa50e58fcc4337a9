package dev.berth.api.cri;

import dev.berth.api.cri.v1.RuntimeHandler;
import dev.berth.engine.Engine;
import java.util.ArrayList;
import java.util.List;

/**
 * Status' {@code runtime_handlers}: every handler a RuntimeClass may name (the built-in ones and
 * the configuration file's), and the default once more under the empty name, as containerd lists
 * them. No features are claimed (recursive read-only mounts, user namespaces): the kubelet then
 * refuses pods that need them rather than running them without.
 */
final class CriRuntimeHandlers {
  private CriRuntimeHandlers() {}

  static List<RuntimeHandler> of(Engine engine) {
    List<RuntimeHandler> out = new ArrayList<>();
    out.add(RuntimeHandler.newBuilder().setName("").build());
    for (String name : engine.runtimes().names()) {
      out.add(RuntimeHandler.newBuilder().setName(name).build());
    }
    return out;
  }
}
