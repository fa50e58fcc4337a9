package dev.berth.image.registry;

import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.json.JsonReader;
import dev.berth.spec.json.SpecException;
import java.io.IOException;
import java.util.Locale;

/**
 * A registry refused or botched a request, or the request could not be made. The message says what
 * was being done and what went wrong ({@code pull 127.0.0.1:5000/x:y: manifest unknown}); {@link
 * #status()} is the HTTP status (0 when there was no answer, or the problem was ours), {@link
 * #code()} the registry's error code from its JSON body ({@code MANIFEST_UNKNOWN}, "" when it sent
 * none).
 */
public final class RegistryException extends IOException {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final String code;
  private final String registryMessage;

  public RegistryException(String message) {
    this(message, 0, "", "");
  }

  public RegistryException(String message, Throwable cause) {
    this(message, 0, "", "");
    initCause(cause);
  }

  public RegistryException(String message, int status, String code, String registryMessage) {
    super(message);
    this.status = status;
    this.code = code == null ? "" : code;
    this.registryMessage = registryMessage == null ? "" : registryMessage;
  }

  /** The HTTP status of the answer, or 0. */
  public int status() {
    return status;
  }

  /** The distribution error code of the first error in the answer ({@code BLOB_UNKNOWN}), or "". */
  public String code() {
    return code;
  }

  /** The message the registry gave with that code, or "". */
  public String registryMessage() {
    return registryMessage;
  }

  /**
   * True for 401 / 403 and the UNAUTHORIZED / DENIED codes: credentials are missing, wrong or not
   * enough.
   */
  public boolean isAuthFailure() {
    return status == 401 || status == 403 || code.equals("UNAUTHORIZED") || code.equals("DENIED");
  }

  /** True when the registry says the thing does not exist (404 or a *_UNKNOWN code). */
  public boolean isNotFound() {
    return status == 404 || code.endsWith("_UNKNOWN");
  }

  /**
   * The category of a pull or push that failed so: refused credentials, a missing repository,
   * manifest or blob, and anything else (no answer, a 5xx, a botched answer) as a registry out of
   * reach for now.
   */
  public ErrorCategory category() {
    return isAuthFailure()
        ? ErrorCategory.UNAUTHORIZED
        : isNotFound() ? ErrorCategory.NOT_FOUND : ErrorCategory.UNAVAILABLE;
  }

  /**
   * Maps an error answer to an exception. The distribution spec's body is {@code
   * {"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":...}]}}; anything
   * else (HTML from a proxy, nothing at all for HEAD) is reported by status only.
   */
  static RegistryException fromResponse(String action, int status, byte[] body) {
    String code = "";
    String message = "";
    if (body != null && body.length > 0) {
      try (JsonReader r = JsonReader.of(body, "error body")) {
        if (r.beginObject()) {
          for (String f; (f = r.nextField()) != null; ) {
            if (f.equals("errors") && r.beginArray()) {
              while (r.nextElement()) {
                if (!r.beginObject()) continue;
                String c = "";
                String m = "";
                for (String g; (g = r.nextField()) != null; ) {
                  switch (g) {
                    case "code" -> c = r.string();
                    case "message" -> m = r.string();
                    default -> r.skip();
                  }
                }
                if (code.isEmpty() && message.isEmpty()) {
                  code = c;
                  message = m;
                }
              }
            } else if (f.equals("details") || f.equals("detail") || f.equals("error")) {
              // token servers answer {"details":"..."} or {"error":"..."}
              if (message.isEmpty() && !r.isNull()) {
                try {
                  message = r.string();
                } catch (SpecException notString) {
                  r.skip();
                }
              } else {
                r.skip();
              }
            } else {
              r.skip();
            }
          }
        }
      } catch (SpecException notJson) {
        // not the spec's error body: the status says enough
      }
    }
    return new RegistryException(
        action + ": " + describe(status, code, message), status, code, message);
  }

  private static String describe(int status, String code, String message) {
    String phrase = code.toLowerCase(Locale.ROOT).replace('_', ' ');
    if (!phrase.isEmpty() && !message.isEmpty()) {
      return message.equalsIgnoreCase(phrase) ? phrase : phrase + ": " + printable(message);
    }
    if (!phrase.isEmpty()) return phrase;
    String text =
        switch (status) {
          case 401 -> "unauthorized";
          case 403 -> "denied";
          case 404 -> "not found";
          case 405 -> "method not allowed (is the registry read-only?)";
          case 416 -> "requested range not satisfiable";
          case 429 -> "too many requests";
          default -> status >= 500 ? "server error" : "unexpected answer";
        };
    text += " (HTTP " + status + ")";
    return message.isEmpty() ? text : text + ": " + printable(message);
  }

  // A hostile registry's message ends up on a terminal: keep it short and without control
  // characters.
  static String printable(String s) {
    StringBuilder sb = new StringBuilder(Math.min(s.length(), 200));
    for (int i = 0; i < s.length() && sb.length() < 200; i++) {
      char c = s.charAt(i);
      sb.append(c < 0x20 || c == 0x7f ? ' ' : c);
    }
    if (s.length() > 200) sb.append("...");
    return sb.toString();
  }
}
