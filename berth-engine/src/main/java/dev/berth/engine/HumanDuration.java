package dev.berth.engine;

import java.time.Duration;

/**
 * docker's human durations (go-units' HumanDuration): "Less than a second", "About a minute", "3
 * hours"; the engine's status words ("Up 5 seconds") and the CLI's columns ("3 hours ago") use
 * them.
 */
public final class HumanDuration {
  private HumanDuration() {}

  public static String of(Duration d) {
    long s = Math.max(0, d.getSeconds());
    if (s < 1) return "Less than a second";
    if (s == 1) return "1 second";
    if (s < 60) return s + " seconds";
    if (s < 120) return "About a minute";
    if (s < 3600) return s / 60 + " minutes";
    if (s < 7200) return "About an hour";
    if (s < 48 * 3600) return s / 3600 + " hours";
    if (s < 14 * 86400) return s / 86400 + " days";
    if (s < 60 * 86400) return s / (7 * 86400) + " weeks";
    if (s < 730 * 86400) return s / (30 * 86400) + " months";
    return s / (365 * 86400) + " years";
  }

  /** "3 hours ago". */
  public static String ago(Duration d) {
    return of(d) + " ago";
  }
}
