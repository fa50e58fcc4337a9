package dev.berth.image;

import dev.berth.image.content.ContentStore;
import dev.berth.image.snapshot.ChainIds;
import dev.berth.image.snapshot.Snapshotter;
import dev.berth.image.snapshot.Staging;
import dev.berth.image.snapshot.Unsynced;
import dev.berth.image.unpack.LayerUnpacker;
import dev.berth.image.unpack.UnpackException;
import dev.berth.image.unpack.UnpackResult;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.image.Descriptor;
import dev.berth.spec.image.Digest;
import dev.berth.spec.image.MediaTypes;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Unpacks layers whose blobs are already in the content store (after load or import) into
 * snapshots, checking each against its diff id. Pulls do the same while downloading (see {@code
 * pull.Puller}).
 */
public final class LocalLayers {
  private final ContentStore content;
  private final Snapshotter snapshots;
  private final LayerUnpacker unpacker = new LayerUnpacker();

  public LocalLayers(ContentStore content, Snapshotter snapshots) {
    this.content = content;
    this.snapshots = snapshots;
  }

  /** Makes sure every layer's chain is committed; layers already unpacked are skipped. */
  public void ensureUnpacked(List<Descriptor> layers, List<Digest> diffIds, String what)
      throws IOException, ImageException {
    if (layers.size() != diffIds.size()) {
      throw ImageException.invalid(
          what + ": " + layers.size() + " layers but " + diffIds.size() + " diff ids");
    }
    List<Digest> chain = ChainIds.of(diffIds);
    for (int i = 0; i < layers.size(); i++) {
      Descriptor layer = layers.get(i);
      if (snapshots.has(chain.get(i))) continue;
      MediaTypes.Compression c = MediaTypes.layerCompression(layer.mediaType());
      if (c == null) {
        throw ImageException.unsupportedLayer(what, layer);
      }
      Staging staging = snapshots.stage(chain.get(i), i == 0 ? null : chain.get(i - 1));
      boolean ok = false;
      try (InputStream in = content.open(layer.digest())) {
        UnpackResult result;
        try {
          result = unpacker.unpack(in, c, staging.dir(), staging.mode());
          in.transferTo(OutputStream.nullOutputStream());
        } catch (UnpackException e) {
          throw new ImageException(
              ErrorCategory.INVALID_ARGUMENT,
              what + ": layer " + layer.digest() + ": " + e.getMessage(),
              e);
        } catch (IOException e) {
          throw new IOException(
              "layer " + layer.digest() + ": " + e.getMessage(), e); // reading the store's blob
        }
        if (!result.diffId().equals(diffIds.get(i))) {
          throw ImageException.invalid(
              what
                  + ": layer "
                  + layer.digest()
                  + ": uncompressed content is "
                  + result.diffId()
                  + ", the config says "
                  + diffIds.get(i));
        }
        staging.madeDirs(result.madeDirs());
        staging.source(layer.digest(), c);
        snapshots.commit(staging);
        ok = true;
      } finally {
        if (!ok) snapshots.abort(staging);
      }
    }
  }

  /**
   * Unpacks again, from their blobs, the snapshots whose {@link Unsynced marks} survived a reboot:
   * a power cut may have left their files empty or short. Parents first (a copy snapshot starts as
   * its parent's tree). A snapshot that cannot be rebuilt (its blob is gone, or no longer unpacks
   * to it) is kept as it is, and said so on stderr: failing every later open would help no one.
   * Returns how many were rebuilt.
   */
  public int repair(List<Unsynced> lost) throws IOException {
    Map<Digest, Unsynced> todo = new LinkedHashMap<>();
    for (Unsynced u : lost) todo.putIfAbsent(u.chainId(), u);
    int rebuilt = 0;
    while (!todo.isEmpty()) {
      boolean progress = false;
      for (Iterator<Unsynced> it = todo.values().iterator(); it.hasNext(); ) {
        Unsynced u = it.next();
        Digest parent = snapshots.parent(u.chainId());
        if (parent != null && todo.containsKey(parent) && !snapshots.layersIndependent()) continue;
        if (rebuild(u, parent)) rebuilt++;
        it.remove();
        progress = true;
      }
      if (!progress) throw new IOException("snapshot parents loop: " + todo.keySet());
    }
    return rebuilt;
  }

  private boolean rebuild(Unsynced u, Digest parent) throws IOException {
    String what = "snapshot " + u.chainId() + " (not synced before the machine stopped)";
    if (!content.exists(u.blob())) {
      System.err.println(
          "berth: " + what + ": its layer " + u.blob() + " is gone, the snapshot is kept as is");
      snapshots.forget(u);
      return false;
    }
    Staging staging = snapshots.stage(u.chainId(), parent);
    boolean ok = false;
    try (InputStream in = content.open(u.blob())) {
      UnpackResult result = unpacker.unpack(in, u.compression(), staging.dir(), staging.mode());
      in.transferTo(OutputStream.nullOutputStream());
      Digest made = parent == null ? result.diffId() : ChainIds.next(parent, result.diffId());
      if (!made.equals(u.chainId())) {
        throw new IOException("layer " + u.blob() + " unpacks to chain " + made);
      }
      staging.madeDirs(result.madeDirs());
      snapshots.replace(staging);
      ok = true;
      return true;
    } catch (IOException e) {
      System.err.println(
          "berth: " + what + ": unpacking it again failed, kept as is: " + e.getMessage());
      snapshots.forget(u);
      return false;
    } finally {
      if (!ok) snapshots.abort(staging);
    }
  }
}
