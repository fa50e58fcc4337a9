package dev.berth.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class SignalsTest {
  @Test
  void parsesNamesWithOrWithoutPrefixInAnyCase() {
    assertEquals(9, Signals.parse("KILL"));
    assertEquals(9, Signals.parse("SIGKILL"));
    assertEquals(9, Signals.parse("sigkill"));
    assertEquals(9, Signals.parse("Kill"));
    assertEquals(15, Signals.parse("TERM"));
    assertEquals(1, Signals.parse("HUP"));
    assertEquals(31, Signals.parse("SYS"));
    assertEquals(28, Signals.parse("SIGWINCH"));
    assertEquals(6, Signals.parse("IOT"));
    assertEquals(29, Signals.parse("POLL"));
  }

  @Test
  void parsesNumbers() {
    assertEquals(9, Signals.parse("9"));
    assertEquals(1, Signals.parse("1"));
    assertEquals(64, Signals.parse("64"));
  }

  @Test
  void parsesRealTimeSignalsAsRuncDoes() {
    assertEquals(34, Signals.parse("RTMIN"));
    assertEquals(35, Signals.parse("SIGRTMIN+1"));
    assertEquals(49, Signals.parse("rtmin+15"));
    assertEquals(64, Signals.parse("RTMAX"));
    assertEquals(62, Signals.parse("SIGRTMAX-2"));
    assertEquals(34, Signals.parse("RTMAX-30"));
  }

  @Test
  void rejectsWithClearMessage() {
    for (String bad :
        new String[] {
          "FOO",
          "SIGFOO",
          "",
          "0",
          "65",
          "-9",
          "9x",
          "RTMIN+31",
          "RTMAX-31",
          "RTMIN+",
          "RTMIN+x",
          "SIG",
          "1000"
        }) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> Signals.parse(bad), bad);
      assertEquals("invalid signal: " + bad, e.getMessage());
    }
    assertThrows(IllegalArgumentException.class, () -> Signals.parse(null));
  }

  @Test
  void namesRoundTrip() {
    assertEquals("SIGKILL", Signals.name(9));
    assertEquals("SIGRTMIN", Signals.name(34));
    assertEquals("SIGRTMIN+1", Signals.name(35));
    assertEquals("SIGRTMAX-1", Signals.name(63));
    assertEquals("SIGRTMAX", Signals.name(64));
    assertEquals("32", Signals.name(32));
    for (int s = 1; s <= 64; s++) {
      if (s == 32 || s == 33) continue;
      assertEquals(s, Signals.parse(Signals.name(s)), Signals.name(s));
    }
  }
}
