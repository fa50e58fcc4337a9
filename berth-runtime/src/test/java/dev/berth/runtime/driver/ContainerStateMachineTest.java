package dev.berth.runtime.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.runtime.ContainerException;
import dev.berth.runtime.cgroups.Stats;
import dev.berth.runtime.state.Status;
import dev.berth.spec.runtime.Process;
import dev.berth.spec.runtime.Resources;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The state machine of {@link Container} on a driver whose state the test sets: no root, no kernel.
 */
class ContainerStateMachineTest {

  /** A driver that reports {@link #status} and records the verbs that reach it. */
  static final class FakeDriver implements RuntimeDriver {
    volatile Status status = Status.CREATED;
    final List<String> calls = new ArrayList<>();
    CountDownLatch createEntered = new CountDownLatch(1);
    CountDownLatch createMayReturn = new CountDownLatch(0);

    @Override
    public String name() {
      return "fake";
    }

    @Override
    public void create(CreateRequest r) throws ContainerException {
      calls.add("create");
      createEntered.countDown();
      try {
        createMayReturn.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      status = Status.CREATED;
    }

    @Override
    public void start(String id) {
      calls.add("start");
    }

    @Override
    public ContainerStatus state(String id) {
      return new ContainerStatus(
          id, status == Status.STOPPED ? 0 : 42, status, Path.of("/b"), Instant.EPOCH, Map.of());
    }

    @Override
    public void kill(String id, int signal, boolean all) {
      calls.add("kill");
    }

    @Override
    public void delete(String id, boolean force) {
      calls.add(force ? "force-delete" : "delete");
    }

    @Override
    public ExecResult exec(String id, ExecRequest request) {
      calls.add("exec");
      return new ExecResult(43, 0);
    }

    @Override
    public java.util.List<Integer> pids(String id) {
      return java.util.List.of(42);
    }

    @Override
    public void pause(String id) {
      calls.add("pause");
    }

    @Override
    public void resume(String id) {
      calls.add("resume");
    }

    @Override
    public void update(String id, Resources resources) {
      calls.add("update");
    }

    @Override
    public Stats stats(String id) {
      calls.add("stats");
      return null;
    }

    @Override
    public void events(String id, Duration interval, EventListener listener) {
      calls.add("events");
    }
  }

  private static final Process TRUE =
      new Process(
          false,
          null,
          null,
          List.of("true"),
          null,
          List.of(),
          "/",
          null,
          null,
          false,
          null,
          null,
          null);

  private static void apply(Container c, Container.Operation op) throws ContainerException {
    switch (op) {
      case CREATE -> c.create();
      case START -> c.start();
      case KILL -> c.kill(9);
      case PAUSE -> c.pause();
      case RESUME -> c.resume();
      case EXEC -> c.exec(ExecRequest.of(TRUE));
      case UPDATE -> c.update(new Resources(null, null, null, null, null, null, null, null));
      case STATS -> c.stats();
      case EVENTS -> c.events(Duration.ofSeconds(1), null);
      case DELETE -> c.delete(false);
      case FORCE_DELETE -> c.delete(true);
    }
  }

  /**
   * Every operation in every state the driver can report: it reaches the driver exactly when the
   * table allows.
   */
  @Test
  void everyOperationIsCheckedAgainstTheOneTable() throws Exception {
    for (Status s : List.of(Status.CREATED, Status.RUNNING, Status.PAUSED, Status.STOPPED)) {
      for (Container.Operation op : Container.Operation.values()) {
        if (op == Container.Operation.CREATE) continue;
        FakeDriver d = new FakeDriver();
        Container c = Container.create(d, CreateRequest.of("c1", Path.of("/b")));
        d.status = s;
        d.calls.clear();
        boolean allowed = Container.allowed(op, s);
        if (allowed) {
          apply(c, op);
          assertEquals(1, d.calls.size(), op + " in " + s + " reaches the driver");
        } else {
          ContainerException e =
              assertThrows(ContainerException.class, () -> apply(c, op), op + " in " + s);
          assertEquals("FAILED_PRECONDITION", e.category().name());
          assertTrue(e.getMessage().startsWith("container c1: cannot "), e.getMessage());
          assertTrue(e.getMessage().contains(" a " + s + " container"), e.getMessage());
          assertEquals(List.of(), d.calls, op + " in " + s + " refused before the driver");
        }
      }
    }
  }

  @Test
  void theTableIsTheLifecycle() {
    assertEquals(Status.RUNNING, Container.TRANSITIONS.get(Container.Operation.START).to());
    assertTrue(Container.allowed(Container.Operation.START, Status.CREATED));
    assertTrue(!Container.allowed(Container.Operation.START, Status.STOPPED));
    assertTrue(Container.allowed(Container.Operation.PAUSE, Status.RUNNING));
    assertTrue(!Container.allowed(Container.Operation.PAUSE, Status.STOPPED));
    assertTrue(Container.allowed(Container.Operation.RESUME, Status.PAUSED));
    assertTrue(!Container.allowed(Container.Operation.DELETE, Status.RUNNING));
    assertTrue(Container.allowed(Container.Operation.FORCE_DELETE, Status.RUNNING));
    assertTrue(Container.allowed(Container.Operation.DELETE, Status.STOPPED));
    for (Container.Operation op : Container.Operation.values()) {
      assertEquals(
          op == Container.Operation.CREATE,
          Container.allowed(op, Status.CREATING),
          op + " in creating");
    }
  }

  @Test
  void refusalsSayWhatAndWhy() throws Exception {
    FakeDriver d = new FakeDriver();
    Container c = Container.create(d, CreateRequest.of("c1", Path.of("/b")));
    d.status = Status.STOPPED;
    assertEquals(
        "container c1: cannot pause a stopped container",
        assertThrows(ContainerException.class, c::pause).getMessage());
    d.status = Status.RUNNING;
    assertEquals(
        "container c1: cannot delete a running container (kill it, or force)",
        assertThrows(ContainerException.class, () -> c.delete(false)).getMessage());
    assertEquals(
        "container c1: cannot create a running container",
        assertThrows(ContainerException.class, c::create).getMessage());
  }

  /**
   * The driver is the truth: a container whose process exited reads STOPPED at once, with no event
   * to tell it.
   */
  @Test
  void theStateIsTheDriversAtEachCall() throws Exception {
    FakeDriver d = new FakeDriver();
    Container c = Container.create(d, CreateRequest.of("c1", Path.of("/b")));
    assertEquals(Status.CREATED, c.state());
    d.status = Status.RUNNING;
    assertEquals(Status.RUNNING, c.state());
    d.status = Status.STOPPED;
    assertEquals(Status.STOPPED, c.state());
    assertThrows(ContainerException.class, () -> c.exec(ExecRequest.of(TRUE)));
  }

  @Test
  void creatingUntilTheDriverHasMadeIt() throws Exception {
    FakeDriver d = new FakeDriver();
    d.createMayReturn = new CountDownLatch(1);
    Container c = Container.define(d, CreateRequest.of("c1", Path.of("/b")));
    assertEquals(Status.CREATING, c.state());
    CompletableFuture<Void> making =
        CompletableFuture.runAsync(
            () -> {
              try {
                c.create();
              } catch (ContainerException e) {
                throw new IllegalStateException(e);
              }
            });
    assertTrue(d.createEntered.await(10, TimeUnit.SECONDS));
    assertEquals(Status.CREATING, c.state());
    ContainerException e = assertThrows(ContainerException.class, c::start);
    assertEquals("container c1: cannot start a creating container", e.getMessage());
    assertThrows(
        ContainerException.class,
        () -> c.delete(true),
        "not even forced while the driver makes it");
    d.createMayReturn.countDown();
    making.get(10, TimeUnit.SECONDS);
    assertEquals(Status.CREATED, c.state());
    assertEquals(List.of("create"), d.calls);
  }
}
