package dev.berth.image.registry;

import dev.berth.spec.image.Descriptor;
import dev.berth.spec.image.Digest;
import dev.berth.spec.image.MediaTypes;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * A client of the OCI distribution protocol (the registry API v2): manifests, blobs, tags, and the
 * token and basic authentication around them. One client serves many repositories and threads; it
 * keeps the connections, what it learned about each registry (scheme, authentication challenge) and
 * the tokens it was given.
 *
 * <p>Usage: {@code client.repo("127.0.0.1:5000", "team/app").manifest("v1", null)}. The domain and
 * path are as in a reference ({@code docker.io}, {@code library/busybox}); {@link RegistriesConfig}
 * maps them to endpoints, and pulls fall back from mirrors to the registry itself.
 *
 * <p>Loopback registries are spoken to over plain HTTP only (no TLS attempt first: a TLS hello sent
 * to a plain HTTP server can hang until the timeout); other insecure registries are tried over
 * HTTPS without certificate checks first, then over HTTP.
 *
 * <p>Transient failures of idempotent requests (GET, HEAD: an I/O error, 5xx, 429) are retried a
 * few times with a short backoff. A blob body that breaks while being read is not resumed here: the
 * caller asks again with an offset.
 *
 * <p>This class names and checks what is asked and picks the endpoint and session; the requests are
 * made by {@code HttpTransport} (TLS, schemes, retries), {@code Authenticator} (Authorization,
 * redirects), {@code Manifests}, {@code Tags}, {@code BlobDownloads} and {@code BlobUploads}.
 */
public final class RegistryClient implements AutoCloseable {
  /**
   * What a manifest GET accepts unless told otherwise: OCI and Docker schema 2 manifests and
   * indexes.
   */
  public static final List<String> DEFAULT_ACCEPT =
      List.of(
          MediaTypes.OCI_MANIFEST,
          MediaTypes.OCI_INDEX,
          MediaTypes.DOCKER_MANIFEST,
          MediaTypes.DOCKER_MANIFEST_LIST);

  /** The largest manifest we read or push (containers/image and containerd use the same limit). */
  public static final int MAX_MANIFEST_BYTES = 4 << 20;

  private static final Pattern PATH =
      Pattern.compile(
          "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*");
  private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
  private static final Pattern HOST =
      Pattern.compile(
          "(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\\[[0-9A-Fa-f:.]+\\])(?::[0-9]{1,5})?");

  /**
   * Tuning: blobs up to {@code monolithicLimit} bytes are uploaded with one PUT, bigger ones in
   * PATCH chunks of {@code chunkSize}; {@code requestTimeout} bounds the wait for the answer's
   * headers (not a body's transfer); idempotent requests are retried {@code retries} times, waiting
   * {@code backoff}, then twice as long, ...
   */
  public record Settings(
      long monolithicLimit, int chunkSize, Duration requestTimeout, int retries, Duration backoff) {
    public static final Settings DEFAULT =
        new Settings(32L << 20, 16 << 20, Duration.ofSeconds(60), 3, Duration.ofMillis(200));

    public Settings {
      if (monolithicLimit < 0 || chunkSize <= 0 || retries < 0) {
        throw new IllegalArgumentException(
            "registry client settings: negative limit, retries or chunk size");
      }
      Objects.requireNonNull(requestTimeout);
      Objects.requireNonNull(backoff);
    }
  }

  private final RegistriesConfig config;
  private final CredentialSource credentials;
  private final HttpTransport transport;
  private final Authenticator auth;
  private final Manifests manifests;
  private final Tags tags;
  private final BlobDownloads blobs;
  private final BlobUploads uploads;

  /**
   * How a blob reached the registry: it had it, mounted it from another repository, or received it.
   */
  public enum PushedBlob {
    EXISTED,
    MOUNTED,
    UPLOADED
  }

  public RegistryClient(RegistriesConfig config, CredentialSource credentials) {
    this(config, credentials, Settings.DEFAULT);
  }

  public RegistryClient(RegistriesConfig config, CredentialSource credentials, Settings settings) {
    this.config = config == null ? RegistriesConfig.empty() : config;
    this.credentials = credentials == null ? CredentialSource.ANONYMOUS : credentials;
    this.transport = new HttpTransport(this.config, settings);
    this.auth = new Authenticator(transport, settings);
    this.manifests = new Manifests(auth);
    this.tags = new Tags(auth);
    this.blobs = new BlobDownloads(auth);
    this.uploads = new BlobUploads(auth, settings);
  }

  /**
   * The repository {@code path} on the registry {@code domain} ({@code docker.io}, {@code
   * 127.0.0.1:5000}).
   *
   * @throws RegistryException when the name is invalid or the registries config blocks it
   */
  public Repository repo(String domain, String path) throws RegistryException {
    checkName(domain, path);
    List<Endpoint> pull = config.endpoints(domain, path);
    for (Endpoint ep : pull) checkName(ep.host(), ep.repositoryRewritten());
    return new Repository(domain, path, pull);
  }

  /**
   * Checks that {@code credentials} let us in at {@code domain}, as {@code berth login} must before
   * it stores them: GET /v2/ with Basic credentials, or with a token the registry's token server
   * gave for them. A registry that asks for no authentication at all accepts any credentials.
   *
   * @throws RegistryException "unauthorized" when the registry or its token server refuses them
   */
  public void checkLogin(String domain, Credentials credentials) throws IOException {
    Objects.requireNonNull(credentials, "credentials");
    if (!HOST.matcher(domain).matches())
      throw new RegistryException("login " + domain + ": invalid registry name");
    Endpoint ep = config.registryEndpoint(domain);
    String action = "login " + domain;
    auth.checkLogin(ep, credentials, action);
  }

  @Override
  public void close() {
    transport.close();
  }

  // ---- one repository ----

  /** Operations on one repository; get one from {@link RegistryClient#repo}. Thread-safe. */
  public final class Repository {
    private final String domain;
    private final String path;
    private final List<Endpoint> pullEndpoints;
    private final Endpoint pushEndpoint;
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();

    private Repository(String domain, String path, List<Endpoint> pullEndpoints) {
      this.domain = domain;
      this.path = path;
      this.pullEndpoints = List.copyOf(pullEndpoints);
      this.pushEndpoint = pullEndpoints.get(pullEndpoints.size() - 1);
    }

    /** {@code domain/path}, as the user named it. */
    public String name() {
      return domain + "/" + path;
    }

    /**
     * The manifest or index {@code tagOrDigest} ({@code latest}, {@code sha256:...}). {@code
     * accept} lists the media types to accept ({@link #DEFAULT_ACCEPT} when null or empty);
     * anything else, and schema 1, is refused. By digest, the body must hash to it; by tag, the
     * digest is the body's sha256, and must match the registry's Docker-Content-Digest header when
     * that is a sha256.
     */
    public ManifestResponse manifest(String tagOrDigest, List<String> accept) throws IOException {
      Digest want = reference(tagOrDigest);
      List<String> acc = accept == null || accept.isEmpty() ? DEFAULT_ACCEPT : List.copyOf(accept);
      String action = "pull " + name() + (want != null ? "@" : ":") + tagOrDigest;
      return pull(action, (s, a) -> manifests.fetch(s, tagOrDigest, want, acc, a));
    }

    /**
     * The blob of {@code d} from byte {@code offset} on. The stream ends with an exception, not a
     * quiet EOF, when the body is shorter than the descriptor's size, and refuses bytes past it;
     * the caller hashes it.
     */
    public InputStream blob(Descriptor d, long offset) throws IOException {
      String action = "pull " + name() + " blob " + d.digest();
      if (offset < 0 || offset > d.size()) {
        throw new RegistryException(
            action + ": offset " + offset + " is outside the blob's " + d.size() + " bytes");
      }
      if (offset == d.size()) return InputStream.nullInputStream();
      return pull(action, (s, a) -> blobs.fetch(s, d, offset, a));
    }

    /**
     * True when the registry itself (not a mirror) has the blob {@code digest} in this repository.
     */
    public boolean hasBlob(Digest digest) throws IOException {
      String action = "check " + name() + " blob " + digest;
      return uploads.exists(session(pushEndpoint, false, null), digest, action + via(pushEndpoint));
    }

    /**
     * Uploads the blob {@code d}, whose bytes {@code src} gives, unless the registry has it
     * already. With {@code mountFromOrNull} (another repository path on the same registry) it first
     * asks the registry to link the blob from there, which costs no transfer when that repository
     * has it and we may read it.
     */
    public PushedBlob pushBlob(Descriptor d, BlobSource src, String mountFromOrNull)
        throws IOException {
      String action = "push " + name() + " blob " + d.digest() + via(pushEndpoint);
      String from = null;
      if (mountFromOrNull != null && !mountFromOrNull.isEmpty()) {
        checkName(domain, mountFromOrNull);
        Endpoint fromEp = config.pushEndpoint(domain, mountFromOrNull);
        if (fromEp.host().equals(pushEndpoint.host())) { // a mount cannot cross registries
          from = fromEp.repositoryRewritten();
        }
      }
      Session s = session(pushEndpoint, true, from == null ? null : "repository:" + from + ":pull");
      return uploads.push(s, d, src, from, action);
    }

    /**
     * Stores a manifest or index under {@code tagOrDigest} and returns its digest (sha256 of {@code
     * body}, or the digest named).
     */
    public Digest putManifest(String tagOrDigest, byte[] body, String mediaType)
        throws IOException {
      Digest named = reference(tagOrDigest);
      String action =
          "push " + name() + (named != null ? "@" : ":") + tagOrDigest + via(pushEndpoint);
      Digest digest = Manifests.digestToPut(named, body, action);
      manifests.put(session(pushEndpoint, true, null), tagOrDigest, body, mediaType, action);
      return digest;
    }

    /** All tags of the repository at the registry itself, following pagination. */
    public List<String> tags() throws IOException {
      return tags(0);
    }

    /**
     * As {@link #tags()}, asking for {@code pageSize} tags per page (0: the registry's default).
     */
    public List<String> tags(int pageSize) throws IOException {
      String action = "list tags of " + name() + via(pushEndpoint);
      return tags.list(session(pushEndpoint, false, null), pageSize, action);
    }

    // ---- endpoints and sessions ----

    private interface Op<T> {
      T run(Session s, String action) throws IOException;
    }

    /**
     * Runs {@code op} on each pull endpoint in turn until one succeeds; the registry's own error
     * wins.
     */
    private <T> T pull(String action, Op<T> op) throws IOException {
      List<IOException> mirrorErrors = new ArrayList<>();
      for (Endpoint ep : pullEndpoints) {
        try {
          return op.run(session(ep, false, null), action + via(ep));
        } catch (InterruptedIOException e) {
          throw e;
        } catch (IOException e) {
          if (!ep.mirror()) {
            for (IOException m : mirrorErrors) e.addSuppressed(m);
            throw e;
          }
          mirrorErrors.add(e);
        }
      }
      throw new IllegalStateException(
          "no registry endpoint"); // config.endpoints() ends with the registry itself
    }

    private String via(Endpoint ep) {
      if (!ep.mirror() && ep.repositoryRewritten().equals(path)) return "";
      return " from " + (ep.mirror() ? "mirror " : "") + ep;
    }

    /**
     * The session for {@code ep}, whose tokens grant pull (and push) on this repository, plus
     * {@code extraScope} (the pull of a mount's source) when not null. Scopes name the path at the
     * endpoint: it may be rewritten.
     */
    private Session session(Endpoint ep, boolean push, String extraScope) throws IOException {
      List<String> scopes = new ArrayList<>();
      scopes.add("repository:" + ep.repositoryRewritten() + (push ? ":pull,push" : ":pull"));
      if (extraScope != null) scopes.add(extraScope);
      String key = ep + "\n" + ep.mirror() + "\n" + String.join(" ", scopes);
      Session s = sessions.get(key);
      if (s == null) {
        String registry = ep.host().equals("registry-1.docker.io") ? "docker.io" : ep.host();
        s = new Session(ep, scopes, credentials.lookup(registry));
        // A push asks GET /v2/ first: its uploads have bodies that a 401 would make it send twice.
        s.origin =
            push
                ? transport.origin(ep, "contact " + ep.host())
                : transport.originUnasked(ep, "contact " + ep.host());
        sessions.put(key, s);
      }
      return s;
    }
  }

  // ---- helpers ----

  private static void checkName(String domain, String path) throws RegistryException {
    if (!HOST.matcher(domain).matches()) {
      throw new RegistryException(
          "invalid registry name \"" + RegistryException.printable(domain) + "\"");
    }
    if (path.length() > 255 || !PATH.matcher(path).matches()) {
      throw new RegistryException(
          "invalid repository path \"" + RegistryException.printable(path) + "\" at " + domain);
    }
  }

  /** The digest a reference names, or null for a tag; refuses anything that is neither. */
  private static Digest reference(String tagOrDigest) throws RegistryException {
    if (tagOrDigest.indexOf(':') > 0) {
      try {
        return Digest.parse(tagOrDigest);
      } catch (IllegalArgumentException e) {
        throw new RegistryException(e.getMessage());
      }
    }
    if (!TAG.matcher(tagOrDigest).matches()) {
      throw new RegistryException(
          "invalid tag \"" + RegistryException.printable(tagOrDigest) + "\"");
    }
    return null;
  }
}
