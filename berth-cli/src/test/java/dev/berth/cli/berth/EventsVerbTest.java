package dev.berth.cli.berth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.events.Event;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How berth events prints and filters, as docker's. */
class EventsVerbTest {
  private static final Event DIE =
      new Event(
          Instant.parse("2026-12-05T20:31:41.1234Z"),
          "container",
          "die",
          "abc",
          Map.of("name", "web", "image", "busybox", "exitCode", "3", "tier", "front"));

  @Test
  void timesHaveNineFractionDigitsInLocalTime() {
    assertEquals(
        "2026-12-05T20:31:41.123400000Z", EventsVerb.localTime(DIE.time(), ZoneId.of("UTC")));
    assertEquals(
        "2026-12-05T21:31:41.123400000+01:00",
        EventsVerb.localTime(DIE.time(), ZoneId.of("Europe/Paris")));
    assertEquals(
        "2026-12-05T15:01:41.123400000-05:30",
        EventsVerb.localTime(DIE.time(), java.time.ZoneOffset.ofHoursMinutes(-5, -30)));
  }

  @Test
  void theLineListsAttributesSortedByKey() {
    assertTrue(
        EventsVerb.line(DIE)
            .endsWith(" container die abc (exitCode=3, image=busybox, name=web, tier=front)"),
        EventsVerb.line(DIE));
  }

  @Test
  void filtersOfOneKeyAreOredAndOfDifferentKeysAnded() throws Exception {
    assertTrue(
        dev.berth.engine.events.EventFilter.parse(List.of("event=start", "event=die"))
            .matches(DIE));
    assertTrue(
        dev.berth.engine.events.EventFilter.parse(List.of("container=web", "label=tier=front"))
            .matches(DIE));
    assertFalse(
        dev.berth.engine.events.EventFilter.parse(List.of("container=web", "label=tier=back"))
            .matches(DIE));
    assertTrue(
        dev.berth.engine.events.EventFilter.parse(
                List.of("container=ab", "image=busybox", "type=container"))
            .matches(DIE));
    Event exec = new Event(DIE.time(), "container", "exec_start: sh -c true", "abc", Map.of());
    assertTrue(
        dev.berth.engine.events.EventFilter.parse(List.of("event=exec_start")).matches(exec));
    // volume= and network= pick those objects' events by name or id, not containers'
    Event volume = new Event(DIE.time(), "volume", "create", "data", Map.of("driver", "local"));
    assertTrue(dev.berth.engine.events.EventFilter.parse(List.of("volume=data")).matches(volume));
    assertFalse(dev.berth.engine.events.EventFilter.parse(List.of("volume=data")).matches(DIE));
    assertFalse(
        dev.berth.engine.events.EventFilter.parse(List.of("container=data")).matches(volume));
    assertEquals(
        "invalid filter 'plugin'",
        org.junit.jupiter.api.Assertions.assertThrows(
                dev.berth.spec.error.BerthException.class,
                () -> dev.berth.engine.events.EventFilter.parse(List.of("plugin=x")))
            .getMessage());
  }

  @Test
  void jsonIsDockersMessage() {
    assertEquals(
        "{\"status\":\"die\",\"id\":\"abc\",\"from\":\"busybox\",\"Type\":\"container\",\"Action\":\"die\","
            + "\"Actor\":{\"ID\":\"abc\",\"Attributes\":{\"exitCode\":\"3\",\"image\":\"busybox\",\"name\":\"web\","
            + "\"tier\":\"front\"}},\"scope\":\"local\",\"time\":1796502701,\"timeNano\":1796502701123400000}",
        EventsVerb.Printer.of("json").print(DIE));
    assertEquals(
        "die web 3",
        EventsVerb.Printer.of(
                "{{.Status}} {{.Actor.Attributes.name}} {{.Actor.Attributes" + ".exitCode}}")
            .print(DIE));
  }
}
