package dev.berth.image.pull;

import dev.berth.image.ImageException;
import dev.berth.image.LayerPhases;
import dev.berth.image.Progress;
import dev.berth.image.Progress.Phase;
import dev.berth.image.Tasks;
import dev.berth.image.content.ContentStore;
import dev.berth.image.content.DigestMismatchException;
import dev.berth.image.content.Ingest;
import dev.berth.image.registry.ManifestResponse;
import dev.berth.image.registry.RegistryClient;
import dev.berth.image.registry.RegistryException;
import dev.berth.image.snapshot.ChainIds;
import dev.berth.image.snapshot.Snapshotter;
import dev.berth.image.snapshot.Staging;
import dev.berth.image.store.ImageRecord;
import dev.berth.image.store.ImageStore;
import dev.berth.image.unpack.LayerUnpacker;
import dev.berth.image.unpack.UnpackException;
import dev.berth.image.unpack.UnpackResult;
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
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;

/**
 * Pulls an image: resolves the reference to a manifest (choosing the platform from an index),
 * fetches the config while every layer's request goes out, then reads the layers in parallel, each
 * streamed once from the registry into the content store and, in the same pass, into its snapshot
 * (a layer's bytes are read only once the config is in and checked). The image's name is recorded
 * last, so a failed pull leaves no image visible; what a broken download fetched stays as a partial
 * ingest and the next pull resumes it, while bytes that were refused (not the blob's digest, not a
 * readable layer) are deleted so that no later pull resumes them.
 */
public final class Puller {
  /** Configs are read whole; a larger one is hostile. */
  static final long MAX_CONFIG = dev.berth.image.ImageService.MAX_METADATA;

  /**
   * Layers in flight at once, as podman's default: with fewer, the last layers of a typical image
   * waited for a slot while the others finished (a 6-layer pull took 8.8 s with 4 slots, 6 s with
   * 6, on two cores).
   */
  private static final int PARALLEL = 6;

  private final ContentStore content;
  private final ImageStore images;
  private final Snapshotter snapshots;
  private final RegistryClient registry;

  public Puller(
      ContentStore content, ImageStore images, Snapshotter snapshots, RegistryClient registry) {
    this.content = content;
    this.images = images;
    this.snapshots = snapshots;
    this.registry = registry;
  }

  /** Pulls {@code ref} for {@code platform} and records it under its canonical name. */
  public ImageRecord pull(Reference ref, Platform platform, Progress progress)
      throws ImageException {
    return pull(ref, platform, false, progress);
  }

  /**
   * With {@code platformRequired} (the user named one), a single-platform image of another platform
   * is refused, as docker does; otherwise only an index is filtered by {@code platform}.
   */
  public ImageRecord pull(
      Reference ref, Platform platform, boolean platformRequired, Progress progress)
      throws ImageException {
    Reference r = ref.withDefaultTag();
    String what = "pull " + r;
    LayerPhases.mark("start");
    try (var lease = content.lease()) {
      RegistryClient.Repository repo = registry.repo(r.domain(), r.path());
      var top = repo.manifest(r.digest() != null ? r.digest().toString() : r.tag(), null);
      LayerPhases.mark("manifest");
      ImageRecord present = alreadyPresent(r, top, platform, platformRequired);
      if (present != null) {
        LayerPhases.mark("already present");
        progress.message("Digest: " + present.target().digest());
        return present;
      }
      Descriptor target = new Descriptor(top.mediaType(), top.digest(), top.body().length);
      List<byte[]> toStore = new ArrayList<>();
      List<Descriptor> toStoreAs = new ArrayList<>();
      toStore.add(top.body());
      toStoreAs.add(target);
      byte[] manifestBytes = top.body();
      if (MediaTypes.isIndex(top.mediaType())) {
        Index index = ImageJson.readIndex(top.body(), top.digest().toString());
        Descriptor chosen = Platforms.select(index, platform);
        var m = repo.manifest(chosen.digest().toString(), null);
        if (!m.digest().equals(chosen.digest()) || m.body().length != chosen.size()) {
          throw ImageException.invalid(
              what + ": manifest " + chosen.digest() + " does not match the index");
        }
        manifestBytes = m.body();
        toStore.add(m.body());
        toStoreAs.add(new Descriptor(m.mediaType(), m.digest(), m.body().length));
      } else if (!MediaTypes.isManifest(top.mediaType())) {
        throw ImageException.invalid(
            what + ": unsupported manifest media type \"" + top.mediaType() + "\"");
      }
      Manifest manifest = ImageJson.readManifest(manifestBytes, r.toString());
      // What the manifest alone can refuse is refused before any blob is asked for.
      checkConfigBound(manifest.config(), what);
      checkLayerTypes(manifest.layers(), what);
      boolean indexed = MediaTypes.isIndex(top.mediaType());
      String cfgType = manifest.config().mediaType();
      // The config and the manifests (verified, in memory) are stored while the layers download:
      // their files, renames and fsyncs are then off the pull's path (~20 ms of a busybox pull on
      // berthd). The lease covers them, and the image record, which makes the image visible, is
      // written only once they and the layers are in.
      List<FutureTask<Void>> blobs = new ArrayList<>(1);
      ConfigStep configStep =
          () -> {
            byte[] configBytes = fetchSmall(repo, manifest.config(), what);
            ImageConfig config =
                ImageJson.readConfig(configBytes, "config " + manifest.config().digest());
            LayerPhases.mark("config");
            if (platformRequired
                && !indexed
                && !config.os().isEmpty()
                && !Platforms.matches(platform, config.platform())) {
              throw ImageException.invalid(
                  what
                      + ": image platform ("
                      + config.platform()
                      + ") does not match the"
                      + " requested platform ("
                      + platform
                      + ")");
            }
            List<Digest> diffIds = config.rootfs().diffIds();
            if (diffIds.size() != manifest.layers().size()) {
              throw ImageException.invalid(
                  what
                      + ": manifest has "
                      + manifest.layers().size()
                      + " layers, config lists "
                      + diffIds.size()
                      + " diff ids");
            }
            FutureTask<Void> store =
                new FutureTask<>(
                    () -> {
                      storeSmall(configBytes, cfgType, toStore, toStoreAs);
                      return null;
                    });
            blobs.add(store);
            Thread.ofPlatform().name("pull-blobs").daemon().start(store);
            return diffIds;
          };
      try {
        fetchLayers(repo, manifest.layers(), configStep, progress, what);
      } catch (ImageException | IOException | SpecException | RuntimeException e) {
        for (FutureTask<Void> b : blobs) {
          try {
            Tasks.await(b); // nothing written after the pull has returned
          } catch (IOException | RuntimeException also) {
            e.addSuppressed(also);
          }
        }
        throw e;
      }
      LayerPhases.mark("layers");
      for (FutureTask<Void> b : blobs) Tasks.await(b);
      LayerPhases.mark("blobs stored");
      ImageRecord record =
          new ImageRecord(r.toString(), target, manifest.config().digest(), Instant.now());
      images.put(record);
      LayerPhases.mark("records");
      progress.message("Digest: " + target.digest());
      return record;
    } catch (RegistryException e) {
      throw new ImageException(
          e.category(),
          // The client's manifest errors already start with "pull <ref>": say it once.
          e.getMessage() != null && e.getMessage().startsWith(what + ":")
              ? e.getMessage()
              : what + ": " + e.getMessage(),
          e);
    } catch (SpecException | IllegalArgumentException e) {
      throw new ImageException(ErrorCategory.INVALID_ARGUMENT, what + ": " + e.getMessage(), e);
    } catch (IOException e) {
      throw new ImageException(ErrorCategory.INTERNAL, what + ": " + e.getMessage(), e);
    }
  }

  /** Stores the config, then the manifests bottom-up (a platform's manifest before its index). */
  private void storeSmall(
      byte[] config, String configType, List<byte[]> manifests, List<Descriptor> manifestsAs)
      throws IOException {
    content.put(config, configType);
    for (int i = manifests.size() - 1; i >= 0; i--) {
      Descriptor stored = content.put(manifests.get(i), manifestsAs.get(i).mediaType());
      if (!stored.digest().equals(manifestsAs.get(i).digest())) {
        throw new IllegalStateException("stored manifest digest differs from the registry's");
      }
    }
  }

  /**
   * The record of {@code r} when it names the manifest the registry just served and the store holds
   * all of that image (manifests, config, every layer's blob and snapshot), so that a pull has
   * nothing to fetch and nothing to write; else null, and the pull goes on as for a new image.
   */
  private ImageRecord alreadyPresent(
      Reference r, ManifestResponse top, Platform platform, boolean platformRequired)
      throws IOException, SpecException {
    ImageRecord have = images.get(r.toString()).orElse(null);
    if (have == null || have.config() == null || !have.target().digest().equals(top.digest()))
      return null;
    boolean index = MediaTypes.isIndex(top.mediaType());
    byte[] manifestBytes = top.body();
    if (index) {
      Descriptor chosen =
          Platforms.select(ImageJson.readIndex(top.body(), top.digest().toString()), platform);
      if (!content.exists(chosen.digest())) return null;
      manifestBytes = content.read(chosen.digest(), RegistryClient.MAX_MANIFEST_BYTES);
    } else if (!MediaTypes.isManifest(top.mediaType())) {
      return null;
    }
    Manifest manifest = ImageJson.readManifest(manifestBytes, r.toString());
    Digest configDigest = manifest.config().digest();
    if (!configDigest.equals(have.config()) || !content.exists(configDigest)) return null;
    ImageConfig config =
        ImageJson.readConfig(content.read(configDigest, MAX_CONFIG), "config " + configDigest);
    if (platformRequired
        && !index
        && !config.os().isEmpty()
        && !Platforms.matches(platform, config.platform())) return null;
    List<Digest> diffIds = config.rootfs().diffIds();
    if (diffIds.size() != manifest.layers().size()) return null;
    List<Digest> chain = ChainIds.of(diffIds);
    for (int i = 0; i < chain.size(); i++) {
      if (!snapshots.has(chain.get(i)) || !content.exists(manifest.layers().get(i).digest()))
        return null;
    }
    return have;
  }

  /** A config is read whole, into the heap: one declared larger than the bound is hostile. */
  private static void checkConfigBound(Descriptor d, String what) throws ImageException {
    if (d.size() > MAX_CONFIG) {
      throw ImageException.invalid(
          what
              + ": config "
              + d.digest()
              + " declares "
              + d.size()
              + " bytes (limit "
              + MAX_CONFIG
              + ")");
    }
  }

  private static void checkLayerTypes(List<Descriptor> layers, String what) throws ImageException {
    for (Descriptor layer : layers) {
      if (MediaTypes.layerCompression(layer.mediaType()) == null) {
        throw ImageException.unsupportedLayer(what, layer);
      }
    }
  }

  private byte[] fetchSmall(RegistryClient.Repository repo, Descriptor d, String what)
      throws IOException, ImageException {
    checkConfigBound(d, what);
    if (content.exists(d.digest())) {
      return content.read(d.digest(), MAX_CONFIG);
    }
    byte[] bytes;
    try (InputStream in = repo.blob(d, 0)) {
      bytes = in.readNBytes((int) d.size() + 1);
    }
    if (bytes.length != d.size()) {
      throw ImageException.invalid(
          what + ": config " + d.digest() + ": got " + bytes.length + " bytes, want " + d.size());
    }
    Digest got = Digest.sha256Of(bytes);
    if (!got.equals(d.digest())) {
      throw ImageException.invalid(
          what + ": config " + d.digest() + ": digest mismatch, got " + got);
    }
    return bytes;
  }

  /** Fetches, parses and checks the config; returns its diff ids, one per layer. */
  @FunctionalInterface
  private interface ConfigStep {
    List<Digest> run() throws IOException, ImageException, SpecException;
  }

  /** The diff ids the config gave and the chain ids they make, once the config is in. */
  private record Chains(List<Digest> diffIds, List<Digest> chainIds) {
    Digest parent(int i) {
      return i == 0 ? null : chainIds.get(i - 1);
    }
  }

  private void fetchLayers(
      RegistryClient.Repository repo,
      List<Descriptor> layers,
      ConfigStep configStep,
      Progress progress,
      String what)
      throws ImageException, IOException, SpecException {
    List<LayerPhases.Tally> tallies = new ArrayList<>();
    for (Descriptor layer : layers) {
      tallies.add(LayerPhases.tally(layer.digest().toString(), layer.size()));
      progress.blob(layer.digest(), Phase.WAITING, 0, layer.size());
    }
    if (!snapshots.layersIndependent()) {
      // A copy snapshot starts from its parent's full tree: one layer after the other.
      List<Digest> diffIds = configStep.run();
      var chains = CompletableFuture.completedFuture(new Chains(diffIds, ChainIds.of(diffIds)));
      for (int i = 0; i < layers.size(); i++) {
        Staging staging =
            layerTask(
                repo,
                layers.get(i),
                i,
                chains,
                // one layer at a time: a second thread has a core of its own, if there is one
                Runtime.getRuntime().availableProcessors() > 1,
                progress,
                what,
                tallies.get(i),
                System.nanoTime());
        commitOrAbort(staging, tallies.get(i));
      }
      printTallies(tallies);
      return;
    }
    // Overlay layers download and unpack in parallel, but a snapshot is committed only after its
    // parent: the stagings are committed here, bottom first, once every layer is verified. The
    // layers are asked for and read while this thread fetches the config: a layer the store lacks
    // is unpacked into a staging named at the end, when the config says which diff id it must have
    // and which chain it makes (layerTask). A refused config stops them, and they leave what an
    // unread request would have: no ingest but a resumed one, no staging.
    CompletableFuture<Chains> chains = new CompletableFuture<>();
    boolean[] twoThreads = longPoles(layers);
    ExecutorService pool =
        Executors.newFixedThreadPool(
            Math.min(PARALLEL, Math.max(1, layers.size())),
            Thread.ofPlatform().name("pull-", 0).daemon().factory());
    List<Future<Staging>> running = new ArrayList<>();
    Set<Staging> committed = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    boolean ok = false;
    try {
      long submitted = System.nanoTime();
      for (int i = 0; i < layers.size(); i++) {
        int n = i;
        running.add(
            pool.submit(
                () ->
                    layerTask(
                        repo,
                        layers.get(n),
                        n,
                        chains,
                        twoThreads[n],
                        progress,
                        what,
                        tallies.get(n),
                        submitted)));
      }
      try {
        List<Digest> diffIds = configStep.run();
        chains.complete(new Chains(diffIds, ChainIds.of(diffIds)));
      } catch (Throwable t) {
        chains.completeExceptionally(t);
        throw t;
      }
      List<Staging> staged = new ArrayList<>();
      for (Future<Staging> f : running) {
        try {
          staged.add(f.get());
        } catch (ExecutionException e) {
          Throwable cause = e.getCause();
          if (cause instanceof ImageException ie) throw ie;
          if (cause instanceof IOException io) throw io;
          if (cause instanceof RuntimeException re) throw re;
          throw new IOException(cause);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException(what + ": interrupted");
        }
      }
      for (int i = 0; i < staged.size(); i++) {
        committed.add(staged.get(i)); // done or, when the commit fails, aborted by commitOrAbort
        commitOrAbort(staged.get(i), tallies.get(i));
      }
      printTallies(tallies);
      ok = true;
    } finally {
      pool.shutdownNow();
      if (!ok) abortAll(pool, running, committed);
    }
  }

  /**
   * A layer's bytes below which a second thread is not worth its start and hand-offs (a few hundred
   * microseconds against milliseconds of work): busybox's 1 MB layer.
   */
  private static final long TWO_THREADS_FROM = 4L << 20;

  /**
   * A layer's bytes from which it is read before the config is in. A small one waits for it: its
   * bytes then sit in the socket (the registry sends them meanwhile), and reading them early only
   * competed for the cores with the config's fetch and parse (CRI PullImage of busybox, a 1 MB
   * layer: 35 against 32 ms, berthd's median).
   */
  private static final long READ_EARLY_FROM = 4L << 20;

  /**
   * Which of an image's layers, unpacked at once, get a second thread for their files: those with
   * more than a core's share of the image's bytes, which the others cannot keep the other cores
   * busy beside (a one-layer image; a base layer under small ones). Where every layer has less (on
   * two cores: several layers of like sizes) the cores are busy already, and a second thread per
   * layer only added hand-offs: 5-10% more CPU time and as much wall time.
   */
  private static boolean[] longPoles(List<Descriptor> layers) {
    long total = 0;
    for (Descriptor d : layers) total += Math.max(0, d.size());
    int cores = Runtime.getRuntime().availableProcessors();
    boolean[] out = new boolean[layers.size()];
    for (int i = 0; i < out.length; i++) {
      long size = layers.get(i).size();
      out[i] = cores > 1 && size >= TWO_THREADS_FROM && size * (double) cores > total;
    }
    return out;
  }

  /** Waits for the config's chains; a refused config ends the layer (the pull reports why). */
  private static Chains awaitChains(CompletableFuture<Chains> chains, String what)
      throws IOException {
    try {
      return chains.get();
    } catch (ExecutionException e) {
      throw new ConfigRefused(what);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException(what + ": interrupted");
    }
  }

  /**
   * A layer's ingest and the registry's answer for its bytes, asked for before the config is in.
   * The answer is the download's first request ({@link ResumingBlobStream.Source}): a failure of it
   * is the download's first failure, retried as any other.
   */
  private static final class Prefetch implements ResumingBlobStream.Source {
    final Ingest ingest;
    private final RegistryClient.Repository repo;
    private final Descriptor layer;
    private final long offset;
    private InputStream body;
    private IOException failure;
    private boolean used;

    Prefetch(Ingest ingest, RegistryClient.Repository repo, Descriptor layer) {
      this.ingest = ingest;
      this.repo = repo;
      this.layer = layer;
      this.offset = ingest.offset();
      LayerPhases.enter(LayerPhases.Phase.DOWNLOAD);
      try {
        body = repo.blob(layer, offset);
      } catch (IOException e) {
        failure = e;
      } finally {
        LayerPhases.exit();
      }
    }

    @Override
    public InputStream open(long at) throws IOException {
      if (!used && at == offset) {
        used = true;
        if (failure != null) throw failure;
        return body;
      }
      return repo.blob(layer, at);
    }

    /** Closes the answer when the download did not take it. */
    void closeUnused() {
      if (used) return;
      used = true;
      if (body != null) {
        try {
          body.close();
        } catch (IOException ignored) {
          // a connection nobody reads: closing it is all there is to do
        }
      }
    }

    /**
     * The config was refused (or the pull stopped) before the layer started: closes the answer and
     * gives the ingest back as it found it (an ingest it opened afresh leaves nothing).
     */
    void abandon() {
      closeUnused();
      try {
        if (offset == 0) ingest.discardPartial();
        else ingest.close();
      } catch (IOException ignored) {
        // best effort: the pull's own error is the one to report
      }
    }
  }

  /**
   * Opens the layer's ingest and asks for its bytes when the store lacks the blob; null when it has
   * it (or another thread or process committed it meanwhile: then there is nothing to fetch).
   */
  private Prefetch prefetch(RegistryClient.Repository repo, Descriptor layer) throws IOException {
    if (content.exists(layer.digest())) return null;
    LayerPhases.enter(LayerPhases.Phase.WAIT);
    Ingest ingest;
    try {
      ingest = content.ingest(layer);
    } finally {
      LayerPhases.exit();
    }
    if (ingest.alreadyCommitted()) {
      ingest.close();
      return null;
    }
    boolean ok = false;
    try {
      Prefetch p = new Prefetch(ingest, repo, layer);
      ok = true;
      return p;
    } finally {
      if (!ok) ingest.close();
    }
  }

  private static void printTallies(List<LayerPhases.Tally> tallies) {
    for (LayerPhases.Tally t : tallies) if (t != null) t.print();
  }

  /** Commits a staging (null: nothing to do), aborting it when the commit fails. */
  private void commitOrAbort(Staging staging, LayerPhases.Tally tally) throws IOException {
    if (staging == null) return;
    boolean ok = false;
    LayerPhases.bind(tally);
    LayerPhases.enter(LayerPhases.Phase.COMMIT);
    try {
      snapshots.commit(staging);
      ok = true;
    } finally {
      if (!ok) snapshots.abort(staging);
      LayerPhases.unbind();
    }
  }

  /**
   * After a failed layer: waits for the other layers' tasks to stop (they were interrupted) and
   * discards the stagings of those that finished, so no uncommitted snapshot is left behind.
   */
  private void abortAll(ExecutorService pool, List<Future<Staging>> running, Set<Staging> handled) {
    try {
      if (!pool.awaitTermination(60, java.util.concurrent.TimeUnit.SECONDS)) return;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    for (Future<Staging> f : running) {
      if (f.state() != Future.State.SUCCESS) continue;
      Staging s = f.resultNow();
      if (s == null || handled.contains(s)) continue;
      try {
        snapshots.abort(s);
      } catch (IOException ignored) {
        // best effort: the pull's own error is the one to report
      }
    }
  }

  /**
   * One layer, on its own thread: makes sure its blob is in the content store, reading it once, and
   * returns its snapshot's verified but uncommitted staging (null when the snapshot exists
   * already). Its request goes out at once; when the store lacks the blob and the layer is big
   * ({@link #READ_EARLY_FROM}) its bytes are read and unpacked at once too, and checked against the
   * config at the end ({@code chains}); a small layer, or one that is there already (its snapshot
   * may be too), waits for the config first. The caller commits the staging after the parent's.
   */
  private Staging layerTask(
      RegistryClient.Repository repo,
      Descriptor layer,
      int n,
      CompletableFuture<Chains> chains,
      boolean twoThreads,
      Progress progress,
      String what,
      LayerPhases.Tally tally,
      long submitted)
      throws IOException, ImageException {
    if (tally != null) tally.add(LayerPhases.Phase.WAIT, System.nanoTime() - submitted);
    LayerPhases.bind(tally);
    try {
      Prefetch early = prefetch(repo, layer);
      if (early == null || (layer.size() < READ_EARLY_FROM && !chains.isDone())) {
        LayerPhases.enter(LayerPhases.Phase.WAIT);
        try {
          awaitChains(chains, what);
        } catch (IOException | RuntimeException e) {
          if (early != null) early.abandon();
          throw e;
        } finally {
          LayerPhases.exit();
        }
      } else if (chains.isCompletedExceptionally()) {
        early.abandon();
        awaitChains(chains, what); // throws
      }
      return fetchLayer(repo, layer, n, chains, twoThreads, progress, what, early);
    } finally {
      LayerPhases.unbind();
      if (tally != null) tally.done();
    }
  }

  /**
   * Makes sure the layer's blob is in the content store, reading it once, and returns its
   * snapshot's verified but uncommitted staging (null when the snapshot exists already). {@code
   * early} (null: none) is the layer's ingest and request made before the config was in: this
   * method owns it from here, and uses or gives it back.
   */
  private Staging fetchLayer(
      RegistryClient.Repository repo,
      Descriptor layer,
      int n,
      CompletableFuture<Chains> chains,
      boolean twoThreads,
      Progress progress,
      String what,
      Prefetch early)
      throws IOException, ImageException {
    Prefetch pending = early;
    Staging staging = null;
    boolean ok = false;
    try {
      // Unknown until the config is in: a layer read before it is unpacked, and its staging
      // dropped at the end if the snapshot turns out to exist.
      boolean haveSnapshot =
          chains.isDone() && snapshots.has(awaitChains(chains, what).chainIds().get(n));
      if (haveSnapshot && content.exists(layer.digest())) {
        progress.blob(layer.digest(), Phase.EXISTS, layer.size(), layer.size());
        ok = true;
        return null;
      }
      for (boolean mayRefetch = true; ; mayRefetch = false) {
        Ingest opened;
        Prefetch first = pending;
        pending = null;
        if (first != null) {
          opened = first.ingest;
        } else {
          LayerPhases.enter(LayerPhases.Phase.WAIT);
          try {
            opened = content.ingest(layer);
          } finally {
            LayerPhases.exit();
          }
        }
        try (Ingest ingest = opened) {
          if (!ingest.alreadyCommitted()) {
            staging =
                download(
                    repo,
                    ingest,
                    first,
                    layer,
                    n,
                    chains,
                    twoThreads,
                    haveSnapshot,
                    mayRefetch,
                    progress,
                    what);
          } else if (!haveSnapshot) {
            try (InputStream in = content.open(layer.digest())) {
              progress.blob(layer.digest(), Phase.EXTRACTING, 0, layer.size());
              staging = unpack(in, layer, n, chains, twoThreads, what);
            }
          }
        } catch (Refetch again) {
          continue;
        } finally {
          if (first != null) first.closeUnused();
        }
        break;
      }
      ok = true;
    } finally {
      if (pending != null) pending.abandon();
      if (!ok && staging != null) snapshots.abort(staging);
    }
    progress.blob(layer.digest(), Phase.DONE, layer.size(), layer.size());
    return staging;
  }

  /**
   * Streams the layer from the registry into its ingest (after the bytes an earlier attempt left
   * there) and, in the same pass, into a staging snapshot (none when {@code haveSnapshot}), then
   * commits the blob. When the download breaks, the bytes stay for the next attempt to resume. When
   * they are refused (another digest, a stream the unpacker cannot read, another diff id) they stay
   * only if they are the blob: bytes that are not would fail every later pull that resumed them.
   * Refused bytes an earlier attempt left are fetched once more from the first byte ({@link
   * Refetch}, when {@code mayRefetch}).
   */
  private Staging download(
      RegistryClient.Repository repo,
      Ingest ingest,
      ResumingBlobStream.Source early,
      Descriptor layer,
      int n,
      CompletableFuture<Chains> chains,
      boolean twoThreads,
      boolean haveSnapshot,
      boolean mayRefetch,
      Progress progress,
      String what)
      throws IOException, ImageException, Refetch {
    String name = "layer " + layer.digest();
    long resumedAt = ingest.offset();
    OutputStream sink = ingest.outputStream();
    ResumingBlobStream blob =
        new ResumingBlobStream(
            what + ": " + name,
            layer.size(),
            resumedAt > 0 ? ingest.partial() : null,
            resumedAt,
            early != null ? early : o -> repo.blob(layer, o),
            sink,
            at -> progress.blob(layer.digest(), Phase.DOWNLOADING, at, layer.size()));
    Staging staging = null;
    try {
      try (blob) {
        if (haveSnapshot) {
          blob.transferTo(OutputStream.nullOutputStream());
        } else {
          staging = unpack(blob, layer, n, chains, twoThreads, what);
        }
      }
      sink.flush();
      progress.blob(layer.digest(), Phase.VERIFYING, layer.size(), layer.size());
      // The blob first: a snapshot is only committed from bytes whose digest the manifest vouches
      // for.
      LayerPhases.enter(LayerPhases.Phase.COMMIT);
      try {
        ingest.commit();
      } finally {
        LayerPhases.exit();
      }
      return staging;
    } catch (IOException | ImageException | RuntimeException e) {
      if (staging != null) snapshots.abort(staging);
      if (chains.isCompletedExceptionally()) {
        // Read before the config, which was then refused (this layer stopped, or the pull's
        // interrupt stopped it): the bytes go as an unread early request's would
        // (Prefetch.abandon): an ingest begun here leaves nothing, a resumed one stays.
        if (resumedAt == 0) ingest.discardPartial();
        throw e;
      }
      if (blob.broke() || Thread.currentThread().isInterrupted())
        throw e; // kept: the next pull resumes
      DigestMismatchException mismatch =
          e instanceof DigestMismatchException m ? m : keepOnlyTheBlob(ingest, e);
      if (mayRefetch && resumedAt > 0 && !content.exists(layer.digest())) throw new Refetch();
      if (mismatch == null) throw e;
      ImageException refused =
          new ImageException(
              ErrorCategory.INVALID_ARGUMENT,
              what + ": " + name + ": digest mismatch, got " + mismatch.got(),
              mismatch);
      if (e != mismatch) refused.addSuppressed(e);
      throw refused;
    }
  }

  /**
   * After the reader refused the bytes: commits them when they are the whole blob (the refusal is
   * then about its content), else deletes them. Returns the mismatch when they were as many as the
   * blob's but not the blob.
   */
  private static DigestMismatchException keepOnlyTheBlob(Ingest ingest, Exception refusal) {
    try {
      if (ingest.isOpen() && ingest.offset() == ingest.expectedSize()) {
        ingest.commit();
      } else {
        ingest.discardPartial();
      }
    } catch (DigestMismatchException m) {
      return m;
    } catch (IOException | RuntimeException e) {
      refusal.addSuppressed(e);
    }
    return null;
  }

  /**
   * Resumed bytes were not the blob's and are deleted: fetch the blob again from its first byte.
   */
  private static final class Refetch extends Exception {
    private static final long serialVersionUID = 1L;

    Refetch() {
      super(null, null, false, false);
    }
  }

  /**
   * Unpacks a whole layer stream into a staging snapshot, drains what the tar reader left (padding
   * after the end-of-archive blocks is still part of the blob) and checks the diff id. Before the
   * config is in, the staging is unnamed, the config awaited at the end, and a snapshot that exists
   * by then makes this return null. The caller commits or aborts.
   */
  private Staging unpack(
      InputStream blob,
      Descriptor layer,
      int n,
      CompletableFuture<Chains> chains,
      boolean twoThreads,
      String what)
      throws IOException, ImageException {
    Chains known = chains.isDone() ? awaitChains(chains, what) : null;
    Staging staging =
        known != null
            ? snapshots.stage(known.chainIds().get(n), known.parent(n))
            : snapshots.stageUnnamed(n == 0);
    InputStream in = known != null ? blob : new UntilRefused(blob, chains);
    boolean ok = false;
    try {
      UnpackResult result;
      try {
        // An unpacker per layer: one holds buffers, and layers unpack in parallel.
        LayerUnpacker unpacker = new LayerUnpacker(twoThreads);
        result =
            unpacker.unpack(
                in, MediaTypes.layerCompression(layer.mediaType()), staging.dir(), staging.mode());
        in.transferTo(OutputStream.nullOutputStream());
      } catch (IOException e) {
        if (known == null && chains.isCompletedExceptionally()) throw new ConfigRefused(what);
        // The download gave up under the tar reader: that is the error, not the entry it was
        // reading.
        if (blob instanceof ResumingBlobStream r && r.failure() != null) {
          throw new ImageException(
              ErrorCategory.UNAVAILABLE, r.failure().getMessage(), r.failure());
        }
        if (e instanceof UnpackException) {
          throw new ImageException(
              ErrorCategory.INVALID_ARGUMENT,
              what + ": layer " + layer.digest() + ": " + e.getMessage(),
              e);
        }
        throw new IOException(
            "layer " + layer.digest() + ": " + e.getMessage(), e); // a corrupt stream, a full disk
      }
      Chains c = known;
      if (c == null) {
        LayerPhases.enter(LayerPhases.Phase.WAIT);
        try {
          c = awaitChains(chains, what);
        } finally {
          LayerPhases.exit();
        }
      }
      Digest diffId = c.diffIds().get(n);
      if (!result.diffId().equals(diffId)) {
        throw ImageException.invalid(
            what
                + ": layer "
                + layer.digest()
                + ": uncompressed content is "
                + result.diffId()
                + ", the config says "
                + diffId);
      }
      if (known == null) {
        if (snapshots.has(c.chainIds().get(n))) return null; // aborted below: not ok
        snapshots.name(staging, c.chainIds().get(n), c.parent(n));
      }
      staging.madeDirs(result.madeDirs());
      staging.source(layer.digest(), MediaTypes.layerCompression(layer.mediaType()));
      ok = true;
      return staging;
    } finally {
      if (!ok) snapshots.abort(staging);
    }
  }

  /**
   * The config was refused while a layer was read before it: the layer stops, and its bytes go (see
   * download).
   */
  private static final class ConfigRefused extends java.util.concurrent.CancellationException {
    private static final long serialVersionUID = 1L;

    ConfigRefused(String what) {
      super(what + ": the config was refused");
    }
  }

  /** A layer's bytes read before the config is in: they stop coming once it is refused. */
  private static final class UntilRefused extends java.io.FilterInputStream {
    private final CompletableFuture<Chains> chains;

    UntilRefused(InputStream in, CompletableFuture<Chains> chains) {
      super(in);
      this.chains = chains;
    }

    private void check() throws IOException {
      if (chains.isCompletedExceptionally()) throw new IOException("the config was refused");
    }

    @Override
    public int read() throws IOException {
      check();
      return in.read();
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      check();
      return in.read(b, off, len);
    }

    @Override
    public long skip(long n) throws IOException {
      check();
      return in.skip(n);
    }

    @Override
    public void close() {
      // the caller owns the stream
    }
  }
}
