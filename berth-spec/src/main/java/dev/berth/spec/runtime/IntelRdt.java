package dev.berth.spec.runtime;

/**
 * {@code linux.intelRdt}: a resctrl class of service and its schemata. Read so a config that asks
 * for it is refused where resctrl is absent, rather than run without it.
 */
public record IntelRdt(
    String closID, String l3CacheSchema, String memBwSchema, Boolean enableCMT, Boolean enableMBM) {
  public IntelRdt {
    closID = closID == null ? "" : closID;
    l3CacheSchema = l3CacheSchema == null ? "" : l3CacheSchema;
    memBwSchema = memBwSchema == null ? "" : memBwSchema;
  }
}
