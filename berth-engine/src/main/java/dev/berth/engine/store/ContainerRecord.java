package dev.berth.engine.store;

import dev.berth.engine.container.ContainerOptions;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What the store keeps of one container: who it is, what it was made from and with, where its parts
 * are, and its state. One JSON file per container ({@code containers/<id>/container.json}),
 * replaced whole on each change.
 *
 * @param id 64 lowercase hex digits, random ({@link ContainerStore#newId()})
 * @param name docker's rule ({@link ContainerNames}), without the leading "/"; null only before
 *     {@link ContainerStore#create}, which generates one
 * @param created when it was created
 * @param options what the user asked for, kept whole for inspect, restart and commit
 * @param imageId the image's id: the sha256 digest of its config ({@code sha256:<hex>}), "" when
 *     none
 * @param imageRef the image as the user named it ("busybox", "busybox:latest", an id prefix)
 * @param runtime the runtime handler ("berth", "runc", ...)
 * @param snapshotKey the key of its writable snapshot in the image store's snapshotter, "" when
 *     none
 * @param bundleDir its OCI bundle directory, or null before one is written
 * @param logPath its log file (CRI format, written by the monitor), or null
 * @param volumes names of the volumes it mounts, named and anonymous: what keeps a volume "in use"
 * @param state its status, pids, times, exit code
 * @param extras fields of later layers (network, ports, ...), kept verbatim
 */
public record ContainerRecord(
    String id,
    String name,
    Instant created,
    ContainerOptions options,
    String imageId,
    String imageRef,
    String runtime,
    String snapshotKey,
    Path bundleDir,
    Path logPath,
    List<String> volumes,
    ContainerState state,
    Map<String, String> extras) {

  public ContainerRecord {
    if (!ContainerNames.isId(id))
      throw new IllegalArgumentException("id: \"" + id + "\" is not 64 lowercase hex digits");
    if (name != null && !ContainerNames.isValidName(name)) {
      throw new IllegalArgumentException(
          "Invalid container name ("
              + name
              + "), only "
              + ContainerNames.NAME_CHARS
              + " are allowed");
    }
    if (created == null) throw new IllegalArgumentException("created: required");
    if (options == null) throw new IllegalArgumentException("options: required");
    imageId = imageId == null ? "" : imageId;
    imageRef = imageRef == null ? "" : imageRef;
    runtime = runtime == null ? "" : runtime;
    snapshotKey = snapshotKey == null ? "" : snapshotKey;
    volumes = volumes == null ? List.of() : List.copyOf(volumes);
    state = state == null ? ContainerState.CREATED : state;
    extras = extras == null ? Map.of() : Map.copyOf(extras);
  }

  /**
   * A new container record in state "created", its name from the options (null: generated at
   * create).
   */
  public static ContainerRecord of(
      String id, Instant created, ContainerOptions options, String imageId, String runtime) {
    String name = options.name();
    if (name != null && name.startsWith("/")) name = name.substring(1);
    return new ContainerRecord(
        id,
        name,
        created,
        options,
        imageId,
        options.image(),
        runtime,
        "",
        null,
        null,
        List.of(),
        ContainerState.CREATED,
        Map.of());
  }

  public ContainerRecord withState(ContainerState s) {
    return new ContainerRecord(
        id,
        name,
        created,
        options,
        imageId,
        imageRef,
        runtime,
        snapshotKey,
        bundleDir,
        logPath,
        volumes,
        s,
        extras);
  }

  /**
   * With a new name: for {@link ContainerStore#create} and {@link ContainerStore#rename}, which
   * reserve it.
   */
  public ContainerRecord withName(String n) {
    return new ContainerRecord(
        id,
        n,
        created,
        options,
        imageId,
        imageRef,
        runtime,
        snapshotKey,
        bundleDir,
        logPath,
        volumes,
        state,
        extras);
  }

  public ContainerRecord withParts(String snapshot, Path bundle, Path log) {
    return new ContainerRecord(
        id, name, created, options, imageId, imageRef, runtime, snapshot, bundle, log, volumes,
        state, extras);
  }

  public ContainerRecord withOptions(ContainerOptions o) {
    return new ContainerRecord(
        id,
        name,
        created,
        o,
        imageId,
        imageRef,
        runtime,
        snapshotKey,
        bundleDir,
        logPath,
        volumes,
        state,
        extras);
  }

  public ContainerRecord withVolumes(List<String> v) {
    return new ContainerRecord(
        id,
        name,
        created,
        options,
        imageId,
        imageRef,
        runtime,
        snapshotKey,
        bundleDir,
        logPath,
        v,
        state,
        extras);
  }

  public ContainerRecord withExtras(Map<String, String> e) {
    return new ContainerRecord(
        id,
        name,
        created,
        options,
        imageId,
        imageRef,
        runtime,
        snapshotKey,
        bundleDir,
        logPath,
        volumes,
        state,
        e);
  }

  /** The first 12 hex digits of the id, as docker prints it. */
  public String shortId() {
    return id.substring(0, 12);
  }
}
