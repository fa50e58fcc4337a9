package dev.berth.api.cri;

import com.google.protobuf.ByteString;
import dev.berth.api.cri.v1.ExecSyncRequest;
import dev.berth.api.cri.v1.ExecSyncResponse;
import dev.berth.engine.Engine;
import dev.berth.engine.ExecFailedException;
import dev.berth.engine.ExecSignals;
import dev.berth.engine.container.ExecOptions;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.runtime.driver.ExecResult;
import dev.berth.runtime.driver.Stdio;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * ExecSync: a command run to its end in a running container (kubelet's exec probes), its output
 * read from pipes while it runs, at most {@link #MAX_OUTPUT} bytes of each stream kept and the rest
 * dropped ({@link BoundedOutput}: files on the run directory's tmpfs grew with whatever the process
 * wrote). Past its timeout the process is killed and the call answers DEADLINE_EXCEEDED, as
 * containerd does: the kubelet reads that code as a probe that timed out.
 */
final class CriExecSync {
  /** The most of stdout, and of stderr, returned: containerd's 16 MiB. */
  static final int MAX_OUTPUT = 16 << 20;

  /** How long a killed process may take to be reaped before the call answers anyway. */
  private static final long KILL_GRACE_MS = 5_000;

  private final Engine engine;
  private final CriContainers containers;

  CriExecSync(Engine engine, CriContainers containers) {
    this.engine = engine;
    this.containers = containers;
  }

  ExecSyncResponse run(ExecSyncRequest request) throws Exception {
    ContainerRecord r = containers.container(request.getContainerId());
    if (request.getCmdCount() == 0) throw CriCalls.invalid("cmd: required");
    if (request.getTimeout() < 0)
      throw CriCalls.invalid("timeout: " + request.getTimeout() + " is negative");
    ExecSignals signals = new ExecSignals();
    ExecOptions options =
        new ExecOptions(request.getCmdList(), null, null, null, false, 0, 0, false, false);
    try (BoundedOutput out = new BoundedOutput("berthd-cri-execsync-out", MAX_OUTPUT);
        BoundedOutput err = new BoundedOutput("berthd-cri-execsync-err", MAX_OUTPUT)) {
      Stdio stdio = new Stdio(Path.of("/dev/null"), out.path(), err.path());
      FutureTask<ExecResult> task =
          new FutureTask<>(() -> engine.exec(r.id(), options, stdio, null, signals));
      Thread.ofPlatform().name("berthd-cri-execsync").daemon(true).start(task);
      ExecResult result;
      try {
        result =
            request.getTimeout() == 0
                ? task.get()
                : task.get(request.getTimeout(), TimeUnit.SECONDS);
      } catch (TimeoutException e) {
        kill(task, signals);
        throw new BerthException(
            ErrorCategory.DEADLINE_EXCEEDED,
            "command "
                + request.getCmdList()
                + " in container "
                + r.shortId()
                + ": timeout "
                + request.getTimeout()
                + "s exceeded");
      } catch (ExecutionException e) {
        if (e.getCause() instanceof ExecFailedException f) {
          // The command could not start (not found, not executable): an exit code, as the
          // runtime's own shell would give it, with the reason on stderr.
          return ExecSyncResponse.newBuilder()
              .setStderr(ByteString.copyFromUtf8(f.getMessage() + "\n"))
              .setExitCode(f.exitCode())
              .build();
        }
        throw e.getCause() instanceof Exception x ? x : e;
      } catch (InterruptedException e) {
        kill(task, signals);
        throw e;
      }
      return ExecSyncResponse.newBuilder()
          .setStdout(out.finish())
          .setStderr(err.finish())
          .setExitCode(result.exitCode())
          .build();
    }
  }

  /** SIGKILL to the process once it runs, then a bounded wait for its end. */
  private static void kill(FutureTask<ExecResult> task, ExecSignals signals) {
    long deadline = System.nanoTime() + KILL_GRACE_MS * 1_000_000;
    while (!task.isDone() && System.nanoTime() < deadline) {
      signals.send(9);
      try {
        task.get(50, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (ExecutionException | TimeoutException e) {
        // ended with an error, or not yet: look again
      }
    }
  }
}
