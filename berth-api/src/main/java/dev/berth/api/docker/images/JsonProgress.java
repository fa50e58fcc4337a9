package dev.berth.api.docker.images;

import dev.berth.api.docker.ResponseStream;
import dev.berth.image.Progress;
import dev.berth.spec.image.Digest;
import dev.berth.spec.json.JsonWriter;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * docker's JSON progress stream of a pull or push: one message per line, {@code {"status":
 * "Downloading", "progressDetail": {"current": .., "total": ..}, "progress": "[=> ]", "id": "<12
 * hex>"}} per blob, plain {@code {"status": ".."}} lines, and {@code {"errorDetail": .., "error":
 * ..}} when it fails. A client that goes away stops the messages, not the work (dockerd finishes a
 * pull whose client left).
 */
final class JsonProgress implements Progress {
  private static final long REDRAW_NANOS = 100_000_000L;

  private final ResponseStream out;
  private final boolean pushing;
  private final Map<Digest, Phase> phases = new HashMap<>();
  private long lastBytes;
  private boolean gone;

  JsonProgress(ResponseStream out, boolean pushing) {
    this.out = out;
    this.pushing = pushing;
  }

  @Override
  public synchronized void blob(Digest digest, Phase phase, long current, long total) {
    Phase before = phases.put(digest, phase);
    boolean moving = phase == Phase.DOWNLOADING || phase == Phase.UPLOADING;
    long now = System.nanoTime();
    if (before == phase && (!moving || now - lastBytes < REDRAW_NANOS)) return;
    JsonWriter w = new JsonWriter(JsonWriter.COMPACT).beginObject().field("status", words(phase));
    w.name("progressDetail").beginObject();
    if (moving) {
      lastBytes = now;
      w.field("current", current);
      if (total > 0) w.field("total", total);
    }
    w.endObject();
    if (moving && total > 0) w.field("progress", bar(current, total));
    w.field("id", digest.encoded().substring(0, 12)).endObject();
    send(w);
  }

  @Override
  public synchronized void message(String line) {
    status(line);
  }

  /** A {@code {"status": ..}} line. */
  synchronized void status(String line) {
    send(new JsonWriter(JsonWriter.COMPACT).beginObject().field("status", line).endObject());
  }

  /** A {@code {"status": .., "id": ..}} line ("latest: Pulling from library/busybox"). */
  synchronized void status(String line, String id) {
    send(
        new JsonWriter(JsonWriter.COMPACT)
            .beginObject()
            .field("status", line)
            .field("id", id)
            .endObject());
  }

  /** The error message that ends a failed stream, as docker's clients print it. */
  synchronized void error(String message) {
    send(
        new JsonWriter(JsonWriter.COMPACT)
            .beginObject()
            .name("errorDetail")
            .beginObject()
            .field("message", message)
            .endObject()
            .field("error", message)
            .endObject());
  }

  /** Any other message (push's {@code aux}). */
  synchronized void send(JsonWriter w) {
    if (gone) return;
    try {
      out.line(w.toByteArray());
    } catch (IOException e) {
      gone = true;
    }
  }

  private String words(Phase p) {
    return switch (p) {
      case WAITING -> pushing ? "Preparing" : "Waiting";
      case EXISTS -> pushing ? "Layer already exists" : "Already exists";
      case DOWNLOADING -> "Downloading";
      case EXTRACTING -> "Extracting";
      case VERIFYING -> "Verifying Checksum";
      case DONE -> "Pull complete";
      case MOUNTED -> "Mounted from source repository";
      case UPLOADING -> "Pushing";
      case PUSHED -> "Pushed";
      case FAILED -> "Failed";
    };
  }

  private static String bar(long current, long total) {
    int width = 50;
    int filled = (int) Math.min(width, current * width / total);
    StringBuilder b = new StringBuilder(width + 2).append('[');
    for (int i = 0; i < width; i++) b.append(i < filled - 1 ? '=' : i == filled - 1 ? '>' : ' ');
    return b.append(']').toString();
  }
}
