package dev.berth.cli.berth;

import dev.berth.cli.flags.ParsedCommand;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;

/** Dispatches a parsed command line to its verb (one class each). */
final class Verbs {
  private Verbs() {}

  static int run(ParsedCommand c, InputStream in, PrintStream out, PrintStream err)
      throws dev.berth.spec.error.BerthException, IOException {
    boolean images = c.app().name().equals("berth image");
    if (c.app().name().equals("berth volume")) return VolumeVerbs.run(c, in, out, err);
    if (c.app().name().equals("berth network")) return NetworkVerbs.run(c, in, out, err);
    if (c.app().name().equals("berth healthcheck")) return HealthcheckVerbs.run(c, out, err);
    if (!images) {
      switch (c.command().name()) {
        case "run":
          return ContainerVerbs.run(c, out, err);
        case "create":
          return ContainerVerbs.create(c, out, err);
        case "start":
          return ContainerVerbs.start(c, out, err);
        case "stop":
          return ContainerVerbs.stop(c, out, err);
        case "restart":
          return ContainerVerbs.restart(c, out, err);
        case "kill":
          return ContainerVerbs.kill(c, out, err);
        case "rm":
          return ContainerVerbs.rm(c, out, err);
        case "ps", "ls":
          return ContainerVerbs.ps(c, out);
        case "inspect":
          return ContainerVerbs.inspect(c, out, err);
        case "logs":
          return ContainerVerbs.logs(c, out, err);
        case "wait":
          return ContainerVerbs.await(c, out, err);
        case "pause":
          return ContainerVerbs.pause(c, out, err, true);
        case "unpause":
          return ContainerVerbs.pause(c, out, err, false);
        case "rename":
          return ContainerVerbs.rename(c);
        case "cleanup":
          return ContainerVerbs.cleanup(c);
        case "cp":
          return CpVerb.run(c, in, out);
        case "export":
          return ExportVerb.run(c, out);
        case "update":
          return ContainerVerbs.update(c, out, err);
        case "diff":
          return ContainerVerbs.diff(c, out);
        case "commit":
          return CommitVerb.run(c, out);
        case "port":
          return PortVerb.run(c, out, err);
        case "prune":
          return ContainerPruneVerb.run(c, in, out);
        case "exec":
          return ExecVerb.run(c, out, err);
        case "attach":
          return AttachVerb.run(c, out, err);
        case "top":
          return TopVerb.run(c, out);
        case "stats":
          return StatsVerb.run(c, out, err);
        case "events":
          return EventsVerb.run(c, out);
        default:
          break;
      }
    }
    return switch (c.command().name()) {
      case "pull" -> PullVerb.run(c, out, err);
      case "push" -> PushVerb.run(c, out, err);
      case "images", "ls" -> ImagesVerb.run(c, out);
      case "rmi", "rm" -> RmiVerb.run(c, out, err);
      case "tag" -> TagVerb.run(c);
      case "save" -> SaveVerb.run(c, out);
      case "load" -> LoadVerb.run(c, in, out);
      case "import" -> ImportVerb.run(c, in, out);
      case "inspect" -> InspectVerb.run(c, out);
      case "login" -> LoginVerb.run(c, in, out);
      case "logout" -> LogoutVerb.run(c, out);
      case "prune" -> PruneVerb.run(c, out);
      case "mount" -> MountVerb.mount(c, out);
      case "unmount" -> MountVerb.unmount(c);
      default -> throw new IllegalStateException("no verb for " + c.command().name());
    };
  }
}
