package dev.berth.testkit.registry;

import dev.berth.testkit.Exec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.stream.Stream;

/**
 * A real registry for tests: Debian's {@code docker-registry} (distribution 2.8) on {@code
 * 127.0.0.1:<free port>}, storing into a temporary directory, with deletes enabled. Three modes:
 *
 * <ul>
 *   <li>{@link #anonymous()}: anyone may pull and push;
 *   <li>{@link #basicAuth()}: htpasswd users {@link #user()} and {@link #readOnlyUser()} (the
 *       registry's htpasswd mode has no per-user rights: both may push);
 *   <li>{@link #tokenAuth()}: a {@link TokenServer} in this JVM issues RS256 tokens that the
 *       registry trusts; {@link #user()} gets pull and push everywhere, {@link #readOnlyUser()}
 *       pull only, anyone else a 401.
 * </ul>
 *
 * Close it: the process is killed by pid and the directory deleted.
 */
public final class LocalRegistry implements AutoCloseable {
  /** How clients must authenticate. */
  /**
   * TLS: anonymous, over HTTPS with a self-signed certificate for 127.0.0.1 ({@link
   * #certificate()}).
   */
  public enum Mode {
    ANONYMOUS,
    BASIC,
    TOKEN,
    TLS
  }

  private static final String USER = "berth";
  private static final String READER = "reader";

  private final Mode mode;
  private final Path dir;
  private final String password;
  private final String readerPassword;
  private Process process;
  private TokenServer tokenServer;
  private int port;

  private LocalRegistry(Mode mode) throws IOException {
    this.mode = mode;
    this.dir = Files.createTempDirectory("berth-registry");
    this.password = "pw-" + random(6);
    this.readerPassword = "ro-" + random(6);
  }

  public static LocalRegistry anonymous() {
    return start(Mode.ANONYMOUS);
  }

  public static LocalRegistry basicAuth() {
    return start(Mode.BASIC);
  }

  public static LocalRegistry tokenAuth() {
    return start(Mode.TOKEN);
  }

  public static LocalRegistry tls() {
    return start(Mode.TLS);
  }

  /** Starts a registry in {@code mode} and waits until it answers GET /v2/. */
  public static LocalRegistry start(Mode mode) {
    LocalRegistry r = null;
    try {
      r = new LocalRegistry(mode);
      r.launch();
      return r;
    } catch (IOException e) {
      if (r != null) r.close();
      throw new UncheckedIOException("start docker-registry (" + mode + ")", e);
    } catch (RuntimeException | Error e) {
      if (r != null) r.close();
      throw e;
    }
  }

  private void launch() throws IOException {
    StringBuilder auth = new StringBuilder();
    String tls = "";
    switch (mode) {
      case ANONYMOUS -> {}
      case TLS -> {
        Path key = dir.resolve("tls.key");
        Path cert = dir.resolve("tls.crt");
        Exec.run(
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                key.toString(),
                "-out",
                cert.toString(),
                "-days",
                "2",
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1")
            .ok();
        tls = "  tls:\n    certificate: " + cert + "\n    key: " + key + "\n";
      }
      case BASIC -> {
        Path htpasswd = dir.resolve("htpasswd");
        String lines =
            Exec.run("htpasswd", "-Bbn", USER, password).ok().stdout().trim()
                + "\n"
                + Exec.run("htpasswd", "-Bbn", READER, readerPassword).ok().stdout().trim()
                + "\n";
        Files.writeString(htpasswd, lines);
        auth.append("auth:\n  htpasswd:\n    realm: berth-test\n    path: ")
            .append(htpasswd)
            .append('\n');
      }
      case TOKEN -> {
        tokenServer =
            TokenServer.start(dir.resolve("token"), USER, password, READER, readerPassword);
        auth.append("auth:\n  token:\n")
            .append("    realm: ")
            .append(tokenServer.realm())
            .append('\n')
            .append("    service: ")
            .append(TokenServer.SERVICE)
            .append('\n')
            .append("    issuer: ")
            .append(TokenServer.ISSUER)
            .append('\n')
            .append("    rootcertbundle: ")
            .append(tokenServer.certificate())
            .append('\n');
      }
    }
    // The port is picked here and bound by the registry a moment later; another process could take
    // it in between,
    // so a failed start is retried on a new port.
    IOException last = null;
    for (int attempt = 0; attempt < 3; attempt++) {
      port = freePort();
      Path config = dir.resolve("config.yml");
      Files.writeString(
          config,
          "version: 0.1\n"
              + "log:\n  level: warn\n  accesslog:\n    disabled: true\n"
              + "storage:\n  filesystem:\n    rootdirectory: "
              + dir.resolve("data")
              + "\n"
              + "  delete:\n    enabled: true\n"
              + "http:\n  addr: 127.0.0.1:"
              + port
              + "\n  secret: "
              + random(16)
              + "\n"
              + tls
              + auth);
      Path log = dir.resolve("registry.log");
      process =
          new ProcessBuilder("docker-registry", "serve", config.toString())
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
              .start();
      try {
        awaitReady(log);
        return;
      } catch (IOException e) {
        last = e;
        stopProcess();
      }
    }
    throw last;
  }

  private void awaitReady(Path log) throws IOException {
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IOException(
            "docker-registry exited with " + process.exitValue() + ": " + Files.readString(log));
      }
      try {
        HttpURLConnection c =
            (HttpURLConnection)
                URI.create((mode == Mode.TLS ? "https://" : "http://") + address() + "/v2/")
                    .toURL()
                    .openConnection();
        if (c instanceof javax.net.ssl.HttpsURLConnection https) trustAnything(https);
        c.setConnectTimeout(500);
        c.setReadTimeout(2000);
        int status = c.getResponseCode();
        c.disconnect();
        if (status == 200 || status == 401) return;
      } catch (IOException notYet) {
        // not listening yet
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting for docker-registry");
      }
    }
    throw new IOException(
        "docker-registry did not answer on " + address() + " within 20s: " + Files.readString(log));
  }

  /** The readiness probe of a TLS registry accepts its self-signed certificate. */
  private static void trustAnything(javax.net.ssl.HttpsURLConnection c) throws IOException {
    try {
      javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
      ctx.init(
          null,
          new javax.net.ssl.TrustManager[] {
            new javax.net.ssl.X509TrustManager() {
              @Override
              public void checkClientTrusted(
                  java.security.cert.X509Certificate[] chain, String type) {}

              @Override
              public void checkServerTrusted(
                  java.security.cert.X509Certificate[] chain, String type) {}

              @Override
              public java.security.cert.X509Certificate[] getAcceptedIssuers() {
                return new java.security.cert.X509Certificate[0];
              }
            }
          },
          null);
      c.setSSLSocketFactory(ctx.getSocketFactory());
      c.setHostnameVerifier((host, session) -> true);
    } catch (java.security.GeneralSecurityException e) {
      throw new IOException(e);
    }
  }

  /** The TLS registry's certificate (PEM), for a client that should verify it. */
  public Path certificate() {
    return dir.resolve("tls.crt");
  }

  /** {@code 127.0.0.1:<port>}: the registry part of a reference. */
  public String address() {
    return "127.0.0.1:" + port;
  }

  public Mode mode() {
    return mode;
  }

  /** The user that may pull and push (basic and token modes). */
  public String user() {
    return USER;
  }

  public String password() {
    return password;
  }

  /** A user that may only pull (token mode; in basic mode the registry cannot restrict it). */
  public String readOnlyUser() {
    return READER;
  }

  public String readOnlyPassword() {
    return readerPassword;
  }

  /** The token server (token mode), or null. */
  public TokenServer tokenServer() {
    return tokenServer;
  }

  /**
   * Where the registry keeps the data of blob {@code digest} ("sha256:..."), to corrupt it in a
   * test.
   */
  public Path blobData(String digest) {
    String hex = digest.substring(digest.indexOf(':') + 1);
    return dir.resolve("data/docker/registry/v2/blobs/sha256")
        .resolve(hex.substring(0, 2))
        .resolve(hex)
        .resolve("data");
  }

  /** The registry's log so far (warnings and errors), for assertion messages. */
  public String log() {
    try {
      return Files.readString(dir.resolve("registry.log"));
    } catch (IOException e) {
      return "<" + e + ">";
    }
  }

  @Override
  public void close() {
    stopProcess();
    if (tokenServer != null) tokenServer.close();
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    } catch (IOException e) {
      throw new UncheckedIOException("delete " + dir, e);
    }
  }

  private void stopProcess() {
    Process p = process;
    if (p == null) return;
    process = null;
    p.destroy(); // SIGTERM to this pid only
    try {
      if (!p.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor();
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  static String random(int bytes) {
    byte[] b = new byte[bytes];
    new SecureRandom().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }
}
