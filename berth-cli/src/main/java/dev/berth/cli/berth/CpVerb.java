package dev.berth.cli.berth;

import dev.berth.cli.flags.ParsedCommand;
import dev.berth.engine.Engine;
import dev.berth.engine.EngineException;
import dev.berth.engine.fs.CopyPlan;
import dev.berth.engine.fs.HostFiles;
import dev.berth.engine.fs.PathStat;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.sys.Linux;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;

/**
 * berth cp CONTAINER:SRC DEST|- and berth cp SRC|- CONTAINER:DEST, with docker's tar semantics
 * ({@link CopyPlan}): "-" is a tar stream on stdout or stdin; -a keeps owners (else what lands in a
 * container is its root's, what lands here is the caller's); -L copies what a source symlink leads
 * to.
 */
final class CpVerb {
  private CpVerb() {}

  /** One side of a copy: {@code container} null for a host path. */
  record Side(String container, String path) {
    /**
     * docker's reading: an absolute path or one starting with "." is the host's, else
     * CONTAINER:PATH when it has ':'.
     */
    static Side parse(String arg) {
      if (arg.startsWith("/")) return new Side(null, arg);
      int colon = arg.indexOf(':');
      if (colon < 0 || arg.startsWith(".")) return new Side(null, arg);
      return new Side(arg.substring(0, colon), arg.substring(colon + 1));
    }
  }

  static int run(ParsedCommand c, InputStream in, PrintStream out)
      throws BerthException, IOException {
    Side src = Side.parse(c.arg(0));
    Side dst = Side.parse(c.arg(1));
    if (src.container() != null && dst.container() != null) {
      throw EngineException.invalid("copying between containers is not supported");
    }
    if (src.container() == null && dst.container() == null) {
      throw EngineException.invalid("must specify at least one container source");
    }
    boolean archive = c.flags().getBool("archive");
    boolean follow = c.flags().getBool("follow-link");
    Engine engine = BerthMain.engine(c);
    if (src.container() != null) {
      copyOut(engine, src, dst.path(), archive, follow, out);
    } else {
      copyIn(engine, src.path(), dst, archive, follow, in);
    }
    return 0;
  }

  private static void copyOut(
      Engine engine, Side src, String dst, boolean archive, boolean follow, PrintStream out)
      throws BerthException, IOException {
    String path = src.path().isEmpty() ? "/" : src.path();
    if (dst.equals("-")) {
      OutputStream o = new BufferedOutputStream(out, 1 << 16);
      engine.copyFrom(src.container(), path, follow, null, o);
      o.flush();
      return;
    }
    PathStat st = engine.statPath(src.container(), path, follow);
    Path d = Path.of(dst);
    CopyPlan plan = CopyPlan.of(path, st.isDirectory(), dst, Files.exists(d), Files.isDirectory(d));
    String dir = plan.intoDestination() ? dst : CopyPlan.parent(dst, ".");
    if (!Files.isDirectory(Path.of(dir))) {
      throw EngineException.notFound("no such directory: " + dir);
    }
    int[] owner = archive ? null : new int[] {Linux.geteuid(), Linux.getegid()};
    pipe(
        o -> engine.copyFrom(src.container(), path, follow, plan.name(), o),
        i -> HostFiles.extract(i, dir, owner));
  }

  private static void copyIn(
      Engine engine, String src, Side dst, boolean archive, boolean follow, InputStream in)
      throws BerthException, IOException {
    String path = dst.path().isEmpty() ? "/" : dst.path();
    if (src.equals("-")) {
      PathStat st;
      try {
        st = engine.statPath(dst.container(), path, true);
      } catch (BerthException e) {
        if (e.category() != ErrorCategory.NOT_FOUND) throw e;
        st = null;
      }
      if (st == null || !st.isDirectory()) {
        throw EngineException.invalid(
            "destination \"" + dst.container() + ":" + dst.path() + "\" must be a directory");
      }
      engine.copyTo(dst.container(), path, in, archive);
      return;
    }
    PathStat local = HostFiles.stat(src, follow);
    PathStat there;
    try {
      there = engine.statPath(dst.container(), path, true);
    } catch (BerthException e) {
      if (e.category() != ErrorCategory.NOT_FOUND) throw e;
      there = null;
    }
    CopyPlan plan =
        CopyPlan.of(
            src, local.isDirectory(), path, there != null, there != null && there.isDirectory());
    String dir = plan.intoDestination() ? path : CopyPlan.parent(path, "/");
    pipe(
        o -> HostFiles.archive(src, follow, plan.name(), o),
        i -> engine.copyTo(dst.container(), dir, i, archive));
  }

  interface Producer {
    void write(OutputStream out) throws BerthException, IOException;
  }

  interface Consumer {
    void read(InputStream in) throws BerthException, IOException;
  }

  /**
   * Streams what {@code producer} writes to {@code consumer} (a tar, never held whole): the
   * producer on a thread of its own. The first error is the one reported: the other side's follows
   * from it (a stream cut short, a pipe closed), so each side records its error before it closes
   * its end.
   */
  private static void pipe(Producer producer, Consumer consumer)
      throws BerthException, IOException {
    PipedInputStream pin = new PipedInputStream(1 << 20);
    PipedOutputStream pout = new PipedOutputStream(pin);
    AtomicReference<Exception> first = new AtomicReference<>();
    Thread writer =
        Thread.ofPlatform()
            .name("berth-cp")
            .start(
                () -> {
                  OutputStream o = new BufferedOutputStream(pout, 1 << 16);
                  try {
                    producer.write(o);
                    o.flush();
                  } catch (BerthException | IOException | RuntimeException e) {
                    first.compareAndSet(null, e);
                  } finally {
                    try {
                      pout.close();
                    } catch (IOException ignored) {
                      // the reader has gone
                    }
                  }
                });
    try {
      consumer.read(pin);
      pin.transferTo(OutputStream.nullOutputStream()); // let the writer finish
    } catch (BerthException | IOException | RuntimeException e) {
      first.compareAndSet(null, e);
    } finally {
      pin.close();
    }
    try {
      writer.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Exception e = first.get();
    if (e instanceof BerthException b) throw b;
    if (e instanceof IOException io) throw io;
    if (e instanceof RuntimeException r) throw r;
  }
}
