package dev.berth.api.cri;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.berth.api.cri.v1.RuntimeHandler;
import dev.berth.api.cri.v1.RuntimeServiceGrpc;
import dev.berth.api.cri.v1.StatusRequest;
import dev.berth.engine.Engine;
import dev.berth.engine.EngineConfig;
import dev.berth.testkit.RequiresRoot;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Status lists the runtime handlers a RuntimeClass may name: built in and from the config file. */
@RequiresRoot
class CriRuntimeHandlersTest {
  @TempDir Path tmp;

  @Test
  void statusListsTheDefaultTheBuiltInAndTheConfiguredHandlers() throws Exception {
    Path file = tmp.resolve("berth.json");
    Files.writeString(file, "{\"runtimes\": {\"kata-like\": {\"runtime\": \"/usr/bin/true\"}}}");
    Path socket = tmp.resolve("run/cri.sock");
    EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    try (Engine engine =
            Engine.open(
                EngineConfig.at(tmp.resolve("root"), tmp.resolve("run")).withConfigFile(file));
        CriServer server = CriServer.start(CriServer.Options.at(socket, "1"), engine)) {
      ManagedChannel channel =
          NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
              .channelType(EpollDomainSocketChannel.class)
              .eventLoopGroup(loop)
              .withOption(io.netty.channel.ChannelOption.SO_KEEPALIVE, null)
              .overrideAuthority("localhost")
              .usePlaintext()
              .build();
      try {
        List<RuntimeHandler> handlers =
            RuntimeServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(30, TimeUnit.SECONDS)
                .status(StatusRequest.getDefaultInstance())
                .getRuntimeHandlersList();
        List<String> names = handlers.stream().map(RuntimeHandler::getName).toList();
        assertEquals(List.of("", "berth", "runc", "crun", "berth-runc", "kata-like"), names);
        // recursive read-only mounts: berth's own runtime makes them (this kernel has
        // mount_setattr); of a runtime binary berth cannot tell
        assertEquals(
            List.of("", "berth"),
            handlers.stream()
                .filter(h -> h.getFeatures().getRecursiveReadOnlyMounts())
                .map(RuntimeHandler::getName)
                .toList());
        // user namespaces (hostUsers: false): berth's own runtime with the engine's idmapped root
        assertEquals(
            List.of("", "berth"),
            handlers.stream()
                .filter(h -> h.getFeatures().getUserNamespaces())
                .map(RuntimeHandler::getName)
                .toList());
        // verbose: where containers' root filesystems live, which critest probes for idmapping
        String config =
            RuntimeServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(30, TimeUnit.SECONDS)
                .status(StatusRequest.newBuilder().setVerbose(true).build())
                .getInfoOrThrow("config");
        assertEquals(
            "{\"rootDir\":\""
                + tmp.resolve("root").toAbsolutePath()
                + "\",\"stateDir\":\""
                + tmp.resolve("root").toAbsolutePath().resolve("containers")
                + "\"}",
            config);
        // This server has no streaming server: the streaming calls are not served.
        io.grpc.StatusRuntimeException none =
            org.junit.jupiter.api.Assertions.assertThrows(
                io.grpc.StatusRuntimeException.class,
                () ->
                    RuntimeServiceGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(30, TimeUnit.SECONDS)
                        .exec(dev.berth.api.cri.v1.ExecRequest.getDefaultInstance()));
        assertEquals(io.grpc.Status.Code.UNIMPLEMENTED, none.getStatus().getCode());
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    } finally {
      loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
  }
}
