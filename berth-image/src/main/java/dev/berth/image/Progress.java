package dev.berth.image;

import dev.berth.spec.image.Digest;

/**
 * What a pull, push or load reports while it works, per blob, so a front end can draw docker's
 * progress lines. Called from several threads at once; implementations synchronise themselves and
 * must be cheap.
 */
public interface Progress {
  /** What happens to one blob. */
  enum Phase {
    WAITING,
    EXISTS,
    DOWNLOADING,
    EXTRACTING,
    VERIFYING,
    DONE,
    MOUNTED,
    UPLOADING,
    PUSHED,
    FAILED
  }

  /**
   * A blob changed phase or moved forward: {@code current} of {@code total} bytes (total -1 when
   * unknown).
   */
  void blob(Digest digest, Phase phase, long current, long total);

  /** A line about the whole operation ("Digest: sha256:..", "Writing manifest"). */
  void message(String line);

  Progress NONE =
      new Progress() {
        @Override
        public void blob(Digest digest, Phase phase, long current, long total) {}

        @Override
        public void message(String line) {}
      };
}
