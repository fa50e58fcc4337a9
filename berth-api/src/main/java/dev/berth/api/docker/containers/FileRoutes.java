package dev.berth.api.docker.containers;

import dev.berth.api.docker.ApiError;
import dev.berth.api.docker.Exchange;
import dev.berth.api.docker.ResponseStream;
import dev.berth.api.docker.Router;
import dev.berth.engine.Engine;
import dev.berth.engine.fs.PathStat;
import dev.berth.spec.json.JsonWriter;
import dev.berth.spec.json.Rfc3339;
import dev.berth.sys.LinuxConstants;
import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.util.Base64;

/**
 * A container's files: {@code archive} (HEAD: the path's stat in {@code
 * X-Docker-Container-Path-Stat}; GET: it as a tar; PUT: a tar extracted into a directory, of a
 * container in any state, created ones included) and {@code export} (the root filesystem as a tar).
 * Paths resolve inside the container as {@code berth cp} resolves them ({@link Engine#copyFrom}).
 */
final class FileRoutes {
  static final String STAT_HEADER = "X-Docker-Container-Path-Stat";
  static final String TAR = "application/x-tar";

  private final Engine engine;

  FileRoutes(Engine engine) {
    this.engine = engine;
  }

  void register(Router r) {
    r.head("/containers/{id}/archive", this::stat);
    r.get("/containers/{id}/archive", this::get);
    r.add("PUT", "/containers/{id}/archive", Router.Body.STREAM, this::put);
    r.get("/containers/{id}/export", this::export);
    r.get("/containers/{id}/changes", this::changes);
  }

  private static String path(Exchange x) throws ApiError {
    String p = x.query("path");
    if (p == null || p.isEmpty()) throw ApiError.badRequest("path: required");
    return p;
  }

  private void stat(Exchange x) throws Exception {
    PathStat st = engine.statPath(x.param("id"), path(x), false);
    x.answerHeader(STAT_HEADER, statHeader(st));
    x.respond(200);
  }

  private void get(Exchange x) throws Exception {
    String id = x.param("id");
    String path = path(x);
    PathStat st = engine.statPath(id, path, false);
    x.answerHeader(STAT_HEADER, statHeader(st));
    ResponseStream s = x.stream(200, TAR);
    OutputStream out = new BufferedOutputStream(s, 1 << 16);
    engine.copyFrom(id, path, false, null, out);
    out.flush();
  }

  private void put(Exchange x) throws Exception {
    String id = x.param("id");
    String path = path(x);
    // noOverwriteDirNonDir is what the extraction does anyway: a directory never replaces a file,
    // nor a file a directory.
    engine.copyTo(id, path, x.bodyStream(), x.bool("copyUIDGID"));
    x.respond(200);
  }

  /** docker diff: [{"Path": "/etc", "Kind": 0}], Kind 0 changed, 1 added, 2 deleted. */
  private void changes(Exchange x) throws Exception {
    JsonWriter w = new JsonWriter(JsonWriter.COMPACT).beginArray();
    for (var c : engine.changes(x.param("id"))) {
      w.beginObject().field("Path", c.path()).field("Kind", c.kind().ordinal()).endObject();
    }
    x.json(200, w.endArray());
  }

  private void export(Exchange x) throws Exception {
    String id = engine.inspect(x.param("id")).id();
    ResponseStream s = x.stream(200, TAR);
    OutputStream out = new BufferedOutputStream(s, 1 << 16);
    engine.export(id, out);
    out.flush();
  }

  /**
   * The header's value: docker's stat JSON ({@code name, size, mode, mtime, linkTarget}), base64.
   */
  static String statHeader(PathStat st) {
    JsonWriter w =
        new JsonWriter(JsonWriter.COMPACT)
            .beginObject()
            .field("name", st.name())
            .field("size", st.size())
            .field("mode", goFileMode(st.mode()))
            .field("mtime", Rfc3339.format(st.mtime()))
            .field("linkTarget", st.linkTarget())
            .endObject();
    return Base64.getEncoder().encodeToString(w.toByteArray());
  }

  /**
   * A Unix mode as Go's os.FileMode, which docker's clients read: the permission bits, and the type
   * and special bits at Go's positions.
   */
  static long goFileMode(int mode) {
    long m = mode & 0777;
    switch (mode & LinuxConstants.S_IFMT) {
      case LinuxConstants.S_IFDIR -> m |= 1L << 31;
      case LinuxConstants.S_IFLNK -> m |= 1L << 27;
      case LinuxConstants.S_IFIFO -> m |= 1L << 25;
      case LinuxConstants.S_IFSOCK -> m |= 1L << 24;
      case LinuxConstants.S_IFBLK -> m |= 1L << 26;
      case LinuxConstants.S_IFCHR -> m |= (1L << 26) | (1L << 21);
      default -> {}
    }
    if ((mode & 04000) != 0) m |= 1L << 23;
    if ((mode & 02000) != 0) m |= 1L << 22;
    if ((mode & 01000) != 0) m |= 1L << 20;
    return m;
  }
}
