package dev.berth.api.cri;

import dev.berth.api.cri.v1.AuthConfig;
import dev.berth.api.cri.v1.FilesystemIdentifier;
import dev.berth.api.cri.v1.FilesystemUsage;
import dev.berth.api.cri.v1.Image;
import dev.berth.api.cri.v1.ImageFsInfoRequest;
import dev.berth.api.cri.v1.ImageFsInfoResponse;
import dev.berth.api.cri.v1.ImageServiceGrpc;
import dev.berth.api.cri.v1.ImageSpec;
import dev.berth.api.cri.v1.ImageStatusRequest;
import dev.berth.api.cri.v1.ImageStatusResponse;
import dev.berth.api.cri.v1.Int64Value;
import dev.berth.api.cri.v1.ListImagesRequest;
import dev.berth.api.cri.v1.ListImagesResponse;
import dev.berth.api.cri.v1.PullImageRequest;
import dev.berth.api.cri.v1.PullImageResponse;
import dev.berth.api.cri.v1.RemoveImageRequest;
import dev.berth.api.cri.v1.RemoveImageResponse;
import dev.berth.api.cri.v1.UInt64Value;
import dev.berth.engine.Engine;
import dev.berth.image.ImageService;
import dev.berth.image.ImageService.ImageDetails;
import dev.berth.image.LayerPhases;
import dev.berth.image.Progress;
import dev.berth.image.registry.Credentials;
import dev.berth.image.snapshot.Trees;
import dev.berth.image.store.ImageRecord;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.image.Reference;
import dev.berth.spec.json.JsonWriter;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * CRI's ImageService on the engine's image store, the one {@code berth} and the Docker API use.
 * Answers as containerd's CRI plugin does: an image is named by its config digest ("sha256:.."),
 * with its full references as repo tags and repo digests; a missing image is an empty status and a
 * removal that has nothing to do, not errors.
 */
final class CriImageService extends ImageServiceGrpc.ImageServiceImplBase {
  private final Engine engine;

  CriImageService(Engine engine) {
    this.engine = engine;
  }

  private ImageService images() {
    return engine.images();
  }

  @Override
  public void pullImage(PullImageRequest request, StreamObserver<PullImageResponse> out) {
    CriCalls.answer(
        out,
        () -> {
          // The trace's clock starts here: the pull's first step is then its own setup, not the
          // time since the daemon's last pull.
          LayerPhases.mark("cri pull: called");
          String ref = request.getImage().getImage();
          if (ref.isEmpty()) throw CriCalls.invalid("image: a reference is required");
          ImageRecord got =
              images().pull(ref, null, Progress.NONE, credentials(request.getAuth(), ref));
          return PullImageResponse.newBuilder().setImageRef(got.config().toString()).build();
        });
  }

  /**
   * The request's credentials for the reference's registry (its server_address is not used: the
   * registry is the reference's, as containerd does), or null for the store's own.
   */
  static Credentials credentials(AuthConfig auth, String ref) throws BerthException {
    String user = auth.getUsername();
    String password = auth.getPassword();
    if (!auth.getAuth().isEmpty()) {
      String decoded;
      try {
        decoded = new String(Base64.getDecoder().decode(auth.getAuth()), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw new BerthException(
            ErrorCategory.INVALID_ARGUMENT, "auth.auth for " + ref + ": not base64");
      }
      int colon = decoded.indexOf(':');
      if (colon < 0) {
        throw new BerthException(
            ErrorCategory.INVALID_ARGUMENT, "auth.auth for " + ref + ": not user:password");
      }
      user = decoded.substring(0, colon);
      password = decoded.substring(colon + 1);
    }
    String token = auth.getIdentityToken();
    if (user.isEmpty() && password.isEmpty() && token.isEmpty()) return null;
    return new Credentials(user, password, token);
  }

  @Override
  public void imageStatus(ImageStatusRequest request, StreamObserver<ImageStatusResponse> out) {
    CriCalls.answer(
        out,
        () -> {
          List<ImageRecord> all = images().list();
          ImageDetails d = find(request.getImage(), all);
          if (d == null) return ImageStatusResponse.getDefaultInstance();
          ImageStatusResponse.Builder b = ImageStatusResponse.newBuilder().setImage(image(d, all));
          if (request.getVerbose()) {
            // containerd's verbose info: the OCI image config under "imageSpec".
            JsonWriter w = new JsonWriter(JsonWriter.COMPACT).beginObject();
            w.name("imageSpec").rawValue(d.rawConfig());
            w.field("manifest", d.manifestDescriptor().digest().toString());
            b.putInfo("info", w.endObject().toString());
          }
          return b.build();
        });
  }

  @Override
  public void listImages(ListImagesRequest request, StreamObserver<ListImagesResponse> out) {
    CriCalls.answer(
        out,
        () -> {
          List<ImageRecord> all = images().list();
          ListImagesResponse.Builder b = ListImagesResponse.newBuilder();
          if (request.hasFilter() && !request.getFilter().getImage().getImage().isEmpty()) {
            ImageDetails d = find(request.getFilter().getImage(), all);
            if (d != null) b.addImages(image(d, all));
            return b.build();
          }
          Map<String, ImageRecord> byId = new LinkedHashMap<>();
          for (ImageRecord r : all) {
            if (r.config() != null) byId.putIfAbsent(r.config().toString(), r);
          }
          for (ImageRecord r : byId.values()) {
            ImageDetails d;
            try {
              d = images().details(r, all);
            } catch (BerthException e) {
              continue; // removed meanwhile, or unreadable: not listed
            }
            b.addImages(image(d, all));
          }
          return b.build();
        });
  }

  @Override
  public void removeImage(RemoveImageRequest request, StreamObserver<RemoveImageResponse> out) {
    CriCalls.answer(
        out,
        () -> {
          ImageDetails d = find(request.getImage(), images().list());
          // Every name of the image goes, as containerd removes an image by its id; one removed
          // meanwhile (by a call at the same time) is removed all the same.
          if (d != null) {
            try {
              images().remove(List.of(d.record().config().toString()), true);
            } catch (BerthException e) {
              if (e.category() != ErrorCategory.NOT_FOUND) throw e;
            }
          }
          return RemoveImageResponse.getDefaultInstance();
        });
  }

  @Override
  public void imageFsInfo(ImageFsInfoRequest request, StreamObserver<ImageFsInfoResponse> out) {
    CriCalls.answer(
        out,
        () -> {
          images().snapshots(); // made on first use
          Path dir = engine.config().root().resolve("snapshots");
          Trees.Usage u = Trees.usageOf(dir);
          Instant now = Instant.now();
          return ImageFsInfoResponse.newBuilder()
              .addImageFilesystems(
                  FilesystemUsage.newBuilder()
                      .setTimestamp(now.getEpochSecond() * 1_000_000_000L + now.getNano())
                      .setFsId(FilesystemIdentifier.newBuilder().setMountpoint(dir.toString()))
                      .setUsedBytes(UInt64Value.newBuilder().setValue(u.bytes()))
                      .setInodesUsed(UInt64Value.newBuilder().setValue(u.inodes())))
              .build();
        });
  }

  /**
   * The image a spec names (reference, id, unique id prefix, or one of the repo digests this
   * service shows), or null when there is none.
   */
  private ImageDetails find(ImageSpec spec, List<ImageRecord> all) throws BerthException {
    if (spec.getImage().isEmpty()) throw CriCalls.invalid("image: a reference is required");
    try {
      return images().details(images().resolve(spec.getImage()), all);
    } catch (BerthException e) {
      if (e.category() != ErrorCategory.NOT_FOUND) throw e;
    }
    ImageRecord byDigest = byRepoDigest(spec.getImage(), all);
    if (byDigest == null) return null;
    try {
      return images().details(byDigest, all);
    } catch (BerthException e) {
      if (e.category() == ErrorCategory.NOT_FOUND) return null; // removed meanwhile
      throw e;
    }
  }

  /**
   * The image whose repo digest (as {@link #names} makes them: a name's repository and the digest
   * it was pulled at) is {@code ref}: a tag pulled is found by {@code repo@digest} too, as
   * containerd finds it.
   */
  private static ImageRecord byRepoDigest(String ref, List<ImageRecord> all) {
    Reference wanted;
    try {
      wanted = Reference.parse(ref);
    } catch (IllegalArgumentException e) {
      return null;
    }
    if (wanted.digest() == null) return null;
    for (ImageRecord r : all) {
      if (r.config() == null || ImageService.isUnnamed(r)) continue;
      Reference name = Reference.parse(r.name());
      if (name.name().equals(wanted.name()) && r.target().digest().equals(wanted.digest()))
        return r;
    }
    return null;
  }

  /** The repo tags and repo digests of {@code record}'s image (every name of its config). */
  static Image.Builder names(ImageRecord record, List<ImageRecord> all) {
    Image.Builder b = Image.newBuilder();
    List<String> digests = new ArrayList<>();
    for (ImageRecord r : all) {
      if (!record.config().equals(r.config()) || ImageService.isUnnamed(r)) continue;
      Reference ref = Reference.parse(r.name());
      if (ref.hasTag()) b.addRepoTags(ref.name() + ":" + ref.tag());
      String digest = ref.name() + "@" + r.target().digest();
      if (!digests.contains(digest)) digests.add(digest);
    }
    return b.addAllRepoDigests(digests);
  }

  /** containerd's CRI image: id, full references, size, the config's user, never pinned. */
  private static Image image(ImageDetails d, List<ImageRecord> all) {
    String id = d.record().config().toString();
    Image.Builder b = names(d.record(), all).setId(id).setSize(d.size());
    String user = d.config().config() == null ? "" : d.config().config().user();
    if (user != null && !user.isEmpty()) {
      String name = user.split(":", 2)[0];
      if (name.chars().allMatch(Character::isDigit) && !name.isEmpty()) {
        b.setUid(Int64Value.newBuilder().setValue(Long.parseLong(name)));
      } else {
        b.setUsername(name);
      }
    }
    return b.setSpec(ImageSpec.newBuilder().setImage(id)).setPinned(false).build();
  }
}
