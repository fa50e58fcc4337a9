package dev.berth.cli.berth;

import static dev.berth.cli.flags.FlagSpec.bool;
import static dev.berth.cli.flags.FlagSpec.string;

import dev.berth.cli.flags.App;
import dev.berth.cli.flags.CommandSpec;
import dev.berth.cli.flags.FlagSpec;

/**
 * The command table of {@code berth}: docker's and podman's image commands with their flags,
 * daemonless (the CLI works on the store under --root directly, with locks). {@code berth image
 * <verb>} reaches the same verbs.
 */
final class BerthApp {
  static final String DEFAULT_ROOT = "/var/lib/berth";
  static final String DEFAULT_RUNROOT = "/run/berth";
  static final String VERSION = "0.1.0";

  private BerthApp() {}

  static App build() {
    return App.of("berth", "manage images and containers without a daemon")
        .withVersion(VERSION)
        .withGlobalFlags(globals())
        .withCommands(commands(true))
        .withShortClusters();
  }

  /** {@code berth image <verb>}: the image verbs under docker's management-command names. */
  static App image() {
    return App.of("berth image", "manage images").withCommands(commands(false)).withShortClusters();
  }

  /**
   * {@code berth container <verb>}: the container verbs under docker's management-command names.
   */
  static App container() {
    return App.of("berth container", "manage containers")
        .withCommands(ContainerCommands.commands(false))
        .withShortClusters();
  }

  private static FlagSpec[] globals() {
    return new FlagSpec[] {
      string(
          "root", null, "directory of the image store (content, snapshots, names)", DEFAULT_ROOT),
      string(
          "registries-config",
          null,
          "registries configuration file (mirrors, insecure registries)",
          "/etc/berth/registries.json"),
      string(
          "config",
          null,
          "configuration file (runtime handlers; default /etc/berth/berth.toml or .json)",
          ""),
      string(
          "runroot",
          null,
          "directory of state a reboot clears (runtime state, mounts, sockets)",
          DEFAULT_RUNROOT),
      bool("debug", null, "print stack traces of errors"),
      // TEST ONLY (also BERTH_CNI_LAUNCHER): a prefix for the CNI plugins, e.g. "nsenter
      // --net=/run/netns/t --".
      string("cni-launcher", null, "test only: run CNI plugins under this command prefix", "")
          .asHidden()
    };
  }

  private static CommandSpec[] commands(boolean top) {
    CommandSpec pull =
        CommandSpec.of("pull", "download an image from a registry")
            .withUsage("NAME[:TAG|@DIGEST]")
            .withExactArgs(1)
            .withFlags(
                string(
                    "platform",
                    null,
                    "os/arch[/variant] to pull from a multi-platform image (the host's when unset)",
                    ""),
                bool("quiet", "q", "print only the image name"),
                string(
                    "authfile", null, "credentials file to use instead of the standard ones", ""));
    CommandSpec push =
        CommandSpec.of("push", "upload an image to a registry")
            .withUsage("IMAGE [DESTINATION]")
            .withArgs(1, 2)
            .withFlags(
                bool("quiet", "q", "print nothing but errors"),
                string(
                    "authfile", null, "credentials file to use instead of the standard ones", ""));
    CommandSpec images =
        CommandSpec.of(top ? "images" : "ls", "list images")
            .withAliases(top ? new String[0] : new String[] {"list"})
            .withUsage("[REPOSITORY[:TAG]]")
            .withArgs(0, 1)
            .withFlags(
                bool("quiet", "q", "print only image ids"),
                bool(
                    "all",
                    "a",
                    "list all images (berth keeps no intermediate images: the same list)"),
                bool("no-trunc", null, "print whole image ids"),
                bool("digests", null, "show digests"),
                string("format", null, "table or json", "table"));
    CommandSpec rmi =
        CommandSpec.of(top ? "rmi" : "rm", "remove images")
            .withUsage("IMAGE [IMAGE...]")
            .withMinArgs(1)
            .withFlags(bool("force", "f", "remove an image that several names share"));
    CommandSpec tag =
        CommandSpec.of("tag", "give an image another name")
            .withUsage("SOURCE_IMAGE TARGET_IMAGE")
            .withExactArgs(2);
    CommandSpec save =
        CommandSpec.of("save", "write images to an archive")
            .withUsage("IMAGE [IMAGE...]")
            .withMinArgs(1)
            .withFlags(
                string("output", "o", "file to write (stdout when unset)", ""),
                string("format", null, "oci-archive or docker-archive", "docker-archive"));
    CommandSpec load =
        CommandSpec.of("load", "read images from an archive")
            .withArgs(0, 0)
            .withFlags(
                string("input", "i", "archive to read (stdin when unset)", ""),
                bool("quiet", "q", "print nothing but errors"));
    CommandSpec imp =
        CommandSpec.of("import", "make a one-layer image from a root filesystem tarball")
            .withUsage("FILE|- [REPOSITORY[:TAG]]")
            .withArgs(1, 2)
            .withFlags(
                string("message", "m", "history comment of the layer", ""),
                bool("quiet", "q", "print nothing but the image id"));
    CommandSpec inspect =
        CommandSpec.of("inspect", "show images' configuration as JSON")
            .withUsage("IMAGE [IMAGE...]")
            .withMinArgs(1)
            .withFlags(string("format", "f", "json (the default)", "json"));
    CommandSpec login =
        CommandSpec.of("login", "store credentials for a registry")
            .withUsage("REGISTRY")
            .withExactArgs(1)
            .withFlags(
                string("username", "u", "user name", ""),
                string("password", "p", "password (prefer --password-stdin)", ""),
                bool("password-stdin", null, "read the password from stdin"),
                string("authfile", null, "credentials file to write instead of berth's own", ""));
    CommandSpec logout =
        CommandSpec.of("logout", "remove stored credentials for a registry")
            .withUsage("REGISTRY")
            .withExactArgs(1)
            .withFlags(
                string("authfile", null, "credentials file to change instead of berth's own", ""));
    CommandSpec prune =
        CommandSpec.of("prune", "delete blobs and snapshots that no image uses").withArgs(0, 0);
    CommandSpec mount =
        CommandSpec.of("mount", "mount an image's root filesystem read-only and print where")
            .withUsage("IMAGE")
            .withExactArgs(1);
    CommandSpec unmount =
        CommandSpec.of("unmount", "unmount an image mounted by berth image mount")
            .withAliases("umount")
            .withUsage("IMAGE")
            .withExactArgs(1);
    if (!top)
      return new CommandSpec[] {
        images, inspect, pull, push, rmi, tag, save, load, imp, prune, mount, unmount
      };
    CommandSpec image =
        CommandSpec.of("image", "manage images (berth image --help)")
            .withUsage("COMMAND [ARG...]")
            .withMinArgs(0)
            .stopFlagsAtFirstArg();
    CommandSpec container =
        CommandSpec.of("container", "manage containers (berth container --help)")
            .withUsage("COMMAND [ARG...]")
            .withMinArgs(0)
            .stopFlagsAtFirstArg();
    CommandSpec volume =
        CommandSpec.of("volume", "manage volumes (berth volume --help)")
            .withUsage("COMMAND [ARG...]")
            .withMinArgs(0)
            .stopFlagsAtFirstArg();
    CommandSpec network =
        CommandSpec.of("network", "manage networks (berth network --help)")
            .withUsage("COMMAND [ARG...]")
            .withMinArgs(0)
            .stopFlagsAtFirstArg();
    CommandSpec healthcheck =
        CommandSpec.of("healthcheck", "run healthchecks (berth healthcheck --help)")
            .withUsage("COMMAND [ARG...]")
            .withMinArgs(0)
            .stopFlagsAtFirstArg();
    java.util.List<CommandSpec> all =
        new java.util.ArrayList<>(java.util.List.of(ContainerCommands.commands(true)));
    all.addAll(
        java.util.List.of(
            pull,
            push,
            images,
            rmi,
            tag,
            save,
            load,
            imp,
            login,
            logout,
            image,
            container,
            volume,
            network,
            healthcheck));
    return all.toArray(new CommandSpec[0]);
  }
}
