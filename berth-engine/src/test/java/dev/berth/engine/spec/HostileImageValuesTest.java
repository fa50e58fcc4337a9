package dev.berth.engine.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.container.ContainerOptions;
import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import dev.berth.spec.image.ImageConfig;
import dev.berth.spec.image.ImageJson;
import dev.berth.spec.json.JsonWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * An image config's StopSignal is used host-side (the signal berth stop sends): one out of range,
 * unknown or made of control characters is refused at create with a one-line error naming it, and a
 * sound one (names, numbers, RTMIN+n) is the signal it names.
 */
class HostileImageValuesTest {
  static ImageConfig.ContainerConfig image(String stopSignal) throws Exception {
    JsonWriter w = new JsonWriter(JsonWriter.COMPACT);
    w.beginObject().field("architecture", "amd64").field("os", "linux");
    w.name("config").beginObject().field("StopSignal", stopSignal).endObject();
    w.name("rootfs").beginObject().field("type", "layers").name("diff_ids").beginArray();
    w.endArray().endObject().endObject();
    return ImageJson.readConfig(w.toByteArray(), "config").config();
  }

  static final ContainerOptions PLAIN = new ContainerOptions.Builder("x").build();

  @Test
  void anImagesStopSignalOutOfRangeOrUnknownIsRefusedOnOneLine() throws Exception {
    for (String bad :
        List.of(
            "0",
            "65",
            "-9",
            "99999999999999999999",
            "SIGFOO",
            "SIGRTMIN+99",
            "RTMAX-99",
            "KILL\nforged log line",
            "\u001b[2J",
            "SIG" + "X".repeat(10_000))) {
      BerthException e =
          assertThrows(BerthException.class, () -> SpecGenerator.stopSignal(PLAIN, image(bad)));
      assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category(), bad);
      assertTrue(e.getMessage().startsWith("invalid signal: "), e.getMessage());
      assertFalse(
          e.getMessage().contains("\n") || e.getMessage().contains("\u001b"), e.getMessage());
      assertTrue(e.getMessage().length() < 100, e.getMessage());
    }
    assertEquals(9, SpecGenerator.stopSignal(PLAIN, image("SIGKILL")));
    assertEquals(9, SpecGenerator.stopSignal(PLAIN, image("9")));
    assertEquals(64, SpecGenerator.stopSignal(PLAIN, image("SIGRTMAX")));
    assertEquals(35, SpecGenerator.stopSignal(PLAIN, image("RTMIN+1")));
    assertEquals(15, SpecGenerator.stopSignal(PLAIN, image("")));
  }
}
