package dev.berth.cli.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The docker --format strings users type, rendered as docker renders them. */
class GoTemplateTest {
  private static final Map<String, Object> C = container();

  private static Map<String, Object> container() {
    Map<String, Object> state = new LinkedHashMap<>();
    state.put("Status", "running");
    state.put("Pid", 42L);
    state.put("Running", true);
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("Id", "abc123");
    c.put("Name", "/web");
    c.put("State", state);
    c.put("Labels", new LinkedHashMap<>(Map.of("b", "2", "a", "1")));
    c.put("Args", List.of("-f", "-p", "80"));
    c.put("Mounts", List.of(Map.of("Destination", "/data"), Map.of("Destination", "/logs")));
    c.put("Empty", "");
    c.put("NoMounts", List.of());
    return c;
  }

  private static String render(String t) {
    return GoTemplate.parse(t).render(C);
  }

  @Test
  void fieldsAndPaths() {
    assertEquals("abc123 running 42", render("{{.Id}} {{.State.Status}} {{.State.Pid}}"));
    assertEquals("true", render("{{.State.Running}}"));
  }

  @Test
  void goValueFormatting() {
    assertEquals("map[a:1 b:2]", render("{{.Labels}}"));
    assertEquals("[-f -p 80]", render("{{.Args}}"));
  }

  @Test
  void jsonIsCompactAndKeepsOrder() {
    assertEquals("{\"Status\":\"running\",\"Pid\":42,\"Running\":true}", render("{{json .State}}"));
    assertEquals("[\"-f\",\"-p\",\"80\"]", render("{{json .Args}}"));
  }

  @Test
  void functionsAndPipelines() {
    assertEquals("RUNNING", render("{{upper .State.Status}}"));
    assertEquals("RUNNING", render("{{.State.Status | upper}}"));
    assertEquals("-f,-p,80", render("{{join .Args \",\"}}"));
    assertEquals("1", render("{{index .Labels \"a\"}}"));
    assertEquals("3", render("{{len .Args}}"));
    assertEquals("id=abc123 \"x\"", render("{{printf \"id=%s %q\" .Id \"x\"}}"));
  }

  @Test
  void rangeIfWithElse() {
    assertEquals("/data /logs ", render("{{range .Mounts}}{{.Destination}} {{end}}"));
    assertEquals("yes", render("{{if .State.Running}}yes{{else}}no{{end}}"));
    assertEquals("no", render("{{if .Empty}}yes{{else}}no{{end}}"));
    assertEquals("running", render("{{with .State}}{{.Status}}{{end}}"));
    assertEquals("none", render("{{range .NoMounts}}x{{else}}none{{end}}"));
    assertEquals("1 2 ", render("{{range .Labels}}{{.}} {{end}}"));
  }

  @Test
  void trimMarkers() {
    assertEquals("a:abc123", render("a:  {{- .Id -}}  "));
  }

  @Test
  void errorsNameTheProblem() {
    var e = assertThrows(GoTemplate.TemplateException.class, () -> render("{{.Nope}}"));
    assertTrue(e.getMessage().contains("Nope"), e.getMessage());
    e = assertThrows(GoTemplate.TemplateException.class, () -> render("{{frobnicate .Id}}"));
    assertTrue(e.getMessage().contains("\"frobnicate\" not defined"), e.getMessage());
    e = assertThrows(GoTemplate.TemplateException.class, () -> render("{{if .Id}}x"));
    assertTrue(e.getMessage().contains("missing {{end}}"), e.getMessage());
    e = assertThrows(GoTemplate.TemplateException.class, () -> render("{{.Id"));
    assertTrue(e.getMessage().contains("unclosed action"), e.getMessage());
  }

  private static String columns(List<Map<String, Object>> rows, String format) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    Columns.print(
        new PrintStream(b, true, StandardCharsets.UTF_8),
        rows,
        format,
        "{{.ID}}\\t{{.Names}}",
        Map.of("ID", "CONTAINER ID"));
    return b.toString(StandardCharsets.UTF_8);
  }

  @Test
  void tablesAlignAsDockersTabwriter() {
    List<Map<String, Object>> rows =
        List.of(
            Map.of("ID", "0123456789ab", "Names", "web"),
            Map.of("ID", "ba9876543210", "Names", "db"));
    assertEquals(
        "CONTAINER ID   NAMES\n0123456789ab   web\nba9876543210   db\n", columns(rows, "table"));
    assertEquals("NAMES\nweb\ndb\n", columns(rows, "table {{.Names}}"));
    assertEquals("web\ndb\n", columns(rows, "{{.Names}}"));
    // Short cells still take docker's minimum width of 10.
    assertEquals(
        "NAMES     ID\nweb       a\n",
        columns(List.of(Map.of("ID", "a", "Names", "web")), "table {{.Names}}\\t{{.ID}}")
            .replace("CONTAINER ID", "ID"));
  }

  @Test
  void jsonFormatIsOneArray() {
    assertEquals("[{\"ID\":\"x\"}]\n", columns(List.of(Map.of("ID", "x")), "json"));
  }
}
