package dev.berth.testkit.registry;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.berth.spec.json.JsonWriter;
import dev.berth.testkit.Exec;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A registry token server (the docker token protocol) for {@link LocalRegistry}: {@code GET
 * /token?service=&scope=} with Basic credentials, or the OAuth2 form {@code POST /token} ({@code
 * grant_type=password} or {@code grant_type=refresh_token} with {@link #identityToken()}). It
 * answers a JWT signed RS256 whose header carries the certificate ({@code x5c}) that the registry
 * is configured to trust. The full user gets every action asked for, the read-only user only pull,
 * anyone else (anonymous too) a 401.
 */
public final class TokenServer implements AutoCloseable {
  public static final String SERVICE = "berth-test-registry";
  public static final String ISSUER = "berth-test-issuer";

  private final HttpServer server;
  private final PrivateKey key;
  private final String certBase64;
  private final Path certificate;
  private final String user;
  private final String password;
  private final String reader;
  private final String readerPassword;
  private final String identityToken = "idt-" + LocalRegistry.random(12);
  private final AtomicInteger requests = new AtomicInteger();
  private final List<String> scopesAsked =
      java.util.Collections.synchronizedList(new ArrayList<>());

  private TokenServer(Path dir, String user, String password, String reader, String readerPassword)
      throws IOException, GeneralSecurityException {
    Files.createDirectories(dir);
    Path keyFile = dir.resolve("key.pem");
    certificate = dir.resolve("cert.pem");
    Exec.run(
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            keyFile.toString(),
            "-out",
            certificate.toString(),
            "-days",
            "2",
            "-subj",
            "/CN=berth-test-token")
        .ok();
    String pem = Files.readString(keyFile);
    if (!pem.contains("BEGIN PRIVATE KEY"))
      throw new IOException("openssl wrote no PKCS#8 key: " + keyFile);
    String b64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    key =
        KeyFactory.getInstance("RSA")
            .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(b64)));
    X509Certificate cert;
    try (InputStream in = Files.newInputStream(certificate)) {
      cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
    certBase64 = Base64.getEncoder().encodeToString(cert.getEncoded());
    this.user = user;
    this.password = password;
    this.reader = reader;
    this.readerPassword = readerPassword;
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/token", this::handle);
    server.start();
  }

  static TokenServer start(
      Path dir, String user, String password, String reader, String readerPassword)
      throws IOException {
    try {
      return new TokenServer(dir, user, password, reader, readerPassword);
    } catch (GeneralSecurityException e) {
      throw new IOException("token server: load the key made by openssl", e);
    }
  }

  /** The URL clients get tokens from. */
  public String realm() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/token";
  }

  /** The certificate (PEM file) the registry trusts. */
  public Path certificate() {
    return certificate;
  }

  /** A refresh token that stands for the full user, as docker stores it in "identitytoken". */
  public String identityToken() {
    return identityToken;
  }

  /** How many token requests were made (to test that clients cache tokens). */
  public int requests() {
    return requests.get();
  }

  /** The scopes of every request, in order. */
  public List<String> scopesAsked() {
    synchronized (scopesAsked) {
      return List.copyOf(scopesAsked);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      requests.incrementAndGet();
      Map<String, List<String>> params = new LinkedHashMap<>();
      parseForm(ex.getRequestURI().getRawQuery(), params);
      String who = null;
      if (ex.getRequestMethod().equals("POST")) {
        parseForm(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8), params);
        String grant = first(params, "grant_type");
        if (grant.equals("refresh_token")) {
          who = first(params, "refresh_token").equals(identityToken) ? user : null;
        } else if (grant.equals("password")) {
          who = check(first(params, "username"), first(params, "password"));
        }
      } else {
        String authz = ex.getRequestHeaders().getFirst("Authorization");
        if (authz != null && authz.startsWith("Basic ")) {
          String decoded;
          try {
            decoded =
                new String(
                    Base64.getDecoder().decode(authz.substring(6).trim()), StandardCharsets.UTF_8);
          } catch (IllegalArgumentException e) {
            decoded = "";
          }
          int colon = decoded.indexOf(':');
          if (colon > 0) who = check(decoded.substring(0, colon), decoded.substring(colon + 1));
        }
      }
      List<String> scopes = new ArrayList<>();
      for (String s : params.getOrDefault("scope", List.of())) {
        for (String one : s.split(" ")) if (!one.isEmpty()) scopes.add(one);
      }
      scopesAsked.add(String.join(" ", scopes));
      if (who == null) {
        reply(ex, 401, "{\"details\":\"invalid credentials\"}");
        return;
      }
      String jwt = jwt(who, scopes);
      JsonWriter w = new JsonWriter(JsonWriter.COMPACT);
      w.beginObject()
          .field("token", jwt)
          .field("access_token", jwt)
          .field("expires_in", 300)
          .field("issued_at", java.time.Instant.now().toString())
          .endObject();
      reply(ex, 200, w.toString());
    } catch (GeneralSecurityException e) {
      throw new IOException("sign a token", e);
    }
  }

  /** The user these credentials prove, or null. */
  private String check(String name, String pass) {
    if (name.equals(user) && pass.equals(password)) return user;
    if (name.equals(reader) && pass.equals(readerPassword)) return reader;
    return null;
  }

  private String jwt(String who, List<String> scopes) throws GeneralSecurityException {
    Base64.Encoder url = Base64.getUrlEncoder().withoutPadding();
    JsonWriter h = new JsonWriter(JsonWriter.COMPACT);
    h.beginObject()
        .field("typ", "JWT")
        .field("alg", "RS256")
        .name("x5c")
        .beginArray()
        .value(certBase64)
        .endArray()
        .endObject();
    long now = System.currentTimeMillis() / 1000;
    JsonWriter c = new JsonWriter(JsonWriter.COMPACT);
    c.beginObject()
        .field("iss", ISSUER)
        .field("sub", who)
        .field("aud", SERVICE)
        .field("exp", now + 300)
        .field("nbf", now - 10)
        .field("iat", now)
        .field("jti", LocalRegistry.random(8))
        .name("access")
        .beginArray();
    for (String scope : scopes) {
      int first = scope.indexOf(':');
      int last = scope.lastIndexOf(':');
      if (first < 0 || last <= first) continue;
      String type = scope.substring(0, first);
      String name = scope.substring(first + 1, last);
      List<String> granted = new ArrayList<>();
      for (String action : scope.substring(last + 1).split(",")) {
        if (who.equals(user) || action.equals("pull")) granted.add(action);
      }
      c.beginObject().field("type", type).field("name", name).name("actions").beginArray();
      for (String a : granted) c.value(a);
      c.endArray().endObject();
    }
    c.endArray().endObject();
    String signingInput =
        url.encodeToString(h.toByteArray()) + "." + url.encodeToString(c.toByteArray());
    Signature sig = Signature.getInstance("SHA256withRSA");
    sig.initSign(key);
    sig.update(signingInput.getBytes(StandardCharsets.US_ASCII));
    return signingInput + "." + url.encodeToString(sig.sign());
  }

  private static void parseForm(String raw, Map<String, List<String>> into) {
    if (raw == null || raw.isEmpty()) return;
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      into.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
    }
  }

  private static String first(Map<String, List<String>> params, String name) {
    List<String> v = params.get(name);
    return v == null || v.isEmpty() ? "" : v.get(0);
  }

  private static void reply(HttpExchange ex, int status, String json) throws IOException {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, body.length);
    try (var out = ex.getResponseBody()) {
      out.write(body);
    }
  }
}
