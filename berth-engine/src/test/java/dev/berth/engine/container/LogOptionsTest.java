package dev.berth.engine.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.berth.spec.error.BerthException;
import dev.berth.spec.error.ErrorCategory;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code --log-driver}/{@code --log-opt} checked as dockerd checks them, in its words. */
class LogOptionsTest {
  private static String refused(String driver, Map<String, String> options) {
    BerthException e =
        assertThrows(BerthException.class, () -> LogOptions.of(driver, options), driver);
    assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category());
    return e.getMessage();
  }

  @Test
  void driversAndOptionsAreCheckedAsDockerChecksThem() throws Exception {
    assertEquals("json-file", LogOptions.of("", Map.of()).driver());
    LogOptions rotated = LogOptions.of("json-file", Map.of("max-size", "10k", "max-file", "3"));
    assertEquals(10240L, rotated.maxSize());
    assertEquals(3, rotated.maxFiles());
    assertEquals(null, LogOptions.of("local", Map.of()).maxSize());
    assertEquals(true, LogOptions.of("none", Map.of()).none());
    assertEquals(
        "log driver syslog is not supported by berth (json-file, local and none are)",
        refused("syslog", Map.of()));
    assertEquals("logger: no log driver named 'nope' is registered", refused("nope", Map.of()));
    assertEquals(
        "unknown log opt 'max-bytes' for json-file log driver",
        refused("json-file", Map.of("max-bytes", "1")));
    assertEquals(
        "unknown log opt 'tag' for local log driver", refused("local", Map.of("tag", "x")));
    assertEquals(
        "unknown log opt 'max-size' for none log driver",
        refused("none", Map.of("max-size", "1m")));
    assertEquals("max-file cannot be less than 1", refused("local", Map.of("max-file", "0")));
    assertEquals(
        "compress: not a boolean: maybe", refused("json-file", Map.of("compress", "maybe")));
    refused("json-file", Map.of("max-size", "ten"));
  }

  @Test
  void whatIsAcceptedAndNotDoneIsSaid() throws Exception {
    assertEquals(
        List.of(
            "LogConfig compress=true is not supported by berth: rotated logs stay uncompressed.",
            "LogConfig tag is not supported by berth: log records carry no metadata."),
        LogOptions.of("json-file", Map.of("compress", "true", "tag", "{{.Name}}")).warnings());
    assertEquals(List.of(), LogOptions.of("json-file", Map.of("compress", "false")).warnings());
  }
}
