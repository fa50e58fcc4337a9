package dev.berth.image.registry;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One challenge of a {@code WWW-Authenticate} header (RFC 7235): a scheme ("basic", "bearer",
 * lowercased) and its parameters ({@code realm}, {@code service}, {@code scope}, names lowercased).
 */
record Challenge(String scheme, Map<String, String> params) {

  String param(String name) {
    return params.getOrDefault(name, "");
  }

  boolean isBearer() {
    return scheme.equals("bearer");
  }

  boolean isBasic() {
    return scheme.equals("basic");
  }

  /**
   * The challenges in the values of all WWW-Authenticate headers of an answer; unparseable text is
   * skipped.
   */
  static List<Challenge> parseAll(List<String> headerValues) {
    List<Challenge> out = new ArrayList<>();
    for (String v : headerValues) parse(v, out);
    return out;
  }

  /** The challenge we answer: Bearer if offered (it scopes access), else Basic, else null. */
  static Challenge preferred(List<Challenge> challenges) {
    Challenge basic = null;
    for (Challenge c : challenges) {
      if (c.isBearer() && !c.param("realm").isEmpty()) return c;
      if (c.isBasic() && basic == null) basic = c;
    }
    return basic;
  }

  // Grammar: challenge = scheme [ 1*SP ( token68 / #auth-param ) ], challenges separated by commas;
  // an auth-param is
  // token BWS "=" BWS ( token / quoted-string ). A new challenge starts at a token that is not
  // followed by "=".
  private static void parse(String s, List<Challenge> out) {
    int[] pos = {0};
    String scheme = null;
    Map<String, String> params = new LinkedHashMap<>();
    while (true) {
      skipSpaceAndCommas(s, pos);
      if (pos[0] >= s.length()) break;
      String token = token(s, pos);
      if (token.isEmpty()) {
        pos[0]++; // a stray character: skip it rather than fail on a server's typo
        continue;
      }
      int save = pos[0];
      skipSpace(s, pos);
      if (scheme != null && pos[0] < s.length() && s.charAt(pos[0]) == '=') {
        pos[0]++;
        skipSpace(s, pos);
        String value =
            pos[0] < s.length() && s.charAt(pos[0]) == '"' ? quoted(s, pos) : token(s, pos);
        params.put(token.toLowerCase(Locale.ROOT), value);
        continue;
      }
      pos[0] = save;
      if (scheme != null) out.add(new Challenge(scheme, Map.copyOf(params)));
      scheme = token.toLowerCase(Locale.ROOT);
      params = new LinkedHashMap<>();
    }
    if (scheme != null) out.add(new Challenge(scheme, Map.copyOf(params)));
  }

  private static void skipSpace(String s, int[] pos) {
    while (pos[0] < s.length() && (s.charAt(pos[0]) == ' ' || s.charAt(pos[0]) == '\t')) pos[0]++;
  }

  private static void skipSpaceAndCommas(String s, int[] pos) {
    while (pos[0] < s.length()
        && (s.charAt(pos[0]) == ' ' || s.charAt(pos[0]) == '\t' || s.charAt(pos[0]) == ',')) {
      pos[0]++;
    }
  }

  private static String token(String s, int[] pos) {
    int start = pos[0];
    while (pos[0] < s.length()) {
      char c = s.charAt(pos[0]);
      if (c <= ' ' || c == ',' || c == '=' || c == '"' || c >= 0x7f) break;
      pos[0]++;
    }
    return s.substring(start, pos[0]);
  }

  private static String quoted(String s, int[] pos) {
    StringBuilder sb = new StringBuilder();
    pos[0]++; // opening quote
    while (pos[0] < s.length()) {
      char c = s.charAt(pos[0]++);
      if (c == '"') break;
      if (c == '\\' && pos[0] < s.length()) c = s.charAt(pos[0]++);
      sb.append(c);
    }
    return sb.toString();
  }
}
