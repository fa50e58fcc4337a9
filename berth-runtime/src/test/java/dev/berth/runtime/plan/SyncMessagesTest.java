package dev.berth.runtime.plan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class SyncMessagesTest {
  @Test
  void frameIsTypeLengthPayloadInNativeOrder() {
    byte[] f = SyncMessages.frame(SyncMessages.PID, new byte[] {9, 8, 7, 6});
    ByteBuffer b = ByteBuffer.wrap(f).order(ByteOrder.nativeOrder());
    assertEquals(SyncMessages.PID, b.getInt());
    assertEquals(4, b.getInt());
    assertEquals(12, f.length);
    assertArrayEquals(new byte[] {9, 8, 7, 6}, Arrays.copyOfRange(f, 8, 12));
  }

  @Test
  void framesWrittenToAStreamReadBackInOrder() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    SyncMessages.write(out, SyncMessages.PLAN, new Plan(List.of(new Op.WaitGo())).encode());
    SyncMessages.write(out, SyncMessages.HOOKS, new byte[0]);
    SyncMessages.write(out, SyncMessages.PID, SyncMessages.encodePid(4242));
    var in = new ByteArrayInputStream(out.toByteArray());
    SyncMessages.Message plan = SyncMessages.read(in);
    assertEquals(SyncMessages.PLAN, plan.type());
    assertArrayEquals(new Plan(List.of(new Op.WaitGo())).encode(), plan.payload());
    assertEquals(new SyncMessages.Message(SyncMessages.HOOKS, new byte[0]), SyncMessages.read(in));
    SyncMessages.Message pid = SyncMessages.read(in);
    assertEquals(4242, SyncMessages.decodePid(pid.payload()));
    assertNull(SyncMessages.read(in), "clean EOF between frames");
  }

  @Test
  void eofInsideAFrameIsAnError() {
    byte[] f = SyncMessages.frame(SyncMessages.ERROR, new byte[10]);
    assertThrows(
        EOFException.class, () -> SyncMessages.read(new ByteArrayInputStream(Arrays.copyOf(f, 5))));
    assertThrows(
        EOFException.class,
        () -> SyncMessages.read(new ByteArrayInputStream(Arrays.copyOf(f, 12))));
  }

  @Test
  void oversizedLengthIsRefusedBeforeReading() {
    byte[] header = new byte[8];
    ByteBuffer.wrap(header).order(ByteOrder.nativeOrder()).putInt(SyncMessages.GO).putInt(-1);
    IOException e =
        assertThrows(IOException.class, () -> SyncMessages.read(new ByteArrayInputStream(header)));
    assertTrue(e.getMessage().contains("4294967295"), e.getMessage());
  }

  @Test
  void goCarriesBlobsInOrder() throws IOException {
    byte[] state = "{\"pid\":1}".getBytes(StandardCharsets.UTF_8);
    byte[] go = SyncMessages.encodeGo(List.of(state, new byte[0], new byte[] {0, 1}));
    ByteBuffer b = ByteBuffer.wrap(go).order(ByteOrder.nativeOrder());
    assertEquals(3, b.getInt());
    assertEquals(state.length, b.getInt());
    List<byte[]> back = SyncMessages.decodeGo(go);
    assertEquals(3, back.size());
    assertArrayEquals(state, back.get(0));
    assertArrayEquals(new byte[0], back.get(1));
    assertArrayEquals(new byte[] {0, 1}, back.get(2));
    assertThrows(IOException.class, () -> SyncMessages.decodeGo(Arrays.copyOf(go, go.length - 1)));
  }

  @Test
  void errorRoundTripsWithUtf8Detail() throws IOException {
    var e = new SyncMessages.InitError(5, 2, "target /données");
    assertEquals(e, SyncMessages.decodeError(SyncMessages.encodeError(e)));
    var unblamed =
        new SyncMessages.InitError(
            Plan.NO_OP, 22, "plan: op 0 (mount): payload shorter than its fields");
    assertEquals(unblamed, SyncMessages.decodeError(SyncMessages.encodeError(unblamed)));
  }

  @Test
  void errorWithoutItsNulIsMalformed() {
    byte[] p = SyncMessages.encodeError(new SyncMessages.InitError(1, 2, "x"));
    p[p.length - 1] = 'y';
    IOException e = assertThrows(IOException.class, () -> SyncMessages.decodeError(p));
    assertTrue(e.getMessage().startsWith("read error message"), e.getMessage());
  }

  @Test
  void pidMustBeFourBytesAndPositive() {
    assertThrows(IOException.class, () -> SyncMessages.decodePid(new byte[3]));
    assertThrows(IOException.class, () -> SyncMessages.decodePid(new byte[8]));
    assertThrows(IOException.class, () -> SyncMessages.decodePid(SyncMessages.encodePid(0)));
  }

  @Test
  void typeNamesForMessages() {
    assertEquals("hooks-done", SyncMessages.typeName(SyncMessages.HOOKS_DONE));
    assertEquals("seccomp-fd", SyncMessages.typeName(SyncMessages.SECCOMP_FD));
    assertEquals("seccomp-done", SyncMessages.typeName(11));
    assertEquals("message 99", SyncMessages.typeName(99));
  }
}
