package dev.berth.engine.network.dns;

import static dev.berth.sys.LinuxConstants.O_APPEND;
import static dev.berth.sys.LinuxConstants.O_CREAT;
import static dev.berth.sys.LinuxConstants.O_RDWR;
import static dev.berth.sys.LinuxConstants.O_WRONLY;

import dev.berth.image.dirs.LockFile;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * The engine's side of the DNS responder: it publishes each network's records as a file (replaced
 * atomically, removed when no container is left on the network) and then {@link #sync}s: under
 * {@code start.lock}, asks the running responder to reload over its control socket, or, when none
 * answers and some network has records, starts one, either detached (its own process: the
 * daemonless CLI's case, {@code setsid -f} so it outlives the CLI and is nobody's zombie) or in
 * this process (an embedded engine: berthd). Two engines racing thus start one responder: the
 * second finds the first one's answering.
 */
public final class ResponderControl implements AutoCloseable {
  static final String SETSID = "/usr/bin/setsid";

  private final DnsRunDir dir;
  private final List<String> command;
  private final DnsResponder.Options embeddedOptions;
  private DnsResponder embedded;

  /**
   * @param dir the run directory
   * @param command the command that runs a detached responder ({@code --run-dir DIR} is appended),
   *     prefix included ({@code nsenter --net=...} in tests); empty: run it in this process
   * @param embeddedOptions the in-process responder's options (its run directory must be {@code
   *     dir})
   */
  public ResponderControl(
      DnsRunDir dir, List<String> command, DnsResponder.Options embeddedOptions) {
    this.dir = dir;
    this.command = List.copyOf(command);
    this.embeddedOptions = embeddedOptions;
  }

  public DnsRunDir dir() {
    return dir;
  }

  /**
   * Publishes what the responder answers on {@code records.network()}; a network with no entry is
   * withdrawn. Takes effect at the next {@link #sync}.
   */
  public void publish(NetworkRecords records) throws IOException {
    Files.createDirectories(dir.networks());
    Path file = dir.records(records.network());
    if (records.entries().isEmpty()) {
      Files.deleteIfExists(file);
      return;
    }
    Path tmp = dir.networks().resolve("." + records.network() + ".tmp");
    Files.write(tmp, records.write());
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  /** Withdraws a network's records (its last container left, or it is no DNS network). */
  public void withdraw(String network) throws IOException {
    Files.deleteIfExists(dir.records(network));
  }

  /**
   * Makes the responder serve what is published: reloads the running one (which exits when nothing
   * is left) or starts one when something is published. FAILED_PRECONDITION naming the network when
   * it cannot listen (port 53 of the gateway taken), INTERNAL when it cannot start.
   */
  public void sync() throws BerthException {
    try {
      Files.createDirectories(dir.networks());
      try (LockFile held = LockFile.acquire(dir.startLock())) {
        String reply = request("reload");
        if (reply == null) {
          if (!published()) return;
          reply = command.isEmpty() ? startEmbedded() : startDetached();
        }
        if (reply.startsWith("fail ")) {
          throw new BerthException(
              ErrorCategory.FAILED_PRECONDITION, "DNS responder: " + reply.substring(5));
        }
      }
    } catch (IOException e) {
      throw new BerthException(
          ErrorCategory.INTERNAL, "DNS responder in " + dir.dir() + ": " + e.getMessage(), e);
    }
  }

  /** The pid of the running responder, from its pid file. */
  public OptionalLong pid() {
    try {
      return OptionalLong.of(Long.parseLong(Files.readString(dir.pid()).strip()));
    } catch (IOException | NumberFormatException e) {
      return OptionalLong.empty();
    }
  }

  /** Stops the responder of this process, if it runs one (the detached one lives on). */
  @Override
  public synchronized void close() {
    if (embedded != null) {
      embedded.close();
      embedded = null;
    }
  }

  private boolean published() throws IOException {
    try (var s = Files.list(dir.networks())) {
      return s.anyMatch(p -> !p.getFileName().toString().startsWith("."));
    }
  }

  /** The responder's one-line answer to {@code what}, or null when none listens. */
  String request(String what) throws IOException {
    if (!Files.exists(dir.control())) return null;
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      try {
        ch.connect(UnixDomainSocketAddress.of(dir.control()));
      } catch (IOException e) {
        return null; // refused: a crashed responder's socket
      }
      ch.write(ByteBuffer.wrap((what + "\n").getBytes(StandardCharsets.US_ASCII)));
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      ByteBuffer b = ByteBuffer.allocate(512);
      while (ch.read(b) >= 0) {
        got.write(b.array(), 0, b.position());
        b.clear();
      }
      String reply = got.toString(StandardCharsets.UTF_8).strip();
      return reply.isEmpty() ? null : reply;
    }
  }

  private synchronized String startEmbedded() throws IOException {
    close();
    embedded = DnsResponder.start(embeddedOptions);
    if (embedded == null)
      return "fail another responder holds " + dir.lock() + " but does not answer";
    String p = embedded.problems();
    return p.isEmpty() ? "ready" : "fail " + p;
  }

  /**
   * Runs {@code setsid -f COMMAND --run-dir DIR}: stdin /dev/null, stderr to responder.log, stdout
   * a pipe whose first line is the responder's status ("ready", "fail ...").
   */
  private String startDetached() throws IOException {
    List<String> argv = new ArrayList<>(List.of(SETSID, "-f"));
    argv.addAll(command);
    argv.addAll(List.of("--run-dir", dir.dir().toString()));
    List<String> env = new ArrayList<>();
    for (Map.Entry<String, String> e : System.getenv().entrySet())
      env.add(e.getKey() + "=" + e.getValue());
    Fd[] pipe = Linux.pipe2(0);
    try (Fd in = pipe[0]) {
      try (Fd out = pipe[1];
          Fd devNull = Linux.open("/dev/null", O_RDWR, 0);
          Fd log = Linux.open(dir.log().toString(), O_WRONLY | O_CREAT | O_APPEND, 0600)) {
        int pid =
            Linux.spawn(
                SETSID,
                argv.toArray(new String[0]),
                env.toArray(new String[0]),
                new int[] {0, devNull.fd(), 1, out.fd(), 2, log.fd()},
                false);
        Linux.wait4(pid, 0); // setsid's parent, gone at once; the responder is init's
      }
      String line = firstLine(in);
      if (line == null) {
        return "fail it did not answer within "
            + READY_TIMEOUT_MS / 1000
            + " s ("
            + String.join(" ", argv)
            + "), see "
            + dir.log();
      }
      if (line.isEmpty()) {
        return "fail it exited while starting (" + String.join(" ", argv) + "), see " + dir.log();
      }
      if (line.equals("running")) {
        return "fail another responder holds " + dir.lock() + " but does not answer";
      }
      return line;
    }
  }

  /** How long a starting responder may take to say "ready" (or why not) before start gives up. */
  private static final long READY_TIMEOUT_MS = 30_000;

  /** The first line {@code in} gives, or null when none comes within the ready timeout. */
  private static String firstLine(Fd in) throws ErrnoException {
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    ByteBuffer b = ByteBuffer.allocateDirect(256);
    long deadline = System.nanoTime() + READY_TIMEOUT_MS * 1_000_000;
    while (got.size() < 4096) {
      // A responder that hangs before its first line must not hang the engine with it.
      long left = (deadline - System.nanoTime()) / 1_000_000;
      short[] revents = new short[1];
      if (left <= 0
          || Linux.poll(
                  new Fd[] {in},
                  new short[] {dev.berth.sys.LinuxConstants.POLLIN},
                  revents,
                  (int) left)
              == 0) {
        return null;
      }
      b.clear();
      int n = Linux.read(in, b);
      if (n <= 0) break;
      b.flip();
      byte[] chunk = new byte[n];
      b.get(chunk);
      got.write(chunk, 0, n);
      if (got.toString(StandardCharsets.UTF_8).contains("\n")) break;
    }
    String s = got.toString(StandardCharsets.UTF_8);
    int nl = s.indexOf('\n');
    return (nl < 0 ? s : s.substring(0, nl)).strip();
  }
}
