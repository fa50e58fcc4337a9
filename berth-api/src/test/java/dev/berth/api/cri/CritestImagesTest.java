package dev.berth.api.cri;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.api.cri.v1.ContainerConfig;
import dev.berth.api.cri.v1.ContainerFilter;
import dev.berth.api.cri.v1.ContainerMetadata;
import dev.berth.api.cri.v1.Image;
import dev.berth.api.cri.v1.ImageFilter;
import dev.berth.api.cri.v1.ImageServiceGrpc;
import dev.berth.api.cri.v1.ImageSpec;
import dev.berth.api.cri.v1.ImageStatusRequest;
import dev.berth.api.cri.v1.ListContainersRequest;
import dev.berth.api.cri.v1.ListImagesRequest;
import dev.berth.api.cri.v1.Mount;
import dev.berth.api.cri.v1.PodSandboxConfig;
import dev.berth.api.cri.v1.PullImageRequest;
import dev.berth.api.cri.v1.RemoveContainerRequest;
import dev.berth.api.cri.v1.RemoveImageRequest;
import dev.berth.api.cri.v1.StartContainerRequest;
import dev.berth.spec.image.MediaTypes.Compression;
import dev.berth.testkit.RequiresCommand;
import dev.berth.testkit.RequiresRoot;
import dev.berth.testkit.image.ImageConfig;
import dev.berth.testkit.image.LayerTar;
import dev.berth.testkit.image.OciLayoutBuilder;
import dev.berth.testkit.image.Skopeo;
import dev.berth.testkit.registry.LocalRegistry;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * critest's "Image Manager" (image.go), "Image Consistency", "Image Identifier Consistency", the
 * image half of "Idempotence" and "Image Volume [Feature:ImageVolume]", against critest's test
 * images made here from busybox and pushed to a local docker-registry under critest's names ({@code
 * <registry>/k8s-staging-cri-tools/test-image-...}), as critest's --registry-prefix does.
 */
@RequiresRoot
@RequiresCommand({"docker-registry", "skopeo"})
@org.junit.jupiter.api.Timeout(180)
class CritestImagesTest extends CriPodTestBase {
  ImageServiceGrpc.ImageServiceBlockingStub images() {
    return ImageServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  /** critest's test images, each pushed under its name; returns the index digest of the first. */
  static final class TestImages implements AutoCloseable {
    final LocalRegistry registry = LocalRegistry.anonymous();
    final String prefix = registry.address() + "/k8s-staging-cri-tools/";
    String digestRef;

    TestImages(java.nio.file.Path dir) {
      OciLayoutBuilder layout = new OciLayoutBuilder(dir);
      OciLayoutBuilder.Layer base = layout.layer(new LayerTar().busybox(), Compression.GZIP);
      Map<String, ImageConfig> images = new java.util.LinkedHashMap<>();
      ImageConfig plain = ImageConfig.busybox();
      images.put("test-image-tag:test", plain);
      images.put("test-image-latest:latest", plain);
      images.put("test-image-tag:all", plain);
      images.put("test-image-user-uid:latest", plain.withUser("1002"));
      images.put("test-image-user-username:latest", plain.withUser("www-data"));
      images.put("test-image-user-uid-group:latest", plain.withUser("1003:users"));
      images.put("test-image-user-username-group:latest", plain.withUser("www-data:users"));
      for (int i = 1; i <= 3; i++) {
        images.put("test-image-" + i + ":latest", plain.withEnv("IMAGE=" + i));
        images.put("test-image-tags:" + i, plain.withEnv("IMAGE=tags"));
      }
      for (Map.Entry<String, ImageConfig> e : images.entrySet()) {
        var image = layout.image(OciLayoutBuilder.AMD64, e.getValue(), List.of(base));
        layout.tag(e.getKey(), image.manifest());
      }
      // the digest-referenced one is an index, as critest's is
      var inner =
          layout.image(OciLayoutBuilder.AMD64, plain.withEnv("IMAGE=digest"), List.of(base));
      var index = layout.index(List.of(inner));
      layout.tag("test-image-digest:pushed", index);
      digestRef = prefix + "test-image-digest@" + index.digest();
      for (String tag : images.keySet())
        Skopeo.copy("oci:" + layout.dir() + ":" + tag, "docker://" + prefix + tag);
      Skopeo.copy(
          "oci:" + layout.dir() + ":test-image-digest:pushed",
          "docker://" + prefix + "test-image-digest:pushed",
          "--all");
    }

    String name(String image) {
      return prefix + image;
    }

    @Override
    public void close() {
      registry.close();
    }
  }

  @Test
  void imagesArePulledByTagWithoutTagAndByDigestAndRemoved() throws Exception {
    try (TestImages t = new TestImages(tmp.resolve("layout"))) {
      // public image with tag should be pulled and removed [Conformance]
      String tagged = t.name("test-image-tag:test");
      Image s = pullStatusAndRemove(tagged, tagged);
      assertEquals(List.of(tagged), s.getRepoTagsList());
      // public image without tag should be pulled and removed [Conformance]
      String untagged = t.name("test-image-latest");
      s = pullStatusAndRemove(untagged, untagged + ":latest");
      assertEquals(List.of(untagged + ":latest"), s.getRepoTagsList());
      // public image with digest should be pulled and removed [Conformance]
      s = pullStatusAndRemove(t.digestRef, t.digestRef);
      assertEquals(List.of(), s.getRepoTagsList());
      assertEquals(List.of(t.digestRef), s.getRepoDigestsList());
      // public image should timeout if requested [Conformance]: the client's deadline
      assertEquals(
          Status.Code.DEADLINE_EXCEEDED,
          code(
              () ->
                  ImageServiceGrpc.newBlockingStub(channel)
                      .withDeadlineAfter(1, TimeUnit.MILLISECONDS)
                      .pullImage(pull(tagged))));
      // Idempotence: RemoveImage should not return an error if not found, twice
      removeById("0".repeat(64));
      removeById("0".repeat(64));
    }
  }

  @Test
  void imageStatusByEveryReferenceUserFieldsAndLists() throws Exception {
    try (TestImages t = new TestImages(tmp.resolve("layout"))) {
      // image status should support all kinds of references [Conformance]
      String all = t.name("test-image-tag:all");
      removeImage(all);
      pullRef(all);
      Image s = imageStatus(all);
      assertNotNull(s, "should get image status");
      assertEquals(s, imageStatus(s.getId()), "image status with " + s.getId());
      for (String tag : s.getRepoTagsList()) assertEquals(s, imageStatus(tag), "with " + tag);
      assertFalse(s.getRepoDigestsList().isEmpty());
      for (String digest : s.getRepoDigestsList())
        assertEquals(s, imageStatus(digest), "with " + digest);
      removeImage(all);
      assertNull(imageStatus(all), "Should have none image in list");

      // image status get image fields should not have Uid|Username empty [Conformance]
      record User(String image, long uid, String username) {}
      for (User u :
          List.of(
              new User("test-image-user-uid", 1002, ""),
              new User("test-image-user-username", 0, "www-data"),
              new User("test-image-user-uid-group", 1003, ""),
              new User("test-image-user-username-group", 0, "www-data"))) {
        String name = t.name(u.image());
        pullRef(name);
        Image i = imageStatus(name);
        assertEquals(u.uid(), i.getUid().getValue(), u.image());
        assertEquals(u.username(), i.getUsername(), u.image());
        removeImage(name);
      }

      // listImage should get exactly 3 image in the result list [Conformance]
      List<String> different = new ArrayList<>();
      List<String> ids = new ArrayList<>();
      for (int i = 1; i <= 3; i++) {
        different.add(t.name("test-image-" + i + ":latest"));
        ids.add(pullRef(different.get(i - 1)));
      }
      assertEquals(3, ids.stream().distinct().count(), ids.toString());
      List<Image> listed = list();
      for (int i = 0; i < 3; i++) {
        String id = ids.get(i);
        Image img = listed.stream().filter(x -> x.getId().equals(id)).findFirst().orElseThrow();
        assertEquals(
            List.of(different.get(i)), img.getRepoTagsList(), "Repo tag should be correct");
      }
      different.forEach(this::removeImage);

      // listImage should get exactly 3 repoTags in the result image [Conformance]
      List<String> same = new ArrayList<>();
      ids.clear();
      for (int i = 1; i <= 3; i++) {
        same.add(t.name("test-image-tags:" + i));
        ids.add(pullRef(same.get(i - 1)));
      }
      assertEquals(1, ids.stream().distinct().count(), "Only 1 image id should be returned");
      Image one =
          list().stream().filter(x -> x.getId().equals(ids.get(0))).findFirst().orElseThrow();
      assertEquals(
          same.stream().sorted().toList(),
          one.getRepoTagsList().stream().sorted().toList(),
          "Should have 3 repoTags in single image");
      same.forEach(this::removeImage);
      assertEquals(
          List.of(IMAGE), list().stream().flatMap(i -> i.getRepoTagsList().stream()).toList());
    }
  }

  @Test
  void imagesAreConsistentRightAfterPullAndRemovalAndUnderConcurrentRemovals() throws Exception {
    try (TestImages t = new TestImages(tmp.resolve("layout"))) {
      String tagged = t.name("test-image-tag:test");
      // should not list or get image status immediately after removal [Conformance]
      removeImage(tagged);
      pullRef(tagged);
      removeImage(tagged);
      assertFalse(list().stream().anyMatch(i -> i.getRepoTagsList().contains(tagged)));
      assertNull(imageStatus(tagged));
      // should list and get image status immediately after pulling [Conformance]
      pullRef(tagged);
      assertTrue(list().stream().anyMatch(i -> i.getRepoTagsList().contains(tagged)));
      assertNotNull(imageStatus(tagged));
      // should not fail on simultaneous RemoveImage calls [Conformance]
      String id = imageStatus(tagged).getId();
      ExecutorService pool = Executors.newFixedThreadPool(5);
      try {
        List<Future<Boolean>> found = new ArrayList<>();
        for (int i = 0; i < 5; i++)
          found.add(
              pool.submit(
                  () -> {
                    removeById(id);
                    return imageStatus(id) != null;
                  }));
        for (Future<Boolean> f : found)
          assertFalse(f.get(60, TimeUnit.SECONDS), "Image should be missing after RemoveImage");
      } finally {
        pool.shutdownNow();
      }
      assertNull(imageStatus(id));
    }
  }

  @Test
  void theImageIdIsTheSameInEveryAnswerAndImageVolumesAreRefusedAsUnimplemented() throws Exception {
    try (TestImages t = new TestImages(tmp.resolve("layout"))) {
      // should return the same image identifier across all APIs [Conformance]
      String tagged = t.name("test-image-tag:test");
      String imageRef = pullRef(tagged);
      assertFalse(imageRef.isEmpty());
      assertEquals(imageRef, imageStatus(tagged).getId(), "Image.id MUST match image_ref");
      String pod = runPod(CritestPodsTest.defaultPod("create-PodSandbox-for-container-"));
      String id =
          create(
              pod,
              ContainerConfig.newBuilder()
                  .setMetadata(
                      ContainerMetadata.newBuilder()
                          .setName("id-consistency-" + UUID.randomUUID())
                          .setAttempt(2))
                  .setImage(
                      ImageSpec.newBuilder().setImage(imageRef).setUserSpecifiedImage(tagged)));
      rt().startContainer(StartContainerRequest.newBuilder().setContainerId(id).build());
      assertEquals(imageRef, status(id).getImageId());
      var containers =
          rt().listContainers(
                  ListContainersRequest.newBuilder()
                      .setFilter(ContainerFilter.newBuilder().setId(id))
                      .build())
              .getContainersList();
      assertEquals(1, containers.size());
      assertEquals(imageRef, containers.get(0).getImageId());
      rt().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());

      // should return the same image identifier when pulled from different registries
      // [Conformance]: the same registry by two of its names
      String other = tagged.replace("127.0.0.1:", "localhost:");
      assertTrue(!other.equals(tagged), other);
      assertEquals(imageRef, pullRef(other));
      assertEquals(imageRef, imageStatus(tagged).getId());
      assertEquals(imageRef, imageStatus(other).getId());
      String second =
          create(
              pod,
              ContainerConfig.newBuilder()
                  .setMetadata(
                      ContainerMetadata.newBuilder()
                          .setName("id-consistency-multi-registry-" + UUID.randomUUID())
                          .setAttempt(2))
                  .setImage(
                      ImageSpec.newBuilder().setImage(imageRef).setUserSpecifiedImage(other)));
      rt().startContainer(StartContainerRequest.newBuilder().setContainerId(second).build());
      assertEquals(imageRef, status(second).getImageId());

      // Image Volume [Feature:ImageVolume]: not implemented, and said so (critest skips then)
      Status.Code volume =
          code(
              () ->
                  create(
                      pod,
                      ContainerConfig.newBuilder()
                          .setMetadata(
                              ContainerMetadata.newBuilder()
                                  .setName("image-volume-mount-test-" + UUID.randomUUID())
                                  .setAttempt(2))
                          .setImage(ImageSpec.newBuilder().setImage(imageRef))
                          .addAllCommand(List.of("sh", "-c", "top"))
                          .addMounts(
                              Mount.newBuilder()
                                  .setContainerPath("/mnt/image-volume")
                                  .setReadonly(true)
                                  .setImage(ImageSpec.newBuilder().setImage(imageRef)))));
      assertEquals(Status.Code.UNIMPLEMENTED, volume);
      rt().stopPodSandbox(
              dev.berth.api.cri.v1.StopPodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
      rt().removePodSandbox(
              dev.berth.api.cri.v1.RemovePodSandboxRequest.newBuilder()
                  .setPodSandboxId(pod)
                  .build());
      removeImage(tagged);
      removeImage(other);
      assertNull(imageStatus(imageRef));
    }
  }

  // ---- critest's helpers ----

  static PullImageRequest pull(String ref) {
    return PullImageRequest.newBuilder()
        .setImage(ImageSpec.newBuilder().setImage(ref))
        .setSandboxConfig(PodSandboxConfig.getDefaultInstance())
        .build();
  }

  /** PullImage; returns its image_ref. */
  String pullRef(String ref) {
    return images().pullImage(pull(ref)).getImageRef();
  }

  /** ImageStatus' image, or null when there is none. */
  Image imageStatus(String ref) {
    var r =
        images()
            .imageStatus(
                ImageStatusRequest.newBuilder()
                    .setImage(ImageSpec.newBuilder().setImage(ref))
                    .build());
    return r.hasImage() ? r.getImage() : null;
  }

  List<Image> list() {
    return images()
        .listImages(
            ListImagesRequest.newBuilder().setFilter(ImageFilter.getDefaultInstance()).build())
        .getImagesList();
  }

  void removeById(String id) {
    images()
        .removeImage(
            RemoveImageRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(id)).build());
  }

  /** critest's removeImage: by the id its status gives, when there is one. */
  void removeImage(String ref) {
    Image s = imageStatus(ref);
    if (s != null) removeById(s.getId());
  }

  /** critest's testPullPublicImage: pulled, there (id, size), removed, gone. */
  Image pullStatusAndRemove(String pullRef, String statusRef) {
    removeImage(statusRef);
    pullRef(pullRef);
    Image s = imageStatus(statusRef);
    assertNotNull(s, "Should have one image in list");
    assertFalse(s.getId().isEmpty());
    assertTrue(s.getSize() > 0);
    removeImage(statusRef);
    assertNull(imageStatus(statusRef), "Should have none image in list");
    return s;
  }
}
