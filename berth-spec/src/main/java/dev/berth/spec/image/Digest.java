package dev.berth.spec.image;

import java.util.HexFormat;

/**
 * A content digest, {@code algorithm ":" encoded} (image-spec "Digests"). Only sha256 and sha512
 * are accepted: a digest is used as a file name in the content store, so anything else is refused
 * here, at the edge.
 */
public record Digest(String algorithm, String encoded) {

  public Digest {
    int want =
        switch (algorithm) {
          case "sha256" -> 64;
          case "sha512" -> 128;
          default ->
              throw new IllegalArgumentException(
                  "unsupported digest algorithm \"" + algorithm + "\"");
        };
    if (encoded.length() != want) {
      throw new IllegalArgumentException(
          "invalid "
              + algorithm
              + " digest: want "
              + want
              + " hex digits, got "
              + encoded.length());
    }
    for (int i = 0; i < encoded.length(); i++) {
      char c = encoded.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        throw new IllegalArgumentException("invalid " + algorithm + " digest: not lowercase hex");
      }
    }
  }

  /** Parses {@code sha256:<64 hex>}; the message of the exception says what is wrong. */
  public static Digest parse(String s) {
    int colon = s.indexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException("invalid digest \"" + s + "\": want algorithm:hex");
    }
    return new Digest(s.substring(0, colon), s.substring(colon + 1));
  }

  public static Digest sha256(byte[] hash) {
    return new Digest("sha256", HexFormat.of().formatHex(hash));
  }

  /** The digest of these bytes with SHA-256 (see {@link Sha256} for small ones). */
  public static Digest sha256Of(byte[] content) {
    if (content.length <= Sha256.SMALL) return sha256(Sha256.digest(content));
    try {
      return sha256(java.security.MessageDigest.getInstance("SHA-256").digest(content));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The name of the JCA MessageDigest algorithm for this digest. */
  public String jcaName() {
    return algorithm.equals("sha256") ? "SHA-256" : "SHA-512";
  }

  // equals and hashCode by hand: a record's generated ones bootstrap through invokedynamic
  // (ObjectMethods), which
  // costs milliseconds the first time on a CLI's cold start, and digests are compared on every
  // listing.
  @Override
  public boolean equals(Object o) {
    return o instanceof Digest d && encoded.equals(d.encoded) && algorithm.equals(d.algorithm);
  }

  @Override
  public int hashCode() {
    return encoded.hashCode();
  }

  @Override
  public String toString() {
    return algorithm + ":" + encoded;
  }
}
