package dev.berth.spec.runtime;

import java.util.List;

/** net_cls / net_prio settings; classID (uint32) is null when absent. */
public record Network(Long classID, List<NetPriority> priorities) {
  public Network {
    priorities = Copies.list(priorities);
  }
}
