package dev.berth.spec.json;

/**
 * Bad input in a JSON document: malformed JSON, a value of the wrong type or out of range, or an
 * unknown enum value.
 *
 * <p>Checked, because every caller handles bad user input (it is not a programming error), and
 * distinct from {@link java.io.IOException}, so a caller can tell "the file is wrong" from "the
 * file could not be read". The message names the source and the field path: {@code config.json:
 * process.args[1]: expected string, got number}.
 */
public final class SpecException extends Exception {
  private static final long serialVersionUID = 1L;

  private final String source;
  private final String path;
  private final String detail;

  public SpecException(String source, String path, String detail) {
    super(format(source, path, detail));
    this.source = source;
    this.path = path;
    this.detail = detail;
  }

  public SpecException(String source, String path, String detail, Throwable cause) {
    this(source, path, detail);
    initCause(cause);
  }

  private static String format(String source, String path, String detail) {
    StringBuilder sb = new StringBuilder();
    if (source != null && !source.isEmpty()) {
      sb.append(source).append(": ");
    }
    if (path != null && !path.isEmpty()) {
      sb.append(path).append(": ");
    }
    return sb.append(detail).toString();
  }

  /** The document, e.g. {@code config.json}; may be empty. */
  public String source() {
    return source;
  }

  /** The field path, e.g. {@code process.args[1]}; empty for the document itself. */
  public String path() {
    return path;
  }

  /** What is wrong, without source and path. */
  public String detail() {
    return detail;
  }
}
