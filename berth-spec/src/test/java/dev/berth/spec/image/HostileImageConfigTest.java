package dev.berth.spec.image;

import static dev.berth.spec.image.TestFiles.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.spec.json.SpecException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Healthcheck values of an image config that would make berthd probe without pause. */
class HostileImageConfigTest {
  static ImageConfig config(String healthcheck) throws SpecException {
    return ImageJson.readConfig(
        utf8(
            "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Healthcheck\":"
                + healthcheck
                + "},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}"),
        "config");
  }

  @Test
  void anImagesSubMillisecondDurationsCountAsUnsetSoDockersDefaultsApply() throws Exception {
    Healthcheck image =
        config(
                "{\"Test\":[\"CMD\",\"true\"],\"Interval\":1,\"Timeout\":1,\"StartPeriod\":999999,"
                    + "\"StartInterval\":1,\"Retries\":2}")
            .config()
            .healthcheck();
    Healthcheck merged = Healthcheck.merge(image, null);
    assertEquals(new Healthcheck(List.of("CMD", "true"), 0, 0, 0, 0, 2), merged);
    assertEquals(Healthcheck.DEFAULT_INTERVAL, merged.intervalOrDefault());
    assertEquals(Healthcheck.DEFAULT_TIMEOUT, merged.timeoutOrDefault());
    // the container's own fields still win, and the image's sound ones still apply
    Healthcheck container = new Healthcheck(List.of(), 0, 2_000_000_000L, 0, 0, 0);
    Healthcheck sound =
        config("{\"Test\":[\"CMD\",\"true\"],\"Interval\":5000000000,\"Timeout\":1}")
            .config()
            .healthcheck();
    assertEquals(
        new Healthcheck(List.of("CMD", "true"), 5_000_000_000L, 2_000_000_000L, 0, 0, 0),
        Healthcheck.merge(sound, container));
    assertEquals(
        new Healthcheck(List.of("CMD", "true"), 5_000_000_000L, 0, 0, 0, 0),
        Healthcheck.merge(sound, null));
  }

  @Test
  void negativeDurationsAndRetriesAreRefusedNamingTheField() {
    for (String bad :
        List.of(
            "{\"Interval\":-1}",
            "{\"Timeout\":-5}",
            "{\"StartPeriod\":-1}",
            "{\"StartInterval\":-9223372036854775808}",
            "{\"Retries\":-1}")) {
      SpecException e = assertThrows(SpecException.class, () -> config(bad), bad);
      assertTrue(e.getMessage().contains("config.Healthcheck"), e.getMessage());
    }
    SpecException e =
        assertThrows(SpecException.class, () -> config("{\"Interval\":99999999999999999999}"));
    assertTrue(e.getMessage().contains("Interval"), e.getMessage());
  }
}
