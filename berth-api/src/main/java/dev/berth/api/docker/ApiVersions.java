package dev.berth.api.docker;

/**
 * The API versions berthd answers: paths {@code /v1.N/...} for N from {@link #MIN} to {@link
 * #CURRENT}, and unversioned paths (as the current version). Clients negotiate down to {@link
 * #CURRENT} from the {@code API-Version} header of {@code /_ping}.
 */
public final class ApiVersions {
  private ApiVersions() {}

  /** The version berthd implements, and the one it announces. */
  public static final String CURRENT = "1.44";

  /** The docker release that speaks {@link #CURRENT} (Engine 25.0), for clients that compare it. */
  public static final String DOCKER_RELEASE = "25.0.0";

  /** The oldest version dockerd 25 still accepts, and so berthd. */
  public static final String MIN = "1.24";

  private static final int CURRENT_MINOR = 44;
  private static final int MIN_MINOR = 24;

  /** A request path split into its version (CURRENT when unversioned) and the rest. */
  public record Split(String version, String path) {}

  /**
   * Splits {@code /v1.44/images/json} into "1.44" and "/images/json"; refuses versions out of range
   * with dockerd's messages (400).
   */
  public static Split split(String path) throws ApiError {
    if (path.length() < 3 || path.charAt(1) != 'v' || !Character.isDigit(path.charAt(2))) {
      return new Split(CURRENT, path);
    }
    int slash = path.indexOf('/', 1);
    String v = slash < 0 ? path.substring(2) : path.substring(2, slash);
    String rest = slash < 0 ? "/" : path.substring(slash);
    int dot = v.indexOf('.');
    int major;
    int minor;
    try {
      major = Integer.parseInt(dot < 0 ? v : v.substring(0, dot));
      minor = dot < 0 ? 0 : Integer.parseInt(v.substring(dot + 1));
    } catch (NumberFormatException e) {
      throw ApiError.notFound("page not found");
    }
    if (major > 1 || (major == 1 && minor > CURRENT_MINOR)) {
      throw ApiError.badRequest(
          "client version " + v + " is too new. Maximum supported API version is " + CURRENT);
    }
    if (major < 1 || minor < MIN_MINOR) {
      throw ApiError.badRequest(
          "client version "
              + v
              + " is too old. Minimum supported API version is "
              + MIN
              + ", please upgrade your client to a newer version");
    }
    return new Split(major + "." + minor, rest);
  }

  /** Whether {@code version} (as {@link #split} returns it) is at least {@code 1.minor}. */
  public static boolean atLeast(String version, int minor) {
    int dot = version.indexOf('.');
    return Integer.parseInt(version.substring(dot + 1)) >= minor;
  }
}
