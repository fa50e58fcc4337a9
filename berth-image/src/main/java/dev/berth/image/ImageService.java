package dev.berth.image;

import dev.berth.image.archive.ArchiveFormat;
import dev.berth.image.archive.ArchiveMembers;
import dev.berth.image.archive.DockerArchive;
import dev.berth.image.archive.OciArchive;
import dev.berth.image.archive.RootfsImport;
import dev.berth.image.archive.SavedImage;
import dev.berth.image.content.ContentStore;
import dev.berth.image.content.GcResult;
import dev.berth.image.content.StoreLease;
import dev.berth.image.dirs.LockFile;
import dev.berth.image.dirs.PrivateDirs;
import dev.berth.image.pull.Puller;
import dev.berth.image.push.Pusher;
import dev.berth.image.registry.AuthStore;
import dev.berth.image.registry.CredentialSource;
import dev.berth.image.registry.Credentials;
import dev.berth.image.registry.RegistriesConfig;
import dev.berth.image.registry.RegistryClient;
import dev.berth.image.snapshot.ChainIds;
import dev.berth.image.snapshot.Mount;
import dev.berth.image.snapshot.Mounts;
import dev.berth.image.snapshot.Snapshotter;
import dev.berth.image.snapshot.Snapshotters;
import dev.berth.image.snapshot.Unsynced;
import dev.berth.image.store.ImageRecord;
import dev.berth.image.store.ImageStore;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.image.Descriptor;
import dev.berth.spec.image.Digest;
import dev.berth.spec.image.ImageConfig;
import dev.berth.spec.image.ImageJson;
import dev.berth.spec.image.Index;
import dev.berth.spec.image.Manifest;
import dev.berth.spec.image.MediaTypes;
import dev.berth.spec.image.Platform;
import dev.berth.spec.image.Platforms;
import dev.berth.spec.image.Reference;
import dev.berth.spec.json.SpecException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The image library's front door: pull, push, list, inspect, tag, remove, and the store's garbage
 * collection, over one store root shared between processes with locks (daemonless, as podman's).
 * The {@code berth} CLI and the engine call this; nothing here prints.
 *
 * <p>Store layout under the root: {@code content/} (blobs by digest, partial ingests), {@code
 * snapshots/} (unpacked layers by chain id), {@code images/} (names to manifests), {@code mounts/}
 * (image mounts). The root and every directory of the store's own are private to its user ({@link
 * PrivateDirs}).
 */
public final class ImageService implements AutoCloseable {
  /** Manifests, indexes and configs are read whole; anything larger is refused as hostile. */
  public static final long MAX_METADATA = 8 << 20;

  /**
   * Where the store lives and how registries are reached. A null registries config means none
   * (every registry as itself); a null auth file means the user's default auth files; a null
   * platform the host's.
   */
  public record Options(Path root, Path registriesConfig, Path authFile, Platform platform) {
    public Options {
      if (root == null) throw new IllegalArgumentException("store root is required");
      if (platform == null) platform = Platforms.host();
    }

    public static Options at(Path root) {
      return new Options(root, null, null, null);
    }
  }

  /** What {@code image inspect} shows of one image. */
  public record ImageDetails(
      ImageRecord record,
      List<String> names,
      Descriptor manifestDescriptor,
      Manifest manifest,
      ImageConfig config,
      byte[] rawConfig,
      long size) {}

  private final Options options;
  private final ContentStore content;
  private final ImageStore images;
  private Snapshotter snapshots;
  private final AuthStore auth;
  private RegistryClient registry;

  public ImageService(Options options) throws IOException {
    this.options = options;
    PrivateDirs.ensure(options.root());
    PrivateDirs.ensure(options.root().resolve("mounts"));
    this.content = ContentStore.open(options.root().resolve("content"));
    this.images = ImageStore.open(options.root().resolve("images"));
    this.auth = AuthStore.forCurrentUser(options.authFile());
  }

  public ContentStore content() {
    return content;
  }

  /**
   * Whether the snapshots have a trash to empty ({@link Snapshotter#emptyTrash}), known without
   * opening them.
   */
  public boolean hasSnapshotTrash() throws IOException {
    return Snapshotters.hasTrash(options.root().resolve("snapshots"));
  }

  /** Opened on first use: listing and inspecting need no snapshots. */
  public synchronized Snapshotter snapshots() throws IOException {
    if (snapshots == null) {
      Path root = options.root().resolve("snapshots");
      Snapshotter s = Snapshotters.open(root);
      settleUnsynced(root, s);
      snapshots = s;
    }
    return snapshots;
  }

  /**
   * Snapshots committed without a sync ({@link Snapshotter#commit}): those an earlier boot left
   * marked are unpacked again from their blobs before anyone uses them (one process does it, under
   * a lock; the others wait for it and find nothing left to do); this boot's are synced later.
   */
  private void settleUnsynced(Path root, Snapshotter s) throws IOException {
    if (!s.anyUnsynced()) return;
    if (anyOfEarlierBoot(s.unsynced())) {
      try (LockFile lock = LockFile.acquire(root.resolve("unsynced.lock"));
          StoreLease lease = content.lease()) {
        List<Unsynced> lost = new ArrayList<>();
        for (Unsynced u : s.unsynced()) if (!u.thisBoot()) lost.add(u);
        if (!lost.isEmpty()) {
          System.err.println(
              "berth: unpacking "
                  + lost.size()
                  + " layer(s) again: they were not synced before the machine stopped");
          new LocalLayers(content, s).repair(lost);
        }
      }
    }
    s.syncLater();
  }

  private static boolean anyOfEarlierBoot(List<Unsynced> marks) {
    for (Unsynced u : marks) if (!u.thisBoot()) return true;
    return false;
  }

  public ImageStore images() {
    return images;
  }

  private synchronized RegistryClient registry() throws IOException {
    if (registry == null) {
      RegistriesConfig config =
          options.registriesConfig() == null
              ? RegistriesConfig.empty()
              : RegistriesConfig.load(options.registriesConfig());
      registry = new RegistryClient(config, auth);
    }
    return registry;
  }

  /** Where image events go (docker's: pull, push, tag, untag, delete, import, load, save). */
  @FunctionalInterface
  public interface Listener {
    /**
     * @param action docker's word
     * @param id the image's id, or the reference for pull and push (as docker reports them)
     * @param attributes docker's: the image's name
     */
    void changed(String action, String id, Map<String, String> attributes);
  }

  private volatile Listener listener = (action, id, attributes) -> {};

  /** Reports image events to {@code l} from now on (the engine's event log). */
  public void reportTo(Listener l) {
    listener = l;
  }

  private void event(String action, String id, String name) {
    listener.changed(action, id, Map.of("name", name));
  }

  private static String familiar(String name) {
    return name.startsWith("sha256:") ? name : Reference.parse(name).familiar();
  }

  /** Pulls an image by reference ("busybox", "127.0.0.1:5000/app:1", "x@sha256:.."). */
  public ImageRecord pull(String reference, Platform platform, Progress progress)
      throws ImageException {
    return pull(reference, platform, progress, null);
  }

  /**
   * Pulls with {@code credentials} for the reference's registry (a daemon's client sends them with
   * each request), or the stored ones when null.
   */
  public ImageRecord pull(
      String reference, Platform platform, Progress progress, Credentials credentials)
      throws ImageException {
    Reference ref = parse(reference);
    requireAuthFile("pull " + reference);
    try (Registry r = registryFor(ref.domain(), credentials)) {
      // A pull killed before it committed its layers left stagings that no GC may have run to
      // remove since: take
      // them now when no other pull, load or import is running (none holds a lease), without
      // waiting for that.
      Snapshotter snaps = snapshots();
      content.ifUnused(snaps::removeUncommitted);
      ImageRecord pulled =
          new Puller(content, images, snaps, r.client())
              .pull(
                  ref,
                  platform == null ? options.platform() : platform,
                  platform != null,
                  progress);
      event("pull", familiar(pulled.name()), familiar(pulled.name()));
      return pulled;
    } catch (IOException e) {
      throw new ImageException(
          ErrorCategory.INTERNAL, "pull " + reference + ": " + e.getMessage(), e);
    }
  }

  /** The shared client, or one of its own for explicit credentials (closed after the call). */
  private record Registry(RegistryClient client, boolean own) implements AutoCloseable {
    @Override
    public void close() {
      if (own) client.close();
    }
  }

  private Registry registryFor(String domain, Credentials credentials) throws IOException {
    if (credentials == null) return new Registry(registry(), false);
    RegistriesConfig config =
        options.registriesConfig() == null
            ? RegistriesConfig.empty()
            : RegistriesConfig.load(options.registriesConfig());
    CredentialSource source = host -> host.equals(domain) ? credentials : auth.lookup(host);
    return new Registry(new RegistryClient(config, source), true);
  }

  /** Pushes a local image to its own name, or to {@code destination} when given. */
  public Digest push(String source, String destination, Progress progress) throws ImageException {
    return push(source, destination, progress, null);
  }

  /** {@link #push} with {@code credentials} for the destination's registry, or the stored ones. */
  public Digest push(String source, String destination, Progress progress, Credentials credentials)
      throws ImageException {
    ImageRecord record = resolve(source);
    Reference dest =
        destination == null || destination.isEmpty() ? parse(record.name()) : parse(destination);
    Reference from = parse(record.name());
    requireAuthFile("push " + dest);
    try (Registry r = registryFor(dest.domain(), credentials)) {
      Digest pushed =
          new Pusher(content, r.client())
              .push(record.target(), manifestOf(record), dest, from, progress);
      event("push", dest.familiar(), dest.familiar());
      return pushed;
    } catch (IOException e) {
      throw new ImageException(ErrorCategory.INTERNAL, "push " + dest + ": " + e.getMessage(), e);
    }
  }

  public List<ImageRecord> list() throws ImageException {
    try {
      return images.list();
    } catch (IOException e) {
      throw new ImageException(ErrorCategory.INTERNAL, "list images: " + e.getMessage(), e);
    }
  }

  /**
   * Finds an image by name (normalised as docker does: "busybox" is
   * docker.io/library/busybox:latest) or by id (the config digest, whole or a unique prefix of at
   * least 4 hex digits, with or without "sha256:").
   */
  public ImageRecord resolve(String nameOrId) throws ImageException {
    try {
      String hex = nameOrId.startsWith("sha256:") ? nameOrId.substring(7) : nameOrId;
      if (hex.length() >= 4 && isHex(hex)) {
        List<ImageRecord> byId = images.byConfigPrefix(hex);
        Set<Digest> ids = new HashSet<>();
        for (ImageRecord r : byId) ids.add(r.config());
        if (ids.size() > 1)
          throw ImageException.invalid("image id prefix \"" + nameOrId + "\" is ambiguous");
        if (!byId.isEmpty()) return byId.get(0);
      }
      Reference ref;
      try {
        ref = Reference.parse(nameOrId).withDefaultTag();
      } catch (IllegalArgumentException e) {
        throw ImageException.notFound("image \"" + nameOrId + "\" not found");
      }
      return images
          .get(ref.toString())
          .orElseThrow(() -> ImageException.notFound("image \"" + nameOrId + "\" not found"));
    } catch (IOException e) {
      throw new ImageException(
          ErrorCategory.INTERNAL, "find image " + nameOrId + ": " + e.getMessage(), e);
    }
  }

  private static boolean isHex(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    }
    return true;
  }

  public ImageDetails inspect(String nameOrId) throws ImageException {
    try {
      return details(resolve(nameOrId), images.list());
    } catch (IOException e) {
      throw new ImageException(
          ErrorCategory.INTERNAL, "inspect " + nameOrId + ": " + e.getMessage(), e);
    }
  }

  /**
   * The details of {@code record}; {@code all} is the list of every image (for the other names of
   * the same image), read once by a caller that shows many.
   */
  public ImageDetails details(ImageRecord record, List<ImageRecord> all) throws ImageException {
    try {
      Descriptor md = manifestOf(record);
      Manifest manifest =
          ImageJson.readManifest(content.read(md.digest(), MAX_METADATA), md.digest().toString());
      byte[] raw = content.read(record.config(), MAX_METADATA);
      ImageConfig config = ImageJson.readConfig(raw, "config " + record.config());
      long size = manifest.config().size();
      for (Descriptor l : manifest.layers()) size += l.size();
      List<String> names = new ArrayList<>();
      for (ImageRecord r : all) if (r.config().equals(record.config())) names.add(r.name());
      return new ImageDetails(record, names, md, manifest, config, raw, size);
    } catch (IOException | SpecException e) {
      throw new ImageException(
          ErrorCategory.INTERNAL, "inspect " + record.name() + ": " + e.getMessage(), e);
    }
  }

  /**
   * The manifest of the record's platform: the target itself, or the index entry whose config is
   * the record's.
   */
  public Descriptor manifestOf(ImageRecord record) throws ImageException {
    Descriptor target = record.target();
    if (!MediaTypes.isIndex(target.mediaType())) return target;
    try {
      Index index =
          ImageJson.readIndex(
              content.read(target.digest(), MAX_METADATA), target.digest().toString());
      for (Descriptor m : index.manifests()) {
        if (!content.exists(m.digest())) continue;
        Manifest manifest =
            ImageJson.readManifest(content.read(m.digest(), MAX_METADATA), m.digest().toString());
        if (manifest.config().digest().equals(record.config())) return m;
      }
      throw ImageException.notFound(
          "image " + record.name() + ": no manifest for its config in index " + target.digest());
    } catch (IOException | SpecException e) {
      throw new ImageException(
          ErrorCategory.INTERNAL, "read image " + record.name() + ": " + e.getMessage(), e);
    }
  }

  /**
   * Mounts the image's root filesystem read-only (podman image mount) under {@code
   * root/mounts/<id>} and returns the directory; an image already mounted there is returned as it
   * is. The view is to look at, not to run: nosuid and nodev, so a layer's setuid binary or device
   * node gives nothing to whoever reaches it.
   */
  public Path mount(String nameOrId) throws ImageException {
    ImageRecord record = resolve(nameOrId);
    Path target = options.root().resolve("mounts").resolve(record.config().encoded());
    try {
      if (isMountPoint(target)) return target;
      ImageConfig config =
          ImageJson.readConfig(
              content.read(record.config(), MAX_METADATA), record.config().toString());
      List<Digest> chain = ChainIds.of(config.rootfs().diffIds());
      if (chain.isEmpty())
        throw ImageException.invalid("mount " + nameOrId + ": the image has no layers");
      List<Mount> view = new ArrayList<>();
      for (Mount m : snapshots().view(chain.getLast())) view.add(m.withOptions("nosuid", "nodev"));
      boolean made = PrivateDirs.create(target);
      try {
        Mounts.mount(view, target);
      } catch (IOException | RuntimeException e) {
        if (made) Files.deleteIfExists(target);
        throw e;
      }
      return target;
    } catch (IOException | SpecException e) {
      throw new ImageException(
          ErrorCategory.INTERNAL, "mount " + nameOrId + ": " + e.getMessage(), e);
    }
  }

  /** Undoes {@link #mount}; false when the image was not mounted. */
  public boolean unmount(String nameOrId) throws ImageException {
    ImageRecord record = resolve(nameOrId);
    Path target = options.root().resolve("mounts").resolve(record.config().encoded());
    try {
      if (!isMountPoint(target)) return false;
      Mounts.unmount(target);
      Files.deleteIfExists(target);
      return true;
    } catch (IOException e) {
      throw new ImageException(
          ErrorCategory.INTERNAL, "unmount " + nameOrId + ": " + e.getMessage(), e);
    }
  }

  private static boolean isMountPoint(Path dir) throws IOException {
    return dev.berth.sys.MountInfo.isMountPoint(dir.toString());
  }

  /**
   * Gives an image another name; the new name replaces whatever it named before, as docker tag
   * does.
   */
  public ImageRecord tag(String source, String target) throws ImageException {
    ImageRecord record = resolve(source);
    Reference ref = parse(target).withDefaultTag();
    if (ref.digest() != null)
      throw ImageException.invalid("tag " + target + ": a tag cannot name a digest");
    ImageRecord named =
        new ImageRecord(ref.toString(), record.target(), record.config(), Instant.now());
    try {
      images.put(named);
    } catch (IOException e) {
      throw new ImageException(ErrorCategory.INTERNAL, "tag " + target + ": " + e.getMessage(), e);
    }
    event("tag", record.config().toString(), familiar(named.name()));
    return named;
  }

  /**
   * Removes images as docker rmi does: a name is untagged; an image whose last name goes is
   * deleted. An id that several names share is refused unless {@code force}. Returns docker's lines
   * ("Untagged: ..", "Deleted: ..").
   */
  public List<String> remove(Collection<String> namesOrIds, boolean force) throws ImageException {
    List<String> lines = new ArrayList<>();
    for (String what : namesOrIds) {
      ImageRecord record = resolve(what);
      String hex = what.startsWith("sha256:") ? what.substring(7) : what;
      boolean byId =
          record.config().encoded().startsWith(hex) && !record.name().equals(parseOrNull(what));
      try {
        List<ImageRecord> sameImage = new ArrayList<>();
        for (ImageRecord r : images.list())
          if (r.config().equals(record.config())) sameImage.add(r);
        List<ImageRecord> untag = byId ? sameImage : List.of(record);
        if (byId && sameImage.size() > 1 && !force) {
          throw new ImageException(
              ErrorCategory.FAILED_PRECONDITION,
              "unable to delete "
                  + what
                  + " (must be forced): image is referenced in multiple repositories");
        }
        if (untag.size() == sameImage.size()
            && isMountPoint(options.root().resolve("mounts").resolve(record.config().encoded()))) {
          throw new ImageException(
              ErrorCategory.FAILED_PRECONDITION,
              "unable to delete " + what + ": the image is mounted (berth image unmount it first)");
        }
        for (ImageRecord r : untag) {
          images.remove(r.name());
          lines.add("Untagged: " + Reference.parse(r.name()).familiar());
          event("untag", record.config().toString(), familiar(r.name()));
        }
        if (untag.size() == sameImage.size()) {
          lines.add("Deleted: " + record.config());
          event("delete", record.config().toString(), familiar(record.name()));
        }
      } catch (IOException e) {
        throw new ImageException(
            ErrorCategory.INTERNAL, "remove " + what + ": " + e.getMessage(), e);
      }
    }
    collectGarbage();
    return lines;
  }

  private static String parseOrNull(String s) {
    try {
      return Reference.parse(s).withDefaultTag().toString();
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /**
   * What a garbage collection removed: blobs and their bytes, snapshots (unused unpacked layers,
   * whose bytes are counted, and stagings a killed pull left, whose are not), partial downloads and
   * their bytes.
   */
  public record Collected(
      int blobs, long blobBytes, int snapshots, long snapshotBytes, int ingests, long ingestBytes) {
    public long bytes() {
      return blobBytes + snapshotBytes + ingestBytes;
    }
  }

  /**
   * Deletes blobs no image reaches, snapshots no image's layer chain uses, stagings a killed pull
   * left and partial downloads nobody wrote for a day (younger ones are kept for the next pull to
   * resume). Runs under the content store's exclusive lock, so a pull in progress (holding a lease)
   * is never collected from under it.
   */
  public Collected collectGarbage() throws ImageException {
    return collect(ContentStore.DEFAULT_STALE_INGEST_AGE);
  }

  /**
   * As {@link #collectGarbage()}, and deletes every partial download no pull is writing: {@code
   * image prune}.
   */
  public Collected prune() throws ImageException {
    return collect(java.time.Duration.ZERO);
  }

  private Collected collect(java.time.Duration staleIngestAge) throws ImageException {
    try {
      Set<Digest> chains = new HashSet<>();
      Snapshotter snaps = snapshots();
      int[] snapshotsRemoved = new int[1];
      long[] snapshotBytes = new long[1];
      GcResult blobs =
          content.collect(
              () -> {
                Set<Digest> roots = new LinkedHashSet<>();
                for (ImageRecord r : images.list()) {
                  roots.add(r.target().digest());
                  roots.add(r.config());
                  if (content.exists(r.config())) {
                    try {
                      ImageConfig config =
                          ImageJson.readConfig(
                              content.read(r.config(), MAX_METADATA), r.config().toString());
                      chains.addAll(ChainIds.of(config.rootfs().diffIds()));
                    } catch (SpecException e) {
                      throw new IOException(e.getMessage(), e);
                    }
                  }
                }
                return roots;
              },
              this::children,
              staleIngestAge,
              () -> {
                // Under the same lock: no pull is half-way, so a snapshot no chain names is a
                // killed pull's staging. Those
                // go first: a staging names its parent, which would otherwise be kept for it.
                snapshotsRemoved[0] += snaps.removeUncommitted();
                Map<Digest, Long> unused = new HashMap<>();
                for (Digest chain : snaps.committed()) {
                  if (!chains.contains(chain)) unused.put(chain, snaps.usage(chain));
                }
                snaps.retainOnly(chains);
                Set<Digest> left = snaps.committed();
                for (Map.Entry<Digest, Long> u : unused.entrySet()) {
                  if (!left.contains(u.getKey())) {
                    snapshotsRemoved[0]++;
                    snapshotBytes[0] += u.getValue();
                  }
                }
                return null;
              });
      return new Collected(
          blobs.removed().size(),
          blobs.reclaimedBytes(),
          snapshotsRemoved[0],
          snapshotBytes[0],
          blobs.removedIngests().size(),
          blobs.removedIngestBytes());
    } catch (IOException e) {
      throw new ImageException(ErrorCategory.INTERNAL, "collect garbage: " + e.getMessage(), e);
    }
  }

  /**
   * What a blob refers to: the manifests of an index, the config and layers of a manifest; nothing
   * for others.
   */
  private Collection<Digest> children(Digest d) {
    try {
      long size = content.size(d);
      if (size < 0 || size > MAX_METADATA) return List.of();
      byte[] bytes = content.read(d, MAX_METADATA);
      if (bytes.length == 0 || bytes[0] != '{') return List.of();
      String type = ImageJson.mediaTypeOf(bytes);
      List<Digest> out = new ArrayList<>();
      if (MediaTypes.isIndex(type)) {
        for (Descriptor m : ImageJson.readIndex(bytes, d.toString()).manifests())
          out.add(m.digest());
      } else if (MediaTypes.isManifest(type)) {
        Manifest m = ImageJson.readManifest(bytes, d.toString());
        out.add(m.config().digest());
        for (Descriptor l : m.layers()) out.add(l.digest());
      }
      return out;
    } catch (IOException | SpecException | RuntimeException e) {
      return List.of(); // not metadata we understand: a leaf
    }
  }

  /** Writes the named images to an archive of the given format. */
  public void save(List<String> namesOrIds, ArchiveFormat format, OutputStream out)
      throws ImageException {
    List<SavedImage> saved = new ArrayList<>();
    try {
      for (String n : namesOrIds) {
        ImageRecord record = resolve(n);
        Descriptor md = manifestOf(record);
        Manifest manifest =
            ImageJson.readManifest(content.read(md.digest(), MAX_METADATA), md.digest().toString());
        Descriptor root = record.target();
        if (MediaTypes.isIndex(root.mediaType())) {
          Index index =
              ImageJson.readIndex(
                  content.read(root.digest(), MAX_METADATA), root.digest().toString());
          for (Descriptor m : index.manifests()) {
            if (!content.exists(m.digest())) {
              root = md;
              break;
            }
          }
        }
        boolean byId = !record.name().equals(parseOrNull(n));
        saved.add(
            new SavedImage(
                byId || isUnnamed(record) ? null : record.name(),
                root,
                md,
                manifest,
                record.config()));
      }
      switch (format) {
        case OCI_ARCHIVE -> OciArchive.save(content, saved, out);
        case DOCKER_ARCHIVE -> DockerArchive.save(content, saved, out);
      }
      for (SavedImage i : saved)
        event(
            "save",
            i.config().toString(),
            i.name() == null ? i.config().toString() : familiar(i.name()));
    } catch (IOException | SpecException e) {
      throw new ImageException(ErrorCategory.INTERNAL, "save: " + e.getMessage(), e);
    }
  }

  /**
   * Loads an oci-archive or docker-archive (told apart by their members), stores and unpacks its
   * images and names them; returns the names (or ids of unnamed images).
   */
  public List<String> load(Path archive) throws ImageException {
    String source =
        archive.getFileName() == null ? archive.toString() : archive.getFileName().toString();
    List<String> loaded = new ArrayList<>();
    try (var lease = content.lease()) {
      LocalLayers layers = new LocalLayers(content, snapshots());
      if (ArchiveMembers.scan(archive, source).ociLayout()) {
        Index index;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(archive), 1 << 16)) {
          index = OciArchive.load(content, in, source);
        }
        String stem = source.replaceAll("\\.(tar|tgz|tar\\.gz)$", "");
        for (Descriptor entry : index.manifests()) {
          Descriptor md = entry;
          if (MediaTypes.isIndex(entry.mediaType())) {
            Index inner =
                ImageJson.readIndex(
                    content.read(entry.digest(), MAX_METADATA), entry.digest().toString());
            md = Platforms.select(inner, options.platform());
          }
          Manifest m =
              ImageJson.readManifest(
                  content.read(md.digest(), MAX_METADATA), md.digest().toString());
          ImageConfig config =
              ImageJson.readConfig(
                  content.read(m.config().digest(), MAX_METADATA), m.config().digest().toString());
          layers.ensureUnpacked(m.layers(), config.rootfs().diffIds(), "load " + source);
          String name;
          try {
            name = ociName(entry, stem, m.config().digest());
          } catch (ImageException bad) {
            throw ImageException.invalid(
                "load " + source + ": index.json: " + entry.digest() + ": " + bad.getMessage());
          }
          images.put(new ImageRecord(name, entry, m.config().digest(), Instant.now()));
          loaded.add(name);
        }
      } else {
        for (DockerArchive.Loaded image : DockerArchive.load(content, archive)) {
          layers.ensureUnpacked(
              image.parsed().layers(), image.config().rootfs().diffIds(), "load " + source);
          List<String> names = new ArrayList<>();
          for (String tag : image.tags()) {
            try {
              names.add(parse(tag).withDefaultTag().toString());
            } catch (ImageException bad) {
              throw ImageException.invalid(
                  "load " + source + ": manifest.json: RepoTags: " + bad.getMessage());
            }
          }
          if (names.isEmpty()) names.add(image.parsed().config().digest().toString());
          for (String name : names) {
            images.put(
                new ImageRecord(
                    name, image.manifest(), image.parsed().config().digest(), Instant.now()));
            loaded.add(name);
          }
        }
      }
      for (String name : loaded) event("load", familiar(name), familiar(name));
      return loaded;
    } catch (IOException | SpecException | IllegalArgumentException e) {
      throw new ImageException(
          ErrorCategory.INVALID_ARGUMENT, "load " + source + ": " + e.getMessage(), e);
    }
  }

  /**
   * Imports a root filesystem tarball as a one-layer image named {@code reference} (or unnamed when
   * null).
   */
  public ImageRecord importRootfs(Path tarball, String reference, String message)
      throws ImageException {
    try (var lease = content.lease()) {
      RootfsImport.Imported imported =
          RootfsImport.importTarball(content, tarball, options.platform(), Instant.now(), message);
      new LocalLayers(content, snapshots())
          .ensureUnpacked(
              imported.parsed().layers(), List.of(imported.diffId()), "import " + tarball);
      String name =
          reference == null || reference.isEmpty()
              ? imported.config().toString()
              : parse(reference).withDefaultTag().toString();
      ImageRecord record =
          new ImageRecord(name, imported.manifest(), imported.config(), Instant.now());
      images.put(record);
      event("import", imported.config().toString(), familiar(name));
      return record;
    } catch (IOException e) {
      throw new ImageException(
          ErrorCategory.INVALID_ARGUMENT, "import " + tarball + ": " + e.getMessage(), e);
    }
  }

  /**
   * An image stored without a name (load of an untagged image, import without a reference) is keyed
   * by its id.
   */
  public static boolean isUnnamed(ImageRecord record) {
    return record.name().startsWith("sha256:");
  }

  private static String ociName(Descriptor entry, String stem, Digest config)
      throws ImageException {
    String full = entry.annotations().get(OciArchive.IMAGE_NAME);
    if (full != null && !full.isEmpty()) return parse(full).withDefaultTag().toString();
    String ref = entry.annotations().get(OciArchive.REF_NAME);
    if (ref == null || ref.isEmpty()) return config.toString();
    if (ref.contains("/") || ref.contains(":")) return parse(ref).withDefaultTag().toString();
    return parse("localhost/" + stem.toLowerCase() + ":" + ref).toString();
  }

  /**
   * Checks the credentials against the registry without storing them (a daemon's {@code /auth}: the
   * client keeps them).
   */
  public void checkLogin(String registryHost, Credentials credentials) throws ImageException {
    try {
      registry().checkLogin(registryHost, credentials);
    } catch (IOException e) {
      throw new ImageException(
          ErrorCategory.UNAUTHORIZED, "login " + registryHost + ": " + e.getMessage(), e);
    }
  }

  /** Checks the credentials against the registry, then stores them for later pulls and pushes. */
  public void login(String registryHost, String user, String password) throws ImageException {
    try {
      Credentials credentials = new Credentials(user, password);
      registry().checkLogin(registryHost, credentials);
      auth.login(registryHost, credentials);
    } catch (IOException e) {
      throw new ImageException(
          ErrorCategory.UNAUTHORIZED, "login " + registryHost + ": " + e.getMessage(), e);
    }
  }

  /** Forgets stored credentials; false when there were none. */
  public boolean logout(String registryHost) throws ImageException {
    requireAuthFile("logout " + registryHost);
    try {
      return auth.logout(registryHost);
    } catch (IOException e) {
      throw new ImageException(
          ErrorCategory.INTERNAL, "logout " + registryHost + ": " + e.getMessage(), e);
    }
  }

  /** Refuses an --authfile that is not there before anything is fetched (podman does too). */
  private void requireAuthFile(String what) throws ImageException {
    try {
      auth.requireExplicitFile();
    } catch (IOException e) {
      throw ImageException.invalid(what + ": " + e.getMessage());
    }
  }

  /** Stops the registry client's connections and threads (a library user's JVM keeps running). */
  @Override
  public synchronized void close() {
    if (registry != null) {
      registry.close();
      registry = null;
    }
  }

  static Reference parse(String reference) throws ImageException {
    try {
      return Reference.parse(reference);
    } catch (IllegalArgumentException e) {
      throw ImageException.invalid(e.getMessage());
    }
  }
}
