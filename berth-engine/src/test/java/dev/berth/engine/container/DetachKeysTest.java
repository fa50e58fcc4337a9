package dev.berth.engine.container;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** docker's detach-keys syntax, and the watch over typed bytes that finds the sequence. */
class DetachKeysTest {
  @Test
  void parsesDockersSyntax() throws Exception {
    assertEquals(DetachKeys.DEFAULT, DetachKeys.parse(null));
    assertEquals(DetachKeys.DEFAULT, DetachKeys.parse(""));
    assertArrayEquals(new byte[] {16, 17}, DetachKeys.parse("ctrl-p,ctrl-q").keys());
    assertArrayEquals(new byte[] {24, 'q'}, DetachKeys.parse("ctrl-x,q").keys());
    assertArrayEquals(
        new byte[] {0, 27, 28, 29, 30, 31, 1, 26},
        DetachKeys.parse("ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_,ctrl-a,CTRL-Z").keys());
    assertArrayEquals(new byte[] {'P'}, DetachKeys.parse("P").keys());
  }

  @Test
  void aBadSpecNamesItself() {
    for (String bad : new String[] {"ctrl-foo", "ctrl-", "ab", "ctrl-x,,q", "ctrl-1", "é"}) {
      BerthException e = assertThrows(BerthException.class, () -> DetachKeys.parse(bad), bad);
      assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category());
      assertTrue(e.getMessage().startsWith("invalid detach keys '" + bad + "'"), e.getMessage());
    }
  }

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  @Test
  void theSequenceDetachesAndWhatCameBeforeItPasses() {
    DetachKeys.Watcher w = DetachKeys.DEFAULT.watcher();
    DetachKeys.Scan s = w.scan(b("ls\r\u0010\u0011after"), 8);
    assertTrue(s.detach());
    assertArrayEquals(b("ls\r"), s.pass());
  }

  @Test
  void aSequenceSplitOverReadsIsHeldThenDetaches() {
    DetachKeys.Watcher w = DetachKeys.DEFAULT.watcher();
    DetachKeys.Scan first = w.scan(b("x\u0010"), 2);
    assertFalse(first.detach());
    assertArrayEquals(b("x"), first.pass(), "the start is held");
    assertTrue(w.scan(b("\u0011"), 1).detach());
  }

  @Test
  void aStartThatDiffersPassesUnchangedAndMayStartAgain() {
    DetachKeys.Watcher w = DetachKeys.DEFAULT.watcher();
    DetachKeys.Scan s = w.scan(b("\u0010a"), 2);
    assertFalse(s.detach());
    assertArrayEquals(b("\u0010a"), s.pass());
    // ^P ^P ^Q: the first ^P passes, the second starts the sequence that completes.
    DetachKeys.Scan again = w.scan(b("\u0010\u0010\u0011"), 3);
    assertTrue(again.detach());
    assertArrayEquals(b("\u0010"), again.pass());
    // A start left at the end of input goes to the container then.
    DetachKeys.Watcher end = DetachKeys.DEFAULT.watcher();
    assertArrayEquals(new byte[0], end.scan(b("\u0010"), 1).pass());
    assertArrayEquals(b("\u0010"), end.held());
  }
}
