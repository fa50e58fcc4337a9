package dev.berth.engine;

import java.util.List;

/**
 * What {@code docker top} shows: the host's {@code ps} columns ({@code titles}) and one row per
 * process of the container, the last column holding the rest of the line (the command and its
 * arguments).
 */
public record ProcessTable(List<String> titles, List<List<String>> processes) {
  public ProcessTable {
    titles = List.copyOf(titles);
    processes = processes.stream().map(List::copyOf).toList();
  }
}
