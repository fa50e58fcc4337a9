package dev.berth.api.cri.streaming;

import dev.berth.spec.json.JsonWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * One exec or attach session, on a thread of its own once the client's streams are there: runs the
 * runtime, reports how it ended on the error stream (v4: a metav1.Status in JSON with the exit
 * code; older protocols: the failure's text only), ends the output streams and the connection.
 */
final class RemoteCommand {
  private RemoteCommand() {}

  /**
   * @param request an {@link ExecRequest} or {@link AttachRequest}
   * @param error the error stream (may be null)
   * @param jsonStatus v4 and later: the status as metav1.Status JSON
   * @param end closes the connection once everything was written
   */
  static void start(
      StreamingRuntime runtime,
      Object request,
      Streams streams,
      OutputStream error,
      boolean jsonStatus,
      Runnable end) {
    Thread.ofPlatform()
        .name(request instanceof ExecRequest ? "berth-stream-exec" : "berth-stream-attach")
        .daemon(true)
        .start(() -> run(runtime, request, streams, error, jsonStatus, end));
  }

  private static void run(
      StreamingRuntime runtime,
      Object request,
      Streams streams,
      OutputStream error,
      boolean jsonStatus,
      Runnable end) {
    byte[] status;
    boolean success;
    try {
      if (request instanceof ExecRequest e) {
        int code = runtime.exec(e, streams);
        success = code == 0;
        status =
            success
                ? success(jsonStatus)
                : nonZeroExit(jsonStatus, String.join(" ", e.command()), code);
      } else {
        runtime.attach((AttachRequest) request, streams);
        success = true;
        status = success(jsonStatus);
      }
    } catch (Exception | Error x) {
      success = false;
      status = internalError(jsonStatus, String.valueOf(x.getMessage()));
    }
    streams.finished();
    try {
      if (error != null && (jsonStatus || !success)) error.write(status);
    } catch (IOException gone) {
      // the client left: nobody to tell
    } finally {
      streams.endResizes();
      close(error);
      close(streams.stdout());
      close(streams.stderr());
      end.run();
    }
  }

  private static void close(OutputStream s) {
    if (s == null) return;
    try {
      s.close();
    } catch (IOException e) {
      // the client left
    }
  }

  static byte[] success(boolean json) {
    if (!json) return new byte[0];
    return new JsonWriter(JsonWriter.COMPACT)
        .beginObject()
        .name("metadata")
        .beginObject()
        .endObject()
        .field("status", "Success")
        .endObject()
        .toByteArray();
  }

  /** As kubelet reports a non-zero exit: reason NonZeroExitCode, the code as an ExitCode cause. */
  static byte[] nonZeroExit(boolean json, String command, int code) {
    String message =
        "command terminated with non-zero exit code: error executing command ["
            + command
            + "], exit code "
            + code;
    if (!json) return message.getBytes(StandardCharsets.UTF_8);
    return new JsonWriter(JsonWriter.COMPACT)
        .beginObject()
        .name("metadata")
        .beginObject()
        .endObject()
        .field("status", "Failure")
        .field("message", message)
        .field("reason", "NonZeroExitCode")
        .name("details")
        .beginObject()
        .name("causes")
        .beginArray()
        .beginObject()
        .field("reason", "ExitCode")
        .field("message", Integer.toString(code))
        .endObject()
        .endArray()
        .endObject()
        .endObject()
        .toByteArray();
  }

  /** As apimachinery's NewInternalError: reason InternalError, code 500. */
  static byte[] internalError(boolean json, String detail) {
    String message = "Internal error occurred: " + detail;
    if (!json) return message.getBytes(StandardCharsets.UTF_8);
    return new JsonWriter(JsonWriter.COMPACT)
        .beginObject()
        .name("metadata")
        .beginObject()
        .endObject()
        .field("status", "Failure")
        .field("message", message)
        .field("reason", "InternalError")
        .name("details")
        .beginObject()
        .name("causes")
        .beginArray()
        .beginObject()
        .field("message", detail)
        .endObject()
        .endArray()
        .endObject()
        .field("code", 500)
        .endObject()
        .toByteArray();
  }
}
