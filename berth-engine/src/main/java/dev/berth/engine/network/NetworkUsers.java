package dev.berth.engine.network;

import dev.berth.spec.error.BerthException;
import java.util.List;
import java.util.Map;

/**
 * Who uses which network: network name to container ids. The network store cannot know containers;
 * the engine passes the container store's answer (as {@link dev.berth.engine.volume.VolumeUsers}
 * for volumes).
 */
@FunctionalInterface
public interface NetworkUsers {
  Map<String, List<String>> usersByNetwork() throws BerthException;
}
