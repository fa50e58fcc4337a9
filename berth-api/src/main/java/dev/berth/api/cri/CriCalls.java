package dev.berth.api.cri;

import dev.berth.spec.error.BerthException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;

/**
 * Runs one unary CRI call and answers it: the value, or the error as a gRPC status. A {@link
 * BerthException} keeps its message under the code of its category ({@link CriStatus}); anything
 * else is a bug of ours and answers INTERNAL with a one-line message, never a stack trace.
 */
final class CriCalls {
  private CriCalls() {}

  /** A call's work: blocks on the engine, returns the response or throws. */
  @FunctionalInterface
  interface Call<T> {
    T run() throws Exception;
  }

  static <T> void answer(StreamObserver<T> out, Call<T> call) {
    T value;
    try {
      value = call.run();
    } catch (Exception | Error e) {
      out.onError(status(e));
      return;
    }
    out.onNext(value);
    out.onCompleted();
  }

  static StatusRuntimeException status(Throwable e) {
    if (e instanceof StatusRuntimeException s) return s;
    if (e instanceof BerthException b) {
      return Status.fromCodeValue(CriStatus.code(b.category()))
          .withDescription(b.getMessage())
          .asRuntimeException();
    }
    if (e instanceof InterruptedException) Thread.currentThread().interrupt();
    String message = e.getMessage() == null ? "" : e.getMessage();
    int eol = message.indexOf('\n');
    if (eol >= 0) message = message.substring(0, eol);
    return Status.INTERNAL
        .withDescription(e.getClass().getSimpleName() + (message.isEmpty() ? "" : ": " + message))
        .asRuntimeException();
  }

  static StatusRuntimeException invalid(String message) {
    return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
  }

  /** A feature berth does not have, asked for: UNIMPLEMENTED, which clients read as unsupported. */
  static StatusRuntimeException unsupported(String message) {
    return Status.UNIMPLEMENTED.withDescription(message).asRuntimeException();
  }
}
