package dev.berth.engine.spec;

import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import java.util.List;
import java.util.Locale;

/**
 * docker's {@code --security-opt} values: {@code seccomp=unconfined|builtin|<file>|<JSON>}, {@code
 * no-new-privileges[=|:true|false]}, {@code systempaths=unconfined}, and the SELinux and AppArmor
 * options this host does without ({@code label=disable}, {@code apparmor=unconfined}: accepted;
 * other labels or profiles: refused as not implemented). docker's old ':' separator is accepted
 * too. Anything else is an error naming it.
 *
 * @param seccompProfile the profile file, or null for the default profile (or none when {@code
 *     seccompUnconfined}, or the inline {@code seccompJson})
 * @param seccompJson the profile itself, as the Docker API carries it (the docker CLI reads the
 *     file and sends its content: dockerd never opens a path a client names), or null
 */
public record SecurityOptions(
    boolean seccompUnconfined,
    String seccompProfile,
    String seccompJson,
    boolean noNewPrivileges,
    boolean systemPathsUnconfined) {

  public static SecurityOptions parse(List<String> opts) throws BerthException {
    boolean unconfined = false;
    String profile = null;
    String json = null;
    boolean nnp = false;
    boolean systemPaths = false;
    for (String opt : opts) {
      if (opt.equals("no-new-privileges")) {
        nnp = true;
        continue;
      }
      int sep = opt.indexOf('=');
      if (sep < 0) sep = opt.indexOf(':');
      if (sep <= 0) throw invalid(opt);
      String key = opt.substring(0, sep);
      String value = opt.substring(sep + 1);
      switch (key) {
        case "seccomp" -> {
          if (value.isEmpty()) throw invalid(opt);
          unconfined = value.equals("unconfined");
          profile = null;
          json = null;
          if (value.strip().startsWith("{")) {
            json = value;
          } else if (!unconfined && !value.equals("builtin")) {
            profile = value;
          }
        }
        case "no-new-privileges" ->
            nnp =
                switch (value.toLowerCase(Locale.ROOT)) {
                  case "true", "1", "t" -> true;
                  case "false", "0", "f" -> false;
                  default ->
                      throw new BerthException(
                          ErrorCategory.INVALID_ARGUMENT,
                          "invalid --security-opt "
                              + quote(opt)
                              + ": no-new-privileges wants true or false");
                };
        case "systempaths" -> {
          if (!value.equals("unconfined")) {
            throw new BerthException(
                ErrorCategory.INVALID_ARGUMENT,
                "invalid --security-opt "
                    + quote(opt)
                    + ": the only option for systempaths is unconfined");
          }
          systemPaths = true;
        }
        case "label" -> {
          if (!value.equals("disable")) {
            throw new BerthException(
                ErrorCategory.UNIMPLEMENTED,
                "--security-opt "
                    + quote(opt)
                    + ": SELinux labels are not supported (label=disable is)");
          }
        }
        case "apparmor" -> {
          if (!value.equals("unconfined")) {
            throw new BerthException(
                ErrorCategory.UNIMPLEMENTED,
                "--security-opt "
                    + quote(opt)
                    + ": AppArmor profiles are not supported (apparmor=unconfined is)");
          }
        }
        default -> throw invalid(opt);
      }
    }
    return new SecurityOptions(unconfined, profile, json, nnp, systemPaths);
  }

  private static BerthException invalid(String opt) {
    return new BerthException(
        ErrorCategory.INVALID_ARGUMENT,
        "invalid --security-opt: "
            + quote(opt)
            + " (want seccomp=unconfined|builtin|<file>|<JSON>, no-new-privileges[=true|false], systempaths=unconfined, label=disable "
            + "or apparmor=unconfined)");
  }

  private static String quote(String s) {
    return "\"" + s + "\"";
  }
}
