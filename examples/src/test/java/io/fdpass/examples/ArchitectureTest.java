package io.fdpass.examples;

import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/** The examples are written against fdpass's API, as an application would be: nothing of what core does not export. */
class ArchitectureTest {
    @Test
    void theExamplesUseOnlyWhatCoreExports() {
        noClasses().that().resideInAPackage("io.fdpass.examples..").should().dependOnClassesThat()
                .resideInAnyPackage("io.fdpass.files..", "io.fdpass.internal..")
                .because("core's module exports neither")
                .check(new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                        .importPackages("io.fdpass.examples"));
    }
}
