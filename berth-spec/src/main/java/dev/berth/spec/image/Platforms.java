package dev.berth.spec.image;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Platforms as Go names them ({@code linux/amd64}, {@code linux/arm64/v8}): the host's, parsing,
 * normalisation, and choosing an image from an index, after containerd's {@code platforms} package.
 *
 * <p>Normal form: os and architecture lowercase with Go's names (x86_64 is amd64, aarch64 is arm64,
 * i386 is 386), variants with their default made explicit (arm64 is v8, arm is v7) and amd64's
 * baseline v1 written as "".
 */
public final class Platforms {
  private Platforms() {}

  /** The platform of this JVM: linux and os.arch in Go's names. */
  public static Platform host() {
    return normalize(new Platform("linux", System.getProperty("os.arch", ""), ""));
  }

  /**
   * Parses {@code os/arch[/variant]}, or a lone architecture (linux assumed) as {@code --platform
   * amd64}; the result is normalised. The exception's message names the input and what is wrong.
   */
  public static Platform parse(String s) {
    String[] parts = s.split("/", -1);
    if (parts.length > 3 || s.isEmpty()) {
      throw new IllegalArgumentException(
          "invalid platform \"" + s + "\": want os/arch or os/arch/variant");
    }
    for (String part : parts) {
      if (part.isEmpty() || !isName(part)) {
        throw new IllegalArgumentException(
            "invalid platform \""
                + s
                + "\": component \""
                + part
                + "\" is not a name (letters, digits, '_', '-', '.')");
      }
    }
    if (parts.length == 1) {
      if (parts[0].equalsIgnoreCase("linux")) {
        return host();
      }
      return normalize(new Platform("linux", parts[0], ""));
    }
    return normalize(new Platform(parts[0], parts[1], parts.length == 3 ? parts[2] : ""));
  }

  /** The platform in normal form (see the class comment); osVersion and osFeatures are kept. */
  public static Platform normalize(Platform p) {
    String os = p.os().toLowerCase(Locale.ROOT);
    if (os.equals("macos")) {
      os = "darwin";
    }
    String arch = p.architecture().toLowerCase(Locale.ROOT);
    String variant = p.variant().toLowerCase(Locale.ROOT);
    switch (arch) {
      case "x86_64", "x86-64", "amd64" -> {
        arch = "amd64";
        if (variant.equals("v1")) {
          variant = "";
        }
      }
      case "aarch64", "arm64" -> {
        arch = "arm64";
        variant =
            switch (variant) {
              case "", "8", "v8", "v8.0" -> "v8";
              case "9", "9.0", "v9.0" -> "v9";
              default -> variant;
            };
      }
      case "armhf" -> {
        arch = "arm";
        variant = "v7";
      }
      case "armel" -> {
        arch = "arm";
        variant = "v6";
      }
      case "arm" ->
          variant =
              switch (variant) {
                case "", "7" -> "v7";
                case "5", "6", "8" -> "v" + variant;
                default -> variant;
              };
      case "i386", "i486", "i586", "i686", "x86", "386" -> {
        arch = "386";
        variant = "";
      }
      case "ppc64el" -> arch = "ppc64le";
      default -> {}
    }
    return new Platform(os, arch, variant, p.osVersion(), p.osFeatures());
  }

  /**
   * True when an image for {@code have} runs on {@code want}: same os and architecture after
   * normalisation, and a variant that {@code want} can run: equal, either of them empty, or (arm,
   * arm64, amd64) an older one, as an armv7 machine runs v6 binaries.
   */
  public static boolean matches(Platform want, Platform have) {
    return score(normalize(want), normalize(have)) > 0;
  }

  /**
   * The manifest of {@code index} that suits {@code want} best: an exact variant first, then the
   * newest older variant, then one whose platform leaves the variant out; among equals the first in
   * the index. A manifest without a platform is taken only when none has a matching one (an OCI
   * layout with a single image often says nothing). Throws IllegalArgumentException naming the
   * platforms available when nothing suits.
   */
  public static Descriptor select(Index index, Platform want) {
    Platform w = normalize(want);
    Descriptor best = null, unlabelled = null;
    int bestScore = 0;
    for (Descriptor d : index.manifests()) {
      if (d.platform() == null) {
        boolean manifest = d.mediaType().isEmpty() || MediaTypes.isManifest(d.mediaType());
        if (unlabelled == null && manifest) {
          unlabelled = d;
        }
        continue;
      }
      int score = score(w, normalize(d.platform()));
      if (score > bestScore) {
        best = d;
        bestScore = score;
      }
    }
    if (best != null) {
      return best;
    }
    if (unlabelled != null) {
      return unlabelled;
    }
    List<String> available = new ArrayList<>();
    for (Descriptor d : index.manifests()) {
      if (d.platform() != null && !available.contains(d.platform().toString())) {
        available.add(d.platform().toString());
      }
    }
    throw new IllegalArgumentException(
        "no image for platform "
            + want
            + " in index (available: "
            + (available.isEmpty() ? "none" : String.join(", ", available))
            + ")");
  }

  // 0: no match. Higher is better: exact variant, then the closest older variant, then an
  // unspecified one.
  private static int score(Platform want, Platform have) {
    if (!want.os().equals(have.os()) || !want.architecture().equals(have.architecture())) {
      return 0;
    }
    if (want.variant().equals(have.variant())) {
      return 1000;
    }
    if (want.variant().isEmpty() || have.variant().isEmpty()) {
      return 1;
    }
    String arch = want.architecture();
    if (arch.equals("arm") || arch.equals("arm64") || arch.equals("amd64")) {
      int wv = version(want.variant()), hv = version(have.variant());
      if (wv > 0 && hv > 0 && hv < wv) {
        return 2 + hv; // the newest variant the machine runs
      }
    }
    return 0;
  }

  // "v7" -> 7, "v8.2" -> 8; 0 when it is not a version.
  private static int version(String variant) {
    if (variant.length() < 2 || variant.charAt(0) != 'v') {
      return 0;
    }
    int v = 0;
    for (int i = 1; i < variant.length(); i++) {
      char c = variant.charAt(i);
      if (c == '.') {
        break;
      }
      if (c < '0' || c > '9' || v > 100) {
        return 0;
      }
      v = v * 10 + (c - '0');
    }
    return v;
  }

  private static boolean isName(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!((c >= 'a' && c <= 'z')
          || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9')
          || c == '_'
          || c == '-'
          || c == '.')) {
        return false;
      }
    }
    return true;
  }
}
