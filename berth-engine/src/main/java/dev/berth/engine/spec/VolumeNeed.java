package dev.berth.engine.spec;

/**
 * A volume the engine must provide before the spec is made: a {@code -v name:/x} or {@code --mount
 * type=volume} (named, or anonymous without a name), or an image VOLUME no user mount covers
 * (anonymous, {@code fromImage}). The engine creates or finds it, copies the image's content at
 * {@code target} into a new empty one unless {@code noCopy} (as docker does), and passes its host
 * directory back by target.
 */
public record VolumeNeed(String target, String name, boolean fromImage, boolean noCopy) {
  public boolean anonymous() {
    return name == null;
  }
}
