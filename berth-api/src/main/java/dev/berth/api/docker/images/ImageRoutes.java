package dev.berth.api.docker.images;

import dev.berth.api.docker.ApiError;
import dev.berth.api.docker.Exchange;
import dev.berth.api.docker.Filters;
import dev.berth.api.docker.ResponseStream;
import dev.berth.api.docker.Router;
import dev.berth.engine.Engine;
import dev.berth.engine.ImageViews;
import dev.berth.image.ImageService;
import dev.berth.image.archive.ArchiveFormat;
import dev.berth.image.registry.Credentials;
import dev.berth.image.store.ImageRecord;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.image.Descriptor;
import dev.berth.spec.image.Digest;
import dev.berth.spec.image.ImageConfig;
import dev.berth.spec.image.Reference;
import dev.berth.spec.json.JsonReader;
import dev.berth.spec.json.JsonWriter;
import dev.berth.spec.json.Rfc3339;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * {@code /images/...}: list, inspect, history, tag, remove, pull and import ({@code create}), push,
 * save ({@code get}), load, prune, search; and {@code /auth}, the registry login check.
 */
public final class ImageRoutes {
  private final Engine engine;

  public ImageRoutes(Engine engine) {
    this.engine = engine;
  }

  public void register(Router r) {
    r.get("/images/json", this::list);
    r.get("/images/search", x -> x.json(200, List.of()));
    r.get("/images/get", x -> save(x, x.queryAll("names")));
    r.add("POST", "/images/create", Router.Body.STREAM, this::create);
    r.add("POST", "/images/load", Router.Body.STREAM, this::load);
    r.post("/images/prune", this::prune);
    r.get("/images/{name*}/json", this::inspect);
    r.get("/images/{name*}/history", this::history);
    r.get("/images/{name*}/get", x -> save(x, List.of(x.param("name"))));
    r.post("/images/{name*}/tag", this::tag);
    r.post("/images/{name*}/push", this::push);
    r.delete("/images/{name*}", this::remove);
    r.post("/auth", this::auth);
  }

  private ImageService images() {
    return engine.images();
  }

  // ---- list ----

  private static final List<String> LIST_FILTERS =
      List.of("reference", "dangling", "label", "before", "since");

  private void list(Exchange x) throws Exception {
    Filters f = x.filters().only(LIST_FILTERS);
    List<ImageRecord> all = images().list();
    Map<Digest, List<ImageRecord>> byId = new LinkedHashMap<>();
    for (ImageRecord r : all) {
      if (r.config() != null) byId.computeIfAbsent(r.config(), k -> new ArrayList<>()).add(r);
    }
    Instant before = f.has("before") ? created(all, f.get("before").get(0)) : null;
    Instant since = f.has("since") ? created(all, f.get("since").get(0)) : null;
    List<Object> out = new ArrayList<>();
    for (List<ImageRecord> names : byId.values()) {
      ImageService.ImageDetails d;
      try {
        d = images().details(names.get(0), all);
      } catch (BerthException e) {
        continue; // removed meanwhile, or unreadable: not listed, as docker skips a broken image
      }
      List<String> tags = new ArrayList<>();
      List<String> digests = new ArrayList<>();
      for (ImageRecord n : names) {
        if (ImageService.isUnnamed(n)) continue;
        Reference ref = Reference.parse(n.name());
        if (ref.hasTag()) tags.add(ref.familiar());
        String dg = Reference.parse(ref.name()).familiar() + "@" + n.target().digest();
        if (!digests.contains(dg)) digests.add(dg);
      }
      boolean dangling = tags.isEmpty();
      if (f.has("dangling") && dangling != bool(f.get("dangling").get(0))) continue;
      if (!f.labelsMatch(d.config().config().labels())) continue;
      if (f.has("reference") && !referenceMatches(f.get("reference"), tags)) continue;
      Instant created = imageCreated(d.config());
      if (before != null && !created.isBefore(before)) continue;
      if (since != null && !created.isAfter(since)) continue;
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("Id", d.record().config().toString());
      m.put("ParentId", "");
      m.put("RepoTags", tags);
      m.put("RepoDigests", digests);
      m.put("Created", created.getEpochSecond());
      m.put("Size", d.size());
      m.put("SharedSize", -1);
      m.put("Labels", d.config().config().labels());
      m.put("Containers", -1);
      out.add(m);
    }
    x.json(200, out);
  }

  private static boolean bool(String v) throws ApiError {
    return switch (v) {
      case "true", "1" -> true;
      case "false", "0" -> false;
      default -> throw ApiError.badRequest("invalid filter 'dangling=" + v + "'");
    };
  }

  /** docker's reference filter: a glob over the familiar name, with or without its tag. */
  static boolean referenceMatches(List<String> patterns, List<String> tags) {
    for (String p : patterns) {
      Pattern re = glob(p);
      for (String t : tags) {
        String repo =
            t.substring(
                0, t.lastIndexOf(':') > t.lastIndexOf('/') ? t.lastIndexOf(':') : t.length());
        if (re.matcher(t).matches() || re.matcher(repo).matches()) return true;
      }
    }
    return false;
  }

  private static Pattern glob(String p) {
    StringBuilder b = new StringBuilder();
    for (char c : p.toCharArray()) {
      switch (c) {
        case '*' -> b.append("[^/]*");
        case '?' -> b.append("[^/]");
        default -> b.append(Pattern.quote(String.valueOf(c)));
      }
    }
    return Pattern.compile(b.toString());
  }

  private Instant created(List<ImageRecord> all, String ref) throws BerthException {
    return imageCreated(images().details(images().resolve(ref), all).config());
  }

  private static Instant imageCreated(ImageConfig c) {
    try {
      return c.created().isEmpty() ? Instant.EPOCH : Rfc3339.parse(c.created());
    } catch (RuntimeException e) {
      return Instant.EPOCH;
    }
  }

  // ---- inspect, history, tag, remove ----

  private void inspect(Exchange x) throws Exception {
    ImageService.ImageDetails d = details(x.param("name"));
    JsonWriter w = new JsonWriter(JsonWriter.COMPACT);
    ImageViews.inspect(w, d);
    x.json(200, w);
  }

  private ImageService.ImageDetails details(String name) throws BerthException {
    try {
      return images().inspect(name);
    } catch (BerthException e) {
      if (e.category() == ErrorCategory.NOT_FOUND) throw noSuchImage(name);
      throw e;
    }
  }

  private static BerthException noSuchImage(String name) {
    return new BerthException(ErrorCategory.NOT_FOUND, "No such image: " + name);
  }

  private void history(Exchange x) throws Exception {
    ImageService.ImageDetails d = details(x.param("name"));
    List<ImageConfig.History> h = d.config().history();
    List<Descriptor> layers = d.manifest().layers();
    List<Map<String, Object>> rows = new ArrayList<>();
    int layer = 0;
    for (ImageConfig.History e : h) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("Id", "<missing>");
      m.put("Created", e.created().isEmpty() ? 0 : Rfc3339.parse(e.created()).getEpochSecond());
      m.put("CreatedBy", e.createdBy());
      m.put("Tags", null);
      m.put("Size", e.emptyLayer() || layer >= layers.size() ? 0 : layers.get(layer++).size());
      m.put("Comment", e.comment());
      rows.add(m);
    }
    if (rows.isEmpty()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("Id", "<missing>");
      m.put("Created", imageCreated(d.config()).getEpochSecond());
      m.put("CreatedBy", "");
      m.put("Tags", null);
      m.put("Size", d.size());
      m.put("Comment", "");
      rows.add(m);
    }
    java.util.Collections.reverse(rows);
    rows.get(0).put("Id", d.record().config().toString());
    List<String> tags = new ArrayList<>();
    for (String n : d.names()) {
      if (n.startsWith("sha256:")) continue;
      Reference ref = Reference.parse(n);
      if (ref.hasTag()) tags.add(ref.familiar());
    }
    rows.get(0).put("Tags", tags.isEmpty() ? null : tags);
    x.json(200, rows);
  }

  private void tag(Exchange x) throws Exception {
    String repo = x.query("repo", "");
    if (repo.isEmpty())
      throw ApiError.badRequest("repository name must have at least one component");
    String tag = x.query("tag", "");
    images().resolve(x.param("name"));
    try {
      images().tag(x.param("name"), tag.isEmpty() ? repo : repo + ":" + tag);
    } catch (BerthException e) {
      if (e.category() == ErrorCategory.NOT_FOUND) throw noSuchImage(x.param("name"));
      throw e;
    }
    x.respond(201);
  }

  private void remove(Exchange x) throws Exception {
    String name = x.param("name");
    boolean force = x.bool("force");
    try {
      images().resolve(name);
    } catch (BerthException e) {
      if (e.category() == ErrorCategory.NOT_FOUND) throw noSuchImage(name);
      throw e;
    }
    if (!force) {
      var user = engine.imageUser(name);
      if (user.isPresent()) {
        throw new BerthException(
            ErrorCategory.FAILED_PRECONDITION,
            "conflict: unable to remove repository reference \""
                + name
                + "\" (must force) - container "
                + user.get().id().substring(0, 12)
                + " is using its referenced image");
      }
    }
    List<Object> out = new ArrayList<>();
    for (String line : images().remove(List.of(name), force)) {
      int colon = line.indexOf(": ");
      out.add(Map.of(line.substring(0, colon), line.substring(colon + 2)));
    }
    x.json(200, out);
  }

  // ---- pull, import ----

  private void create(Exchange x) throws Exception {
    String fromImage = x.query("fromImage", "");
    String fromSrc = x.query("fromSrc", "");
    if (!fromSrc.isEmpty()) {
      importTar(x, fromSrc);
      return;
    }
    if (fromImage.isEmpty()) throw ApiError.badRequest("fromImage or fromSrc is required");
    String tag = x.query("tag", "");
    Reference ref;
    try {
      ref = Reference.parse(fromImage);
      if (!tag.isEmpty()) {
        ref = tag.startsWith("sha256:") ? ref.withDigest(Digest.parse(tag)) : ref.withTag(tag);
      }
    } catch (IllegalArgumentException e) {
      throw ApiError.badRequest("invalid reference format: " + e.getMessage());
    }
    Reference full = ref.withDefaultTag();
    Credentials credentials = credentials(x);
    ResponseStream s = x.stream(200, Exchange.JSON);
    JsonProgress progress = new JsonProgress(s, false);
    progress.status(
        "Pulling from " + full.path(),
        full.digest() != null ? full.digest().toString() : full.tag());
    ImageRecord before = images().images().get(full.toString()).orElse(null);
    try {
      ImageRecord got = images().pull(full.toString(), null, progress, credentials);
      boolean same =
          before != null
              && before.target().digest().equals(got.target().digest())
              && before.config().equals(got.config());
      progress.status(
          (same ? "Status: Image is up to date for " : "Status: Downloaded newer image for ")
              + full.familiar());
    } catch (BerthException e) {
      progress.error(e.getMessage());
    }
  }

  private void importTar(Exchange x, String fromSrc) throws Exception {
    if (!fromSrc.equals("-")) {
      throw ApiError.badRequest("fromSrc: only \"-\" (the request body) is supported, not a URL");
    }
    String repo = x.query("repo", "");
    String tag = x.query("tag", "");
    String name = repo.isEmpty() ? null : tag.isEmpty() ? repo : repo + ":" + tag;
    Path tmp = spool(x.bodyStream(), "import");
    try {
      ImageRecord r = images().importRootfs(tmp, name, x.query("message", ""));
      ResponseStream s = x.stream(200, Exchange.JSON);
      new JsonProgress(s, false).status(r.config().toString());
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** X-Registry-Auth: base64url JSON {username, password, identitytoken, serveraddress}. */
  private static Credentials credentials(Exchange x) throws Exception {
    JsonReader r = x.base64Json("X-Registry-Auth");
    if (r == null || !r.beginObject()) return null;
    String user = "";
    String password = "";
    String token = "";
    for (String f; (f = r.nextField()) != null; ) {
      switch (f) {
        case "username" -> user = r.string();
        case "password" -> password = r.string();
        case "identitytoken" -> token = r.string();
        default -> r.skip();
      }
    }
    if (user.isEmpty() && password.isEmpty() && token.isEmpty()) return null;
    return new Credentials(user, password, token);
  }

  // ---- push ----

  private void push(Exchange x) throws Exception {
    String name = x.param("name");
    String tag = x.query("tag", "");
    Reference ref;
    try {
      ref = Reference.parse(name);
      if (!tag.isEmpty()) ref = ref.withTag(tag);
    } catch (IllegalArgumentException e) {
      throw ApiError.badRequest("invalid reference format: " + e.getMessage());
    }
    Reference full = ref.withDefaultTag();
    ImageRecord record;
    try {
      record = images().resolve(full.toString());
    } catch (BerthException e) {
      if (e.category() == ErrorCategory.NOT_FOUND)
        throw new BerthException(
            ErrorCategory.NOT_FOUND, "An image does not exist locally with the tag: " + name);
      throw e;
    }
    Credentials credentials = credentials(x);
    ResponseStream s = x.stream(200, Exchange.JSON);
    JsonProgress progress = new JsonProgress(s, true);
    progress.status("The push refers to repository [" + Reference.parse(full.name()).name() + "]");
    try {
      Digest digest = images().push(full.toString(), full.toString(), progress, credentials);
      long size = images().manifestOf(record).size();
      progress.send(
          new JsonWriter(JsonWriter.COMPACT)
              .beginObject()
              .name("progressDetail")
              .beginObject()
              .endObject()
              .name("aux")
              .beginObject()
              .field("Tag", full.tag())
              .field("Digest", digest.toString())
              .field("Size", size)
              .endObject()
              .endObject());
    } catch (BerthException e) {
      progress.error(e.getMessage());
    }
  }

  // ---- save, load ----

  private void save(Exchange x, List<String> names) throws Exception {
    if (names.isEmpty()) throw ApiError.badRequest("names: at least one image is required");
    for (String n : names) {
      try {
        images().resolve(n);
      } catch (BerthException e) {
        if (e.category() == ErrorCategory.NOT_FOUND) throw noSuchImage(n);
        throw e;
      }
    }
    ResponseStream s = x.stream(200, "application/x-tar");
    try (OutputStream out = new BufferedOutputStream(s, 64 << 10)) {
      images().save(names, ArchiveFormat.DOCKER_ARCHIVE, out);
    }
  }

  private void load(Exchange x) throws Exception {
    Path tmp = spool(x.bodyStream(), "load");
    try {
      List<String> loaded = images().load(tmp);
      ResponseStream s = x.stream(200, Exchange.JSON);
      for (String n : loaded) {
        String line =
            n.startsWith("sha256:")
                ? "Loaded image ID: " + n + "\n"
                : "Loaded image: " + Reference.parse(n).familiar() + "\n";
        s.line(
            new JsonWriter(JsonWriter.COMPACT)
                .beginObject()
                .field("stream", line)
                .endObject()
                .toByteArray());
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** An uploaded archive to a private temporary file in the store (the image code reads files). */
  private Path spool(InputStream body, String what) throws IOException {
    Path dir = engine.config().root().resolve("tmp");
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, what + "-", ".tar");
    try (OutputStream out = Files.newOutputStream(tmp)) {
      body.transferTo(out);
    } catch (IOException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    return tmp;
  }

  // ---- prune, auth ----

  private void prune(Exchange x) throws Exception {
    x.filters().only(List.of("dangling", "until", "label", "label!"));
    ImageService.Collected c = images().prune();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("ImagesDeleted", null);
    m.put("SpaceReclaimed", c.bytes());
    x.json(200, m);
  }

  private void auth(Exchange x) throws Exception {
    JsonReader r = x.json();
    String user = "";
    String password = "";
    String server = "";
    if (r.beginObject()) {
      for (String f; (f = r.nextField()) != null; ) {
        switch (f) {
          case "username" -> user = r.string();
          case "password" -> password = r.string();
          case "serveraddress" -> server = r.string();
          default -> r.skip();
        }
      }
    }
    String host = server.replaceFirst("^https?://", "").replaceFirst("/.*$", "");
    if (host.isEmpty() || host.equals("index.docker.io")) host = Reference.DOCKER_HUB;
    images().checkLogin(host, new Credentials(user, password));
    x.json(200, Map.of("Status", "Login Succeeded", "IdentityToken", ""));
  }
}
