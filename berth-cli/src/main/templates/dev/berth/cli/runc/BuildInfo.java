package dev.berth.cli.runc;

/**
 * What this build is, for {@code --version}: filled in by Maven's resource filtering
 * (berth-cli/pom.xml) from src/main/templates, so it costs a constant at start-up. The commit comes
 * from scripts/build.sh ({@code -Dberth.commit}); "unknown" otherwise.
 */
public final class BuildInfo {
  public static final String VERSION = "${berth.version}";
  public static final String COMMIT = "${berth.commit}";

  private BuildInfo() {}
}
