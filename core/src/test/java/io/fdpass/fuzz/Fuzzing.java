package io.fdpass.fuzz;

/** What the fuzz tests share about how they run. */
final class Fuzzing {
    private Fuzzing() {
    }

    /**
     * Fails a fuzzing run that would fuzz blind: core's pom turns Jazzer's instrumentation off ({@code jazzer.hooks})
     * for the regression runs of every build, and only {@code scripts/fuzz.sh} turns it back on.
     */
    static void requireInstrumentationWhenFuzzing() {
        String fuzz = System.getenv("JAZZER_FUZZ");
        boolean fuzzing = fuzz != null && !fuzz.isEmpty() && !fuzz.equals("0") && !fuzz.equalsIgnoreCase("false");
        if (fuzzing && "false".equals(System.getProperty("jazzer.hooks"))) {
            throw new IllegalStateException("JAZZER_FUZZ is set but Jazzer's instrumentation is off (core's pom"
                    + " sets jazzer.hooks=false for regression runs): fuzz with scripts/fuzz.sh, or add"
                    + " -Djazzer.hooks=true");
        }
    }
}
