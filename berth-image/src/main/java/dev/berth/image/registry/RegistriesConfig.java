package dev.berth.image.registry;

import dev.berth.spec.json.JsonReader;
import dev.berth.spec.json.SpecException;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Where repositories are fetched from: mirrors, rewritten locations, insecure and blocked
 * registries. The file is our own JSON (default {@code /etc/berth/registries.json}) with the
 * semantics of containers-registries.conf(5) v2:
 *
 * <pre>{@code
 * {"registries": [
 *    {"prefix": "example.com/foo",          // what a reference must start with (whole path components);
 *                                            // "*.example.com" matches every subdomain
 *     "location": "internal.example.com/bar", // where it really is ("" = the prefix itself)
 *     "insecure": true,                      // plain HTTP allowed, TLS certificates not verified
 *     "blocked": false,                      // refuse to pull from or push to it
 *     "mirrors": [{"location": "m1:5000/foo", "insecure": true}]}],
 *  "insecureRegistries": ["10.0.0.5:5000"]}  // hosts with "insecure": true and nothing else
 * }</pre>
 *
 * The entry with the longest matching prefix wins (wildcards lose against any exact prefix). For a
 * match, the remainder of the reference after the prefix is appended to each location. Pulls try
 * the mirrors in order, then the registry itself; pushes go to the registry only. {@code docker.io}
 * is served by {@code registry-1.docker.io}.
 *
 * <p>Loopback registries ({@code localhost}, {@code 127.0.0.0/8}, {@code ::1}) are insecure without
 * configuration, as Docker allows, and reached over plain HTTP only, unless this file names them
 * (then HTTPS is tried first). Insecure means: try HTTPS without verifying the certificate, and
 * fall back to plain HTTP when the TLS connection fails ({@link RegistryClient} remembers which one
 * worked, per host).
 */
public final class RegistriesConfig {
  /** The default location of the file. */
  public static final Path DEFAULT_PATH = Path.of("/etc/berth/registries.json");

  /** One mirror of a registry entry. */
  public record Mirror(String location, boolean insecure) {}

  /** One registry entry. */
  public record Registry(
      String prefix, String location, boolean insecure, boolean blocked, List<Mirror> mirrors) {
    public Registry {
      location = location == null || location.isEmpty() ? prefix : location;
      mirrors = mirrors == null ? List.of() : List.copyOf(mirrors);
    }
  }

  private final String source;
  private final List<Registry> registries;
  private final List<String> insecureRegistries;

  public RegistriesConfig(
      String source, List<Registry> registries, List<String> insecureRegistries) {
    this.source = source;
    this.registries = List.copyOf(registries);
    this.insecureRegistries = List.copyOf(insecureRegistries);
  }

  /** No file: every registry as itself, secure unless loopback. */
  public static RegistriesConfig empty() {
    return new RegistriesConfig("no registries config", List.of(), List.of());
  }

  /** Reads {@code file}; a missing file is an empty configuration. */
  public static RegistriesConfig load(Path file) throws IOException {
    byte[] json;
    try {
      json = Files.readAllBytes(file);
    } catch (NoSuchFileException absent) {
      return new RegistriesConfig(file.toString(), List.of(), List.of());
    }
    try {
      return parse(json, file.toString());
    } catch (SpecException e) {
      throw new IOException("read registries config " + e.getMessage(), e);
    }
  }

  /** Parses the JSON of a registries config; {@code source} names it in errors. */
  public static RegistriesConfig parse(byte[] json, String source) throws SpecException {
    List<Registry> registries = new ArrayList<>();
    List<String> insecure = new ArrayList<>();
    try (JsonReader r = JsonReader.of(json, source)) {
      if (r.beginObject()) {
        for (String f; (f = r.nextField()) != null; ) {
          switch (f) {
            case "registries" -> {
              if (r.beginArray()) {
                while (r.nextElement()) registries.add(registry(r));
              }
            }
            case "insecureRegistries" -> {
              if (r.beginArray()) {
                while (r.nextElement()) insecure.add(hostOnly(r, r.string()));
              }
            }
            default -> r.skip();
          }
        }
      }
      r.end();
    }
    return new RegistriesConfig(source, registries, insecure);
  }

  private static Registry registry(JsonReader r) throws SpecException {
    if (!r.beginObject()) throw r.error("expected a registry object, got null");
    String prefix = "";
    String location = "";
    boolean insecure = false;
    boolean blocked = false;
    List<Mirror> mirrors = new ArrayList<>();
    for (String f; (f = r.nextField()) != null; ) {
      switch (f) {
        case "prefix" -> prefix = r.string();
        case "location" -> location = r.string();
        case "insecure" -> insecure = r.bool();
        case "blocked" -> blocked = r.bool();
        case "mirrors" -> {
          if (r.beginArray()) {
            while (r.nextElement()) {
              if (!r.beginObject()) throw r.error("expected a mirror object, got null");
              String ml = "";
              boolean mi = false;
              for (String g; (g = r.nextField()) != null; ) {
                switch (g) {
                  case "location" -> ml = r.string();
                  case "insecure" -> mi = r.bool();
                  default -> r.skip();
                }
              }
              if (ml.isEmpty()) throw r.error("mirror without a location");
              mirrors.add(new Mirror(trimSlash(ml), mi));
            }
          }
        }
        default -> r.skip();
      }
    }
    if (prefix.isEmpty()) prefix = location;
    if (prefix.isEmpty()) throw r.error("registry without a prefix or location");
    if (prefix.startsWith("*.") && !location.isEmpty()) {
      throw r.error("prefix \"" + prefix + "\": a wildcard prefix cannot have a location");
    }
    return new Registry(trimSlash(prefix), trimSlash(location), insecure, blocked, mirrors);
  }

  private static String hostOnly(JsonReader r, String s) throws SpecException {
    if (s.isEmpty() || s.contains("/")) throw r.error("\"" + s + "\": expected a host[:port]");
    return s;
  }

  private static String trimSlash(String s) {
    return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }

  /** Where the file came from, for messages. */
  public String source() {
    return source;
  }

  public List<Registry> registries() {
    return registries;
  }

  /**
   * Where to pull {@code domain/repository} from, in the order to try: mirrors first, then the
   * registry itself.
   *
   * @throws RegistryException when the matching entry is blocked
   */
  public List<Endpoint> endpoints(String domain, String repository) throws RegistryException {
    String ref = domain + "/" + repository;
    Registry reg = match(domain, ref);
    List<Endpoint> out = new ArrayList<>();
    if (reg == null) {
      out.add(endpoint(domain, repository, false, false));
      return out;
    }
    if (reg.blocked()) {
      throw new RegistryException(
          "registry \"" + reg.prefix() + "\" is blocked by " + source + " (for " + ref + ")");
    }
    // for a wildcard entry the "prefix" that is replaced is the domain itself
    String prefix = reg.prefix().startsWith("*.") ? domain : reg.prefix();
    String rest = ref.substring(prefix.length());
    for (Mirror m : reg.mirrors()) {
      out.add(rewritten(m.location() + rest, m.insecure(), true));
    }
    String location = reg.prefix().startsWith("*.") ? domain : reg.location();
    out.add(rewritten(location + rest, reg.insecure(), false));
    return out;
  }

  /**
   * The endpoint a push of {@code domain/repository} goes to: the registry itself, never a mirror.
   */
  public Endpoint pushEndpoint(String domain, String repository) throws RegistryException {
    List<Endpoint> all = endpoints(domain, repository);
    return all.get(all.size() - 1);
  }

  /** The endpoint of the registry {@code domain} itself, for a login. */
  public Endpoint registryEndpoint(String domain) throws RegistryException {
    Registry reg = match(domain, domain);
    if (reg != null && reg.blocked()) {
      throw new RegistryException("registry \"" + reg.prefix() + "\" is blocked by " + source);
    }
    return endpoint(domain, "", reg != null && reg.insecure(), false);
  }

  /**
   * Whether the file says anything of {@code host} (an entry's prefix, location or mirror on it, or
   * an insecure registry): a loopback registry is reached over plain HTTP only unless it is named
   * here, and then HTTPS is tried first, as Docker does for every insecure registry.
   */
  public boolean names(String host) {
    if (insecureRegistries.contains(host)) return true;
    for (Registry reg : registries) {
      if (hostOf(reg.prefix()).equals(host) || hostOf(reg.location()).equals(host)) return true;
      for (Mirror m : reg.mirrors()) if (hostOf(m.location()).equals(host)) return true;
    }
    return false;
  }

  private static String hostOf(String location) {
    int slash = location.indexOf('/');
    return slash < 0 ? location : location.substring(0, slash);
  }

  private Registry match(String domain, String ref) {
    Registry best = null;
    for (Registry reg : registries) {
      String p = reg.prefix();
      if (p.startsWith("*.")) continue;
      if ((ref.equals(p) || ref.startsWith(p + "/"))
          && (best == null || p.length() > best.prefix().length())) {
        best = reg;
      }
    }
    if (best != null) return best;
    String host = hostWithoutPort(domain);
    for (Registry reg : registries) {
      String p = reg.prefix();
      if (p.startsWith("*.")
          && host.endsWith(p.substring(1))
          && (best == null || p.length() > best.prefix().length())) {
        best = reg;
      }
    }
    return best;
  }

  private Endpoint rewritten(String location, boolean insecure, boolean mirror) {
    int slash = location.indexOf('/');
    String host = slash < 0 ? location : location.substring(0, slash);
    String repo = slash < 0 ? "" : location.substring(slash + 1);
    return endpoint(host, repo, insecure, mirror);
  }

  private Endpoint endpoint(String host, String repository, boolean insecure, boolean mirror) {
    String h = host.toLowerCase(Locale.ROOT);
    if (h.equals("docker.io") || h.equals("index.docker.io")) h = "registry-1.docker.io";
    boolean plain = insecure || insecureRegistries.contains(host) || isLoopback(host);
    return new Endpoint(h, plain, mirror, repository);
  }

  /** True for localhost, 127.0.0.0/8 and ::1, with or without a port. */
  static boolean isLoopback(String hostPort) {
    String host = hostWithoutPort(hostPort);
    if (host.equalsIgnoreCase("localhost")) return true;
    if (host.equals("::1")) return true;
    if (host.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}")) {
      try {
        return InetAddress.getByName(host).isLoopbackAddress(); // a literal: no name lookup
      } catch (java.net.UnknownHostException e) {
        return false;
      }
    }
    return false;
  }

  static String hostWithoutPort(String hostPort) {
    if (hostPort.startsWith("[")) {
      int end = hostPort.indexOf(']');
      return end < 0 ? hostPort : hostPort.substring(1, end);
    }
    int colon = hostPort.lastIndexOf(':');
    return colon < 0 ? hostPort : hostPort.substring(0, colon);
  }
}
