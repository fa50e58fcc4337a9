package dev.berth.engine;

import dev.berth.image.ImageService;
import dev.berth.spec.image.Descriptor;
import dev.berth.spec.image.Digest;
import dev.berth.spec.image.ImageConfig;
import dev.berth.spec.image.ImageConfig.ContainerConfig;
import dev.berth.spec.image.ImageConfig.History;
import dev.berth.spec.image.Reference;
import dev.berth.spec.json.JsonWriter;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * docker's views of images, shared by {@code berth inspect} and the Docker API ({@code
 * /images/{name}/json}).
 */
public final class ImageViews {
  private ImageViews() {}

  /** docker image inspect's object of {@code d}, fields in docker's order. */
  public static void inspect(JsonWriter w, ImageService.ImageDetails d) {
    ImageConfig cfg = d.config();
    w.beginObject();
    w.field("Id", d.record().config().toString());
    w.name("RepoTags").beginArray();
    for (String n : d.names()) {
      if (n.startsWith("sha256:")) continue;
      Reference r = Reference.parse(n);
      if (r.hasTag()) w.value(r.familiar());
    }
    w.endArray();
    w.name("RepoDigests").beginArray();
    for (String n : d.names()) {
      if (n.startsWith("sha256:")) continue;
      Reference r = Reference.parse(n);
      w.value(r.name() + "@" + d.record().target().digest());
    }
    w.endArray();
    w.field("Digest", d.record().target().digest().toString());
    w.field("ManifestType", d.manifestDescriptor().mediaType());
    w.field("Parent", "");
    w.field("Comment", lastComment(cfg));
    w.field("Created", cfg.created());
    w.field("DockerVersion", "");
    w.field("Author", cfg.author());
    w.field("Architecture", cfg.architecture());
    if (!cfg.variant().isEmpty()) w.field("Variant", cfg.variant());
    w.field("Os", cfg.os());
    w.field("Size", d.size());
    // The builder container's id and config: dockerd shows them (zero for an image it did not
    // build) up to API 1.44, and docker-compose 1.29 reads ContainerConfig.Volumes whenever it
    // recreates a container.
    w.field("Container", "");
    w.name("ContainerConfig").beginObject();
    w.field("Hostname", "").field("Domainname", "").field("User", "");
    w.field("AttachStdin", false).field("AttachStdout", false).field("AttachStderr", false);
    w.field("Tty", false).field("OpenStdin", false).field("StdinOnce", false);
    w.name("Env").nullValue().name("Cmd").nullValue().field("Image", "");
    w.name("Volumes").nullValue().field("WorkingDir", "").name("Entrypoint").nullValue();
    w.name("OnBuild").nullValue().name("Labels").nullValue();
    w.endObject();
    ContainerConfig cc = cfg.config();
    w.name("Config").beginObject();
    // docker's container-config fields an image leaves at their zero values, as dockerd shows them
    w.field("Hostname", "").field("Domainname", "");
    w.field("User", cc.user());
    w.field("AttachStdin", false).field("AttachStdout", false).field("AttachStderr", false);
    if (!cc.exposedPorts().isEmpty()) set(w, "ExposedPorts", cc.exposedPorts());
    w.field("Tty", false).field("OpenStdin", false).field("StdinOnce", false);
    // The model has no absent Env, only an empty one; docker prints an image without variables as
    // null.
    list(w, "Env", cc.env().isEmpty() ? null : cc.env());
    list(w, "Entrypoint", cc.entrypoint());
    list(w, "Cmd", cc.cmd());
    if (cc.healthcheck() != null) cc.healthcheck().write(w.name("Healthcheck"));
    w.field("Image", "");
    set(w, "Volumes", cc.volumes());
    w.field("WorkingDir", cc.workingDir());
    w.name("OnBuild").nullValue();
    w.name("Labels");
    if (cc.labels().isEmpty()) {
      w.nullValue(); // as docker prints an image without labels
    } else {
      w.beginObject();
      for (Map.Entry<String, String> l : cc.labels().entrySet()) w.field(l.getKey(), l.getValue());
      w.endObject();
    }
    if (!cc.stopSignal().isEmpty()) w.field("StopSignal", cc.stopSignal());
    w.endObject();
    w.name("GraphDriver").beginObject().field("Name", "overlay").name("Data").nullValue();
    w.endObject();
    w.name("RootFS").beginObject().field("Type", cfg.rootfs().type()).name("Layers").beginArray();
    for (Digest l : cfg.rootfs().diffIds()) w.value(l.toString());
    w.endArray().endObject();
    w.name("Layers").beginArray();
    for (Descriptor l : d.manifest().layers()) w.value(l.digest().toString());
    w.endArray();
    w.name("History").beginArray();
    for (History h : cfg.history()) {
      w.beginObject();
      if (!h.created().isEmpty()) w.field("created", h.created());
      if (!h.createdBy().isEmpty()) w.field("created_by", h.createdBy());
      if (!h.comment().isEmpty()) w.field("comment", h.comment());
      if (h.emptyLayer()) w.field("empty_layer", true);
      w.endObject();
    }
    w.endArray();
    w.name("Metadata").beginObject();
    w.field("LastTagTime", dev.berth.spec.json.Rfc3339.format(d.record().created()));
    w.endObject();
    w.endObject();
  }

  /** The comment of the image's last history entry (docker's Comment: "Imported from -"...). */
  private static String lastComment(ImageConfig cfg) {
    return cfg.history().isEmpty() ? "" : cfg.history().getLast().comment();
  }

  /** null (absent) prints as null, as docker does for an image without Cmd. */
  private static void list(JsonWriter w, String name, List<String> values) {
    w.name(name);
    if (values == null) {
      w.nullValue();
      return;
    }
    w.beginArray();
    for (String v : values) w.value(v);
    w.endArray();
  }

  private static void set(JsonWriter w, String name, Set<String> keys) {
    w.name(name);
    if (keys.isEmpty()) {
      w.nullValue();
      return;
    }
    w.beginObject();
    for (String k : keys) w.name(k).beginObject().endObject();
    w.endObject();
  }
}
