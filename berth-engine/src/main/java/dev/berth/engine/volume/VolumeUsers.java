package dev.berth.engine.volume;

import dev.berth.spec.error.BerthException;
import java.util.List;
import java.util.Map;

/**
 * Who uses which volume: volume name to container ids. The volume store cannot know containers; the
 * engine passes {@code containerStore::volumeUsers}.
 */
@FunctionalInterface
public interface VolumeUsers {
  Map<String, List<String>> usersByVolume() throws BerthException;
}
