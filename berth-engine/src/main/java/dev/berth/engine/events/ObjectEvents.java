package dev.berth.engine.events;

import java.util.Map;

/**
 * Where the stores of images, volumes and networks report what happened to their objects (docker's
 * image, volume and network events); the engine writes them to its event log beside the containers'
 * own.
 */
@FunctionalInterface
public interface ObjectEvents {
  ObjectEvents NONE = (type, action, id, attributes) -> {};

  /**
   * @param type {@link Event#IMAGE}, {@link Event#VOLUME} or {@link Event#NETWORK}
   * @param action docker's word (pull, tag, untag, delete, import, load, save, push; create,
   *     destroy; connect, disconnect)
   * @param id the object's id (a volume's name, an image reference for pull and push)
   * @param attributes docker's (name, driver, type, container)
   */
  void emit(String type, String action, String id, Map<String, String> attributes);
}
