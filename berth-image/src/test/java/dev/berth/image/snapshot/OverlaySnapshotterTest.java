package dev.berth.image.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.image.unpack.TarBuilder;
import dev.berth.spec.image.Digest;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The snapshotter contract on overlayfs layers, and what only overlay layers do. */
class OverlaySnapshotterTest extends SnapshotterContract {
  @Override
  Snapshotter open(Path root) throws IOException {
    return new OverlaySnapshotter(root);
  }

  @Test
  void layersAreStagedInParallelAndCommittedParentFirst() throws Exception {
    // A pull unpacks every layer of an image at once: a child is staged before its parent is
    // committed.
    Digest base = Digest.sha256Of(BASE);
    Digest top = ChainIds.next(base, Digest.sha256Of(TOP));
    Staging child = s.stage(top, base);
    Staging parent = s.stage(base, null);
    unpack(child, TOP);
    unpack(parent, BASE);
    s.commit(parent);
    s.commit(child);
    assertEquals(EXPECTED, viewOf(top));
  }

  /**
   * A pull unpacks layers before the config names their chains: an unnamed staging unpacks as its
   * place (bottom or not) says, cannot be committed until named, and once named commits as any.
   */
  @Test
  void layersStagedBeforeTheirChainIsKnownAreNamedThenCommitted() throws Exception {
    Digest base = Digest.sha256Of(BASE);
    Digest top = ChainIds.next(base, Digest.sha256Of(TOP));
    Staging child = s.stageUnnamed(false);
    Staging parent = s.stageUnnamed(true);
    assertEquals(dev.berth.image.unpack.Mode.OVERLAY, child.mode());
    assertEquals(dev.berth.image.unpack.Mode.APPLY, parent.mode());
    unpack(child, TOP);
    unpack(parent, BASE);
    assertEquals(null, child.chainId());
    assertThrows(IllegalStateException.class, () -> s.commit(parent));
    assertThrows(IllegalArgumentException.class, () -> s.name(parent, base, top));
    assertThrows(IllegalArgumentException.class, () -> s.name(child, top, null));
    s.name(parent, base, null);
    s.name(child, top, base);
    assertThrows(IllegalStateException.class, () -> s.name(child, top, base));
    assertEquals(top, child.chainId());
    assertEquals(base, child.parent());
    s.commit(parent);
    s.commit(child);
    assertEquals(EXPECTED, viewOf(top));
    assertEquals(base, open(root).parent(top));
    try (var staged = java.nio.file.Files.list(root.resolve("snapshots"))) {
      assertEquals(2, staged.count(), "a staging left beside the two snapshots");
    }
  }

  @Test
  void aLayerHoldsOnlyItsOwnDiff() throws Exception {
    byte[] mib = new byte[1 << 20];
    new java.util.Random(2).nextBytes(mib);
    byte[] layer = new TarBuilder().file("big", 0644, 0, 0, mib, Map.of()).bytes();
    Digest big = commitAll(List.of(layer));
    Digest small = commitAll(List.of(layer, new TarBuilder().file("x", "y").bytes()));
    assertTrue(s.usage(big) >= 1 << 20, "usage " + s.usage(big));
    assertTrue(
        s.usage(small) < 1 << 16, "the parent's file is not in the child: usage " + s.usage(small));
    assertEquals(new TreeMap<>(Map.of("x", "y")), tree(treesOf(s.view(small)).getFirst()));
  }
}
