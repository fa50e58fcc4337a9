package dev.berth.api.cri;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.api.cri.v1.AuthConfig;
import dev.berth.api.cri.v1.CgroupDriver;
import dev.berth.api.cri.v1.FilesystemUsage;
import dev.berth.api.cri.v1.Image;
import dev.berth.api.cri.v1.ImageFilter;
import dev.berth.api.cri.v1.ImageFsInfoRequest;
import dev.berth.api.cri.v1.ImageServiceGrpc;
import dev.berth.api.cri.v1.ImageSpec;
import dev.berth.api.cri.v1.ImageStatusRequest;
import dev.berth.api.cri.v1.ImageStatusResponse;
import dev.berth.api.cri.v1.ListImagesRequest;
import dev.berth.api.cri.v1.PodSandboxConfig;
import dev.berth.api.cri.v1.PullImageRequest;
import dev.berth.api.cri.v1.RemoveImageRequest;
import dev.berth.api.cri.v1.RuntimeCondition;
import dev.berth.api.cri.v1.RuntimeConfigRequest;
import dev.berth.api.cri.v1.RuntimeServiceGrpc;
import dev.berth.api.cri.v1.StatusRequest;
import dev.berth.api.cri.v1.VersionRequest;
import dev.berth.api.cri.v1.VersionResponse;
import dev.berth.engine.Engine;
import dev.berth.engine.EngineConfig;
import dev.berth.spec.image.MediaTypes.Compression;
import dev.berth.testkit.RequiresCommand;
import dev.berth.testkit.RequiresRoot;
import dev.berth.testkit.image.ImageConfig;
import dev.berth.testkit.image.LayerTar;
import dev.berth.testkit.image.OciLayoutBuilder;
import dev.berth.testkit.image.Skopeo;
import dev.berth.testkit.image.TarEntry;
import dev.berth.testkit.registry.LocalRegistry;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * berthd's CRI on a real Unix socket, driven by a grpc-java client from the same generated stubs
 * over netty epoll, on a real engine store in a temporary directory.
 */
@RequiresRoot
@org.junit.jupiter.api.Timeout(120)
class CriServerTest {
  @TempDir Path tmp;
  Path socket;
  Path cniDir;
  Engine engine;
  CriServer server;
  EventLoopGroup clientLoop;
  ManagedChannel channel;
  RuntimeServiceGrpc.RuntimeServiceBlockingStub runtime;
  ImageServiceGrpc.ImageServiceBlockingStub images;

  @BeforeEach
  void start() throws Exception {
    cniDir = Files.createDirectories(tmp.resolve("cni"));
    engine =
        Engine.open(
            EngineConfig.at(tmp.resolve("root"), tmp.resolve("run"))
                .withCniPluginDirs(List.of(cniDir)));
    socket = tmp.resolve("run/cri.sock");
    Files.createDirectories(socket.getParent());
    Files.writeString(socket, ""); // stale: a plain file is refused, a dead socket replaced
    Files.delete(socket);
    server = CriServer.start(CriServer.Options.at(socket, "9.8.7"), engine);
    clientLoop = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    channel =
        NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
            .channelType(EpollDomainSocketChannel.class)
            .eventLoopGroup(clientLoop)
            .withOption(io.netty.channel.ChannelOption.SO_KEEPALIVE, null) // none on a Unix socket
            .overrideAuthority("localhost")
            .usePlaintext()
            .build();
    runtime = RuntimeServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    images = ImageServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    clientLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    server.close();
    engine.close();
  }

  @Test
  void versionIsWhatTheKubeletRequires() {
    VersionResponse v = runtime.version(VersionRequest.newBuilder().setVersion("v1").build());
    assertEquals("0.1.0", v.getVersion());
    assertEquals("berth", v.getRuntimeName());
    assertEquals("9.8.7", v.getRuntimeVersion());
    assertEquals("v1", v.getRuntimeApiVersion());
    assertEquals(
        CgroupDriver.CGROUPFS,
        runtime
            .runtimeConfig(RuntimeConfigRequest.getDefaultInstance())
            .getLinux()
            .getCgroupDriver());
    // the kubelet's pod CIDR at its start: accepted (it answered UNIMPLEMENTED, an error the
    // kubelet logs and retries)
    runtime.updateRuntimeConfig(
        dev.berth.api.cri.v1.UpdateRuntimeConfigRequest.newBuilder()
            .setRuntimeConfig(
                dev.berth.api.cri.v1.RuntimeConfig.newBuilder()
                    .setNetworkConfig(
                        dev.berth.api.cri.v1.NetworkConfig.newBuilder()
                            .setPodCidr("10.244.0.0/24")))
            .build());
  }

  @Test
  void networkIsReadyOnlyWithTheCniPlugins() throws Exception {
    RuntimeCondition rt = condition("RuntimeReady");
    assertTrue(rt.getStatus(), rt.toString());
    RuntimeCondition net = condition("NetworkReady");
    assertFalse(net.getStatus());
    assertEquals("NetworkPluginNotReady", net.getReason());
    assertTrue(
        net.getMessage().contains("bridge, host-local, loopback, portmap")
            && net.getMessage().contains(cniDir.toString()),
        net.getMessage());

    for (String p : List.of("bridge", "host-local", "loopback")) plugin(p);
    net = condition("NetworkReady");
    assertFalse(net.getStatus());
    assertTrue(net.getMessage().startsWith("CNI plugins portmap not found"), net.getMessage());

    plugin("portmap");
    net = condition("NetworkReady");
    assertTrue(net.getStatus(), net.toString());
    assertEquals("", net.getReason());
  }

  private void plugin(String name) throws Exception {
    Path p = cniDir.resolve(name);
    Files.writeString(p, "#!/bin/sh\nexit 1\n");
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  private RuntimeCondition condition(String type) {
    return runtime
        .status(StatusRequest.getDefaultInstance())
        .getStatus()
        .getConditionsList()
        .stream()
        .filter(c -> c.getType().equals(type))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void callsNotServedYetAndUnknownMethodsAreUnimplemented() {
    StatusRuntimeException pod =
        assertThrows(
            StatusRuntimeException.class,
            () ->
                runtime.checkpointContainer(
                    dev.berth.api.cri.v1.CheckpointContainerRequest.getDefaultInstance()));
    assertEquals(Status.Code.UNIMPLEMENTED, pod.getStatus().getCode());

    MethodDescriptor<VersionRequest, VersionResponse> unknown =
        MethodDescriptor.<VersionRequest, VersionResponse>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName("runtime.v1.RuntimeService/NoSuchCall")
            .setRequestMarshaller(ProtoUtils.marshaller(VersionRequest.getDefaultInstance()))
            .setResponseMarshaller(ProtoUtils.marshaller(VersionResponse.getDefaultInstance()))
            .build();
    StatusRuntimeException e =
        assertThrows(
            StatusRuntimeException.class,
            () ->
                ClientCalls.blockingUnaryCall(
                    channel,
                    unknown,
                    io.grpc.CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS),
                    VersionRequest.getDefaultInstance()));
    assertEquals(Status.Code.UNIMPLEMENTED, e.getStatus().getCode());
  }

  @Test
  void aMessageOverSixteenMegabytesIsRefusedAndTheServerAnswersOn() {
    PullImageRequest big =
        PullImageRequest.newBuilder()
            .setImage(
                ImageSpec.newBuilder()
                    .setImage("busybox")
                    .putAnnotations("padding", "x".repeat(20 << 20)))
            .build();
    StatusRuntimeException e =
        assertThrows(StatusRuntimeException.class, () -> images.pullImage(big));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode(), e.toString());
    assertEquals("0.1.0", runtime.version(VersionRequest.getDefaultInstance()).getVersion());
  }

  @Test
  void theSocketIsForRootAndItsGroupAndGoesAtClose() throws Exception {
    assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
    java.io.IOException busy =
        assertThrows(
            java.io.IOException.class,
            () -> CriServer.start(CriServer.Options.at(socket, "x"), engine));
    assertTrue(busy.getMessage().contains("another daemon serves"), busy.getMessage());
    server.close();
    assertFalse(Files.exists(socket));
  }

  @Test
  @RequiresCommand({"docker-registry", "skopeo", "htpasswd", "openssl"})
  void imagesArePulledListedInspectedAndRemoved() throws Exception {
    try (LocalRegistry registry = LocalRegistry.basicAuth()) {
      OciLayoutBuilder layout = new OciLayoutBuilder(tmp.resolve("layout"));
      OciLayoutBuilder.Layer layer =
          layout.layer(new LayerTar().add(TarEntry.file("hello", "world")), Compression.GZIP);
      OciLayoutBuilder.Image named =
          layout.image(
              OciLayoutBuilder.AMD64, ImageConfig.busybox().withUser("nobody"), List.of(layer));
      OciLayoutBuilder.Image numeric =
          layout.image(
              OciLayoutBuilder.AMD64, ImageConfig.busybox().withUser("1000:1000"), List.of(layer));
      layout.tag("named", named.manifest()).tag("numeric", numeric.manifest());
      String creds = registry.user() + ":" + registry.password();
      String app = registry.address() + "/cri/app:v1";
      String uid = registry.address() + "/cri/uid:v1";
      Skopeo.copy("oci:" + layout.dir() + ":named", "docker://" + app, "--dest-creds", creds);
      Skopeo.copy("oci:" + layout.dir() + ":numeric", "docker://" + uid, "--dest-creds", creds);

      // the registry wants credentials: none given and none stored
      StatusRuntimeException refused =
          assertThrows(StatusRuntimeException.class, () -> images.pullImage(pull(app, null)));
      assertEquals(Status.Code.UNAUTHENTICATED, refused.getStatus().getCode(), refused.toString());

      AuthConfig userPassword =
          AuthConfig.newBuilder()
              .setUsername(registry.user())
              .setPassword(registry.password())
              .build();
      assertEquals(
          named.config().digest().toString(),
          images.pullImage(pull(app, userPassword)).getImageRef());
      AuthConfig basic =
          AuthConfig.newBuilder()
              .setAuth(Base64.getEncoder().encodeToString(creds.getBytes(StandardCharsets.UTF_8)))
              .build();
      assertEquals(
          numeric.config().digest().toString(), images.pullImage(pull(uid, basic)).getImageRef());

      // missing and malformed references
      String none = registry.address() + "/cri/none:1";
      StatusRuntimeException missing =
          assertThrows(StatusRuntimeException.class, () -> images.pullImage(pull(none, basic)));
      assertEquals(Status.Code.NOT_FOUND, missing.getStatus().getCode(), missing.toString());
      assertTrue(missing.getStatus().getDescription().contains(none), missing.toString());
      StatusRuntimeException malformed =
          assertThrows(
              StatusRuntimeException.class, () -> images.pullImage(pull("Bad//Ref::x", basic)));
      assertEquals(Status.Code.INVALID_ARGUMENT, malformed.getStatus().getCode());

      // list, as containerd: full references, the config digest as id, the user split
      List<Image> all = images.listImages(ListImagesRequest.getDefaultInstance()).getImagesList();
      assertEquals(2, all.size(), all.toString());
      Image a = images.listImages(filter(app)).getImages(0);
      assertEquals(named.config().digest().toString(), a.getId());
      assertEquals(List.of(app), a.getRepoTagsList());
      assertEquals(
          List.of(registry.address() + "/cri/app@" + named.manifest().digest()),
          a.getRepoDigestsList());
      assertTrue(a.getSize() > 0);
      assertEquals("nobody", a.getUsername());
      assertFalse(a.hasUid());
      assertFalse(a.getPinned());
      assertEquals(a.getId(), a.getSpec().getImage());
      assertEquals(
          0, images.listImages(filter(registry.address() + "/cri/none:1")).getImagesCount());

      ImageStatusResponse s =
          images.imageStatus(
              ImageStatusRequest.newBuilder()
                  .setImage(ImageSpec.newBuilder().setImage(uid))
                  .setVerbose(true)
                  .build());
      assertEquals(1000, s.getImage().getUid().getValue());
      assertEquals("", s.getImage().getUsername());
      assertTrue(s.getInfoOrThrow("info").contains("\"imageSpec\":{"), s.getInfoMap().toString());
      assertTrue(
          s.getInfoOrThrow("info").contains("\"User\":\"1000:1000\""), s.getInfoMap().toString());
      // by id too
      assertEquals(s.getImage(), images.imageStatus(status(s.getImage().getId())).getImage());

      FilesystemUsage fs =
          images.imageFsInfo(ImageFsInfoRequest.getDefaultInstance()).getImageFilesystems(0);
      assertEquals(tmp.resolve("root/snapshots").toString(), fs.getFsId().getMountpoint());
      assertTrue(fs.getUsedBytes().getValue() > 0, fs.toString());
      assertTrue(fs.getInodesUsed().getValue() >= 3, fs.toString()); // the dir, the layer, "hello"
      assertTrue(fs.getTimestamp() > 0);

      // remove: gone from status and list; again, or never there, is fine
      images.removeImage(RemoveImageRequest.newBuilder().setImage(spec(app)).build());
      assertFalse(images.imageStatus(status(app)).hasImage());
      images.removeImage(RemoveImageRequest.newBuilder().setImage(spec(app)).build());
      images.removeImage(RemoveImageRequest.newBuilder().setImage(spec(none)).build());
      assertEquals(
          List.of(numeric.config().digest().toString()),
          images.listImages(ListImagesRequest.getDefaultInstance()).getImagesList().stream()
              .map(Image::getId)
              .toList());
      assertFalse(images.imageStatus(status(none)).hasImage());
    }
  }

  private static ImageSpec spec(String ref) {
    return ImageSpec.newBuilder().setImage(ref).build();
  }

  private static ImageStatusRequest status(String ref) {
    return ImageStatusRequest.newBuilder().setImage(spec(ref)).build();
  }

  private static ListImagesRequest filter(String ref) {
    return ListImagesRequest.newBuilder()
        .setFilter(ImageFilter.newBuilder().setImage(spec(ref)))
        .build();
  }

  private static PullImageRequest pull(String ref, AuthConfig auth) {
    PullImageRequest.Builder b =
        PullImageRequest.newBuilder()
            .setImage(spec(ref))
            .setSandboxConfig(PodSandboxConfig.getDefaultInstance());
    if (auth != null) b.setAuth(auth);
    return b.build();
  }
}
