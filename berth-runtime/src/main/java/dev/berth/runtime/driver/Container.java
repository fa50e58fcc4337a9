package dev.berth.runtime.driver;

import dev.berth.runtime.ContainerException;
import dev.berth.runtime.cgroups.Stats;
import dev.berth.runtime.state.Status;
import dev.berth.spec.runtime.Resources;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * One container on a {@link RuntimeDriver}, with its life as an explicit state machine: {@link
 * #TRANSITIONS} says, in one table, which operation each state allows and where it leads, and every
 * operation checks it in one place ({@link #check}) before it reaches the driver, refusing with a
 * failed precondition ("cannot pause a stopped container").
 *
 * <p>The state is never cached: it is read from the driver, which reads the kernel, at each call (a
 * RUNNING container whose process exited reads STOPPED). Only CREATING is this object's own: the
 * state of a container {@link #define defined} and not yet made by the driver, until {@link
 * #create()} returns. The check and the driver's call are not atomic: the state may change in
 * between (the process exits), and the driver, which checks again under its own lock, then refuses
 * with the same category.
 */
public final class Container {

  /** What can be done to a container. */
  public enum Operation {
    CREATE("create"),
    START("start"),
    KILL("kill"),
    PAUSE("pause"),
    RESUME("resume"),
    EXEC("exec in"),
    UPDATE("update"),
    STATS("read the stats of"),
    EVENTS("follow the events of"),
    DELETE("delete"),
    FORCE_DELETE("force-delete");

    private final String words;

    Operation(String words) {
      this.words = words;
    }
  }

  /**
   * An allowed operation: the states it acts on and the state it leads to; null "to" leaves the
   * state as it is (the process, not the operation, decides: a signal may end it or not), and
   * DELETE leads out of the machine.
   */
  public record Transition(Set<Status> from, Status to) {}

  /** The machine: each operation, the states it is allowed in and where it leads. */
  public static final Map<Operation, Transition> TRANSITIONS;

  static {
    Map<Operation, Transition> t = new EnumMap<>(Operation.class);
    Set<Status> live = EnumSet.of(Status.CREATED, Status.RUNNING, Status.PAUSED);
    t.put(Operation.CREATE, new Transition(EnumSet.of(Status.CREATING), Status.CREATED));
    t.put(Operation.START, new Transition(EnumSet.of(Status.CREATED), Status.RUNNING));
    t.put(Operation.KILL, new Transition(live, null));
    t.put(Operation.PAUSE, new Transition(EnumSet.of(Status.RUNNING), Status.PAUSED));
    t.put(Operation.RESUME, new Transition(EnumSet.of(Status.PAUSED), Status.RUNNING));
    t.put(Operation.EXEC, new Transition(EnumSet.of(Status.RUNNING), Status.RUNNING));
    t.put(Operation.UPDATE, new Transition(live, null));
    t.put(Operation.STATS, new Transition(live, null));
    t.put(Operation.EVENTS, new Transition(live, null));
    // A created container's init has not run its process: deleting it needs no force (runc's rule
    // too).
    t.put(Operation.DELETE, new Transition(EnumSet.of(Status.CREATED, Status.STOPPED), null));
    t.put(
        Operation.FORCE_DELETE,
        new Transition(
            EnumSet.of(Status.CREATED, Status.RUNNING, Status.PAUSED, Status.STOPPED), null));
    for (Map.Entry<Operation, Transition> x : t.entrySet()) {
      if (x.getKey() != Operation.CREATE && x.getValue().from().contains(Status.CREATING)) {
        throw new AssertionError("only create acts on a container being created");
      }
    }
    TRANSITIONS = java.util.Collections.unmodifiableMap(t);
  }

  private final RuntimeDriver driver;
  private final String id;
  private final CreateRequest request;

  /**
   * CREATING: defined here and not (yet) made by the driver; the driver knows every later state.
   */
  private volatile boolean creating;

  private Container(RuntimeDriver driver, String id, CreateRequest request) {
    this.driver = driver;
    this.id = id;
    this.request = request;
    this.creating = request != null;
  }

  /**
   * A container to be made from {@code request}: CREATING until {@link #create()} returns (an
   * engine lists it as such meanwhile), then whatever the driver says.
   */
  public static Container define(RuntimeDriver driver, CreateRequest request) {
    return new Container(driver, request.id(), request);
  }

  /** Defines and creates: a CREATED container. */
  public static Container create(RuntimeDriver driver, CreateRequest request)
      throws ContainerException {
    Container c = define(driver, request);
    c.create();
    return c;
  }

  /**
   * A container that exists on {@code driver} already (made by another process, or before a
   * restart).
   */
  public static Container existing(RuntimeDriver driver, String id) throws ContainerException {
    Container c = new Container(driver, id, null);
    c.status();
    return c;
  }

  /**
   * Has the driver make the container. Success or failure, it leaves CREATING: a failed create
   * leaves nothing (the drivers roll back), and the state then reads as the driver's "not found".
   */
  public synchronized void create() throws ContainerException {
    check(Operation.CREATE);
    try {
      driver.create(request);
    } finally {
      creating = false;
    }
  }

  public String id() {
    return id;
  }

  public RuntimeDriver driver() {
    return driver;
  }

  /** The state now, from the driver. */
  public Status state() throws ContainerException {
    if (creating) return Status.CREATING;
    return driver.state(id).status();
  }

  /** The driver's whole report. */
  public ContainerStatus status() throws ContainerException {
    return driver.state(id);
  }

  /** Whether {@code op} is allowed in state {@code s}. */
  public static boolean allowed(Operation op, Status s) {
    return TRANSITIONS.get(op).from().contains(s);
  }

  /**
   * The one check of the machine: the state now allows {@code op}, or a failed precondition naming
   * both.
   */
  private Status check(Operation op) throws ContainerException {
    Status s = state();
    if (!allowed(op, s)) {
      String hint =
          op == Operation.DELETE && (s == Status.RUNNING || s == Status.PAUSED)
              ? " (kill it, or force)"
              : "";
      throw ContainerException.precondition(
          "container " + id + ": cannot " + op.words + " a " + s + " container" + hint);
    }
    return s;
  }

  public void start() throws ContainerException {
    check(Operation.START);
    driver.start(id);
  }

  public void kill(int signal) throws ContainerException {
    check(Operation.KILL);
    driver.kill(id, signal, false);
  }

  /** Signals every process of the container's cgroup. */
  public void killAll(int signal) throws ContainerException {
    check(Operation.KILL);
    driver.kill(id, signal, true);
  }

  public void pause() throws ContainerException {
    check(Operation.PAUSE);
    driver.pause(id);
  }

  public void resume() throws ContainerException {
    check(Operation.RESUME);
    driver.resume(id);
  }

  public ExecResult exec(ExecRequest request) throws ContainerException {
    check(Operation.EXEC);
    return driver.exec(id, request);
  }

  public void update(Resources resources) throws ContainerException {
    check(Operation.UPDATE);
    driver.update(id, resources);
  }

  public Stats stats() throws ContainerException {
    check(Operation.STATS);
    return driver.stats(id);
  }

  public void events(java.time.Duration interval, RuntimeDriver.EventListener listener)
      throws ContainerException {
    check(Operation.EVENTS);
    driver.events(id, interval, listener);
  }

  /** Deletes a created or stopped container; {@code force} kills a running or paused one first. */
  public void delete(boolean force) throws ContainerException {
    // Forced, every state but CREATING allows it, and a container already gone is no error: the
    // driver decides.
    if (!force || creating) check(force ? Operation.FORCE_DELETE : Operation.DELETE);
    driver.delete(id, force);
  }
}
