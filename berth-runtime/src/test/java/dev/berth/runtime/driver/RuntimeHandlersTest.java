package dev.berth.runtime.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.runtime.ContainerException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Handler names to drivers, each on a state root of its own. */
class RuntimeHandlersTest {
  @TempDir Path base;

  @Test
  void theDefaultIsTheInProcessRuntime() throws Exception {
    RuntimeHandlers h = new RuntimeHandlers(base);
    InProcessDriver d = assertInstanceOf(InProcessDriver.class, h.get(null));
    assertEquals("berth", d.name());
    assertEquals(base.resolve("berth"), d.runtime().root());
    assertEquals(d, h.get(""));
    assertEquals(d, h.get("berth"));
  }

  @Test
  void knownBinariesEachHaveTheirOwnRoot() throws Exception {
    RuntimeHandlers h = new RuntimeHandlers(base);
    assertEquals(List.of("berth", "runc", "crun", "berth-runc"), h.names());
    for (String n : List.of("runc", "crun", "berth-runc")) {
      OciCliDriver d = assertInstanceOf(OciCliDriver.class, h.get(n));
      assertEquals(n, d.name());
      assertEquals(base.resolve(n), d.root());
    }
  }

  @Test
  void aConfiguredBinaryByPath() throws Exception {
    RuntimeHandlers h = new RuntimeHandlers(base);
    RuntimeDriver d = h.configure("kata", "/bin/true");
    assertEquals(d, h.get("kata"));
    assertEquals("/bin/true", ((OciCliDriver) d).binary());
    assertEquals(base.resolve("kata"), ((OciCliDriver) d).root());
  }

  @Test
  void configuredRootsAndTheInProcessRuntimeUnderAnotherName() throws Exception {
    RuntimeHandlers h = new RuntimeHandlers(base);
    OciCliDriver runc =
        assertInstanceOf(
            OciCliDriver.class,
            h.configure("runc", "runc", base.resolve("elsewhere"), List.of("--debug")));
    assertEquals(base.resolve("elsewhere"), runc.root());
    assertEquals(runc, h.get("runc"));
    InProcessDriver own =
        assertInstanceOf(InProcessDriver.class, h.configureInProcess("own", null));
    assertEquals("own", own.name());
    assertEquals(base.resolve("own"), own.runtime().root());
    assertEquals(base.resolve("berth"), ((InProcessDriver) h.get(null)).runtime().root());
    assertThrows(ContainerException.class, () -> h.configureInProcess("a/b", null));
  }

  @Test
  void badNamesAndBinariesAreRefusedNamingThem() throws Exception {
    RuntimeHandlers h = new RuntimeHandlers(base);
    ContainerException e = assertThrows(ContainerException.class, () -> h.get("runsc"));
    assertEquals("INVALID_ARGUMENT", e.category().name());
    assertTrue(e.getMessage().contains("unknown runtime handler \"runsc\""), e.getMessage());
    assertThrows(ContainerException.class, () -> h.configure("../x", "/bin/true"));
    assertThrows(ContainerException.class, () -> h.configure("-x", "/bin/true"));
    assertThrows(ContainerException.class, () -> h.configure("berth", "/bin/true"));
    RuntimeDriver missing = h.configure("nope", "no-such-runtime-binary");
    ContainerException m = assertThrows(ContainerException.class, () -> missing.state("c1"));
    assertEquals("INVALID_ARGUMENT", m.category().name());
    assertTrue(m.getMessage().contains("no-such-runtime-binary not found in PATH"), m.getMessage());
  }
}
