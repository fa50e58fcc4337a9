package dev.berth.engine.network.dns;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.image.dirs.LockFile;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import dev.berth.testkit.Exec;
import dev.berth.testkit.RequiresRoot;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The responder in this JVM, its sockets in a network namespace the test made ({@link
 * DnsResponder.Options#netns}), where loopback addresses play the networks: "a" is 127.0.1.0/24
 * (gateway .1), "b" 127.0.2.0/24, and a fake upstream server on 127.0.0.2:53 knows only names under
 * example.org (and never answers silent.example.org).
 */
@RequiresRoot
class DnsResponderTest {
  static final String C1 = "c1".repeat(32);
  static final String C2 = "c2".repeat(32);
  static final String A_GW = "127.0.1.1";
  static final String A_HOST = "127.0.1.5"; // an address of network a that no container has
  static final String B_GW = "127.0.2.1";
  static final String B_HOST = "127.0.2.5";

  @TempDir Path tmp;
  String ns;
  Path nsPath;
  DnsRunDir dir;
  Path resolv;
  DnsResponder responder;
  DatagramSocket upstream;
  Thread upstreamThread;
  java.net.ServerSocket upstreamTcp;
  Thread upstreamTcpThread;

  @BeforeEach
  void setUp() throws Exception {
    ns = "berth-dns-" + UUID.randomUUID().toString().substring(0, 8);
    Exec.run("ip", "netns", "add", ns).ok();
    nsPath = Path.of("/run/netns", ns);
    Exec.run("nsenter", "--net=" + nsPath, "--", "ip", "link", "set", "lo", "up").ok();
    dir = new DnsRunDir(tmp.resolve("dns"));
    resolv = tmp.resolve("resolv.conf");
    Files.writeString(resolv, "search example.org\nnameserver 127.0.0.2\n");
    upstream = inNetns(() -> new DatagramSocket(new InetSocketAddress("127.0.0.2", 53)));
    upstreamThread = Thread.ofPlatform().daemon().start(this::fakeUpstream);
    upstreamTcp =
        inNetns(() -> new java.net.ServerSocket(53, 10, InetAddress.getByName("127.0.0.2")));
    upstreamTcpThread = Thread.ofPlatform().daemon().start(this::fakeUpstreamTcp);
  }

  @AfterEach
  void tearDown() throws Exception {
    try {
      if (responder != null) responder.close();
      if (upstream != null) upstream.close();
      if (upstreamThread != null) upstreamThread.join();
      if (upstreamTcp != null) upstreamTcp.close();
      if (upstreamTcpThread != null) upstreamTcpThread.join();
      // the responder released everything: lock free, no pid file, no control socket
      if (Files.exists(dir.lock())) {
        try (LockFile l = LockFile.tryAcquire(dir.lock())) {
          assertNotNull(l, "responder lock still held");
        }
      }
      assertFalse(Files.exists(dir.pid()), "pid file left");
      assertFalse(Files.exists(dir.control()), "control socket left");
    } finally {
      Exec.run("ip", "netns", "del", ns).ok();
    }
  }

  /** Runs {@code body} on a thread in the test's namespace (sockets it opens stay there). */
  <T> T inNetns(Callable<T> body) throws Exception {
    AtomicReference<T> out = new AtomicReference<>();
    AtomicReference<Exception> failed = new AtomicReference<>();
    Thread t =
        Thread.ofPlatform()
            .start(
                () -> {
                  try (Fd fd = Linux.open(nsPath.toString(), LinuxConstants.O_RDONLY, 0)) {
                    Linux.setns(fd, LinuxConstants.CLONE_NEWNET);
                    out.set(body.call());
                  } catch (Exception e) {
                    failed.set(e);
                  }
                });
    t.join();
    if (failed.get() != null) throw failed.get();
    return out.get();
  }

  /** big.example.org's answer: more addresses than a 512-byte UDP answer holds. */
  static DnsMessage bigAnswer(DnsMessage q) {
    List<DnsMessage.Record> all = new java.util.ArrayList<>();
    for (int i = 1; i <= 60; i++)
      all.add(DnsMessage.a(q.questions().get(0).name(), 5, 0xc0000200 + i));
    return DnsMessage.reply(q, 0, 0, all, false);
  }

  /** Over TCP: big.example.org's whole answer (over UDP it comes truncated). */
  void fakeUpstreamTcp() {
    while (!upstreamTcp.isClosed()) {
      try (Socket s = upstreamTcp.accept()) {
        DataInputStream in = new DataInputStream(s.getInputStream());
        byte[] q = new byte[in.readUnsignedShort()];
        in.readFully(q);
        byte[] a = bigAnswer(DnsMessage.parse(q)).encode();
        DataOutputStream out = new DataOutputStream(s.getOutputStream());
        out.writeShort(a.length);
        out.write(a);
        out.flush();
      } catch (Exception e) {
        // closed
      }
    }
  }

  /** Answers A 192.0.2.1 for names under example.org, NXDOMAIN for others; silent.* never. */
  void fakeUpstream() {
    byte[] buf = new byte[2048];
    while (!upstream.isClosed()) {
      try {
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        upstream.receive(p);
        DnsMessage q = DnsMessage.parse(java.util.Arrays.copyOf(buf, p.getLength()));
        String name = q.questions().get(0).name();
        if (name.startsWith("silent.")) continue;
        if (name.startsWith("big.")) {
          byte[] cut = bigAnswer(q).encode(512);
          upstream.send(new DatagramPacket(cut, cut.length, p.getSocketAddress()));
          continue;
        }
        DnsMessage a =
            name.endsWith("example.org")
                ? DnsMessage.reply(q, 0, 0, List.of(DnsMessage.a(name, 5, 0xc0000201)), false)
                : DnsMessage.reply(q, DnsMessage.RCODE_NXDOMAIN, 0, List.of(), false);
        byte[] out = a.encode();
        upstream.send(new DatagramPacket(out, out.length, p.getSocketAddress()));
      } catch (Exception e) {
        // closed, or a packet the fake cannot read
      }
    }
  }

  NetworkRecords networkA() {
    return new NetworkRecords(
        "a",
        A_GW,
        "127.0.1.0/24",
        List.of(
            new NetworkRecords.Entry(C1, "127.0.1.10", List.of("web", C1.substring(0, 12), "db")),
            new NetworkRecords.Entry(C2, "127.0.1.30", List.of("db"))));
  }

  NetworkRecords networkB() {
    return new NetworkRecords(
        "b",
        B_GW,
        "127.0.2.0/24",
        List.of(
            new NetworkRecords.Entry(C1, "127.0.2.10", List.of("web")),
            new NetworkRecords.Entry("c3".repeat(32), "127.0.2.20", List.of("other"))));
  }

  ResponderControl control() {
    return new ResponderControl(dir, List.of(), options());
  }

  DnsResponder.Options options() {
    return DnsResponder.Options.of(dir)
        .withNetns(nsPath)
        .withResolvConf(resolv)
        .withUpstreamTimeout(Duration.ofMillis(300))
        .withLog(System.err);
  }

  void startWith(NetworkRecords... networks) throws Exception {
    ResponderControl c = control();
    for (NetworkRecords r : networks) c.publish(r);
    responder = DnsResponder.start(options());
    assertNotNull(responder);
    assertEquals("", responder.problems());
  }

  /**
   * One UDP query from {@code source} to {@code server}:53; null when no answer came in a second
   * (answers here take microseconds; a forwarded one waits at most the 300 ms upstream timeout).
   */
  DnsMessage ask(String source, String server, byte[] query) throws Exception {
    return inNetns(
        () -> {
          try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(source, 0))) {
            s.setSoTimeout(1000);
            s.send(new DatagramPacket(query, query.length, new InetSocketAddress(server, 53)));
            byte[] buf = new byte[4096];
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
              s.receive(p);
            } catch (SocketTimeoutException e) {
              return null;
            }
            return DnsMessage.parse(java.util.Arrays.copyOf(buf, p.getLength()));
          }
        });
  }

  DnsMessage ask(String source, String server, String name, int type) throws Exception {
    return ask(source, server, DnsMessageTest.query(name, type).encode());
  }

  static List<String> addresses(DnsMessage m) {
    List<String> out = new ArrayList<>();
    for (DnsMessage.Record r : m.answers()) {
      if (r.type() != DnsMessage.TYPE_A) continue;
      byte[] d = r.data();
      out.add((d[0] & 0xff) + "." + (d[1] & 0xff) + "." + (d[2] & 0xff) + "." + (d[3] & 0xff));
    }
    return out;
  }

  @Test
  void answersNamesAliasesShortIdsAndAddressesOfItsOwnNetworkOnly() throws Exception {
    startWith(networkA(), networkB());
    DnsMessage m = ask(A_HOST, A_GW, "WEB", DnsMessage.TYPE_A);
    assertEquals(0x1234, m.id());
    assertTrue(m.isResponse());
    assertEquals(DnsMessage.RCODE_NOERROR, m.rcode());
    assertEquals(List.of("127.0.1.10"), addresses(m));
    assertEquals("WEB", m.answers().get(0).name(), "the question's case is kept");
    assertEquals(
        List.of("127.0.1.10"),
        addresses(ask(A_HOST, A_GW, C1.substring(0, 12), DnsMessage.TYPE_A)));
    // an alias two containers share: both
    assertEquals(
        List.of("127.0.1.10", "127.0.1.30"), addresses(ask(A_HOST, A_GW, "db", DnsMessage.TYPE_A)));
    // AAAA of a container: the name exists, with no such data
    DnsMessage aaaa = ask(A_HOST, A_GW, "web", DnsMessage.TYPE_AAAA);
    assertEquals(DnsMessage.RCODE_NOERROR, aaaa.rcode());
    assertEquals(0, aaaa.answers().size());
    // PTR
    DnsMessage ptr = ask(A_HOST, A_GW, "10.1.0.127.in-addr.arpa", DnsMessage.TYPE_PTR);
    assertArrayEquals(new byte[] {3, 'w', 'e', 'b', 0}, ptr.answers().get(0).data());

    // "other" is on network b only: asked on a's gateway, it goes upstream (NXDOMAIN there); on
    // b's gateway it is known.
    assertEquals(DnsMessage.RCODE_NXDOMAIN, ask(A_HOST, A_GW, "other", DnsMessage.TYPE_A).rcode());
    assertEquals(List.of("127.0.2.20"), addresses(ask(B_HOST, B_GW, "other", DnsMessage.TYPE_A)));
    // container c1 is on both networks: from its address on a, b's names answer too
    assertEquals(
        List.of("127.0.2.20"), addresses(ask("127.0.1.10", A_GW, "other", DnsMessage.TYPE_A)));
    // a source on b asking a's gateway (the host routes it there) sees none of a's names
    assertEquals(DnsMessage.RCODE_NXDOMAIN, ask(B_HOST, A_GW, "web", DnsMessage.TYPE_A).rcode());
    // c2 is on a only: not
    assertEquals(
        DnsMessage.RCODE_NXDOMAIN, ask("127.0.1.30", A_GW, "other", DnsMessage.TYPE_A).rcode());
  }

  @Test
  void otherNamesAreForwardedAndASilentUpstreamGivesServfail() throws Exception {
    startWith(networkA());
    DnsMessage m = ask(A_HOST, A_GW, "www.example.org", DnsMessage.TYPE_A);
    assertEquals(0x1234, m.id(), "the client's id is restored");
    assertEquals(List.of("192.0.2.1"), addresses(m));
    DnsMessage silent = ask(A_HOST, A_GW, "silent.example.org", DnsMessage.TYPE_A);
    assertEquals(DnsMessage.RCODE_SERVFAIL, silent.rcode());
    // the upstream is asked over TCP clients' behalf too, and local names answer over TCP
    assertEquals(List.of("192.0.2.1"), addresses(askTcp("www.example.org")));
    assertEquals(List.of("127.0.1.10"), addresses(askTcp("web")));
    // An answer too big for UDP: a UDP client gets it truncated (and retries over TCP, as this
    // one), a TCP client gets it whole, the responder asking the upstream over TCP.
    DnsMessage cut = ask(A_HOST, A_GW, "big.example.org", DnsMessage.TYPE_A);
    assertTrue(cut.truncated());
    assertEquals(60, addresses(askTcp("big.example.org")).size());
  }

  DnsMessage askTcp(String name) throws Exception {
    return inNetns(
        () -> {
          try (Socket s =
              new Socket(InetAddress.getByName(A_GW), 53, InetAddress.getByName(A_HOST), 0)) {
            s.setSoTimeout(5000);
            byte[] q = DnsMessageTest.query(name, DnsMessage.TYPE_A).encode();
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            // two queries on one connection, the first in two writes
            out.writeShort(q.length);
            out.flush();
            out.write(q);
            out.writeShort(q.length);
            out.write(q);
            out.flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            byte[] a = new byte[in.readUnsignedShort()];
            in.readFully(a);
            byte[] b = new byte[in.readUnsignedShort()];
            in.readFully(b);
            assertEquals(
                DnsMessage.parse(a).answers().size(), DnsMessage.parse(b).answers().size());
            return DnsMessage.parse(a);
          }
        });
  }

  @Test
  void hostilePacketsGetFormerrOrNothingAndTheResponderGoesOn() throws Exception {
    startWith(networkA());
    // a pointer loop in the question: FORMERR with the query's id
    byte[] loop = {0x55, 0x66, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, (byte) 0xc0, 12, 0, 1, 0, 1};
    DnsMessage m = ask(A_HOST, A_GW, loop);
    assertEquals(0x5566, m.id());
    assertEquals(DnsMessage.RCODE_FORMERR, m.rcode());
    // huge counts: FORMERR
    byte[] counts = {1, 2, 1, 0, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0, 0, 0, 0};
    assertEquals(DnsMessage.RCODE_FORMERR, ask(A_HOST, A_GW, counts).rcode());
    // shorter than a header, or a response: dropped
    assertNull(ask(A_HOST, A_GW, new byte[] {1, 2, 3}));
    byte[] response = DnsMessageTest.query("web", 1).encode();
    response[2] |= (byte) 0x80;
    assertNull(ask(A_HOST, A_GW, response));
    // two questions: FORMERR; an opcode other than QUERY: NOTIMP
    DnsMessage two =
        new DnsMessage(
            9,
            0,
            List.of(new DnsMessage.Question("web", 1, 1), new DnsMessage.Question("db", 1, 1)),
            List.of(),
            List.of(),
            List.of());
    assertEquals(DnsMessage.RCODE_FORMERR, ask(A_HOST, A_GW, two.encode()).rcode());
    DnsMessage status =
        new DnsMessage(9, 2 << 11, two.questions().subList(0, 1), List.of(), List.of(), List.of());
    assertEquals(DnsMessage.RCODE_NOTIMP, ask(A_HOST, A_GW, status.encode()).rcode());
    assertEquals(List.of("127.0.1.10"), addresses(ask(A_HOST, A_GW, "web", DnsMessage.TYPE_A)));
  }

  @Test
  void reloadsOnRequestAndEndsWhenNoNetworkIsLeft() throws Exception {
    ResponderControl c = control();
    c.sync(); // nothing published: nothing starts
    assertFalse(Files.exists(dir.pid()));
    c.publish(networkA());
    c.sync();
    assertEquals(ProcessHandle.current().pid(), c.pid().getAsLong());
    assertNull(ask(B_HOST, B_GW, "other", DnsMessage.TYPE_A), "b is not served yet");
    c.publish(networkB());
    c.sync();
    assertEquals(List.of("127.0.2.20"), addresses(ask(B_HOST, B_GW, "other", DnsMessage.TYPE_A)));
    // a second responder on the same run directory is refused while this one lives
    assertNull(DnsResponder.start(options()));
    // the last container of a leaves: its gateway no longer answers
    c.publish(new NetworkRecords("a", A_GW, "127.0.1.0/24", List.of()));
    c.sync();
    assertNull(ask(A_HOST, A_GW, "web", DnsMessage.TYPE_A));
    c.withdraw("b");
    c.sync(); // answered "exit"
    assertFalse(Files.exists(dir.pid()));
    try (LockFile l = LockFile.tryAcquire(dir.lock())) {
      assertNotNull(l, "the lock is free once it answered exit");
    }
    c.close();
  }

  @Test
  void aGatewayItCannotListenOnFailsNamingTheNetwork() throws Exception {
    ResponderControl c = control();
    c.publish(
        new NetworkRecords(
            "far", "192.0.2.77", "192.0.2.0/24", List.of(networkA().entries().get(0))));
    BerthException e = assertThrows(BerthException.class, c::sync);
    assertEquals(ErrorCategory.FAILED_PRECONDITION, e.category());
    assertTrue(e.getMessage().contains("network far: listen on 192.0.2.77:53"), e.getMessage());
    c.withdraw("far");
    c.sync();
    c.close();
  }
}
