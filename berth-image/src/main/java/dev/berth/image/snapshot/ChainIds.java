package dev.berth.image.snapshot;

import dev.berth.spec.image.Digest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Chain ids (image-spec config.md "Layer ChainID"): a layer's identity together with everything
 * under it, so the same diff on another parent is another snapshot. chainID(1) = diffID(1);
 * chainID(n) = sha256 of {@code chainID(n-1) + " " + diffID(n)}, both in their "sha256:hex" form.
 */
public final class ChainIds {
  private ChainIds() {}

  /** The chain id of each prefix of {@code diffIds}, bottom layer first. */
  public static List<Digest> of(List<Digest> diffIds) {
    List<Digest> out = new ArrayList<>(diffIds.size());
    Digest prev = null;
    for (Digest d : diffIds) {
      prev = prev == null ? d : next(prev, d);
      out.add(prev);
    }
    return out;
  }

  /** The chain id of {@code diffId} applied on {@code parent}. */
  public static Digest next(Digest parent, Digest diffId) {
    // Not through the JCA: its first use costs a cold CLI ~11 ms (Sha256).
    return Digest.sha256Of((parent + " " + diffId).getBytes(StandardCharsets.US_ASCII));
  }
}
