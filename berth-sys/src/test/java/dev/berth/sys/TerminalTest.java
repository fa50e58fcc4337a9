package dev.berth.sys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TerminalTest {
  @Test
  void windowSizeAndRawModeOnAPseudoTerminal() throws Exception {
    try (Fd master = Linux.open("/dev/ptmx", LinuxConstants.O_RDWR | LinuxConstants.O_NOCTTY, 0)) {
      assertTrue(Linux.isatty(master));
      Linux.setWinsize(master, 40, 132);
      assertArrayEquals(new int[] {40, 132}, Linux.getWinsize(master));
      byte[] saved = Linux.makeRaw(master);
      assertNotEquals(0, lflag(saved) & (ECHO | ICANON), "a new terminal echoes and edits lines");
      byte[] raw = Linux.makeRaw(master); // returns what the first call left
      assertEquals(0, lflag(raw) & (ECHO | ICANON | ISIG));
      assertEquals(1, raw[17 + 6], "VMIN");
      Linux.restoreTermios(master, saved);
      assertArrayEquals(saved, Linux.makeRaw(master), "restored");
      Linux.restoreTermios(master, saved);
    }
  }

  @Test
  void onlcrOffAndRawModeThatKeepsOutputProcessing() throws Exception {
    try (Fd master = Linux.open("/dev/ptmx", LinuxConstants.O_RDWR | LinuxConstants.O_NOCTTY, 0)) {
      assertTrue(Linux.onlcr(master), "a new terminal turns NL into CR-NL");
      // makeRaw returns the settings it found, i.e. what the call before it left.
      byte[] saved = Linux.makeRaw(master, true);
      assertNotEquals(0, oflag(Linux.makeRaw(master)) & OPOST, "OPOST kept");
      assertEquals(0, oflag(Linux.makeRaw(master, true)) & OPOST, "OPOST off in full raw mode");
      Linux.restoreTermios(master, saved);
      Linux.clearOnlcr(master);
      assertFalse(Linux.onlcr(master));
      assertNotEquals(0, oflag(Linux.makeRaw(master)) & OPOST, "only ONLCR went");
    }
  }

  private static final int OPOST = 01;

  private static int oflag(byte[] termios) {
    return java.nio.ByteBuffer.wrap(termios).order(java.nio.ByteOrder.nativeOrder()).getInt(4);
  }

  private static final int ECHO = 010;
  private static final int ICANON = 02;
  private static final int ISIG = 01;

  private static int lflag(byte[] termios) {
    return java.nio.ByteBuffer.wrap(termios).order(java.nio.ByteOrder.nativeOrder()).getInt(12);
  }

  @Test
  void filesAndPipesAreNotTerminals() throws Exception {
    try (Fd f = Linux.open("/dev/null", LinuxConstants.O_RDONLY, 0)) {
      assertFalse(Linux.isatty(f));
    }
    Fd[] p = Linux.pipe2(0);
    try (Fd r = p[0];
        Fd w = p[1]) {
      assertFalse(Linux.isatty(r));
    }
  }
}
