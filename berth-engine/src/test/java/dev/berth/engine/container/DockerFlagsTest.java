package dev.berth.engine.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.container.ContainerOptions.MountOption;
import dev.berth.engine.container.ContainerOptions.MountOption.Type;
import dev.berth.engine.container.ContainerOptions.UlimitOption;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DockerFlagsTest {

  private static String refused(Call c) {
    BerthException e = assertThrows(BerthException.class, c::run);
    assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category(), e.getMessage());
    return e.getMessage();
  }

  @FunctionalInterface
  interface Call {
    void run() throws Exception;
  }

  @Test
  void sizesAreBinaryUnitsAsDockersRamInBytes() throws Exception {
    assertEquals(100, DockerFlags.bytes("100"));
    assertEquals(100, DockerFlags.bytes("100b"));
    assertEquals(512 * 1024, DockerFlags.bytes("512k"));
    assertEquals(64L << 20, DockerFlags.bytes("64m"));
    assertEquals(64L << 20, DockerFlags.bytes("64M"));
    assertEquals(64L << 20, DockerFlags.bytes("64MiB"));
    assertEquals(64L << 20, DockerFlags.bytes("64mb"));
    assertEquals(1L << 30, DockerFlags.bytes("1g"));
    assertEquals(3L << 29, DockerFlags.bytes("1.5g"));
    assertEquals(2L << 40, DockerFlags.bytes("2t"));
    for (String bad : List.of("", "m", "-1m", "1x", "1.5.2g", "1 g b", ".5g", "64mm")) {
      String msg = refused(() -> DockerFlags.bytes(bad));
      assertTrue(msg.contains("invalid size: '" + bad + "'"), msg);
    }
  }

  @Test
  void cpusAreNanoCpus() throws Exception {
    assertEquals(1_500_000_000L, DockerFlags.nanoCpus("1.5"));
    assertEquals(10_000_000L, DockerFlags.nanoCpus("0.01"));
    assertEquals(2_000_000_000L, DockerFlags.nanoCpus("2"));
    assertTrue(refused(() -> DockerFlags.nanoCpus("abc")).contains("'abc'"));
    assertTrue(refused(() -> DockerFlags.nanoCpus("0.0000000001")).contains("too precise"));
    assertTrue(refused(() -> DockerFlags.nanoCpus("-1")).contains("negative"));
  }

  @Test
  void volumeFlagSyntax() throws Exception {
    MountOption bind = DockerFlags.volume("/host:/ctr:ro,rslave");
    assertEquals(
        new MountOption(Type.BIND, "/host", "/ctr", true, List.of("bind-propagation=rslave")),
        bind);
    assertEquals(
        new MountOption(Type.BIND, "/host", "/ctr", false, List.of()),
        DockerFlags.volume("/host:/ctr"));
    assertEquals(
        new MountOption(Type.BIND, "/h", "/c", false, List.of("Z")),
        DockerFlags.volume("/h:/c:rw,Z"));
    MountOption named = DockerFlags.volume("data:/data");
    assertEquals(new MountOption(Type.VOLUME, "data", "/data", false, List.of()), named);
    assertEquals(List.of("nocopy"), DockerFlags.volume("data:/data:nocopy").options());
    MountOption anon = DockerFlags.volume("/data");
    assertEquals(Type.VOLUME, anon.type());
    assertNull(anon.source());

    assertTrue(
        refused(() -> DockerFlags.volume("/data:ro"))
            .contains("invalid volume specification: '/data:ro'"));
    assertTrue(
        refused(() -> DockerFlags.volume("a:b:c:d")).contains("invalid volume specification"));
    assertTrue(refused(() -> DockerFlags.volume("/h:ctr")).contains("must be absolute"));
    assertTrue(refused(() -> DockerFlags.volume("/h:/")).contains("destination can't be '/'"));
    assertTrue(refused(() -> DockerFlags.volume("/h:/c:rw,ro")).contains("invalid mode: rw,ro"));
    assertTrue(refused(() -> DockerFlags.volume("/h:/c:bogus")).contains("invalid mode: bogus"));
    assertTrue(refused(() -> DockerFlags.volume("/h:/c:nocopy")).contains("nocopy"));
    assertTrue(
        refused(() -> DockerFlags.volume("bad name:/c"))
            .contains("invalid characters for a local volume"));
  }

  @Test
  void mountFlagSyntax() throws Exception {
    assertEquals(
        new MountOption(Type.BIND, "/a", "/b", true, List.of("bind-propagation=rslave")),
        DockerFlags.mount("type=bind,source=/a,target=/b,readonly,bind-propagation=rslave"));
    assertEquals(
        new MountOption(Type.VOLUME, "name", "/x", false, List.of("nocopy")),
        DockerFlags.mount("type=volume,src=name,dst=/x,volume-nocopy"));
    assertEquals(
        new MountOption(Type.VOLUME, null, "/x", false, List.of()), DockerFlags.mount("target=/x"));
    assertEquals(
        new MountOption(
            Type.TMPFS, null, "/t", false, List.of("tmpfs-size=67108864", "tmpfs-mode=1777")),
        DockerFlags.mount("type=tmpfs,dst=/t,tmpfs-size=64m,tmpfs-mode=1777"));
    assertTrue(DockerFlags.mount("type=bind,src=/a,dst=/b,readonly=true").readOnly());
    assertFalse(DockerFlags.mount("type=bind,src=/a,dst=/b,ro=false").readOnly());

    assertTrue(
        refused(() -> DockerFlags.mount("type=bind,source=/a")).contains("target is required"));
    assertTrue(
        refused(() -> DockerFlags.mount("type=nfs,dst=/a")).contains("invalid mount type 'nfs'"));
    assertTrue(
        refused(() -> DockerFlags.mount("type=bind,dst=/a,colour=red"))
            .contains("unexpected key 'colour'"));
    assertTrue(
        refused(() -> DockerFlags.mount("type=bind,dst=/a,source"))
            .contains("must be a key=value pair"));
    assertTrue(
        refused(() -> DockerFlags.mount("type=bind,dst=/b"))
            .contains("field Source must not be empty"));
    assertTrue(
        refused(() -> DockerFlags.mount("type=bind,src=rel,dst=/b"))
            .contains("'rel' mount path must be absolute"));
    assertTrue(
        refused(() -> DockerFlags.mount("type=tmpfs,src=/a,dst=/b"))
            .contains("Source must not be specified"));
    assertTrue(
        refused(() -> DockerFlags.mount("type=volume,dst=/b,tmpfs-size=1m"))
            .contains("cannot mix 'tmpfs-size' options with type 'volume'"));
    assertTrue(
        refused(() -> DockerFlags.mount("type=bind,src=/a,dst=/b,bind-propagation=sideways"))
            .contains("invalid bind-propagation 'sideways'"));
    assertTrue(
        refused(() -> DockerFlags.mount("type=tmpfs,dst=/t,tmpfs-size=lots"))
            .contains("invalid size: 'lots'"));
    assertTrue(
        refused(() -> DockerFlags.mount("type=tmpfs,dst=/t,tmpfs-mode=999"))
            .contains("tmpfs-mode '999'"));
  }

  @Test
  void tmpfsFlagKeepsMountOptions() throws Exception {
    MountOption t = DockerFlags.tmpfs("/t:size=64m,mode=1777,exec");
    assertEquals(
        new MountOption(Type.TMPFS, null, "/t", false, List.of("size=64m", "mode=1777", "exec")),
        t);
    assertTrue(DockerFlags.tmpfs("/r:ro").readOnly());
    assertEquals(List.of(), DockerFlags.tmpfs("/plain").options());
    assertTrue(refused(() -> DockerFlags.tmpfs("t:size=1m")).contains("must be absolute"));
  }

  @Test
  void ulimitFlag() throws Exception {
    assertEquals(new UlimitOption("nofile", 1024, 2048), DockerFlags.ulimit("nofile=1024:2048"));
    assertEquals(new UlimitOption("nproc", 100, 100), DockerFlags.ulimit("nproc=100"));
    assertEquals(new UlimitOption("core", -1, -1), DockerFlags.ulimit("core=unlimited"));
    assertEquals(new UlimitOption("memlock", 64, -1), DockerFlags.ulimit("memlock=64:-1"));
    assertTrue(
        refused(() -> DockerFlags.ulimit("nofile")).contains("invalid ulimit argument: nofile"));
    assertTrue(refused(() -> DockerFlags.ulimit("files=1")).contains("invalid ulimit type: files"));
    assertTrue(
        refused(() -> DockerFlags.ulimit("nofile=1:2:3"))
            .contains("too many limit value arguments"));
    assertTrue(
        refused(() -> DockerFlags.ulimit("nofile=2048:1024"))
            .contains("ulimit soft limit must be less than or equal to hard limit: 2048 > 1024"));
    assertTrue(refused(() -> DockerFlags.ulimit("nofile=lots")).contains("'lots'"));
  }

  @Test
  void envFileLines() throws Exception {
    String file = "\uFEFF# comment\n\nA=1\n  B=spaced value \nC\nD\nE=\nF=x=y\r\n";
    List<String> env =
        DockerFlags.envFile(
            file.getBytes(StandardCharsets.UTF_8), "app.env", Map.of("C", "from-env"));
    // Leading blanks go, the value is kept as written; C comes from the environment, D stays bare
    // (unset).
    assertEquals(List.of("A=1", "B=spaced value ", "C=from-env", "D", "E=", "F=x=y"), env);
    assertTrue(
        refused(
                () ->
                    DockerFlags.envFile("=x\n".getBytes(StandardCharsets.UTF_8), "a.env", Map.of()))
            .contains("no variable name on line 1"));
    assertTrue(
        refused(
                () ->
                    DockerFlags.envFile(
                        "B =x\n".getBytes(StandardCharsets.UTF_8), "a.env", Map.of()))
            .contains("variable 'B ' contains whitespaces"));
    assertTrue(
        refused(
                () ->
                    DockerFlags.envFile(
                        "MY VAR\n".getBytes(StandardCharsets.UTF_8), "a.env", Map.of()))
            .contains("variable 'MY VAR' contains whitespaces"));
    assertTrue(
        refused(() -> DockerFlags.envFile(new byte[] {'A', '=', (byte) 0xff}, "bin.env", Map.of()))
            .contains("bin.env contains invalid utf8"));
  }

  /**
   * --mount is read as CSV, as docker's: a quoted field keeps its commas; volume-opt and
   * volume-label are kept for the volume's creation; another volume driver is a missing plugin; a
   * quote left open, an option that is no KEY=VALUE, or one for another type, is refused.
   */
  @Test
  void mountVolumeOptionsAndCsvQuoting() throws Exception {
    MountOption m =
        DockerFlags.mount(
            "type=volume,src=vol,dst=/data,volume-opt=type=tmpfs,\"volume-opt=o=size=1m,uid=1\","
                + "volume-label=team=a,volume-driver=local");
    assertEquals(
        List.of("volume-opt=type=tmpfs", "volume-opt=o=size=1m,uid=1", "volume-label=team=a"),
        m.options());
    assertEquals(
        List.of("a\"b,c", "d"), DockerFlags.csvFields(DockerFlags.csvField("a\"b,c") + ",d"));
    BerthException plugin =
        assertThrows(
            BerthException.class,
            () -> DockerFlags.mount("type=volume,dst=/d,volume-driver=convoy"));
    assertEquals(ErrorCategory.NOT_FOUND, plugin.category());
    for (String bad :
        List.of(
            "type=volume,dst=/d,\"volume-opt=o=size=1m",
            "type=volume,dst=/d,volume-opt=novalue",
            "type=bind,src=/tmp,dst=/d,volume-opt=type=tmpfs")) {
      BerthException e = assertThrows(BerthException.class, () -> DockerFlags.mount(bad), bad);
      assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category(), bad);
    }
  }
}
