package dev.berth.spec.image;

/**
 * An image reference, {@code domain/path[:tag][@digest]}, normalised as Docker does: {@code
 * busybox} is {@code docker.io/library/busybox}, {@code user/app} is {@code docker.io/user/app}.
 * {@code tag} is "" and {@code digest} null when absent; {@link #parse} adds no default tag ({@link
 * #withDefaultTag()} does), so a caller can tell "busybox" from "busybox:latest".
 *
 * <p>The grammar is the distribution project's ("reference" package): path components are lowercase
 * alphanumerics joined by '.', '_', "__" or runs of '-'; a tag is {@code [\w][\w.-]{0,127}}; a
 * domain is a host name, an IPv4 address or a bracketed IPv6 address, with an optional port; the
 * name may be 255 characters at most. It is checked by hand rather than with java.util.regex, which
 * would cost start-up time on every {@code berth run}.
 */
public record Reference(String domain, String path, String tag, Digest digest) {
  public static final String DOCKER_HUB = "docker.io";
  public static final String DEFAULT_TAG = "latest";
  private static final int NAME_MAX = 255;
  private static final int TAG_MAX = 128;

  public Reference {
    if (domain == null || path == null) {
      throw new IllegalArgumentException("reference: domain and path are required");
    }
    tag = tag == null ? "" : tag;
    String shown = show(domain, path, tag, digest);
    checkDomain(shown, domain);
    checkPath(shown, path);
    if (!tag.isEmpty()) {
      checkTag(shown, tag);
    }
    if (domain.length() + 1 + path.length() > NAME_MAX) {
      throw invalid(shown, "name is longer than " + NAME_MAX + " characters");
    }
  }

  /**
   * Parses and normalises {@code s}; the message of the exception names the input and what is wrong
   * with it.
   */
  public static Reference parse(String s) {
    if (s == null || s.isEmpty()) {
      throw invalid("", "empty reference");
    }
    if (s.length() == 64 && isLowerHex(s)) {
      // docker refuses these so that an image id is never taken for a repository name
      throw invalid(s, "a 64-character hex string is an image id, not a repository name");
    }
    String rest = s;
    Digest digest = null;
    int at = s.indexOf('@');
    if (at >= 0) {
      try {
        digest = Digest.parse(s.substring(at + 1));
      } catch (IllegalArgumentException e) {
        throw invalid(s, e.getMessage());
      }
      rest = s.substring(0, at);
    }
    String tag = "";
    int colon = rest.lastIndexOf(':');
    if (colon > rest.lastIndexOf('/')) { // a ':' before the last '/' is a port
      tag = rest.substring(colon + 1);
      rest = rest.substring(0, colon);
      checkTag(s, tag);
    }
    if (rest.isEmpty()) {
      throw invalid(s, "repository name is empty");
    }
    // Docker's rule: the first component is a domain if it looks like one (a '.' or ':', or
    // "localhost") or
    // has uppercase letters (repository paths cannot); otherwise the name is on Docker Hub.
    String domain, path;
    int slash = rest.indexOf('/');
    String first = slash < 0 ? "" : rest.substring(0, slash);
    if (slash < 0
        || (first.indexOf('.') < 0
            && first.indexOf(':') < 0
            && !first.equals("localhost")
            && !hasUpper(first))) {
      domain = DOCKER_HUB;
      path = rest;
    } else {
      domain = first;
      path = rest.substring(slash + 1);
    }
    if (domain.equals("index.docker.io")) {
      domain = DOCKER_HUB;
    }
    if (domain.equals(DOCKER_HUB) && path.indexOf('/') < 0) {
      path = "library/" + path;
    }
    checkDomain(s, domain);
    checkPath(s, path);
    if (domain.length() + 1 + path.length() > NAME_MAX) {
      throw invalid(s, "name is longer than " + NAME_MAX + " characters");
    }
    return new Reference(domain, path, tag, digest);
  }

  /** {@code domain/path}: the repository, without tag or digest. */
  public String name() {
    return domain + "/" + path;
  }

  /** True when a tag is given. */
  public boolean hasTag() {
    return !tag.isEmpty();
  }

  /** The canonical form, {@code domain/path[:tag][@digest]}. */
  @Override
  public String toString() {
    return show(domain, path, tag, digest);
  }

  /** Docker's short form: without "docker.io/", and without "library/" for official images. */
  public String familiar() {
    String name = name();
    if (domain.equals(DOCKER_HUB)) {
      name = path.startsWith("library/") && path.indexOf('/', 8) < 0 ? path.substring(8) : path;
    }
    return show(name, tag, digest);
  }

  public Reference withTag(String newTag) {
    return new Reference(domain, path, newTag, digest);
  }

  public Reference withDigest(Digest newDigest) {
    return new Reference(domain, path, tag, newDigest);
  }

  /**
   * This reference with tag "latest" when it has neither tag nor digest, as docker pull does; else
   * itself.
   */
  public Reference withDefaultTag() {
    return tag.isEmpty() && digest == null ? withTag(DEFAULT_TAG) : this;
  }

  // ---- grammar ----

  private static void checkTag(String input, String tag) {
    if (tag.isEmpty()) {
      throw invalid(input, "empty tag");
    }
    if (tag.length() > TAG_MAX) {
      throw invalid(input, "tag is longer than " + TAG_MAX + " characters");
    }
    for (int i = 0; i < tag.length(); i++) {
      char c = tag.charAt(i);
      if (!(isWord(c) || (i > 0 && (c == '.' || c == '-')))) {
        throw invalid(
            input,
            "invalid tag \""
                + tag
                + "\": want letters, digits, '_', '.' and '-', "
                + "not starting with '.' or '-'");
      }
    }
  }

  private static void checkPath(String input, String path) {
    if (hasUpper(path)) {
      throw invalid(input, "repository name must be lowercase");
    }
    if (path.isEmpty()) {
      throw invalid(input, "repository name is empty");
    }
    int start = 0;
    while (true) {
      int end = path.indexOf('/', start);
      String component = path.substring(start, end < 0 ? path.length() : end);
      if (!isPathComponent(component)) {
        throw invalid(
            input,
            "invalid repository name component \""
                + component
                + "\": want lowercase "
                + "letters and digits, separated by '.', '_', '__' or '-'");
      }
      if (end < 0) {
        return;
      }
      start = end + 1;
    }
  }

  // alnum+ (separator alnum+)* with separator '.', '_', '__' or '-'+
  private static boolean isPathComponent(String c) {
    int i = 0, n = c.length();
    while (true) {
      int runStart = i;
      while (i < n && isLowerAlnum(c.charAt(i))) {
        i++;
      }
      if (i == runStart) {
        return false; // empty, or a separator at the start, the end, or next to another
      }
      if (i == n) {
        return true;
      }
      char sep = c.charAt(i);
      if (sep == '.') {
        i++;
      } else if (sep == '_') {
        i += i + 1 < n && c.charAt(i + 1) == '_' ? 2 : 1;
      } else if (sep == '-') {
        while (i < n && c.charAt(i) == '-') {
          i++;
        }
      } else {
        return false;
      }
    }
  }

  private static void checkDomain(String input, String domain) {
    String host = domain;
    String port = null;
    if (domain.startsWith("[")) {
      int close = domain.indexOf(']');
      if (close < 0 || !isIpv6(domain.substring(1, close))) {
        throw invalid(input, "invalid domain \"" + domain + "\": bad IPv6 address");
      }
      host = domain.substring(0, close + 1);
      if (close + 1 < domain.length()) {
        if (domain.charAt(close + 1) != ':') {
          throw invalid(input, "invalid domain \"" + domain + "\"");
        }
        port = domain.substring(close + 2);
      }
    } else {
      int colon = domain.indexOf(':');
      if (colon >= 0) {
        host = domain.substring(0, colon);
        port = domain.substring(colon + 1);
      }
      if (!isHostName(host)) {
        throw invalid(
            input,
            "invalid domain \""
                + domain
                + "\": want a host name or address, "
                + "optionally with :port");
      }
    }
    if (port != null && (port.isEmpty() || !isDigits(port))) {
      throw invalid(input, "invalid domain \"" + domain + "\": port must be a number");
    }
  }

  // components [a-zA-Z0-9] or [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9], separated by '.'
  private static boolean isHostName(String host) {
    if (host.isEmpty()) {
      return false;
    }
    for (String label : host.split("\\.", -1)) {
      if (label.isEmpty() || label.charAt(0) == '-' || label.charAt(label.length() - 1) == '-') {
        return false;
      }
      for (int i = 0; i < label.length(); i++) {
        char c = label.charAt(i);
        if (!(isAlnum(c) || c == '-')) {
          return false;
        }
      }
    }
    return true;
  }

  // What the distribution grammar accepts between the brackets: hex digits and colons.
  private static boolean isIpv6(String s) {
    if (s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!(c == ':'
          || (c >= '0' && c <= '9')
          || (c >= 'a' && c <= 'f')
          || (c >= 'A' && c <= 'F'))) {
        return false;
      }
    }
    return true;
  }

  private static boolean isWord(char c) {
    return isAlnum(c) || c == '_';
  }

  private static boolean isAlnum(char c) {
    return isLowerAlnum(c) || (c >= 'A' && c <= 'Z');
  }

  private static boolean isLowerAlnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  }

  private static boolean hasUpper(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= 'A' && s.charAt(i) <= 'Z') {
        return true;
      }
    }
    return false;
  }

  private static boolean isDigits(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }

  private static boolean isLowerHex(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return false;
      }
    }
    return true;
  }

  private static String show(String domain, String path, String tag, Digest digest) {
    return show(domain + "/" + path, tag == null ? "" : tag, digest);
  }

  private static String show(String name, String tag, Digest digest) {
    StringBuilder sb = new StringBuilder(name);
    if (!tag.isEmpty()) {
      sb.append(':').append(tag);
    }
    if (digest != null) {
      sb.append('@').append(digest);
    }
    return sb.toString();
  }

  /**
   * The error for a refused reference. A reference may come from an image archive, a registry or a
   * remote client: its control characters are escaped (a newline in it must not forge a line of a
   * log) and a long one is cut, so the message stays one readable line.
   */
  private static IllegalArgumentException invalid(String input, String what) {
    return new IllegalArgumentException(
        "invalid reference \""
            + dev.berth.spec.error.Printable.of(input, 300)
            + "\": "
            + dev.berth.spec.error.Printable.of(what, 300));
  }
}
