package dev.berth.sys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SocketTest {
  @TempDir Path tmp;

  @Test
  void fdPassedWithScmRightsReadsTheSameFile() throws Exception {
    Path f = Files.writeString(tmp.resolve("secret"), "through the socket");
    Fd[] pair = Linux.socketpair(LinuxConstants.AF_UNIX, LinuxConstants.SOCK_STREAM, 0);
    try (Fd a = pair[0];
        Fd b = pair[1]) {
      try (Fd file = Linux.open(f.toString(), LinuxConstants.O_RDONLY, 0)) {
        ByteBuffer one = ByteBuffer.wrap(new byte[] {'!'});
        assertEquals(1, Linux.sendmsg(a, one, new int[] {file.fd()}));
      }
      ByteBuffer in = ByteBuffer.allocateDirect(8);
      Received got = Linux.recvmsg(b, in, 4);
      assertEquals(1, got.bytes());
      assertEquals(1, in.position());
      assertEquals('!', in.get(0));
      assertEquals(1, got.fds().length);
      try (Fd received = new Fd(got.fds()[0])) {
        assertEquals(
            LinuxConstants.FD_CLOEXEC,
            Linux.fcntl(received, LinuxConstants.F_GETFD, 0),
            "received fds are close-on-exec");
        assertEquals(
            "through the socket", new String(Linux.readAll(received), StandardCharsets.UTF_8));
      }
    }
  }

  @Test
  void severalFdsAndHeapBuffers() throws Exception {
    Fd[] pair = Linux.socketpair(LinuxConstants.AF_UNIX, LinuxConstants.SOCK_SEQPACKET, 0);
    Fd[] p1 = Linux.pipe2(0);
    Fd[] p2 = Linux.pipe2(0);
    try (Fd a = pair[0];
        Fd b = pair[1];
        Fd r1 = p1[0];
        Fd w1 = p1[1];
        Fd r2 = p2[0];
        Fd w2 = p2[1]) {
      Linux.sendmsg(
          a,
          ByteBuffer.wrap("hello".getBytes(StandardCharsets.US_ASCII)),
          new int[] {w1.fd(), w2.fd()});
      ByteBuffer in = ByteBuffer.allocate(16);
      Received got = Linux.recvmsg(b, in, 2);
      assertEquals(5, got.bytes());
      assertEquals("hello", new String(in.array(), 0, 5, StandardCharsets.US_ASCII));
      assertEquals(2, got.fds().length);
      try (Fd x = new Fd(got.fds()[0]);
          Fd y = new Fd(got.fds()[1])) {
        Linux.writeAll(x, new byte[] {1});
        Linux.writeAll(y, new byte[] {2});
      }
      w1.close();
      w2.close();
      assertArrayEquals(new byte[] {1}, Linux.readAll(r1));
      assertArrayEquals(new byte[] {2}, Linux.readAll(r2));
    }
  }

  @Test
  void moreFdsThanExpectedIsAnErrorNotASilentLoss() throws Exception {
    Fd[] pair = Linux.socketpair(LinuxConstants.AF_UNIX, LinuxConstants.SOCK_STREAM, 0);
    try (Fd a = pair[0];
        Fd b = pair[1];
        Fd n1 = Linux.open("/dev/null", 0, 0);
        Fd n2 = Linux.open("/dev/null", 0, 0)) {
      Linux.sendmsg(a, ByteBuffer.wrap(new byte[] {0}), new int[] {n1.fd(), n2.fd()});
      ErrnoException e =
          assertThrows(ErrnoException.class, () -> Linux.recvmsg(b, ByteBuffer.allocate(1), 1));
      assertEquals(LinuxConstants.EMSGSIZE, e.errno());
    }
  }

  @Test
  void endOfStreamIsZeroBytes() throws Exception {
    Fd[] pair = Linux.socketpair(LinuxConstants.AF_UNIX, LinuxConstants.SOCK_STREAM, 0);
    try (Fd b = pair[1]) {
      Linux.shutdown(pair[0], LinuxConstants.SHUT_WR);
      pair[0].close();
      Received got = Linux.recvmsg(b, ByteBuffer.allocateDirect(4), 1);
      assertEquals(0, got.bytes());
      assertEquals(0, got.fds().length);
    }
  }

  @Test
  void listenConnectAcceptIncludingPathsLongerThanSunPath() throws Exception {
    Path longDir = Files.createDirectories(tmp.resolve("x".repeat(120)));
    for (Path sockPath : new Path[] {tmp.resolve("s.sock"), longDir.resolve("long.sock")}) {
      String path = sockPath.toString();
      try (Fd server = Linux.listenUnix(path, LinuxConstants.SOCK_STREAM, 4);
          Fd client = Linux.connectUnix(path, LinuxConstants.SOCK_STREAM);
          Fd conn = Linux.accept(server, 0)) {
        assertTrue(Linux.stat(path).isSocket(), path);
        Linux.writeAll(client, "ping".getBytes(StandardCharsets.US_ASCII));
        ByteBuffer in = ByteBuffer.allocate(4);
        while (in.hasRemaining()) Linux.read(conn, in);
        assertEquals("ping", new String(in.array(), StandardCharsets.US_ASCII));
        int[] cred = Linux.peerCredentials(conn);
        assertEquals(Linux.getpid(), cred[0]);
        assertEquals(Linux.geteuid(), cred[1]);
      }
      ErrnoException e =
          assertThrows(
              ErrnoException.class, () -> Linux.listenUnix(path, LinuxConstants.SOCK_STREAM, 1));
      assertEquals(LinuxConstants.EADDRINUSE, e.errno(), "an existing socket file is not removed");
    }
  }

  @Test
  void connectToMissingSocketNamesThePath() {
    String path = tmp.resolve("none.sock").toString();
    ErrnoException e =
        assertThrows(
            ErrnoException.class, () -> Linux.connectUnix(path, LinuxConstants.SOCK_STREAM));
    assertEquals(LinuxConstants.ENOENT, e.errno());
    assertEquals("connect " + path + ": no such file or directory (ENOENT)", e.getMessage());
  }

  @Test
  void socketOptions() throws Exception {
    Fd[] pair = Linux.socketpair(LinuxConstants.AF_UNIX, LinuxConstants.SOCK_STREAM, 0);
    try (Fd a = pair[0];
        Fd b = pair[1]) {
      Linux.setsockoptInt(a, LinuxConstants.SOL_SOCKET, LinuxConstants.SO_PASSCRED, 1);
      assertEquals(
          1, Linux.getsockoptInt(a, LinuxConstants.SOL_SOCKET, LinuxConstants.SO_PASSCRED));
    }
  }
}
