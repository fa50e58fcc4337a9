package dev.berth.image.push;

import dev.berth.image.ImageException;
import dev.berth.image.Progress;
import dev.berth.image.Progress.Phase;
import dev.berth.image.content.ContentStore;
import dev.berth.image.registry.RegistryClient;
import dev.berth.image.registry.RegistryException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.image.Descriptor;
import dev.berth.spec.image.Digest;
import dev.berth.spec.image.ImageJson;
import dev.berth.spec.image.Index;
import dev.berth.spec.image.Manifest;
import dev.berth.spec.image.MediaTypes;
import dev.berth.spec.image.Reference;
import dev.berth.spec.json.SpecException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Pushes an image's content as it is stored, byte for byte, so the registry ends up with the same
 * digests: blobs first (skipped when the registry has them, mounted from the repository they were
 * pulled from when it is on the same registry), then manifests, then the index, then the tag.
 */
public final class Pusher {
  /** What a registry accepts as one manifest: larger ones are not pushed. */
  private static final long MAX = RegistryClient.MAX_MANIFEST_BYTES;

  private final ContentStore content;
  private final RegistryClient registry;

  public Pusher(ContentStore content, RegistryClient registry) {
    this.content = content;
    this.registry = registry;
  }

  /**
   * Pushes {@code target} (a manifest or an index held in the content store) to {@code dest}.
   * Manifests of an index that are not held locally (other platforms than the pulled one) make the
   * push fall back to {@code manifest}, the one that is held, as docker does.
   *
   * @param mountFrom the repository on the same registry the blobs probably exist in (the image's
   *     source), or null
   */
  public Digest push(
      Descriptor target,
      Descriptor heldManifest,
      Reference dest,
      Reference mountFrom,
      Progress progress)
      throws ImageException {
    String what = "push " + dest;
    try {
      RegistryClient.Repository repo = registry.repo(dest.domain(), dest.path());
      String from =
          mountFrom != null
                  && mountFrom.domain().equals(dest.domain())
                  && !mountFrom.path().equals(dest.path())
              ? mountFrom.path()
              : null;
      Descriptor top = target;
      List<Descriptor> manifests = new ArrayList<>();
      if (MediaTypes.isIndex(target.mediaType())) {
        Index index =
            ImageJson.readIndex(content.read(target.digest(), MAX), target.digest().toString());
        boolean all = true;
        for (Descriptor m : index.manifests()) all &= content.exists(m.digest());
        if (all) {
          manifests.addAll(index.manifests());
        } else {
          top = heldManifest;
          manifests.add(heldManifest);
        }
      } else {
        manifests.add(target);
      }
      for (Descriptor m : manifests) {
        byte[] bytes = content.read(m.digest(), MAX);
        Manifest manifest = ImageJson.readManifest(bytes, m.digest().toString());
        for (Descriptor layer : manifest.layers()) pushBlob(repo, layer, from, progress);
        pushBlob(repo, manifest.config(), from, progress);
        if (m != top) repo.putManifest(m.digest().toString(), bytes, m.mediaType());
      }
      String tag =
          dest.digest() != null ? top.digest().toString() : dest.hasTag() ? dest.tag() : "latest";
      Digest pushed = repo.putManifest(tag, content.read(top.digest(), MAX), top.mediaType());
      progress.message(tag + ": digest: " + top.digest() + " size: " + top.size());
      return pushed;
    } catch (RegistryException e) {
      throw new ImageException(e.category(), what + ": " + e.getMessage(), e);
    } catch (SpecException e) {
      throw ImageException.invalid(what + ": " + e.getMessage());
    } catch (IOException e) {
      throw new ImageException(ErrorCategory.INTERNAL, what + ": " + e.getMessage(), e);
    }
  }

  private void pushBlob(
      RegistryClient.Repository repo, Descriptor blob, String mountFrom, Progress progress)
      throws IOException {
    if (!content.exists(blob.digest())) {
      throw new IOException(
          "blob " + blob.digest() + " is not in the local store (pulled only in part?)");
    }
    progress.blob(blob.digest(), Phase.UPLOADING, 0, blob.size());
    RegistryClient.PushedBlob how =
        repo.pushBlob(blob, () -> content.open(blob.digest()), mountFrom);
    progress.blob(
        blob.digest(),
        switch (how) {
          case EXISTED -> Phase.EXISTS;
          case MOUNTED -> Phase.MOUNTED;
          case UPLOADED -> Phase.PUSHED;
        },
        blob.size(),
        blob.size());
  }
}
