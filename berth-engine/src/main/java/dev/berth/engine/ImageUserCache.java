package dev.berth.engine;

import dev.berth.engine.spec.ImageUsers;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The passwd and group files of the images containers were last created from, by the top chain id
 * of their layers: a create that finds its image here checks its user without mounting the image.
 * Bounded in entries and in the size of each (an image's files are input: a huge passwd is read
 * again, not kept).
 */
final class ImageUserCache {
  static final int MAX_ENTRIES = 32;
  static final int MAX_BYTES = 64 << 10;

  private final Map<String, ImageUsers.UserFiles> byChain =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, ImageUsers.UserFiles> eldest) {
          return size() > MAX_ENTRIES;
        }
      };

  synchronized ImageUsers.UserFiles get(String chainId) {
    return byChain.get(chainId);
  }

  synchronized void put(String chainId, ImageUsers.UserFiles files) {
    if (files.size() <= MAX_BYTES) byChain.put(chainId, files);
  }
}
