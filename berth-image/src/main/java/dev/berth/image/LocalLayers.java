package dev.berth.image;

import dev.berth.image.content.ContentStore;
import dev.berth.image.snapshot.ChainIds;
import dev.berth.image.snapshot.Snapshotter;
import dev.berth.image.snapshot.Staging;
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
import java.util.List;

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
        throw ImageException.invalid(
            what
                + ": layer "
                + layer.digest()
                + ": unsupported media type \""
                + layer.mediaType()
                + "\"");
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
        snapshots.commit(staging);
        ok = true;
      } finally {
        if (!ok) snapshots.abort(staging);
      }
    }
  }
}
