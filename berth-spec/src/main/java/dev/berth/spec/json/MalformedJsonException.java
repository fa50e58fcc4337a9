package dev.berth.spec.json;

/**
 * The bytes are not JSON: what {@link JsonTokenizer} throws. {@link JsonReader} turns it into a
 * {@link SpecException} that also names the source and the field path; this one only knows where in
 * the text the problem is.
 */
final class MalformedJsonException extends Exception {
  private static final long serialVersionUID = 1L;

  private final int offset;
  private final int line;
  private final int column;
  private final String reason;

  MalformedJsonException(int offset, int line, int column, String reason) {
    super("line " + line + ", column " + column + ": " + reason);
    this.offset = offset;
    this.line = line;
    this.column = column;
    this.reason = reason;
  }

  /** Byte offset of the problem in the document. */
  int offset() {
    return offset;
  }

  /** 1-based line (LF, CR LF and a lone CR each end a line). */
  int line() {
    return line;
  }

  /** 1-based column, in characters (code points), not bytes. */
  int column() {
    return column;
  }

  /** What is wrong, lowercase, e.g. {@code unexpected character ']', expected a value}. */
  String reason() {
    return reason;
  }
}
