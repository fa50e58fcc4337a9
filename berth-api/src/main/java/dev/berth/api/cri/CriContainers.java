package dev.berth.api.cri;

import dev.berth.api.cri.v1.Container;
import dev.berth.api.cri.v1.ContainerFilter;
import dev.berth.api.cri.v1.ContainerMetadata;
import dev.berth.api.cri.v1.ContainerResources;
import dev.berth.api.cri.v1.ContainerState;
import dev.berth.api.cri.v1.ContainerStatus;
import dev.berth.api.cri.v1.ContainerStatusRequest;
import dev.berth.api.cri.v1.ContainerStatusResponse;
import dev.berth.api.cri.v1.ContainerUser;
import dev.berth.api.cri.v1.CreateContainerRequest;
import dev.berth.api.cri.v1.CreateContainerResponse;
import dev.berth.api.cri.v1.Image;
import dev.berth.api.cri.v1.ImageSpec;
import dev.berth.api.cri.v1.LinuxContainerUser;
import dev.berth.api.cri.v1.ListContainersRequest;
import dev.berth.api.cri.v1.ListContainersResponse;
import dev.berth.api.cri.v1.Mount;
import dev.berth.api.cri.v1.MountPropagation;
import dev.berth.api.cri.v1.RemoveContainerRequest;
import dev.berth.api.cri.v1.RemoveContainerResponse;
import dev.berth.api.cri.v1.ReopenContainerLogRequest;
import dev.berth.api.cri.v1.ReopenContainerLogResponse;
import dev.berth.api.cri.v1.StartContainerRequest;
import dev.berth.api.cri.v1.StartContainerResponse;
import dev.berth.api.cri.v1.StopContainerRequest;
import dev.berth.api.cri.v1.StopContainerResponse;
import dev.berth.api.cri.v1.UpdateContainerResourcesRequest;
import dev.berth.api.cri.v1.UpdateContainerResourcesResponse;
import dev.berth.engine.Engine;
import dev.berth.engine.container.ContainerOptions.MountOption;
import dev.berth.engine.pod.PodContainerConfig;
import dev.berth.engine.pod.PodRecord;
import dev.berth.engine.pod.Pods;
import dev.berth.engine.store.ContainerRecord;
import dev.berth.engine.store.ContainerState.Status;
import dev.berth.image.ImageService;
import dev.berth.image.store.ImageRecord;
import dev.berth.runtime.PhaseTrace;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.json.JsonWriter;
import dev.berth.spec.runtime.Spec;
import dev.berth.spec.runtime.SpecReader;
import dev.berth.spec.runtime.User;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The RuntimeService's container calls on the engine's containers of pods (those labelled {@link
 * Pods#POD_LABEL}), answered as containerd's CRI plugin does: an unknown id is NOT_FOUND except for
 * StopContainer and RemoveContainer, stopping a stopped container is fine, an exited container
 * reads Completed, Error or OOMKilled. The CRI's own names (metadata) live in labels the engine
 * keeps, which no answer shows.
 */
final class CriContainers {
  /** The labels berth keeps for itself on a pod's container, hidden from the CRI's labels. */
  static final List<String> OWN_LABELS =
      List.of(Pods.POD_LABEL, PodContainerConfig.NAME_LABEL, PodContainerConfig.ATTEMPT_LABEL);

  private final Engine engine;

  CriContainers(Engine engine) {
    this.engine = engine;
  }

  CreateContainerResponse create(CreateContainerRequest request) throws BerthException {
    // With -Dberth.trace.phases=true: the clock starts at the call (the engine's marks would count
    // from the daemon's last mark, an earlier call's), then the CRI's part and the engine's.
    PhaseTrace.mark("cri create: called");
    CriConfigs.required(request.getPodSandboxId(), "pod_sandbox_id");
    PodContainerConfig c = CriConfigs.container(request.getConfig());
    PhaseTrace.mark("cri create: config mapped");
    PodRecord pod = engine.pods().status(request.getPodSandboxId());
    PhaseTrace.mark("cri create: pod status");
    CriConfigs.checkUserns(request.getConfig(), pod.config().namespaces().userns());
    // containerd's rule: a privileged container needs a privileged pod, so the pod's own security
    // context (what a policy admitted) bounds its containers'.
    if (c.security().privileged() && !pod.config().security().privileged())
      throw CriCalls.invalid(
          "config.linux.security_context.privileged: no privileged container allowed in sandbox "
              + pod.id()
              + " (its linux.security_context.privileged is false)");
    try {
      engine.images().resolve(c.image());
    } catch (BerthException e) {
      if (e.category() != ErrorCategory.NOT_FOUND) throw e;
      throw new BerthException(
          ErrorCategory.NOT_FOUND, "image \"" + c.image() + "\" not found: pull it first");
    }
    PhaseTrace.mark("cri create: image resolved");
    ContainerRecord r = engine.pods().createContainer(pod.id(), c);
    PhaseTrace.mark("cri create: created");
    return CreateContainerResponse.newBuilder().setContainerId(r.id()).build();
  }

  StartContainerResponse start(StartContainerRequest request) throws BerthException {
    ContainerRecord r = container(request.getContainerId());
    if (r.state().status() == Status.EXITED)
      throw new BerthException(
          ErrorCategory.FAILED_PRECONDITION, "container " + r.id() + " has exited: create another");
    engine.start(r.id(), Engine.StartListener.NONE);
    return StartContainerResponse.getDefaultInstance();
  }

  /**
   * Its stop signal, SIGKILL after {@code timeout} seconds (0: at once); stopped already, or gone,
   * is fine (the CRI's stop is idempotent, as containerd's).
   */
  StopContainerResponse stop(StopContainerRequest request) throws BerthException {
    CriConfigs.required(request.getContainerId(), "container_id");
    int timeout = (int) Math.max(0, Math.min(Integer.MAX_VALUE, request.getTimeout()));
    try {
      engine.stop(container(request.getContainerId()).id(), timeout);
    } catch (BerthException e) {
      if (e.category() != ErrorCategory.NOT_FOUND) throw e;
    }
    return StopContainerResponse.getDefaultInstance();
  }

  /** Killed if it runs, then removed with its writable layer; gone already is fine. */
  RemoveContainerResponse remove(RemoveContainerRequest request) throws BerthException {
    CriConfigs.required(request.getContainerId(), "container_id");
    ContainerRecord r;
    PhaseTrace.mark("cri rm: called");
    try {
      r = container(request.getContainerId());
      PhaseTrace.mark("cri rm: container inspected");
      engine.remove(r.id(), true, true);
      PhaseTrace.mark("cri rm: removed");
    } catch (BerthException e) {
      if (e.category() != ErrorCategory.NOT_FOUND) throw e;
    }
    return RemoveContainerResponse.getDefaultInstance();
  }

  ContainerStatusResponse status(ContainerStatusRequest request) throws BerthException {
    ContainerRecord r = container(request.getContainerId());
    Status s = r.state().status();
    ImageNames image = imageNames(r);
    ContainerStatus.Builder b =
        ContainerStatus.newBuilder()
            .setId(r.id())
            .setMetadata(metadata(r))
            .setState(state(r))
            .setCreatedAt(CriConfigs.nanos(r.created()))
            .setStartedAt(CriConfigs.nanos(r.state().startedAt()))
            .setFinishedAt(
                s == Status.EXITED || failedStart(r) ? CriConfigs.nanos(r.state().finishedAt()) : 0)
            .setImage(ImageSpec.newBuilder().setImage(image.name()))
            .setImageRef(image.ref())
            .setImageId(image.id())
            .putAllLabels(labels(r))
            .putAllAnnotations(r.options().host().annotations())
            .setLogPath(r.options().host().logPath() == null ? "" : r.options().host().logPath())
            .setResources(
                ContainerResources.newBuilder()
                    .setLinux(
                        CriConfigs.resources(
                            r.options().resources(), r.options().host().oomScoreAdj())));
    if (s == Status.EXITED) {
      b.setExitCode(r.state().exitCode());
      b.setReason(
          r.state().oomKilled() ? "OOMKilled" : r.state().exitCode() == 0 ? "Completed" : "Error");
      b.setMessage(r.state().error());
    } else if (failedStart(r)) {
      // containerd's record of a start that failed: exited, StartError, the error as message.
      b.setExitCode(r.state().exitCode() == 0 ? 128 : r.state().exitCode());
      b.setReason("StartError").setMessage(r.state().error());
    }
    for (MountOption m : criMounts(r)) {
      MountPropagation p = MountPropagation.PROPAGATION_PRIVATE;
      for (String o : m.options()) {
        if (o.equals("bind-propagation=rslave")) p = MountPropagation.PROPAGATION_HOST_TO_CONTAINER;
        if (o.equals("bind-propagation=rshared")) p = MountPropagation.PROPAGATION_BIDIRECTIONAL;
      }
      b.addMounts(
          Mount.newBuilder()
              .setContainerPath(m.target())
              .setHostPath(m.source())
              .setReadonly(m.readOnly())
              .setRecursiveReadOnly(m.options().contains("bind-recursive=readonly"))
              .setPropagation(p));
    }
    Spec spec = spec(r);
    User user = spec != null && spec.process() != null ? spec.process().user() : null;
    if (user != null) {
      b.setUser(
          ContainerUser.newBuilder()
              .setLinux(
                  LinuxContainerUser.newBuilder()
                      .setUid(user.uid())
                      .setGid(user.gid())
                      .addAllSupplementalGroups(
                          user.additionalGids().stream().map(Integer::longValue).toList())));
    }
    ContainerStatusResponse.Builder out = ContainerStatusResponse.newBuilder().setStatus(b);
    if (request.getVerbose()) out.putInfo("info", info(r));
    return out.build();
  }

  ListContainersResponse list(ListContainersRequest request) throws BerthException {
    ContainerFilter f = request.getFilter();
    String pod = f.getPodSandboxId();
    if (!pod.isEmpty()) {
      try {
        pod = engine.pods().status(pod).id();
      } catch (BerthException e) {
        if (e.category() != ErrorCategory.NOT_FOUND) throw e;
        return ListContainersResponse.getDefaultInstance();
      }
    }
    List<ImageRecord> images = engine.images().list();
    ListContainersResponse.Builder b = ListContainersResponse.newBuilder();
    for (ContainerRecord r : engine.list()) {
      String podId = r.options().labels().get(Pods.POD_LABEL);
      if (podId == null) continue; // the Docker API's, not the CRI's
      if (!f.getId().isEmpty() && !r.id().startsWith(f.getId())) continue;
      if (!pod.isEmpty() && !pod.equals(podId)) continue;
      if (f.hasState() && f.getState().getState() != state(r)) continue;
      if (!matches(r, f.getLabelSelectorMap())) continue;
      ImageNames image = imageNames(r, images);
      b.addContainers(
          Container.newBuilder()
              .setId(r.id())
              .setPodSandboxId(podId)
              .setMetadata(metadata(r))
              .setImage(ImageSpec.newBuilder().setImage(image.name()))
              .setImageRef(image.ref())
              .setImageId(image.id())
              .setState(state(r))
              .setCreatedAt(CriConfigs.nanos(r.created()))
              .putAllLabels(labels(r))
              .putAllAnnotations(r.options().host().annotations()));
    }
    return b.build();
  }

  /** New cpu and memory limits, applied now to a running container and kept for its record. */
  UpdateContainerResourcesResponse update(UpdateContainerResourcesRequest request)
      throws BerthException {
    ContainerRecord r = container(request.getContainerId());
    if (request.hasLinux()) {
      engine.update(r.id(), CriConfigs.resources(request.getLinux(), "linux").options());
    }
    return UpdateContainerResourcesResponse.getDefaultInstance();
  }

  ReopenContainerLogResponse reopenLog(ReopenContainerLogRequest request) throws BerthException {
    ContainerRecord r = container(request.getContainerId());
    engine.reopenLog(r.id());
    return ReopenContainerLogResponse.getDefaultInstance();
  }

  // ---- helpers ----

  /** The pod container {@code id} names (a unique prefix too), else NOT_FOUND. */
  ContainerRecord container(String id) throws BerthException {
    CriConfigs.required(id, "container_id");
    ContainerRecord r = engine.inspect(id);
    if (!r.options().labels().containsKey(Pods.POD_LABEL))
      throw new BerthException(ErrorCategory.NOT_FOUND, "container " + id + " not found");
    return r;
  }

  static boolean isPodContainer(ContainerRecord r) {
    return r.options().labels().containsKey(Pods.POD_LABEL);
  }

  static ContainerMetadata metadata(ContainerRecord r) {
    Map<String, String> l = r.options().labels();
    int attempt = 0;
    try {
      attempt = Integer.parseInt(l.getOrDefault(PodContainerConfig.ATTEMPT_LABEL, "0"));
    } catch (NumberFormatException e) {
      // a label changed by hand: attempt 0
    }
    return ContainerMetadata.newBuilder()
        .setName(l.getOrDefault(PodContainerConfig.NAME_LABEL, r.name()))
        .setAttempt(attempt)
        .build();
  }

  /** The CRI's labels: the container's own, without berth's. */
  static Map<String, String> labels(ContainerRecord r) {
    Map<String, String> out = new LinkedHashMap<>(r.options().labels());
    OWN_LABELS.forEach(out::remove);
    return out;
  }

  static boolean matches(ContainerRecord r, Map<String, String> selector) {
    for (Map.Entry<String, String> e : selector.entrySet()) {
      if (OWN_LABELS.contains(e.getKey())) return false;
      if (!e.getValue().equals(r.options().labels().get(e.getKey()))) return false;
    }
    return true;
  }

  /** A start that failed leaves the engine's container created with its error. */
  private static boolean failedStart(ContainerRecord r) {
    return r.state().status() == Status.CREATED && !r.state().error().isEmpty();
  }

  static ContainerState state(ContainerRecord r) {
    return switch (r.state().status()) {
      case CREATED ->
          failedStart(r) ? ContainerState.CONTAINER_EXITED : ContainerState.CONTAINER_CREATED;
      case RUNNING, PAUSED -> ContainerState.CONTAINER_RUNNING;
      case EXITED -> ContainerState.CONTAINER_EXITED;
      case REMOVING -> ContainerState.CONTAINER_UNKNOWN;
    };
  }

  /** The CRI config's mounts: the container's binds less those of its pod (etc files, shm). */
  private List<MountOption> criMounts(ContainerRecord r) throws BerthException {
    String pod = r.options().labels().get(Pods.POD_LABEL);
    Path files = engine.pods().filesDir(pod);
    Path shm = engine.pods().shmDir(pod);
    return r.options().mounts().stream()
        .filter(m -> m.type() == MountOption.Type.BIND)
        .filter(m -> !Path.of(m.source()).startsWith(files) && !Path.of(m.source()).equals(shm))
        .toList();
  }

  /** The OCI spec it runs with (written at its start), or null before that. */
  private Spec spec(ContainerRecord r) {
    Path config = engine.layout(r.id()).bundle().resolve("config.json");
    if (!Files.isRegularFile(config)) return null;
    try {
      return SpecReader.read(config);
    } catch (Exception e) {
      return null; // removed meanwhile (it exited): no user to tell
    }
  }

  /**
   * What containerd shows of the image: its first tag as the image (else the reference given), its
   * first repo digest as the image ref (else its id), and its id.
   */
  record ImageNames(String name, String ref, String id) {}

  private ImageNames imageNames(ContainerRecord r) throws BerthException {
    return imageNames(r, engine.images().list());
  }

  private ImageNames imageNames(ContainerRecord r, List<ImageRecord> all) {
    String id = r.imageId();
    String name = r.imageRef();
    String ref = id;
    for (ImageRecord i : all) {
      if (i.config() == null || !i.config().toString().equals(id) || ImageService.isUnnamed(i))
        continue;
      Image.Builder image = CriImageService.names(i, all);
      if (image.getRepoTagsCount() > 0) name = image.getRepoTags(0);
      if (image.getRepoDigestsCount() > 0) ref = image.getRepoDigests(0);
      break;
    }
    return new ImageNames(name, ref, id);
  }

  /** The verbose info, as containerd's keys where they have a meaning here. */
  private String info(ContainerRecord r) {
    JsonWriter w = new JsonWriter(JsonWriter.COMPACT).beginObject();
    w.field("sandboxID", r.options().labels().get(Pods.POD_LABEL));
    w.field("pid", r.state().pid());
    w.field("removing", r.state().status() == Status.REMOVING);
    w.field("snapshotKey", r.snapshotKey());
    w.field("runtimeType", r.runtime());
    w.field("name", r.name());
    if (r.options().host().logPath() != null) w.field("logPath", r.options().host().logPath());
    Path config = engine.layout(r.id()).bundle().resolve("config.json");
    try {
      if (Files.isRegularFile(config)) w.name("runtimeSpec").rawValue(Files.readAllBytes(config));
    } catch (java.io.IOException e) {
      // gone with its exit: no spec to show
    }
    return w.endObject().toString();
  }
}
