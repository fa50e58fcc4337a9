package dev.berth.image.content;

import dev.berth.spec.image.Digest;
import java.util.List;

/**
 * What a garbage collection did.
 *
 * @param removed the blobs deleted, sorted
 * @param reclaimedBytes their total size
 * @param kept how many blobs were reachable and stay
 * @param removedIngests the stale ingest directories deleted (by name, e.g. {@code sha256-ab..})
 * @param removedIngestBytes the size of the partial data they held
 */
public record GcResult(
    List<Digest> removed,
    long reclaimedBytes,
    int kept,
    List<String> removedIngests,
    long removedIngestBytes) {
  public GcResult {
    removed = List.copyOf(removed);
    removedIngests = List.copyOf(removedIngests);
  }
}
