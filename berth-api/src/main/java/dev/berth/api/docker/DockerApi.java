package dev.berth.api.docker;

import dev.berth.api.docker.containers.ContainerRoutes;
import dev.berth.api.docker.exec.ExecRoutes;
import dev.berth.api.docker.images.ImageRoutes;
import dev.berth.api.docker.networks.NetworkRoutes;
import dev.berth.api.docker.system.SystemRoutes;
import dev.berth.api.docker.volumes.VolumeRoutes;
import dev.berth.engine.Engine;

/**
 * The Docker Engine API's routes on an engine: each concern registers its own ({@code system},
 * {@code images}, {@code volumes}, {@code networks}, {@code containers}, {@code exec}) on one
 * {@link Router}, which {@link DockerApiServer} serves.
 */
public final class DockerApi {
  private DockerApi() {}

  /** Every route of the API, on {@code engine}. */
  public static Router router(Engine engine, DaemonInfo daemon) {
    Router r = new Router();
    new SystemRoutes(engine, daemon).register(r);
    new ImageRoutes(engine).register(r);
    new VolumeRoutes(engine).register(r);
    new NetworkRoutes(engine).register(r);
    new ContainerRoutes(engine).register(r);
    new ExecRoutes(engine).register(r);
    return r;
  }
}
