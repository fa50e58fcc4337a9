package dev.berth.engine.network.dns;

import static dev.berth.engine.network.dns.DnsMessage.CLASS_IN;
import static dev.berth.engine.network.dns.DnsMessage.FLAG_AA;
import static dev.berth.engine.network.dns.DnsMessage.RCODE_FORMERR;
import static dev.berth.engine.network.dns.DnsMessage.RCODE_NOERROR;
import static dev.berth.engine.network.dns.DnsMessage.RCODE_NOTIMP;
import static dev.berth.engine.network.dns.DnsMessage.RCODE_SERVFAIL;
import static dev.berth.engine.network.dns.DnsMessage.TYPE_A;
import static dev.berth.engine.network.dns.DnsMessage.TYPE_ANY;
import static dev.berth.engine.network.dns.DnsMessage.TYPE_PTR;

import dev.berth.engine.network.Subnet;
import dev.berth.image.dirs.LockFile;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The DNS responder of an engine's user networks (podman's aardvark-dns, in Java): one for the
 * whole store, serving UDP and TCP on port 53 of each network's gateway, in the namespace the
 * bridges live in. It answers A, PTR (and empty AAAA) for the containers of the network a query
 * came in on, known by the address it was received on, to sources on that network's subnet only
 * (the host routes a query from any bridge to any gateway), widened to the other networks of the
 * asking container (found by its source address), so a container never resolves a name of a network
 * it is not on; anything else is forwarded to the host's resolvers ({@link Upstreams}) with a
 * timeout per server.
 *
 * <p>One thread and one selector: the sockets, the upstream queries in flight, the TCP clients and
 * the control socket. Every socket is opened by that thread, which first joins {@link
 * Options#netns} when one is given (an embedded engine whose bridges live in another namespace).
 *
 * <p>Lifecycle ({@link ResponderControl} is the engine's side): it holds {@code responder.lock} for
 * its whole life, so there is never a second one; it reads the records of {@code networks/} at
 * start and at each "reload" on its control socket, binding and closing listeners to match, and
 * when no network is left it releases everything and ends, answering "exit" to that reload. An
 * engine that finds the control socket dead (a crash) starts a new one.
 */
public final class DnsResponder implements AutoCloseable {
  /** TTL of the answers: short, containers come and go (aardvark's). */
  static final long TTL = 60;

  static final int MAX_PENDING = 256;
  static final int MAX_TCP_CLIENTS = 64;
  static final Duration TCP_IDLE = Duration.ofSeconds(10);

  /**
   * @param runDir the engine's DNS run directory
   * @param resolvConf where the upstream servers are read (the host's /etc/resolv.conf)
   * @param netns a network namespace to open every socket in, or null for the caller's
   * @param port the port to serve on each gateway (53; tests may choose another)
   * @param upstreamTimeout how long each upstream server gets before the next is asked
   * @param log where to report (null: nowhere)
   */
  public record Options(
      DnsRunDir runDir,
      Path resolvConf,
      Path netns,
      int port,
      Duration upstreamTimeout,
      PrintStream log) {
    public static final Path HOST_RESOLV_CONF = Path.of("/etc/resolv.conf");

    public static Options of(DnsRunDir runDir) {
      return new Options(runDir, HOST_RESOLV_CONF, null, 53, Duration.ofSeconds(2), null);
    }

    public Options withResolvConf(Path file) {
      return new Options(runDir, file, netns, port, upstreamTimeout, log);
    }

    public Options withNetns(Path ns) {
      return new Options(runDir, resolvConf, ns, port, upstreamTimeout, log);
    }

    public Options withPort(int p) {
      return new Options(runDir, resolvConf, netns, p, upstreamTimeout, log);
    }

    public Options withUpstreamTimeout(Duration d) {
      return new Options(runDir, resolvConf, netns, port, d, log);
    }

    public Options withLog(PrintStream out) {
      return new Options(runDir, resolvConf, netns, port, upstreamTimeout, out);
    }
  }

  private final Options options;
  private final LockFile lock;
  private final Thread thread;
  private final CountDownLatch ready = new CountDownLatch(1);
  private volatile String startProblem;
  private volatile boolean failed;
  private volatile boolean stopping;
  private Selector selector;
  private ServerSocketChannel control;
  private Upstreams upstreams = new Upstreams(List.of());
  private final Map<String, Listener> listeners = new LinkedHashMap<>();
  private final Map<Integer, Pending> pending = new HashMap<>();
  private final List<TcpClient> tcpClients = new ArrayList<>();
  private final List<SocketChannel> controlClients = new ArrayList<>();
  private final ByteBuffer packet = ByteBuffer.allocate(65535);

  private DnsResponder(Options options, LockFile lock) {
    this.options = options;
    this.lock = lock;
    this.thread = Thread.ofPlatform().name("berth-dns").daemon(true).unstarted(this::run);
  }

  /**
   * Starts a responder on {@code options.runDir()} in this process and waits until it serves (or
   * failed to start, then throws). Null when another responder holds the run directory.
   *
   * @return the responder; {@link #problems} says which networks could not be bound
   */
  public static DnsResponder start(Options options) throws IOException {
    Files.createDirectories(options.runDir().networks());
    LockFile held = LockFile.tryAcquire(options.runDir().lock());
    if (held == null) return null;
    DnsResponder r = new DnsResponder(options, held);
    r.thread.start();
    try {
      r.ready.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      r.close();
      throw new IOException("DNS responder: interrupted while starting");
    }
    if (r.failed) {
      throw new IOException("DNS responder: " + r.startProblem);
    }
    return r;
  }

  /** What the first load could not do ("" when all networks are served). */
  public String problems() {
    String p = startProblem;
    return p == null ? "" : p;
  }

  /** Whether it still runs (it ends by itself when no network is left). */
  public boolean isAlive() {
    return thread.isAlive();
  }

  /** Waits until it ends. */
  public void await() throws InterruptedException {
    thread.join();
  }

  /** Stops it and waits until its sockets are closed and its lock released. */
  @Override
  public void close() {
    stopping = true;
    Selector s = selector;
    if (s != null) s.wakeup();
    if (Thread.currentThread() != thread) {
      try {
        thread.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * A detached responder's main: serves until no network is left. Prints "ready" (or "fail REASON")
   * as one line on {@code status} once listening, the line the starting engine waits for. Exit
   * status 0, also when another responder already serves (then "running").
   */
  public static int serve(Options options, PrintStream status) {
    DnsResponder r;
    try {
      r = start(options);
    } catch (IOException | RuntimeException e) {
      status.println("fail " + e.getMessage());
      status.flush();
      return 1;
    }
    if (r == null) {
      status.println("running");
      status.flush();
      return 0;
    }
    String p = r.problems();
    status.println(p.isEmpty() ? "ready" : "fail " + p);
    status.flush();
    try {
      r.await();
    } catch (InterruptedException e) {
      r.close();
    }
    return 0;
  }

  // ---- the thread ----

  private void run() {
    try {
      if (options.netns() != null) {
        try (Fd ns = Linux.open(options.netns().toString(), LinuxConstants.O_RDONLY, 0)) {
          Linux.setns(ns, LinuxConstants.CLONE_NEWNET);
        }
      }
      selector = Selector.open();
      Path sock = options.runDir().control();
      Files.deleteIfExists(sock); // a crashed responder's: we hold the lock now
      control = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
      control.bind(UnixDomainSocketAddress.of(sock));
      control.configureBlocking(false);
      control.register(selector, SelectionKey.OP_ACCEPT, new ControlAcceptor());
      String problems = reload();
      writePid();
      startProblem = problems.isEmpty() ? null : problems;
    } catch (Throwable e) {
      startProblem = String.valueOf(e.getMessage());
      failed = true;
      shutdown();
      ready.countDown();
      return;
    }
    ready.countDown();
    try {
      loop();
    } catch (Throwable e) {
      log("stopped: " + e);
    } finally {
      shutdown();
    }
  }

  private void loop() throws IOException {
    while (!stopping) {
      long now = System.nanoTime();
      long wait = Long.MAX_VALUE;
      for (Pending p : pending.values()) wait = Math.min(wait, p.deadline - now);
      for (TcpClient c : tcpClients) wait = Math.min(wait, c.idleDeadline - now);
      if (wait == Long.MAX_VALUE) {
        selector.select();
      } else {
        selector.select(Math.max(1, wait / 1_000_000 + 1));
      }
      Iterator<SelectionKey> it = selector.selectedKeys().iterator();
      while (it.hasNext() && !stopping) {
        SelectionKey k = it.next();
        it.remove();
        if (!k.isValid()) continue;
        try {
          switch (k.attachment()) {
            case Listener l when k.channel() == l.udp -> udpReadable(l);
            case Listener l -> accept(l);
            case Pending p -> upstreamReady(p, k);
            case TcpClient c -> tcpReady(c, k);
            case ControlAcceptor a -> controlAccept();
            case ControlClient c -> controlReadable(c);
            default -> k.cancel();
          }
        } catch (IOException | RuntimeException e) {
          // one client's trouble (a reset, a bad state) is never the responder's end
          log("socket error: " + e);
          if (k.attachment() instanceof ControlClient c) {
            controlClients.remove(c.channel);
            closeQuietly(c.channel);
          }
        }
      }
      expire();
    }
  }

  // ---- networks ----

  /** A network being served: its records and its two sockets on gateway:port. */
  private static final class Listener {
    NetworkRecords records;
    InetSocketAddress address;
    DatagramChannel udp;
    ServerSocketChannel tcp;

    void close() {
      closeQuietly(udp);
      closeQuietly(tcp);
      udp = null;
      tcp = null;
    }
  }

  /**
   * Reads every network's records, binds the new and moved ones, closes the gone ones; re-reads the
   * upstream servers. Returns what failed, "" when nothing did.
   */
  private String reload() throws IOException {
    List<String> problems = new ArrayList<>();
    Map<String, NetworkRecords> now = new LinkedHashMap<>();
    Path dir = options.runDir().networks();
    if (Files.isDirectory(dir)) {
      try (var s = Files.list(dir)) {
        for (Path f : s.sorted().toList()) {
          String name = f.getFileName().toString();
          if (name.startsWith(".")) continue; // a writer's temporary file
          try {
            now.put(name, NetworkRecords.read(name, Files.readAllBytes(f)));
          } catch (IllegalArgumentException e) {
            problems.add(e.getMessage());
          } catch (java.nio.file.NoSuchFileException e) {
            // removed meanwhile
          }
        }
      }
    }
    for (Iterator<Map.Entry<String, Listener>> it = listeners.entrySet().iterator();
        it.hasNext(); ) {
      Map.Entry<String, Listener> e = it.next();
      NetworkRecords r = now.get(e.getKey());
      if (r == null || !r.gateway().equals(e.getValue().records.gateway())) {
        e.getValue().close();
        it.remove();
      }
    }
    for (NetworkRecords r : now.values()) {
      Listener l = listeners.computeIfAbsent(r.network(), k -> new Listener());
      l.records = r;
      if (l.udp == null) {
        try {
          bind(l, r);
        } catch (IOException e) {
          l.close();
          problems.add(
              "network "
                  + r.network()
                  + ": listen on "
                  + r.gateway()
                  + ":"
                  + options.port()
                  + ": "
                  + e.getMessage());
        }
      }
    }
    try {
      upstreams = Upstreams.read(options.resolvConf());
    } catch (IOException e) {
      problems.add("read " + options.resolvConf() + ": " + e.getMessage());
    }
    return String.join("; ", problems);
  }

  private void bind(Listener l, NetworkRecords r) throws IOException {
    InetSocketAddress at =
        new InetSocketAddress(
            InetAddress.getByAddress(bytes(Subnet.parseAddress(r.gateway()))), options.port());
    l.address = at;
    l.udp = DatagramChannel.open(StandardProtocolFamily.INET);
    l.udp.setOption(StandardSocketOptions.SO_REUSEADDR, true);
    l.udp.bind(at);
    l.udp.configureBlocking(false);
    l.udp.register(selector, SelectionKey.OP_READ, l);
    l.tcp = ServerSocketChannel.open(StandardProtocolFamily.INET);
    l.tcp.setOption(StandardSocketOptions.SO_REUSEADDR, true);
    l.tcp.bind(at, 16);
    l.tcp.configureBlocking(false);
    l.tcp.register(selector, SelectionKey.OP_ACCEPT, l);
    log("serving network " + r.network() + " on " + r.gateway() + ":" + options.port());
  }

  // ---- answering ----

  /** Where an answer goes: a UDP peer of a listener, or a TCP client. */
  private record Client(Listener listener, SocketAddress peer, TcpClient tcp, int limit) {}

  private void udpReadable(Listener l) throws IOException {
    for (int i = 0; i < 64 && l.udp != null; i++) {
      packet.clear();
      SocketAddress from = l.udp.receive(packet);
      if (from == null) return;
      byte[] query = new byte[packet.position()];
      packet.flip().get(query);
      handle(query, new Client(l, from, null, 0));
    }
  }

  /** A query from {@code client}: answered here, forwarded, or dropped when unreadable. */
  private void handle(byte[] query, Client client) throws IOException {
    DnsMessage q;
    try {
      q = DnsMessage.parse(query);
    } catch (DnsFormatException e) {
      // A header we can answer FORMERR to; anything shorter (or a response) is dropped.
      if (query.length >= DnsMessage.HEADER && (query[2] & 0x80) == 0) {
        byte[] r = java.util.Arrays.copyOf(query, DnsMessage.HEADER);
        r[2] = (byte) (0x80 | (query[2] & 0x79));
        r[3] = (byte) (0x80 | RCODE_FORMERR);
        for (int i = 4; i < DnsMessage.HEADER; i++) r[i] = 0;
        send(client, r);
      }
      return;
    }
    if (q.isResponse()) return;
    int limit = client.tcp != null ? 65535 : q.udpLimit();
    client = new Client(client.listener, client.peer, client.tcp, limit);
    DnsMessage answer = answer(q, client);
    if (answer != null) {
      send(client, answer.encode(limit));
    } else {
      forward(q, query, client);
    }
  }

  /** The local answer to {@code q}, or null to forward it. */
  private DnsMessage answer(DnsMessage q, Client client) {
    boolean edns = q.opt() != null;
    if (q.opcode() != 0) return DnsMessage.reply(q, RCODE_NOTIMP, 0, List.of(), edns);
    if (q.questions().size() != 1) return DnsMessage.reply(q, RCODE_FORMERR, 0, List.of(), edns);
    DnsMessage.Question question = q.questions().get(0);
    if (question.klass() != CLASS_IN && question.klass() != TYPE_ANY) return null;
    List<NetworkRecords> scope = scope(client);
    String name = question.name().toLowerCase(Locale.ROOT);
    if (question.type() == TYPE_PTR) {
      int address = reverse(name);
      if (address == 0) return null;
      for (NetworkRecords r : scope) {
        String target = r.nameOf(address);
        if (target != null) {
          return DnsMessage.reply(
              q,
              RCODE_NOERROR,
              FLAG_AA,
              List.of(DnsMessage.ptr(question.name(), TTL, target)),
              edns);
        }
      }
      return null;
    }
    List<Integer> addresses = new ArrayList<>();
    for (NetworkRecords r : scope) {
      for (int a : r.addresses(name)) if (!addresses.contains(a)) addresses.add(a);
    }
    if (addresses.isEmpty()) return null;
    List<DnsMessage.Record> answers = new ArrayList<>();
    if (question.type() == TYPE_A || question.type() == TYPE_ANY) {
      for (int a : addresses) answers.add(DnsMessage.a(question.name(), TTL, a));
    }
    // Other types (AAAA, MX...) of a container's name: it exists, with no such data.
    return DnsMessage.reply(q, RCODE_NOERROR, FLAG_AA, answers, edns);
  }

  /**
   * The records a query may see: its network's, and those of the other networks the asking
   * container is on (glibc asks only the first nameserver, which is one network's gateway).
   */
  private List<NetworkRecords> scope(Client client) {
    List<NetworkRecords> out = new ArrayList<>();
    NetworkRecords own = client.listener.records;
    if (!(client.peer instanceof InetSocketAddress p) || p.getAddress().getAddress().length != 4) {
      return out;
    }
    int source = address(p.getAddress().getAddress());
    // From another network (the host routes to every gateway): a stranger, nothing of ours.
    if (!own.contains(source)) return out;
    out.add(own);
    String id = own.containerAt(source);
    if (id != null) {
      for (Listener l : listeners.values()) {
        if (l != client.listener && l.records.holds(id)) out.add(l.records);
      }
    }
    return out;
  }

  /** The IPv4 address of a {@code d.c.b.a.in-addr.arpa} name, 0 when it is not one. */
  static int reverse(String name) {
    String suffix = ".in-addr.arpa";
    if (!name.endsWith(suffix)) return 0;
    String[] p = name.substring(0, name.length() - suffix.length()).split("\\.");
    if (p.length != 4) return 0;
    try {
      return Subnet.parseAddress(p[3] + "." + p[2] + "." + p[1] + "." + p[0]);
    } catch (IllegalArgumentException e) {
      return 0;
    }
  }

  private void send(Client client, byte[] message) throws IOException {
    if (client.tcp != null) {
      client.tcp.queue(message);
    } else if (client.listener.udp != null) {
      client.listener.udp.send(ByteBuffer.wrap(message), client.peer);
    }
  }

  // ---- forwarding ----

  /**
   * A query forwarded upstream, waiting for its answer on its own connected socket: UDP first, and
   * for a TCP client whose UDP answer came truncated, the same server again over TCP (the client
   * asked over TCP to get the whole answer).
   */
  private static final class Pending {
    final DnsMessage query;
    final byte[] wire; // with our id
    final int clientId;
    final int id;
    final Client client;
    int server;
    long deadline;
    java.nio.channels.SelectableChannel channel;
    boolean overTcp;
    ByteBuffer tcpOut; // length-prefixed query still to write
    ByteBuffer tcpLength; // the answer's 2-byte length, then
    ByteBuffer tcpIn; // the answer

    Pending(DnsMessage query, byte[] wire, int id, Client client) {
      this.query = query;
      this.wire = wire;
      this.clientId = query.id();
      this.id = id;
      this.client = client;
    }
  }

  private void forward(DnsMessage q, byte[] query, Client client) throws IOException {
    List<InetSocketAddress> servers = usableUpstreams(upstreamsOf(client));
    if (servers.isEmpty() || pending.size() >= MAX_PENDING) {
      send(client, DnsMessage.reply(q, RCODE_SERVFAIL, 0, List.of(), q.opt() != null).encode());
      return;
    }
    int id;
    do {
      id = ThreadLocalRandom.current().nextInt(0x10000);
    } while (pending.containsKey(id));
    byte[] wire = query.clone();
    DnsMessage.writeId(wire, id);
    Pending p = new Pending(q, wire, id, client);
    pending.put(id, p);
    if (client.tcp != null) client.tcp.inFlight++;
    ask(p, servers);
  }

  /**
   * The servers a query of {@code client} goes to: the asking container's own (docker's --dns,
   * which on a network with names replaces only the forwarding, as docker's embedded DNS does),
   * else the host's.
   */
  private Upstreams upstreamsOf(Client client) {
    if (!(client.peer instanceof InetSocketAddress p) || p.getAddress().getAddress().length != 4) {
      return upstreams;
    }
    String id = client.listener.records.containerAt(address(p.getAddress().getAddress()));
    if (id == null) return upstreams;
    Path own = options.runDir().upstreams(id);
    try {
      return Files.exists(own) ? Upstreams.read(own) : upstreams;
    } catch (IOException e) {
      return upstreams; // removed meanwhile: the container is going
    }
  }

  /** {@code from} minus our own listening addresses (a host resolving through us would loop). */
  private List<InetSocketAddress> usableUpstreams(Upstreams from) {
    List<InetSocketAddress> out = new ArrayList<>();
    for (InetSocketAddress s : from.servers()) {
      boolean ours = false;
      for (Listener l : listeners.values()) {
        if (l.address != null && l.address.getAddress().equals(s.getAddress())) ours = true;
      }
      if (!ours) out.add(s);
    }
    return out;
  }

  /** Sends {@code p} to its current server; on failure moves on to the next one. */
  private void ask(Pending p, List<InetSocketAddress> servers) throws IOException {
    p.overTcp = false;
    while (p.server < servers.size()) {
      closeQuietly(p.channel);
      InetSocketAddress to = servers.get(p.server);
      try {
        DatagramChannel c =
            DatagramChannel.open(
                to.getAddress().getAddress().length == 4
                    ? StandardProtocolFamily.INET
                    : StandardProtocolFamily.INET6);
        p.channel = c;
        c.configureBlocking(false);
        c.connect(to);
        c.write(ByteBuffer.wrap(p.wire));
        c.register(selector, SelectionKey.OP_READ, p);
        p.deadline = System.nanoTime() + options.upstreamTimeout().toNanos();
        return;
      } catch (IOException e) {
        p.server++;
      }
    }
    fail(p);
  }

  /** Asks {@code p}'s current server again over TCP (its UDP answer came truncated). */
  private void askOverTcp(Pending p, List<InetSocketAddress> servers) throws IOException {
    closeQuietly(p.channel);
    InetSocketAddress to = servers.get(p.server);
    try {
      SocketChannel c = SocketChannel.open();
      p.channel = c;
      c.configureBlocking(false);
      p.overTcp = true;
      p.tcpOut = ByteBuffer.allocate(2 + p.wire.length);
      p.tcpOut.putShort((short) p.wire.length).put(p.wire).flip();
      p.tcpLength = ByteBuffer.allocate(2);
      p.tcpIn = null;
      boolean connected = c.connect(to);
      c.register(selector, connected ? SelectionKey.OP_WRITE : SelectionKey.OP_CONNECT, p);
      p.deadline = System.nanoTime() + options.upstreamTimeout().toNanos();
    } catch (IOException e) {
      p.server++;
      ask(p, servers);
    }
  }

  private void upstreamReady(Pending p, SelectionKey k) throws IOException {
    if (!p.overTcp) {
      upstreamReadable(p);
      return;
    }
    SocketChannel c = (SocketChannel) p.channel;
    try {
      if (k.isConnectable() && c.finishConnect()) k.interestOps(SelectionKey.OP_WRITE);
      if (k.isValid() && k.isWritable()) {
        c.write(p.tcpOut);
        if (!p.tcpOut.hasRemaining()) k.interestOps(SelectionKey.OP_READ);
      }
      if (!k.isValid() || !k.isReadable()) return;
      if (p.tcpIn == null) {
        if (c.read(p.tcpLength) < 0) throw new IOException("closed before the answer");
        if (p.tcpLength.hasRemaining()) return;
        int length = Short.toUnsignedInt(p.tcpLength.flip().getShort());
        if (length < DnsMessage.HEADER) throw new IOException("answer too short");
        p.tcpIn = ByteBuffer.allocate(length);
      }
      if (c.read(p.tcpIn) < 0) throw new IOException("closed in the answer");
      if (p.tcpIn.hasRemaining()) return;
    } catch (IOException e) { // refused, reset, cut short: next server
      p.server++;
      ask(p, usableUpstreams(upstreamsOf(p.client)));
      return;
    }
    answered(p, p.tcpIn.array());
  }

  private void upstreamReadable(Pending p) throws IOException {
    packet.clear();
    int n;
    try {
      n = ((DatagramChannel) p.channel).read(packet);
    } catch (IOException e) { // ICMP port unreachable and the like: next server
      p.server++;
      ask(p, usableUpstreams(upstreamsOf(p.client)));
      return;
    }
    if (n < DnsMessage.HEADER) return;
    byte[] answer = new byte[n];
    packet.flip().get(answer);
    answered(p, answer);
  }

  /** An upstream's answer to {@code p}: passed to its client, or {@code p} asked over TCP. */
  private void answered(Pending p, byte[] answer) throws IOException {
    if (DnsMessage.readId(answer) != p.id) return; // not ours: keep waiting
    DnsMessage parsed;
    try {
      parsed = DnsMessage.parse(answer);
    } catch (DnsFormatException e) {
      return;
    }
    if (!parsed.isResponse() || !parsed.questions().equals(p.query.questions())) return;
    if (parsed.truncated() && !p.overTcp && p.client.tcp != null) {
      List<InetSocketAddress> servers = usableUpstreams(upstreamsOf(p.client));
      if (p.server < servers.size()) {
        askOverTcp(p, servers);
        return;
      }
    }
    done(p);
    DnsMessage.writeId(answer, p.clientId);
    if (answer.length > p.client.limit) {
      DnsMessage back =
          new DnsMessage(
              p.clientId,
              parsed.flags(),
              parsed.questions(),
              parsed.answers(),
              parsed.authorities(),
              parsed.additionals());
      answer = back.encode(p.client.limit);
    }
    send(p.client, answer);
  }

  private void fail(Pending p) throws IOException {
    done(p);
    send(
        p.client,
        DnsMessage.reply(p.query, RCODE_SERVFAIL, 0, List.of(), p.query.opt() != null).encode());
  }

  private void done(Pending p) {
    pending.remove(p.id);
    closeQuietly(p.channel);
    p.channel = null;
    if (p.client.tcp != null) p.client.tcp.inFlight--;
  }

  /** Upstream queries past their deadline move to the next server; idle TCP clients go. */
  private void expire() throws IOException {
    long now = System.nanoTime();
    for (Pending p : new ArrayList<>(pending.values())) {
      if (now - p.deadline >= 0) {
        p.server++;
        ask(p, usableUpstreams(upstreamsOf(p.client)));
      }
    }
    for (TcpClient c : new ArrayList<>(tcpClients)) {
      if (now - c.idleDeadline >= 0) c.close();
    }
  }

  // ---- TCP ----

  /** A TCP client: length-prefixed queries in, answers queued out. */
  private final class TcpClient {
    final SocketChannel channel;
    final Listener listener;
    final SelectionKey key;
    final ByteBuffer length = ByteBuffer.allocate(2);
    ByteBuffer body;
    final ArrayDeque<ByteBuffer> out = new ArrayDeque<>();
    long idleDeadline;
    int inFlight;
    boolean eof;

    TcpClient(SocketChannel channel, Listener listener) throws IOException {
      this.channel = channel;
      this.listener = listener;
      this.key = channel.register(selector, SelectionKey.OP_READ, this);
      touch();
    }

    void touch() {
      idleDeadline = System.nanoTime() + TCP_IDLE.toNanos();
    }

    void queue(byte[] message) {
      if (!channel.isOpen()) return;
      ByteBuffer b = ByteBuffer.allocate(2 + message.length);
      b.putShort((short) message.length).put(message).flip();
      out.add(b);
      key.interestOps(key.interestOps() | SelectionKey.OP_WRITE);
    }

    void close() {
      tcpClients.remove(this);
      closeQuietly(channel);
    }
  }

  private void accept(Listener l) throws IOException {
    if (l.tcp == null) return;
    SocketChannel c = l.tcp.accept();
    if (c == null) return;
    if (tcpClients.size() >= MAX_TCP_CLIENTS) {
      closeQuietly(c);
      return;
    }
    c.configureBlocking(false);
    tcpClients.add(new TcpClient(c, l));
  }

  private void tcpReady(TcpClient c, SelectionKey k) throws IOException {
    try {
      if (k.isValid() && k.isWritable()) {
        while (!c.out.isEmpty()) {
          ByteBuffer b = c.out.peek();
          c.channel.write(b);
          if (b.hasRemaining()) break;
          c.out.poll();
        }
        if (c.out.isEmpty()) k.interestOps(SelectionKey.OP_READ);
        c.touch();
      }
      if (k.isValid() && k.isReadable()) {
        while (true) {
          ByteBuffer target = c.body != null ? c.body : c.length;
          int n = c.channel.read(target);
          if (n < 0) {
            c.eof = true;
            break;
          }
          if (n == 0) break;
          c.touch();
          if (target.hasRemaining()) continue;
          if (c.body == null) {
            int len = c.length.getShort(0) & 0xffff;
            c.length.clear();
            if (len == 0) continue;
            c.body = ByteBuffer.allocate(len);
          } else {
            byte[] query = c.body.array();
            c.body = null;
            handle(query, new Client(c.listener, c.channel.getRemoteAddress(), c, 65535));
          }
        }
      }
    } catch (IOException e) {
      c.close();
      return;
    }
    if (c.eof && c.out.isEmpty() && c.inFlight == 0) c.close();
  }

  // ---- control ----

  private static final class ControlAcceptor {}

  private static final class ControlClient {
    final SocketChannel channel;
    final ByteBuffer in = ByteBuffer.allocate(64);

    ControlClient(SocketChannel channel) {
      this.channel = channel;
    }
  }

  private void controlAccept() throws IOException {
    SocketChannel c = control.accept();
    if (c == null) return;
    c.configureBlocking(false);
    c.register(selector, SelectionKey.OP_READ, new ControlClient(c));
    controlClients.add(c);
  }

  /**
   * "reload\n": re-read the records; answers "ok", "fail PROBLEMS" or, when no network is left,
   * "exit" once the lock is released.
   */
  private void controlReadable(ControlClient c) throws IOException {
    int n;
    try {
      n = c.channel.read(c.in);
    } catch (IOException e) {
      closeQuietly(c.channel);
      return;
    }
    String text = new String(c.in.array(), 0, c.in.position(), StandardCharsets.US_ASCII);
    if (n < 0 || (!text.contains("\n") && !c.in.hasRemaining())) {
      closeQuietly(c.channel);
      return;
    }
    if (!text.contains("\n")) return;
    controlClients.remove(c.channel); // answered below, even after a shutdown
    String reply;
    if (text.strip().equals("reload")) {
      String problems = reload();
      if (listeners.isEmpty() && problems.isEmpty()) {
        stopping = true;
        shutdown();
        reply = "exit";
      } else {
        reply = problems.isEmpty() ? "ok" : "fail " + problems;
      }
    } else {
      reply = "fail unknown command " + text.strip();
    }
    // A line fits in any socket buffer: one non-blocking write sends it whole.
    try {
      c.channel.write(ByteBuffer.wrap((reply + "\n").getBytes(StandardCharsets.UTF_8)));
    } finally {
      closeQuietly(c.channel);
    }
  }

  // ---- the end ----

  private boolean shutDown;

  /**
   * Closes every socket, removes the control socket and pid file, and releases the lock, in that
   * order: when an engine sees the lock free, nothing of this responder answers any more.
   */
  private void shutdown() {
    if (shutDown) return;
    shutDown = true;
    for (Listener l : listeners.values()) l.close();
    listeners.clear();
    for (Pending p : pending.values()) closeQuietly(p.channel);
    pending.clear();
    for (TcpClient c : new ArrayList<>(tcpClients)) c.close();
    for (SocketChannel c : controlClients) closeQuietly(c);
    controlClients.clear();
    try {
      Files.deleteIfExists(options.runDir().pid());
      if (control != null) {
        closeQuietly(control);
        Files.deleteIfExists(options.runDir().control());
      }
    } catch (IOException e) {
      log("remove " + options.runDir().dir() + " files: " + e.getMessage());
    }
    closeQuietly(selector); // and with it whatever channel is still registered
    lock.close();
    log("stopped");
  }

  private void writePid() throws IOException {
    Path pid = options.runDir().pid();
    Path tmp = pid.resolveSibling(".responder.pid.tmp");
    Files.writeString(tmp, ProcessHandle.current().pid() + "\n");
    Files.move(tmp, pid, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  private void log(String line) {
    PrintStream out = options.log();
    if (out != null) {
      out.println(java.time.Instant.now() + " berth dns: " + line);
      out.flush();
    }
  }

  private static void closeQuietly(java.io.Closeable c) {
    if (c == null) return;
    try {
      c.close();
    } catch (IOException e) {
      // closing: nothing to do about it
    }
  }

  static byte[] bytes(int address) {
    return new byte[] {
      (byte) (address >>> 24), (byte) (address >>> 16), (byte) (address >>> 8), (byte) address
    };
  }

  static int address(byte[] b) {
    return ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
  }
}
