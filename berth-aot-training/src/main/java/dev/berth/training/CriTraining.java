package dev.berth.training;

import dev.berth.api.cri.v1.ImageSpec;
import dev.berth.api.cri.v1.ImageStatusRequest;
import dev.berth.api.cri.v1.StatusRequest;
import dev.berth.api.cri.v1.VersionRequest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The CRI part of berthd's training: what the kubelet asks first (Version, Status, an image's
 * status) on the daemon's CRI socket. The client is curl speaking gRPC over HTTP/2, in a process of
 * its own: grpc's client classes in this JVM would go into berthd's cache, which maps them into
 * every daemon (about 14 MB of RSS) though the daemon never uses them.
 */
final class CriTraining {
  private CriTraining() {}

  static void run(Path socket, Path work) throws IOException, InterruptedException {
    call(socket, work, "RuntimeService/Version", VersionRequest.newBuilder().setVersion("v1"));
    call(socket, work, "RuntimeService/Status", StatusRequest.newBuilder());
    call(
        socket,
        work,
        "ImageService/ImageStatus",
        ImageStatusRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage("nosuch")));
    for (int round = 0; round < 2; round++) {
      call(socket, work, "RuntimeService/Version", VersionRequest.newBuilder());
      call(socket, work, "RuntimeService/Status", StatusRequest.newBuilder());
    }
  }

  /** One unary call; its grpc-status must be 0. */
  private static void call(
      Path socket, Path work, String method, com.google.protobuf.Message.Builder request)
      throws IOException, InterruptedException {
    byte[] body = request.build().toByteArray();
    Path in = work.resolve("cri-request");
    // gRPC's length-prefixed message: not compressed, the length, the bytes.
    Files.write(
        in,
        ByteBuffer.allocate(5 + body.length).put((byte) 0).putInt(body.length).put(body).array());
    Process p =
        new ProcessBuilder(
                "curl",
                "-sS",
                "--max-time",
                "10",
                "--http2-prior-knowledge",
                "--unix-socket",
                socket.toString(),
                "-H",
                "content-type: application/grpc",
                "-H",
                "te: trailers",
                "--data-binary",
                "@" + in,
                "-o",
                "/dev/null",
                "-D",
                "-",
                "http://localhost/runtime.v1." + method)
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(15, TimeUnit.SECONDS) || p.exitValue() != 0 || !out.contains("grpc-status: 0")) {
      throw new IOException("CRI " + method + " failed: " + out.strip());
    }
    System.err.println("train: CRI " + method + " -> grpc-status 0");
  }
}
