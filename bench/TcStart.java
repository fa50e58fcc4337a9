import java.util.ArrayList;
import java.util.List;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * bench/docker-api.sh's Testcontainers figure: the time of a GenericContainer's start and stop as a
 * Java test sees it (an httpd with one exposed port, the default wait strategy: the port answers
 * inside the container and through its published host port), against the daemon DOCKER_HOST names.
 * Prints one line: the median and mean start and stop times in ms over RUNS (after one warm-up).
 * Usage: java -cp <testcontainers' class path>:DIR TcStart IMAGE RUNS
 */
public class TcStart {
  public static void main(String[] args) {
    String image = args[0];
    int runs = Integer.parseInt(args[1]);
    List<Double> starts = new ArrayList<>();
    List<Double> stops = new ArrayList<>();
    for (int i = 0; i <= runs; i++) {
      GenericContainer<?> c =
          new GenericContainer<>(DockerImageName.parse(image))
              .withCommand("sh", "-c", "mkdir -p /www && exec httpd -f -p 80 -h /www")
              .withExposedPorts(80);
      long t0 = System.nanoTime();
      c.start();
      long t1 = System.nanoTime();
      c.stop();
      long t2 = System.nanoTime();
      if (i == 0) continue; // warm-up: the client's own classes and connections
      starts.add((t1 - t0) / 1e6);
      stops.add((t2 - t1) / 1e6);
    }
    System.out.printf(
        "start median %.0f ms mean %.0f ms, stop median %.0f ms mean %.0f ms (%d runs)%n",
        median(starts), mean(starts), median(stops), mean(stops), runs);
  }

  static double median(List<Double> v) {
    List<Double> s = new ArrayList<>(v);
    s.sort(null);
    return s.get(s.size() / 2);
  }

  static double mean(List<Double> v) {
    return v.stream().mapToDouble(Double::doubleValue).average().orElse(0);
  }
}
