package dev.berth.image.registry;

import dev.berth.spec.json.JsonReader;
import dev.berth.spec.json.JsonWriter;
import dev.berth.spec.json.SpecException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Registry credentials in auth files, in the format docker, podman and skopeo share: {@code
 * {"auths":{"registry.example.com":{"auth":"base64(user:pass)","identitytoken":"..."}}}}.
 *
 * <p>{@link #lookup} reads, in this order, and takes the first file that has an entry for the
 * registry:
 *
 * <ol>
 *   <li>the explicit {@code --authfile}, when one is given;
 *   <li>berth's own file: {@code $XDG_RUNTIME_DIR/berth/auth.json} when XDG_RUNTIME_DIR is set,
 *       else {@code ~/.config/berth/auth.json};
 *   <li>the containers tools' files: {@code $XDG_RUNTIME_DIR/containers/auth.json}, {@code
 *       ~/.config/containers/auth.json};
 *   <li>docker's {@code ~/.docker/config.json}.
 * </ol>
 *
 * Keys may carry a scheme and a path, as docker writes them ({@code https://index.docker.io/v1/},
 * {@code http://host:5000}); Docker Hub is known as {@code docker.io}, {@code index.docker.io} and
 * {@code registry-1.docker.io}. Entries that only name a credential helper ({@code credsStore},
 * {@code credHelpers}) hold no secret here and are skipped: helpers are not supported.
 *
 * <p>{@link #login} and {@link #logout} change the explicit file when one was given (as podman's
 * --authfile), else berth's own file; writes are atomic (a 0600 temporary file renamed over the old
 * one) under a lock file, so two concurrent logins do not lose each other's entry.
 */
public final class AuthStore implements CredentialSource {
  private static final String DOCKER_HUB = "docker.io";

  private final Path explicitFile;
  private final Path ownFile;
  private final List<Path> searchOrder;

  /**
   * An auth store for a user whose environment is {@code env} (HOME and XDG_RUNTIME_DIR are read
   * from it); {@code explicitFile} is the --authfile, or null.
   */
  public AuthStore(Path explicitFile, Map<String, String> env) {
    String home = env.getOrDefault("HOME", System.getProperty("user.home"));
    String xdg = env.get("XDG_RUNTIME_DIR");
    boolean hasXdg = xdg != null && !xdg.isEmpty();
    this.explicitFile = explicitFile;
    this.ownFile =
        hasXdg
            ? Path.of(xdg, "berth", "auth.json")
            : Path.of(home, ".config", "berth", "auth.json");
    List<Path> order = new ArrayList<>();
    if (explicitFile != null) order.add(explicitFile);
    order.add(ownFile);
    if (hasXdg) order.add(Path.of(xdg, "containers", "auth.json"));
    order.add(Path.of(home, ".config", "containers", "auth.json"));
    order.add(Path.of(home, ".docker", "config.json"));
    this.searchOrder = List.copyOf(order);
  }

  /** The auth store of the current process's user, with an optional --authfile. */
  public static AuthStore forCurrentUser(Path explicitFile) {
    return new AuthStore(explicitFile, System.getenv());
  }

  /** The files {@link #lookup} reads, in order. */
  public List<Path> searchOrder() {
    return searchOrder;
  }

  /** The file {@link #login} and {@link #logout} change. */
  public Path writableFile() {
    return explicitFile != null ? explicitFile : ownFile;
  }

  /**
   * Fails, naming the file, when an explicit auth file was given and is not there: a mistyped
   * --authfile must not silently fall back to other credentials or none (podman refuses it too).
   * {@link #login} alone may create it.
   */
  public void requireExplicitFile() throws IOException {
    if (explicitFile != null && !Files.exists(explicitFile)) {
      throw new IOException("read credentials " + explicitFile + ": no such file");
    }
  }

  @Override
  public Credentials lookup(String registry) throws IOException {
    requireExplicitFile();
    String want = normalize(registry);
    for (Path file : searchOrder) {
      Map<String, Credentials> auths = read(file);
      for (Map.Entry<String, Credentials> e : auths.entrySet()) {
        if (normalize(e.getKey()).equals(want)) return e.getValue();
      }
    }
    return null;
  }

  /** Stores {@code credentials} for {@code registry}, replacing what was there. */
  public void login(String registry, Credentials credentials) throws IOException {
    update(registry, credentials);
  }

  /** Removes the entry of {@code registry}; false when there was none. */
  public boolean logout(String registry) throws IOException {
    requireExplicitFile();
    return update(registry, null);
  }

  /**
   * The registry an auth-file key names: scheme, trailing path and Docker Hub's aliases removed, so
   * {@code https://index.docker.io/v1/} and {@code docker.io} are the same key.
   */
  static String normalize(String key) {
    String k = key.trim();
    int scheme = k.indexOf("://");
    if (scheme >= 0) k = k.substring(scheme + 3);
    int slash = k.indexOf('/');
    if (slash >= 0) k = k.substring(0, slash);
    k = k.toLowerCase(java.util.Locale.ROOT);
    if (k.equals("index.docker.io") || k.equals("registry-1.docker.io")) k = DOCKER_HUB;
    return k;
  }

  // ---- reading ----

  /** The usable entries of one file, in file order; an absent file has none. */
  private static Map<String, Credentials> read(Path file) throws IOException {
    byte[] json;
    try {
      json = Files.readAllBytes(file);
    } catch (NoSuchFileException absent) {
      return Map.of();
    }
    if (json.length == 0) return Map.of();
    Map<String, Credentials> out = new LinkedHashMap<>();
    try (JsonReader r = JsonReader.of(json, file.toString())) {
      if (!r.beginObject()) return Map.of();
      for (String f; (f = r.nextField()) != null; ) {
        if (!f.equals("auths") || !r.beginObject()) {
          r.skip(); // credsStore, credHelpers, HttpHeaders, ...: not ours
          continue;
        }
        for (String key; (key = r.nextField()) != null; ) {
          Credentials c = entry(r, file, key);
          if (c != null) out.putIfAbsent(key, c);
        }
      }
      r.end();
    } catch (SpecException e) {
      throw new IOException("read credentials " + e.getMessage(), e);
    }
    return out;
  }

  private static Credentials entry(JsonReader r, Path file, String key)
      throws SpecException, IOException {
    if (!r.beginObject()) return null;
    String auth = "";
    String token = "";
    String user = "";
    String pass = "";
    for (String f; (f = r.nextField()) != null; ) {
      switch (f) {
        case "auth" -> auth = r.string();
        case "identitytoken" -> token = r.string();
        case "username" -> user = r.string();
        case "password" -> pass = r.string();
        default -> r.skip();
      }
    }
    if (!auth.isEmpty()) {
      String decoded;
      try {
        decoded =
            StandardCharsets.UTF_8
                .newDecoder()
                .decode(ByteBuffer.wrap(Base64.getDecoder().decode(auth.trim())))
                .toString();
      } catch (IllegalArgumentException | CharacterCodingException e) {
        throw new IOException(
            "read credentials "
                + file
                + ": auths.\""
                + key
                + "\".auth: not base64 of user:password");
      }
      int colon = decoded.indexOf(':');
      if (colon < 0) {
        throw new IOException(
            "read credentials "
                + file
                + ": auths.\""
                + key
                + "\".auth: no \":\" between user and password");
      }
      user = decoded.substring(0, colon);
      pass = decoded.substring(colon + 1);
    }
    if (user.isEmpty() && pass.isEmpty() && token.isEmpty())
      return null; // a credential helper's placeholder
    return new Credentials(user, pass, token);
  }

  // ---- writing ----

  private boolean update(String registry, Credentials credentials) throws IOException {
    String want = normalize(registry);
    Path file = writableFile();
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path lockFile = dir.resolve(file.getFileName() + ".lock");
    try (FileChannel lockChannel =
            FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock = lockChannel.lock()) {
      Map<String, Credentials> auths = new LinkedHashMap<>(read(file));
      boolean removed = auths.keySet().removeIf(k -> normalize(k).equals(want));
      if (credentials != null) auths.put(want, credentials);
      if (credentials == null && !removed) return false;
      write(file, auths);
      return removed;
    }
  }

  private static void write(Path file, Map<String, Credentials> auths) throws IOException {
    JsonWriter w = new JsonWriter("\t");
    w.beginObject().name("auths").beginObject();
    for (Map.Entry<String, Credentials> e : auths.entrySet()) {
      Credentials c = e.getValue();
      w.name(e.getKey()).beginObject();
      if (!c.username().isEmpty() || !c.password().isEmpty()) {
        w.field(
            "auth",
            Base64.getEncoder()
                .encodeToString(
                    (c.username() + ":" + c.password()).getBytes(StandardCharsets.UTF_8)));
      }
      if (c.hasIdentityToken()) w.field("identitytoken", c.identityToken());
      w.endObject();
    }
    w.endObject().endObject();
    byte[] bytes = (w + "\n").getBytes(StandardCharsets.UTF_8);
    Path dir = file.toAbsolutePath().getParent();
    // created 0600 from the start: the secret is never readable by others, not even for a moment
    Path tmp =
        Files.createTempFile(
            dir,
            ".auth",
            ".tmp",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ch.write(ByteBuffer.wrap(bytes));
        ch.force(true);
      }
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
