package io.fdpass.examples;

import io.fdpass.examples.DocCommandsIT.Block;
import io.fdpass.examples.DocCommandsIT.Output;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How {@link DocCommandsIT} reads a page and compares what a block printed with what the page shows. */
class DocConventionsTest {
    @Test
    void outputMatchesLineByLineWithEllipses() {
        assertTrue(Output.matches("", ""));
        assertFalse(Output.matches("", "something\n"), "a block shown without output must print nothing");
        assertTrue(Output.matches("a\nb", "a\nb\n"));
        assertFalse(Output.matches("a\nb", "a\nc\n"));
        assertFalse(Output.matches("a", "a\nb\n"), "a line more");
        assertFalse(Output.matches("a\nb", "a\n"), "a line less");
        assertTrue(Output.matches("cat: .../secret.txt: Permission denied", "cat: /tmp/x/secret.txt: Permission denied"));
        assertFalse(Output.matches("cat: .../secret.txt: Permission denied", "cat: /tmp/x/secret.txt: No such file"));
        assertTrue(Output.matches("a (x.y)", "a (x.y)"), "the rest is literal, not a regular expression");
        assertFalse(Output.matches("a (x.y)", "a (xzy)"));
        assertTrue(Output.matches("...\nok", "ok\n"), "a line of ... stands for no line too");
        assertTrue(Output.matches("...\nok\n...", "building\nmore\nok\nlog\nlog\n"));
        assertFalse(Output.matches("...\nok\n...", "building\nnot ok, it says\n"));
    }

    @Test
    void aPageSaysHowToRunEachBlockAndWhatItPrints() {
        List<Block> blocks = Block.parse("page.md", List.of(
                "Some text.",
                "",
                "<!-- doc-test: root exit=1 timeout=5 -->",
                "```sh",
                "false",
                "```",
                "```text",
                "shown",
                "```",
                "",
                "<!-- doc-test: skip=a benchmark of minutes, as root -->",
                "```sh",
                "scripts/bench.sh",
                "```",
                "<!-- doc-test: file=app/A.java -->",
                "```java",
                "class A {}",
                "```",
                "```text",
                "not an output: it follows a java block",
                "```"));
        assertEquals(4, blocks.size(), blocks::toString);
        Block first = blocks.getFirst();
        assertEquals(new Block("page.md", 4, "sh", "false\n", Map.of("root", "", "exit", "1", "timeout", "5"),
                "shown\n"), first);
        assertEquals(Map.of("skip", "a benchmark of minutes, as root"), blocks.get(1).options());
        assertEquals(null, blocks.get(1).output());
        assertEquals(Map.of("file", "app/A.java"), blocks.get(2).options());
        assertEquals("text", blocks.get(3).language());
    }

    @Test
    void aCommandOutsideAFenceOrAnUnknownOptionIsAnError() {
        assertThrows(AssertionError.class, () -> Block.parse("page.md", List.of("Run:", "", "    bin/fdpass-server")));
        assertThrows(AssertionError.class, () -> Block.parse("page.md", List.of("```bash", "ls", "```")));
        assertThrows(AssertionError.class, () -> Block.parse("page.md", List.of("```", "ls", "```")));
        assertThrows(AssertionError.class, () -> Block.parse("page.md",
                List.of("<!-- doc-test: sudo -->", "```sh", "ls", "```")));
        assertThrows(AssertionError.class, () -> Block.parse("page.md", List.of("```sh", "ls")));
    }
}
