package dev.berth.image.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.berth.spec.image.Digest;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChainIdsTest {
  @Test
  void chainIdsFollowTheImageSpec() {
    Digest a = Digest.sha256Of("a".getBytes());
    Digest b = Digest.sha256Of("b".getBytes());
    List<Digest> c = ChainIds.of(List.of(a, b));
    assertEquals(a, c.get(0));
    assertEquals(Digest.sha256Of((a + " " + b).getBytes()), c.get(1));
    assertEquals(c.get(1), ChainIds.next(a, b));
  }
}
