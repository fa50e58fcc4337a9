package dev.berth.runtime.cgroups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.berth.spec.runtime.DeviceRule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResourceValuesTest {
  @Test
  void sharesMapOntoCpuWeightAsOtherRuntimesMapThem() {
    assertEquals(1, ResourceValues.cpuWeight(2));
    assertEquals(
        39, ResourceValues.cpuWeight(1024), "the v1 default lands where runc and crun put it");
    assertEquals(10000, ResourceValues.cpuWeight(262144));
    // Out of the kernel's range: clamped, never a weight the kernel refuses.
    assertEquals(1, ResourceValues.cpuWeight(1));
    assertEquals(10000, ResourceValues.cpuWeight(1_000_000));
  }

  @Test
  void blkioWeightMapsOntoIoWeight() {
    assertEquals(1, ResourceValues.ioWeight(10));
    assertEquals(4950, ResourceValues.ioWeight(500));
    assertEquals(10000, ResourceValues.ioWeight(1000));
  }

  @Test
  void cpuMaxIsQuotaThenPeriod() {
    assertEquals("50000 100000", ResourceValues.cpuMax(50000L, 100000L));
    assertEquals("50000", ResourceValues.cpuMax(50000L, null), "the period stays as it is");
    assertEquals("max 100000", ResourceValues.cpuMax(-1L, 100000L));
    assertEquals("max 250000", ResourceValues.cpuMax(0L, 250000L));
    assertNull(ResourceValues.cpuMax(null, null));
    assertNull(ResourceValues.cpuMax(0L, 0L));
  }

  @Test
  void swapIsMemoryPlusSwapInTheSpecAndSwapAloneOnV2() throws Exception {
    assertEquals(100L, ResourceValues.swapMax(200L, 100L));
    assertEquals(0L, ResourceValues.swapMax(100L, 100L), "swap == limit: no swap at all");
    assertEquals(-1L, ResourceValues.swapMax(-1L, 100L));
    assertEquals(
        -1L, ResourceValues.swapMax(null, -1L), "unlimited memory, swap not given: unlimited swap");
    assertNull(ResourceValues.swapMax(null, 100L));
    assertNull(ResourceValues.swapMax(0L, 0L));
    assertEquals(
        "linux.resources.memory.swap: 50 is below memory.limit 100 (swap is memory+swap)",
        assertThrows(CgroupException.class, () -> ResourceValues.swapMax(50L, 100L)).getMessage());
    assertThrows(CgroupException.class, () -> ResourceValues.swapMax(100L, null));
  }

  @Test
  void deviceRulesUseWildcardsForWhatIsMissing() throws Exception {
    assertEquals(
        "c 1:3 rwm", ResourceValues.deviceRule(new DeviceRule(true, "c", 1L, 3L, "rwm"), 0));
    assertEquals(
        "a *:* rwm", ResourceValues.deviceRule(new DeviceRule(false, null, null, null, null), 0));
    assertEquals("b 8:* r", ResourceValues.deviceRule(new DeviceRule(true, "b", 8L, null, "r"), 0));
    assertEquals(
        "linux.resources.devices[2].type: must be a, b or c (got \"p\")",
        assertThrows(
                CgroupException.class,
                () -> ResourceValues.deviceRule(new DeviceRule(true, "p", 1L, 3L, "rwm"), 2))
            .getMessage());
    // Letters other than r, w and m are ignored, as runc ignores them; a rule left with none is no
    // rule.
    assertEquals(
        "c 1:3 rw", ResourceValues.deviceRule(new DeviceRule(true, "c", 1L, 3L, "rwx"), 0));
    assertEquals(null, ResourceValues.deviceRule(new DeviceRule(true, "c", 1L, 3L, "x"), 0));
  }

  @Test
  void hugePageSizesAreNamedAsTheKernelNamesTheirFiles(@TempDir Path sys) throws Exception {
    Files.createDirectories(sys.resolve("hugepages-2048kB"));
    Files.createDirectories(sys.resolve("hugepages-1048576kB"));
    assertEquals(
        List.of("1GB", "2MB"), ResourceValues.hugePageSizes(sys).stream().sorted().toList());
    assertEquals("64KB", ResourceValues.pageSizeName(64));
    assertEquals(List.of(), ResourceValues.hugePageSizes(sys.resolve("missing")));
  }

  @Test
  void countsReadMaxAndHugeUnsignedValuesAsUnlimited() {
    assertEquals(Long.MAX_VALUE, ResourceValues.parseCount("max"));
    assertEquals(Long.MAX_VALUE, ResourceValues.parseCount("18446744073709551615"));
    assertEquals(9223372036854771712L, ResourceValues.parseCount("9223372036854771712"));
    assertEquals(0, ResourceValues.parseCount(""));
  }
}
