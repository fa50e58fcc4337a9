package dev.berth.image.registry;

import static dev.berth.image.registry.RegistryClient.MAX_MANIFEST_BYTES;
import static dev.berth.image.registry.Responses.expect;
import static dev.berth.image.registry.Responses.readLimited;
import static dev.berth.image.registry.Responses.sameOrigin;

import dev.berth.spec.json.JsonReader;
import dev.berth.spec.json.SpecException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The tag list of one session's repository (GET /tags/list), page after page as the Link headers
 * lead.
 */
final class Tags {
  private static final Pattern LINK_NEXT = Pattern.compile("<([^>]*)>\\s*;[^,]*rel=\"?next\"?");

  private final Authenticator auth;

  Tags(Authenticator auth) {
    this.auth = auth;
  }

  /**
   * All tags, {@code pageSize} per page (0: the registry's default); a next page on another host is
   * refused.
   */
  List<String> list(Session s, int pageSize, String action) throws IOException {
    URI uri = s.uri("/tags/list" + (pageSize > 0 ? "?n=" + pageSize : ""));
    List<String> all = new ArrayList<>();
    Set<URI> seen = new HashSet<>();
    while (uri != null && seen.add(uri)) {
      HttpResponse<InputStream> resp =
          auth.send(s, "GET", uri, Map.of("Accept", "application/json"), null, true, action);
      expect(resp, 200, action);
      byte[] body = readLimited(resp, MAX_MANIFEST_BYTES, "tag list", action);
      try (JsonReader r = JsonReader.of(body, "tag list")) {
        if (r.beginObject()) {
          for (String f; (f = r.nextField()) != null; ) {
            if (f.equals("tags")) {
              all.addAll(r.strings());
            } else {
              r.skip();
            }
          }
        }
      } catch (SpecException e) {
        throw new RegistryException(action + ": " + e.getMessage(), e);
      }
      URI next = null;
      for (String link : resp.headers().allValues("Link")) {
        Matcher m = LINK_NEXT.matcher(link);
        if (m.find()) next = uri.resolve(m.group(1));
      }
      if (next != null && !sameOrigin(next, s.origin.base())) {
        throw new RegistryException(
            action + ": the next page is on another host (" + next.getAuthority() + ")");
      }
      uri = next;
    }
    return all;
  }
}
