package dev.berth.training;

import dev.berth.cli.berthd.BerthdMain;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The AOT cache's training run for {@code berthd} (scripts/train-aot.sh): the real daemon on a
 * throwaway store and socket, asked what the docker CLI asks (ping, version, info, lists, inspects,
 * volume and network verbs, missing objects) and what the kubelet asks first on the CRI socket
 * (Version, Status, an image's status), so its start and its first answers run from the cache. It
 * ends with System.exit: the daemon's shutdown hook closes it, and the JVM writes the cache at that
 * ordinary exit.
 */
public final class BerthdTraining {
  private BerthdTraining() {}

  public static void main(String[] argv) throws Exception {
    Path work = Files.createTempDirectory("berthd-train");
    int code = 0;
    try {
      Path socket = work.resolve("docker.sock");
      Path cri = work.resolve("cri.sock");
      String[] args = {
        "--root",
        work.resolve("root").toString(),
        "--runroot",
        work.resolve("run").toString(),
        "--host",
        "unix://" + socket,
        "--cri",
        "unix://" + cri,
        "--log-level",
        "error"
      };
      Thread.ofPlatform().daemon().name("berthd").start(() -> BerthdMain.main(args));
      awaitSocket(socket);
      String[][] requests = {
        {"GET", "/_ping"},
        {"HEAD", "/_ping"},
        {"GET", "/v1.44/version"},
        {"GET", "/v1.44/info"},
        {"GET", "/v1.44/images/json"},
        {"GET", "/v1.44/images/json?all=1&filters=%7B%22dangling%22%3A%5B%22true%22%5D%7D"},
        {"GET", "/v1.44/images/nosuch/json"},
        {"GET", "/v1.44/containers/json?all=1"},
        {"GET", "/v1.44/containers/nosuch/json"},
        {"POST", "/v1.44/volumes/create", "{\"Name\":\"train\",\"Labels\":{\"a\":\"b\"}}"},
        {"GET", "/v1.44/volumes"},
        {"GET", "/v1.44/volumes/train"},
        {"DELETE", "/v1.44/volumes/train"},
        {"GET", "/v1.44/networks"},
        {"GET", "/v1.44/networks/nosuch"},
        {"GET", "/v1.44/system/df"},
        {"GET", "/v1.44/events?since=0&until=1"},
        {"POST", "/v1.44/containers/create", "{\"Image\":\"nosuch\"}"},
        {"POST", "/v1.44/images/prune"},
        {"GET", "/v1.45/version"},
        {"POST", "/v1.44/volumes/create", "{malformed"},
      };
      for (int round = 0; round < 3; round++) {
        for (String[] r : requests) {
          String answer = request(socket, r[0], r[1], r.length > 2 ? r[2] : null);
          if (round == 0)
            System.err.println("train: " + r[0] + " " + r[1] + " -> " + statusLine(answer));
        }
      }
      CriTraining.run(cri, work);
    } catch (Exception e) {
      e.printStackTrace();
      code = 1;
    } finally {
      try (Stream<Path> all = Files.walk(work)) {
        for (Path p : all.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
      } catch (IOException ignored) {
        // a throwaway directory under /tmp
      }
    }
    System.exit(code);
  }

  private static void awaitSocket(Path socket) throws Exception {
    for (int i = 0; i < 600; i++) {
      if (Files.exists(socket)) {
        try {
          request(socket, "GET", "/_ping", null);
          return;
        } catch (IOException notYet) {
          // bound but not answering yet
        }
      }
      Thread.sleep(20);
    }
    throw new IOException("berthd did not answer on " + socket + " within 12 s");
  }

  private static final ScheduledExecutorService WATCHDOG =
      Executors.newSingleThreadScheduledExecutor(
          r -> Thread.ofPlatform().daemon().name("train-watchdog").unstarted(r));

  /** One request on its own connection ("Connection: close"), read to its end; 10 s at most. */
  private static String request(Path socket, String method, String path, String json)
      throws IOException {
    try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
      ScheduledFuture<?> deadline =
          WATCHDOG.schedule(
              () -> {
                try {
                  ch.close();
                } catch (IOException ignored) {
                  // closed already
                }
              },
              10,
              TimeUnit.SECONDS);
      try {
        byte[] body = json == null ? new byte[0] : json.getBytes(StandardCharsets.UTF_8);
        String head =
            method
                + " "
                + path
                + " HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n"
                + (json == null ? "" : "Content-Type: application/json\r\n")
                + ("POST".equals(method) ? "Content-Length: " + body.length + "\r\n" : "")
                + "\r\n";
        ByteBuffer out = ByteBuffer.wrap(head.getBytes(StandardCharsets.US_ASCII));
        while (out.hasRemaining()) ch.write(out);
        ByteBuffer b = ByteBuffer.wrap(body);
        while (b.hasRemaining()) ch.write(b);
        ByteArrayOutputStream answer = new ByteArrayOutputStream();
        ByteBuffer in = ByteBuffer.allocate(1 << 16);
        while (ch.read(in) >= 0) {
          answer.write(in.array(), 0, in.position());
          in.clear();
        }
        return answer.toString(StandardCharsets.UTF_8);
      } finally {
        deadline.cancel(false);
      }
    }
  }

  private static String statusLine(String answer) {
    int end = answer.indexOf('\r');
    return end < 0 ? answer : answer.substring(0, end);
  }
}
